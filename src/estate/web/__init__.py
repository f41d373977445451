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
    app.include_router(login.router)
    for area in load_areas():
        app.include_router(area.router)
