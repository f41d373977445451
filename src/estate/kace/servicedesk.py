"""Service Desk API: /api/service_desk queues, tickets, changes, attachments, work and stats.

Lists run on the query engine through the declarations in estate.servicedesk.entities; writes go
through estate.servicedesk.service. This module translates the appliance's JSON (and multipart
uploads) to service calls and shapes answers the way the appliance does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from estate.accounts.models import Account
from estate.auth.permissions import Caller
from estate.db.base import MAX_INT
from estate.errors import InvalidInput, NotFound
from estate.kace.deps import DB, AppSettings, Body, CurrentCaller, Id
from estate.kace.http import SUCCESS, part_name, read_body, read_upload, respond
from estate.kace.lists import Record, item_response, list_response
from estate.kace.versions import KACE_API_VERSION
from estate.query import Scope, fetch_page, parse_query, plan_query
from estate.query.conditions import parse_datetime
from estate.query.render import ZERO_DATE
from estate.servicedesk import entities, service, storage
from estate.servicedesk import seeds as _seeds  # noqa: F401 - registers the default queue of new organizations
from estate.servicedesk.models import (
    Category,
    Impact,
    Priority,
    Queue,
    QueueField,
    Status,
    Ticket,
    TicketChange,
    TicketTemplate,
    WorkItem,
)
from estate.servicedesk.service import Comment
from estate.settings import Settings

router = APIRouter(prefix="/api/service_desk", tags=["service desk"])

MAX_STATS = 50
ATTACHMENT_SET = "attachmentSet"


def _scope(caller: Caller, visible: ColumnElement[bool] | None) -> Scope:
    return Scope(organization_id=caller.organization_id, visible=None if service.is_staff(caller) else visible)


# Conditions over the tables, not the mapped classes: the engine's statements stay Core statements.
def ticket_scope(caller: Caller) -> Scope:
    return _scope(caller, Ticket.__table__.c.submitter_id == caller.account_id)


def queue_scope(caller: Caller) -> Scope:
    return _scope(caller, Queue.__table__.c.allow_all_users.is_(True))


def change_scope(caller: Caller) -> Scope:
    return _scope(caller, TicketChange.__table__.c.owners_only.is_(False))


def _version(request: Request) -> Response:
    return respond(request, str(KACE_API_VERSION))


# ========================================================================================== queues

@router.get("/queues/")
@router.get("/queues", include_in_schema=False)
def list_queues(request: Request, db: DB, caller: CurrentCaller) -> Response:
    caller.require(service.AREA)
    return list_response(request, db, entities.QUEUE, scope=queue_scope(caller))


@router.get("/queues/version")
def queues_version(request: Request, caller: CurrentCaller) -> Response:
    return _version(request)


@router.get("/queues/fields/version")
def queue_fields_version(request: Request, caller: CurrentCaller) -> Response:
    return _version(request)


@router.get("/queues/{queue_id}")
def get_queue(request: Request, db: DB, caller: CurrentCaller, queue_id: Id) -> Response:
    caller.require(service.AREA)
    return item_response(request, db, entities.QUEUE, queue_id, scope=queue_scope(caller))


@router.get("/queues/{queue_id}/patterns")
def list_patterns(request: Request, db: DB, caller: CurrentCaller, queue_id: Id) -> Response:
    queue = service.get_queue(db, caller, queue_id, field="queueID")
    return list_response(request, db, entities.PATTERN, scope=_scope(caller, None),
                         extra=(TicketTemplate.__table__.c.hd_queue_id == queue.id,))


@router.get("/queues/{queue_id}/patterns/{pattern_id}")
def get_pattern(request: Request, db: DB, caller: CurrentCaller, queue_id: Id, pattern_id: Id) -> Response:
    queue = service.get_queue(db, caller, queue_id, field="queueID")
    return item_response(request, db, entities.PATTERN, pattern_id, scope=_scope(caller, None),
                         extra=(TicketTemplate.__table__.c.hd_queue_id == queue.id,), field="patternID")


@router.get("/queues/{queue_id}/fields")
def queue_fields(request: Request, db: DB, caller: CurrentCaller, queue_id: Id, pattern: str = "") -> Response:
    queue = service.get_queue(db, caller, queue_id, field="queueID")
    if pattern.strip():
        service.get_pattern(db, queue, _whole_number(pattern, "pattern"), field="pattern")
    rows = db.scalars(select(QueueField).where(QueueField.hd_queue_id == queue.id)
                      .order_by(QueueField.ordinal, QueueField.id))
    return respond(request, {"Fields": [_field_json(row) for row in rows]})


def _field_json(row: QueueField) -> dict[str, Any]:
    answer: dict[str, Any] = {"jsonKey": row.json_key, "label": row.field_label}
    if row.name:
        answer["column"] = row.name
    answer.update(type=row.field_type, visible=row.visible, required=row.required_state)
    return answer


@router.get("/queues/{queue_id}/ticket_template")
def ticket_template(request: Request, db: DB, caller: CurrentCaller, queue_id: Id, pattern: str = "") -> Response:
    queue = service.get_queue(db, caller, queue_id)
    pattern_id = _whole_number(pattern, "pattern") if pattern.strip() else None
    values = service.template_values(db, caller=caller, queue=queue, pattern_id=pattern_id)
    return respond(request, {"Tickets": [template_json(db, values)]})


# ========================================================================== ticket values in and out

_REFERENCES = {
    "status": "hd_status_id", "hd_status_id": "hd_status_id",
    "priority": "hd_priority_id", "hd_priority_id": "hd_priority_id",
    "impact": "hd_impact_id", "hd_impact_id": "hd_impact_id",
    "category": "hd_category_id", "hd_category_id": "hd_category_id",
    "owner": "owner_id", "owner_id": "owner_id",
    "submitter": "submitter_id", "submitter_id": "submitter_id",
    "approver": "approver_id", "approver_id": "approver_id",
    "machine": "machine_id", "machine_id": "machine_id",
    "asset": "asset_id", "asset_id": "asset_id",
    "parent": "parent_id", "parent_id": "parent_id",
    "pattern": "hd_ticket_template_id", "hd_ticket_template_id": "hd_ticket_template_id",
}
# What clients send back from a ticket they read; set by the server, so ignored on input.
_READ_ONLY = frozenset((
    "id", "created", "modified", "time_opened", "time_closed", "time_stalled", "escalated", "escalation_due",
    "referring_tickets", "queue", "is_parent",
))


def _whole_number(raw: Any, name: str) -> int:
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InvalidInput(f"{name} must be an id, not {raw!r}", field=name)
    if not 0 <= raw <= MAX_INT:
        raise InvalidInput(f"{name} {raw} is out of range", field=name)
    return raw


def _reference(raw: Any, name: str) -> int | None:
    if isinstance(raw, Mapping):
        raw = raw.get("id")
    if raw in (None, "", 0, "0"):
        return None
    return _whole_number(raw, name)


def _text(raw: Any, name: str) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise InvalidInput(f"{name} must be text", field=name)
    return str(raw)


def _date(raw: Any, name: str) -> datetime | None:
    if raw in (None, "", ZERO_DATE):
        return None
    if not isinstance(raw, str):
        raise InvalidInput(f"{name} must be a date such as 2026-01-31 17:00:00", field=name)
    try:
        return parse_datetime(raw).start
    except ValueError:
        raise InvalidInput(f"{name} must be a date such as 2026-01-31 17:00:00, not {raw!r}", field=name) from None


def _flag(raw: Any, name: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw in (0, 1, "0", "1", "true", "false"):
        return raw in (1, "1", "true")
    raise InvalidInput(f"{name} must be 0 or 1", field=name)


def _related(raw: Any) -> list[int]:
    if raw in (None, ""):
        return []
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise InvalidInput("related_tickets must be a list of ticket ids", field="related_tickets")
    ids = (_reference(item, "related_tickets") for item in items)
    return [ticket_id for ticket_id in ids if ticket_id is not None]


def ticket_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """A ticket as clients send it → service values keyed by column. Unknown keys are errors."""
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if key in _READ_ONLY or key in ("change", "hd_queue_id"):
            continue
        if key in _REFERENCES:
            values[_REFERENCES[key]] = _reference(raw, key)
        elif key in service.TEXT_FIELDS:
            values[key] = _text(raw, key)
        elif key == "due_date":
            values[key] = _date(raw, key)
        elif key == "is_manual_due_date":
            values[key] = _flag(raw, key)
        elif key == "related_tickets":
            values["related_ticket_ids"] = _related(raw)
        else:
            raise InvalidInput(f"unknown ticket field {key!r}", field=key)
    return values


def _named(db: Session, model: type, row_id: int | None, *columns: str) -> dict[str, Any] | None:
    row = db.get(model, row_id) if row_id else None
    if row is None:
        return None
    return {"id": row.id, **{column: getattr(row, column) for column in columns}}


def _user_json(db: Session, account_id: int | None) -> dict[str, Any] | None:
    account = db.get(Account, account_id) if account_id else None
    if account is None:
        return None
    return {"id": account.id, "user_name": account.login, "email": account.email or "",
            "full_name": account.full_name or ""}


def template_json(db: Session, values: dict[str, Any]) -> dict[str, Any]:
    """A ticket that is not stored (a template or a clone) in the shape tickets are answered in,
    ready to be sent back to POST /tickets."""
    answer: dict[str, Any] = {"hd_queue_id": values["hd_queue_id"]}
    for name in service.TEXT_FIELDS:
        answer[name] = values.get(name) or ""
    answer["due_date"] = ZERO_DATE
    answer["is_manual_due_date"] = 0
    nested = {
        "status": _named(db, Status, values.get("hd_status_id"), "name", "ordinal", "state"),
        "priority": _named(db, Priority, values.get("hd_priority_id"), "name", "ordinal", "color"),
        "impact": _named(db, Impact, values.get("hd_impact_id"), "name", "ordinal"),
        "category": _named(db, Category, values.get("hd_category_id"), "name"),
        "pattern": _named(db, TicketTemplate, values.get("hd_ticket_template_id"), "name"),
        "owner": _user_json(db, values.get("owner_id")),
        "submitter": _user_json(db, values.get("submitter_id")),
        "machine": {"id": values["machine_id"]} if values.get("machine_id") else None,
        "asset": {"id": values["asset_id"]} if values.get("asset_id") else None,
    }
    answer.update({key: value for key, value in nested.items() if value is not None})
    if values.get("related_ticket_ids"):
        answer["related_tickets"] = [{"id": ticket_id} for ticket_id in values["related_ticket_ids"]]
    return answer


# ======================================================================== bodies: JSON or multipart

@dataclass
class TicketPayload:
    """The `Tickets` of a request and, for multipart uploads, its file parts by part name."""

    tickets: list[Mapping[str, Any]]
    files: dict[str, list[UploadFile]] = field(default_factory=dict)


def _tickets_of(body: Any) -> list[Mapping[str, Any]]:
    if isinstance(body, list):  # the multipart `Tickets` part holds the array itself
        body = {"Tickets": body}
    if not isinstance(body, Mapping) or "Tickets" not in body:
        raise InvalidInput("the body must be an object with a Tickets array", field="Tickets")
    tickets = body["Tickets"]
    if isinstance(tickets, Mapping):  # XML bodies carry a single element as an object
        tickets = [tickets]
    if not isinstance(tickets, list) or not tickets or not all(isinstance(item, Mapping) for item in tickets):
        raise InvalidInput("Tickets must be a non-empty array of ticket objects", field="Tickets")
    return tickets


async def ticket_payload(request: Request) -> TicketPayload:
    settings: Settings = request.app.state.settings
    upload = await read_upload(request, part="Tickets", max_body=settings.max_body_bytes,
                               max_files=service.MAX_ATTACHMENTS_PER_CHANGE,
                               max_file=settings.max_attachment_bytes, max_fields=20)
    if upload is None:
        return TicketPayload(_tickets_of(await read_body(request, settings.max_body_bytes)))
    return TicketPayload(_tickets_of(upload.body), upload.files)


Payload = Annotated[TicketPayload, Depends(ticket_payload)]


def _attachment_parts(change: Mapping[str, Any], payload: TicketPayload) -> list[UploadFile]:
    declared = change.get(ATTACHMENT_SET)
    names = [declared] if isinstance(declared, str) else list(declared or [])
    if not all(isinstance(name, str) for name in names):
        raise InvalidInput("attachmentSet names form parts", field=ATTACHMENT_SET)
    names = list(dict.fromkeys(map(part_name, names)))
    missing = [name for name in names if name not in payload.files]
    if missing:
        raise InvalidInput(f"attachmentSet names part(s) not in the upload: {', '.join(missing)}",
                           field=ATTACHMENT_SET)
    undeclared = sorted(set(payload.files) - set(names))
    if undeclared:
        raise InvalidInput(f"file part(s) {', '.join(undeclared)} are not named in attachmentSet",
                           field=ATTACHMENT_SET)
    parts = [part for name in names for part in payload.files[name]]
    if len(parts) > service.MAX_ATTACHMENTS_PER_CHANGE:
        raise InvalidInput(f"at most {service.MAX_ATTACHMENTS_PER_CHANGE} attachments per change",
                           field=ATTACHMENT_SET)
    return parts


_CHANGE_KEYS = frozenset(("comment", "owners_only", ATTACHMENT_SET, "id", "user_id", "hd_ticket_id", "timestamp"))


def comment_of(
    db: Session, settings: Settings, caller: Caller, ticket: Mapping[str, Any], payload: TicketPayload
) -> Comment | None:
    """The `change` group of a ticket: its comment, owners-only flag and attachments (stored now,
    removed again if the transaction rolls back)."""
    change = ticket.get("change")
    if change is None:
        if payload.files:
            raise InvalidInput("attachments need a change group naming them in attachmentSet", field="change")
        return None
    if not isinstance(change, Mapping):
        raise InvalidInput("change must be an object", field="change")
    unknown = sorted(set(change) - _CHANGE_KEYS)
    if unknown:
        raise InvalidInput(f"unknown change field {unknown[0]!r}", field=f"change.{unknown[0]}")
    comment = Comment(text=_text(change.get("comment"), "change.comment"),
                      owners_only=_flag(change.get("owners_only", 0), "change.owners_only"))
    for index, part in enumerate(_attachment_parts(change, payload)):
        comment.attachments.append(storage.store(
            db, settings.data_dir, caller.organization_id, part.file, file_name=part.filename,
            content_type=part.content_type, max_bytes=settings.max_attachment_bytes,
            field=f"{ATTACHMENT_SET}[{index}]",
        ))
    return comment


# ========================================================================================= tickets

@router.post("/tickets")
def create_tickets(request: Request, db: DB, caller: CurrentCaller, settings: AppSettings,
                   payload: Payload) -> Response:
    service.require_write(caller)
    if payload.files and len(payload.tickets) > 1:
        raise InvalidInput("attachments can be sent with one ticket at a time", field="Tickets")
    ids = []
    for data in payload.tickets:
        queue_id = _reference(data.get("hd_queue_id", data.get("queue")), "hd_queue_id")
        comment = comment_of(db, settings, caller, data, payload)
        ticket = service.create_ticket(db, caller=caller, queue_id=queue_id, values=ticket_values(data),
                                       comment=comment)
        ids.append(ticket.id)
    return respond(request, {**SUCCESS, "IDs": ids})


@router.get("/tickets/")
@router.get("/tickets", include_in_schema=False)
def list_tickets(request: Request, db: DB, caller: CurrentCaller) -> Response:
    caller.require(service.AREA)
    return list_response(request, db, entities.TICKET, scope=ticket_scope(caller))


@router.get("/tickets/version")
def tickets_version(request: Request, caller: CurrentCaller) -> Response:
    return _version(request)


@router.post("/tickets/stats")
def ticket_stats(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
    """Several ticket queries in one call, each answered with its count and records."""
    caller.require(service.AREA)
    requests = body.get("Stats") if isinstance(body, Mapping) else None
    if isinstance(requests, Mapping):
        requests = [requests]
    if not isinstance(requests, list) or not all(isinstance(item, Mapping) for item in requests):
        raise InvalidInput("the body must be an object with a Stats array", field="Stats")
    if len(requests) > MAX_STATS:
        raise InvalidInput(f"at most {MAX_STATS} statistics per call", field="Stats")
    answers = [_one_stat(request, db, caller, item, index) for index, item in enumerate(requests)]
    return respond(request, {"Stats": answers})


def _one_stat(request: Request, db: Session, caller: Caller, item: Mapping[str, Any], index: int) -> dict[str, Any]:
    unknown = sorted(set(item) - {"filtering", "paging", "shaping"})
    if unknown:
        raise InvalidInput(f"unknown statistics field {unknown[0]!r}", field=f"Stats[{index}].{unknown[0]}")
    params = {key: _text(item.get(key), f"Stats[{index}].{key}") for key in ("filtering", "paging", "shaping")}
    for flag_name in ("use_count", "use_count_only"):
        if flag_name in request.query_params:
            params[flag_name] = request.query_params[flag_name]
    page = fetch_page(db, plan_query(entities.TICKET, parse_query(params), scope=ticket_scope(caller)))
    answer: dict[str, Any] = {**{key: params[key] for key in ("filtering", "paging", "shaping")}}
    if page.count is not None:
        answer["count"] = page.count
    answer["result"] = page.records
    return answer


@router.get("/tickets/{ticket_id}")
def get_ticket(request: Request, db: DB, caller: CurrentCaller, ticket_id: Id, applyPattern: str = "") -> Response:  # noqa: N803 - the reference's parameter name
    caller.require(service.AREA)
    apply = applyPattern.strip().lower() not in ("", "false", "0")
    return item_response(request, db, entities.TICKET, ticket_id, scope=ticket_scope(caller),
                         edit=partial(_apply_pattern, db, caller, ticket_id) if apply else None)


def _apply_pattern(db: Session, caller: Caller, ticket_id: Id, records: list[Record]) -> None:
    ticket = service.get_ticket(db, caller, ticket_id)
    pattern = db.get(TicketTemplate, ticket.hd_ticket_template_id) if ticket.hd_ticket_template_id else None
    if pattern is None:
        return
    for record in records:
        fill = service.pattern_fill(record, pattern)
        record.update({key: value for key, value in fill.items() if key in record})
        record["pattern"] = {"id": pattern.id, "name": pattern.name}


def _update(request: Request, db: Session, caller: Caller, settings: Settings, ticket_id: Id,
            payload: TicketPayload) -> Response:
    service.require_write(caller)
    ticket = service.get_ticket(db, caller, ticket_id)
    if len(payload.tickets) != 1:
        raise InvalidInput("an update carries exactly one ticket", field="Tickets")
    data = payload.tickets[0]
    if "id" in data and _reference(data["id"], "id") not in (None, ticket.id):
        raise InvalidInput("id in the body differs from the ticket in the path", field="id")
    if "hd_queue_id" in data and _reference(data["hd_queue_id"], "hd_queue_id") not in (None, ticket.hd_queue_id):
        raise InvalidInput("use move_to_queue to move a ticket to another queue", field="hd_queue_id")
    values = ticket_values(data)
    comment = comment_of(db, settings, caller, data, payload)
    service.update_ticket(db, caller=caller, ticket=ticket, values=values, comment=comment)
    return respond(request, SUCCESS)


@router.post("/tickets/{ticket_id}")
def update_ticket_post(request: Request, db: DB, caller: CurrentCaller, settings: AppSettings, ticket_id: Id,
                       payload: Payload) -> Response:
    return _update(request, db, caller, settings, ticket_id, payload)


@router.put("/tickets/{ticket_id}")
def update_ticket_put(request: Request, db: DB, caller: CurrentCaller, settings: AppSettings, ticket_id: Id,
                      payload: Payload) -> Response:
    return _update(request, db, caller, settings, ticket_id, payload)


@router.delete("/tickets/{ticket_id}")
def delete_ticket(request: Request, db: DB, caller: CurrentCaller, settings: AppSettings, ticket_id: Id) -> Response:
    service.require_write(caller)
    ticket = service.get_ticket(db, caller, ticket_id)
    service.delete_ticket(db, caller=caller, ticket=ticket, data_dir=settings.data_dir)
    return respond(request, SUCCESS)


@router.get("/tickets/{ticket_id}/clone")
def clone_ticket(request: Request, db: DB, caller: CurrentCaller, ticket_id: Id) -> Response:
    ticket = service.get_ticket(db, caller, ticket_id)
    return respond(request, {"Tickets": [template_json(db, service.clone_values(db, caller=caller, ticket=ticket))]})


@router.put("/tickets/{ticket_id}/move_to_queue/{queue_id}")
def move_to_queue(request: Request, db: DB, caller: CurrentCaller, ticket_id: Id, queue_id: Id) -> Response:
    service.require_write(caller)
    ticket = service.get_ticket(db, caller, ticket_id)
    service.move_to_queue(db, caller=caller, ticket=ticket, queue_id=queue_id)
    return respond(request, SUCCESS)


@router.put("/tickets/{ticket_id}/switch_pattern/{pattern_id}")
def switch_pattern(request: Request, db: DB, caller: CurrentCaller, ticket_id: Id, pattern_id: Id) -> Response:
    service.require_write(caller)
    ticket = service.get_ticket(db, caller, ticket_id)
    service.switch_pattern(db, caller=caller, ticket=ticket, pattern_id=pattern_id)
    return respond(request, SUCCESS)


# ================================================================================ changes and files

@router.get("/tickets/{ticket_id}/changes")
def list_changes(request: Request, db: DB, caller: CurrentCaller, ticket_id: Id) -> Response:
    ticket = service.get_ticket(db, caller, ticket_id, field="ticketID")
    return list_response(request, db, entities.CHANGE, scope=change_scope(caller),
                         extra=(TicketChange.__table__.c.hd_ticket_id == ticket.id,))


@router.put("/tickets/{ticket_id}/change/{change_id}")
def update_change(request: Request, db: DB, caller: CurrentCaller, ticket_id: Id, change_id: Id,
                  body: Body) -> Response:
    service.require_write(caller)
    ticket = service.get_ticket(db, caller, ticket_id, field="ticketID")
    changes = body.get("Changes") if isinstance(body, Mapping) else None
    if isinstance(changes, Mapping):
        changes = [changes]
    if not isinstance(changes, list) or len(changes) != 1 or not isinstance(changes[0], Mapping):
        raise InvalidInput("the body must be an object with a Changes array of one change", field="Changes")
    unknown = sorted(set(changes[0]) - {"owners_only", "id", "hd_ticket_id", "user_id"})
    if unknown:
        raise InvalidInput(f"only owners_only can be changed, not {unknown[0]!r}", field=unknown[0])
    if "owners_only" not in changes[0]:
        raise InvalidInput("owners_only is required", field="owners_only")
    owners_only = _flag(changes[0]["owners_only"], "owners_only")
    service.set_owners_only(db, caller=caller, ticket=ticket, change_id=change_id, owners_only=owners_only)
    return respond(request, SUCCESS)


@router.get("/tickets/{ticket_id}/changes/{change_id}/attachments/{attachment_id}")
def download_attachment(db: DB, caller: CurrentCaller, settings: AppSettings, ticket_id: Id, change_id: Id,
                        attachment_id: Id) -> Response:
    ticket = service.get_ticket(db, caller, ticket_id, field="ticketID")
    change = service.get_change(db, caller, ticket, change_id)
    attachment = service.get_attachment(db, caller, change, attachment_id)
    path = storage.path_of(settings.data_dir, attachment.storage_key)
    if not path.is_file():
        raise NotFound(f"the file of attachment {attachment_id} is missing", field="attachmentID")
    return FileResponse(path, media_type=attachment.content_type, headers={
        "Content-Disposition": _disposition(attachment.file_name),
        "X-Content-Type-Options": "nosniff",
    })


def _disposition(file_name: str) -> str:
    ascii_name = file_name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}"


# ============================================================================================ work

def _work_values(data: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if key in ("id", "hd_ticket_id", "user_id", "user", "voided_by", "voided_at", "created"):
            continue
        if key in ("start", "stop"):
            values[key] = _date(raw, key)
        elif key in ("hours_worked", "adjustment_hours"):
            values[key] = _hours(raw, key)
        elif key == "note":
            values[key] = _text(raw, key)
        else:
            raise InvalidInput(f"unknown work field {key!r}", field=key)
    return values


def _hours(raw: Any, name: str) -> Decimal | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, bool):
        raise InvalidInput(f"{name} must be a number of hours", field=name)
    try:
        hours = Decimal(str(raw))
    except InvalidOperation:
        raise InvalidInput(f"{name} must be a number of hours, not {raw!r}", field=name) from None
    if not hours.is_finite() or abs(hours) >= Decimal("1e8"):
        raise InvalidInput(f"{name} is out of range", field=name)
    return hours.quantize(Decimal("0.01"))


@router.post("/tickets/{ticket_id}/work")
def add_work(request: Request, db: DB, caller: CurrentCaller, ticket_id: Id, body: Body) -> Response:
    service.require_write(caller)
    ticket = service.get_ticket(db, caller, ticket_id, field="ticketID")
    work = body.get("Work") if isinstance(body, Mapping) else None
    if isinstance(work, Mapping):
        work = [work]
    if not isinstance(work, list) or not work or not all(isinstance(item, Mapping) for item in work):
        raise InvalidInput("the body must be an object with a Work array", field="Work")
    ids = [service.add_work(db, caller=caller, ticket=ticket, values=_work_values(item)).id for item in work]
    return respond(request, {**SUCCESS, "IDs": ids})


@router.get("/tickets/{ticket_id}/work")
def list_work(request: Request, db: DB, caller: CurrentCaller, ticket_id: Id) -> Response:
    ticket = service.get_ticket(db, caller, ticket_id, field="ticketID")
    return list_response(request, db, entities.WORK, scope=_scope(caller, None),
                         extra=(WorkItem.__table__.c.hd_ticket_id == ticket.id,))


@router.get("/tickets/{ticket_id}/work/{work_id}")
def get_work(request: Request, db: DB, caller: CurrentCaller, ticket_id: Id, work_id: Id) -> Response:
    ticket = service.get_ticket(db, caller, ticket_id, field="ticketID")
    return item_response(request, db, entities.WORK, work_id, scope=_scope(caller, None),
                         extra=(WorkItem.__table__.c.hd_ticket_id == ticket.id,), field="workID")


@router.delete("/tickets/{ticket_id}/work/{work_id}")
def void_work(request: Request, db: DB, caller: CurrentCaller, ticket_id: Id, work_id: Id) -> Response:
    service.require_write(caller)
    ticket = service.get_ticket(db, caller, ticket_id, field="ticketID")
    service.void_work(db, caller=caller, ticket=ticket, work_id=work_id)
    return respond(request, SUCCESS)
