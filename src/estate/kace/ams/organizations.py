"""/ams/shared/api/organizations/...: the organizations the caller belongs to.

A caller sees the organizations where their account has an enabled organization account; any
other id answers 404. What lies inside an organization (its accounts, roles, history) is served
for the organization the caller is logged in to, the same wall every other route keeps."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field

from estate.accounts import entities as account_entities
from estate.accounts import service as accounts
from estate.auth import entities as role_entities
from estate.auth.permissions import Caller, allows
from estate.errors import Forbidden, InvalidInput, NotFound
from estate.history import entities as history_entities
from estate.history import service as history
from estate.kace.ams.accounts import own_data_only
from estate.kace.ams.organization_accounts import SEARCHED, member_scope
from estate.kace.ams.params import IdPath, Int32, free_text, id_query, parse_ids, parse_names
from estate.kace.ams.serializers import InputModel, organization_json, picked
from estate.kace.deps import DB, Body, CurrentCaller
from estate.kace.http import empty, respond, validate
from estate.kace.lists import definition_response, definitions_response, paging_response
from estate.orgs import entities
from estate.orgs import service as orgs
from estate.orgs.models import Organization
from estate.query import Scope

router = APIRouter(prefix="/ams/shared/api/organizations", tags=["organizations"])

EVENTS = {"create": history.CREATE, "update": history.UPDATE, "delete": history.DELETE}


class Reference(InputModel):
    model_config = ConfigDict(extra="ignore")
    id: Int32 | None = None


class OrganizationIn(InputModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str | None = Field(default=None, max_length=255)
    is_enabled: bool | None = Field(default=None, alias="isEnabled")
    location_attr_name: str | None = Field(default=None, alias="locationAttrName", max_length=255)
    primary_location: Reference | None = Field(default=None, alias="primaryLocation")
    sync_locations: bool | None = Field(default=None, alias="syncLocations")
    time_zone: str | None = Field(default=None, alias="timeZone", max_length=64)
    # Read-only: accepted so that an object read can be sent back unchanged.
    id: Int32 | None = None
    is_deleted: bool | None = Field(default=None, alias="isDeleted")
    is_system: bool | None = Field(default=None, alias="isSystem")
    version: datetime | None = None

    def values(self) -> dict[str, Any]:
        sent = self.model_fields_set
        values: dict[str, Any] = {}
        for name, alias in (("name", "name"), ("is_enabled", "isEnabled"), ("sync_locations", "syncLocations"),
                            ("time_zone", "timeZone"), ("location_attr_name", "locationAttrName")):
            if name in sent:
                if getattr(self, name) is None and name != "location_attr_name":
                    raise InvalidInput(f"{alias} must not be null", field=alias)
                values[name] = getattr(self, name)
        if "primary_location" in sent:
            values["primary_location_id"] = self.primary_location.id if self.primary_location else None
        return values


def grants_in(db: DB, caller: Caller, organization_id: int) -> frozenset[str] | None:
    """The caller's grants in an organization, None when they have no enabled membership there."""
    if organization_id == caller.organization_id:
        return caller.grants
    member = accounts.membership_of(db, organization_id, caller.account_id)
    if member is None or not member.is_enabled:
        return None
    return accounts.grants_of(db, member.id)


def visible(db: DB, caller: Caller, organization_id: int, action: str = "read") -> Organization:
    grants = grants_in(db, caller, organization_id)
    organization = db.get(Organization, organization_id)
    if grants is None or organization is None or organization.is_deleted:
        raise NotFound(f"organization {organization_id} not found", field="organizationId")
    if not allows(grants, "organizations", action):
        verb = "change" if action == "write" else "read"
        raise Forbidden(f"your role does not allow you to {verb} organization {organization_id}")
    return organization


def current(db: DB, caller: Caller, organization_id: int) -> Organization:
    """Contents of an organization are served for the one the caller is logged in to."""
    if organization_id != caller.organization_id:
        raise NotFound(
            f"organization {organization_id} not found; switch to it to read what it contains",
            field="organizationId",
        )
    return orgs.get_organization(db, organization_id)


def organization_scope(caller: Caller) -> Scope:
    """The organizations where the caller has an enabled organization account."""
    return Scope(organization_id=caller.organization_id,
                 visible=entities.among(account_entities.enabled_organizations(caller.account_id)))


def _writable_set(db: DB, caller: Caller, ids: list[int]) -> list[Organization]:
    organizations = [visible(db, caller, organization_id, "write") for organization_id in ids]
    return organizations


