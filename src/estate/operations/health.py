"""GET /healthz (the process answers), GET /readyz (the database answers and its schema is at the
newest revision) and GET /metrics (Prometheus). None needs a login: a load balancer, an
orchestrator and a scraper call them; they reveal no data of any organization."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from estate.observe import metrics

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

router = APIRouter(tags=["operations"])


@lru_cache(maxsize=1)
def _migrations() -> ScriptDirectory:
    # Alembic (with Mako and Pygments) is ~10 MB of code that only /readyz needs: a worker loads it
    # on the first readiness check, not at start (docs/benchmarks.md, memory per worker).
    from alembic.script import ScriptDirectory

    from estate.db.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://"))


@lru_cache(maxsize=8)
def is_newest(stored: frozenset[str]) -> bool:
    """Whether the stored revisions and their ancestors are every migration this code ships (a
    revision reached only through ``depends_on`` is a head of the graph but never stored)."""
    from alembic.script.revision import ResolutionError

    migrations = _migrations()
    try:
        applied = {revision.revision for revision in migrations.iterate_revisions(tuple(stored), "base")}
    except ResolutionError:  # a revision this code does not know: a newer code's database
        return False
    return bool(stored) and applied == {revision.revision for revision in migrations.walk_revisions()}


def _schema_state(engine: Engine) -> tuple[bool, str]:
    try:
        with engine.connect() as connection:
            stored = frozenset(connection.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError as exc:
        return False, f"database unreachable or not migrated: {type(exc).__name__}"
    if not is_newest(stored):
        return False, f"schema at {', '.join(sorted(stored)) or 'no revision'}; run `estate migrate`"
    return True, ", ".join(sorted(stored))


@router.get("/healthz")
async def healthz() -> JSONResponse:
    """The process is alive and serving."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz", responses={503: {"description": "The database is unreachable or not migrated"}})
async def readyz(request: Request) -> JSONResponse:
    """Ready for traffic: the database answers and its schema is at the newest revision."""
    ready, detail = await run_in_threadpool(_schema_state, request.app.state.engine)
    if ready:
        return JSONResponse({"status": "ready", "revision": detail})
    return JSONResponse({"status": "not ready", "reason": detail}, status_code=503)


@router.get("/metrics", response_class=Response, responses={200: {"content": {metrics.CONTENT_TYPE: {}}}})
async def prometheus_metrics(request: Request) -> Response:
    """Counters and histograms in the Prometheus text format."""
    body = await run_in_threadpool(metrics.exposition, request.app.state.engine)
    return Response(body, media_type=metrics.CONTENT_TYPE)
