"""Attribute values: checking what a client writes against the catalog, and shaping what a read
returns (dialogs as {id, title, const, title_lang}, object links as object summaries). Reads load
every referenced dialog entry and object of a page in two queries."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from estate.cmdb import dialogs, states, types
from estate.cmdb.catalog import (
    CATALOG,
    CMDB_STATUS,
    CONVERT,
    DIALOG,
    OBJECT,
    OBJECT_TYPE,
    YES_NO,
    Attribute,
    Category,
    State,
)
from estate.cmdb.models import DIALOGS, OBJECTS, CategoryEntry, CmdbObject
from estate.db.base import MAX_INT
from estate.errors import InvalidInput

NUMBER_TYPES = {"int", "float", "double"}
# A timestamp as SQLAlchemy stores it on SQLite: its first 19 characters are already the answer.
_STORED_STAMP = re.compile(r"[1-9]\d{3}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?")
# The shapes of _STORED_STAMP's matches, every digit written 0: a page's timestamps are checked
# by their shapes, in C (bytes.translate, a set), instead of one match each.
_ZERO_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_STORED_SHAPES = frozenset(b"0000-00-00 00:00:00" + (b"." + b"0" * n if n else b"") for n in range(7))
_SQLALCHEMY_SHAPE = b"0000-00-00 00:00:00.000000"  # what SQLAlchemy writes: microseconds, always


def stamp(moment: datetime | str | None) -> str | None:
    """A UTC timestamp as i-doit answers it ("YYYY-MM-DD HH:MM:SS"), from a datetime (PostgreSQL,
    ORM objects) or from the text SQLite stores, which reads pass through unparsed: parsing a
    thousand of them is most of the time of shaping a page."""
    if moment is None:
        return None
    if isinstance(moment, str):
        if _STORED_STAMP.fullmatch(moment):
            return moment[:19]
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    # isoformat is done in C; strftime is slower.
    return moment.isoformat(" ", "seconds")[:19]


def stamps(moments: list[Any]) -> list[str | None]:
    """stamp of each of ``moments`` (a column of a page of rows), in passes over the whole column
    when all are of one common form: a call of stamp per value was a fifth of shaping a page of
    1 000 objects."""
    present = [moment for moment in moments if moment is not None]
    if not present:
        return [None] * len(moments)
    answers = _from_stored_text(present) or _from_naive_datetimes(present)
    if answers is None:
        return [stamp(moment) for moment in moments]
    if len(answers) == len(moments):
        return answers
    found = iter(answers)
    return [None if moment is None else next(found) for moment in moments]


def _from_stored_text(moments: list[Any]) -> list[str | None] | None:
    """The first 19 characters of each, when all are text stored by SQLite of _STORED_STAMP's form."""
    try:
        lines = "\n".join(moments).encode("ascii")
    except (TypeError, UnicodeEncodeError):  # datetimes (PostgreSQL), or text of another form
        return None
    return [moment[:19] for moment in moments] if _stored_shapes(lines, len(moments)) else None


def _from_naive_datetimes(moments: list[Any]) -> list[str | None] | None:
    """Each formatted, when all are naive datetimes (UTC, as PostgreSQL's driver hands them over)."""
    try:
        answers: list[str | None] = [moment.isoformat(" ", "seconds") for moment in moments]
    except (AttributeError, TypeError):  # text, or dates
        return None
    # A naive datetime's is 19 characters long, an aware one's longer (its offset).
    return answers if sum(map(len, cast(list[str], answers))) == 19 * len(answers) else None


def _stored_shapes(lines: bytes, count: int) -> bool:
    """Whether ``lines`` are ``count`` lines (none of the values held a line end of its own), each
    of a stored shape."""
    if lines.count(b"\n") != count - 1:
        return False
    shapes = lines.translate(_ZERO_DIGITS)
    return shapes == b"\n".join([_SQLALCHEMY_SHAPE] * count) or set(shapes.split(b"\n")) <= _STORED_SHAPES


