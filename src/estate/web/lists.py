"""Console lists on the one query engine (estate.query): the search box's filters, sortable
columns, paging without a count (the count is its own request), and every row for CSV export.
Every console list goes through here, so that the engine is called from one place."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Engine
from sqlalchemy.orm import Session

from estate.errors import InvalidInput
from estate.query import Entity, Scope
from estate.query.declare import Field, normalize
from estate.query.parse import parse_query
from estate.query.plan import Plan, plan_query
from estate.query.run import count, fetch_page, stream_batches
from estate.web.search_box import filtering_of

PAGE_SIZE = 50


@dataclass(frozen=True)
class ListRequest:
    """What a list page asks: the search box text, the sort (`Name` or `-Name`), the page, the columns."""

    search: str = ""
    sort: str = ""
    page: int = 1
    columns: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()  # filters of the page itself (`hd_queue_id eq 3`), in the engine's syntax

    def query_string(self, **changes: Any) -> str:
        chosen = replace(self, **changes)
        pairs: list[tuple[str, str]] = []
        if chosen.search:
            pairs.append(("q", chosen.search))
        if chosen.sort:
            pairs.append(("sort", chosen.sort))
        if chosen.page > 1:
            pairs.append(("page", str(chosen.page)))
        pairs.extend(("col", name) for name in chosen.columns)
        return urlencode(pairs)


@dataclass(frozen=True)
class ListPage:
    request: ListRequest
    columns: tuple[Field, ...]
    records: list[dict[str, Any]]
    has_next: bool


def column_fields(entity: Entity, names: Sequence[str], default: Sequence[str]) -> tuple[Field, ...]:
    """The chosen columns as declared fields (unknown names are refused, not dropped), id first."""
    wanted = list(names) or list(default)
    chosen: list[Field] = []
    for name in wanted:
        found = entity.field(name)
        if found is None:
            raise InvalidInput(f"unknown column {name!r} of {entity.name}", field="col")
        if found not in chosen:
            chosen.append(found)
    identity = next(item for item in entity.fields if same_name(item.name, entity.id_field))
    return tuple([identity, *(item for item in chosen if item is not identity)])


def _sorting(entity: Entity, sort: str) -> str:
    name = sort.lstrip("-")
    if not name:
        return ""
    if entity.field(name) is None:
        raise InvalidInput(f"cannot sort by {name!r}", field="sort")
    return f"{name} desc" if sort.startswith("-") else name


def _filtering(entity: Entity, request: ListRequest) -> str:
    parts = [*request.filters, filtering_of(request.search)]
    return ",".join(part for part in parts if part)


def plan_list(entity: Entity, request: ListRequest, *, scope: Scope, columns: tuple[Field, ...],
              limit: int | None = PAGE_SIZE, extra: tuple[ColumnElement[bool], ...] = (),
              shaping: str = "") -> Plan:
    params = {"filtering": _filtering(entity, request), "sorting": _sorting(entity, request.sort),
              "paging": f"limit {limit + 1 if limit else 'ALL'} offset {(max(request.page, 1) - 1) * (limit or 0)}",
              "use_count": "false", "shaping": shaping}
    plan = plan_query(entity, parse_query(params), scope=scope, extra=extra)
    # Only the shown columns are read: the plan's fields decide the SELECT list.
    return replace(plan, fields=columns)


def fetch_list(db: Session, entity: Entity, request: ListRequest, *, scope: Scope, columns: tuple[Field, ...],
               extra: tuple[ColumnElement[bool], ...] = (), shaping: str = "") -> ListPage:
    """One page, read one row past its end to tell whether another page follows (no count)."""
    plan = plan_list(entity, request, scope=scope, columns=columns, extra=extra, shaping=shaping)
    records = fetch_page(db, plan).records
    return ListPage(request, columns, records[:PAGE_SIZE], len(records) > PAGE_SIZE)


def count_list(db: Session, entity: Entity, request: ListRequest, *, scope: Scope,
               extra: tuple[ColumnElement[bool], ...] = ()) -> int:
    params = {"filtering": _filtering(entity, request)}
    return count(db, plan_query(entity, parse_query(params), scope=scope, extra=extra))


def count_where(db: Session, entity: Entity, filtering: str, *, scope: Scope) -> int:
    return count(db, plan_query(entity, parse_query({"filtering": filtering}), scope=scope))


def fetch_one(db: Session, entity: Entity, item_id: int, *, scope: Scope, shaping: str = "") -> dict[str, Any] | None:
    """One record with the shaped sub-entities, within the caller's walls (None: not theirs or absent)."""
    plan = plan_query(entity, parse_query({"shaping": shaping, "paging": "limit 1", "use_count": "false"}),
                      scope=scope, extra=(entity.id_column == item_id,))
    records = fetch_page(db, plan).records
    return records[0] if records else None


def every_row(engine: Engine, entity: Entity, request: ListRequest, *, scope: Scope,
              columns: tuple[Field, ...]) -> Iterator[list[dict[str, Any]]]:
    """Every matching row, in batches, on a connection of its own (the answer streams after the request)."""
    plan = plan_list(entity, request, scope=scope, columns=columns, limit=None)
    with engine.connect() as connection:
        yield from stream_batches(connection, plan)


def same_name(left: str, right: str) -> bool:
    return normalize(left) == normalize(right)
