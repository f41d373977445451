"""`estate import`: machines and assets from CSV or JSON files, CMDB objects from an i-doit CSV
export. All or nothing: every row is checked (each error names its line, or its record in a JSON
file), and only a file without errors is written, in one transaction. A dry run does all of it
and rolls back.

- machines: the fields of the KACE Machine (a CSV column per field; `Software` lists titles
  separated by `|`), or a JSON list of machines as POST /api/inventory/machines takes them (also
  ``{"Machines": [...]}``). ``Kuid`` keeps a machine's identity: a row with a known Kuid updates it.
- assets: ``name``, ``asset_type`` (its name) or ``asset_type_id``, and the type's fields by key
  (``field_10000``) or label (``Serial Number``).
- cmdb: i-doit's CSV export of an object list: ``Title``, ``Object type`` (its title or constant),
  and optionally ``SYSID``, ``Description``, ``Location`` (the title of an object, already there or
  earlier in the file), ``CMDB status``; other columns are reported as not imported."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from estate.assets import service as assets
from estate.cmdb import entries, objects, states
from estate.cmdb.catalog import CATALOG, ObjectType
from estate.cmdb.logbook import Actor
from estate.cmdb.models import CmdbObject
from estate.dataload.acting import actor_of, administrator
from estate.db.engine import begin_for_writing
from estate.errors import DomainError
from estate.inventory import service as inventory
from estate.inventory.models import Machine

KINDS = ("machines", "assets", "cmdb")
LIST_SEPARATOR = "|"


@dataclass(frozen=True)
class Row:
    where: str  # "line 7" (CSV) or "record 3" (JSON)
    data: dict[str, Any]
    problem: str | None = None  # what makes the row unreadable, found while reading the file


@dataclass(frozen=True)
class RowError:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ImportFailed(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors


@dataclass
class Summary:
    kind: str
    rows: int
    created: int = 0
    updated: int = 0
    dry_run: bool = False
    ignored_columns: list[str] = field(default_factory=list)


# --- Reading files --------------------------------------------------------------------------------

def _csv_rows(text: str) -> Iterator[Row]:
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    for record in reader:
        where = f"line {reader.line_num}"
        if None in record:
            yield Row(where, {}, f"{len(reader.fieldnames or ()) + len(record[None])} cells; the header names "
                                 f"{len(reader.fieldnames or ())}")
            continue
        # Empty cells are absent values; a CSV has no other way to leave a field out.
        values = {key.strip(): value.strip() for key, value in record.items()
                  if key and isinstance(value, str) and value.strip()}
        if values:
            yield Row(where, values)


def _json_rows(text: str, envelope: str) -> Iterator[Row]:
    document = json.loads(text)
    if isinstance(document, dict) and len(document) == 1 and str(next(iter(document))).lower() == envelope.lower():
        document = next(iter(document.values()))
    if not isinstance(document, list):
        raise ImportFailed([RowError("file", f"a JSON file holds a list of records (or {{\"{envelope}\": [...]}})")])
    for number, record in enumerate(document, start=1):
        if not isinstance(record, dict):
            raise ImportFailed([RowError(f"record {number}", "a record must be a JSON object")])
        yield Row(f"record {number}", record)


def read_rows(path: Path, kind: str) -> list[Row]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # i-doit and spreadsheets write a byte order mark
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed([RowError("file", f"cannot read {path}: {exc}")]) from None
    if path.suffix.lower() == ".json":
        if kind == "cmdb":
            raise ImportFailed([RowError("file", "CMDB objects come from i-doit's CSV export")])
        try:
            return list(_json_rows(text, "Machines" if kind == "machines" else "Assets"))
        except json.JSONDecodeError as exc:
            raise ImportFailed([RowError(f"line {exc.lineno}", f"not valid JSON: {exc.msg}")]) from None
    return list(_csv_rows(text))


# --- Machines -------------------------------------------------------------------------------------

def _machine_record(row: Row) -> dict[str, Any]:
    record = dict(row.data)
    for key, value in row.data.items():
        if key.lower() == "software" and isinstance(value, str):
            record[key] = [{"Display_Name": title.strip()} for title in value.split(LIST_SEPARATOR) if title.strip()]
    return record


def _import_machines(db: Session, organization_id: int, rows: list[Row], summary: Summary,
                     advance: Callable[[int], None]) -> list[RowError]:
    errors: list[RowError] = []
    records: list[dict[str, Any]] = []
    first_of_kuid: dict[str, str] = {}
    for row in rows:
        record = _machine_record(row)
        try:
            machine = inventory.read_machine(record, row.where)
        except DomainError as exc:
            errors.append(RowError(row.where, exc.message.removeprefix(f"{row.where}.")))
            continue
        if machine.kuid and machine.kuid in first_of_kuid:
            errors.append(RowError(row.where, f"Kuid {machine.kuid} is already on {first_of_kuid[machine.kuid]}"))
        elif machine.kuid:
            first_of_kuid[machine.kuid] = row.where
        records.append(record)
    if errors:
        return errors
    known = db.scalars(select(Machine.kuid).where(Machine.organization_id == organization_id,
                                                  Machine.kuid.in_(list(first_of_kuid)))).all()
    inventory.ingest_machines(db, organization_id=organization_id, machines=records)
    advance(len(rows))
    summary.updated = len(known)
    summary.created = len(records) - len(known)
    return []


# --- Assets ---------------------------------------------------------------------------------------

def _asset_data(db: Session, organization_id: int, row: Row) -> dict[str, Any]:
    data = dict(row.data)
    type_name = data.pop("asset_type", None)
    if type_name is not None and "asset_type_id" not in data:
        kinds = {kind.name.lower(): kind for kind in assets.asset_types(db, organization_id)}
        kind = kinds.get(str(type_name).strip().lower())
        if kind is None:
            raise DomainError(f"asset_type: no asset type named {type_name!r}", field="asset_type")
        data["asset_type_id"] = kind.id
    if "asset_type_id" in data:
        kind = assets.get_type(db, organization_id, data["asset_type_id"])
        labels = {item.label.lower(): item.key for item in assets.fields_by_type(db, organization_id).get(kind.id, [])}
        data = {labels.get(key.lower(), key): value for key, value in data.items()}
    return data


def _import_assets(db: Session, actor: Actor, rows: list[Row], summary: Summary,
                   advance: Callable[[int], None]) -> list[RowError]:
    errors: list[RowError] = []
    for row in rows:
        try:
            with db.begin_nested():
                assets.create_asset(db, actor, _asset_data(db, actor.organization_id, row), None)
            summary.created += 1
        except DomainError as exc:
            errors.append(RowError(row.where, exc.message))
        advance(1)
    return errors


# --- CMDB objects from an i-doit CSV export -------------------------------------------------------

CMDB_COLUMNS = {"title": "title", "object type": "type", "type": "type", "sysid": "sysid",
                "description": "description", "location": "location", "cmdb status": "cmdb_status",
                "cmdb-status": "cmdb_status", "objekttyp": "type", "titel": "title", "standort": "location",
                "beschreibung": "description"}


def _object_type(value: str) -> ObjectType:
    wanted = value.strip().lower()
    for kind in CATALOG.object_types.values():
        if wanted == kind.const.lower() or wanted in (title.lower() for title in kind.titles.values()):
            return kind
    raise DomainError(f"Object type: unknown object type {value!r}", field="Object type")


def _location(db: Session, organization_id: int, title: str, made: dict[str, int]) -> int:
    if title.lower() in made:
        return made[title.lower()]
    found = db.scalars(select(CmdbObject.id).where(CmdbObject.organization_id == organization_id,
                                                   func.lower(CmdbObject.title) == title.lower())).all()
    if len(found) != 1:
        problem = "no object" if not found else f"{len(found)} objects"
        raise DomainError(f"Location: {problem} titled {title!r}", field="Location")
    return found[0]


def _import_object(db: Session, actor: Actor, values: dict[str, str], made: dict[str, int]) -> None:
    if not values.get("title"):
        raise DomainError("Title: a title is required", field="Title")
    if not values.get("type"):
        raise DomainError("Object type: an object type is required", field="Object type")
    cmdb_status: dict[str, Any] = {}
    if values.get("cmdb_status"):
        state = states.find(db, actor.organization_id, values["cmdb_status"]) or next(
            (s for s in states.states_of(db, actor.organization_id).values()
             if values["cmdb_status"].lower() in (t.lower() for t in s.titles.values())), None)
        if state is None:
            raise DomainError(f"CMDB status: unknown status {values['cmdb_status']!r}", field="CMDB status")
        cmdb_status["cmdb_status"] = state.id
    obj = objects.create(db, actor, object_type=_object_type(values["type"]), title=values["title"],
                         sysid=values.get("sysid"), global_data={"description": values.get("description")},
                         **cmdb_status)
    if values.get("location"):
        parent = _location(db, actor.organization_id, values["location"], made)
        entries.save(db, actor, obj, entries.category_of("C__CATG__LOCATION"), {"parent": parent})
    made[obj.title.lower()] = obj.id


def _import_cmdb(db: Session, actor: Actor, rows: list[Row], summary: Summary,
                 advance: Callable[[int], None]) -> list[RowError]:
    errors: list[RowError] = []
    made: dict[str, int] = {}
    ignored: set[str] = set()
    for row in rows:
        values = {}
        for column, value in row.data.items():
            if (known := CMDB_COLUMNS.get(column.strip().lower())) is not None:
                values[known] = value
            else:
                ignored.add(column)
        try:
            with db.begin_nested():
                _import_object(db, actor, values, made)
            summary.created += 1
        except DomainError as exc:
            errors.append(RowError(row.where, exc.message))
        advance(1)
    summary.ignored_columns = sorted(ignored)
    return errors


# --- The import -----------------------------------------------------------------------------------

@contextmanager
def _transaction(sessions: sessionmaker[Session], keep: bool) -> Iterator[Session]:
    with sessions() as db:
        begin_for_writing(db)
        yield db
        if keep:
            db.commit()
        else:
            db.rollback()


def run(sessions: sessionmaker[Session], *, organization_id: int, kind: str, path: Path, dry_run: bool = False,
        advance: Callable[[int], None] = lambda _: None, rows: list[Row] | None = None) -> Summary:
    """Import a file; raises ImportFailed with every bad row, having written nothing."""
    rows = read_rows(path, kind) if rows is None else rows
    summary = Summary(kind=kind, rows=len(rows), dry_run=dry_run)
    unreadable = [RowError(row.where, row.problem) for row in rows if row.problem]
    readable = [row for row in rows if not row.problem]
    try:
        with _transaction(sessions, keep=not dry_run) as db:
            actor = actor_of(administrator(db, organization_id))
            if kind == "machines":
                errors = _import_machines(db, organization_id, readable, summary, advance)
            elif kind == "assets":
                errors = _import_assets(db, actor, readable, summary, advance)
            else:
                errors = _import_cmdb(db, actor, readable, summary, advance)
            if unreadable or errors:
                order = {row.where: n for n, row in enumerate(rows)}
                raise ImportFailed(sorted(unreadable + errors, key=lambda error: order.get(error.where, -1)))
    except DomainError as exc:  # a rule that only the whole batch can break
        raise ImportFailed([RowError("file", exc.message)]) from None
    return summary
