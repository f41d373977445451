"""A definition run through the query engine: its rows, as a table of typed values.

The definition's `filtering` and `sorting` are planned against its entity exactly as a KACE list's
parameters are (unknown names are a 400 naming `definitionData.<part>`), within the caller's walls;
its fields become one flat statement (query.tabulate): a row per record, or per related record when
a column reads a one-to-many sub-entity (`Software.Display_name`); grouping is counted by the
database. Rows are read in batches, so that a report of millions of rows streams."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from estate.auth.permissions import Caller
from estate.errors import Forbidden, InvalidInput
from estate.query import Entity, Kind, QueryTerms, Scope, plan_query
from estate.query.parse import ShapeTerm, parse_filtering, parse_sorting
from estate.query.tabulate import Column, grouped_statement, rows_statement
from estate.reporting.definition import Definition, resolve_moments
from estate.reporting.sources import source_of

ZERO_DATES = ("", "0000-00-00 00:00:00", "0000-00-00")
BATCH = 5000
Row = Sequence[Any]


@dataclass
class Table:
    title: str
    columns: list[str]
    kinds: list[Kind]
    rows: Iterator[Row]
    definition: Definition
    generated: datetime = field(default_factory=lambda: datetime.now(UTC))

    def materialized(self) -> Table:
        rows = list(self.rows)
        return Table(self.title, self.columns, self.kinds, iter(rows), self.definition, self.generated)


def _column(entity: Entity, name: str, definition_part: str) -> Column:
    own = entity.field(name)
    if own is not None:
        return Column(own)
    prefix, dot, rest = name.rpartition(".")
    sub = entity.subentity(prefix) if dot else None
    if sub is None:
        raise InvalidInput(f"unknown field {name!r} of {entity.name}", field=definition_part)
    target = sub.entity().field(rest)
    if target is None:
        raise InvalidInput(f"unknown field {rest!r} of {sub.name}", field=definition_part)
    return Column(target, sub)


def _plan_part(definition: Definition, part: str, parse: Any) -> Any:
    raw = getattr(definition, part)
    try:
        return parse(resolve_moments(raw) if part == "filtering" else raw)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=f"definitionData.{part}") from None


def typed(value: Any, kind: Kind) -> Any:
    """A value as the report holds it: moments as aware datetimes (UTC), a text moment parsed."""
    if kind is not Kind.DATETIME or value is None:
        return value
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if value in ZERO_DATES:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Prepared:
    statement: Any
    kinds: list[Kind]


def prepare(definition: Definition, scope: Scope) -> Prepared:
    """The definition checked against its entity's declaration (a 400 naming the part otherwise)
    and planned within `scope`: the statement of its rows and their kinds."""
    entity = source_of(definition.entity).entity
    grouping = definition.grouping
    names = [column.field for column in definition.fields] if grouping is None else list(grouping.by)
    columns = [_column(entity, name, _part_of(definition, name, index)) for index, name in enumerate(names)]
    listed = {column.sub.name for column in columns if column.sub is not None and not column.sub.path.single}
    if len(listed) > 1:
        raise InvalidInput(f"a report reads at most one list of related rows of {entity.name}; these fields read "
                           f"{', '.join(sorted(listed))}", field="definitionData.fields")
    terms = QueryTerms(filters=_plan_part(definition, "filtering", parse_filtering),
                       sorts=_plan_part(definition, "sorting", parse_sorting) if grouping is None else (),
                       shaping=(ShapeTerm(entity=entity.name, level="limited"),),
                       limit=definition.limit, use_count=False)
    try:
        plan = plan_query(entity, terms, scope=scope)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=f"definitionData.{exc.field or 'fields'}") from None
    kinds = [column.field.kind for column in columns]
    if grouping is None:
        return Prepared(rows_statement(plan, columns), kinds)
    return Prepared(grouped_statement(plan, columns), [*kinds, Kind.INT])


def check(definition: Definition, *, organization_id: int) -> None:
    """What a report would refuse, refused when the definition is stored."""
    prepare(definition, Scope(organization_id=organization_id, visible=None))


def tabulate(db: Session, definition: Definition, caller: Caller) -> Table:
    source = source_of(definition.entity)
    if not caller.can(source.area):
        raise Forbidden(f"your role does not allow you to read {source.area}")
    prepared = prepare(definition, source.scope(caller))
    return Table(definition.title, definition.columns(), prepared.kinds, _rows(db, prepared.statement, prepared.kinds),
                 definition)


def _part_of(definition: Definition, name: str, index: int) -> str:
    """Where a field is named in the document, for errors."""
    if definition.grouping is not None:
        return f"definitionData.grouping.by.{index}"
    return f"definitionData.fields.{index}"


def _rows(db: Session, statement: Any, kinds: list[Kind]) -> Iterator[Row]:
    """The statement's rows, read BATCH rows at a time; moments made aware."""
    moments = [index for index, kind in enumerate(kinds) if kind is Kind.DATETIME]
    result = db.connection().execute(statement.execution_options(stream_results=True, yield_per=BATCH))
    for rows in result.partitions(BATCH):
        if not moments:
            yield from rows  # sqlalchemy Rows are tuples: csv and the other writers take them as they are
            continue
        for row in rows:
            values = list(row)
            for index in moments:
                values[index] = typed(values[index], Kind.DATETIME)
            yield values
