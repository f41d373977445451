"""Builds the ASGI application: both faces over one store."""

from __future__ import annotations

import ctypes
import gc
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from anyio import to_thread
from fastapi import FastAPI
from sqlalchemy import Engine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from estate import __version__, jobs
from estate.agentapi import router as agentapi
from estate.apidocs import pages as apidocs
from estate.auth import sessions
from estate.auth.callers import CallerCache
from estate.db.engine import make_engine, make_session_factory
from estate.idoit import router as idoit
from estate.kace import (
    agents,
    assets,
    inventory,
    inventory_writes,
    managed_installs,
    reporting,
    scripting,
    servicedesk,
    users,
)
from estate.kace.ams import (
    accounts,
    kkmp,
    locations,
    organization_accounts,
    organizations,
    products,
    roles,
    security,
)
from estate.kace.deps import commit_in_route_threads
from estate.kace.http import install_error_handlers
from estate.operations import health
from estate.operations.middleware import Observer
from estate.operations.routing import index_routes
from estate.reporting import runs
from estate.servicedesk import storage
from estate.settings import Settings, get_settings
from estate.web import install as install_console


class _RedactSecrets(logging.Filter):
    """Access logs print query strings; a few routes take passwords or tokens there."""

    _pattern = re.compile(r"((?:pw|password|token|apikey)=)[^&\s\"]*", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(self._pattern.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


# How long an idle keep-alive connection stays open. It must outlast the clients' own limit
# (httpx: 5 s, the same as uvicorn's default): when both are equal, a client reusing a connection
# just as the server closes it gets "Connection reset by peer".
KEEP_ALIVE_SECONDS = 75


class ServerOptions(TypedDict):
    log_level: str
    proxy_headers: bool
    timeout_keep_alive: int
    timeout_graceful_shutdown: int
    timeout_worker_healthcheck: int


def server_options(settings: Settings) -> ServerOptions:
    """How uvicorn serves the app, wherever it is served from (`estate serve`, the tests)."""
    return {
        "log_level": settings.log_level,
        # Forwarding headers are believed from ESTATE_TRUSTED_PROXIES only (_believe_named_proxies);
        # uvicorn's own handling would believe any process on 127.0.0.1.
        "proxy_headers": False,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        # Agents' check-ins wait for work up to a minute: a stopping server cuts them after this
        # long (the agents ask again) instead of waiting them out.
        "timeout_graceful_shutdown": 3,
        # With several workers uvicorn kills a worker that does not answer its health check in
        # time, starting ones included: its default of 5 s killed workers still importing on a busy
        # host, again and again.
        "timeout_worker_healthcheck": 60,
    }


def _believe_named_proxies(app: FastAPI, settings: Settings) -> None:
    """Forwarding headers are read here, from the proxies the administrator names, and nowhere else."""
    proxies = [entry.strip() for entry in settings.trusted_proxies.split(",") if entry.strip()]
    if proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)


# glibc's mallopt parameter for the number of heaps ("arenas") threads allocate from.
_M_ARENA_MAX = -8
MALLOC_ARENAS = 2


def _few_malloc_arenas() -> None:
    """glibc gives threads that allocate at the same time heaps of their own, up to 8 per core, and
    keeps in each what freed pages left there: after 32 concurrent large pages a worker held ~14 MB
    more with its default than with 2 (docs/benchmarks.md, memory per worker). The route threads
    take turns on the GIL, so more heaps buy them little. The setting MALLOC_ARENA_MAX in the
    environment would need the process started with it; this applies however the app is served.
    Other C libraries are left as they are."""
    process = ctypes.CDLL(None)  # the symbols the process has loaded, its C library's among them
    if hasattr(process, "gnu_get_libc_version") and hasattr(process, "mallopt"):
        process.mallopt(_M_ARENA_MAX, MALLOC_ARENAS)


def _limit_threads(threads: int) -> None:
    """The event loop's pool for blocking work (anyio's, 40 threads by default) is made smaller:
    past a few threads a worker only adds turns on the GIL, and at 32 clients a pool of 4-8 answered
    20-30 % more pages per second than 40 (decisions 1121, 1123). Called on the loop it applies to."""
    to_thread.current_default_thread_limiter().total_tokens = threads


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    _few_malloc_arenas()
    settings = settings or get_settings()
    # A connection kept for each thread that may run a statement (docs/decisions/1123).
    engine = engine or make_engine(settings.database_url, pool_size=settings.threads_per_worker)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _limit_threads(settings.threads_per_worker)
        with jobs.report_worker(settings):
            async with jobs.running(jobs.server_jobs(settings.escalation_check_seconds), app.state.sessions):
                yield

    app = FastAPI(title="Estate", version=__version__, docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_session_factory(engine)
    app.state.callers = CallerCache(settings.caller_cache_seconds, fresh_for=sessions.TOUCH_INTERVAL)
    app.state.callers.watch(engine)
    app.state.sessions.configure(info={storage.DATA_DIR: settings.data_dir, runs.KEEP: settings.report_keep_seconds})
    install_error_handlers(app)
    # Inside the proxy headers' middleware (added after it, so nearer the routes): the request log
    # shows the client the trusted proxy names.
    app.add_middleware(Observer)
    _believe_named_proxies(app, settings)
    routers = (
        # First: a request is matched against the routes of every router before its own, and the
        # i-doit face is one path that scripts call many times in a row (0.5 ms less per call).
        idoit.router,
        security.router,
        accounts.router,
        kkmp.router,
        locations.router,
        organization_accounts.router,
        organizations.router,
        products.router,
        roles.router,
        users.router,
        inventory.router,
        inventory_writes.router,
        servicedesk.router,
        assets.router,
        health.router,
        scripting.router,
        managed_installs.router,
        agents.router,
        agentapi.router,
        reporting.router,
        reporting.added,
    )
    for router in routers:
        app.router.routes.extend(router.routes)
    commit_in_route_threads(app.router.routes)
    apidocs.install(app)
    install_console(app)
    index_routes(app)
    logging.getLogger("uvicorn.access").addFilter(_RedactSecrets())
    # What the app holds for its lifetime (catalogs, models, routes) is left out of the cyclic
    # garbage collector: a full collection walking all of it paused a call by ~80 ms now and then.
    gc.freeze()
    return app
