"""Managed installs: the organization's managed installs (search, sort, pages), a page per managed
install with its title, package, commands and every target machine's status, its compatible
machines to add, and a form that creates one with its package file; through estate.distribution as
the Managed Install API reads and writes them. Failed installs count on the dashboard."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import func, select
from starlette.datastructures import FormData

from estate.db.base import utcnow
from estate.distribution import compatibility, files, service
from estate.distribution.entities import MANAGED_INSTALL, TARGET, targets_of
from estate.distribution.models import FAILED, STATUSES, ManagedInstallMachine, PackageFile
from estate.errors import DomainError
from estate.inventory.entities import MACHINE
from estate.inventory.models import OperatingSystem, Software
from estate.inventory.os_types import FAMILIES
from estate.web import forms, scopes
from estate.web.areas.dashboard import ATTENTION, Attention
from estate.web.console import Console, Id, Page, redirect, rolled_back
from estate.web.lists import ListRequest, column_fields, fetch_list
from estate.web.registry import area

router = area("managed_installs", title="Managed installs", path="/managed-installs", right="distribution", order=55,
              readable=service.can_read)

DEFAULT_COLUMNS = ("Name", "Supported_operating_systems", "Enabled", "Deploy_to_all", "Modified")
TARGET_COLUMNS = ("Name", "Status", "Attempts", "Exit_code", "Reason", "Last_attempt")
COMPATIBLE_COLUMNS = ("Name", "Ip", "Os_name", "Last_inventory")
# The form's texts, named as the Managed Install API names them (so that an error names the field).
TEXTS = ("Name", "Full_command_line", "Uninstall_command_line", "Max_attempt_count", "Timeout",
         "Deploy_window_start", "Deploy_window_end", "Labels", "Notes")
TITLE = ("Display_name", "Display_version", "Publisher")
OS_CHOICES = 200  # operating systems of the inventory offered beside the families


def _page_number(number: int) -> int:
    return max(number, 1)


PageNumber = Annotated[int, Query(alias="page")]


@router.get("/managed-installs")
def managed_install_list(page: Page, q: str = "", sort: str = "", page_number: PageNumber = 1) -> HTMLResponse:
    service.require(page.caller)
    request = ListRequest(search=q, sort=sort, page=_page_number(page_number))
    columns = column_fields(MANAGED_INSTALL, (), DEFAULT_COLUMNS)
    error, found = None, None
    try:
        found = fetch_list(page.db, MANAGED_INSTALL, request, scope=scopes.organization(page.caller), columns=columns)
    except DomainError as exc:
        error = exc
    return page.render("managed_installs/list.html", status=error.status if error else 200, list=found,
                       request=request, columns=columns, error=error, page_title="Managed installs")


# --- creating --------------------------------------------------------------------------------------------------


def _new_form(page: Console, *, status: int = 200, error: DomainError | None = None,
              values: dict[str, Any] | None = None) -> HTMLResponse:
    systems = page.db.scalars(select(OperatingSystem).where(
        OperatingSystem.organization_id == page.caller.organization_id).order_by(OperatingSystem.name)
        .limit(OS_CHOICES)).all()
    return page.render("managed_installs/new.html", status=status, error=error, values=values or {},
                       families=sorted(set(FAMILIES.values())), systems=systems, page_title="New managed install")


@router.get("/managed-installs/new")
def new_managed_install(page: Page) -> HTMLResponse:
    service.require(page.caller, "write")
    return _new_form(page)


def _submitted(form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """The managed install as the API takes it, and the form's values to show it again."""
    shown: dict[str, Any] = {name: forms.text(form, name) for name in TEXTS}
    shown.update({f"Software.{name}": forms.text(form, f"Software.{name}") for name in TITLE})
    shown["systems"] = [value for value in form.getlist("Supported_operating_systems") if isinstance(value, str)]
    for flag in ("Enabled", "Deploy_to_all"):
        shown[flag] = bool(forms.text(form, flag))
    body: dict[str, Any] = {name: shown[name] for name in TEXTS if shown[name] or name == "Full_command_line"}
    # A family by its name, an operating system of the inventory by its id.
    systems = [{"id": int(value)} if value.isdigit() else value for value in shown["systems"]]
    body.update(Software={name: shown[f"Software.{name}"] for name in TITLE}, Supported_operating_systems=systems,
                Enabled=shown["Enabled"], Deploy_to_all=shown["Deploy_to_all"])
    return body, shown


