"""Inventory rules: storing what agents report, as a diff against what is stored; forcing an
inventory run; recording agentless nodes. No HTTP here: the faces call these functions inside the
request's transaction.

Ingest semantics
- Keys are case-insensitive and tolerant of spaces ("Ram Total" is ram_total); an unknown key is
  an error naming it. Read-only fields an answer carries (Id, Created, Modified, Last_inventory,
  ...) are accepted and ignored, so a record read can be sent back.
- A machine is identified by its KUID: unknown or absent, a machine is created (with a generated
  KUID when absent); known, that machine is updated.
- A sub-entity key present replaces that part of the inventory (an empty list empties it); a key
  absent leaves it as it is. Replacing is a diff: unchanged links and rows are not rewritten.
- Without an Operating_System list, the machine's own Os_* fields name its operating system.
- The machine belongs to the account whose login is its reported User (standard users see their own).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import RowMapping, Select, Table, bindparam, false, insert, select, update
from sqlalchemy.orm import Session

from estate.accounts.models import Account, OrganizationAccount
from estate.accounts.service import login_key
from estate.assets.service import ensure_device_assets, follow_machine_renames
from estate.db.base import utcnow
from estate.errors import InvalidInput, NotFound
from estate.inventory import cmdb_view
from estate.inventory.catalog import find_or_create, identity_key, uniform_rows
from estate.inventory.fields import (
    INT_MAX,
    INT_MIN,
    Field,
    RecordReader,
    fields_of,
    normalize_key,
    require_list,
    require_object,
)
from estate.inventory.models import (
    NAME,
    CatalogItem,
    Label,
    Machine,
    MachineDisk,
    MachineLabel,
    MachineLocation,
    MachineNic,
    MachineOperatingSystem,
    MachineProcess,
    MachineService,
    MachineSoftware,
    MachineStartupProgram,
    Node,
    OperatingSystem,
    Process,
    Service,
    Software,
    StartupProgram,
)
from estate.inventory.sync import Linked, current_links, sync_links, sync_rows
from estate.observe import metrics

STAMPS = ("created", "modified")
MACHINE_FIELDS = fields_of(
    Machine, exclude=("id", "organization_id", "owner_account_id", "os_id", "last_inventory", "last_sync", *STAMPS)
)
# Fields of a machine as answered that a client may send back; they are not the client's to set.
MACHINE_READ_ONLY = ("id", "os_id", "last_inventory", "last_sync", "asset", *STAMPS)
ITEM_READ_ONLY = ("id", "machine_id", *STAMPS)
MACHINE_READER = RecordReader(MACHINE_FIELDS, ignored=MACHINE_READ_ONLY)
# Ingest writes through Core on the table: the ORM's bookkeeping buys nothing for rows it never loads.
MACHINES = cast(Table, Machine.__table__)


@dataclass
class CatalogKind:
    name: str
    model: type[CatalogItem]
    link: type
    item_column: str
    aliases: Mapping[str, str] = field(default_factory=dict)
    reader: RecordReader = field(init=False)
    # Items already read, by what was sent: (identity key, record). Every machine of a fleet sends
    # the same few thousand titles, hundreds per report; the records are shared, never changed.
    read_items: dict[tuple[tuple[str, str], ...], tuple[str, dict[str, Any]]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        fields = fields_of(self.model, exclude=("id", "organization_id", "identity_key", *STAMPS))
        self.reader = RecordReader(fields, aliases=self.aliases, ignored=ITEM_READ_ONLY, empty_is_none=True)


@dataclass
class RowKind:
    name: str
    model: type
    columns: dict[str, Field] = field(init=False)
    reader: RecordReader = field(init=False)

    def __post_init__(self) -> None:
        self.columns = fields_of(self.model, exclude=("id", "organization_id", "machine_id"))
        self.reader = RecordReader(self.columns, ignored=ITEM_READ_ONLY)


CATALOGS = {
    kind.name: kind
    for kind in (
        # `name` on software is its title, as in the query language.
        CatalogKind("software", Software, MachineSoftware, "software_id", {"name": "display_name"}),
        CatalogKind("process", Process, MachineProcess, "process_id"),
        CatalogKind("service", Service, MachineService, "service_id"),
        CatalogKind("startup_program", StartupProgram, MachineStartupProgram, "startup_program_id"),
        CatalogKind("operating_system", OperatingSystem, MachineOperatingSystem, "operating_system_id"),
    )
}
ROWS = {kind.name: kind for kind in (RowKind("nic", MachineNic), RowKind("disk", MachineDisk))}
LOCATION = RowKind("machine_location", MachineLocation)

# Every spelling of a sub-entity key an ingest body may use, normalized.
SUB_ENTITY_KEYS = {
    **dict.fromkeys(("software", "softwares"), "software"),
    **dict.fromkeys(("process", "processes"), "process"),
    **dict.fromkeys(("service", "services", "ntservice", "ntservices"), "service"),
    **dict.fromkeys(("startup_program", "startup_programs", "startupprogram", "startupprograms"), "startup_program"),
    **dict.fromkeys(("operating_system", "operating_systems", "os"), "operating_system"),
    **dict.fromkeys(("nic", "nics", "machine_nics"), "nic"),
    **dict.fromkeys(("disk", "disks", "machine_disks"), "disk"),
    **dict.fromkeys(("machine_location", "location"), "machine_location"),
    **dict.fromkeys(("label", "labels"), "label"),
}


def definition_name(column: str) -> str:
    """A column as the Definitions spell it: display_name → Display_Name."""
    return "_".join(part.capitalize() for part in column.split("_"))


@dataclass
class MachineInput:
    where: str
    values: dict[str, Any]
    kuid: str | None = None
    claimed_id: Any = None
    catalogs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    labels: list[str] | None = None


# --- reading the body ---------------------------------------------------------------------------


def _read_catalog_item(kind: CatalogKind, raw: Any, where: str) -> dict[str, Any]:
    record = kind.reader.read(require_object(raw, where), where)
    if not record.get(kind.model.REQUIRED):
        required = f"{where}.{definition_name(kind.model.REQUIRED)}"
        raise InvalidInput(f"{required} is required", field=required)
    return record


# Read items remembered per catalog kind; past this many the memory starts over.
READ_ITEMS_REMEMBERED = 8192


def _sent_as_text(raw: Any) -> tuple[tuple[str, str], ...] | None:
    """An item whose keys and values are all text, as agents send them, as a hashable whole; other
    items (numbers, nested values) are read field by field every time: 1 and True hash alike."""
    if type(raw) is not dict:
        return None
    sent = tuple(raw.items())
    for key, value in sent:
        if type(key) is not str or type(value) is not str:
            return None
    return sent


def _read_catalog(kind: CatalogKind, value: Any, where: str) -> dict[str, dict[str, Any]]:
    # A machine has one operating system: clients may send it as an object rather than a list.
    if kind.name == "operating_system" and isinstance(value, Mapping):
        value = [value]
    items: dict[str, dict[str, Any]] = {}
    remembered = kind.read_items
    for index, raw in enumerate(require_list(value, where)):
        sent = _sent_as_text(raw)
        known = remembered.get(sent) if sent is not None else None
        if known is None:
            record = _read_catalog_item(kind, raw, f"{where}[{index}]")
            known = (identity_key(kind.model, record), record)
            if sent is not None:
                if len(remembered) >= READ_ITEMS_REMEMBERED:
                    remembered.clear()
                remembered[sent] = known
        items.setdefault(*known)
    return items


def _read_rows(kind: RowKind, value: Any, where: str) -> list[dict[str, Any]]:
    return [
        kind.reader.read(require_object(raw, f"{where}[{index}]"), f"{where}[{index}]")
        for index, raw in enumerate(require_list(value, where))
    ]


def _read_location(value: Any, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, list):  # a shaped answer nests it as a list of one
        if len(value) > 1:
            raise InvalidInput(f"{where} takes one location", field=where)
        return _read_rows(LOCATION, value, where)
    return [LOCATION.reader.read(require_object(value, where), where)]


def _read_labels(value: Any, where: str) -> list[str]:
    names = []
    for index, raw in enumerate(require_list(value, where)):
        at = f"{where}[{index}]"
        if isinstance(raw, Mapping):
            raw = {normalize_key(str(key)): item for key, item in raw.items()}.get("name")
        if not isinstance(raw, str) or not raw.strip() or "\x00" in raw:
            raise InvalidInput(f"{at} must be a label name or an object with a Name", field=at)
        if len(raw.strip()) > NAME:
            raise InvalidInput(f"{at} is too long", field=at)
        names.append(raw.strip())
    return names


def _read_sub_entity(machine: MachineInput, kind: str, value: Any, where: str) -> None:
    if kind in CATALOGS:
        machine.catalogs[kind] = _read_catalog(CATALOGS[kind], value, where)
    elif kind in ROWS:
        machine.rows[kind] = _read_rows(ROWS[kind], value, where)
    elif kind == LOCATION.name:
        machine.rows[kind] = _read_location(value, where)
    else:
        machine.labels = _read_labels(value, where)


def read_machine(data: Any, where: str) -> MachineInput:
    data = require_object(data, where)
    flat: dict[str, Any] = {}
    machine = MachineInput(where=where, values={})
    for key, value in data.items():
        name = normalize_key(str(key))
        if name in SUB_ENTITY_KEYS:
            _read_sub_entity(machine, SUB_ENTITY_KEYS[name], value, f"{where}.{key}")
        elif name == "id":
            machine.claimed_id = value
        else:
            flat[key] = value
    machine.values = MACHINE_READER.read(flat, where)
    machine.kuid = machine.values.pop("kuid", None) or None
    return machine


def _refuse_repeated_kuids(machines: Sequence[MachineInput]) -> None:
    seen: dict[str, str] = {}
    for machine in machines:
        if machine.kuid is None:
            continue
        if machine.kuid in seen:
            where = f"{machine.where}.Kuid"
            raise InvalidInput(f"{where} repeats the KUID of {seen[machine.kuid]}", field=where)
        seen[machine.kuid] = machine.where


# --- storing ------------------------------------------------------------------------------------


# Built once: a select of the machine's ~100 columns cost more to build and key than to run.
_MACHINES_BY_KUID = select(MACHINES).where(
    MACHINES.c.organization_id == bindparam("organization_id"), MACHINES.c.kuid.in_(bindparam("kuids", expanding=True))
)
_MACHINE_BY_ID = select(MACHINES).where(
    MACHINES.c.organization_id == bindparam("organization_id"), MACHINES.c.id == bindparam("machine_id")
)


def _machine_rows(db: Session, statement: Select[Any], values: dict[str, Any]) -> Sequence[RowMapping]:
    return db.connection().execute(statement, values).mappings().all()


def fits_id(value: int) -> bool:
    """Ids are 32-bit integers; a bigger number names no row (and PostgreSQL would refuse it)."""
    return INT_MIN <= value <= INT_MAX


def _reported_login(user: str) -> str:
    """Agents report DOMAIN\\user or user@domain; the login is the user part."""
    return login_key(user.rsplit("\\", 1)[-1].split("@", 1)[0])


_OWNERS = (
    select(Account.login_key, Account.id)
    .join(OrganizationAccount, OrganizationAccount.account_id == Account.id)
    .where(
        OrganizationAccount.organization_id == bindparam("organization_id"),
        Account.login_key.in_(bindparam("logins", expanding=True)),
        Account.is_deleted.is_(False),
    )
)


def _owners(db: Session, organization_id: int, users: set[str]) -> dict[str, int]:
    if not users:
        return {}
    logins = sorted({_reported_login(user) for user in users})
    rows = db.execute(_OWNERS, {"organization_id": organization_id, "logins": logins})
    return {key: account_id for key, account_id in rows}


def _leading_int(text: Any) -> int | None:
    digits = str(text or "").strip().split(".")[0]
    return int(digits) if digits.isdigit() and len(digits) < 10 else None


def reported_os(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The operating system a machine's own Os_* fields describe."""
    record = {
        "name": values.get("os_name"),
        "family": values.get("os_family") or None,
        "arch": values.get("os_arch") or None,
        "build": values.get("os_build") or None,
        "major_version": _leading_int(values.get("os_major")),
        "minor_version": _leading_int(values.get("os_minor")),
        "minor2_version": _leading_int(values.get("os_minor2")),
    }
    return {identity_key(OperatingSystem, record): record}


