"""/ams/shared/api/locations and /ams/shared/api/organizations/{id}/locations.

Each location is a CMDB location object (docs/decisions/0530): writes go through
estate.orgs.location_objects, so i-doit sees them and the logbook records them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from estate.auth.permissions import Caller
from estate.cmdb.logbook import Actor
from estate.errors import InvalidInput, NotFound
from estate.kace.ams.serializers import location_json, picked
from estate.kace.deps import DB, Body, CurrentCaller
from estate.kace.http import empty, respond, validate
from estate.kace.lists import definition_response, definitions_response
from estate.orgs import location_objects
from estate.orgs import service as orgs
from estate.orgs.entities import LOCATION
from estate.query import Scope

router = APIRouter(prefix="/ams/shared/api", tags=["locations"])


class Reference(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int | None = None


class LocationIn(BaseModel):
    """A Location as clients send it: the Definition's fields; read-only ones are accepted and ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str | None = Field(default=None, max_length=255)
    description: str | None = None
    address: str | None = None
    phone_number: str | None = Field(default=None, alias="phoneNumber", max_length=64)
    web_site: str | None = Field(default=None, alias="webSite", max_length=512)
    locale: str | None = Field(default=None, max_length=32)
    app_data: str | None = Field(default=None, alias="appData")
    parent: Reference | None = None
    parent_id: int | None = Field(default=None, alias="parentId")
    primary_contact: Reference | None = Field(default=None, alias="primaryContact")
    # Read-only or implied by the session; accepted so that an object read can be sent back.
    id: int | None = None
    organization_id: int | None = Field(default=None, alias="organizationId")
    organization: Reference | None = None
    level: int | None = None
    path: str | None = None
    is_deleted: bool | None = Field(default=None, alias="isDeleted")


def _check_organization(caller: Caller, data: LocationIn) -> None:
    claimed = data.organization_id if data.organization_id is not None else (
        data.organization.id if data.organization else None
    )
    if claimed is not None and claimed != caller.organization_id:
        raise InvalidInput("organizationId must be the organization you are logged in to", field="organizationId")


def _values(data: LocationIn) -> dict[str, object]:
    """The row's columns the body sets."""
    sent = data.model_fields_set
    values: dict[str, object] = {
        field: getattr(data, field)
        for field in ("name", "description", "address", "phone_number", "web_site", "locale", "app_data")
        if field in sent
    }
    if "parent" in sent or "parent_id" in sent:
        values["parent_id"] = data.parent_id if "parent_id" in sent else (data.parent.id if data.parent else None)
    if "primary_contact" in sent:
        values["primary_contact_id"] = data.primary_contact.id if data.primary_contact else None
    return values


def _actor(caller: Caller) -> Actor:
    return Actor(caller.organization_id, caller.account_id, caller.login)


@router.post("/locations")
def create_location(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
    caller.require("locations", "write")
    data: LocationIn = validate(LocationIn, body)
    _check_organization(caller, data)
    location = location_objects.create_location(db, actor=_actor(caller), values=_values(data))
    return respond(request, location_json(location))


def _scope(caller: Caller) -> Scope:
    return Scope(organization_id=caller.organization_id, visible=None)


@router.get("/locations/{location_id}")
def get_location(
    request: Request, db: DB, caller: CurrentCaller, location_id: int, fields: Annotated[str | None, Query()] = None
) -> Response:
    caller.require("locations")
    return definition_response(request, db, LOCATION, location_id, scope=_scope(caller), field="locationId",
                               edit=picked(fields, "fields"))


@router.put("/locations/{location_id}")
def update_location(request: Request, db: DB, caller: CurrentCaller, location_id: int, body: Body) -> Response:
    caller.require("locations", "write")
    location = orgs.get_location(db, caller.organization_id, location_id)
    data: LocationIn = validate(LocationIn, body)
    _check_organization(caller, data)
    if data.id is not None and data.id != location_id:
        raise InvalidInput("id in the body differs from the location in the path", field="id")
    location_objects.update_location(db, actor=_actor(caller), location=location, values=_values(data))
    return respond(request, location_json(location))


@router.delete("/locations/{location_id}")
def delete_location(db: DB, caller: CurrentCaller, location_id: int) -> Response:
    caller.require("locations", "write")
    location = orgs.get_location(db, caller.organization_id, location_id)
    location_objects.delete_location(db, actor=_actor(caller), location=location)
    return empty(200)


@router.get("/organizations/{organization_id}/locations")
def organization_locations(
    request: Request, db: DB, caller: CurrentCaller, organization_id: int, fields: Annotated[str | None, Query()] = None
) -> Response:
    caller.require("locations")
    if organization_id != caller.organization_id:
        raise NotFound(f"organization {organization_id} not found", field="organizationId")
    return definitions_response(request, db, LOCATION, scope=_scope(caller), edit=picked(fields, "fields"))
