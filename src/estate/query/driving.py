"""A condition answered from an entity's own search index, answered by that index alone.

The ticket wildcard is "the text is in the ticket's own fields, or in its owner's or submitter's
name", written as `id IN (index matches UNION tickets of matching people)`. The database lists
every id of that before the first row of a page: 80 000 ids for a word found in 40 % of 200 000
tickets. When no person matches (one small query tells), the condition is the index's match alone:
on PostgreSQL a plain condition on the row, which the planner combines with the others; on SQLite
the FTS5 table starts the statement, joined to the base table, and hands rows over in its own
order, which is the base id's, so a page in id order stops once it is full and a count visits each
match once (decision 0412)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import ColumnElement, FromClause
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import CompoundSelect, Join, Select
from sqlalchemy.sql.visitors import InternalTraversal


@dataclass(frozen=True, eq=False)
class IndexTable:
    """An index kept in a table of its own (SQLite's FTS5), joined to the base table on `on`."""

    source: FromClause
    on: ColumnElement[bool]
    index_id: ColumnElement[Any]  # the index's row id, which is the base id, in whose order it yields rows
    # An index of the base table holding (organization, id, the columns lists filter on): each
    # match is checked there instead of in its row. SQLite always prefers the rowid for `id = ?`,
    # so the statement names it.
    probe_index: str | None = None


@dataclass(frozen=True, eq=False)
class Driving:
    dialect: str  # the database this applies to
    match: ColumnElement[bool]  # what stands for the condition
    # Base ids ORed into the condition besides the index's (tickets of people whose name matches):
    # the index answers alone only when this finds none.
    unless: Select[Any] | CompoundSelect | None = None
    table: IndexTable | None = None  # the index starts the statement; None: it is the base table's own


@runtime_checkable
class Drivable(Protocol):
    drivings: tuple[Driving, ...]  # at most one per database


class IndexFirst(Join):
    """The index joined to the base table, the index read first. SQLite's planner, estimating a
    virtual table's rowid lookups as cheap, may otherwise walk the base table and look each row up
    in the index: seconds instead of milliseconds."""

    inherit_cache = True
    _traverse_internals = [*Join._traverse_internals, ("probe_index", InternalTraversal.dp_string)]

    def __init__(self, index: IndexTable, base: FromClause) -> None:
        super().__init__(index.source, base, index.on)
        self.probe_index = index.probe_index


@compiles(IndexFirst, "sqlite")
def _index_first(element: IndexFirst, compiler: SQLCompiler, **kw: Any) -> str:
    # CROSS JOIN is SQLite's way to fix the order of a join. Both sides are plain table names, so
    # the first " JOIN " and " ON " are the join's own.
    joined = str(compiler.visit_join(element, **kw)).replace(" JOIN ", " CROSS JOIN ", 1)
    if element.probe_index is None:
        return joined
    return joined.replace(" ON ", f" INDEXED BY {compiler.preparer.quote(element.probe_index)} ON ", 1)
