"""Request dependencies of the KACE face: the transaction, the login session, the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from estate.auth import sessions
from estate.auth.models import AuthSession
from estate.auth.permissions import Caller
from estate.db.engine import begin_for_writing
from estate.errors import NotAuthenticated
from estate.kace.http import api_version, read_body
from estate.settings import Settings

SESSION_COOKIE = "kboxid"
JWT_COOKIE = "x-dell-auth-jwt"
CSRF_COOKIE = "KACE_CSRF_TOKEN"
CSRF_HEADERS = ("x-dell-csrf-token", "x-kace-csrf-token")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back when it raises."""
    db: Session = request.app.state.sessions()
    try:
        if request.method in WRITE_METHODS:
            begin_for_writing(db)
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise
    else:
        sessions.record_activity(db)
    finally:
        db.close()


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


def current_caller(session: LoginSession, db: DB) -> Caller:
    if not session.fully_authenticated:
        raise NotAuthenticated(sessions.NOT_FULLY_AUTHENTICATED)
    return sessions.caller_for(db, session)


CurrentCaller = Annotated[Caller, Depends(current_caller)]


async def json_body(request: Request) -> Any:
    return await read_body(request, request.app.state.settings.max_body_bytes)


Body = Annotated[Any, Depends(json_body)]