def parsed(raw: Any) -> dict[str, Any]:
    """Stored values: PostgreSQL's driver parses JSON, SQLite hands over its text."""
    if not isinstance(raw, str):
        return raw
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:  # what orjson refuses and json reads (NaN, integers beyond 64 bits)
        return json.loads(raw)


def _field(attribute: Attribute) -> str:
    return f"data.{attribute.key}"


def _number(attribute: Attribute, value: Any) -> int | float:
    try:
        if attribute.data_type == "int":
            if isinstance(value, float) and value.is_integer():
                return int(value)
            return int(str(value).strip())
        return float(str(value).strip().replace(",", "."))
    except (TypeError, ValueError):
        raise InvalidInput(f"{attribute.key} must be a number", field=_field(attribute)) from None


def _date(attribute: Attribute, value: Any) -> str:
    raw = str(value).strip()
    try:
        if attribute.data_type == "date":
            return date.fromisoformat(raw[:10]).isoformat()
        return datetime.fromisoformat(raw).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise InvalidInput(f"{attribute.key} must be a date (YYYY-MM-DD)", field=_field(attribute)) from None


def _plain(attribute: Attribute, value: Any) -> Any:
    if isinstance(value, dict | list):
        raise InvalidInput(f"{attribute.key} takes a single value", field=_field(attribute))
    if attribute.data_type in NUMBER_TYPES:
        if isinstance(value, str) and not value.strip():
            return None
        return _number(attribute, value)
    if attribute.data_type in ("date", "date_time"):
        return _date(attribute, value) if str(value).strip() else None
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _object_id(db: Session, organization_id: int, attribute: Attribute, value: Any) -> int:
    if isinstance(value, dict) and "id" in value:
        value = value["id"]
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        raise InvalidInput(f"{attribute.key} takes an object id", field=_field(attribute))
    found = db.scalar(
        select(CmdbObject.id).where(CmdbObject.id == int(value), CmdbObject.organization_id == organization_id)
    )
    if found is None:
        raise InvalidInput(f"{attribute.key}: object {value} not found", field=_field(attribute))
    return found


def _dialog_id(db: Session, organization_id: int, attribute: Attribute, value: Any, parent_id: int | None) -> int:
    """The row id of the entry a client names: by its id (a number or numeric string, as i-doit
    ships and counts them), its constant, or its title (created when missing, as dialog+ does)."""
    if isinstance(value, dict):
        value = value.get("id", value.get("const", value.get("title")))
    if isinstance(value, bool) or value is None:
        raise InvalidInput(f"{attribute.key} takes a dialog id, constant or title", field=_field(attribute))
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        entry = dialogs.by_number(db, organization_id, attribute.dialog, int(value)) if int(value) <= MAX_INT else None
        if entry is not None:
            if parent_id is not None and entry.parent_id not in (None, parent_id):
                raise InvalidInput(
                    f"{attribute.key}: dialog entry {value} belongs to another {attribute.parent_dialog} value",
                    field=_field(attribute),
                )
            return entry.id
        if isinstance(value, int):
            raise InvalidInput(f"{attribute.key}: dialog entry {value} not found", field=_field(attribute))
    if not isinstance(value, str):
        raise InvalidInput(f"{attribute.key} takes a dialog id, constant or title", field=_field(attribute))
    return dialogs.find_or_create(db, organization_id, attribute.dialog, value, parent_id, field=_field(attribute)).id


def _entry_id(db: Session, organization_id: int, attribute: Attribute, value: Any) -> int:
    """An id of an entry of the attribute's target category in the organization (entry-references.tsv)."""
    entry_id = _number(attribute, value)
    found = db.scalar(
        select(CategoryEntry.id).where(
            CategoryEntry.id == entry_id,
            CategoryEntry.organization_id == organization_id,
            CategoryEntry.category_const == attribute.entry_category,
        )
    )
    if found is None:
        raise InvalidInput(
            f"{attribute.key}: no {attribute.entry_category} entry {value} in this tenant", field=_field(attribute)
        )
    return found


def _parent_value(category: Category, attribute: Attribute, values: dict[str, Any]) -> int | None:
    if attribute.parent_dialog is None:
        return None
    for other in category.attributes.values():
        if other.dialog == attribute.parent_dialog:
            parent = values.get(other.key)
            return parent if isinstance(parent, int) else None
    return None


