"""Running a plan: the count, the page of base rows, and the shaped sub-entities.

The number of statements is fixed by the request, never by the number of rows: one count (when
wanted), one probe (when a sub-entity filter needs a plan choice and no count tells it), one page
query, and one query per shaped sub-entity for the whole page (`WHERE base_id IN (page ids)`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, func, select

from estate.query.declare import BASE_ID, Field
from estate.query.plan import Plan, SubShape
from estate.query.render import Renderer, record, renderers

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
    statement = select(func.count()).select_from(plan.entity.table).where(*plan.where(semi_join=True))
    return int(db.execute(statement).scalar_one())


def _semi_join_cap(plan: Plan) -> int:
    return max(SEMI_JOIN_FLOOR, SEMI_JOIN_ROWS_PER_PAGE_ROW * ((plan.limit or 0) + plan.offset))


def _probe(db: Executor, plan: Plan, cap: int) -> int:
    """How many base rows match, counted no further than `cap`."""
    matches = select(plan.entity.id_column).where(*plan.where(semi_join=True)).limit(cap + 1).subquery()
    return int(db.execute(select(func.count()).select_from(matches)).scalar_one())


def use_semi_join(db: Executor, plan: Plan, total: int | None) -> bool:
    if not plan.has_positive_sub_filters:
        return False
    if plan.limit is None:
        return True  # every match is read anyway
    cap = _semi_join_cap(plan)
    matches = total if total is not None else _probe(db, plan, cap)
    return matches <= cap


def _columns(fields: tuple[Field, ...]) -> list[ColumnElement[Any]]:
    return [field.column.label(f"f{index}") for index, field in enumerate(fields)]


def base_statement(plan: Plan, *, semi_join: bool) -> Select[Any]:
    entity = plan.entity
    statement = (
        select(entity.id_column.label("base_id"), *_columns(plan.fields))
        .where(*plan.where(semi_join=semi_join))
        .order_by(*plan.order_by)
    )
    if plan.limit is not None:
        statement = statement.limit(plan.limit)
    if plan.offset:
        statement = statement.offset(plan.offset)
    return statement


def _sub_records(db: Executor, shape: SubShape, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    columns = _columns(shape.fields)
    statement = shape.sub.path.load(shape.target, columns, ids).order_by(BASE_ID, *shape.order_by)
    out: dict[int, list[dict[str, Any]]] = {}
    plan = renderers(shape.fields, shape.target.style)
    for row in db.execute(statement):
        out.setdefault(row[0], []).append(record(row[1:], plan))
    return out


def assemble(
    db: Executor, plan: Plan, rows: list[Any], shape_renderers: list[tuple[str, Renderer]]
) -> list[dict[str, Any]]:
    ids = [row[0] for row in rows]
    nested = [(shape.sub.key, _sub_records(db, shape, ids)) for shape in plan.shapes] if ids else []
    records = []
    for row in rows:
        item = record(row[1:], shape_renderers)
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
    statement = base_statement(plan, semi_join=use_semi_join(db, plan, total))
    rows = list(db.execute(statement))
    return Page(count=total, records=assemble(db, plan, rows, renderers(plan.fields, plan.entity.style)))


def stream_batches(db: Executor, plan: Plan) -> Iterator[list[dict[str, Any]]]:
    """Every matching record, BATCH_SIZE at a time, without holding them all."""
    statement = base_statement(plan, semi_join=use_semi_join(db, plan, None))
    result = db.execute(statement.execution_options(stream_results=True, yield_per=BATCH_SIZE))
    plan_renderers = renderers(plan.fields, plan.entity.style)
    for rows in result.partitions(BATCH_SIZE):
        yield assemble(db, plan, list(rows), plan_renderers)
