"""One filter term on one declared field → a SQLAlchemy condition with bound values.

Operators read as a table: each positive operator is one small function; a negative operator is
the negation of its positive twin, and counts a null as "does not match" (the appliance stores
empty strings where we store nulls, so `name nc x` must keep a machine without a name)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Integer,
    SmallInteger,
    and_,
    false,
    func,
    not_,
    or_,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from estate.errors import InvalidInput
from estate.query.declare import Condition, Field, Kind


class CaseFreeLike(ColumnElement[bool]):
    """A LIKE match ignoring case. SQLite's own LIKE already ignores the case of ASCII letters, and
    its lower() folds only those: `lower(name) LIKE lower(?)` (what ilike becomes there) means the
    same as `name LIKE ?`, but calls lower() on every row, 4-5x the time of a count over an index
    (decision 1100). Elsewhere it is the dialect's own case-free match (ILIKE on PostgreSQL)."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True
    _traverse_internals = [("folded", InternalTraversal.dp_clauseelement),
                           ("plain", InternalTraversal.dp_clauseelement)]

    def __init__(self, folded: ColumnElement[bool], plain: ColumnElement[bool]) -> None:
        self.folded = folded
        self.plain = plain


@compiles(CaseFreeLike)
def _case_free_like(element: CaseFreeLike, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.folded, **kw)})"


@compiles(CaseFreeLike, "sqlite")
def _case_free_like_sqlite(element: CaseFreeLike, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.plain, **kw)})"


_POSITIVE: dict[str, Callable[[ColumnElement[Any], Any], Condition]] = {
    "eq": lambda column, value: column == value,
    "lt": lambda column, value: column < value,
    "le": lambda column, value: column <= value,
    "gt": lambda column, value: column > value,
    "ge": lambda column, value: column >= value,
    # LIKE matching ignores case, as on the appliance; % and _ in values match themselves.
    "co": lambda column, value: CaseFreeLike(column.icontains(value, autoescape=True),
                                             column.contains(value, autoescape=True)),
    "st": lambda column, value: CaseFreeLike(column.istartswith(value, autoescape=True),
                                             column.startswith(value, autoescape=True)),
    "en": lambda column, value: CaseFreeLike(column.iendswith(value, autoescape=True),
                                             column.endswith(value, autoescape=True)),
    "in": lambda column, values: column.in_(values),
}
# Text equality ignores case too, as the appliance's database collation does: clients send
# `hd_status.name eq new` and expect the status "New".
_TEXT_EQUALITY: dict[str, Callable[[ColumnElement[Any], Any], Condition]] = {
    "eq": lambda column, value: func.lower(column) == value.lower(),
    "in": lambda column, values: func.lower(column).in_([value.lower() for value in values]),
}
NEGATIVE = {"ne": "eq", "nc": "co", "ns": "st", "nen": "en", "nin": "in"}
TEXT_MATCHING = {"co", "nc", "st", "ns", "en", "nen"}
ORDERING = {"lt", "le", "gt", "ge"}

ALLOWED: dict[Kind, frozenset[str]] = {
    Kind.TEXT: frozenset({"eq", "ne", "lt", "le", "gt", "ge", "in", "nin", "ex", "nex"} | TEXT_MATCHING),
    Kind.INT: frozenset({"eq", "ne", "lt", "le", "gt", "ge", "in", "nin", "ex", "nex"}),
    Kind.NUMBER: frozenset({"eq", "ne", "lt", "le", "gt", "ge", "in", "nin", "ex", "nex"}),
    Kind.DATETIME: frozenset({"eq", "ne", "lt", "le", "gt", "ge", "in", "nin", "ex", "nex"}),
    Kind.BOOL: frozenset({"eq", "ne", "in", "nin", "ex", "nex"}),
    Kind.JSON: frozenset(),
}
# The widest whole number a field's column holds: a value is bound as the column's type (PostgreSQL
# casts it), so a larger one is refused by name rather than failing in the database.
_WHOLE_RANGES: tuple[tuple[type[Integer], int], ...] = ((BigInteger, 2**63 - 1), (SmallInteger, 2**15 - 1),
                                                        (Integer, 2**31 - 1))

# Each written form with the span of time it names: answers show whole seconds, so a value written
# to the second means that whole second, and a date means its whole day.
_DATETIME_FORMATS = (
    ("%Y-%m-%d %H:%M:%S", timedelta(seconds=1)),
    ("%Y-%m-%dT%H:%M:%S", timedelta(seconds=1)),
    ("%Y-%m-%d %H:%M", timedelta(minutes=1)),
    ("%Y-%m-%dT%H:%M", timedelta(minutes=1)),
    ("%Y-%m-%d", timedelta(days=1)),
)
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n"}


def check_operator(field: Field, operator: str, shown: str) -> None:
    if operator not in ALLOWED[field.kind]:
        raise InvalidInput(
            f"operator {operator!r} does not fit the {field.kind.value} field {field.name!r} in filter {shown!r}",
            field="filtering",
        )


