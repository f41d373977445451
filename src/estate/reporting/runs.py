"""Reports run in the background: jobs in the database, taken by workers inside the server processes.

A job is queued by an asynchronous request (`async=true`) or a schedule. Every server process runs
`work` on a timer (estate.jobs): it queues the schedules that are due, takes queued jobs one at a
time — on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so that processes never take the same job; on
SQLite under the write lock — and writes each result to the data folder, where it is kept until it
expires. A cancelled job stops at its next check (every CHECK_ROWS rows) and keeps nothing."""

from __future__ import annotations

import logging
import logging.config
import multiprocessing
import os
import signal
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from estate.auth.permissions import Caller
from estate.db.base import utcnow
from estate.db.engine import begin_for_writing, make_engine, make_session_factory
from estate.errors import DomainError, InvalidInput, NotFound
from estate.observe.logs import logging_config
from estate.reporting import formats
from estate.reporting.definition import Definition, check_format, parse_definition
from estate.reporting.engine import Row, tabulate
from estate.reporting.models import (
    CANCELLED,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    ReportDefinition,
    ReportJob,
    ReportSchedule,
)
from estate.reporting.service import definition_of, document_of, find
from estate.servicedesk.storage import DATA_DIR, data_dir_of
from estate.settings import Settings

log = logging.getLogger(__name__)

FOLDER = "reports"
CHECK_ROWS = 2000
JOBS_PER_ROUND = 10
# How long a finished report is kept for download.
DEFAULT_KEEP = timedelta(hours=24)
KEEP = "estate.report_keep_seconds"


# --- callers as the worker sees them ----------------------------------------------------------------

def caller_snapshot(caller: Caller) -> dict[str, Any]:
    return {"account_id": caller.account_id, "organization_id": caller.organization_id,
            "org_account_id": caller.org_account_id, "login": caller.login, "grants": sorted(caller.grants)}


def caller_of(snapshot: dict[str, Any]) -> Caller:
    return Caller(account_id=snapshot["account_id"], organization_id=snapshot["organization_id"],
                  org_account_id=snapshot["org_account_id"], login=snapshot["login"],
                  grants=frozenset(snapshot["grants"]))


# --- asking and answering ---------------------------------------------------------------------------

def enqueue(db: Session, *, caller: Caller, definition: Definition, format: str, locale: str,  # noqa: A002
            schedule_id: int | None = None) -> ReportJob:
    formats.check_locale(locale)
    job = ReportJob(organization_id=caller.organization_id, account_id=caller.account_id,
                    caller=caller_snapshot(caller), schedule_id=schedule_id, document=document_of(definition),
                    format=check_format(format), locale=locale or "default", status=QUEUED)
    db.add(job)
    db.flush()
    return job


def job_of(db: Session, *, caller: Caller, job_id: int, field: str = "uniqueID") -> ReportJob:
    """A job of the caller's organization; a user without every user's data sees only their own."""
    job = db.get(ReportJob, job_id)
    if job is None or job.organization_id != caller.organization_id or (
            not caller.sees_all_data and job.account_id != caller.account_id):
        raise NotFound(f"report {job_id} not found", field=field)
    return job


def jobs_of(db: Session, *, caller: Caller, limit: int) -> list[ReportJob]:
    """The latest jobs the caller may see (job_of's walls), newest first."""
    query = select(ReportJob).where(ReportJob.organization_id == caller.organization_id)
    if not caller.sees_all_data:
        query = query.where(ReportJob.account_id == caller.account_id)
    return list(db.scalars(query.order_by(ReportJob.id.desc()).limit(limit)))


def cancel(db: Session, *, caller: Caller, job_id: int) -> ReportJob:
    """A queued or running job is cancelled (a running one stops at its next check); a finished one
    stays as it is."""
    job = job_of(db, caller=caller, job_id=job_id)
    if job.status in (QUEUED, RUNNING):
        job.status, job.finished = CANCELLED, utcnow()
        db.flush()
    return job


def result_path(data_dir: Path, job: ReportJob) -> Path:
    return data_dir / FOLDER / str(job.organization_id) / f"{job.id}.{formats.FORMATS[job.format].extension}"


# --- the worker ---------------------------------------------------------------------------------------

