"""Running a plan: the count, the page of base rows, and the shaped sub-entities.

The number of statements is fixed by the request, never by the number of rows: one count (when
wanted and the page cannot tell it), one bounded probe per sub-entity filter (when no count tells
which plan fits), one page query, and one query per shaped sub-entity for the whole page
(`WHERE base_id IN (page ids)`); a list of every record is read BATCH_SIZE base rows at a time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import groupby
from operator import itemgetter
from typing import Any, Protocol

from sqlalchemy import (
    Alias,
    Column,
    ColumnClause,
    ColumnElement,
    Connection,
    Dialect,
    FromClause,
    Select,
    Subquery,
    Table,
    UnaryExpression,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.visitors import replacement_traverse

from estate.query.conditions import Condition
from estate.query.declare import BASE_ID, Counting, Entity, Field, Kind, Nesting, Style, SubEntity
from estate.query.driving import Drivable, Driving, IndexFirst
from estate.query.plan import Plan, SubShape
from estate.query.render import RecordShape, record, record_shape, selected

# Rows fetched and written per round when every record is asked for (`limit ALL`).
BATCH_SIZE = 500
# A sub-entity filter matching at most this many base rows per requested row is answered by
# starting from the related rows (semi-join); above it, by walking the base rows in page order and
# testing each (EXISTS), which stops as soon as the page is full. The break-even of the two lies
# near sqrt(page × fleet); 40 rows per page row keeps the cheap side for pages up to fleets of
# ~100 000 without knowing the fleet's size.
SEMI_JOIN_ROWS_PER_PAGE_ROW = 40
SEMI_JOIN_FLOOR = 1000


class Executor(Protocol):
    def execute(self, statement: Any, /) -> Any: ...


@dataclass(frozen=True)
class Page:
    count: int | None
    records: list[dict[str, Any]]
    driven: Driven | None = None  # what driven_by_index found, for a count of the same plan


class Unknown(Enum):
    """Not asked yet (driven_by_index)."""

    UNKNOWN = 0


@dataclass(frozen=True)
class Driven:
    """The condition of a plan whose index starts the statement, and how."""

    condition: ColumnElement[bool]
    driving: Driving


def driven_by_index(db: Connection, plan: Plan) -> Driven | None:
    """The first condition its index answers alone for this plan on this database (decision
    0412); asking costs one small query when the condition ORs in other rows."""
    dialect = db.dialect.name
    for condition in plan.conditions:
        if not isinstance(condition, Drivable):
            continue
        for driving in condition.drivings:
            if driving.dialect != dialect:
                continue
            if driving.unless is None or not db.execute(select(driving.unless.exists())).scalar_one():
                return Driven(condition, driving)
    return None


def _where(conditions: list[Condition], driven: Driven | None) -> list[Condition]:
    if driven is None:
        return conditions
    return [driven.driving.match if condition is driven.condition else condition for condition in conditions]


def _source(plan: Plan, driven: Driven | None) -> FromClause:
    if driven is None or driven.driving.table is None:
        return plan.entity.table
    return IndexFirst(driven.driving.table, plan.entity.table)


def _order(plan: Plan, driven: Driven | None) -> tuple[ColumnElement[Any], ...]:
    """The plan's order; by id, the index table's own order (the id breaks ties, so a first key
    on the id is the whole order)."""
    first = plan.order_by[0] if plan.order_by else None
    if driven is None or driven.driving.table is None or not isinstance(first, UnaryExpression):
        return plan.order_by
    if not first.element.compare(plan.entity.id_column.expression):
        return plan.order_by
    index_id = driven.driving.table.index_id
    return (index_id.desc() if first.modifier is operators.desc_op else index_id.asc(),)


def count(session: Session | Connection, plan: Plan, *, driven: Driven | None | Unknown = Unknown.UNKNOWN) -> int:
    """The plan's count. Sub-entity filters count as semi-joins when the entity counts first:
    counting visits every match anyway, so starting from the related rows is cheapest; entities
    that count after the page test them row by row (see declare.Counting). `driven`: what
    driven_by_index answered for this plan, when it was asked already."""
    db = _core(session)
    if isinstance(driven, Unknown):
        driven = driven_by_index(db, plan)
    key = ("count", db.dialect.name, _driven_key(driven))
    return int(db.execute(_kept(plan, key, lambda: _count_statement(plan, driven))).scalar_one())


def _count_statement(plan: Plan, driven: Driven | None) -> Select[Any]:
    semi_joined = plan.positive_sub_filters if plan.entity.counting is Counting.FIRST else frozenset()
    source = _source(plan, driven)
    narrowing = _narrowing_of(source) if source is plan.entity.table else None
    table_id = narrowing.columns.get(id(plan.entity.id_column)) if narrowing is not None else None
    if narrowing is None:
        conditions = _where(plan.where(semi_joined), driven)
    elif table_id is None:
        source = narrowing.table
        conditions = [*narrowing.wall, *narrowing.narrowed(_where(plan.where(semi_joined), driven))]
    else:
        # The sub-entity filters are built on the table's id at once: narrowing them afterwards
        # would copy every statement nested in them (~1 ms for a title's semi-join).
        source = narrowing.table
        conditions = [*narrowing.wall, *narrowing.narrowed(_where(list(plan.conditions), driven)),
                      *plan.sub_conditions(semi_joined, table_id)]
    return select(func.count()).select_from(source).where(*conditions)


def _kept(plan: Plan, key: tuple[Any, ...], build: Callable[[], Select[Any]]) -> Select[Any]:
    """A statement of the plan, built once: a plan kept by `planned` runs the same statements
    again, and building one (its conditions coerced, a count's rewritten onto its table) cost
    about as much as running a selective one (docs/decisions/1103)."""
    statement = plan.statements.get(key)
    if statement is None:
        statement = plan.statements[key] = build()
    return statement


def _driven_key(driven: Driven | None) -> tuple[int, int] | None:
    return None if driven is None else (id(driven.condition), id(driven.driving))


@dataclass(frozen=True)
class _Narrowing:
    table: Table
    wall: list[ColumnElement[bool]]
    columns: dict[int, ColumnElement[Any]]  # by id of the subquery's column: the table's column

    def narrowed(self, conditions: list[Condition]) -> list[Condition]:
        """The conditions on the table's columns instead of the subquery's."""
        columns = self.columns

        def on_table(element: Any, **_: Any) -> Any:
            return columns.get(id(element))

        return [replacement_traverse(condition, {}, on_table) for condition in conditions]


# Built once per declared subquery (finding a select's FROM compiles it): keyed by identity, as
# declarations live as long as the process.
_narrowings: dict[int, _Narrowing | None] = {}


def _narrowing(source: FromClause) -> _Narrowing | None:
    if not isinstance(source, Subquery) or not isinstance(source.element, Select):
        return None
    inner = source.element
    froms = inner.get_final_froms()
    if len(froms) != 1 or not isinstance(froms[0], Table) or inner._group_by_clauses or inner._limit_clause is not None:
        return None
    table = froms[0]
    columns: dict[int, ColumnElement[Any]] = {}
    for outer, selected_column in zip(source.c, inner.selected_columns, strict=True):
        if not isinstance(selected_column, Column) or selected_column.table is not table:
            return None
        columns[id(outer)] = selected_column
    return _Narrowing(table, [] if inner.whereclause is None else [inner.whereclause], columns)


def _narrowing_of(source: FromClause) -> _Narrowing | None:
    """How a count of a declared subquery that is one table's rows under a condition (the machines
    not archived) counts that table under that condition: no select list of ~100 columns in the
    statement, and the database may answer from an index holding only the filtered columns."""
    if id(source) not in _narrowings:
        _narrowings[id(source)] = _narrowing(source)
    return _narrowings[id(source)]


def _semi_join_cap(plan: Plan) -> int:
    return max(SEMI_JOIN_FLOOR, SEMI_JOIN_ROWS_PER_PAGE_ROW * ((plan.limit or 0) + plan.offset))


def _related_rows_at_most(db: Executor, plan: Plan, index: int, cap: int) -> bool:
    """Whether the rows a sub-entity filter matches number at most `cap`, found by reading no
    more than cap + 1 of them from the index that drives the semi-join."""
    related = plan.sub_filters[index].related_base_ids().limit(cap + 1).subquery()
    return int(db.execute(select(func.count()).select_from(related)).scalar_one()) <= cap


def semi_joins(db: Executor, plan: Plan, total: int | None) -> frozenset[int]:
    """The positive sub-entity filters to run as semi-joins (see SEMI_JOIN_ROWS_PER_PAGE_ROW)."""
    positive = plan.positive_sub_filters
    if not positive or plan.limit is None:
        return positive  # with every match read anyway, starting from the related rows is cheapest
    cap = _semi_join_cap(plan)
    if total is not None:
        # Every filter matches at least the total: a small total makes each cheap to start from.
        return positive if total <= cap else frozenset()
    return frozenset(index for index in positive if _few_related_rows(db, plan, index, cap))


# How long a probe's answer is believed for the same plan: the share of rows a filter matches
# changes slowly, and either answer gives the same rows (only their cost differs).
PROBE_SECONDS = 30.0


def _few_related_rows(db: Executor, plan: Plan, index: int, cap: int) -> bool:
    known = plan.probed.get(index)
    now = time.monotonic()
    if known is not None and known[0] == cap and known[2] > now:
        return known[1]
    few = _related_rows_at_most(db, plan, index, cap)
    plan.probed[index] = (cap, few, now + PROBE_SECONDS)
    return few


# Selected columns per field list and dialect, built once: constructing and hashing ~100 labelled
# expressions per request cost more than running the query. Where SQLAlchemy would not convert
# any of the values (texts, integers, datetimes written by the database), each column is compiled
# once into a literal SQL fragment: one fragment per column, so that the result's columns match
# the statement's by position and SQLAlchemy keeps their description with the compiled statement
# (one fragment for the whole list was matched by name on every execution, ~0.25 ms for ~100
# columns; a statement kept with its plan computes its cache key once). Keyed by identity, as
# declarations live as long as the process.
_selected: dict[tuple[tuple[int, ...], Style, str], list[ColumnElement[Any]]] = {}


def _core(db: Session | Connection) -> Connection:
    """The Session's connection, in its transaction: statements run without the ORM, so rows are
    plain columns (and a page's columns may be one literal fragment, see _columns)."""
    return db if isinstance(db, Connection) else db.connection()


def _named_column(field: Field) -> bool:
    """A column of a table or a named subquery; an expression (a correlated subquery above all)
    must stay an expression to be compiled in its statement."""
    column = field.column
    return isinstance(column, ColumnClause) and isinstance(column.table, (Table, Subquery, Alias))


# Kinds whose selected values arrive as answered: texts and integers as they are, datetimes written
# by the database. Numbers and booleans may need SQLAlchemy's conversions (PostgreSQL numerics,
# SQLite booleans), so a list holding one stays a list of expressions.
_LITERAL_KINDS = frozenset({Kind.TEXT, Kind.INT, Kind.DATETIME})


def _arrives_as_answered(field: Field, expression: ColumnElement[Any], dialect: Dialect) -> bool:
    if field.kind not in _LITERAL_KINDS or not _named_column(field):
        return False
    return expression.type.dialect_impl(dialect).result_processor(dialect, None) is None


def _columns(fields: tuple[Field, ...], style: Style, dialect: Dialect) -> list[ColumnElement[Any]]:
    key = (tuple(id(field) for field in fields), style, dialect.name)
    columns = _selected.get(key)
    if columns is None:
        expressions = [selected(field, style) for field in fields]
        literal = bool(fields) and all(
            _arrives_as_answered(field, expression, dialect)
            for field, expression in zip(fields, expressions, strict=True)
        )
        if literal:
            compiled = (expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
                        for expression in expressions)
            columns = [literal_column(f"{sql} AS f{index}") for index, sql in enumerate(compiled)]
        else:
            columns = [expression.label(f"f{index}") for index, expression in enumerate(expressions)]
        _selected[key] = columns
    return columns


def base_statement(
    plan: Plan, semi_joined: frozenset[int], dialect: Dialect, *, probed: bool = False, driven: Driven | None = None
) -> Select[Any]:
    """The page's statement. `probed`: each semi-joined filter was found to match at most the cap
    of semi_joins, so its ids are few (read once as an array on PostgreSQL). `driven`: the
    statement starts from that condition's index (driven_by_index)."""
    key = ("page", dialect.name, semi_joined, probed, _driven_key(driven))
    return _kept(plan, key, lambda: _page_statement(plan, semi_joined, dialect, probed=probed, driven=driven))


def _page_statement(
    plan: Plan, semi_joined: frozenset[int], dialect: Dialect, *, probed: bool, driven: Driven | None
) -> Select[Any]:
    entity = plan.entity
    few_as_array = probed and dialect.name == "postgresql"
    source = _source(plan, driven)
    where = _where(plan.where(semi_joined, few_as_array=few_as_array), driven)
    order = _order(plan, driven)
    columns = (entity.id_column.label("base_id"), *_columns(plan.fields, entity.style, dialect))
    if dialect.name == "postgresql" and plan.limit is not None and source is entity.table and _ids_are_keys(entity):
        # The page's ids first, its columns for those rows only: PostgreSQL evaluates a select
        # list before the sort that picks the page, so a page of 50 among 4 000 matches computed
        # ~100 columns for all 4 000 (40 ms against 10 ms).
        ids = select(entity.id_column).select_from(source).where(*where).order_by(*order).limit(plan.limit)
        if plan.offset:
            ids = ids.offset(plan.offset)
        page = ids.correlate(None).scalar_subquery()
        return select(*columns).select_from(source).where(entity.id_column.in_(page)).order_by(*order)
    statement = select(*columns).select_from(source).where(*where).order_by(*order)
    if plan.limit is not None:
        statement = statement.limit(plan.limit)
    if plan.offset:
        statement = statement.offset(plan.offset)
    return statement


def _ids_are_keys(entity: Entity) -> bool:
    """Whether the entity's ids are its table's primary key (each names one row of the source), read
    through a declared subquery of that one table (see _narrowing)."""
    table: FromClause = entity.table
    id_column: ColumnElement[Any] | None = entity.id_column
    if not isinstance(table, Table):
        narrowing = _narrowing_of(table)
        if narrowing is None:
            return False
        table, id_column = narrowing.table, narrowing.columns.get(id(id_column))
    key = list(table.primary_key.columns) if isinstance(table, Table) else []
    return len(key) == 1 and key[0] is id_column


def _sub_records(db: Connection, shape: SubShape, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    columns = _columns(shape.fields, shape.target.style, db.dialect)
    statement = shape.sub.path.load(shape.target, columns, ids).order_by(BASE_ID, *shape.order_by)
    rendering = record_shape(shape.fields, shape.target.style)
    # Rows come ordered by base id: each base's records are one run of rows. A page may nest tens of
    # thousands of records (12 500 titles), so the loop stays free of calls it can do without, and
    # reads the rows as they come instead of holding them all beside their records.
    rows = db.execute(statement)
    if not rendering.plain:
        return {base: [record(row[1:], rendering) for row in run] for base, run in groupby(rows, itemgetter(0))}
    names = rendering.names
    return {base: [dict(zip(names, row[1:], strict=True)) for row in run] for base, run in groupby(rows, itemgetter(0))}


def _placement(nesting: Nesting, sub: SubEntity) -> tuple[str, bool]:
    """The key a sub-entity's records go under, and whether they go as one object (declare.Nesting)."""
    if nesting is Nesting.LISTS:
        return sub.key, False
    return sub.name, sub.path.single


def assemble(db: Connection, plan: Plan, rows: Sequence[Any], rendering: RecordShape) -> list[dict[str, Any]]:
    ids = [row[0] for row in rows]
    nested = [
        (*_placement(plan.entity.nesting, shape.sub), _sub_records(db, shape, ids)) for shape in plan.shapes
    ] if ids else []
    records = []
    for row in rows:
        item = record(row[1:], rendering)
        for key, single, by_base in nested:
            related = by_base.get(row[0], [])
            if not single:
                item[key] = related
            else:
                # A shaped reference to nothing keeps its key, as null (a ticket without an owner).
                item[key] = related[0] if related else None
        records.append(item)
    return records


def _page_count(db: Connection, plan: Plan, shown: int, driven: Driven | None) -> int:
    """The Count of a page read without it: a page shorter than its limit that holds rows or starts
    at the first one is the last, and tells the Count itself; otherwise it is counted."""
    short = plan.limit is None or shown < plan.limit
    if short and (shown or not plan.offset):
        return plan.offset + shown
    return count(db, plan, driven=driven)


def _records(db: Connection, plan: Plan, total: int | None, driven: Driven | None) -> list[dict[str, Any]]:
    rendering = record_shape(plan.fields, plan.entity.style)
    if plan.limit is None:
        # Every record, held in memory (the faces stream large lists instead, see stream_batches);
        # sub-entities are still loaded per batch, keeping each id list a statement can bind.
        rows = db.execute(base_statement(plan, semi_joins(db, plan, None), db.dialect)).all()
        batches = (rows[start:start + BATCH_SIZE] for start in range(0, len(rows), BATCH_SIZE))
        return [item for batch in batches for item in assemble(db, plan, batch, rendering)]
    probed = total is None
    statement = base_statement(plan, semi_joins(db, plan, total), db.dialect, probed=probed, driven=driven)
    return assemble(db, plan, db.execute(statement).all(), rendering)


def fetch_page(session: Session | Connection, plan: Plan) -> Page:
    """The plan's records and, when asked, its Count, found as the entity counts (declare.Counting)."""
    db = _core(session)
    driven = driven_by_index(db, plan)
    if plan.count_only:
        return Page(count=count(db, plan, driven=driven), records=[], driven=driven)
    total = None
    if plan.use_count and plan.entity.counting is Counting.FIRST:
        total = count(db, plan, driven=driven)
        if total == 0:
            return Page(count=0, records=[], driven=driven)
    records = _records(db, plan, total, driven)
    if plan.use_count and total is None:
        total = _page_count(db, plan, len(records), driven)
    return Page(count=total, records=records, driven=driven)


def stream_batches(session: Session | Connection, plan: Plan) -> Iterator[list[dict[str, Any]]]:
    """Every matching record, BATCH_SIZE at a time, without holding them all."""
    db = _core(session)
    statement = base_statement(plan, semi_joins(db, plan, None), db.dialect)
    result = db.execute(statement.execution_options(stream_results=True, yield_per=BATCH_SIZE))
    rendering = record_shape(plan.fields, plan.entity.style)
    for rows in result.partitions(BATCH_SIZE):
        yield assemble(db, plan, list(rows), rendering)
