"""Reports: the organization's report definitions by category, a report shown with its chart and
downloaded in every format and locale, run in the background or on a schedule, and new
definitions — through estate.reporting, the engine the Reporting API and cmdb.reports.read use."""

from __future__ import annotations

from itertools import islice
from typing import Annotated, Any

import orjson
from fastapi import Query
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from estate.errors import DomainError, NotFound
from estate.reporting import formats, runs, service
from estate.reporting.definition import FORMATS, check_format
from estate.reporting.engine import tabulate
from estate.servicedesk.storage import data_dir_of
from estate.web import forms
from estate.web.console import Console, Id, Page, redirect, rolled_back
from estate.web.registry import area

router = area("reports", title="Reports", path="/reports", right="reporting", order=60)

SHOWN_ROWS = 500
EXAMPLE = {"title": "Machines by manufacturer", "category": "Mine", "entity": "machine",
           "fields": [{"field": "Cs_manufacturer", "title": "Manufacturer"}],
           "grouping": {"by": ["Cs_manufacturer"], "count": "Machines"},
           "chart": {"type": "bar", "label": "Manufacturer", "value": "Machines"}}


@router.get("/reports")
def report_list(page: Page, q: str = "", category: str = "") -> HTMLResponse:
    page.caller.require("reporting")
    rows = service.definitions_of(page.db, organization_id=page.caller.organization_id)
    categories = sorted({row.category for row in rows if row.category})
    words = q.strip().lower()
    shown = [row for row in rows if (not category or row.category == category)
             and (not words or words in f"{row.title} {row.description} {row.name}".lower())]
    return page.render("reports/list.html", definitions=shown, categories=categories, category=category, q=q,
                       jobs=runs.jobs_of(page.db, caller=page.caller, limit=10), page_title="Reports")


@router.get("/reports/new")
def new_report(page: Page) -> HTMLResponse:
    page.caller.require("reporting", "write")
    return _new_page(page, orjson.dumps(EXAMPLE, option=orjson.OPT_INDENT_2).decode())


def _new_page(page: Console, document: str, *, status: int = 200, error: DomainError | None = None) -> HTMLResponse:
    return page.render("reports/new.html", document=document, error=error, status=status, page_title="New report")


@router.post("/reports/new")
async def create_report(page: Page) -> Response:
    page.caller.require("reporting", "write")
    document = forms.text(await page.form(), "definition")
    try:
        row = service.create(page.db, caller=page.caller, data=_json(document))
    except DomainError as exc:
        rolled_back(page)
        return _new_page(page, document, status=exc.status, error=exc)
    return redirect(f"/reports/{row.id}", page.request)


def _json(document: str) -> Any:
    try:
        return orjson.loads(document)
    except orjson.JSONDecodeError:
        raise DomainError("the definition is not JSON", field="definition") from None


@router.get("/reports/jobs")
def job_list(page: Page) -> HTMLResponse:
    page.caller.require("reporting")
    return page.render("reports/jobs.html", jobs=runs.jobs_of(page.db, caller=page.caller, limit=100),
                       page_title="Reports run in the background")


@router.get("/reports/jobs/{job_id}/download")
def job_download(page: Page, job_id: Id) -> Response:
    page.caller.require("reporting")
    job = runs.job_of(page.db, caller=page.caller, job_id=job_id, field="job")
    path = runs.result_path(data_dir_of(page.db), job)
    if job.status != "done" or not path.is_file():
        raise NotFound(f"report {job_id} has no result ({job.status})", field="job")
    document = formats.FORMATS[job.format]
    return Response(path.read_bytes(), media_type=document.media_type,
                    headers={"Content-Disposition": f'attachment; filename="report-{job.id}.{document.extension}"'})


@router.post("/reports/jobs/{job_id}/cancel")
async def job_cancel(page: Page, job_id: Id) -> Response:
    page.caller.require("reporting")
    await page.form()
    runs.cancel(page.db, caller=page.caller, job_id=job_id)
    return redirect("/reports/jobs", page.request)


@router.post("/reports/schedules/{schedule_id}/delete")
async def schedule_delete(page: Page, schedule_id: Id) -> Response:
    page.caller.require("reporting", "write")
    await page.form()
    schedule = runs.schedule_of(page.db, caller=page.caller, schedule_id=schedule_id)
    page.db.delete(schedule)
    return redirect(f"/reports/{schedule.definition_id}", page.request)


@router.get("/reports/{report_id}")
def report_page(page: Page, report_id: Id) -> HTMLResponse:
    return _report_page(page, report_id)


def _report_page(page: Console, report_id: int, *, status: int = 200, error: DomainError | None = None) -> HTMLResponse:
    page.caller.require("reporting")
    row = service.find(page.db, organization_id=page.caller.organization_id, key=report_id)
    table = tabulate(page.db, service.definition_of(row), page.caller)
    locale = formats.check_locale("default")
    rows = list(islice(table.rows, SHOWN_ROWS + 1))
    shown = [formats.shown_row(table, values, locale) for values in rows[:SHOWN_ROWS]]
    chart = Markup(formats.chart_svg(table, rows, locale))  # noqa: S704 - built from escaped values
    return page.render("reports/report.html", status=status, error=error, row=row, table=table, rows=shown,
                       more=len(rows) > SHOWN_ROWS, chart=chart, formats=FORMATS,
                       document=orjson.dumps(row.document, option=orjson.OPT_INDENT_2).decode(),
                       schedules=runs.schedules_of(page.db, caller=page.caller, definition_id=row.id),
                       page_title=row.title)


@router.get("/reports/{report_id}/download")
def report_download(page: Page, report_id: Id, format: Annotated[str, Query(max_length=16)] = "html",  # noqa: A002
                    locale: Annotated[str, Query(max_length=32)] = "default") -> Response:
    page.caller.require("reporting")
    chosen, language = check_format(format), formats.check_locale(locale)
    row = service.find(page.db, organization_id=page.caller.organization_id, key=report_id)
    table = tabulate(page.db, service.definition_of(row), page.caller)
    document = formats.FORMATS[chosen]
    return Response(b"".join(document.write([table], language)), media_type=document.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{row.name}.{document.extension}"'})


@router.post("/reports/{report_id}/jobs")
async def report_job(page: Page, report_id: Id) -> Response:
    page.caller.require("reporting")
    form = await page.form()
    row = service.find(page.db, organization_id=page.caller.organization_id, key=report_id)
    runs.enqueue(page.db, caller=page.caller, definition=service.definition_of(row),
                 format=forms.text(form, "format") or "html", locale=forms.text(form, "locale") or "default")
    return redirect("/reports/jobs", page.request)


@router.post("/reports/{report_id}/schedules")
async def report_schedule(page: Page, report_id: Id) -> Response:
    page.caller.require("reporting", "write")
    form = await page.form()
    try:
        runs.create_schedule(page.db, caller=page.caller, data={
            "definition": report_id, "cron": forms.text(form, "cron"), "format": forms.text(form, "format"),
            "locale": forms.text(form, "locale") or "default"})
    except DomainError as exc:
        rolled_back(page)
        return _report_page(page, report_id, status=exc.status, error=exc)
    return redirect(f"/reports/{report_id}", page.request)


@router.post("/reports/{report_id}/delete")
async def report_delete(page: Page, report_id: Id) -> Response:
    page.caller.require("reporting", "write")
    await page.form()
    service.delete(page.db, caller=page.caller, key=report_id)
    return redirect("/reports", page.request)
