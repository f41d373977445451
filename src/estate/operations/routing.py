"""How the app finds the route of a request: its routes filed by their leading path segments."""

from __future__ import annotations

import heapq
from operator import itemgetter
from typing import Any

from fastapi import FastAPI
from starlette._utils import get_route_path
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

# How many leading path segments index the routes: /ams/shared/api, /api/inventory/machines.
_INDEXED_SEGMENTS = 3
_MATCHED = "estate.route"


def _literal_head(path: str) -> tuple[str, ...]:
    """A route's leading segments up to its first parameter, at most _INDEXED_SEGMENTS."""
    head = []
    for segment in path.strip("/").split("/")[:_INDEXED_SEGMENTS]:
        if "{" in segment or not segment:
            break
        head.append(segment)
    return tuple(head)


class RouteIndex(BaseRoute):
    """The app's routes, found by their leading path segments before any is matched.

    FastAPI matches a request by trying each route's regular expression in turn, through its own
    bookkeeping per route (~3 us each): with ~260 routes, and every route tried twice for a path
    none answers (once as asked, once with the slash toggled), routing cost ~1.3 ms per request
    (docs/decisions/1101). A route can only match a path that holds its leading literal segments,
    so only the routes filed under a prefix of the request's segments are tried, in the app's
    order; the route found handles the request as it would have."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self.routes = routes
        self._filed: dict[tuple[str, ...], list[tuple[int, BaseRoute]]] = {}
        for position, route in enumerate(routes):
            path = getattr(route, "path", None)
            head = _literal_head(path) if isinstance(path, str) else ()
            self._filed.setdefault(head, []).append((position, route))

    def _candidates(self, path: str) -> list[BaseRoute]:
        segments = path.strip("/").split("/")[:_INDEXED_SEGMENTS]
        filed = [self._filed.get(tuple(segments[:length]), []) for length in range(len(segments) + 1)]
        return [route for _, route in heapq.merge(*filed, key=itemgetter(0))]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        partial: tuple[Match, Scope] | None = None
        for route in self._candidates(get_route_path(scope)):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return match, {**child_scope, _MATCHED: route}
            if match is Match.PARTIAL and partial is None:
                partial = (match, {**child_scope, _MATCHED: route})
        return partial or (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope[_MATCHED].handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, path_params)


def served_routes(app: FastAPI) -> list[BaseRoute]:
    """The app's routes one by one (what the OpenAPI document lists)."""
    return [inner for route in app.routes for inner in (route.routes if isinstance(route, RouteIndex) else [route])]


def index_routes(app: FastAPI) -> None:
    """Each router's routes become routes of the app itself, all filed in one RouteIndex.
    `include_router` would wrap each router in an entry that FastAPI matches by walking that
    router's routes with more bookkeeping still (~1.8 ms per unknown path with 19 routers). The
    routers carry their prefixes and tags in their routes already."""
    app.router.routes[:] = [RouteIndex(served_routes(app))]
    app.router._mark_routes_changed()