@router.post("/managed-installs/new")
async def create_managed_install(page: Page) -> Response:
    service.require(page.caller, "write")
    form = await page.form()
    body, shown = _submitted(form)
    received: files.Received | None = None
    try:
        chosen = forms.files(form, "File")
        if chosen:
            received = files.receive(page.settings.data_dir, source=chosen[0].file,
                                     max_bytes=page.settings.max_package_bytes, field="File")
            package, _ = files.store(page.db, organization_id=page.caller.organization_id,
                                     account_id=page.caller.account_id, received=received,
                                     file_name=chosen[0].filename, content_type=chosen[0].content_type)
            body["File_id"] = package.id
        (created,) = service.create_managed_installs(page.db, organization_id=page.caller.organization_id,
                                                     account_id=page.caller.account_id, body=body)
    except DomainError as exc:
        rolled_back(page)
        return _new_form(page, status=exc.status, error=exc, values=shown)
    finally:
        if received is not None:
            received.path.unlink(missing_ok=True)
    return redirect(f"/managed-installs/{created}", page.request)


# --- one managed install ---------------------------------------------------------------------------------------


def _status_counts(page: Console, managed_install_id: int) -> dict[str, int]:
    rows = page.db.execute(select(ManagedInstallMachine.status, func.count()).where(
        ManagedInstallMachine.managed_install_id == managed_install_id).group_by(ManagedInstallMachine.status))
    return {status: count for status, count in rows}


def _managed_install_page(page: Console, managed_install_id: int, *, page_number: int = 1, status: int = 200,
                          error: DomainError | None = None, notice: str | None = None) -> HTMLResponse:
    mi = service.get_managed_install(page.db, organization_id=page.caller.organization_id,
                                     managed_install_id=managed_install_id)
    request = ListRequest(page=_page_number(page_number))
    targets = fetch_list(page.db, TARGET, request, scope=scopes.organization(page.caller),
                         columns=column_fields(TARGET, (), TARGET_COLUMNS), extra=(targets_of(mi.id),))
    return page.render(
        "managed_installs/managed_install.html", status=status, error=error, notice=notice, mi=mi,
        software=page.db.get_one(Software, mi.software_id),
        package=page.db.get(PackageFile, mi.file_id) if mi.file_id else None,
        systems=compatibility.title_of(page.db, mi).systems, labels=service.label_names_of(page.db, mi.id),
        counts=_status_counts(page, mi.id), statuses=STATUSES, targets=targets,
        can_write=page.can("distribution", "write"), page_title=mi.name,
    )


@router.get("/managed-installs/{managed_install_id}")
def managed_install_page(page: Page, managed_install_id: Id, page_number: PageNumber = 1,
                         saved: str = "") -> HTMLResponse:
    service.require(page.caller)
    return _managed_install_page(page, managed_install_id, page_number=page_number,
                                 notice="Saved." if saved else None)


