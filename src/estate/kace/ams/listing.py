"""Paging, sorting, filtering and shaping for the account management lists.

The reference's query language (see "Filtering", "Sorting", "Paging", "Shaping") applied to one
base entity whose fields are declared by the route. Field names only ever come from those
declarations; values are always bound parameters. Small on purpose: the general query engine of
the /api lists can take its place later without the routes changing their parameters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import Field as ModelField
from sqlalchemy import ColumnElement, Select, and_, false, func, not_, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

from estate.db.base import MAX_INT
from estate.errors import InvalidInput

TEXT, INT, BOOL, DATETIME = "text", "int", "bool", "datetime"
# Integer columns hold 32 bits on both databases; a larger number can name nothing and must not
# reach the driver (SQLite refuses it with an exception of its own).
Int32 = Annotated[int, ModelField(ge=-MAX_INT, le=MAX_INT)]
IdPath = Annotated[int, Path(ge=-MAX_INT, le=MAX_INT)]


def id_query(alias: str) -> Any:
    return Query(alias=alias, ge=-MAX_INT, le=MAX_INT)


def plain(value: str, field: str) -> str:
    """PostgreSQL text cannot hold NUL characters; they are refused before reaching it."""
    if "\x00" in value:
        raise InvalidInput(f"{field} must not contain NUL characters", field=field)
    return value
DEFAULT_LIMIT = 50
LEVELS = ("limited", "standard", "extended", "all")

# Aliases the reference lists for the same operator.
_ALIASES = {"neq": "ne", "nco": "nc", "nst": "ns", "end": "en", "nend": "nen"}
_COMPARISONS = {"eq", "ne", "lt", "le", "gt", "ge", "in", "nin", "ex", "nex"}
_TEXT_ONLY = {"co", "nc", "st", "ns", "en", "nen"}
_OPERATORS_BY_KIND = {
    TEXT: _COMPARISONS | _TEXT_ONLY,
    INT: _COMPARISONS,
    DATETIME: _COMPARISONS,
    BOOL: {"eq", "ne", "ex", "nex"},
}
_FILTER = re.compile(r"^(\S+)\s+(\S+)(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Field:
    column: ColumnElement[Any] | QueryableAttribute[Any]
    kind: str = TEXT


@dataclass(frozen=True)
class Entity:
    """What a list may be filtered and sorted by: its names (for `entity.field`) and its fields."""

    names: tuple[str, ...]
    fields: Mapping[str, Field]
    default_order: tuple[ColumnElement[Any] | QueryableAttribute[Any], ...]


@dataclass(frozen=True)
class Paging:
    limit: int | None
    offset: int


def _field(entity: Entity, name: str, parameter: str) -> Field:
    found = entity.fields.get(name)
    if found is None:
        prefix, _, rest = name.partition(".")
        if rest and prefix.lower() in entity.names:
            found = entity.fields.get(rest)
    if found is None:
        known = ", ".join(sorted(entity.fields))
        raise InvalidInput(f"unknown field {name!r} in {parameter}; known fields: {known}", field=parameter)
    return found


def _cast(field: Field, name: str, raw: str) -> Any:
    value = plain(raw.strip(), "filtering")
    try:
        if field.kind == INT:
            number = int(value)
            if abs(number) > MAX_INT:
                raise ValueError(value)
            return number
        if field.kind == DATETIME:
            return datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a valid value for {name}", field="filtering") from None
    if field.kind == BOOL:
        lowered = value.lower()
        if lowered not in ("true", "false", "1", "0"):
            raise InvalidInput(f"{value!r} is not a valid value for {name}; use true or false", field="filtering")
        return lowered in ("true", "1")
    return value


def _text_condition(column: ColumnElement[Any] | QueryableAttribute[Any], op: str, value: str) -> ColumnElement[bool]:
    # Text compares case-insensitively, as the appliance's database collation does.
    lowered, needle = func.lower(column), value.lower()
    positive = {
        "co": lowered.contains(needle, autoescape=True),
        "st": lowered.startswith(needle, autoescape=True),
        "en": lowered.endswith(needle, autoescape=True),
        "nc": lowered.contains(needle, autoescape=True),
        "ns": lowered.startswith(needle, autoescape=True),
        "nen": lowered.endswith(needle, autoescape=True),
    }[op]
    if op in ("co", "st", "en"):
        return positive
    return or_(column.is_(None), not_(positive))


def _condition(field: Field, name: str, op: str, raw: str | None) -> ColumnElement[bool]:
    column = field.column
    if op == "ex":
        return column.is_not(None)
    if op == "nex":
        return column.is_(None)
    if raw is None or raw.strip() == "":
        raise InvalidInput(f"the filter on {name} needs a value", field="filtering")
    if op in ("in", "nin"):
        values = [_cast(field, name, part) for part in raw.split(";") if part.strip()]
        if field.kind == TEXT:
            values = [value.lower() for value in values]
            column = func.lower(column)
        inside = column.in_(values)
        return inside if op == "in" else or_(field.column.is_(None), not_(inside))
    value = _cast(field, name, raw)
    if op in _TEXT_ONLY:
        return _text_condition(column, op, value)
    if field.kind == TEXT:
        column, value = func.lower(column), value.lower()
    comparisons = {
        "eq": lambda: column == value,
        "ne": lambda: or_(field.column.is_(None), column != value),
        "lt": lambda: column < value,
        "le": lambda: column <= value,
        "gt": lambda: column > value,
        "ge": lambda: column >= value,
    }
    return comparisons[op]()


def _wildcard(entity: Entity, op: str, raw: str | None) -> ColumnElement[bool]:
    if op not in _TEXT_ONLY | {"eq", "ne"}:
        raise InvalidInput(f"operator {op} does not fit the wildcard field *", field="filtering")
    texts = [field for field in entity.fields.values() if field.kind == TEXT]
    if not texts:
        return false()
    conditions = [_condition(field, "*", op, raw) for field in texts]
    # A negative operator must hold for every field, a positive one for any.
    return and_(*conditions) if op in ("ne", "nc", "ns", "nen") else or_(*conditions)


def contains_text(entity: Entity, text: str, field: str = "filter") -> ColumnElement[bool]:
    """Free text of the search routes: any text field of the entity contains it."""
    return _wildcard(entity, "co", plain(text, field))


def filter_conditions(entity: Entity, text: str | None) -> list[ColumnElement[bool]]:
    """`filtering=name co abc,id gt 10`: every filter must match."""
    conditions: list[ColumnElement[bool]] = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        match = _FILTER.match(part.strip())
        if match is None:
            raise InvalidInput(f"filter {part.strip()!r} is not `field operator value`", field="filtering")
        name, op, raw = match.group(1), match.group(2).lower(), match.group(3)
        op = _ALIASES.get(op, op)
        if name == "*":
            conditions.append(_wildcard(entity, op, raw))
            continue
        field = _field(entity, name, "filtering")
        if op not in _OPERATORS_BY_KIND[field.kind]:
            raise InvalidInput(f"operator {op!r} does not fit field {name}", field="filtering")
        conditions.append(_condition(field, name, op, raw))
    return conditions


def order_by(entity: Entity, text: str | None) -> list[ColumnElement[Any] | QueryableAttribute[Any]]:
    """`sorting=name desc,id`: left to right; the default order breaks ties so pages are stable."""
    clauses: list[ColumnElement[Any] | QueryableAttribute[Any]] = []
    for part in (text or "").split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise InvalidInput(f"sorting {part.strip()!r} is not `field [asc|desc]`", field="sorting")
        column = _field(entity, words[0], "sorting").column
        clauses.append(column.desc() if len(words) == 2 and words[1].lower() == "desc" else column.asc())
    return clauses + list(entity.default_order)


def _count(raw: str, what: str) -> int:
    try:
        number = int(raw)
    except ValueError:
        raise InvalidInput(f"{what} must be a whole number, not {raw!r}", field="paging") from None
    if number < 0 or number > MAX_INT:
        raise InvalidInput(f"{what} must be between 0 and {MAX_INT}", field="paging")
    return number


def parse_paging(text: str | None, offset: str | None = None, default_limit: int | None = DEFAULT_LIMIT) -> Paging:
    """`paging=limit 10 offset 20` in either order; `limit 0` or `limit ALL` returns every row.
    A separate `offset` parameter, as some routes declare it, wins over the one in `paging`."""
    limit: int | None = default_limit
    start = 0
    words = (text or "").split()
    if len(words) % 2:
        raise InvalidInput("paging is `limit N` and/or `offset M`", field="paging")
    for keyword, raw in zip(words[::2], words[1::2], strict=True):
        if keyword.lower() == "limit":
            limit = None if raw.upper() == "ALL" else (_count(raw, "limit") or None)
        elif keyword.lower() == "offset":
            start = _count(raw, "offset")
        else:
            raise InvalidInput(f"unknown paging word {keyword!r}; use limit and offset", field="paging")
    if offset is not None and offset.strip():
        try:
            start = int(offset)
        except ValueError:
            raise InvalidInput(f"offset must be a whole number, not {offset!r}", field="offset") from None
        if start < 0 or start > MAX_INT:
            raise InvalidInput(f"offset must be between 0 and {MAX_INT}", field="offset")
    return Paging(limit=limit, offset=start)


def parse_shaping(text: str | None, names: tuple[str, ...], default: str = "standard") -> str:
    """`shaping=organization limited`: the level of the base entity (no sub-entities here)."""
    level = default
    for part in (text or "").split(","):
        words = part.split()
        if not words:
            continue
        if len(words) != 2 or words[1].lower() not in LEVELS:
            raise InvalidInput(f"shaping {part.strip()!r} is not `entity level`", field="shaping")
        if words[0].lower() not in names:
            raise InvalidInput(f"unknown entity {words[0]!r} in shaping; use {names[0]}", field="shaping")
        level = words[1].lower()
    return level


@dataclass
class ListRequest:
    filtering: str | None = None
    sorting: str | None = None
    paging: str | None = None
    offset: str | None = None


def select_page(
    db: Session,
    query: Select[Any],
    entity: Entity,
    request: ListRequest,
    *,
    default_limit: int | None = DEFAULT_LIMIT,
    count: bool = False,
) -> tuple[list[Any], int | None]:
    """The rows of one page and, when asked, how many rows match in all (one more query)."""
    query = query.where(*filter_conditions(entity, request.filtering))
    paging = parse_paging(request.paging, request.offset, default_limit)
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) if count else None
    page = query.order_by(*order_by(entity, request.sorting)).offset(paging.offset)
    if paging.limit is not None:
        page = page.limit(paging.limit)
    return list(db.execute(page)), total


def paging_response(items: list[Any], count: int | None) -> dict[str, Any]:
    return {"count": count or 0, "items": items}


def parse_ids(values: list[str] | None, field: str = "ids") -> list[int]:
    """`ids` repeated (?ids=1&ids=2) or comma-separated (?ids=1,2), or both."""
    ids: list[int] = []
    for value in values or []:
        for part in value.split(","):
            if not part.strip():
                continue
            try:
                number = int(part)
            except ValueError:
                raise InvalidInput(f"{field} must be whole numbers, not {part.strip()!r}", field=field) from None
            if abs(number) > MAX_INT:
                raise InvalidInput(f"{field} holds a number out of range: {number}", field=field)
            ids.append(number)
    if not ids:
        raise InvalidInput(f"{field} is required", field=field)
    return list(dict.fromkeys(ids))


def parse_names(text: str | None, field: str) -> list[str]:
    return [plain(part.strip(), field) for part in (text or "").split(",") if part.strip()]
