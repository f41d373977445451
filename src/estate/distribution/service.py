"""Managed installs and their targets: creating, changing, deleting, adding and removing machines.
Each write is one transaction (the caller's) and leaves a history row. What agents receive and
report, and what inventories decide, lives in estate.distribution.deploy.

Fields are named as the answers name them (decision 0700); names compare case-insensitively."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    case,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from estate.agents import service as agents
from estate.agents.models import DONE, Work
from estate.agents.models import PENDING as WAITING
from estate.auth.permissions import Caller
from estate.db.base import MAX_INT, UTCDateTime, chunks, utcnow
from estate.distribution import compatibility
from estate.distribution.compatibility import Title
from estate.distribution.files import get_file
from estate.distribution.models import (
    FAILED,
    INSTALL,
    INSTALLED,
    PENDING,
    REMOVED,
    REMOVING,
    UNINSTALL,
    ManagedInstall,
    ManagedInstallLabel,
    ManagedInstallMachine,
    SupportedSystems,
)
from estate.distribution.windows import next_opening, read_clock
from estate.errors import InvalidInput, NotFound
from estate.history import service as history
from estate.inventory.catalog import find_or_create, identity_key
from estate.inventory.models import Label, Machine, MachineLabel, Software
from estate.inventory.os_types import read_os_types
from estate.orgs.models import Organization

AREA = "distribution"
ENTITY = "managed_install"
WORK_KIND = "mi"
MACHINES = Machine.__table__
TARGETS = cast(Table, ManagedInstallMachine.__table__)
MAX_TEXT = 8192


def require(caller: Caller, action: str = "read") -> None:
    """Managed installs are the administrators' (decision 0704): reading needs the distribution
    right and a role that sees every user's data; changing needs distribution:write."""
    caller.require_administrator(AREA, action, what="managed installs")


def can_read(caller: Caller) -> bool:
    """Whether `require(caller)` lets the caller read managed installs."""
    return caller.administers(AREA)


# --- reading what clients send -----------------------------------------------------------------


def _text(limit: int, *, required: bool = False) -> Callable[[Any, str], str]:
    def read(value: Any, field: str) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InvalidInput(f"{field} must be a string", field=field)
        value = value.replace("\x00", "")
        if len(value) > limit:
            raise InvalidInput(f"{field} must be at most {limit} characters", field=field)
        if required and not value.strip():
            raise InvalidInput(f"{field} must not be empty", field=field)
        return value

    return read


