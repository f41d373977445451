"""The writing routes of the Inventory API: machines reported (POST, PUT), forced inventory runs,
agentless nodes. The reading routes live in kace/inventory.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from estate.errors import InvalidInput
from estate.inventory import service as inventory
from estate.inventory.fields import normalize_key, require_list
from estate.kace.deps import DB, Body, CurrentCaller
from estate.kace.http import SUCCESS, respond

router = APIRouter(prefix="/api/inventory", tags=["inventory"])


def _envelope(body: Any, name: str, *, required: bool = True) -> Any:
    """The list under ``name`` (any case) in a body such as {"Machines": [...]}; None when the body
    has no such key and ``required`` is false."""
    if body is None:
        raise InvalidInput("a body is required", field="body")
    if not isinstance(body, Mapping):
        raise InvalidInput("the body must be an object", field="body")
    matching = [key for key in body if normalize_key(str(key)) == name.lower()]
    if not matching:
        if required:
            raise InvalidInput(f"{name} is required", field=name)
        return None
    if len(matching) > 1:
        raise InvalidInput(f"{name} is given more than once", field=str(matching[1]))
    extra = [key for key in body if key not in matching]
    if extra:
        raise InvalidInput(f"{extra[0]}: unknown field", field=str(extra[0]))
    return require_list(body[matching[0]], name)


@router.post("/machines/")
@router.post("/machines", include_in_schema=False)
def ingest_machines(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
    caller.require("inventory", "write")
    machines = _envelope(body, "Machines")
    ids = inventory.ingest_machines(db, organization_id=caller.organization_id, machines=machines)
    return respond(request, ids)


@router.put("/machines/{machine_id}/")
@router.put("/machines/{machine_id}", include_in_schema=False)
def update_machine(request: Request, db: DB, caller: CurrentCaller, machine_id: int, body: Body) -> Response:
    """The body is {"Machines": [one machine]} like the POST, or that one machine alone."""
    caller.require("inventory", "write")
    machines = _envelope(body, "Machines", required=False)
    if machines is None:
        data, where = body, "Machine"
    elif len(machines) == 1:
        data, where = machines[0], "Machines[0]"
    else:
        raise InvalidInput("Machines must hold exactly the one machine of the path", field="Machines")
    updated = inventory.update_machine(
        db, organization_id=caller.organization_id, machine_id=machine_id, data=data, where=where
    )
    return respond(request, [updated])


@router.post("/machines/{machine_id}/force/")
@router.post("/machines/{machine_id}/force", include_in_schema=False)
def force_inventory(request: Request, db: DB, caller: CurrentCaller, machine_id: int) -> Response:
    caller.require("inventory", "write")
    inventory.force_inventory(db, organization_id=caller.organization_id, machine_id=machine_id)
    return respond(request, SUCCESS)


@router.post("/nodes/")
@router.post("/nodes", include_in_schema=False)
def record_nodes(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
    """The body mirrors the machines' one: {"Nodes": [ {Node fields}, ... ]}; answers the ids."""
    caller.require("inventory", "write")
    nodes = _envelope(body, "Nodes")
    ids = inventory.record_nodes(db, organization_id=caller.organization_id, nodes=nodes)
    return respond(request, ids)


# Catalog entries may be reported on their own: each route takes {"<Plural>": [ {fields}, ... ]}
# with the fields of its Definition and answers the ids, found or created.
CATALOG_ROUTES = {
    "software": ("software", "Software"),
    "processes": ("process", "Processes"),
    "services": ("service", "Services"),
    "startup_programs": ("startup_program", "Startup_Programs"),
    "operating_systems": ("operating_system", "Operating_Systems"),
}


def _catalog_route(path: str, kind: str, envelope: str) -> None:
    def record_catalog_items(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
        caller.require("inventory", "write")
        items = _envelope(body, envelope)
        ids = inventory.record_catalog_items(
            db, organization_id=caller.organization_id, kind=kind, items=items, where=envelope
        )
        return respond(request, ids)

    router.add_api_route(f"/{path}/", record_catalog_items, methods=["POST"], name=f"record_{path}")
    router.add_api_route(f"/{path}", record_catalog_items, methods=["POST"], include_in_schema=False)


for _path, (_kind, _envelope_key) in CATALOG_ROUTES.items():
    _catalog_route(_path, _kind, _envelope_key)
