"""Writing values the way the answers of an entity write them (see declare.Style)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from estate.query.declare import Field, Kind, Style

Renderer = Callable[[Any], Any]

# The appliance's MySQL answers a date that was never set as its zero date.
ZERO_DATE = "0000-00-00 00:00:00"


def _text(value: Any) -> Any:
    return "" if value is None else value


def _number_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _bool_text(value: Any) -> str:
    return "" if value is None else ("1" if value else "0")


def _same(value: Any) -> Any:
    return value


_TEXT_STYLE: dict[Kind, Renderer] = {
    Kind.TEXT: _text,
    Kind.INT: _number_text,
    Kind.NUMBER: _number_text,
    Kind.BOOL: _bool_text,
    Kind.DATETIME: _same,
}
_NATIVE_STYLE: dict[Kind, Renderer] = {
    Kind.TEXT: _same,
    Kind.INT: _same,
    Kind.NUMBER: _same,
    Kind.BOOL: _same,
    Kind.DATETIME: _same,
}


@dataclass(frozen=True)
class RecordShape:
    """How rows become records: the keys, and the few positions whose values need converting
    (texts arrive ready: their nulls are turned into "" by the database, see `selected`)."""

    names: tuple[str, ...]
    conversions: tuple[tuple[int, Renderer], ...]


# Kinds the database writes as each style wants them, so rows need no work in Python.
_WRITTEN_BY_THE_DATABASE = {
    Style.TEXT: {Kind.TEXT, Kind.INT, Kind.DATETIME},
    Style.NATIVE: {Kind.TEXT, Kind.INT, Kind.NUMBER, Kind.BOOL, Kind.DATETIME},
}


def record_shape(fields: Sequence[Field], style: Style) -> RecordShape:
    table = _TEXT_STYLE if style is Style.TEXT else _NATIVE_STYLE
    ready = _WRITTEN_BY_THE_DATABASE[style]
    return RecordShape(
        names=tuple(field.name for field in fields),
        conversions=tuple((index, table[field.kind]) for index, field in enumerate(fields) if field.kind not in ready),
    )


class stamp(FunctionElement[str]):  # noqa: N801 - named as the SQL functions it stands beside
    """A datetime column written `YYYY-MM-DD HH:MM:SS` by the database: converting ~150 datetimes
    per page in Python costs more than the page's query. Columns hold naive UTC (UTCDateTime);
    SQLite keeps them as ISO text, PostgreSQL as timestamps."""

    type = String()
    inherit_cache = True
    name = "stamp"


@compiles(stamp)
def _stamp_iso_text(element: stamp, compiler: SQLCompiler, **kw: Any) -> str:
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 19)"


@compiles(stamp, "postgresql")
def _stamp_postgresql(element: stamp, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD HH24:MI:SS')"


def selected(field: Field, style: Style) -> ColumnElement[Any]:
    """The column as selected: in the text style texts and integers come as strings, "" when missing
    (datetimes as the zero date); datetimes in either style as written by `stamp`."""
    if field.kind is Kind.DATETIME:
        return func.coalesce(stamp(field.column), ZERO_DATE) if style is Style.TEXT else stamp(field.column)
    if style is Style.TEXT and field.kind is Kind.TEXT:
        return func.coalesce(field.column, "")
    if style is Style.TEXT and field.kind is Kind.INT:
        return func.coalesce(cast(field.column, String), "")
    return field.column


def record(values: Sequence[Any], shape: RecordShape) -> dict[str, Any]:
    if shape.conversions:
        values = list(values)
        for index, convert in shape.conversions:
            values[index] = convert(values[index])
    return dict(zip(shape.names, values, strict=True))
