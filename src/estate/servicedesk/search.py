"""The ticket wildcard through the trigram index of migration 0010_ticket_search (decision 0410).

`* co printer` keeps the appliance's meaning, "some field contains the text, whatever the case",
and is answered from the index instead of reading every ticket of the organization:

- SQLite: the FTS5 table `hd_ticket_search` (trigram tokenizer, rowid = ticket id) finds the text
  as one phrase of trigrams, which is exactly a case-insensitive substring of one column.
- PostgreSQL: `ILIKE '%text%'` on each column, which the columns' pg_trgm GIN indexes answer.

Texts shorter than a trigram cannot be looked up this way; they are matched field by field."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    and_,
    column,
    literal,
    literal_column,
    or_,
    select,
    table,
    union,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from estate.query.conditions import any_field_matches
from estate.query.declare import Field
from estate.query.driving import Driving, IndexTable
from estate.servicedesk.models import Ticket

MIN_LENGTH = 3
# The ticket columns the index covers, which are the ticket's wildcard fields.
COLUMNS = (Ticket.title, Ticket.summary, Ticket.cc_list, Ticket.resolution)
# Operators whose every match contains the value: the index narrows them to the tickets holding it.
CONTAINING = frozenset({"co", "st", "en", "eq"})

_index = table("hd_ticket_search", column("rowid"))
# Migration 0012_ticket_search_probe (SQLite).
PROBE_INDEX = "ix_hd_tickets_search_probe"


class PerDialect(ColumnElement[bool]):
    """One condition on SQLite and another elsewhere. Both keep their values bound, so a statement
    holding this is cached like any other."""

    inherit_cache = True
    type = Boolean()
    # A condition in its own right: SQLAlchemy must not compare it with 1 where booleans are numbers.
    _is_implicitly_boolean = True
    _traverse_internals = [
        ("on_sqlite", InternalTraversal.dp_clauseelement),
        ("elsewhere", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, on_sqlite: ColumnElement[bool], elsewhere: ColumnElement[bool]) -> None:
        self.on_sqlite = on_sqlite
        self.elsewhere = elsewhere


@compiles(PerDialect)
def _per_dialect(element: PerDialect, compiler: SQLCompiler, **kw: Any) -> str:
    chosen = element.on_sqlite if compiler.dialect.name == "sqlite" else element.elsewhere
    return f"({compiler.process(chosen, **kw)})"


def _phrase(value: str) -> str:
    """An FTS5 string: the whole value as one phrase, its double quotes doubled, so nothing a
    client writes is read as query syntax."""
    return '"' + value.replace('"', '""') + '"'


def _like_pattern(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class TicketSearch(PerDialect):
    """The wildcard through the index, which answers it alone when no owner or submitter name
    matches (decision 0412): `drivings` say how on each database."""

    inherit_cache = True

    def __init__(self, on_sqlite: ColumnElement[bool], elsewhere: ColumnElement[bool],
                 drivings: tuple[Driving, ...]) -> None:
        super().__init__(on_sqlite, elsewhere)
        self.drivings = drivings


def _index_match(value: str) -> ColumnElement[bool]:
    return literal_column("hd_ticket_search").match(literal(_phrase(value)))


def _own_ids(value: str, narrowed: ColumnElement[bool] | None, *, on_sqlite: bool) -> Select[Any]:
    """Ids of the tickets whose indexed columns contain `value` (and meet `narrowed`)."""
    if on_sqlite:
        found = select(_index.c.rowid).where(_index_match(value))
        if narrowed is None:
            return found
        return select(Ticket.id).where(Ticket.id.in_(found), narrowed)
    return select(Ticket.id).where(_narrowed(_own_match(value), narrowed))


def _own_match(value: str) -> ColumnElement[bool]:
    """PostgreSQL: the ticket's own columns contain `value`, which their pg_trgm indexes answer."""
    pattern = literal(_like_pattern(value))
    return or_(*(item.ilike(pattern, escape="\\") for item in COLUMNS))


def _any_of(own: Select[Any], related: tuple[Select[Any], ...]) -> ColumnElement[bool]:
    return Ticket.id.in_(union(own, *related) if related else own)


def wildcard(
    fields: tuple[Field, ...], positive: str, value: str, related: tuple[Select[Any], ...]
) -> ColumnElement[bool] | None:
    """Tickets whose own wildcard fields match `positive value` through the index, or whose ids
    are in `related` (owners and submitters matching), as one id list the query can start from;
    None when the index cannot answer (a short value, an operator that does not imply containment)."""
    if positive not in CONTAINING or len(value) < MIN_LENGTH:
        return None
    # starts with / ends with / equals: the index finds the candidates, the fields decide.
    narrowed = None if positive == "co" else any_field_matches(fields, positive, value, value)
    unless = union(*related) if related else None
    fts = IndexTable(source=_index, on=Ticket.id == _index.c.rowid, index_id=_index.c.rowid, probe_index=PROBE_INDEX)
    drivings = (
        Driving("sqlite", _narrowed(_index_match(value), narrowed), unless, fts),
        Driving("postgresql", _narrowed(_own_match(value), narrowed), unless),
    )
    return TicketSearch(_any_of(_own_ids(value, narrowed, on_sqlite=True), related),
                        _any_of(_own_ids(value, narrowed, on_sqlite=False), related), drivings)


def _narrowed(match: ColumnElement[bool], narrowed: ColumnElement[bool] | None) -> ColumnElement[bool]:
    return match if narrowed is None else and_(match, narrowed)