def coerce(
    db: Session, organization_id: int, category: Category, data: dict[str, Any], current: dict[str, Any]
) -> dict[str, Any]:
    """The stored values after applying ``data`` to ``current``; unknown attributes are refused."""
    unknown = sorted(key for key in data if key not in category.attributes)
    if unknown:
        raise InvalidInput(f"category {category.const} has no attribute {unknown[0]!r}", field=f"data.{unknown[0]}")
    values = dict(current)
    # Parents first, so that a dependent value (a model) lands under the manufacturer given with it.
    ordered = sorted(data, key=lambda key: category.attributes[key].parent_dialog is not None)
    for key in ordered:
        attribute, value = category.attributes[key], data[key]
        if value is None:
            values.pop(key, None)
        elif attribute.kind == DIALOG:
            parent_id = _parent_value(category, attribute, values)
            values[key] = _dialog_id(db, organization_id, attribute, value, parent_id)
        elif attribute.kind == OBJECT:
            items = value if isinstance(value, list) else [value]
            ids = [_object_id(db, organization_id, attribute, item) for item in items]
            values[key] = ids if isinstance(value, list) else ids[0]
        elif attribute.kind == OBJECT_TYPE:
            object_type = types.find(db, organization_id, value)
            if object_type is None:
                raise InvalidInput(f"unknown object type {value!r}", field=_field(attribute))
            values[key] = object_type.const
        elif attribute.kind == CMDB_STATUS:
            state = states.find(db, organization_id, value)
            if state is None:
                raise InvalidInput(f"unknown CMDB status {value!r}", field=_field(attribute))
            values[key] = state.id
        elif attribute.entry_category is not None and not (isinstance(value, str) and not value.strip()):
            if isinstance(value, dict | list):
                raise InvalidInput(f"{attribute.key} takes a single value", field=_field(attribute))
            values[key] = _entry_id(db, organization_id, attribute, value)
        else:
            values[key] = _plain(attribute, unshaped(attribute, value))
    return values


@dataclass
class References:
    """Dialog entries and objects referred to by a set of entries, loaded once."""

    dialog_entries: dict[int, Any]  # rows of id, number, title, const
    objects: dict[int, Any]  # rows of id, title, sysid, type_const
    cmdb_states: dict[int, State] = field(default_factory=lambda: CATALOG.cmdb_states)


def _ids(value: Any) -> list[int]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, int)]
    return [value] if isinstance(value, int) else []


def _shows_cmdb_status(category: Category) -> bool:
    # The global category shows its object's CMDB status as an attribute.
    return category.const == "C__CATG__GLOBAL" or any(a.kind == CMDB_STATUS for a in category.attributes.values())


def load_references(db: Session, organization_id: int, rows: Iterable[tuple[Category, dict[str, Any]]]) -> References:
    dialog_ids: set[int] = set()
    object_ids: set[int] = set()
    categories: set[str] = set()
    wants_states = False
    for category, values in rows:
        if category.const not in categories:
            categories.add(category.const)
            wants_states = wants_states or _shows_cmdb_status(category)
        for key, value in values.items():
            attribute = category.attributes.get(key)
            if attribute is None:
                continue
            if attribute.kind == DIALOG:
                dialog_ids.update(_ids(value))
            elif attribute.kind == OBJECT:
                object_ids.update(_ids(value))
    objects: dict[int, Any] = {}
    if object_ids:
        query = select(OBJECTS.c.id, OBJECTS.c.title, OBJECTS.c.sysid, OBJECTS.c.type_const).where(
            OBJECTS.c.organization_id == organization_id, OBJECTS.c.id.in_(sorted(object_ids))
        )
        objects = {row.id: row for row in db.execute(query).all()}
    found_dialogs: dict[int, Any] = {}
    if dialog_ids:
        query = select(DIALOGS.c.id, DIALOGS.c.number, DIALOGS.c.title, DIALOGS.c.const).where(
            DIALOGS.c.organization_id == organization_id, DIALOGS.c.id.in_(sorted(dialog_ids))
        )
        found_dialogs = {row.id: row for row in db.execute(query).all()}
    references = References(found_dialogs, objects)
    if wants_states:
        references.cmdb_states = states.states_of(db, organization_id)
    return references