def _complete(db: Session, organization_id: int, machines: Sequence[MachineInput], stored: Sequence[Any]) -> None:
    """Values implied by what was sent: the operating system, the owner, a fresh force flag."""
    users = {machine.values["user"] for machine in machines if machine.values.get("user")}
    owners = _owners(db, organization_id, users)
    for machine, current in zip(machines, stored, strict=True):
        merged = {**(current or {}), **machine.values}
        if "operating_system" not in machine.catalogs and machine.values.get("os_name"):
            machine.catalogs["operating_system"] = reported_os(merged)
        if "user" in machine.values:
            user = machine.values["user"]
            machine.values["owner_account_id"] = owners.get(_reported_login(user)) if user else None
        # An inventory that arrives is the inventory that was asked for.
        machine.values.setdefault("force_inventory", 0)


def _catalog_ids(
    db: Session, organization_id: int, machines: Sequence[MachineInput], linked: Mapping[str, Linked]
) -> dict[str, dict[str, int]]:
    """The id of every catalog entry the batch names: those its machines already link to are known,
    the others are found or created."""
    ids = {}
    for name, kind in CATALOGS.items():
        known = linked[name].ids_by_key if name in linked else {}
        items: dict[str, dict[str, Any]] = {}
        for machine in machines:
            for key, record in machine.catalogs.get(name, {}).items():
                if key not in known:
                    items.setdefault(key, record)
        found = find_or_create(db, kind.model, organization_id, items, key_column="identity_key") if items else {}
        ids[name] = {**known, **found}
    return ids