def read_id(value: Any, field: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_INT:
        raise InvalidInput(f"{field} must be an id", field=field)
    return value


def _optional_id(value: Any, field: str) -> int | None:
    return None if value in (None, "", 0, "0") else read_id(value, field)


def _number(low: int, high: int) -> Callable[[Any, str], int]:
    def read(value: Any, field: str) -> int:
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidInput(f"{field} must be a whole number from {low} to {high}", field=field)
        return value

    return read


def read_flag(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("1", "0", "true", "false", "yes", "no"):
        return value.strip().lower() in ("1", "true", "yes")
    raise InvalidInput(f"{field} must be true or false", field=field)


def _clock(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a time of day HH:MM or empty", field=field)
    return read_clock(value, field)


def _list(value: Any, field: str) -> list[Any]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or len(value) > 100_000:
        raise InvalidInput(f"{field} must be a list", field=field)
    return value


def _as_is(value: Any, field: str) -> Any:
    return value


# Field as answered → (column of managed_installs or None, how the value is read).
FIELDS: dict[str, tuple[str | None, Callable[[Any, str], Any]]] = {
    "Name": ("name", _text(255, required=True)),
    "Software_id": (None, read_id),
    "Software": (None, _as_is),
    "Supported_operating_systems": (None, _list),
    "File_id": ("file_id", _optional_id),
    "Full_command_line": ("full_command_line", _text(MAX_TEXT, required=True)),
    "Uninstall_command_line": ("uninstall_command_line", _text(MAX_TEXT)),
    "Run_as": ("run_as", _number(0, 2)),
    "Run_as_user": ("run_as_user", _text(255)),
    "Max_attempt_count": ("max_attempt_count", _number(1, 100)),
    "Timeout": ("timeout", _number(1, 7 * 24 * 60)),
    "Deploy_window_start": ("window_start", _clock),
    "Deploy_window_end": ("window_end", _clock),
    "Enabled": ("enabled", read_flag),
    "Deploy_to_all": ("deploy_to_all", read_flag),
    "Labels": (None, _list),
    "Machines": (None, _list),
    "Notes": ("notes", _text(65_535)),
}
# What an answer carries beside them: accepted when a read record is sent back, and not written.
READ_ONLY = ("Id", "Created", "Modified", "Created_by")
_BY_KEY = {name.lower(): name for name in (*FIELDS, *READ_ONLY)}


def read_fields(data: Any, where: str = "") -> dict[str, Any]:
    """A managed install as sent: {field as answered: value read}. Names compare case-insensitively."""
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where or 'the body'} must be a managed install object", field=where or "body")
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = _BY_KEY.get(str(key).lower())
        field = f"{where}.{key}" if where else str(key)
        if name is None:
            raise InvalidInput(f"{field}: unknown field", field=field)
        if name in READ_ONLY:
            values[name] = value
            continue
        values[name] = FIELDS[name][1](value, f"{where}.{name}" if where else name)
    return values


def records_of(body: Any) -> list[Any]:
    """`{"MIs": [...]}` (as lists answer them), or one managed install object."""
    if isinstance(body, Mapping) and len(body) == 1 and str(next(iter(body))).lower() in ("mis", "mi"):
        records = next(iter(body.values()))
        if isinstance(records, Mapping):
            records = [records]
        if not isinstance(records, list) or not records or len(records) > 100:
            raise InvalidInput("MIs must be a list of 1 to 100 managed installs", field="MIs")
        return records
    if body is None:
        raise InvalidInput("a body with MIs is required", field="MIs")
    return [body]


# --- finding -----------------------------------------------------------------------------------


def get_managed_install(db: Session, *, organization_id: int, managed_install_id: int,
                        field: str = "id") -> ManagedInstall:
    found = db.get(ManagedInstall, managed_install_id) if 0 < managed_install_id <= MAX_INT else None
    if found is None or found.organization_id != organization_id:
        raise NotFound(f"managed install {managed_install_id} not found", field=field)
    return found


def _software(db: Session, organization_id: int, values: Mapping[str, Any], where: str) -> Software:
    """The title: an existing catalog row, or one found or made from its name, version, publisher."""
    if "Software_id" in values and "Software" in values:
        raise InvalidInput(f"{where}send Software_id or Software, not both", field=f"{where}Software")
    if "Software_id" in values:
        found = db.get(Software, values["Software_id"])
        if found is None or found.organization_id != organization_id:
            raise NotFound(f"{where}Software_id: software {values['Software_id']} not found",
                           field=f"{where}Software_id")
        return found
    raw = values.get("Software")
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{where}Software_id or Software ({{\"Display_name\", \"Display_version\", "
                           "\"Publisher\"}) is required", field=f"{where}Software_id")
    item: dict[str, Any] = {}
    for key, value in raw.items():
        column = str(key).lower()
        if column not in ("display_name", "display_version", "publisher"):
            raise InvalidInput(f"{where}Software.{key}: unknown field", field=f"{where}Software.{key}")
        item[column] = _text(255, required=column == "display_name")(value, f"{where}Software.{key}") or None
    if not item.get("display_name"):
        raise InvalidInput(f"{where}Software.Display_name is required", field=f"{where}Software.Display_name")
    key = identity_key(Software, item)
    software_id = find_or_create(db, Software, organization_id, {key: {**item, "is_manual": 1}},
                                 key_column="identity_key")[key]
    return db.get_one(Software, software_id)


def _set_systems(db: Session, organization_id: int, software: Software, raw: list[Any], field: str) -> str | None:
    entries = read_os_types(db, organization_id=organization_id,
                            raw=[int(item) if isinstance(item, str) and item.isdigit() else item for item in raw],
                            field=field)
    text = compatibility.systems_text(entries)
    current = db.get(SupportedSystems, software.id)
    if current is None:
        db.add(SupportedSystems(organization_id=organization_id, software_id=software.id, systems=text))
        return text
    if current.systems == text:
        return None
    current.systems = text
    return text


def _labels(db: Session, organization_id: int, raw: list[Any], field: str) -> list[int]:
    ids, names = [], []
    for index, item in enumerate(raw):
        value = item.get("id", item.get("name")) if isinstance(item, Mapping) else item
        if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
            ids.append((index, read_id(value, f"{field}[{index}]")))
        elif isinstance(value, str) and value.strip():
            names.append((index, value.strip()))
        else:
            raise InvalidInput(f"{field}[{index}] must be a label id or name", field=f"{field}[{index}]")
    by_id = set(db.scalars(select(Label.id).where(Label.organization_id == organization_id,
                                                  Label.id.in_([value for _, value in ids])))) if ids else set()
    by_name = {name.lower(): label_id for label_id, name in db.execute(
        select(Label.id, Label.name).where(Label.organization_id == organization_id,
                                           func.lower(Label.name).in_([value.lower() for _, value in names])))
    } if names else {}
    found: dict[int, int] = {}
    for index, value in ids:
        if value not in by_id:
            raise NotFound(f"{field}[{index}]: label {value} not found", field=f"{field}[{index}]")
        found[index] = value
    for index, name in names:
        if name.lower() not in by_name:
            raise NotFound(f"{field}[{index}]: label {name!r} not found", field=f"{field}[{index}]")
        found[index] = by_name[name.lower()]
    return list(dict.fromkeys(found[index] for index in sorted(found)))


def _machine_ids(raw: list[Any], field: str) -> list[int]:
    return list(dict.fromkeys(read_id(item.get("id") if isinstance(item, Mapping) else item, f"{field}[{index}]")
                              for index, item in enumerate(raw)))


# --- writing -----------------------------------------------------------------------------------


def _check(managed_install: ManagedInstall, title: Title, where: str) -> None:
    if managed_install.run_as == 2 and not managed_install.run_as_user.strip():
        raise InvalidInput(f"{where}Run_as 2 needs Run_as_user", field=f"{where}Run_as_user")
    if bool(managed_install.window_start) != bool(managed_install.window_end):
        raise InvalidInput(f"{where}Deploy_window_start and Deploy_window_end go together",
                           field=f"{where}Deploy_window_end")
    if not title.systems:
        raise InvalidInput(f"{where}the title has no supported operating systems: send Supported_operating_systems",
                           field=f"{where}Supported_operating_systems")


def _apply(db: Session, organization_id: int, managed_install: ManagedInstall, values: Mapping[str, Any],
           changes: dict[str, tuple[Any, Any]], where: str) -> None:
    for name, value in values.items():
        column = FIELDS[name][0] if name in FIELDS else None
        if column is None:
            continue
        if name == "File_id" and value is not None:
            get_file(db, organization_id=organization_id, file_id=value, field=f"{where}File_id")
        if getattr(managed_install, column) != value:
            changes[name] = (getattr(managed_install, column), value)
            setattr(managed_install, column, value)


def _title_changes(db: Session, organization_id: int, managed_install: ManagedInstall, values: Mapping[str, Any],
                   changes: dict[str, tuple[Any, Any]], where: str) -> Software:
    new = managed_install.id is None
    software = (_software(db, organization_id, values, where) if new or {"Software_id", "Software"} & set(values)
                else db.get_one(Software, managed_install.software_id))
    if managed_install.software_id != software.id:
        changes["Software_id"] = (managed_install.software_id, software.id)
        managed_install.software_id = software.id
    if "Supported_operating_systems" in values:
        text = _set_systems(db, organization_id, software, values["Supported_operating_systems"],
                            f"{where}Supported_operating_systems")
        if text is not None:
            changes["Supported_operating_systems"] = ("", text)
    return software


def create_managed_installs(db: Session, *, organization_id: int, account_id: int | None, body: Any) -> list[int]:
    """Every managed install of the body, or none (one transaction)."""
    records = records_of(body)
    return [_create(db, organization_id, account_id, record, f"MIs[{index}]." if len(records) > 1 else "")
            for index, record in enumerate(records)]


def _create(db: Session, organization_id: int, account_id: int | None, record: Any, where: str) -> int:
    values = read_fields(record, where.rstrip("."))
    if "Full_command_line" not in values:
        raise InvalidInput(f"{where}Full_command_line is required", field=f"{where}Full_command_line")
    now = utcnow()
    managed_install = ManagedInstall(organization_id=organization_id, created=now, modified=now,
                                     created_by=account_id, uninstall_command_line="", run_as=0, run_as_user="",
                                     max_attempt_count=3, timeout=60, window_start="", window_end="",
                                     enabled=False, deploy_to_all=False, notes="", software_id=0)
    changes: dict[str, tuple[Any, Any]] = {}
    software = _title_changes(db, organization_id, managed_install, values, changes, where)
    if "Name" not in values:
        values = {**values, "Name": " ".join(filter(None, [software.display_name, software.display_version]))[:255]}
    _apply(db, organization_id, managed_install, values, changes, where)
    db.add(managed_install)
    db.flush()
    title = compatibility.title_of(db, managed_install)
    _check(managed_install, title, where)
    _replace_labels(db, managed_install, _labels(db, organization_id, values.get("Labels", []), f"{where}Labels"))
    if values.get("Machines"):
        add_machines(db, managed_install, title, _machine_ids(values["Machines"], f"{where}Machines"),
                     f"{where}Machines")
    target_everything_due(db, managed_install, title)
    history.record(db, organization_id=organization_id, account_id=account_id, action=history.CREATE,
                   entity_name=ENTITY, entity_id=managed_install.id, changes=changes)
    return managed_install.id


def update_managed_install(db: Session, *, organization_id: int, account_id: int | None, managed_install_id: int,
                           body: Any) -> ManagedInstall:
    records = records_of(body)
    if len(records) != 1:
        raise InvalidInput("send one managed install to change", field="MIs")
    values = read_fields(records[0])
    managed_install = get_managed_install(db, organization_id=organization_id, managed_install_id=managed_install_id)
    if "Id" in values and str(values["Id"]).strip() != str(managed_install.id):
        raise InvalidInput("Id in the body differs from the managed install in the path", field="Id")
    changes: dict[str, tuple[Any, Any]] = {}
    _title_changes(db, organization_id, managed_install, values, changes, "")
    _apply(db, organization_id, managed_install, values, changes, "")
    labels_changed = False
    if "Labels" in values:
        labels_changed = _replace_labels(db, managed_install, _labels(db, organization_id, values["Labels"], "Labels"))
        if labels_changed:
            changes["Labels"] = ("", ",".join(map(str, label_ids_of(db, managed_install.id))))
    db.flush()
    title = compatibility.title_of(db, managed_install)
    _check(managed_install, title, "")
    if values.get("Machines"):
        add_machines(db, managed_install, title, _machine_ids(values["Machines"], "Machines"), "Machines")
    if not changes and not values.get("Machines"):
        return managed_install
    managed_install.modified = utcnow()
    if {"Enabled", "Deploy_window_start", "Deploy_window_end"} & set(changes) and not managed_install.enabled:
        _drop_waiting_work(db, managed_install)
    if {"Deploy_window_start", "Deploy_window_end"} & set(changes):
        _rewindow_waiting_work(db, managed_install)
    target_everything_due(db, managed_install, title)
    if changes:
        history.record(db, organization_id=organization_id, account_id=account_id, action=history.UPDATE,
                       entity_name=ENTITY, entity_id=managed_install.id, changes=changes)
    return managed_install


def delete_managed_install(db: Session, *, organization_id: int, account_id: int | None,
                           managed_install_id: int) -> None:
    """The managed install goes with its targets; work not yet taken by an agent is dropped (what is
    installed stays installed)."""
    managed_install = get_managed_install(db, organization_id=organization_id, managed_install_id=managed_install_id)
    agents.drop_work(db, kind=WORK_KIND, subject_ids=select(ManagedInstallMachine.id).where(
        ManagedInstallMachine.managed_install_id == managed_install.id))
    db.delete(managed_install)
    history.record(db, organization_id=organization_id, account_id=account_id, action=history.DELETE,
                   entity_name=ENTITY, entity_id=managed_install_id, changes={"Name": (managed_install.name, None)})


def label_ids_of(db: Session, managed_install_id: int) -> list[int]:
    return list(db.scalars(select(ManagedInstallLabel.label_id)
                           .where(ManagedInstallLabel.managed_install_id == managed_install_id)
                           .order_by(ManagedInstallLabel.label_id)))


def label_names_of(db: Session, managed_install_id: int) -> list[str]:
    return list(db.scalars(select(Label.name).join(ManagedInstallLabel, ManagedInstallLabel.label_id == Label.id)
                           .where(ManagedInstallLabel.managed_install_id == managed_install_id).order_by(Label.name)))


def _replace_labels(db: Session, managed_install: ManagedInstall, label_ids: list[int]) -> bool:
    before = set(label_ids_of(db, managed_install.id))
    if before == set(label_ids):
        return False
    db.execute(delete(ManagedInstallLabel).where(ManagedInstallLabel.managed_install_id == managed_install.id,
                                                 ManagedInstallLabel.label_id.not_in(label_ids)))
    for label_id in set(label_ids) - before:
        db.add(ManagedInstallLabel(organization_id=managed_install.organization_id,
                                   managed_install_id=managed_install.id, label_id=label_id))
    db.flush()
    return True


# --- targets and their work --------------------------------------------------------------------


def targeted_through_labels(managed_install_id: Any, machine_id: Any) -> ColumnElement[bool]:
    """The machine is in a label the managed install targets (values or columns)."""
    return exists().where(ManagedInstallLabel.managed_install_id == managed_install_id,
                          MachineLabel.label_id == ManagedInstallLabel.label_id, MachineLabel.machine_id == machine_id)


def _no_row(managed_install_id: Any, machine_id: Any) -> ColumnElement[bool]:
    return ~exists().where(ManagedInstallMachine.managed_install_id == managed_install_id,
                           ManagedInstallMachine.machine_id == machine_id)


def insert_targets(db: Session, managed_install: ManagedInstall, title: Title, *,
                   machines: ColumnElement[bool]) -> int:
    """Rows for the compatible machines among `machines` (a condition on the machines table) that
    have none yet: one statement for any number of machines. Answers how many."""
    now = utcnow()
    source = select(literal(managed_install.organization_id), literal(managed_install.id), MACHINES.c.id,
                    literal(PENDING), literal(INSTALL), literal(now, UTCDateTime())).where(
        MACHINES.c.organization_id == managed_install.organization_id, MACHINES.c.archived == false(),
        machines, title.compatible(MACHINES), _no_row(managed_install.id, MACHINES.c.id))
    result = db.execute(insert(ManagedInstallMachine).from_select(
        ["organization_id", "managed_install_id", "machine_id", "status", "action", "requested"], source))
    return int(getattr(result, "rowcount", 0) or 0)


def target_everything_due(db: Session, managed_install: ManagedInstall, title: Title) -> None:
    """Every compatible machine (when deploy_to_all) and every compatible machine of its labels
    becomes a target; then each waiting target gets its work."""
    if managed_install.deploy_to_all:
        insert_targets(db, managed_install, title, machines=true())
    elif db.scalar(select(exists().where(ManagedInstallLabel.managed_install_id == managed_install.id))):
        insert_targets(db, managed_install, title, machines=targeted_through_labels(managed_install.id,
                                                                                  MACHINES.c.id))
    queue_work(db, managed_install, rows=ManagedInstallMachine.managed_install_id == managed_install.id)


def _live_work(status_id: Any) -> ColumnElement[bool]:
    return exists().where(Work.kind == WORK_KIND, Work.subject_id == status_id, Work.state != DONE)


def window_opens(db: Session, managed_install: ManagedInstall) -> Any:
    """When the deployment window opens next (None: it is open now)."""
    zone = db.scalar(select(Organization.time_zone).where(Organization.id == managed_install.organization_id))
    return next_opening(managed_install.window_start, managed_install.window_end, zone or "UTC", utcnow())


def queue_work(db: Session, managed_install: ManagedInstall, *, rows: ColumnElement[bool]) -> None:
    """Work for the waiting targets among `rows` that have none (nothing while disabled); their
    agents' long-polls learn of it after the commit."""
    if not managed_install.enabled:
        return
    waiting = (select(ManagedInstallMachine.organization_id, ManagedInstallMachine.machine_id,
                      ManagedInstallMachine.id.label("subject_id"))
               .where(rows, ManagedInstallMachine.managed_install_id == managed_install.id,
                      ManagedInstallMachine.status.in_((PENDING, REMOVING)), ~_live_work(ManagedInstallMachine.id)))
    woken = agents.enqueue_from(db, kind=WORK_KIND, source=waiting, not_after=None,
                                not_before=window_opens(db, managed_install))
    agents.announce_after_commit(db, woken)


def _drop_waiting_work(db: Session, managed_install: ManagedInstall) -> None:
    """Work no agent has taken yet is not handed out (the targets stay pending)."""
    db.execute(update(Work).where(Work.kind == WORK_KIND, Work.state == WAITING, Work.subject_id.in_(
        select(ManagedInstallMachine.id).where(ManagedInstallMachine.managed_install_id == managed_install.id)))
        .values(state=DONE))


def _rewindow_waiting_work(db: Session, managed_install: ManagedInstall) -> None:
    db.execute(update(Work).where(Work.kind == WORK_KIND, Work.state == WAITING, Work.subject_id.in_(
        select(ManagedInstallMachine.id).where(ManagedInstallMachine.managed_install_id == managed_install.id)))
        .values(not_before=window_opens(db, managed_install)))


def _check_named(db: Session, managed_install: ManagedInstall, machine_ids: list[int], field: str, *,
                 title: Title | None) -> None:
    """Machines an administrator named: in the organization's inventory, and (with `title`) running
    a system the title supports."""
    found: dict[int, bool] = {}
    fits = title.runs_on(MACHINES) if title is not None else true()
    for part in chunks(machine_ids):
        found.update(db.execute(select(MACHINES.c.id, fits).where(
            MACHINES.c.organization_id == managed_install.organization_id, MACHINES.c.archived == false(),
            MACHINES.c.id.in_(list(part)))).all())
    for index, machine_id in enumerate(machine_ids):
        if machine_id not in found:
            raise NotFound(f"{field}[{index}]: machine {machine_id} not found", field=f"{field}[{index}]")
        if not found[machine_id]:
            raise InvalidInput(f"{field}[{index}]: machine {machine_id} does not run an operating system the "
                               "title supports", field=f"{field}[{index}]")


def _parts(managed_install: ManagedInstall, machine_ids: list[int]) -> Iterator[tuple[list[int], Any]]:
    """Named machines in statement-sized parts, each with the condition on their target rows."""
    for part in chunks(machine_ids):
        ids = list(part)
        yield ids, and_(ManagedInstallMachine.managed_install_id == managed_install.id,
                        ManagedInstallMachine.machine_id.in_(ids))


def add_machines(db: Session, managed_install: ManagedInstall, title: Title, machine_ids: list[int],
                 field: str) -> None:
    """Named machines become targets (again): a machine that already shows the title is installed at
    once; one taken off, failed or removed before starts over."""
    _check_named(db, managed_install, machine_ids, field, title=title)
    now = utcnow()
    # Core statements on the table: no session objects of these rows to keep in step.
    installed = compatibility.has_title(TARGETS.c.machine_id, managed_install.software_id)
    has = compatibility.has_title(MACHINES.c.id, managed_install.software_id)
    for part in chunks(machine_ids):
        mine = and_(TARGETS.c.managed_install_id == managed_install.id, TARGETS.c.machine_id.in_(list(part)))
        db.execute(update(TARGETS).where(mine).values(selected=True))
        db.execute(update(TARGETS).where(mine, or_(TARGETS.c.removed, TARGETS.c.status.in_((FAILED, REMOVED)))).values(
            removed=False, action=INSTALL, attempts=0, exit_code=None, reason="", reported=None,
            status=case((installed, INSTALLED), else_=PENDING), finished=case((installed, now), else_=None)))
        db.execute(insert(TARGETS).from_select(
            ["organization_id", "managed_install_id", "machine_id", "selected", "status", "action", "requested",
             "finished"],
            select(literal(managed_install.organization_id), literal(managed_install.id), MACHINES.c.id,
                   literal(True), case((has, INSTALLED), else_=PENDING), literal(INSTALL),
                   literal(now, UTCDateTime()), case((has, literal(now, UTCDateTime())), else_=None))
            .where(MACHINES.c.id.in_(list(part)), _no_row(managed_install.id, MACHINES.c.id))))
    queue_work(db, managed_install, rows=true())


def _read_machines_body(body: Any, *, allow: tuple[str, ...] = ()) -> tuple[list[int], dict[str, Any]]:
    if not isinstance(body, Mapping):
        raise InvalidInput('the body must be {"Machines": ["id", ...]}', field="Machines")
    keys = {str(key).lower(): key for key in body}
    unknown = sorted(set(keys) - {"machines", *(name.lower() for name in allow)})
    if unknown:
        raise InvalidInput(f"{keys[unknown[0]]}: unknown field", field=str(keys[unknown[0]]))
    if "machines" not in keys:
        raise InvalidInput('the body must be {"Machines": ["id", ...]}', field="Machines")
    ids = _machine_ids(_list(body[keys["machines"]], "Machines"), "Machines")
    if not ids:
        raise InvalidInput("Machines must name at least one machine", field="Machines")
    return ids, {name: body[keys[name.lower()]] for name in allow if name.lower() in keys}


def add_to_machines(db: Session, *, organization_id: int, account_id: int | None, managed_install_id: int,
                    body: Any) -> None:
    managed_install = get_managed_install(db, organization_id=organization_id, managed_install_id=managed_install_id)
    machine_ids, _ = _read_machines_body(body)
    add_machines(db, managed_install, compatibility.title_of(db, managed_install), machine_ids, "Machines")
    history.record(db, organization_id=organization_id, account_id=account_id, action=history.UPDATE,
                   entity_name=ENTITY, entity_id=managed_install.id,
                   changes={"Machines": ("", "added " + _summary(machine_ids))})


def remove_from_machines(db: Session, *, organization_id: int, account_id: int | None, managed_install_id: int,
                         body: Any) -> None:
    """The machines stop being targets: no further attempt; with `Uninstall` (and an uninstall
    command) a machine that has the title runs the uninstall command."""
    managed_install = get_managed_install(db, organization_id=organization_id, managed_install_id=managed_install_id)
    machine_ids, options = _read_machines_body(body, allow=("Uninstall",))
    uninstall = read_flag(options.get("Uninstall", False), "Uninstall")
    if uninstall and not managed_install.uninstall_command_line.strip():
        raise InvalidInput("the managed install has no Uninstall_command_line", field="Uninstall")
    _check_named(db, managed_install, machine_ids, "Machines", title=None)
    now = utcnow()
    installed = compatibility.has_title(ManagedInstallMachine.machine_id, managed_install.software_id)
    for ids, mine in _parts(managed_install, machine_ids):
        agents.drop_work(db, kind=WORK_KIND, subject_ids=select(ManagedInstallMachine.id).where(mine))
        db.execute(insert(ManagedInstallMachine).from_select(
            ["organization_id", "managed_install_id", "machine_id", "removed", "status", "action", "requested",
             "finished"],
            select(literal(organization_id), literal(managed_install.id), MACHINES.c.id, literal(True),
                   literal(REMOVED), literal(INSTALL), literal(now, UTCDateTime()), literal(now, UTCDateTime()))
            .where(MACHINES.c.id.in_(ids), _no_row(managed_install.id, MACHINES.c.id))))
        db.execute(update(ManagedInstallMachine).where(mine).values(
            removed=True, selected=False, attempts=0, exit_code=None, reported=None,
            reason=case((and_(literal(uninstall), installed), ""), else_=ManagedInstallMachine.reason),
            action=case((and_(literal(uninstall), installed), UNINSTALL), else_=ManagedInstallMachine.action),
            status=case((and_(literal(uninstall), installed), REMOVING), else_=REMOVED),
            finished=case((and_(literal(uninstall), installed), None), else_=now)))
        if uninstall:
            queue_work(db, managed_install, rows=ManagedInstallMachine.machine_id.in_(ids))
    history.record(db, organization_id=organization_id, account_id=account_id, action=history.UPDATE,
                   entity_name=ENTITY, entity_id=managed_install.id,
                   changes={"Machines": ("", ("uninstalled from " if uninstall else "removed ")
                                         + _summary(machine_ids))})


def _summary(machine_ids: Sequence[int]) -> str:
    text = ",".join(map(str, machine_ids[:50]))
    return text + (f" and {len(machine_ids) - 50} more" if len(machine_ids) > 50 else "")

