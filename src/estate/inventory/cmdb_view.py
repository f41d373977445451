"""An inventoried machine as the categories of its CMDB object (docs/decisions/0520-0522).

Hardware, network and operating system are category entries of the machine's device object,
written by the ingest as a diff: one SELECT of the batch's inventory-fed entries, then bulk
statements for only what changed. Software assignment is not copied: it is read from the
inventory's links when asked (software_rows), and idoit.search reaches machines through the
software titles' own index (machines_with_software).

Who set a value is kept in two reserved keys of an entry's values, which no read shape shows:
  _inventory   {"key": the entry's identity among its object's entries of that category,
                "seen": the values the inventory last reported for it}
  _sources     attribute → "inventory" or "person"
Precedence: a value a person saves owns its attribute and inventory runs never overwrite it; a
person hands the attribute back by saving it empty (null or ""), and the next run fills it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, TextualSelect, Update, and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from estate.assets.models import AssetLink
from estate.cmdb import logbook, search
from estate.cmdb.catalog import CATALOG, DIALOG, NORMAL, OBJECT, PURGED, Category
from estate.cmdb.models import CategoryEntry, CmdbObject, DialogEntry, LogbookEntry
from estate.errors import Conflict
from estate.inventory.catalog import chunks
from estate.inventory.models import Machine, MachineSoftware, Software

INVENTORY = "inventory"
PERSON = "person"
# Inventory writes show in the logbook as an import, under the name "inventory".
LOGBOOK_SOURCE = "C__LOGBOOK_SOURCE__IMPORT"
META = "_inventory"
SOURCES = "_sources"
RESERVED = frozenset({META, SOURCES})

MODEL = "C__CATG__MODEL"
CPU = "C__CATG__CPU"
MEMORY = "C__CATG__MEMORY"
DRIVE = "C__CATG__DRIVE"
PORT = "C__CMDB__SUBCAT__NETWORK_PORT"
IP = "C__CATG__IP"
OPERATING_SYSTEM = "C__CATG__OPERATING_SYSTEM"
SOFTWARE = "C__CATG__APPLICATION"
FED = (MODEL, CPU, MEMORY, DRIVE, PORT, IP, OPERATING_SYSTEM)
# An object attribute the inventory fills with a title (its software is no CMDB object) names this type.
TITLE_OBJECT_TYPES = {OPERATING_SYSTEM: "C__OBJTYPE__OPERATING_SYSTEM", SOFTWARE: "C__OBJTYPE__APPLICATION"}

ENTRIES = cast(Table, CategoryEntry.__table__)
DIALOGS = cast(Table, DialogEntry.__table__)
OBJECTS = cast(Table, CmdbObject.__table__)

# category → identity of the entry → attribute → value as reported (dialogs as titles).
Reported = dict[str, dict[str, dict[str, Any]]]


class InventoryOwned(Conflict):
    """A write to what only inventory runs change."""


# --- what a report describes --------------------------------------------------------------------

_FREQUENCY = re.compile(r"(\d+(?:\.\d+)?)\s*(GHz|MHz)", re.IGNORECASE)
_SIZE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([KMGT]B)?\s*$", re.IGNORECASE)
_ADDRESSES = re.compile(r"[\s,;]+")


def _compact(raw: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in raw.items():
        if isinstance(value, str):
            value = value.strip()[:255]
        if value is not None and value != "":
            out[name] = value
    return out


def _one(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {"": raw} if raw else {}


def _unique(taken: Mapping[str, Any], key: str) -> str:
    number, candidate = 1, key
    while candidate in taken:
        number += 1
        candidate = f"{key}#{number}"
    return candidate


def _model(values: Mapping[str, Any]) -> dict[str, Any]:
    return _compact({
        "manufacturer": values.get("cs_manufacturer"), "title": values.get("cs_model"),
        "serial": values.get("bios_serial_number"), "firmware": values.get("bios_version"),
        "productid": values.get("manufacturer_product_number"),
    })


def _cpu(values: Mapping[str, Any]) -> dict[str, Any]:
    name = str(values.get("cpu_name") or "").strip()
    if not name and values.get("physical_cores") is None:
        return {}
    lowered = name.lower()
    raw: dict[str, Any] = {
        "title": name, "cores": values.get("physical_cores"),
        "manufacturer": "Intel" if "intel" in lowered else "AMD" if "amd" in lowered else None,
    }
    frequency = _FREQUENCY.search(name)
    if frequency:
        raw["frequency"] = float(frequency[1])
        raw["frequency_unit"] = "GHz" if frequency[2].lower() == "ghz" else "MHz"
    return _compact(raw)


def _memory(values: Mapping[str, Any]) -> dict[str, Any]:
    size = _SIZE.match(str(values.get("ram_total") or ""))
    if not size:
        return {}
    # Agents report megabytes when they name no unit.
    return {"quantity": 1, "capacity": float(size[1].replace(",", ".")), "unit": (size[2] or "MB").upper()}


def _operating_system(values: Mapping[str, Any], catalog_name: str | None) -> dict[str, Any]:
    name = values.get("os_name") or catalog_name
    version = values.get("os_version") or values.get("os_number") or values.get("os_build")
    return _compact({"application": name, "assigned_version": version}) if name else {}


def _size(key: str, unit_key: str, gigabytes: Any) -> dict[str, Any]:
    return {key: float(gigabytes), unit_key: "GB"} if isinstance(gigabytes, int | float) else {}


def _drives(disks: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for index, disk in enumerate(disks):
        name = disk.get("name")
        out[_unique(out, name or f"#{index + 1}")] = _compact({
            "title": name, "mount_point": name, "filesystem": disk.get("filesystem"),
            **_size("capacity", "unit", disk.get("disk_size")),
            **_size("free_space", "free_space_unit", disk.get("disk_free")),
            **_size("used_space", "used_space_unit", disk.get("disk_used")),
        })
    return out


def _nics(values: Mapping[str, Any], sent: Iterable[str], rows: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The machine's interfaces as this report tells them: its NIC list, else (a report with an
    address but no NICs) its own Ip and Mac; None when the report says nothing about the network."""
    if "nic" in rows:
        return list(rows["nic"])
    if {"ip", "mac"} & set(sent):
        return [{"nic": None, "ip": values.get("ip"), "mac": values.get("mac")}]
    return None