def _current_links(db: Session, machines: Sequence[MachineInput], stored: Sequence[Any]) -> dict[str, Linked]:
    linked = {}
    for name, kind in CATALOGS.items():
        pairs = zip(machines, stored, strict=True)
        machine_ids = [current["id"] for machine, current in pairs if current and name in machine.catalogs]
        if machine_ids:
            linked[name] = current_links(db, kind.link, kind.item_column, kind.model, "identity_key", machine_ids)
    return linked


def _set_os_ids(machines: Sequence[MachineInput], catalog_ids: Mapping[str, Mapping[str, int]]) -> None:
    for machine in machines:
        if "operating_system" in machine.catalogs:
            keys = list(machine.catalogs["operating_system"])
            machine.values["os_id"] = catalog_ids["operating_system"][keys[0]] if keys else None


def _insert_machines(db: Session, organization_id: int, machines: Sequence[MachineInput], now: datetime) -> list[int]:
    if not machines:
        return []
    for machine in machines:
        machine.kuid = machine.kuid or str(uuid.uuid4()).upper()
    rows = uniform_rows(
        Machine,
        [
            {
                **machine.values,
                "kuid": machine.kuid,
                "organization_id": organization_id,
                "last_inventory": now,
                "created": now,
                "modified": now,
            }
            for machine in machines
        ],
    )
    # Matched back by KUID (unique in the batch): asking for the rows in parameter order would
    # make SQLite insert them one statement each.
    statement = insert(MACHINES).returning(MACHINES.c.id, MACHINES.c.kuid)
    ids = dict((kuid, row_id) for row_id, kuid in db.connection().execute(statement, rows).all())
    return [ids[machine.kuid] for machine in machines]


