"""Scripts: the organization's scripts, each with its runs and every machine's result, and a run's
log per machine, through estate.scripting as the Scripting API reads them; failed runs count on
the dashboard."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Query
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from estate.db.base import utcnow
from estate.scripting import runs, service
from estate.scripting.models import FAILED, ScriptRun, ScriptRunMachine
from estate.web.areas.dashboard import ATTENTION, Attention
from estate.web.console import Console, Id, Page
from estate.web.registry import area

router = area("scripts", title="Scripts", path="/scripts", right="scripting", order=50,
              readable=service.can_read)

PAGE_SIZE = 50
RECENT_RUNS = 20


@router.get("/scripts")
def script_list(page: Page, q: str = "", page_number: Annotated[int, Query(alias="page")] = 1) -> HTMLResponse:
    service.require(page.caller)
    number = max(page_number, 1)
    found = service.list_scripts(page.db, organization_id=page.caller.organization_id,
                                 account_id=page.caller.account_id, kind="all", search_text=q.strip() or None,
                                 compatible_for=None, start=(number - 1) * PAGE_SIZE, count=PAGE_SIZE + 1,
                                 sorting="name")
    return page.render("scripts/list.html", scripts=found[:PAGE_SIZE], has_next=len(found) > PAGE_SIZE,
                       number=number, q=q, runs=_runs(page, None), page_title="Scripts")


def _runs(page: Console, script_id: int | None) -> list[tuple[ScriptRun, dict[str, int]]]:
    """The latest runs (of one script, or of all) with their machines counted by status."""
    query = select(ScriptRun).where(ScriptRun.organization_id == page.caller.organization_id)
    if script_id is not None:
        query = query.where(ScriptRun.script_id == script_id)
    latest = list(page.db.scalars(query.order_by(ScriptRun.id.desc()).limit(RECENT_RUNS)))
    counts: dict[int, dict[str, int]] = {run.id: {} for run in latest}
    if counts:
        for run_id, status, count in page.db.execute(
            select(ScriptRunMachine.run_id, ScriptRunMachine.status, func.count())
            .where(ScriptRunMachine.run_id.in_(list(counts)))
            .group_by(ScriptRunMachine.run_id, ScriptRunMachine.status)
        ):
            counts[run_id][status] = count
    return [(run, counts[run.id]) for run in latest]


@router.get("/scripts/{script_id}")
def script_page(page: Page, script_id: Id) -> HTMLResponse:
    service.require(page.caller)
    script = service.get_script(page.db, organization_id=page.caller.organization_id, script_id=script_id)
    return page.render("scripts/script.html", script=script, tasks=service.tasks_of(page.db, script),
                       runs=_runs(page, script.id), page_title=script.name)


@router.get("/scripts/runs/{run_id}")
def run_page(page: Page, run_id: Id) -> HTMLResponse:
    service.require(page.caller)
    machines = runs.run_status(page.db, organization_id=page.caller.organization_id, run_id=run_id)
    return page.render("scripts/run.html", run_id=run_id, run=machines, page_title=f"Run {run_id}")


@router.get("/scripts/logs/{log_id}")
def log_page(page: Page, log_id: Id) -> HTMLResponse:
    service.require(page.caller)
    log = runs.machine_log(page.db, organization_id=page.caller.organization_id, log_id=log_id)
    return page.render("scripts/log.html", log=log, page_title=f"{log['scriptName']} on {log['name']}")


def _failed_runs(page: Console, days: int) -> Attention | None:
    if not service.can_read(page.caller):
        return None
    value = page.db.scalar(
        select(func.count()).select_from(ScriptRunMachine).where(
            ScriptRunMachine.organization_id == page.caller.organization_id, ScriptRunMachine.status == FAILED,
            ScriptRunMachine.finished >= utcnow() - timedelta(days=days))
    ) or 0
    return Attention(f"Failed script runs in {days} days", value, "/scripts")


ATTENTION.append(_failed_runs)