def dialog_shape(entry: Any, language: str) -> dict[str, Any] | None:
    if entry is None:
        return None
    title = CATALOG.translate(entry.title, language)
    return {"id": str(entry.number), "title": title, "const": entry.const, "title_lang": title}


def object_summary(row: Any, language: str) -> dict[str, Any] | None:
    if row is None:
        return None
    object_type = CATALOG.object_types.get(row.type_const)
    return {
        "id": str(row.id),
        "title": row.title,
        "sysid": row.sysid,
        "type": row.type_const,
        "type_title": object_type.titles[language] if object_type else row.type_const,
    }


YES_NO_TITLES = {"en": ("No", "Yes"), "de": ("Nein", "Ja")}


def _shaped(shape: str, value: Any, language: str) -> Any:
    """A value in the shape i-doit answers it: a value with a unit as {"title": number} (clients
    read it with float()), a yes/no as {"value": "1", "title": "Yes"}, an address of a net's list
    as {"ref_id", "ref_title", "ref_type"}."""
    if shape == CONVERT:
        return {"title": value}
    if shape == YES_NO:
        yes = str(value) not in ("0", "", "False")
        return {"value": "1" if yes else "0", "title": YES_NO_TITLES[language][yes]}
    return {"ref_id": None, "ref_title": str(value), "ref_type": "C__CATS__NET_IP_ADDRESSES"}


def unshaped(attribute: Attribute, value: Any) -> Any:
    """A value a client sends back in the shape it read it in ({"title": 2.4}): the value itself."""
    if attribute.shape and isinstance(value, dict):
        for key in ("title", "value", "ref_title"):
            if key in value:
                return value[key]
    return value


def render(attribute: Attribute, value: Any, refs: References, language: str) -> Any:
    if attribute.kind == DIALOG:
        return dialog_shape(refs.dialog_entries.get(value), language) if isinstance(value, int) else None
    if attribute.kind == OBJECT:
        if isinstance(value, list):
            return [s for s in (object_summary(refs.objects.get(v), language) for v in value) if s]
        return object_summary(refs.objects.get(value), language) if isinstance(value, int) else None
    if attribute.kind == OBJECT_TYPE:
        if not isinstance(value, str):
            return None
        object_type = CATALOG.object_type(value)
        if object_type is None:  # a type the organization made: its constant stands for it
            return {"id": None, "title": value, "const": value, "title_lang": value}
        title = object_type.titles[language]
        return {"id": str(object_type.id), "title": title, "const": object_type.const, "title_lang": title}
    if attribute.kind == CMDB_STATUS:
        state = refs.cmdb_states.get(value) if isinstance(value, int) else None
        if state is None:
            return None
        title = state.titles[language]
        return {"id": str(state.id), "title": title, "const": state.const, "title_lang": title}
    if value is None:
        return "" if attribute.data_type in ("text", "text_area") and not attribute.shape else None
    if attribute.shape:
        return _shaped(attribute.shape, value, language)
    # i-doit answers plain values as strings, numbers included.
    if isinstance(value, float) and value.is_integer() and attribute.data_type != "int":
        return f"{value:.2f}"
    return str(value)


def searchable_text(category: Category, values: dict[str, Any], refs: References | None = None) -> list[str]:
    """Text values of an entry for the search index (dialog titles included when known)."""
    parts: list[str] = []
    for key, value in values.items():
        attribute = category.attributes.get(key)
        if attribute is None or value in (None, ""):
            continue
        if attribute.kind == DIALOG and refs is not None and isinstance(value, int):
            entry = refs.dialog_entries.get(value)
            if entry is not None:
                parts.append(entry.title)
        elif attribute.kind not in (DIALOG, OBJECT, OBJECT_TYPE, CMDB_STATUS) and attribute.data_type in (
            "text",
            "text_area",
        ):
            parts.append(str(value))
    return parts
