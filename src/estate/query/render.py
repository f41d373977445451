"""Writing values the way the answers of an entity write them (see declare.Style)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from estate.query.declare import Field, Kind, Style, SubEntity

Renderer = Callable[[Any], Any]

# The appliance's MySQL answers a date that was never set as its zero date.
ZERO_DATE = "0000-00-00 00:00:00"


def _number_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _bool_text(value: Any) -> str:
    return "" if value is None else ("1" if value else "0")


def _iso(value: Any) -> Any:
    return None if value is None else value.isoformat()


_TEXT_STYLE: dict[Kind, Renderer] = {
    Kind.NUMBER: _number_text,
    Kind.BOOL: _bool_text,
}
_ISO_STYLE: dict[Kind, Renderer] = {
    Kind.DATETIME: _iso,
}
# The kinds each style converts in Python; the database writes every other kind as the style wants
# it (see `selected`), so most rows need no work in Python.
_CONVERSIONS = {Style.TEXT: _TEXT_STYLE, Style.NATIVE: {}, Style.ISO: _ISO_STYLE}


@dataclass(frozen=True)
class RecordShape:
    """How rows become records: the keys, the few positions whose values need converting, and
    whether dotted names nest (see declare.Nesting)."""

    names: tuple[str, ...]
    conversions: tuple[tuple[int, Renderer], ...]
    nested: bool

    @property
    def plain(self) -> bool:
        """Rows become records by zipping names and values, nothing more."""
        return not self.conversions and not self.nested


# Built once per field list and style: a page asks for its shape on every request. Keyed by the
# fields' identities, as declarations live as long as the process; the entry holds the fields, so
# no identity in a key is ever reused by another object.
_shapes: dict[tuple[tuple[int, ...], Style], tuple[tuple[Field, ...], RecordShape]] = {}


def record_shape(fields: Sequence[Field], style: Style) -> RecordShape:
    key = (tuple(id(field) for field in fields), style)
    kept = _shapes.get(key)
    if kept is None:
        kept = _shapes[key] = (tuple(fields), _record_shape(fields, style))
    return kept[1]


def _record_shape(fields: Sequence[Field], style: Style) -> RecordShape:
    table = _CONVERSIONS[style]
    return RecordShape(
        names=tuple(field.name for field in fields),
        conversions=tuple(
            (index, table[field.kind]) for index, field in enumerate(fields)
            if field.kind in table and not field.as_text
        ),
        nested=any("." in field.name for field in fields),
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
    """The column as selected: in the text style texts and integers come as strings, "" when missing;
    datetimes written by `stamp`, the zero date when missing (ISO: as stored, converted by `_iso`)."""
    if field.as_text:
        return func.coalesce(cast(field.column, String), "") if style is Style.TEXT else cast(field.column, String)
    if field.kind is Kind.DATETIME:
        return field.column if style is Style.ISO else func.coalesce(stamp(field.column), ZERO_DATE)
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
    flat = dict(zip(shape.names, values, strict=True))
    return _nest(flat) if shape.nested else flat


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    """`{"account.id": 1, "account.login": "x"}` → `{"account": {"id": 1, "login": "x"}}`, in the
    place of the group's first field; a group whose first field is null is null."""
    nested: dict[str, Any] = {}
    empty: set[str] = set()
    for key, value in flat.items():
        prefix, dot, rest = key.partition(".")
        if not dot:
            nested[key] = value
            continue
        if prefix not in nested:
            nested[prefix] = {}
            if value is None:
                empty.add(prefix)
        nested[prefix][rest] = value
    for prefix in empty:
        nested[prefix] = None
    return nested


# How many pages nesting lists (a machine's titles, processes, services) a process builds at once.
# Such a page holds its records until it is written: 50 machines with their titles at 40 % of a
# fleet are ~13 000 records, ~5.5 MB. One process runs Python one thread at a time, so building
# more at once answers no sooner; it only holds more pages in memory at the same time, and the heap
# keeps the peak after they are gone (docs/benchmarks.md, memory per worker). Two let one page's
# statements run in the database while the other page's records are built.
NESTED_PAGES_AT_ONCE = 2
_nested_pages = threading.BoundedSemaphore(NESTED_PAGES_AT_ONCE)


@contextmanager
def building(subs: Sequence[SubEntity]) -> Iterator[None]:
    """Held while a page with these shaped sub-entities is read and written, when one of them nests
    a list: at most NESTED_PAGES_AT_ONCE such pages are in memory at once."""
    if all(sub.path.single for sub in subs):
        yield
        return
    with _nested_pages:
        yield
