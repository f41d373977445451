"""Running a plan: the count, the page of base rows, and the shaped sub-entities.

The number of statements is fixed by the request, never by the number of rows: one count (when
wanted), one bounded probe per sub-entity filter (when no count tells which plan fits), one page
query, and one query per shaped sub-entity for the whole page (`WHERE base_id IN (page ids)`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, func, select

from estate.query.declare import BASE_ID, Field, Style
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


def count(db: Executor, plan: Plan) -> int:
    # Counting is driven from the related rows: it visits every match anyway.
    statement = select(func.count()).select_from(plan.entity.table).where(*plan.where(plan.positive_sub_filters))
    return int(db.execute(statement).scalar_one())


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
    return frozenset(index for index in positive if _related_rows_at_most(db, plan, index, cap))


# Selected columns per field list, built once: constructing ~100 labelled expressions costs more
# than running the query. Keyed by identity, as declarations live as long as the process.
_selected: dict[tuple[tuple[int, ...], Style], list[ColumnElement[Any]]] = {}


def _columns(fields: tuple[Field, ...], style: Style) -> list[ColumnElement[Any]]:
    key = (tuple(id(field) for field in fields), style)
    columns = _selected.get(key)
    if columns is None:
        columns = [selected(field, style).label(f"f{index}") for index, field in enumerate(fields)]
        _selected[key] = columns
    return columns


def base_statement(plan: Plan, semi_joined: frozenset[int]) -> Select[Any]:
    entity = plan.entity
    statement = (
        select(entity.id_column.label("base_id"), *_columns(plan.fields, entity.style))
        .where(*plan.where(semi_joined))
        .order_by(*plan.order_by)
    )
    if plan.limit is not None:
        statement = statement.limit(plan.limit)
    if plan.offset:
        statement = statement.offset(plan.offset)
    return statement


def _sub_records(db: Executor, shape: SubShape, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    columns = _columns(shape.fields, shape.target.style)
    statement = shape.sub.path.load(shape.target, columns, ids).order_by(BASE_ID, *shape.order_by)
    out: dict[int, list[dict[str, Any]]] = {}
    rendering = record_shape(shape.fields, shape.target.style)
    for row in db.execute(statement):
        out.setdefault(row[0], []).append(record(row[1:], rendering))
    return out


def assemble(db: Executor, plan: Plan, rows: list[Any], rendering: RecordShape) -> list[dict[str, Any]]:
    ids = [row[0] for row in rows]
    nested = [(shape.sub.key, _sub_records(db, shape, ids)) for shape in plan.shapes] if ids else []
    records = []
    for row in rows:
        item = record(row[1:], rendering)
        for key, by_base in nested:
            item[key] = by_base.get(row[0], [])
        records.append(item)
    return records


def fetch_page(db: Executor, plan: Plan) -> Page:
    total = count(db, plan) if plan.use_count or plan.count_only else None
    if plan.count_only:
        return Page(count=total, records=[])
    if total == 0:
        return Page(count=0, records=[])
    statement = base_statement(plan, semi_joins(db, plan, total))
    rows = list(db.execute(statement))
    return Page(count=total, records=assemble(db, plan, rows, record_shape(plan.fields, plan.entity.style)))


def stream_batches(db: Executor, plan: Plan) -> Iterator[list[dict[str, Any]]]:
    """Every matching record, BATCH_SIZE at a time, without holding them all."""
    statement = base_statement(plan, semi_joins(db, plan, None))
    result = db.execute(statement.execution_options(stream_results=True, yield_per=BATCH_SIZE))
    rendering = record_shape(plan.fields, plan.entity.style)
    for rows in result.partitions(BATCH_SIZE):
        yield assemble(db, plan, list(rows), rendering)