@router.get("/managed-installs/{managed_install_id}/compatible")
def compatible_machines(page: Page, managed_install_id: Id, q: str = "", page_number: PageNumber = 1) -> HTMLResponse:
    service.require(page.caller)
    mi = service.get_managed_install(page.db, organization_id=page.caller.organization_id,
                                     managed_install_id=managed_install_id)
    title = compatibility.title_of(page.db, mi)
    found = fetch_list(page.db, MACHINE, ListRequest(search=q, page=_page_number(page_number)),
                       scope=scopes.organization(page.caller), columns=column_fields(MACHINE, (), COMPATIBLE_COLUMNS),
                       extra=(title.compatible(MACHINE.table),))
    return page.render("managed_installs/compatible.html", mi=mi, software=page.db.get_one(Software, mi.software_id),
                       list=found, can_write=page.can("distribution", "write"),
                       page_title=f"Compatible machines · {mi.name}")


@router.get("/managed-installs/{managed_install_id}/file")
def package_file(page: Page, managed_install_id: Id) -> Response:
    service.require(page.caller)
    mi = service.get_managed_install(page.db, organization_id=page.caller.organization_id,
                                     managed_install_id=managed_install_id)
    package = files.get_file(page.db, organization_id=page.caller.organization_id, file_id=mi.file_id or 0,
                             field="file")
    return FileResponse(files.readable(page.db, package), media_type=package.content_type, filename=package.name,
                        headers={"X-Content-Type-Options": "nosniff"})


def _machines(form: FormData) -> list[str]:
    """Machines chosen with checkboxes, or typed in as ids separated by commas."""
    chosen = [value for value in form.getlist("Machines") if isinstance(value, str)]
    return [part.strip() for value in chosen for part in value.split(",") if part.strip()]


async def _change(page: Console, managed_install_id: int, change: Any) -> Response:
    """One change of the managed install from a form: the page again after it, or with its error."""
    service.require(page.caller, "write")
    form = await page.form()
    try:
        change(form)
    except DomainError as exc:
        rolled_back(page)
        return _managed_install_page(page, managed_install_id, status=exc.status, error=exc)
    return redirect(f"/managed-installs/{managed_install_id}?saved=1", page.request)


@router.post("/managed-installs/{managed_install_id}/machines")
async def add_machines(page: Page, managed_install_id: Id) -> Response:
    return await _change(page, managed_install_id, lambda form: service.add_to_machines(
        page.db, organization_id=page.caller.organization_id, account_id=page.caller.account_id,
        managed_install_id=managed_install_id, body={"Machines": _machines(form)}))


@router.post("/managed-installs/{managed_install_id}/remove")
async def remove_machines(page: Page, managed_install_id: Id) -> Response:
    return await _change(page, managed_install_id, lambda form: service.remove_from_machines(
        page.db, organization_id=page.caller.organization_id, account_id=page.caller.account_id,
        managed_install_id=managed_install_id,
        body={"Machines": _machines(form), "Uninstall": bool(forms.text(form, "Uninstall"))}))


@router.post("/managed-installs/{managed_install_id}/enabled")
async def switch(page: Page, managed_install_id: Id) -> Response:
    return await _change(page, managed_install_id, lambda form: service.update_managed_install(
        page.db, organization_id=page.caller.organization_id, account_id=page.caller.account_id,
        managed_install_id=managed_install_id, body={"Enabled": forms.text(form, "Enabled")}))


@router.post("/managed-installs/{managed_install_id}/delete")
async def delete(page: Page, managed_install_id: Id) -> Response:
    service.require(page.caller, "write")
    service.delete_managed_install(page.db, organization_id=page.caller.organization_id,
                                   account_id=page.caller.account_id, managed_install_id=managed_install_id)
    return redirect("/managed-installs", page.request)


def _failed_installs(page: Console, days: int) -> Attention | None:
    if not service.can_read(page.caller):
        return None
    value = page.db.scalar(
        select(func.count()).select_from(ManagedInstallMachine).where(
            ManagedInstallMachine.organization_id == page.caller.organization_id,
            ManagedInstallMachine.status == FAILED, ManagedInstallMachine.finished >= utcnow() - timedelta(days=days))
    ) or 0
    return Attention(f"Failed managed installs in {days} days", value, "/managed-installs")


ATTENTION.append(_failed_installs)