@router.post("")
@router.post("/", include_in_schema=False)
def create_organization(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
    caller.require("organizations", "write")
    data: OrganizationIn = validate(OrganizationIn, body)
    values = data.values()
    name = str(values.pop("name", "") or "")
    organization = orgs.create_organization(db, name=name, actor_account_id=caller.account_id, values=values)
    return respond(request, organization_json(organization))


@router.get("")
@router.get("/", include_in_schema=False)
def list_organizations(
    request: Request,
    db: DB,
    caller: CurrentCaller,
    filter: str | None = None,  # noqa: A002 - the reference's parameter name
    properties: str | None = None,
) -> Response:
    caller.require("organizations")
    named = free_text(entities.ORGANIZATION, ("name",), filter, parameter="filter")
    return definitions_response(request, db, entities.ORGANIZATION, scope=organization_scope(caller), extra=named,
                                edit=picked(properties))


@router.delete("")
@router.delete("/", include_in_schema=False)
def delete_organizations(db: DB, caller: CurrentCaller, ids: Annotated[list[str] | None, Query()] = None) -> Response:
    caller.require("organizations", "write")
    chosen = parse_ids(ids)
    if caller.organization_id in chosen:
        raise InvalidInput("you cannot delete the organization you are logged in to", field="ids")
    for organization in _writable_set(db, caller, chosen):
        orgs.delete_organization(db, organization=organization, actor_account_id=caller.account_id)
    return empty(200)


def _set_enabled(db: DB, caller: Caller, ids: list[str] | None, enabled: bool) -> Response:
    caller.require("organizations", "write")
    chosen = parse_ids(ids)
    if not enabled and caller.organization_id in chosen:
        raise InvalidInput("you cannot disable the organization you are logged in to", field="ids")
    for organization in _writable_set(db, caller, chosen):
        orgs.update_organization(db, organization, {"is_enabled": enabled}, actor_account_id=caller.account_id)
    return empty(200)


@router.post("/disable")
def disable_organizations(db: DB, caller: CurrentCaller, ids: Annotated[list[str] | None, Query()] = None) -> Response:
    return _set_enabled(db, caller, ids, False)


@router.post("/enable")
def enable_organizations(db: DB, caller: CurrentCaller, ids: Annotated[list[str] | None, Query()] = None) -> Response:
    return _set_enabled(db, caller, ids, True)


@router.get("/list")
def paged_organizations(
    request: Request,
    db: DB,
    caller: CurrentCaller,
    get_tz: Annotated[str | None, Query(alias="getTZ")] = None,
) -> Response:
    caller.require("organizations")
    params = dict(request.query_params)
    if (get_tz or "").lower() in ("true", "1"):
        # The time zone comes along at every level, `limited` included.
        params["shaping"] = ",".join(part for part in (params.get("shaping", ""), "timeZone limited") if part)
    return paging_response(request, db, entities.ORGANIZATION, scope=organization_scope(caller), params=params)


@router.get("/{organization_id}")
def get_organization(request: Request, db: DB, caller: CurrentCaller, organization_id: IdPath) -> Response:
    visible(db, caller, organization_id)
    return definition_response(request, db, entities.ORGANIZATION, organization_id, scope=organization_scope(caller),
                               field="organizationId")


@router.put("/{organization_id}")
def update_organization(
    request: Request, db: DB, caller: CurrentCaller, organization_id: IdPath, body: Body
) -> Response:
    organization = visible(db, caller, organization_id, "write")
    data: OrganizationIn = validate(OrganizationIn, body)
    if data.id is not None and data.id != organization_id:
        raise InvalidInput("id in the body differs from the organization in the path", field="id")
    values = data.values()
    if values.get("is_enabled") is False and organization_id == caller.organization_id:
        raise InvalidInput("you cannot disable the organization you are logged in to", field="isEnabled")
    orgs.update_organization(db, organization, values, actor_account_id=caller.account_id)
    db.flush()
    return respond(request, organization_json(organization))


@router.get("/{organization_id}/account/{account_id}")
def organization_account(
    request: Request, db: DB, caller: CurrentCaller, organization_id: IdPath, account_id: IdPath
) -> Response:
    current(db, caller, organization_id)
    caller.require("accounts")
    member = accounts.member_of_account(db, organization_id, account_id)
    own_data_only(caller, account_id)
    return definition_response(request, db, account_entities.ORGANIZATION_ACCOUNT, member.id,
                               scope=member_scope(caller), field="accountId")


def _int_list(text: str | None, field: str) -> list[int]:
    return parse_ids([text], field) if text and text.strip() else []


def _events(text: str | None) -> list[int]:
    events = []
    for name in parse_names(text, "events"):
        if name.lower() in EVENTS:
            events.append(EVENTS[name.lower()])
        elif name.isdigit() and int(name) in EVENTS.values():
            events.append(int(name))
        else:
            raise InvalidInput(f"unknown event {name!r}; use create, update, delete or 1, 2, 3", field="events")
    return events


@router.get("/{organization_id}/history")
def organization_history(
    request: Request,
    db: DB,
    caller: CurrentCaller,
    organization_id: IdPath,
    accounts_: Annotated[str | None, Query(alias="accounts")] = None,
    entities_: Annotated[str | None, Query(alias="entities")] = None,
    events: str | None = None,
) -> Response:
    current(db, caller, organization_id)
    caller.require("organizations")
    chosen_accounts = _int_list(accounts_, "accounts")
    if not caller.sees_all_data:
        # Standard users read the changes they made themselves.
        if chosen_accounts and chosen_accounts != [caller.account_id]:
            raise Forbidden("your role lets you read only your own history")
        chosen_accounts = [caller.account_id]
    chosen = history_entities.chosen(accounts=chosen_accounts, entities=parse_names(entities_, "entities"),
                                     events=_events(events))
    return definitions_response(request, db, history_entities.HISTORY, scope=Scope(organization_id, None),
                                extra=chosen)


@router.get("/{organization_id}/organizationAccounts")
def organization_members(
    request: Request,
    db: DB,
    caller: CurrentCaller,
    organization_id: IdPath,
    filter: str | None = None,  # noqa: A002 - the reference's parameter name
    properties: str | None = None,
) -> Response:
    current(db, caller, organization_id)
    caller.require("accounts")
    entity = account_entities.ORGANIZATION_ACCOUNT
    return definitions_response(request, db, entity, scope=member_scope(caller),
                                extra=free_text(entity, SEARCHED, filter, parameter="filter"), edit=picked(properties))


@router.get("/{organization_id}/roles")
def organization_roles(
    request: Request,
    db: DB,
    caller: CurrentCaller,
    organization_id: IdPath,
    product_id: Annotated[int | None, id_query("productId")] = None,
) -> Response:
    current(db, caller, organization_id)
    caller.require("roles")
    chosen = () if product_id is None else (role_entities.of_product(product_id),)
    return definitions_response(request, db, role_entities.ROLE, scope=Scope(organization_id, None), extra=chosen)
