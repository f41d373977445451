"""/ams/shared/api/security/...: login, logout, two-factor step, organization switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from estate.accounts import service as accounts
from estate.auth import sessions
from estate.auth.models import AuthSession
from estate.auth.secrets import verify_password
from estate.errors import InvalidInput, NotAuthenticated
from estate.kace.deps import (
    CSRF_COOKIE,
    DB,
    JWT_COOKIE,
    SESSION_COOKIE,
    AppSettings,
    Body,
    CurrentCaller,
    LoginSession,
)
from estate.kace.http import SUCCESS, api_version, empty, respond, validate

router = APIRouter(prefix="/ams/shared/api/security", tags=["security"])


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    user_name: str = Field(alias="userName", min_length=1)
    password: str
    organization_name: str | None = Field(default=None, alias="organizationName")


class VerificationData(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    current_code: str | None = Field(default=None, alias="currentCode")
    skip_configuration: bool | None = Field(default=None, alias="skipConfiguration")


def _source(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _secure(request: Request, setting: str) -> bool:
    if setting in ("true", "false"):
        return setting == "true"
    # A trusted proxy's X-Forwarded-Proto is already the request's scheme (see app._believe_named_proxies).
    return request.url.scheme == "https"


@router.post("/login")
def login(request: Request, db: DB, settings: AppSettings, body: Body) -> Response:
    api_version(request)
    credentials: Credentials = validate(Credentials, body)
    try:
        issued = sessions.login(
            db,
            settings,
            login=credentials.user_name,
            password=credentials.password,
            organization_name=credentials.organization_name,
            source=_source(request),
        )
    except NotAuthenticated:
        db.commit()  # the failed attempt must count even though the request fails
        raise
    csrf = issued.session.csrf_token
    response = empty(200)
    response.headers["x-dell-csrf-token"] = csrf
    secure = _secure(request, settings.cookie_secure)
    cookies = {SESSION_COOKIE: issued.token, JWT_COOKIE: issued.jwt, CSRF_COOKIE: csrf,
               "KACE_LAST_USER_SECURE": quote(issued.account.login),
               "KACE_LAST_ORG_SECURE": quote(issued.organization.name)}
    for name, value in cookies.items():
        # Browser code of the console reads the CSRF token from its cookie, so it is not HttpOnly.
        response.set_cookie(name, value, path="/", secure=secure, samesite="lax",
                            httponly=name in (SESSION_COOKIE, JWT_COOKIE))
    return response


@router.post("/verify_2factor")
def verify_2factor(request: Request, db: DB, settings: AppSettings, session: LoginSession, body: Body):
    data: VerificationData = validate(VerificationData, body if body is not None else {})
    try:
        sessions.verify_second_factor(db, settings, session, data.current_code)
    except NotAuthenticated:
        db.commit()  # the failed attempt must count even though the request fails
        raise
    return respond(request, SUCCESS)


@router.get("/logout")
def logout(
    request: Request,
    db: DB,
    session: LoginSession,
    redirect_to: Annotated[str | None, Query(alias="redirectTo")] = None,
) -> Response:
    sessions.logout(db, session)
    # Only paths of this server, never another host: an open redirect would help phishing.
    if redirect_to and redirect_to.startswith("/") and not redirect_to.startswith("//"):
        response: Response = RedirectResponse(redirect_to, status_code=302)
    else:
        response = respond(request, SUCCESS)
    for name in (SESSION_COOKIE, JWT_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/")
    return response


@router.post("/organization/switch")
def switch_organization(
    db: DB, session: LoginSession, organization_id: Annotated[int, Query(alias="organizationId")]
) -> Response:
    _require_full(session)
    sessions.switch_organization(db, session, organization_id)
    return empty(200)


@router.post("/organization/{organization_id}/switchto")
def switch_to(db: DB, session: LoginSession, organization_id: int) -> Response:
    _require_full(session)
    sessions.switch_organization(db, session, organization_id)
    return empty(200)


def _require_full(session: AuthSession) -> None:
    if not session.fully_authenticated:
        raise NotAuthenticated(sessions.NOT_FULLY_AUTHENTICATED)


@router.get("/refreshcontext")
def refresh_context(caller: CurrentCaller) -> Response:
    # Roles and rights are read from the database on every request; there is nothing cached to refresh.
    return empty(200)


@router.get("/supportedAuthTypes")
def supported_auth_types(request: Request) -> Response:
    return respond(request, {"local": True, "saml": False})


@router.get("/samlLogin")
def saml_login(
    organization_name: Annotated[str | None, Query(alias="organizationName")] = None,
    kace_go: Annotated[str | None, Query(alias="kaceGO")] = None,
) -> Response:
    raise InvalidInput("SAML authentication is not configured on this server; log in with a user name and password")


@router.get("/authResult")
def auth_result() -> Response:
    # The result of the last SAML mobile login: with SAML not configured there is none.
    return empty(204)


@router.post("/verifyPW")
def verify_pw(
    request: Request,
    db: DB,
    settings: AppSettings,
    caller: CurrentCaller,
    org_id: Annotated[int, Query(alias="orgID")],
    pw: Annotated[str, Query()],
    user_name: Annotated[str, Query(alias="userName")],
) -> Response:
    if org_id != caller.organization_id:
        return respond(request, False)
    key = accounts.login_key(user_name)
    source = _source(request)
    sessions.check_rate_limit(db, settings, key, source)
    account = accounts.find_account(db, user_name)
    member = accounts.membership_of(db, org_id, account.id) if account else None
    valid = account is not None and member is not None and verify_password(account.password_hash, pw)
    if not valid:
        sessions.record_failure(db, key, source)
    return respond(request, valid)