def _sync_inventory(
    db: Session,
    organization_id: int,
    machines: Sequence[MachineInput],
    machine_ids: Sequence[int],
    catalog_ids: Mapping[str, Mapping[str, int]],
    linked: Mapping[str, Linked],
) -> set[int]:
    changed: set[int] = set()
    pairs = list(zip(machines, machine_ids, strict=True))
    for name, kind in CATALOGS.items():
        wanted = {
            machine_id: {catalog_ids[name][key] for key in machine.catalogs[name]}
            for machine, machine_id in pairs
            if name in machine.catalogs
        }
        if wanted:
            current = linked[name].by_machine if name in linked else {}
            changed |= sync_links(db, kind.link, kind.item_column, organization_id, wanted, current)
    for row_kind in (*ROWS.values(), LOCATION):
        wanted_rows = {
            machine_id: machine.rows[row_kind.name] for machine, machine_id in pairs if row_kind.name in machine.rows
        }
        if wanted_rows:
            changed |= sync_rows(db, row_kind.model, list(row_kind.columns), organization_id, wanted_rows)
    labelled = [(machine, machine_id) for machine, machine_id in pairs if machine.labels is not None]
    if labelled:
        changed |= _sync_labels(db, organization_id, labelled)
    return changed


def _sync_labels(db: Session, organization_id: int, labelled: Sequence[tuple[MachineInput, int]]) -> set[int]:
    names = {name: {"name": name} for machine, _ in labelled for name in machine.labels or []}
    label_ids = find_or_create(db, Label, organization_id, names, key_column="name") if names else {}
    wanted = {machine_id: {label_ids[name] for name in machine.labels or []} for machine, machine_id in labelled}
    current = current_links(db, MachineLabel, "label_id", Label, "name", list(wanted)).by_machine
    return sync_links(db, MachineLabel, "label_id", organization_id, wanted, current)


# The columns set are the values given at execution; the statement is built once.
_UPDATE_MACHINE = update(MACHINES).where(MACHINES.c.id == bindparam("updated_id"))


