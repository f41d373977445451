"""What the server does by itself, on a timer, inside each server process (docs/decisions/0010).

Each job is idempotent and short: several server processes run it side by side, and whichever
comes first does the work. A job reads first and takes the write lock only when it has something to
write, so that a quiet server never queues its writers behind it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from estate.db.base import utcnow
from estate.db.engine import begin_for_writing
from estate.reporting import runs as report_runs
from estate.servicedesk import service as servicedesk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    every_seconds: float
    run: Callable[[sessionmaker[Session]], None]


def mark_escalations(sessions: sessionmaker[Session]) -> None:
    """Mark the open tickets that went overdue without being written, in every organization."""
    now = utcnow()
    with sessions() as db:
        due = servicedesk.organizations_with_overdue_tickets(db, now=now)
    if not due:
        return
    with sessions() as db:
        begin_for_writing(db)
        for organization_id in due:
            servicedesk.mark_escalations(db, organization_id=organization_id, now=now)
        db.commit()


def run_reports(sessions: sessionmaker[Session]) -> None:
    """Queued and scheduled reports (estate.reporting.runs): several processes share the queue."""
    report_runs.work(sessions)


def server_jobs(escalation_check_seconds: float, report_worker_seconds: float = 0) -> list[Periodic]:
    """The jobs of a server process; an interval of 0 turns its job off."""
    jobs = [Periodic("escalations", escalation_check_seconds, mark_escalations),
            Periodic("reports", report_worker_seconds, run_reports)]
    return [job for job in jobs if job.every_seconds > 0]


async def _repeat(job: Periodic, sessions: sessionmaker[Session]) -> None:
    while True:
        await asyncio.sleep(job.every_seconds)
        try:
            await run_in_threadpool(job.run, sessions)
        except Exception:  # a failed round is logged; the next one tries again
            log.exception("job %s failed", job.name)


@asynccontextmanager
async def running(jobs: Sequence[Periodic], sessions: sessionmaker[Session]) -> AsyncIterator[None]:
    """Run ``jobs`` while the block runs: each waits its interval, then runs, again and again."""
    tasks = [asyncio.create_task(_repeat(job, sessions), name=job.name) for job in jobs]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