def _ports(nics: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for nic in nics:
        title = nic.get("nic") or nic.get("mac")
        if title:
            out[_unique(out, str(nic.get("mac") or title).upper())] = _compact(
                {"title": title, "mac": nic.get("mac"), "active": 1}
            )
    return out


def _addresses(nics: Sequence[Mapping[str, Any]], values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for nic in nics:
        for address in _ADDRESSES.split(str(nic.get("ip") or "")):
            if not address or address in out:
                continue
            family = "ipv6_address" if ":" in address else "ipv4_address"
            out[address] = _compact({
                family: address, "hostname": nic.get("dnshostname") or values.get("name"),
                "domain": nic.get("dnsdomain") or values.get("domain"),
                "primary": 1 if address == values.get("ip") else 0, "active": 1,
            })
    return out


def reported_categories(
    values: Mapping[str, Any], sent: Iterable[str], rows: Mapping[str, Any], catalog_os: str | None = None
) -> Reported:
    """The entries a machine's report describes. ``values`` are the machine's fields after the
    report, ``sent`` the fields it carried, ``rows`` its NIC and disk lists when it carried them.
    A category the report says nothing about is left out, so its entries stay as they are."""
    reported: Reported = {
        MODEL: _one(_model(values)), CPU: _one(_cpu(values)), MEMORY: _one(_memory(values)),
        OPERATING_SYSTEM: _one(_operating_system(values, catalog_os)),
    }
    if "disk" in rows:
        reported[DRIVE] = _drives(rows["disk"])
    nics = _nics(values, sent, rows)
    if nics is not None:
        reported[PORT] = _ports(nics)
        reported[IP] = _addresses(nics, values)
    return reported


# --- provenance -----------------------------------------------------------------------------------


def public(values: Mapping[str, Any]) -> dict[str, Any]:
    """An entry's attribute values without the provenance keys."""
    return {name: value for name, value in values.items() if name not in RESERVED}


def handing_back(category: Category, data: Mapping[str, Any]) -> dict[str, Any]:
    """A person's save with "" read as null in inventory-fed categories: an empty value hands the
    attribute back (a dialog cannot hold "")."""
    if category.const not in FED:
        return dict(data)
    return {name: None if isinstance(value, str) and not value.strip() else value for name, value in data.items()}


def claim(category: Category, data: Mapping[str, Any], after: dict[str, Any]) -> None:
    """Record what a person saved: each value given owns its attribute, each null hands it back
    (and forgets what the inventory reported for it, so the next run writes it again)."""
    if category.const not in FED:
        return
    sources = dict(after.get(SOURCES) or {})
    meta = after.get(META)
    seen = dict(meta.get("seen") or {}) if isinstance(meta, dict) else None
    for name, value in data.items():
        if value is None:
            sources.pop(name, None)
            if seen is not None:
                seen.pop(name, None)
        else:
            sources[name] = PERSON
    after[SOURCES] = sources
    if isinstance(meta, dict):
        after[META] = {**meta, "seen": seen}


def title_object(category_const: str, title: str, language: str) -> dict[str, Any]:
    """An object attribute the inventory filled with a title: shaped as an object summary without an id."""
    type_const = TITLE_OBJECT_TYPES.get(category_const, "C__OBJTYPE__APPLICATION")
    object_type = CATALOG.object_types.get(type_const)
    return {"id": None, "title": title, "sysid": "", "type": type_const,
            "type_title": object_type.titles[language] if object_type else type_const}


def title_texts(category: Category, values: Mapping[str, Any]) -> list[str]:
    """The titles the inventory put into object attributes, for the search document."""
    return [value for name, value in values.items()
            if isinstance(value, str) and name in category.attributes and category.attributes[name].kind == OBJECT]


# --- the ingest's diff ----------------------------------------------------------------------------


@dataclass
class _Stored:
    id: int
    status: int
    values: dict[str, Any]


@dataclass
class _Change:
    object_id: int
    category: Category
    key: str
    entry_id: int | None  # None: a new entry
    before: dict[str, Any]
    reported: dict[str, Any] | None  # None: no longer reported, released to the person who owns part of it
    after: dict[str, Any] | None = None


@cache
def _stored_statement(dialect: str) -> TextualSelect:
    # SQLite, without statistics or with stale ones, prefers an (organization_id, ...) index and
    # reads all of an organization's entries; a batch's entries are found by object.
    hint = " INDEXED BY ix_cmdb_category_entries_object_category" if dialect == "sqlite" else ""
    return text(
        f'SELECT id, object_id, category_const, status, "values" FROM cmdb_category_entries{hint}'  # noqa: S608
        " WHERE organization_id = :org AND object_id IN :object_ids AND category_const IN :consts ORDER BY id"
    ).bindparams(
        bindparam("object_ids", expanding=True), bindparam("consts", value=list(FED), expanding=True)
    ).columns(ENTRIES.c.id, ENTRIES.c.object_id, ENTRIES.c.category_const, ENTRIES.c.status, ENTRIES.c["values"])


@cache
def _update_statement() -> Update:
    return update(ENTRIES).where(ENTRIES.c.id == bindparam("entry_id")).values(
        {ENTRIES.c["values"]: bindparam("new_values", type_=ENTRIES.c["values"].type),
         ENTRIES.c.updated: bindparam("now", type_=ENTRIES.c.updated.type)}
    )


def _stored_entries(db: Session, organization_id: int, object_ids: list[int]) -> dict[tuple[int, str], list[_Stored]]:
    stored: dict[tuple[int, str], list[_Stored]] = defaultdict(list)
    for part in chunks(object_ids):
        statement = _stored_statement(db.get_bind().dialect.name)
        rows = db.connection().execute(statement, {"org": organization_id, "object_ids": list(part)})
        for entry_id, object_id, const, status, values in rows:
            stored[(object_id, const)].append(_Stored(entry_id, status, values or {}))
    return stored


def _seen(values: Mapping[str, Any]) -> dict[str, Any] | None:
    meta = values.get(META)
    return meta.get("seen") if isinstance(meta, dict) else None


def _differs(values: Mapping[str, Any], reported: Mapping[str, Any]) -> bool:
    """Whether a report changes an entry: compared with what the inventory last reported, on the
    attributes no person owns. Nothing is looked up when nothing changed."""
    seen = _seen(values)
    if seen is None:
        return True
    sources = values.get(SOURCES) or {}
    for name in set(seen) | set(reported):
        if sources.get(name) == PERSON:
            continue
        if reported.get(name) != seen.get(name) or (name in reported and name not in values):
            return True
    return False


def _owned_by_person(values: Mapping[str, Any]) -> bool:
    return PERSON in (values.get(SOURCES) or {}).values()


def _plan(
    stored: Mapping[tuple[int, str], list[_Stored]], reported: Mapping[int, Reported]
) -> tuple[list[_Change], list[tuple[int, str, _Stored]]]:
    changes: list[_Change] = []
    removals: list[tuple[int, str, _Stored]] = []
    for object_id, categories in reported.items():
        for const, wanted in categories.items():
            category = CATALOG.categories[const]
            have = stored.get((object_id, const), [])
            if category.multi_value:
                ours = {cast(dict, e.values[META])["key"]: e for e in have if isinstance(e.values.get(META), dict)}
            else:  # the object's one entry, whoever wrote it
                ours = {"": have[0]} if have else {}
            for key, raw in wanted.items():
                entry = ours.pop(key, None)
                if entry is None:
                    changes.append(_Change(object_id, category, key, None, {}, raw))
                elif _differs(entry.values, raw):
                    changes.append(_Change(object_id, category, key, entry.id, entry.values, raw))
            for key, entry in ours.items():
                if _seen(entry.values) is None:
                    continue  # a person's entry the inventory never wrote
                if _owned_by_person(entry.values):
                    changes.append(_Change(object_id, category, key, entry.id, entry.values, None))
                else:
                    removals.append((object_id, const, entry))
    return changes, removals


def _parent_title(category: Category, attribute_dialog: str | None, reported: Mapping[str, Any]) -> str | None:
    parent = CATALOG.dependent_dialogs.get(attribute_dialog or "")
    if parent is None:
        return None
    for name, attribute in category.attributes.items():
        if attribute.dialog == parent and isinstance(reported.get(name), str):
            return cast(str, reported[name])
    return None


class _Dialogs:
    """Dialog entries named by a batch's changes, found or created in a fixed number of statements."""

    def __init__(self, db: Session, organization_id: int) -> None:
        self.db = db
        self.organization_id = organization_id
        self.ids: dict[tuple[str, str, int | None], int] = {}
        self.titles: dict[int, str] = {}

    def _load(self, dialogs: set[str], titles: set[str]) -> None:
        statement = select(DIALOGS.c.id, DIALOGS.c.dialog, DIALOGS.c.title, DIALOGS.c.parent_id).where(
            DIALOGS.c.organization_id == self.organization_id, DIALOGS.c.dialog.in_(sorted(dialogs)),
            func.lower(DIALOGS.c.title).in_(sorted(titles)),
        ).order_by(DIALOGS.c.id)
        for entry_id, dialog, title, parent_id in self.db.connection().execute(statement):
            self._remember(entry_id, dialog, title, parent_id)

    def _remember(self, entry_id: int, dialog: str, title: str, parent_id: int | None) -> None:
        self.ids.setdefault((dialog, title.lower(), parent_id), entry_id)
        self.titles[entry_id] = title

    def _create(self, wanted: Iterable[tuple[str, str, int | None]]) -> None:
        rows: dict[tuple[str, str, int | None], dict[str, Any]] = {}
        for dialog, title, parent_id in wanted:
            if (dialog, title.lower(), parent_id) not in self.ids:
                rows.setdefault((dialog, title.lower(), parent_id), {
                    "organization_id": self.organization_id, "dialog": dialog, "title": title, "parent_id": parent_id,
                })
        if rows:
            statement = insert(DIALOGS).returning(DIALOGS.c.id, DIALOGS.c.dialog, DIALOGS.c.title, DIALOGS.c.parent_id)
            for entry_id, dialog, title, parent_id in self.db.connection().execute(statement, list(rows.values())):
                self._remember(entry_id, dialog, title, parent_id)

    def resolve(self, needs: set[tuple[str, str, tuple[str, str] | None]]) -> None:
        """Every (dialog, title, parent) of ``needs``; parents (dialog, title) come first."""
        if not needs:
            return
        parents = {parent for _, _, parent in needs if parent is not None}
        dialogs = {dialog for dialog, _, _ in needs} | {dialog for dialog, _ in parents}
        self._load(dialogs, {title.lower() for _, title, _ in needs} | {title.lower() for _, title in parents})
        self._create([(dialog, title, None) for dialog, title, parent in needs if parent is None]
                     + [(dialog, title, None) for dialog, title in parents])
        self._create([(dialog, title, self.ids[(parent[0], parent[1].lower(), None)])
                      for dialog, title, parent in needs if parent is not None])

    def id_of(self, dialog: str, title: str, parent: tuple[str, str] | None) -> int:
        parent_id = self.ids[(parent[0], parent[1].lower(), None)] if parent else None
        return self.ids[(dialog, title.lower(), parent_id)]


def _dialog_need(category: Category, name: str, reported: Mapping[str, Any]) -> tuple[str, str, tuple[str, str] | None]:
    attribute = category.attributes[name]
    assert attribute.dialog is not None
    parent_title = _parent_title(category, attribute.dialog, reported)
    parent_dialog = CATALOG.dependent_dialogs.get(attribute.dialog)
    parent = (parent_dialog, parent_title) if parent_dialog and parent_title else None
    return attribute.dialog, str(reported[name]), parent


def _inventory_names(change: _Change) -> set[str]:
    """The attributes a change may write: reported or formerly reported, and no person's."""
    sources = change.before.get(SOURCES) or {}
    names = set(_seen(change.before) or {}) | set(change.reported or {})
    return {name for name in names if sources.get(name) != PERSON}


def _needs(changes: Sequence[_Change]) -> set[tuple[str, str, tuple[str, str] | None]]:
    needs = set()
    for change in changes:
        reported = change.reported or {}
        for name in _inventory_names(change):
            if name in reported and change.category.attributes[name].kind == DIALOG:
                needs.add(_dialog_need(change.category, name, reported))
    return needs


def _after(change: _Change, dialogs: _Dialogs) -> dict[str, Any]:
    reported = change.reported or {}
    sources = dict(change.before.get(SOURCES) or {})
    after = public(change.before)
    for name in _inventory_names(change):
        if name in reported:
            value = reported[name]
            if change.category.attributes[name].kind == DIALOG:
                value = dialogs.id_of(*_dialog_need(change.category, name, reported))
            after[name] = value
            sources[name] = INVENTORY
        else:
            after.pop(name, None)
            sources.pop(name, None)
    after[SOURCES] = sources
    if change.reported is not None:
        after[META] = {"key": change.key, "seen": reported}
    return after


def _document(category: Category, values: Mapping[str, Any], titles: Mapping[int, str]) -> str:
    parts = []
    for name, value in public(values).items():
        attribute = category.attributes.get(name)
        if attribute is None or value in (None, ""):
            continue
        if attribute.kind == DIALOG:
            parts.append(titles.get(value, "") if isinstance(value, int) else "")
        elif attribute.kind == OBJECT or attribute.data_type in ("text", "text_area"):
            parts.append(value if isinstance(value, str) else "")
    return search.document_text(parts)


def _dialog_titles(db: Session, organization_id: int, changes: Sequence[_Change], dialogs: _Dialogs) -> None:
    """Titles of the dialog values persons chose in the changed entries, for their documents."""
    unknown = {
        value
        for change in changes
        for name, value in public(change.after or {}).items()
        if name in change.category.attributes and change.category.attributes[name].kind == DIALOG
        and isinstance(value, int) and value not in dialogs.titles
    }
    if unknown:
        statement = select(DIALOGS.c.id, DIALOGS.c.title).where(
            DIALOGS.c.organization_id == organization_id, DIALOGS.c.id.in_(sorted(unknown)))
        dialogs.titles.update(dict(db.connection().execute(statement).all()))  # type: ignore[arg-type]


def _insert_entries(db: Session, organization_id: int, new: Sequence[_Change], now: datetime) -> None:
    if not new:
        return
    statement = insert(ENTRIES).returning(
        ENTRIES.c.id, ENTRIES.c.object_id, ENTRIES.c.category_const, ENTRIES.c["values"]
    )
    rows = [{"organization_id": organization_id, "object_id": change.object_id,
             "category_const": change.category.const, "status": NORMAL, "values": change.after,
             "created": now, "updated": now} for change in new]
    # Rows come back in any order from one multi-row INSERT: matched by object, category and key.
    by_identity = {(change.object_id, change.category.const, change.key): change for change in new}
    for entry_id, object_id, const, values in db.connection().execute(statement, rows):
        by_identity[(object_id, const, values[META]["key"])].entry_id = entry_id


def _touch_objects(db: Session, object_ids: set[int], now: datetime) -> dict[int, tuple[str, int]]:
    """Mark the changed objects as changed by the inventory; answers id → (title, status)."""
    statement = (
        update(OBJECTS).where(OBJECTS.c.id.in_(sorted(object_ids)))
        .values(updated=now, updated_by=INVENTORY).returning(OBJECTS.c.id, OBJECTS.c.title, OBJECTS.c.status)
    )
    return {object_id: (title, status) for object_id, title, status in db.connection().execute(statement)}


def _log(
    db: Session,
    organization_id: int,
    objects: Mapping[int, tuple[str, int]],
    lines: Sequence[tuple[int, str, int, str, dict[str, Any]]],
    now: datetime,
) -> None:
    rows = [
        {"organization_id": organization_id, "object_id": object_id, "object_title": objects[object_id][0],
         "object_status": objects[object_id][1], "category_const": const, "entry_id": entry_id, "event": event,
         "username": INVENTORY, "changes": changes, "source": LOGBOOK_SOURCE, "created": now}
        for object_id, const, entry_id, event, changes in lines
    ]
    if rows:
        db.connection().execute(insert(cast(Table, LogbookEntry.__table__)), rows)


def sync_machine_categories(
    db: Session, *, organization_id: int, objects: Mapping[int, int], reported: Mapping[int, Reported], now: datetime
) -> None:
    """Bring the inventory-fed entries of a batch's device objects (machine id → object id) to what
    the machines reported (machine id → reported_categories). Unchanged machines cost one SELECT
    for the whole batch; changes are a fixed number of bulk statements, logged as "inventory"."""
    by_object = {objects[machine_id]: categories
                 for machine_id, categories in reported.items() if machine_id in objects}
    if not by_object:
        return
    stored = _stored_entries(db, organization_id, sorted(by_object))
    changes, removals = _plan(stored, by_object)
    if not changes and not removals:
        return
    dialogs = _Dialogs(db, organization_id)
    dialogs.resolve(_needs(changes))
    for change in changes:
        change.after = _after(change, dialogs)
    _dialog_titles(db, organization_id, changes, dialogs)
    changed_ids = [change.entry_id for change in changes if change.entry_id is not None]
    updates = [{"entry_id": change.entry_id, "new_values": change.after, "now": now}
               for change in changes if change.entry_id is not None]
    _insert_entries(db, organization_id, [change for change in changes if change.entry_id is None], now)
    if updates:
        db.connection().execute(_update_statement(), updates)
    gone = [entry.id for _, _, entry in removals]
    for part in chunks(gone):
        db.connection().execute(delete(ENTRIES).where(ENTRIES.c.id.in_(list(part))))
    # Documents of new entries are only written; those of changed and removed ones go first.
    search.remove_entries(db, changed_ids + gone)
    search.index_entries(db, organization_id=organization_id, fresh=True, documents={
        cast(int, change.entry_id): _document(change.category, change.after or {}, dialogs.titles) for change in changes
    })
    lines = [(change.object_id, change.category.const, cast(int, change.entry_id), logbook.CATEGORY_CHANGED, diff)
             for change in changes
             if (diff := logbook.changes_between(public(change.before), public(change.after or {})))]
    lines += [(object_id, const, entry.id, logbook.CATEGORY_PURGED, {"status": {"from": entry.status, "to": PURGED}})
              for object_id, const, entry in removals]
    touched = {line[0] for line in lines}
    if touched:
        _log(db, organization_id, _touch_objects(db, touched, now), lines, now)


# --- software, read from the inventory ----------------------------------------------------------


def machines_of(db: Session, organization_id: int, object_ids: Sequence[int]) -> dict[int, int]:
    """Object id → machine id, for the objects of ``object_ids`` that are an inventoried machine."""
    if not object_ids:
        return {}
    statement = (
        select(AssetLink.object_id, AssetLink.mapped_id)
        .join(Machine, and_(Machine.id == AssetLink.mapped_id, Machine.organization_id == organization_id))
        # "+ 0": SQLite, without statistics, would otherwise walk all of the organization's links
        # in (organization_id, mapped_id) order instead of looking the objects up by key.
        .where(AssetLink.organization_id + 0 == organization_id, AssetLink.object_id.in_(sorted(set(object_ids))))
    )
    return {object_id: machine_id for object_id, machine_id in db.execute(statement) if machine_id is not None}


def refuse_software_writes(db: Session, obj: CmdbObject, category: Category) -> None:
    if category.const == SOFTWARE and machines_of(db, obj.organization_id, [obj.id]):
        raise InventoryOwned(
            f"{SOFTWARE} of object {obj.id} lists the software the inventory found on its machine:"
            " it changes with the machine's next inventory, not through this API",
            field="category",
        )


def software_rows(
    db: Session, organization_id: int, machines: Mapping[int, int]
) -> dict[int, list[tuple[int, dict[str, Any]]]]:
    """Object id → its software assignment entries as (id, values), read from the inventory's links
    (the link's id is the entry's id), in one query."""
    objects_by_machine = {machine_id: object_id for object_id, machine_id in machines.items()}
    out: dict[int, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    statement = (
        select(MachineSoftware.id, MachineSoftware.machine_id, Software.display_name, Software.display_version)
        .join(Software, Software.id == MachineSoftware.software_id)
        .where(MachineSoftware.organization_id == organization_id,
               MachineSoftware.machine_id.in_(bindparam("machine_ids", expanding=True)))
        .order_by(MachineSoftware.id)
    )
    for part in chunks(sorted(objects_by_machine)):
        for link_id, machine_id, title, version in db.execute(statement, {"machine_ids": list(part)}):
            values = _compact({"application": title, "assigned_version": version})
            out[objects_by_machine[machine_id]].append((link_id, values))
    return out


@dataclass(frozen=True)
class SoftwareHit:
    link_id: int
    object_id: int
    title: str


def machines_with_software(db: Session, *, organization_id: int, query: str, limit: int) -> list[SoftwareHit]:
    """The machines' objects that have a software title matching ``query``: titles from their own
    index, links through their (software, machine) index, objects through (organization, mapped
    machine); at most ``limit``, in the titles' rank order. Three short indexed reads, so that no
    planner starts from all of an organization's links."""
    ranked = search.matching_software(db, organization_id=organization_id, query=query)
    if not ranked:
        return []
    links = db.execute(
        select(MachineSoftware.id, MachineSoftware.machine_id, MachineSoftware.software_id)
        .where(MachineSoftware.organization_id == organization_id, MachineSoftware.software_id.in_(ranked))
        .limit(limit)
    ).all()
    if not links:
        return []
    objects = dict(db.execute(
        select(AssetLink.mapped_id, AssetLink.object_id).where(
            AssetLink.organization_id == organization_id,
            AssetLink.mapped_id.in_(sorted({machine_id for _, machine_id, _ in links})))
    ).all())
    titles = {software_id: " ".join(part for part in (title, version) if part) for software_id, title, version in
              db.execute(select(Software.id, Software.display_name, Software.display_version)
                         .where(Software.id.in_(sorted({software_id for _, _, software_id in links}))))}
    rank = {software_id: position for position, software_id in enumerate(ranked)}
    return [SoftwareHit(link_id, objects[machine_id], titles[software_id])
            for link_id, machine_id, software_id in sorted(links, key=lambda link: (rank[link[2]], link[0]))
            if machine_id in objects]
