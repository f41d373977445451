"""Request dependencies of the KACE face: the transaction, the login session, the caller."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Generator, Iterable
from functools import wraps
from typing import Annotated, Any

from anyio import CancelScope
from fastapi import Depends, Path, Request
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from estate.auth import sessions
from estate.auth.models import AuthSession
from estate.auth.permissions import Caller
from estate.db.base import MAX_INT
from estate.db.requests import ENDED_ELSEWHERE, commit, request_transaction, roll_back
from estate.kace.http import api_version, read_body
from estate.observe import record
from estate.settings import Settings

SESSION_COOKIE = "kboxid"
JWT_COOKIE = "x-dell-auth-jwt"
CSRF_COOKIE = "KACE_CSRF_TOKEN"
CSRF_HEADERS = ("x-dell-csrf-token", "x-kace-csrf-token")


# Dependencies that do no I/O are `async def`: FastAPI runs every plain `def` dependency in the
# thread pool, and under load each such round trip costs more than a page's query.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One transaction per request (estate.db.requests), the login session's activity recorded after
    it; a plain `def` route commits it in its own thread (commit_in_route_threads), an answer
    streamed from it ends it (TransactionStream)."""
    async with request_transaction(request.app.state.sessions, method=request.method,
                                   after_commit=sessions.record_activity) as db:
        yield db


# Set on a route wrapped by commit_in_route_threads.
_COMMITS_IN_ITS_THREAD = "estate_kace_commits_in_its_thread"


def commit_in_route_threads(routes: Iterable[BaseRoute]) -> None:
    """Let each plain `def` route that takes `DB` commit its transaction in the thread it runs in.

    FastAPI runs such a route in the thread pool and get_db's commit after it in another trip
    there; a trip costs more than a page's commit (docs/decisions/1102). The answer is the same:
    the route's value is already built when it commits, and a route that raises still rolls back
    in get_db."""
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        call = route.dependant.call
        if call is None or inspect.iscoroutinefunction(call) or hasattr(call, _COMMITS_IN_ITS_THREAD):
            continue
        name = next((dep.name for dep in route.dependant.dependencies if dep.call is get_db), None)
        if name is not None:
            route.dependant.call = _committing(call, name)


def _committing(route: Callable[..., Any], db_parameter: str) -> Callable[..., Any]:
    @wraps(route)
    def run(**values: Any) -> Any:
        answer = route(**values)
        db: Session = values[db_parameter]
        if not db.info.get(ENDED_ELSEWHERE):
            commit(db, sessions.record_activity)
            db.info[ENDED_ELSEWHERE] = True
        return answer

    setattr(run, _COMMITS_IN_ITS_THREAD, True)
    return run


class TransactionStream(StreamingResponse):
    """An answer streamed from the request's own transaction, which ends when the stream does: a
    list of every record is read in the snapshot its Count and the caller's rights were read in,
    not in a later one."""

    def __init__(self, db: Session, chunks: Generator[bytes], *, media_type: str) -> None:
        super().__init__(chunks, media_type=media_type)
        self._db = db
        self._chunks = chunks
        db.info[ENDED_ELSEWHERE] = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except BaseException:
            # Also when the client went away mid-stream: the connection goes back to the pool clean.
            with CancelScope(shield=True):
                await run_in_threadpool(self._chunks.close)
                await run_in_threadpool(roll_back, self._db)
            raise
        await run_in_threadpool(commit, self._db, sessions.record_activity)


DB = Annotated[Session, Depends(get_db, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings)]


def csrf_header(request: Request) -> str | None:
    for name in CSRF_HEADERS:
        if value := request.headers.get(name):
            return value
    return None


def login_session(request: Request, db: DB, settings: AppSettings) -> AuthSession:
    """The caller's session, even before its second factor is verified."""
    api_version(request)
    session = sessions.find_session(
        db, settings, token=request.cookies.get(SESSION_COOKIE), jwt=request.cookies.get(JWT_COOKIE)
    )
    sessions.check_csrf(session, csrf_header(request))
    return session


LoginSession = Annotated[AuthSession, Depends(login_session)]


async def current_caller(request: Request) -> Caller:
    """The fully authenticated caller; checks what login_session checks, then the membership.

    Answered on the event loop when this worker resolved the same cookies a moment ago
    (estate.auth.callers), else in a short read of its own on a worker thread, before the request's
    own transaction begins (get_db: at the route's first statement), so that a session due its
    last_seen move is moved there without waiting on the request's own write lock, a request holds
    one connection at a time, and a route receiving a large upload has it received before it takes
    the write lock."""
    api_version(request)
    hashes = sessions.presented_hashes(request.cookies.get(SESSION_COOKIE), request.cookies.get(JWT_COOKIE))
    csrf = csrf_header(request)
    state = request.app.state
    caller = sessions.remembered_caller(state.callers, hashes, csrf)
    if caller is None:
        caller = await run_in_threadpool(_caller_in_a_read, state, hashes, csrf)
    record.note_caller(organization_id=caller.organization_id, account_id=caller.account_id)
    return caller


def _caller_in_a_read(state: State, hashes: tuple[str, ...], csrf: str | None) -> Caller:
    with state.sessions() as db:
        caller = sessions.resolve_caller(db, state.settings, hashes=hashes, csrf=csrf, callers=state.callers)
        db.commit()
        sessions.record_activity(db)
        return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


async def json_body(request: Request) -> Any:
    return await read_body(request, request.app.state.settings.max_body_bytes)


Body = Annotated[Any, Depends(json_body)]

# A record id in a path: a number a column can hold, or 422 naming the parameter.
Id = Annotated[int, Path(ge=0, le=MAX_INT)]