def cast(field: Field, raw: str, shown: str) -> Any:
    """The filter's text as a value of the field's type; casting is as broad as the reference asks."""
    if field.kind is Kind.TEXT:
        return raw
    try:
        if field.kind is Kind.INT:
            return _whole(raw, field, shown)
        if field.kind is Kind.NUMBER:
            number = float(raw)
            if not math.isfinite(number):
                raise ValueError(raw)
            return number
        if field.kind is Kind.BOOL:
            lowered = raw.lower()
            if lowered in _TRUE | _FALSE:
                return lowered in _TRUE
            raise ValueError(raw)
        return parse_datetime(raw)
    except ValueError:
        raise InvalidInput(
            f"value {raw!r} is not a valid {field.kind.value} for field {field.name!r} in filter {shown!r}",
            field="filtering",
        ) from None


def _whole(raw: str, field: Field, shown: str) -> int:
    """A whole number the field's column holds (ValueError when it is none)."""
    number = int(raw)
    widest = next((most for kind, most in _WHOLE_RANGES if isinstance(field.column.type, kind)), 2**63 - 1)
    if not -widest - 1 <= number <= widest:
        raise InvalidInput(f"value {raw!r} is out of range for the int field {field.name!r} in filter {shown!r}",
                           field="filtering")
    return number


@dataclass(frozen=True)
class Span:
    """A written time: from `start`, lasting `length` (see _DATETIME_FORMATS)."""

    start: datetime
    length: timedelta

    @property
    def end(self) -> datetime:
        return self.start + self.length


def parse_datetime(raw: str) -> Span:
    text = raw.strip().removesuffix("Z")
    for pattern, length in _DATETIME_FORMATS:
        try:
            return Span(datetime.strptime(text, pattern).replace(tzinfo=UTC), length)
        except ValueError:
            continue
    parsed = datetime.fromisoformat(text)
    return Span(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC), timedelta(microseconds=1))


_SPAN: dict[str, Callable[[ColumnElement[Any], Any], Condition]] = {
    "eq": lambda column, span: and_(column >= span.start, column < span.end),
    "lt": lambda column, span: column < span.start,
    "le": lambda column, span: column < span.end,
    "gt": lambda column, span: column >= span.end,
    "ge": lambda column, span: column >= span.start,
    "in": lambda column, spans: or_(*(and_(column >= span.start, column < span.end) for span in spans)),
}


def present(field: Field) -> Condition:
    """A value is recorded: not null, and for text not empty either."""
    column = field.column
    if field.kind is Kind.TEXT:
        return and_(column.is_not(None), column != "")
    return column.is_not(None)


def field_condition(field: Field, operator: str, raw: str, shown: str) -> Condition:
    check_operator(field, operator, shown)
    if operator == "ex":
        return present(field)
    if operator == "nex":
        return not_(present(field))
    if field.kind is Kind.TEXT and operator in ("eq", "ne") and raw == "":
        # Answers write a missing text as "", so "" must find it too.
        return not_(present(field)) if operator == "eq" else present(field)
    positive = NEGATIVE.get(operator, operator)
    if positive == "in":
        value: Any = [cast(field, part.strip(), shown) for part in raw.split(";") if part.strip()]
        if not value:
            return true() if operator == "nin" else false()
    else:
        value = cast(field, raw, shown)
    matched = _operators(field, positive)[positive](field.column, value)
    if operator in NEGATIVE:
        return or_(field.column.is_(None), not_(matched))
    return matched


def _operators(field: Field, operator: str) -> dict[str, Callable[[ColumnElement[Any], Any], Condition]]:
    if field.kind is Kind.DATETIME:
        return _SPAN
    if field.kind is Kind.TEXT and operator in _TEXT_EQUALITY:
        return _TEXT_EQUALITY
    return _POSITIVE


def wildcard_operator(operator: str, shown: str) -> str:
    """The positive operator a wildcard filter applies to each field (the caller negates the whole)."""
    positive = NEGATIVE.get(operator, operator)
    if positive in ("ex", "nex"):
        raise InvalidInput(f"operator {operator!r} does not fit the wildcard field '*' in filter {shown!r}",
                           field="filtering")
    return positive


def any_field_matches(fields: tuple[Field, ...], positive: str, raw: str, shown: str) -> Condition:
    """Any of the fields matches; fields whose type does not fit the operator or value are skipped,
    since `* co ABC` means "any field where that makes sense"."""
    matches = []
    for field in fields:
        if positive not in ALLOWED[field.kind]:
            continue
        try:
            matches.append(field_condition(field, positive, raw, shown))
        except InvalidInput:
            continue
    return or_(*matches) if matches else false()


def negate(condition: Condition) -> Condition:
    return not_(func.coalesce(condition, false()))
