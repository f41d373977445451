"""Machines: the inventory list (search box with plain words or the KACE query language, sortable
columns, paging, column choice, saved views, CSV export) and a page per machine with its hardware,
software, network, disks, services, asset fields, CMDB categories, tickets and history."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Query
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy import select

from estate.accounts import entities
from estate.accounts import service as accounts
from estate.accounts.models import OrgAccountRegistry
from estate.errors import InvalidInput, NotFound
from estate.inventory.cmdb_view import SOFTWARE
from estate.inventory.entities import MACHINE
from estate.servicedesk.entities import TICKET
from estate.web import records, scopes
from estate.web.console import Console, Id, Page, redirect
from estate.web.lists import ListRequest, column_fields, count_list, every_row, fetch_list, plan_list
from estate.web.registry import area

router = area("machines", title="Machines", path="/machines", right="inventory", order=10)

DEFAULT_COLUMNS = ("Name", "Ip", "Os_name", "User", "Last_inventory", "Ram Total")
VIEWS = "console.machines.views"  # the registry category of a member's saved views
# The page reads the machine with its small sub-entities; software and services (hundreds of rows
# each) come in requests of their own, as the page shows them.
MACHINE_SHAPING = "machine all,machine_nics standard,machine_disks standard,operating_system limited,asset limited"
SOFTWARE_SHAPING = "machine limited,software standard"
SERVICES_SHAPING = "machine limited,service standard"


def _list_request(q: str, sort: str, page: int, col: list[str]) -> ListRequest:
    return ListRequest(search=q, sort=sort, page=max(page, 1), columns=tuple(col))


Columns = Annotated[list[str], Query()]


def _saved_views(page: Console, names: list[str]) -> list[OrgAccountRegistry]:
    """The caller's saved views (all, or those ``names``), read like the API's registry of a member."""
    chosen = entities.member_registry_entries(org_account_id=page.caller.org_account_id, categories=[VIEWS],
                                              keys=names)
    return list(page.db.scalars(select(OrgAccountRegistry).where(
        OrgAccountRegistry.organization_id == page.caller.organization_id, *chosen).order_by(OrgAccountRegistry.key)))


def _views(page: Console) -> list[tuple[str, str]]:
    return [(entry.key, entry.value or "") for entry in _saved_views(page, [])]


@router.get("/machines")
def machine_list(page: Page, q: str = "", sort: str = "", page_number: Annotated[int, Query(alias="page")] = 1,
                 col: Columns = []) -> HTMLResponse:  # noqa: B006 - FastAPI copies list defaults
    page.caller.require("inventory")
    request = _list_request(q, sort, page_number, col)
    columns = column_fields(MACHINE, request.columns, DEFAULT_COLUMNS)
    error = None
    try:
        found = fetch_list(page.db, MACHINE, request, scope=scopes.machines(page.caller), columns=columns)
    except InvalidInput as exc:
        # A query the engine refuses is shown beside the search box, with the field it names.
        error, found = exc, None
    return page.render(
        "machines/list.html", status=400 if error else 200, list=found, request=request, columns=columns, error=error,
        all_columns=[item.name for item in MACHINE.fields], views=_views(page), page_title="Machines",
    )


@router.get("/machines/count")
def machine_count(page: Page, q: str = "") -> HTMLResponse:
    page.caller.require("inventory")
    total = count_list(page.db, MACHINE, ListRequest(search=q), scope=scopes.machines(page.caller))
    return HTMLResponse(f'<span data-testid="count">{total}</span> {"machine" if total == 1 else "machines"}')


def _csv(rows: Iterator[list[dict[str, Any]]], names: list[str]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(names)
    for batch in rows:
        for row in batch:
            writer.writerow(["" if row.get(name) is None else row[name] for name in names])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode()


@router.get("/machines.csv")
def machine_export(page: Page, q: str = "", sort: str = "", col: Columns = []) -> Response:  # noqa: B006
    page.caller.require("inventory")
    request = _list_request(q, sort, 1, col)
    columns = column_fields(MACHINE, request.columns, DEFAULT_COLUMNS)
    # The query is planned now, so that a bad one is refused before the answer starts.
    plan_list(MACHINE, request, scope=scopes.machines(page.caller), columns=columns, limit=None)
    rows = every_row(page.request.app.state.engine, MACHINE, request, scope=scopes.machines(page.caller),
                     columns=columns)
    return StreamingResponse(_csv(rows, [item.name for item in columns]), media_type="text/csv",
                             headers={"Content-Disposition": 'attachment; filename="machines.csv"'})


@router.post("/machines/views")
async def save_view(page: Page) -> Response:
    page.caller.require("inventory")
    form = await page.form()
    name = str(form.get("name") or "").strip()
    if not name:
        raise InvalidInput("a saved view needs a name", field="name")
    request = _list_request(str(form.get("q") or ""), str(form.get("sort") or ""), 1,
                            [str(value) for value in form.getlist("col")])
    column_fields(MACHINE, request.columns, DEFAULT_COLUMNS)  # only known columns are saved
    member = accounts.get_membership(page.db, page.caller.organization_id, page.caller.org_account_id)
    accounts.put_member_registry(page.db, member=member, category=VIEWS, key=name[:255], value=request.query_string(),
                                 actor_id=page.caller.account_id)
    return redirect(f"/machines?{request.query_string()}", page.request)


@router.post("/machines/views/delete")
async def delete_view(page: Page) -> Response:
    page.caller.require("inventory")
    form = await page.form()
    name = str(form.get("name") or "")
    found = _saved_views(page, [name])
    accounts.delete_registry_entry(page.db, found[0] if found else None, organization_id=page.caller.organization_id,
                                   actor_id=page.caller.account_id)
    return redirect("/machines", page.request)


@router.get("/machines/views/open")
def open_view(page: Page, name: str = "") -> Response:
    page.caller.require("inventory")
    saved = dict(_views(page))
    if name not in saved:
        raise NotFound(f"no saved view {name!r}", field="name")
    # Only the list's own parameters are taken from what was saved.
    pairs = [(key, value) for key, value in parse_qsl(saved[name]) if key in ("q", "sort", "col")]
    return redirect(f"/machines?{urlencode(pairs)}" if pairs else "/machines")


def _machine(page: Console, machine_id: int, shaping: str) -> dict[str, Any]:
    page.caller.require("inventory")
    machine = records.machine(page.db, machine_id, scope=scopes.machines(page.caller), shaping=shaping)
    if machine is None:
        raise NotFound(f"machine {machine_id} not found", field="id")
    return machine


@router.get("/machines/{machine_id}/software")
def machine_software(page: Page, machine_id: Id) -> HTMLResponse:
    return page.render("machines/software.html", machine=_machine(page, machine_id, SOFTWARE_SHAPING))


@router.get("/machines/{machine_id}/services")
def machine_services(page: Page, machine_id: Id) -> HTMLResponse:
    return page.render("machines/services.html", machine=_machine(page, machine_id, SERVICES_SHAPING))


@router.get("/machines/{machine_id}/cmdb")
def machine_categories(page: Page, machine_id: Id) -> HTMLResponse:
    """The device object's CMDB categories (but the software assignment the page shows already)."""
    page.caller.require("cmdb")
    asset_id = records.device_asset_id(_machine(page, machine_id, "machine limited,asset limited"))
    categories = records.cmdb_categories(page.db, page.caller, asset_id, leave_out=(SOFTWARE,)) if asset_id else []
    return page.render("machines/cmdb.html", categories=categories, object_id=asset_id)


@router.get("/machines/{machine_id}")
def machine_page(page: Page, machine_id: Id) -> HTMLResponse:
    machine = _machine(page, machine_id, MACHINE_SHAPING)
    asset_id = records.device_asset_id(machine)
    tickets = records.tickets_of_machine(page.db, page.caller, machine_id) if page.can("servicedesk") else None
    return page.render(
        "machines/machine.html", machine=machine, fields=[f for f in MACHINE.fields],
        asset=records.asset(page.db, page.caller, asset_id) if asset_id and page.can("assets") else None,
        history=records.object_history(page.db, page.caller, asset_id) if asset_id and page.can("cmdb") else [],
        tickets=tickets, ticket_entity=TICKET, page_title=str(machine.get("Name") or f"Machine {machine_id}"),
    )
