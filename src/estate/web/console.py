"""What every console page shares: the cookie session and its CSRF token, the caller, the page
context, HTML rendering, and the one mapping of domain errors to pages (ConsoleRoute)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from estate.accounts import service as accounts
from estate.auth import sessions
from estate.auth.permissions import Caller
from estate.db.base import MAX_INT
from estate.db.requests import WRITE_METHODS, request_transaction
from estate.errors import DomainError, InvalidInput, NotAuthenticated
from estate.settings import Settings
from estate.web.records import shown

if TYPE_CHECKING:
    from jinja2 import Environment

SESSION_COOKIE = "estate_session"
# Readable by the page's script, which sends it back in a header with every htmx write.
CSRF_COOKIE = "estate_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_FORM_FIELDS = 400


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One transaction per request (estate.db.requests); the login session's activity after it."""
    async with request_transaction(request.app.state.sessions, method=request.method,
                                   after_commit=sessions.record_activity) as db:
        yield db


DB = Annotated[Session, Depends(get_db, scope="function")]
# A record id in a path: a number a column can hold, or 400 naming the parameter.
Id = Annotated[int, Path(ge=0, le=MAX_INT)]

def _when(value: Any) -> str:
    # The KACE lists write an unset date as zeros.
    if value is None or value == "" or str(value).startswith("0000-00-00"):
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)[:16].replace("T", " ")


def _person(user: dict[str, Any] | None) -> str:
    """A service desk user as the lists shape them (one record, or none): their full name, else their login."""
    return str(user.get("full_name") or user.get("user_name") or "") if user else ""


@cache
def templates() -> Environment:
    """The console's templates, made on the first page: a worker that serves only the APIs never
    loads Jinja (~2 MB, docs/benchmarks.md, memory per worker)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    environment = Environment(
        loader=PackageLoader("estate.web", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = _when
    environment.filters["person"] = _person
    environment.filters["shown"] = shown
    return environment


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def secure_cookies(request: Request, settings: Settings) -> bool:
    if settings.cookie_secure in ("true", "false"):
        return settings.cookie_secure == "true"
    return request.url.scheme == "https"


def source_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None) -> str:
    """Only paths of this server: an open redirect would help phishing."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def redirect(target: str, request: Request | None = None) -> Response:
    """See other: after a form's write the browser asks for the page anew (no resubmission on reload)."""
    if request is not None and is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _to_login(request: Request, exc: NotAuthenticated) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    next_page = here if request.method == "GET" else "/"
    if exc.message == sessions.NOT_FULLY_AUTHENTICATED:
        return redirect(f"/login/code?{urlencode({'next': next_page}, quote_via=quote)}", request)
    if exc.message == sessions.CSRF_REFUSED and request.cookies.get(SESSION_COOKIE):
        # A form of an earlier login, or one another site made: refused, the login itself stays.
        return error_page(request, 403, "This form is out of date or did not come from this console; "
                                        "reload the page and try again.")
    query: dict[str, str] = {"next": next_page}
    if exc.message == sessions.SESSION_EXPIRED:
        query["expired"] = "1"
    return redirect(f"/login?{urlencode(query, quote_via=quote)}", request)


def error_page(request: Request, status: int, message: str, field_name: str | None = None) -> HTMLResponse:
    if is_htmx(request):
        body = templates().get_template("fragments/error.html").render(message=message, field=field_name)
        # Fragments swap into their own target; an error goes to the page's message area instead.
        return HTMLResponse(body, status_code=status, headers={"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"})
    context: dict[str, Any] = {"code": status, "message": message, "field": field_name, "page_title": "Error"}
    caller = request.scope.get("estate.console")
    if isinstance(caller, Console):
        return caller.render("error.html", status=status, **context)
    return HTMLResponse(templates().get_template("error_bare.html").render(**context), status_code=status)


class ConsoleRoute(APIRoute):
    """Console routes answer pages: a missing or expired login goes to the login page (htmx: its
    HX-Redirect), and a domain error is a page with its status and the field it names."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except NotAuthenticated as exc:
                return _to_login(request, exc)
            except DomainError as exc:
                return error_page(request, exc.status, exc.message, exc.field)
            except RequestValidationError as exc:
                errors = list(exc.errors())
                where = ".".join(str(p) for p in errors[0].get("loc", ())[1:]) if errors else None
                return error_page(request, 400, errors[0].get("msg", "invalid input") if errors else "invalid input",
                                  where or None)
            except IntegrityError:
                return error_page(request, 409, "the change conflicts with existing data")
            except (DataError, OverflowError):
                return error_page(request, 400, "a value is out of range for its field")

        return handler


# ------------------------------------------------------------------------------------- the caller


async def form_of(request: Request) -> FormData:
    """The request's form, parsed once (Starlette keeps it on the request)."""
    settings: Settings = request.app.state.settings
    try:
        return await request.form(max_files=10, max_fields=MAX_FORM_FIELDS, max_part_size=settings.max_body_bytes)
    except StarletteHTTPException as exc:
        raise InvalidInput(f"the form cannot be read: {exc.detail}", field="form") from None


async def _presented_csrf(request: Request) -> str | None:
    if request.method not in WRITE_METHODS:
        # Reads change nothing: the cookie the browser sends by itself stands for the token.
        return request.cookies.get(CSRF_COOKIE)
    if header := request.headers.get(CSRF_HEADER):
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await form_of(request)).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


@dataclass
class Console:
    """One console request: who calls, in which organization, and how pages are rendered for them."""

    request: Request
    db: Session
    settings: Settings
    caller: Caller
    csrf: str
    organizations: list[tuple[int, str]] = field(default_factory=list)

    def can(self, area: str, action: str = "read") -> bool:
        return self.caller.can(area, action)

    def render(self, template: str, *, status: int = 200, headers: Mapping[str, str] | None = None,
               **values: Any) -> HTMLResponse:
        from estate.web.registry import navigation

        body = templates().get_template(template).render(
            console=self, caller=self.caller, csrf=self.csrf,
            navigation=navigation(self.caller), path=self.request.url.path, **values,
        )
        return HTMLResponse(body, status_code=status, headers=headers)

    async def form(self) -> FormData:
        return await form_of(self.request)


def _resolve(db: Session, settings: Settings, token: str | None, csrf: str | None) -> tuple[Caller, str, list]:
    # presented_hashes refuses a missing token: past it, csrf is the session's.
    caller = sessions.resolve_caller(db, settings, hashes=sessions.presented_hashes(token, None), csrf=csrf)
    return caller, csrf or "", accounts.organizations_of(db, caller.account_id)


async def console(request: Request, db: DB) -> Console:
    """The logged-in caller of a console request (NotAuthenticated sends them to the login page).
    Writes must present the session's CSRF token: a form field or the htmx header."""
    settings: Settings = request.app.state.settings
    presented = await _presented_csrf(request)
    caller, csrf, organizations = await run_in_threadpool(
        _resolve, db, settings, request.cookies.get(SESSION_COOKIE), presented
    )
    if request.method not in WRITE_METHODS:
        csrf = request.cookies.get(CSRF_COOKIE) or csrf
    page = Console(request, db, settings, caller, csrf, organizations)
    request.scope["estate.console"] = page
    return page


Page = Annotated[Console, Depends(console)]


def rolled_back(page: Console) -> None:
    """A form answered with its errors writes nothing: what the failed step wrote is undone."""
    page.db.rollback()