def work_forever(settings: Settings) -> None:
    """A server process's report worker process (estate.jobs.report_worker): a round every
    `report_worker_seconds` until it is told to stop (SIGTERM) or its server process is gone (killed
    without the chance to stop it), logging as the server logs."""
    # Its parent's sentinel, not its parent's pid: a server killed before this process ran a line
    # left it with init's pid from the start.
    server = multiprocessing.parent_process()
    signal.signal(signal.SIGTERM, _stop)
    logging.config.dictConfig(logging_config(level=settings.log_level, log_format=settings.log_format))
    sessions = make_session_factory(make_engine(settings.database_url))
    sessions.configure(info={DATA_DIR: settings.data_dir, KEEP: settings.report_keep_seconds})
    try:
        while server is None or server.is_alive():
            try:
                work(sessions)
            except Exception:  # a failed round is logged; the next one tries again
                log.exception("report worker round failed")
            time.sleep(settings.report_worker_seconds)
    except _Stopped:
        return


class _Stopped(BaseException):
    """The worker process was told to stop."""


def _stop(signum: int, frame: Any) -> None:
    raise _Stopped


def work(sessions: sessionmaker[Session]) -> int:
    """One round of a server process's worker: due schedules queued, queued jobs run, expired
    results removed. Answers how many jobs it ran."""
    queue_due_schedules(sessions)
    ran = 0
    while ran < JOBS_PER_ROUND and (job_id := claim(sessions)) is not None:
        execute(sessions, job_id)
        ran += 1
    remove_expired(sessions)
    return ran


def claim(sessions: sessionmaker[Session]) -> int | None:
    """The oldest queued job, now running in this process; None when there is none."""
    if not _exists(sessions, select(ReportJob.id).where(ReportJob.status == QUEUED)):
        return None  # a quiet server takes no lock
    with sessions() as db:
        begin_for_writing(db)
        statement = select(ReportJob).where(ReportJob.status == QUEUED).order_by(ReportJob.created, ReportJob.id)
        if db.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        job = db.scalar(statement.limit(1))
        if job is None:
            return None
        job.status, job.started = RUNNING, utcnow()
        db.commit()
        return job.id


def _exists(sessions: sessionmaker[Session], query: Any) -> bool:
    with sessions() as db:
        return db.scalar(query.limit(1)) is not None


def _still_running(sessions: sessionmaker[Session], job_id: int) -> bool:
    with sessions() as db:
        return db.scalar(select(ReportJob.status).where(ReportJob.id == job_id)) == RUNNING


def _checked_rows(rows: Iterator[Row], sessions: sessionmaker[Session], job_id: int) -> Iterator[Row]:
    for count, row in enumerate(rows, start=1):
        if count % CHECK_ROWS == 0 and not _still_running(sessions, job_id):
            raise _Cancelled
        yield row


class _Cancelled(Exception):
    pass


def execute(sessions: sessionmaker[Session], job_id: int) -> str:
    """Run one claimed job to its end: done (the document on disk), failed, or cancelled."""
    with sessions() as db:
        job = db.get(ReportJob, job_id)
        if job is None or job.status != RUNNING:
            return job.status if job is not None else CANCELLED
        data_dir = data_dir_of(db)
        path = result_path(data_dir, job)
        keep = timedelta(seconds=float(db.info.get(KEEP, DEFAULT_KEEP.total_seconds())))
        try:
            table = tabulate(db, parse_definition(job.document), caller_of(job.caller))
            table.rows = _checked_rows(table.rows, sessions, job_id)
            _write(path, formats.FORMATS[job.format].write([table], formats.check_locale(job.locale)))
            outcome, error = DONE, ""
        except _Cancelled:
            outcome, error = CANCELLED, ""
        except _Stopped:
            db.rollback()
            _finish(sessions, job_id, path, FAILED, "the server stopped while the report ran", keep)
            raise
        except DomainError as exc:
            outcome, error = FAILED, exc.message
        except Exception as exc:  # a report that cannot be written is failed, not retried forever
            log.exception("report job %s failed", job_id)
            outcome, error = FAILED, type(exc).__name__
        db.rollback()
    return _finish(sessions, job_id, path, outcome, error, keep)


