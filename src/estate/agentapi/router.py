"""`/agent/v1/...`: what agents call. Every request but enrolment carries the machine secret
(`Authorization: Bearer ...`); a machine sees only its own work. Database work runs in short
sessions in the thread pool; a long-poll waits on the event loop with no session open."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from estate.agentapi.http import answer, file, json_body, spooled
from estate.agentapi.limits import RateLimiter
from estate.agentapi.waiting import waiters_of
from estate.agents import service as agents
from estate.agents.models import Work
from estate.db.base import MAX_INT
from estate.db.engine import begin_for_writing
from estate.distribution import deploy
from estate.errors import InvalidInput, NotFound
from estate.inventory import service as inventory
from estate.scripting import runs
from estate.scripting import service as scripts
from estate.servicedesk import storage

router = APIRouter(prefix="/agent/v1", tags=["agent"], include_in_schema=False)
T = TypeVar("T")
PROTOCOL = 1


def _stored(db: Session, dependency: Mapping[str, Any]) -> tuple[Path, str]:
    path = storage.path_of(storage.data_dir_of(db), dependency["key"])
    if not path.is_file():
        raise NotFound(f"the file of dependency {dependency['name']!r} is missing", field="name")
    return path, dependency["name"]


def _script_file(db: Session, *, work: Work, name: str) -> tuple[Path, str]:
    return _stored(db, runs.dependency_of_run(db, target=runs.target_of_work(db, work), name=name))


@dataclass(frozen=True)
class WorkKind:
    """What the domain of a kind of work answers for: the claimed rows as the agent receives them,
    the files the work fetches, the agent's start and its reports."""

    payloads: Callable[..., list[dict[str, Any]]]
    file: Callable[..., tuple[Path, str]]
    start: Callable[..., None]
    report: Callable[..., None]


KINDS: dict[str, WorkKind] = {
    scripts.WORK_KIND: WorkKind(runs.work_payloads, _script_file, runs.start_work, runs.record_report),
    deploy.WORK_KIND: WorkKind(deploy.work_payloads, deploy.package_of_work, deploy.start_work, deploy.record_report),
}


def _kind_of(work: Work) -> WorkKind:
    kind = KINDS.get(work.kind)
    if kind is None:
        raise NotFound(f"work {work.id} is of no kind this server knows", field="workId")
    return kind


def _limiter(request: Request) -> RateLimiter:
    limiter = getattr(request.app.state, "agent_limiter", None)
    if limiter is None:
        rate = request.app.state.settings.agent_requests_per_second
        limiter = request.app.state.agent_limiter = RateLimiter(rate, burst=4 * rate)
    return limiter


def machine_secret(request: Request) -> str:
    """The bearer secret, after its rate limit."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        secret = ""
    _limiter(request).take(f"m:{secret}" if secret else f"a:{request.client.host if request.client else ''}")
    return secret.strip()


Secret = Annotated[str, Depends(machine_secret)]


def _run(request: Request, work: Callable[[Session], T], *, write: bool) -> T:
    """One transaction in a session of its own (called in the thread pool)."""
    with request.app.state.sessions() as db:
        if write:
            begin_for_writing(db)
        answer = work(db)
        db.commit()
        return answer


async def in_session(request: Request, work: Callable[[Session], T], *, write: bool = False) -> T:
    return await run_in_threadpool(_run, request, work, write=write)


def _read_check_in(request: Request, secret: str) -> agents.CheckIn:
    """The idle check-in's one read, on a pooled connection without a session's bookkeeping."""
    with request.app.state.engine.connect() as connection:
        return agents.check_in(connection, secret=secret)


def _settings_answer(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    return {"protocol": PROTOCOL, "inventorySeconds": settings.agent_inventory_seconds,
            "pollSeconds": settings.agent_poll_seconds}


# --- enrolment and inventory -------------------------------------------------------------------


@router.post("/enrol")
async def enrol(request: Request) -> Response:
    _limiter(request).take(f"e:{request.client.host if request.client else ''}")
    body = await json_body(request)
    if not isinstance(body, Mapping):
        raise InvalidInput("the body must be an object with token, kuid and name", field="body")
    unknown = sorted(set(body) - {"token", "kuid", "name", "agentVersion"})
    if unknown:
        raise InvalidInput(f"{unknown[0]}: unknown field", field=unknown[0])
    version = body.get("agentVersion") if isinstance(body.get("agentVersion"), str) else ""
    enrolled = await in_session(request, lambda db: agents.enrol(
        db, token=body.get("token"), kuid=body.get("kuid"), name=body.get("name"), agent_version=version),
        write=True)
    return answer({"machineId": enrolled.machine_id, "kuid": enrolled.kuid, "secret": enrolled.secret,
                   **_settings_answer(request)})


@router.post("/inventory")
async def send_inventory(request: Request, secret: Secret) -> Response:
    """The machine's inventory in the ingest format of `POST /api/inventory/machines` (one machine)."""
    body = await json_body(request)

    def store(db: Session) -> int:
        caller = agents.check_in(db, secret=secret)
        return inventory.update_machine(db, organization_id=caller.organization_id, machine_id=caller.machine_id,
                                        data=body, where="machine")

    return answer({"machineId": await in_session(request, store, write=True)})


