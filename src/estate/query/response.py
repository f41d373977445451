"""The KACE envelope over HTTP: `{"Count": N, "<Plural>": [...]}` as JSON or XML, streamed when
every record is asked for (`limit ALL` / `limit 0`) so a whole fleet is never built in memory."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import orjson
import xmltodict
from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from estate.errors import NotFound
from estate.kace.http import to_json, to_xml, wants_xml
from estate.query.declare import Entity
from estate.query.parse import QueryTerms, parse_query
from estate.query.plan import Condition, Plan, Scope, plan_query
from estate.query.run import count, fetch_page, stream_batches


def _xml_name(key: str) -> str:
    # Element names cannot hold spaces; the appliance answers a few keys with one (`Ram Total`).
    return key.replace(" ", "_")


def xml_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_xml_name(str(key)): xml_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [xml_ready(item) for item in value]
    return value


def _pretty(request: Request) -> bool:
    return request.query_params.get("use_pretty_print", "").strip().lower() == "true"


def envelope(plan: Plan, total: int | None, records: list[dict[str, Any]]) -> dict[str, Any]:
    if plan.count_only:
        return {"Count": total}
    body: dict[str, Any] = {"Count": total} if plan.use_count else {}
    body[plan.entity.plural] = records
    return body


def send(request: Request, payload: Any) -> Response:
    if wants_xml(request):
        return Response(to_xml(xml_ready(payload)), media_type="application/xml")
    return Response(to_json(payload, _pretty(request)), media_type="application/json")


def _json_stream(engine: Engine, plan: Plan, total: int | None, pretty: bool) -> Iterator[bytes]:
    option = orjson.OPT_INDENT_2 if pretty else 0
    head = {"Count": total} if plan.use_count else {}
    opening = orjson.dumps(head)[:-1] + (b"," if head else b"")
    yield opening + orjson.dumps(plan.entity.plural) + b":["
    first = True
    with engine.connect() as connection:
        for batch in stream_batches(connection, plan):
            if not batch:
                continue
            chunk = b",".join(orjson.dumps(item, option=option) for item in batch)
            yield chunk if first else b"," + chunk
            first = False
    yield b"]}"


def _xml_stream(engine: Engine, plan: Plan, total: int | None) -> Iterator[bytes]:
    head = f"<Count>{total}</Count>" if plan.use_count else ""
    yield f'<?xml version="1.0" encoding="utf-8"?>\n<response>{head}'.encode()
    key = _xml_name(plan.entity.plural)
    with engine.connect() as connection:
        for batch in stream_batches(connection, plan):
            parts = [xmltodict.unparse({key: xml_ready(item)}, full_document=False) for item in batch]
            yield "".join(parts).encode()
    yield b"</response>"


def _stream(request: Request, plan: Plan, total: int | None) -> Response:
    engine: Engine = request.app.state.engine
    if wants_xml(request):
        return StreamingResponse(_xml_stream(engine, plan, total), media_type="application/xml")
    return StreamingResponse(_json_stream(engine, plan, total, _pretty(request)), media_type="application/json")


def list_response(request: Request, db: Session, entity: Entity, *, scope: Scope) -> Response:
    """A list route: every query parameter of the language applied to `entity` within `scope`."""
    terms = parse_query(request.query_params)
    plan = plan_query(entity, terms, scope=scope)
    if plan.limit is None and not plan.count_only:
        total = count(db, plan) if plan.use_count else None
        return _stream(request, plan, total)
    page = fetch_page(db, plan)
    return send(request, envelope(plan, page.count, page.records))


def item_response(request: Request, db: Session, entity: Entity, item_id: int, *, scope: Scope) -> Response:
    """A single-record route: the same envelope with one element; 404 when absent or walled off."""
    terms = parse_query(request.query_params)
    single = QueryTerms(
        sorts=terms.sorts,
        shaping=terms.shaping,
        limit=1,
        use_count=terms.use_count,
        count_only=terms.count_only,
    )
    identity: Condition = entity.id_column == item_id
    plan = plan_query(entity, single, scope=scope, extra=(identity,))
    page = fetch_page(db, plan)
    if (page.count if page.count is not None else len(page.records)) == 0:
        raise NotFound(f"{entity.name} {item_id} not found", field="id")
    return send(request, envelope(plan, page.count, page.records))