def _update_machine(
    db: Session, machine: MachineInput, current: Mapping[str, Any], changed: bool, now: datetime
) -> None:
    values: dict[str, Any] = {name: value for name, value in machine.values.items() if current[name] != value}
    values["last_inventory"] = now
    if values.keys() - {"last_inventory"} or changed:
        values["modified"] = now
    db.connection().execute(_UPDATE_MACHINE, {**values, "updated_id": current["id"]})


def _reported_categories(machine: MachineInput, current: Mapping[str, Any] | None) -> cmdb_view.Reported:
    catalog_os = next(iter(machine.catalogs.get("operating_system", {}).values()), {}).get("name")
    merged = {**(current or {}), **machine.values}
    return cmdb_view.reported_categories(merged, machine.values, machine.rows, catalog_os)


def _store(db: Session, organization_id: int, machines: Sequence[MachineInput], stored: Sequence[Any]) -> list[int]:
    now = utcnow()
    _complete(db, organization_id, machines, stored)
    linked = _current_links(db, machines, stored)
    catalog_ids = _catalog_ids(db, organization_id, machines, linked)
    _set_os_ids(machines, catalog_ids)
    new = [machine for machine, current in zip(machines, stored, strict=True) if current is None]
    new_ids = iter(_insert_machines(db, organization_id, new, now))
    machine_ids = [current["id"] if current else next(new_ids) for current in stored]
    changed = _sync_inventory(db, organization_id, machines, machine_ids, catalog_ids, linked)
    for machine, current in zip(machines, stored, strict=True):
        if current is not None:
            _update_machine(db, machine, current, current["id"] in changed, now)
    names = {machine_id: machine.values.get("name") or (current or {}).get("name")
             for machine, machine_id, current in zip(machines, machine_ids, stored, strict=True)}
    objects = ensure_device_assets(db, organization_id=organization_id, machines=names)
    renamed = {current["id"]: (current["name"], machine.values["name"])
               for machine, current in zip(machines, stored, strict=True)
               if current is not None and current["name"] and machine.values.get("name")
               and machine.values["name"] != current["name"]}
    follow_machine_renames(db, organization_id=organization_id, device_objects=objects, renamed=renamed)
    cmdb_view.sync_machine_categories(db, organization_id=organization_id, device_objects=objects, now=now, reported={
        machine_id: _reported_categories(machine, current)
        for machine, machine_id, current in zip(machines, machine_ids, stored, strict=True)
    })
    for listener in _INVENTORY_LISTENERS:
        listener(db, organization_id=organization_id, machine_ids=machine_ids)
    return machine_ids


# Who wants to know that machines were inventoried, in the same transaction (a domain above this
# one: distribution decides from the inventory whether a managed install is installed).
_INVENTORY_LISTENERS: list[Callable[..., None]] = []


def on_inventory(listener: Callable[..., None]) -> Callable[..., None]:
    """Register `listener(db, *, organization_id, machine_ids)`, called after every stored inventory."""
    _INVENTORY_LISTENERS.append(listener)
    return listener


def ingest_machines(
    db: Session, *, organization_id: int, machines: Sequence[Any], where: str = "Machines"
) -> list[int]:
    """Store a batch of reported machines in the current transaction; answers their ids in order."""
    inputs = [read_machine(data, f"{where}[{index}]") for index, data in enumerate(machines)]
    _refuse_repeated_kuids(inputs)
    kuids = [machine.kuid for machine in inputs if machine.kuid]
    rows = _machine_rows(db, _MACHINES_BY_KUID, {"organization_id": organization_id, "kuids": kuids}) if kuids else []
    known = {row["kuid"]: row for row in rows}
    stored = [known.get(machine.kuid) if machine.kuid else None for machine in inputs]
    machine_ids = _store(db, organization_id, inputs, stored)
    metrics.MACHINES_INGESTED.inc(len(machine_ids))
    return machine_ids


def _claimed_id_matches(claimed: Any, machine_id: int) -> bool:
    return str(claimed).strip() == str(machine_id)


