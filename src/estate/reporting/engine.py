"""A definition run through the query engine: its rows, as a table of typed values.

The definition's `filtering` and `sorting` are planned against its entity exactly as a KACE list's
parameters are (unknown names are a 400 naming `definitionData.<part>`), within the caller's walls;
the records come in batches (query.stream_batches) and become rows: one per record, or one per
related record when a column reads a sub-entity (`Software.Display_name`). Grouping counts rows per
distinct value of its fields."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from estate.auth.permissions import Caller
from estate.errors import Forbidden, InvalidInput
from estate.query import Entity, Kind, QueryTerms, plan_query, stream_batches
from estate.query.declare import Nesting, SubEntity
from estate.query.parse import ShapeTerm, parse_filtering, parse_sorting
from estate.reporting.definition import Definition, Grouping, resolve_moments
from estate.reporting.sources import source_of

ZERO_DATES = ("", "0000-00-00 00:00:00", "0000-00-00")
Row = list[Any]


@dataclass(frozen=True)
class Reader:
    """How one column's value is read from a record: from the base record, or from a sub-entity's
    records under `key` (a list, or one object for a many-to-one sub-entity)."""

    name: str
    kind: Kind
    key: str | None = None
    single: bool = True  # a many-to-one sub-entity: at most one related record, no row of its own


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


def _reader(entity: Entity, name: str, definition_part: str) -> tuple[Reader, SubEntity | None]:
    prefix, dot, rest = name.rpartition(".")
    own = entity.field(name)
    if own is not None:
        return Reader(own.name, own.kind), None
    sub = entity.subentity(prefix) if dot else None
    if sub is None:
        raise InvalidInput(f"unknown field {name!r} of {entity.name}", field=definition_part)
    target = sub.entity().field(rest)
    if target is None:
        raise InvalidInput(f"unknown field {rest!r} of {sub.name}", field=definition_part)
    key = sub.key if entity.nesting is Nesting.LISTS else sub.name
    return Reader(target.name, target.kind, key, sub.path.single), sub


def _plan_part(definition: Definition, part: str, parse: Any) -> Any:
    raw = getattr(definition, part)
    try:
        return parse(resolve_moments(raw) if part == "filtering" else raw)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=f"definitionData.{part}") from None


def typed(value: Any, kind: Kind) -> Any:
    """A value as the report holds it, whatever the entity's answer style: numbers as numbers,
    moments as aware datetimes, nothing as None."""
    if value is None:
        return None
    if kind is Kind.DATETIME:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if value in ZERO_DATES:
            return None
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if kind in (Kind.INT, Kind.NUMBER) and isinstance(value, str):
        if value == "":
            return None
        try:
            return int(value)
        except ValueError:
            return float(value)
    return value


def tabulate(db: Session, definition: Definition, caller: Caller) -> Table:
    source = source_of(definition.entity)
    if not caller.can(source.area):
        raise Forbidden(f"your role does not allow you to read {source.area}")
    entity = source.entity
    names = [column.field for column in definition.fields]
    if definition.grouping is not None:
        names += [name for name in definition.grouping.by if name not in names]
    readers: list[Reader] = []
    subs: dict[str, SubEntity] = {}
    for index, name in enumerate(names):
        reader, sub = _reader(entity, name, f"definitionData.fields.{index}")
        readers.append(reader)
        if sub is not None:
            subs[sub.name] = sub
    multiple = [sub.name for sub in subs.values() if not sub.path.single]
    if len(multiple) > 1:
        raise InvalidInput(f"a report reads at most one list of related rows of {entity.name}; these fields read "
                           f"{', '.join(multiple)}", field="definitionData.fields")
    shaping = (ShapeTerm(entity=entity.name, level="all"),
               *(ShapeTerm(entity=sub.name, level="all") for sub in subs.values()))
    terms = QueryTerms(filters=_plan_part(definition, "filtering", parse_filtering),
                       sorts=_plan_part(definition, "sorting", parse_sorting),
                       shaping=shaping, limit=None, use_count=False)
    try:
        plan = plan_query(entity, terms, scope=source.scope(caller))
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=f"definitionData.{exc.field or 'fields'}") from None
    kinds = [reader.kind for reader in readers]
    rows = _rows(stream_batches(db, plan), readers, definition.limit)
    if definition.grouping is not None:
        return _grouped(definition, definition.grouping, names, readers, rows)
    return Table(definition.title, definition.columns(), kinds, rows, definition)


def _one(found: Any) -> dict[str, Any]:
    if isinstance(found, list):
        return found[0] if found else {}
    return found or {}


def _rows(batches: Iterator[list[dict[str, Any]]], readers: list[Reader], limit: int | None) -> Iterator[Row]:
    """A row per record, or per related record of the one sub-entity that has many."""
    listed = next((reader.key for reader in readers if reader.key is not None and not reader.single), None)
    produced = 0
    for batch in batches:
        for record in batch:
            related: list[dict[str, Any]] = [{}] if listed is None else (record.get(listed) or [])
            own = [None if reader.key is not None else typed(record.get(reader.name), reader.kind)
                   for reader in readers]
            for index, reader in enumerate(readers):
                if reader.key is not None and reader.single:
                    own[index] = typed(_one(record.get(reader.key)).get(reader.name), reader.kind)
            for item in related:
                yield [typed(item.get(reader.name), reader.kind) if reader.key == listed and listed is not None
                       else own[index] for index, reader in enumerate(readers)]
                produced += 1
                if limit is not None and produced >= limit:
                    return


def _grouped(definition: Definition, grouping: Grouping, names: list[str], readers: list[Reader],
             rows: Iterator[Row]) -> Table:
    by = [names.index(name) for name in grouping.by]
    counts: Counter[tuple[Any, ...]] = Counter(tuple(row[index] for index in by) for row in rows)
    # Largest groups first, then by value: what a "by" report is read for.
    ordered = sorted(counts.items(), key=lambda item: (-item[1], tuple(_sort_key(v) for v in item[0])))
    kinds = [readers[index].kind for index in by] + [Kind.INT]
    grouped = ([*values, count] for values, count in ordered)
    return Table(definition.title, definition.columns(), kinds, grouped, definition)


def _sort_key(value: Any) -> tuple[int, str]:
    return (value is None, str(value) if value is not None else "")