def _write(path: Path, chunks: Iterator[bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    try:
        with open(partial, "wb") as target:
            for chunk in chunks:
                target.write(chunk)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _finish(sessions: sessionmaker[Session], job_id: int, path: Path, outcome: str, error: str,
            keep: timedelta) -> str:
    with sessions() as db:
        begin_for_writing(db)
        now = utcnow()
        values: dict[str, Any] = {"status": outcome, "error": error, "finished": now}
        if outcome == DONE:
            values |= {"result_key": str(path.relative_to(data_dir_of(db) / FOLDER)), "expires": now + keep}
        # Only a job still running is finished: one cancelled meanwhile stays cancelled.
        changed = db.execute(update(ReportJob).where(ReportJob.id == job_id, ReportJob.status == RUNNING)
                             .values(**values).returning(ReportJob.id)).first() is not None
        db.commit()
    if not changed or outcome != DONE:
        path.unlink(missing_ok=True)
        return CANCELLED if not changed else outcome
    return outcome


def remove_expired(sessions: sessionmaker[Session], *, now: datetime | None = None) -> int:
    """Finished results past their expiry: their files and their jobs removed."""
    now = now or utcnow()
    expired_query = select(ReportJob.id).where(ReportJob.expires < now)
    if not _exists(sessions, expired_query):
        return 0
    with sessions() as db:
        begin_for_writing(db)
        data_dir = data_dir_of(db)
        expired = list(db.scalars(select(ReportJob).where(ReportJob.id.in_(expired_query))))
        for job in expired:
            if job.result_key:
                (data_dir / FOLDER / job.result_key).unlink(missing_ok=True)
            db.delete(job)
        db.commit()
    return len(expired)


# --- schedules ----------------------------------------------------------------------------------------

# croniter (with dateutil) is imported where a schedule is read or checked: a server worker meets
# schedules only when one is written, and does without the modules otherwise.

def next_run(cron: str, after: datetime) -> datetime:
    from croniter import croniter

    return croniter(cron, after).get_next(datetime)


def check_cron(cron: str, *, field: str = "cron") -> str:
    from croniter import croniter

    text = " ".join((cron or "").split())
    if not text or not croniter.is_valid(text):
        raise InvalidInput(f"{field} must be a cron schedule (minute hour day month weekday)", field=field)
    return text


def create_schedule(db: Session, *, caller: Caller, data: Any) -> ReportSchedule:
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", field="body")
    report = data.get("definition", data.get("id"))
    if report is None or isinstance(report, bool) or not isinstance(report, (int, str)):
        raise InvalidInput("definition names the report (its id or name)", field="definition")
    row = find(db, organization_id=caller.organization_id, key=report, field="definition")
    cron = check_cron(str(data.get("cron", "")))
    locale = str(data.get("locale") or "default")
    formats.check_locale(locale)
    schedule = ReportSchedule(organization_id=caller.organization_id, definition_id=row.id,
                              account_id=caller.account_id, caller=caller_snapshot(caller), cron=cron,
                              format=check_format(str(data.get("format") or "html")), locale=locale,
                              enabled=bool(data.get("enabled", True)), next_run=next_run(cron, utcnow()))
    db.add(schedule)
    db.flush()
    return schedule


def schedules_of(db: Session, *, caller: Caller, definition_id: int | None = None) -> list[ReportSchedule]:
    query = select(ReportSchedule).where(ReportSchedule.organization_id == caller.organization_id)
    if definition_id is not None:
        query = query.where(ReportSchedule.definition_id == definition_id)
    return list(db.scalars(query.order_by(ReportSchedule.id)))


def schedule_of(db: Session, *, caller: Caller, schedule_id: int) -> ReportSchedule:
    schedule = db.get(ReportSchedule, schedule_id)
    if schedule is None or schedule.organization_id != caller.organization_id:
        raise NotFound(f"schedule {schedule_id} not found", field="id")
    return schedule


def queue_due_schedules(sessions: sessionmaker[Session], *, now: datetime | None = None) -> int:
    """A job for every enabled schedule that is due; its next run moved on."""
    now = now or utcnow()
    due_query = select(ReportSchedule.id).where(ReportSchedule.enabled.is_(True), ReportSchedule.next_run <= now)
    if not _exists(sessions, due_query):
        return 0
    with sessions() as db:
        begin_for_writing(db)
        statement = select(ReportSchedule).where(ReportSchedule.id.in_(due_query))
        if db.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        queued = 0
        for schedule in db.scalars(statement):
            row = db.get(ReportDefinition, schedule.definition_id)
            if row is not None:
                job = enqueue(db, caller=caller_of(schedule.caller), definition=definition_of(row),
                              format=schedule.format, locale=schedule.locale, schedule_id=schedule.id)
                schedule.last_job_id = job.id
                queued += 1
            schedule.next_run = next_run(schedule.cron, now)
        db.commit()
    return queued
