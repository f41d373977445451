"""List answers of the KACE face over the query engine.

The engine (estate.query) turns query parameters and a declared entity into records; this module
writes them as the face answers: the envelope `{"Count": N, "<Plural>": [...]}` of the /api lists,
JSON or XML, with every record (`limit ALL`) streamed from the request's own transaction; and the
account management answers (/ams/shared/api): an array of Definitions, a PagingResponse
`{"count": N, "items": [...]}`, or one Definition.

A list route is a declaration and one call: `list_response(request, db, MACHINE, scope=...)`."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import replace
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from estate.errors import NotFound
from estate.kace.deps import TransactionStream
from estate.kace.http import pretty, respond, wants_xml, xml_library, xml_name, xml_ready
from estate.query import (
    Entity,
    Plan,
    QueryTerms,
    Scope,
    count,
    fetch_page,
    parse_query,
    plan_query,
    planned,
    single,
    stream_batches,
)
from estate.query.render import building

Record = dict[str, Any]
# A change made to an answer's records before they are written (the properties a client picked).
Edit = Callable[[list[Record]], None]


# ======================================================================================= /api lists

def _envelope(plan: Plan, total: int | None, records: list[Record]) -> dict[str, Any]:
    if plan.count_only:
        return {"Count": total}
    body: dict[str, Any] = {"Count": total} if plan.use_count else {}
    body[plan.entity.plural] = records
    return body


def list_response(request: Request, db: Session, entity: Entity, *, scope: Scope,
                  extra: tuple[ColumnElement[bool], ...] = ()) -> Response:
    """A list route: every query parameter of the language applied to `entity` within `scope`."""
    plan = planned(entity, request.query_params, scope=scope) if not extra else plan_query(
        entity, parse_query(request.query_params), scope=scope, extra=extra)
    if plan.limit is None and not plan.count_only:
        return _stream(request, db, plan)
    with building([shape.sub for shape in plan.shapes]):
        page = fetch_page(db, plan)
        return respond(request, _envelope(plan, page.count, page.records))


def item_response(request: Request, db: Session, entity: Entity, item_id: int, *, scope: Scope,
                  extra: tuple[ColumnElement[bool], ...] = (), field: str = "id", edit: Edit | None = None) -> Response:
    """A single-record route (`/{id}`): the list's envelope with one element; 404 naming `field`
    when the record is absent or walled off."""
    terms = single(parse_query(request.query_params))
    plan = plan_query(entity, terms, scope=scope, extra=(*extra, entity.id_column == item_id))
    page = fetch_page(db, plan)
    if (page.count if page.count is not None else len(page.records)) == 0:
        raise NotFound(f"{entity.name} {item_id} not found", field=field)
    if edit is not None:
        edit(page.records)
    return respond(request, _envelope(plan, page.count, page.records))


def _stream(request: Request, db: Session, plan: Plan) -> Response:
    """Every record, BATCH_SIZE at a time, so that a whole fleet is never built in memory; the
    Count comes first, from the same transaction as the records."""
    total = count(db, plan) if plan.use_count else None
    head = {"Count": total} if plan.use_count else {}
    batches = stream_batches(db, plan)
    if wants_xml(request):
        return TransactionStream(db, _xml_chunks(head, plan.entity.plural, batches), media_type="application/xml")
    return TransactionStream(db, _json_chunks(head, plan.entity.plural, batches, pretty(request)),
                             media_type="application/json")


def _json_chunks(head: dict[str, Any], key: str, batches: Iterator[list[Record]], indent: bool) -> Generator[bytes]:
    option = orjson.OPT_INDENT_2 if indent else 0
    opening = orjson.dumps(head)[:-1] + (b"," if head else b"")
    yield opening + orjson.dumps(key) + b":["
    first = True
    for batch in batches:
        if not batch:
            continue
        chunk = b",".join(orjson.dumps(item, option=option) for item in batch)
        yield chunk if first else b"," + chunk
        first = False
    yield b"]}"


def _xml_chunks(head: dict[str, Any], key: str, batches: Iterator[list[Record]]) -> Generator[bytes]:
    opening = "".join(f"<{name}>{value}</{name}>" for name, value in head.items())
    yield f'<?xml version="1.0" encoding="utf-8"?>\n<response>{opening}'.encode()
    name = xml_name(key)
    xmltodict = xml_library()
    for batch in batches:
        yield "".join(xmltodict.unparse({name: xml_ready(item)}, full_document=False) for item in batch).encode()
    yield b"</response>"


# ============================================================================ account management

def read_definitions(db: Session, entity: Entity, terms: QueryTerms, *, scope: Scope,
                     extra: tuple[ColumnElement[bool], ...] = ()) -> list[Record]:
    plan = plan_query(entity, replace(terms, use_count=False, count_only=False), scope=scope, extra=extra)
    return fetch_page(db, plan).records


def definitions_response(request: Request, db: Session, entity: Entity, *, scope: Scope,
                         params: Mapping[str, str] | None = None, extra: tuple[ColumnElement[bool], ...] = (),
                         edit: Edit | None = None) -> Response:
    """An array of Definitions: every matching record unless `paging` limits them. `params`: the
    query language's parameters when they come in a body (the search routes) instead of the URL."""
    terms = parse_query(request.query_params if params is None else params, default_limit=None)
    records = read_definitions(db, entity, terms, scope=scope, extra=extra)
    if edit is not None:
        edit(records)
    return respond(request, records)


def paging_response(request: Request, db: Session, entity: Entity, *, scope: Scope,
                    params: Mapping[str, str] | None = None, extra: tuple[ColumnElement[bool], ...] = ()) -> Response:
    """A PagingResponse: `count`, every matching record, and `items`, the page (decision 0100)."""
    terms = parse_query(request.query_params if params is None else params)
    plan = plan_query(entity, replace(terms, use_count=True, count_only=False), scope=scope, extra=extra)
    page = fetch_page(db, plan)
    return respond(request, {"count": page.count, "items": page.records})


def read_definition(db: Session, entity: Entity, item_id: int, *, scope: Scope, field: str,
                    extra: tuple[ColumnElement[bool], ...] = ()) -> Record:
    """One Definition; 404 naming `field` when absent or walled off."""
    records = read_definitions(db, entity, QueryTerms(limit=1), scope=scope,
                               extra=(*extra, entity.id_column == item_id))
    if not records:
        raise NotFound(f"{entity.name} {item_id} not found", field=field)
    return records[0]


def definition_response(request: Request, db: Session, entity: Entity, item_id: int, *, scope: Scope, field: str,
                        extra: tuple[ColumnElement[bool], ...] = (), edit: Edit | None = None) -> Response:
    records = [read_definition(db, entity, item_id, scope=scope, field=field, extra=extra)]
    if edit is not None:
        edit(records)
    return respond(request, records[0])
