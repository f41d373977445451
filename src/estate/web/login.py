"""Logging in to the console (password, then the second factor when the account has one),
logging out and switching organization: the login sessions of estate.auth.sessions, in cookies."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from estate.auth import sessions
from estate.auth.models import AuthSession
from estate.errors import InvalidInput, NotAuthenticated, TooManyAttempts
from estate.settings import Settings
from estate.web.console import (
    CSRF_COOKIE,
    CSRF_FIELD,
    DB,
    SESSION_COOKIE,
    ConsoleRoute,
    form_of,
    redirect,
    safe_next,
    secure_cookies,
    source_of,
    templates,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

# Before a login there is no session to hold a CSRF token: the form carries one that must match
# this cookie (double submit), so that another site cannot log a browser in to an account of its own.
LOGIN_COOKIE = "estate_login"


def _page(template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(templates().get_template(template).render(**values), status_code=status)


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _cookie_options(request: Request) -> dict[str, Any]:
    return {"path": "/", "secure": secure_cookies(request, _settings(request)), "samesite": "lax"}


@router.get("/login")
def login_form(request: Request, next: str = "/", expired: str = "") -> HTMLResponse:  # noqa: A002 - the page's parameter
    token = secrets.token_urlsafe(24)
    response = _page("login.html", next=safe_next(next), expired=bool(expired), login_token=token,
                     page_title="Log in")
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, **_cookie_options(request))
    return response


def _login_refused(request: Request, message: str, status: int, next_page: str, login: str) -> HTMLResponse:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = _page("login.html", status=status, error=message, next=next_page, login=login, login_token=token,
                     page_title="Log in")
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, **_cookie_options(request))
    return response


@router.post("/login")
async def login(request: Request, db: DB) -> Response:
    form = await form_of(request)
    next_page = safe_next(_text(form, "next"))
    login_name = _text(form, "username").strip()
    expected = request.cookies.get(LOGIN_COOKIE) or ""
    presented = _text(form, CSRF_FIELD)
    if not expected or not secrets.compare_digest(expected.encode(), presented.encode()):
        return _login_refused(request, "The login form expired; please try again.", 400, next_page, login_name)
    try:
        issued = sessions.login(db, _settings(request), login=login_name, password=_text(form, "password"),
                                organization_name=_text(form, "organization").strip() or None,
                                source=source_of(request))
    except NotAuthenticated as exc:
        db.commit()  # the failed attempt counts even though the login fails
        return _login_refused(request, exc.message, 401, next_page, login_name)
    except TooManyAttempts as exc:
        return _login_refused(request, exc.message, 429, next_page, login_name)
    target = next_page if issued.session.fully_authenticated else f"/login/code?{urlencode({'next': next_page})}"
    response = redirect(target)
    options = _cookie_options(request)
    response.set_cookie(SESSION_COOKIE, issued.token, httponly=True, **options)
    response.set_cookie(CSRF_COOKIE, issued.session.csrf_token, **options)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


def _session(request: Request, db: Session) -> AuthSession:
    return sessions.find_session(db, _settings(request), token=request.cookies.get(SESSION_COOKIE), jwt=None)


@router.get("/login/code")
def code_form(request: Request, db: DB, next: str = "/") -> Response:  # noqa: A002
    session = _session(request, db)
    if session.fully_authenticated:
        return redirect(safe_next(next))
    return _page("login_code.html", next=safe_next(next), csrf=session.csrf_token, page_title="Second factor")


@router.post("/login/code")
async def verify_code(request: Request, db: DB) -> Response:
    form = await form_of(request)
    session = _session(request, db)
    sessions.check_csrf(session, _text(form, CSRF_FIELD))
    next_page = safe_next(_text(form, "next"))
    try:
        sessions.verify_second_factor(db, _settings(request), session, _text(form, "code") or None)
    except (NotAuthenticated, InvalidInput, TooManyAttempts) as exc:
        db.commit()  # the failed attempt counts
        return _page("login_code.html", status=exc.status, error=exc.message, next=next_page,
                     csrf=session.csrf_token, page_title="Second factor")
    return redirect(next_page)


@router.post("/logout")
async def logout(request: Request, db: DB) -> Response:
    form = await form_of(request)
    try:
        session = _session(request, db)
        sessions.check_csrf(session, _text(form, CSRF_FIELD))
        sessions.logout(db, session)
    except NotAuthenticated:
        pass  # already gone: logging out again only clears the cookies
    response = redirect("/login")
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/")
    return response


@router.post("/session/organization")
async def switch_organization(request: Request, db: DB) -> Response:
    form = await form_of(request)
    session = _session(request, db)
    sessions.check_csrf(session, _text(form, CSRF_FIELD))
    if not session.fully_authenticated:
        raise NotAuthenticated(sessions.NOT_FULLY_AUTHENTICATED)
    raw = _text(form, "organization_id")
    if not raw.isdigit():
        raise InvalidInput("choose an organization", field="organization_id")
    sessions.switch_organization(db, session, int(raw))
    return redirect("/")
