"""A plan's records as flat rows of chosen fields: one statement joining the sub-entities the fields
read (declare.Path.join), for reports. A one-to-many sub-entity gives a row per related row; a
many-to-one one adds its columns (an outer join keeps a base row that names none). Grouped, the
statement counts rows per distinct value of the grouped fields, largest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, func, select

from estate.query.declare import Field, Related, SubEntity
from estate.query.plan import Plan


@dataclass(frozen=True)
class Column:
    """A field of the base entity (`sub` None) or of one of its sub-entities."""

    field: Field
    sub: SubEntity | None = None


def _joined(plan: Plan, columns: Sequence[Column]) -> tuple[FromClause, dict[str, Related]]:
    source: FromClause = plan.entity.table
    related: dict[str, Related] = {}
    for column in columns:
        sub = column.sub
        if sub is not None and sub.name not in related:
            joined = Related(f"t_{sub.name}", sub.entity())
            source = sub.path.join(source, plan.entity.id_column, joined)
            related[sub.name] = joined
    return source, related


def _expression(column: Column, related: dict[str, Related]) -> ColumnElement[Any]:
    if column.sub is None:
        return column.field.column
    return related[column.sub.name].column(column.field.column)


def rows_statement(plan: Plan, columns: Sequence[Column]) -> Select[Any]:
    """The rows in the plan's order (its sub-entity sorts order each base row's related rows)."""
    source, related = _joined(plan, columns)
    expressions = [_expression(column, related).label(f"c{index}") for index, column in enumerate(columns)]
    order: list[ColumnElement[Any]] = list(plan.order_by)
    for shape in plan.shapes:
        joined = related.get(shape.sub.name)
        if joined is not None and not shape.sub.path.single:
            order += [joined.column(item) for item in shape.order_by[:-1]]
    order += [joined.column(joined.target.id_column) for name, joined in related.items()]
    statement = select(*expressions).select_from(source).where(*plan.where()).order_by(*order)
    return statement.limit(plan.limit) if plan.limit is not None else statement


def grouped_statement(plan: Plan, columns: Sequence[Column]) -> Select[Any]:
    """(values of `columns`..., count) per distinct values, the largest counts first."""
    source, related = _joined(plan, columns)
    expressions = [_expression(column, related) for column in columns]
    counted = func.count().label("n")
    statement = (select(*[item.label(f"c{index}") for index, item in enumerate(expressions)], counted)
                 .select_from(source).where(*plan.where()).group_by(*expressions)
                 .order_by(counted.desc(), *expressions))
    return statement.limit(plan.limit) if plan.limit is not None else statement
