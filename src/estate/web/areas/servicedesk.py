"""Service desk: queues, ticket lists with filters, a ticket page with its history, comments,
attachments and work, and creating and editing tickets, all through estate.servicedesk with the
rights the Service Desk API applies (a standard user works their own tickets)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import and_, select
from starlette.datastructures import FormData

from estate.accounts.models import Account, OrganizationAccount
from estate.db.base import utcnow
from estate.errors import DomainError, InvalidInput, NotFound
from estate.query import Scope
from estate.servicedesk import service, storage
from estate.servicedesk.entities import CHANGE, TICKET, WORK
from estate.servicedesk.models import CLOSED, Category, Impact, Priority, Queue, Status
from estate.web import forms, records, scopes
from estate.web.console import Console, Id, Page, redirect, rolled_back
from estate.web.lists import ListRequest, column_fields, fetch_list, fetch_one
from estate.web.registry import area

router = area("servicedesk", title="Service desk", path="/tickets", right="servicedesk", order=40)

STATES = {"open": "status.state ne closed", "closed": "status.state eq closed", "all": ""}
LISTS: dict[str, Any] = {"hd_status_id": Status, "hd_priority_id": Priority, "hd_category_id": Category,
                         "hd_impact_id": Impact}


def _queues(page: Console) -> list[Queue]:
    return list(page.db.scalars(select(Queue).where(*service.queue_scope(page.caller)).order_by(Queue.name)))


def _filters(state: str, queue: int | None, mine: bool, page: Console) -> tuple[str, ...]:
    found = [STATES.get(state, "")] if state != "overdue" else [STATES["open"],
                                                                 f"due_date lt {utcnow():%Y-%m-%d %H:%M:%S}"]
    if queue:
        found.append(f"hd_queue_id eq {queue}")
    if mine:
        found.append(f"owner_id eq {page.caller.account_id}")
    return tuple(item for item in found if item)


@router.get("/tickets")
def ticket_list(page: Page, q: str = "", state: str = "open", queue: int | None = None, mine: str = "",
                page_number: Annotated[int, Query(alias="page")] = 1) -> HTMLResponse:
    page.caller.require("servicedesk")
    request = ListRequest(search=q, sort="-id", page=max(page_number, 1),
                          filters=_filters(state, queue, bool(mine), page))
    error, found = None, None
    try:
        found = records.tickets(page.db, page.caller, request)
    except InvalidInput as exc:
        error = exc
    return page.render("servicedesk/list.html", status=400 if error else 200, tickets=found, error=error,
                       request=request, state=state, queue_id=queue, mine=bool(mine), queues=_queues(page),
                       page_title="Tickets")


def _queue_lists(page: Console, queue_id: int) -> dict[str, list[Any]]:
    organization_id = page.caller.organization_id
    return {name: list(page.db.scalars(select(model).where(model.organization_id == organization_id,
                                                          model.hd_queue_id == queue_id)
                                       .order_by(model.ordinal if hasattr(model, "ordinal") else model.id)))
            for name, model in LISTS.items()}


def _members(page: Console) -> list[tuple[int, str]]:
    rows = page.db.execute(
        select(Account.id, Account.login, Account.full_name)
        .join(OrganizationAccount, OrganizationAccount.account_id == Account.id)
        .where(OrganizationAccount.organization_id == page.caller.organization_id, Account.is_deleted.is_(False))
        .order_by(Account.login)
    )
    return [(row.id, row.full_name or row.login) for row in rows]


def _new_form(page: Console, queue_id: int | None, machine_id: Id | None, *, status: int = 200,
              error: DomainError | None = None, values: dict[str, Any] | None = None) -> HTMLResponse:
    queues = _queues(page)
    chosen = next((q for q in queues if q.id == queue_id), queues[0] if queues else None)
    return page.render("servicedesk/new.html", status=status, queues=queues, queue=chosen, error=error,
                       lists=_queue_lists(page, chosen.id) if chosen else {}, machine_id=machine_id,
                       values=values or {}, page_title="New ticket")


@router.get("/tickets/new")
def new_ticket(page: Page, queue: int | None = None, machine_id: Id | None = None) -> HTMLResponse:
    page.caller.require("servicedesk", "write")
    return _new_form(page, queue, machine_id)


def _list_values(form: FormData, names: list[str]) -> dict[str, Any]:
    return {name: forms.optional_id(form, name) for name in names if name in form}


@router.post("/tickets/new")
async def create_ticket(page: Page) -> Response:
    service.require_write(page.caller)
    form = await page.form()
    queue_id = forms.optional_id(form, "hd_queue_id")
    values: dict[str, Any] = {"title": forms.text(form, "title"), "summary": forms.text(form, "summary"),
                              **_list_values(form, [*LISTS, "machine_id"])}
    try:
        if not values["title"]:
            raise InvalidInput("a ticket needs a title", field="title")
        ticket = service.create_ticket(page.db, caller=page.caller, queue_id=queue_id, values=values)
    except DomainError as exc:
        rolled_back(page)
        return _new_form(page, queue_id, values.get("machine_id"), status=exc.status, error=exc, values=values)
    return redirect(f"/tickets/{ticket.id}", page.request)


def _ticket_page(page: Console, ticket_id: Id, *, status: int = 200,
                 error: DomainError | None = None) -> HTMLResponse:
    ticket = service.get_ticket(page.db, page.caller, ticket_id)
    record = fetch_one(page.db, TICKET, ticket_id, scope=scopes.tickets(page.caller),
                       shaping=f"{records.TICKET_SHAPING},machine limited")
    if record is None:
        raise NotFound(f"ticket {ticket_id} not found", field="id")
    changes = fetch_list(page.db, CHANGE, ListRequest(sort="id", filters=(f"hd_ticket_id eq {ticket_id}",)),
                         scope=Scope(organization_id=page.caller.organization_id,
                                     visible=and_(*service.change_scope(page.caller))),
                         columns=column_fields(CHANGE, (), ("id", "timestamp", "description", "comment",
                                                            "owners_only")),
                         shaping="attachments limited,user limited")
    work = fetch_list(page.db, WORK, ListRequest(sort="id", filters=(f"hd_ticket_id eq {ticket_id}",)),
                      scope=scopes.organization(page.caller),
                      columns=column_fields(WORK, (), ("id", "note", "start", "stop", "hours_worked", "voided_at")),
                      shaping="user limited") if service.is_staff(page.caller) else None
    return page.render(
        "servicedesk/ticket.html", status=status, ticket=ticket, record=record, changes=changes, work=work,
        error=error, lists=_queue_lists(page, ticket.hd_queue_id), members=_members(page),
        staff=service.is_staff(page.caller), closed=CLOSED, page_title=f"#{ticket.id} {ticket.title}",
    )


@router.get("/tickets/{ticket_id}")
def ticket_page(page: Page, ticket_id: Id) -> HTMLResponse:
    page.caller.require("servicedesk")
    return _ticket_page(page, ticket_id)


async def _write(page: Console, ticket_id: Id, values: dict[str, Any], comment: service.Comment | None) -> Response:
    ticket = service.get_ticket(page.db, page.caller, ticket_id)
    try:
        service.update_ticket(page.db, caller=page.caller, ticket=ticket, values=values, comment=comment)
    except DomainError as exc:
        rolled_back(page)
        return _ticket_page(page, ticket_id, status=exc.status, error=exc)
    return redirect(f"/tickets/{ticket_id}", page.request)


@router.post("/tickets/{ticket_id}")
async def edit_ticket(page: Page, ticket_id: Id) -> Response:
    service.require_write(page.caller)
    form = await page.form()
    values: dict[str, Any] = {name: forms.text(form, name) for name in ("title", "summary", "resolution")
                              if name in form}
    values.update(_list_values(form, [*LISTS, "owner_id"]))
    if "hd_status_id" in values and values["hd_status_id"] is None:
        del values["hd_status_id"]
    return await _write(page, ticket_id, values, None)


@router.post("/tickets/{ticket_id}/close")
async def close_ticket(page: Page, ticket_id: Id) -> Response:
    service.require_write(page.caller)
    ticket = service.get_ticket(page.db, page.caller, ticket_id)
    closed = page.db.scalar(select(Status.id).where(Status.hd_queue_id == ticket.hd_queue_id, Status.state == CLOSED)
                            .order_by(Status.ordinal, Status.id))
    if closed is None:
        raise InvalidInput("this ticket's queue has no closed status", field="hd_status_id")
    return await _write(page, ticket_id, {"hd_status_id": closed}, None)


@router.post("/tickets/{ticket_id}/comments")
async def comment(page: Page, ticket_id: Id) -> Response:
    service.require_write(page.caller)
    form = await page.form()
    note = service.Comment(text=forms.text(form, "comment"), owners_only=bool(forms.text(form, "owners_only")))
    service.get_ticket(page.db, page.caller, ticket_id)
    for index, upload in enumerate(forms.files(form, "attachments")):
        note.attachments.append(storage.store(
            page.db, page.settings.data_dir, page.caller.organization_id, upload.file, file_name=upload.filename,
            content_type=upload.content_type, max_bytes=page.settings.max_attachment_bytes,
            field=f"attachments[{index}]",
        ))
    if note.is_empty:
        raise InvalidInput("write a comment or attach a file", field="comment")
    return await _write(page, ticket_id, {}, note)


def _hours(form: FormData, name: str) -> Decimal | None:
    raw = forms.text(form, name)
    if not raw:
        return None
    try:
        return Decimal(raw).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise InvalidInput(f"{name} must be a number of hours", field=name) from None


def _moment(form: FormData, name: str) -> datetime | None:
    raw = forms.text(form, name)
    try:
        return datetime.fromisoformat(raw) if raw else None
    except ValueError:
        raise InvalidInput(f"{name} must be a date and time", field=name) from None


@router.post("/tickets/{ticket_id}/work")
async def add_work(page: Page, ticket_id: Id) -> Response:
    form = await page.form()
    ticket = service.get_ticket(page.db, page.caller, ticket_id)
    values = {"note": forms.text(form, "note"), "hours_worked": _hours(form, "hours_worked"),
              "start": _moment(form, "start"), "stop": _moment(form, "stop")}
    service.add_work(page.db, caller=page.caller, ticket=ticket, values=values)
    return redirect(f"/tickets/{ticket_id}#work", page.request)


@router.get("/tickets/{ticket_id}/changes/{change_id}/attachments/{attachment_id}")
def download(page: Page, ticket_id: Id, change_id: Id, attachment_id: Id) -> Response:
    page.caller.require("servicedesk")
    ticket = service.get_ticket(page.db, page.caller, ticket_id)
    change = service.get_change(page.db, page.caller, ticket, change_id)
    attachment = service.get_attachment(page.db, page.caller, change, attachment_id)
    path = storage.path_of(page.settings.data_dir, attachment.storage_key)
    if not path.is_file():
        raise NotFound("the attachment's file is missing", field="attachment")
    return FileResponse(path, media_type=attachment.content_type, filename=attachment.file_name,
                        headers={"X-Content-Type-Options": "nosniff"})