# --- check-in ----------------------------------------------------------------------------------


def _claim(db: Session, *, secret: str, pending: tuple[int, ...]) -> list[dict[str, Any]]:
    caller = agents.check_in(db, secret=secret)
    claimed = agents.claim(db, machine_id=caller.machine_id, work_ids=pending)
    return [payload for kind in KINDS.values() for payload in kind.payloads(db, claimed=claimed)]


@router.post("/checkin")
async def check_in(request: Request, secret: Secret,
                   wait: Annotated[float, Query(ge=0, le=300)] = 0,
                   revision: Annotated[int, Query(ge=-1, le=MAX_INT)] = -1) -> Response:
    """Work for the machine, waiting up to `wait` seconds for some to arrive. An idle check-in is
    one indexed read; the answer also tells whether the offline scripts or an inventory are due."""
    deadline = time.monotonic() + min(wait, request.app.state.settings.agent_poll_seconds)
    while True:
        found = await run_in_threadpool(_read_check_in, request, secret)
        work: list[dict[str, Any]] = []
        if found.pending:
            claim = functools.partial(_claim, secret=secret, pending=found.pending)
            work = await in_session(request, claim, write=True)
        remaining = deadline - time.monotonic()
        if work or found.offline_revision != revision or found.force_inventory or remaining <= 0:
            return answer({"work": work, "offlineRevision": found.offline_revision,
                           "forceInventory": found.force_inventory, **_settings_answer(request)})
        await waiters_of(request.app).wait(found.machine_id, remaining)


# --- work: files and reports -------------------------------------------------------------------

@router.get("/work/{work_id}/dependency/{name}")
async def work_dependency(request: Request, secret: Secret, work_id: int, name: str) -> Response:
    """A file the work needs (a script's dependency, a managed install's package); Range supported."""
    def find(db: Session) -> tuple[Path, str]:
        caller = agents.check_in(db, secret=secret)
        work = agents.work_of(db, machine_id=caller.machine_id, work_id=work_id)
        return _kind_of(work).file(db, work=work, name=name)

    return file(*await in_session(request, find))


@router.post("/work/{work_id}/start")
async def start(request: Request, secret: Secret, work_id: int) -> Response:
    """The agent begins the work; 409 when it expired before the agent took it (the agent skips it)."""
    def begin(db: Session) -> None:
        caller = agents.check_in(db, secret=secret)
        work = agents.work_of(db, machine_id=caller.machine_id, work_id=work_id)
        _kind_of(work).start(db, work=work)

    await in_session(request, begin, write=True)
    return answer({"Result": "Success"})


@router.post("/work/{work_id}/report")
async def report(request: Request, secret: Secret, work_id: int) -> Response:
    body = await json_body(request)

    def store(db: Session) -> None:
        caller = agents.check_in(db, secret=secret)
        work = agents.work_of(db, machine_id=caller.machine_id, work_id=work_id)
        _kind_of(work).report(db, work=work, body=body)

    await in_session(request, store, write=True)
    return answer({"Result": "Success"})


@router.post("/work/{work_id}/upload/{name}")
async def upload(request: Request, secret: Secret, work_id: int, name: str) -> Response:
    """A file the run uploads from the machine (raw body), kept with the machine's run."""
    settings = request.app.state.settings
    source = await spooled(request, max_bytes=settings.max_dependency_bytes)
    safe = storage.safe_file_name(name)

    def store(db: Session) -> None:
        caller = agents.check_in(db, secret=secret)
        work = agents.work_of(db, machine_id=caller.machine_id, work_id=work_id)
        stored = storage.store(db, storage.data_dir_of(db), caller.organization_id, source, file_name=safe,
                               content_type=None, max_bytes=settings.max_dependency_bytes, field="file")
        runs.record_upload(db, work=work, name=safe, stored=stored)

    try:
        await in_session(request, store, write=True)
    finally:
        source.close()
    return answer({"Result": "Success", "name": safe})


# --- offline scripts ---------------------------------------------------------------------------


@router.get("/offline")
async def offline_scripts(request: Request, secret: Secret) -> Response:
    def read(db: Session) -> dict[str, Any]:
        caller = agents.check_in(db, secret=secret)
        return {"revision": caller.offline_revision, "scripts": runs.offline_definitions(
            db, organization_id=caller.organization_id, machine_id=caller.machine_id)}

    return answer(await in_session(request, read))


@router.get("/offline/{script_id}/dependency/{name}")
async def offline_dependency(request: Request, secret: Secret, script_id: int, name: str) -> Response:
    def find(db: Session) -> tuple[Path, str]:
        caller = agents.check_in(db, secret=secret)
        return _stored(db, runs.offline_dependency(db, organization_id=caller.organization_id,
                                                   machine_id=caller.machine_id, script_id=script_id, name=name))

    return file(*await in_session(request, find))


@router.post("/offline/results")
async def offline_result(request: Request, secret: Secret) -> Response:
    body = await json_body(request)

    def store(db: Session) -> int:
        caller = agents.check_in(db, secret=secret)
        return runs.record_offline_result(db, organization_id=caller.organization_id, machine_id=caller.machine_id,
                                          body=body)

    return answer({"kbotLogId": await in_session(request, store, write=True)})
