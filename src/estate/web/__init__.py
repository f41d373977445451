"""The browser console: server-rendered pages over the same domain services as the APIs, with a
little self-hosted JavaScript (htmx). `install` mounts it on the app at `/` (docs/console.md)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from estate.web import login
from estate.web.registry import load_areas

STATIC_URL = "/static"


def install(app: FastAPI) -> None:
    app.mount(STATIC_URL, StaticFiles(packages=[("estate.web", "static")]), name="console-static")
    # The routes themselves, not include_router's wrapped entries: the app files them by their
    # leading path segments (docs/decisions/1101).
    for router in (login.router, *(area.router for area in load_areas())):
        app.router.routes.extend(router.routes)
