"""Inventory API, reads: every GET route of /api/inventory on the query engine.

Each path serves the list, `/version/` and `/{id}/`, with and without the trailing slash the
reference writes. Clients also call `/softwares`; it serves what `/software` serves."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from estate.inventory.entities import (
    MACHINE,
    NODE,
    OPERATING_SYSTEM,
    PROCESS,
    SERVICE,
    SOFTWARE,
    STARTUP_PROGRAM,
    scope_for,
)
from estate.kace.deps import DB, CurrentCaller
from estate.kace.http import respond
from estate.kace.lists import item_response, list_response
from estate.kace.versions import KACE_API_VERSION
from estate.query import Entity

router = APIRouter(prefix="/api/inventory")

# `softwares` is what clients call; the reference names `software`. Aliases stay out of the schema.
ALIASES = {"softwares"}
PATHS: dict[str, Entity] = {
    "machines": MACHINE,
    "nodes": NODE,
    "operating_systems": OPERATING_SYSTEM,
    "processes": PROCESS,
    "services": SERVICE,
    "software": SOFTWARE,
    "softwares": SOFTWARE,
    "startup_programs": STARTUP_PROGRAM,
}


def _both(path: str) -> list[str]:
    return [f"/{path}/", f"/{path}"]


def _add_routes(path: str, entity: Entity) -> None:
    def list_items(request: Request, db: DB, caller: CurrentCaller) -> Response:
        caller.require("inventory")
        return list_response(request, db, entity, scope=scope_for(entity, caller))

    def version(request: Request, caller: CurrentCaller) -> Response:
        caller.require("inventory")
        return respond(request, str(KACE_API_VERSION))

    def one_item(request: Request, db: DB, caller: CurrentCaller, item_id: int) -> Response:
        caller.require("inventory")
        return item_response(request, db, entity, item_id, scope=scope_for(entity, caller))

    for suffix, endpoint, name in (
        ("", list_items, "list"),
        ("/version", version, "version"),
        ("/{item_id}", one_item, "get"),
    ):
        for index, route in enumerate(_both(path + suffix)):
            router.add_api_route(
                route,
                endpoint,
                methods=["GET"],
                name=f"{path}_{name}",
                include_in_schema=index == 0 and path not in ALIASES,
            )


for _path, _entity in PATHS.items():
    _add_routes(_path, _entity)