def update_machine(db: Session, *, organization_id: int, machine_id: int, data: Any, where: str = "Machines[0]") -> int:
    """Store a reported inventory for one known machine. A KUID sent must be that machine's."""
    machine = read_machine(data, where)
    if machine.claimed_id is not None and not _claimed_id_matches(machine.claimed_id, machine_id):
        raise InvalidInput("Id in the body differs from the machine in the path", field="Id")
    values = {"organization_id": organization_id, "machine_id": machine_id}
    rows = _machine_rows(db, _MACHINE_BY_ID, values) if fits_id(machine_id) else []
    if not rows:
        raise NotFound(f"machine {machine_id} not found", field="id")
    if machine.kuid is not None and machine.kuid != rows[0]["kuid"]:
        raise InvalidInput("Kuid differs from the KUID of the machine in the path", field="Kuid")
    machine_id = _store(db, organization_id, [machine], rows)[0]
    metrics.MACHINES_INGESTED.inc()
    return machine_id


def force_inventory(db: Session, *, organization_id: int, machine_id: int) -> None:
    """Mark a machine so that its agent runs an inventory at its next check-in; an archived machine
    is out of inventory, as its reads say."""
    if not fits_id(machine_id):
        raise NotFound(f"machine {machine_id} not found", field="id")
    result = db.connection().execute(
        update(MACHINES)
        .where(MACHINES.c.organization_id == organization_id, MACHINES.c.id == machine_id,
               MACHINES.c.archived == false())
        .values(force_inventory=1, modified=utcnow())
    )
    if result.rowcount == 0:
        raise NotFound(f"machine {machine_id} not found", field="id")


# --- agentless nodes ----------------------------------------------------------------------------

NODE_READER = RecordReader(fields_of(Node, exclude=("id", "organization_id", *STAMPS)), ignored=STAMPS)


def _check_machine_references(db: Session, organization_id: int, records: Sequence[tuple[str, dict[str, Any]]]) -> None:
    wanted = {
        (where, name, record[name])
        for where, record in records
        for name in ("machine_id", "relay_machine_id")
        if record.get(name) is not None
    }
    if not wanted:
        return
    ids = {value for _, _, value in wanted}
    found = set(db.scalars(select(Machine.id).where(Machine.organization_id == organization_id, Machine.id.in_(ids))))
    for where, name, value in sorted(wanted):
        if value not in found:
            at = f"{where}.{definition_name(name)}"
            raise NotFound(f"{at}: machine {value} not found", field=at)


def _find_node(db: Session, organization_id: int, claimed: Any, record: Mapping[str, Any], where: str) -> Node | None:
    if claimed is not None:
        text = str(claimed).strip()
        node = db.get(Node, int(text)) if text.isdigit() and fits_id(int(text)) else None
        if node is None or node.organization_id != organization_id:
            raise NotFound(f"{where}.Id: node {claimed} not found", field=f"{where}.Id")
        return node
    if record.get("mac"):
        same_mac = select(Node).where(Node.organization_id == organization_id, Node.mac == record["mac"])
        return db.scalar(same_mac.order_by(Node.id).limit(1))
    return None


def record_nodes(db: Session, *, organization_id: int, nodes: Sequence[Any], where: str = "Nodes") -> list[int]:
    """Store devices found without an agent. A node is the one with the Id sent, else the one with
    the same MAC address, else new."""
    records = []
    for index, data in enumerate(nodes):
        at = f"{where}[{index}]"
        raw = dict(require_object(data, at))
        claimed = next((raw.pop(key) for key in list(raw) if normalize_key(str(key)) == "id"), None)
        records.append((at, claimed, NODE_READER.read(raw, at)))
    _check_machine_references(db, organization_id, [(at, record) for at, _, record in records])
    now = utcnow()
    ids = []
    for at, claimed, record in records:
        node = _find_node(db, organization_id, claimed, record, at)
        if node is None:
            node = Node(organization_id=organization_id, created=now, modified=now, **record)
            db.add(node)
        else:
            changed = {name: value for name, value in record.items() if getattr(node, name) != value}
            for name, value in changed.items():
                setattr(node, name, value)
            if changed:
                node.modified = now
        db.flush()
        ids.append(node.id)
    return ids


def record_catalog_items(
    db: Session, *, organization_id: int, kind: str, items: Sequence[Any], where: str
) -> list[int]:
    """Catalog entries reported on their own (software titles, services, ...): each is found by its
    identity or created; answers their ids in the order given."""
    catalog = CATALOGS[kind]
    records = [_read_catalog_item(catalog, raw, f"{where}[{index}]") for index, raw in enumerate(items)]
    keys = [identity_key(catalog.model, record) for record in records]
    found = find_or_create(db, catalog.model, organization_id, dict(zip(keys, records, strict=True)),
                           key_column="identity_key")
    return [found[key] for key in keys]
