"""What the server does by itself, on a timer, inside each server process (docs/decisions/0010).

Each job is idempotent and short: several server processes run it side by side, and whichever
comes first does the work. A job reads first and takes the write lock only when it has something to
write, so that a quiet server never queues its writers behind it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from multiprocessing import get_context

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from estate.db.base import utcnow
from estate.db.engine import begin_for_writing
from estate.reporting import runs as report_runs
from estate.servicedesk import service as servicedesk
from estate.settings import Settings

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


def server_jobs(escalation_check_seconds: float) -> list[Periodic]:
    """The jobs of a server process; an interval of 0 turns its job off."""
    jobs = [Periodic("escalations", escalation_check_seconds, mark_escalations)]
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


@contextmanager
def report_worker(settings: Settings) -> Iterator[None]:
    """Queued and scheduled reports (estate.reporting.runs) run while the block runs, in a process
    the server process starts for them: a report of millions of rows then never holds the
    interpreter lock the server's requests wait for. Every server process has its own; they share
    the queue. An interval of 0 starts none."""
    if settings.report_worker_seconds <= 0:
        yield
        return
    process = get_context("spawn").Process(
        target=report_runs.work_forever, name="estate-reports", daemon=True, args=(settings,))
    process.start()
    try:
        yield
    finally:
        process.terminate()  # a report running is marked failed by the worker on its way out
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()
