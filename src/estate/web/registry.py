"""The console's areas. An area is one module of `estate.web.areas` that calls `area(...)` for its
router: the module is found and mounted, and the area appears in the navigation of every caller
whose role may read its right, or who passes the area's own rule (docs/console.md)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter

from estate.auth.permissions import Caller
from estate.web.console import ConsoleRoute


@dataclass(frozen=True)
class Area:
    key: str  # the area's name in templates and tests: "machines"
    title: str  # what the navigation shows
    path: str  # where the navigation links to
    right: str | None  # the permission area a role must read to see it (None: every caller)
    order: int  # place in the navigation, smallest first
    router: APIRouter
    administration: bool = False  # listed under Administration rather than in the main bar
    # The area's own rule when reading it takes more than its right (scripts and managed installs
    # are the administrators': their right and a role that sees all data); None: the right alone.
    readable: Callable[[Caller], bool] | None = None

    def shown_to(self, caller: Caller) -> bool:
        if self.readable is not None:
            return self.readable(caller)
        return self.right is None or caller.can(self.right)


AREAS: dict[str, Area] = {}


def area(key: str, *, title: str, path: str, right: str | None, order: int, administration: bool = False,
         readable: Callable[[Caller], bool] | None = None) -> APIRouter:
    """The router of a new area; its routes answer HTML and map domain errors to pages (ConsoleRoute)."""
    router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
    AREAS[key] = Area(key, title, path, right, order, router, administration, readable)
    return router


def load_areas() -> list[Area]:
    """Every area module of estate.web.areas, imported once, in navigation order."""
    from estate.web import areas

    for module in pkgutil.iter_modules(areas.__path__):
        importlib.import_module(f"{areas.__name__}.{module.name}")
    return sorted(AREAS.values(), key=lambda item: (item.order, item.key))


def navigation(caller: Caller) -> list[Area]:
    return [item for item in sorted(AREAS.values(), key=lambda a: (a.order, a.key)) if item.shown_to(caller)]
