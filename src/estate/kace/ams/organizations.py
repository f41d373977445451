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
from sqlalchemy import Select, select

from estate.accounts import service as accounts
from estate.accounts.models import Account, OrganizationAccount
from estate.auth.models import Role
from estate.auth.permissions import Caller, allows
from estate.errors import Forbidden, InvalidInput, NotFound
from estate.history import service as history
from estate.kace.ams import listing
from estate.kace.ams.accounts import own_data_only
from estate.kace.ams.listing import BOOL, DATETIME, INT, Entity, IdPath, Int32, id_query
from estate.kace.ams.listing import Field as ListField
from estate.kace.ams.organization_accounts import members_query
from estate.kace.ams.serializers import (
    InputModel,
    history_json,
    org_account_json,
    organization_json,
    organization_limited,
    pick,
    role_json,
)
from estate.kace.deps import DB, Body, CurrentCaller
from estate.kace.http import empty, respond, validate
from estate.orgs import service as orgs
from estate.orgs.models import Organization, Product

router = APIRouter(prefix="/ams/shared/api/organizations", tags=["organizations"])

ENTITY = Entity(
    names=("organization", "organizations"),
    fields={
        "id": ListField(Organization.id, INT),
        "name": ListField(Organization.name),
        "isEnabled": ListField(Organization.is_enabled, BOOL),
        "isSystem": ListField(Organization.is_system, BOOL),
        "timeZone": ListField(Organization.time_zone),
        "locationAttrName": ListField(Organization.location_attr_name),
        "syncLocations": ListField(Organization.sync_locations, BOOL),
        "version": ListField(Organization.version, DATETIME),
    },
    default_order=(Organization.id.asc(),),
)
_NAME = Entity(names=ENTITY.names, fields={"name": ENTITY.fields["name"]}, default_order=())
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


def visible_query(caller: Caller) -> Select[Organization]:
    return (
        select(Organization)
        .join(OrganizationAccount, OrganizationAccount.organization_id == Organization.id)
        .where(
            OrganizationAccount.account_id == caller.account_id,
            OrganizationAccount.is_enabled.is_(True),
            Organization.is_deleted.is_(False),
        )
    )


def _name_filter(query: Select[Organization], text: str | None) -> Select[Organization]:
    if text and text.strip():
        return query.where(listing.contains_text(_NAME, text.strip()))
    return query


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
    filtering: str | None = None,
    offset: str | None = None,
    paging: str | None = None,
    properties: str | None = None,
    sorting: str | None = None,
) -> Response:
    caller.require("organizations")
    rows, _ = listing.select_page(
        db,
        _name_filter(visible_query(caller), filter),
        ENTITY,
        listing.ListRequest(filtering, sorting, paging, offset),
        default_limit=None,
    )
    return respond(request, [pick(organization_json(row[0]), properties) for row in rows])


@router.delete("")
@router.delete("/", include_in_schema=False)
def delete_organizations(db: DB, caller: CurrentCaller, ids: Annotated[list[str] | None, Query()] = None) -> Response:
    caller.require("organizations", "write")
    chosen = listing.parse_ids(ids)
    if caller.organization_id in chosen:
        raise InvalidInput("you cannot delete the organization you are logged in to", field="ids")
    for organization in _writable_set(db, caller, chosen):
        orgs.delete_organization(db, organization=organization, actor_account_id=caller.account_id)
    return empty(200)


def _set_enabled(db: DB, caller: Caller, ids: list[str] | None, enabled: bool) -> Response:
    caller.require("organizations", "write")
    chosen = listing.parse_ids(ids)
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
    filtering: str | None = None,
    get_tz: Annotated[str | None, Query(alias="getTZ")] = None,
    offset: str | None = None,
    paging: str | None = None,
    shaping: str | None = None,
    sorting: str | None = None,
) -> Response:
    caller.require("organizations")
    level = listing.parse_shaping(shaping, ENTITY.names)
    rows, count = listing.select_page(
        db, visible_query(caller), ENTITY, listing.ListRequest(filtering, sorting, paging, offset), count=True
    )
    with_tz = (get_tz or "").lower() in ("true", "1")
    items = [
        organization_limited(row[0], with_time_zone=with_tz) if level == "limited" else organization_json(row[0])
        for row in rows
    ]
    return respond(request, listing.paging_response(items, count))


@router.get("/{organization_id}")
def get_organization(request: Request, db: DB, caller: CurrentCaller, organization_id: IdPath) -> Response:
    return respond(request, organization_json(visible(db, caller, organization_id)))


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
    return respond(request, org_account_json(member, accounts.get_account(db, account_id)))


def _int_list(text: str | None, field: str) -> list[int]:
    return listing.parse_ids([text], field) if text and text.strip() else []


def _events(text: str | None) -> list[int]:
    events = []
    for name in listing.parse_names(text, "events"):
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
    entities: str | None = None,
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
    entries = history.list_history(
        db,
        organization_id=organization_id,
        accounts=chosen_accounts,
        entities=listing.parse_names(entities, "entities"),
        events=_events(events),
    )
    return respond(request, [history_json(entry, details) for entry, details in entries])


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
    query = members_query(caller)
    if filter and filter.strip():
        text = filter.strip()
        query = query.where(
            Account.login.icontains(text, autoescape=True)
            | Account.full_name.icontains(text, autoescape=True)
            | Account.email.icontains(text, autoescape=True)
        )
    rows = db.execute(query.order_by(OrganizationAccount.id))
    return respond(request, [pick(org_account_json(member, account), properties) for member, account in rows])


@router.get("/{organization_id}/roles")
def organization_roles(
    request: Request,
    db: DB,
    caller: CurrentCaller,
    organization_id: IdPath,
    product_id: Annotated[int | None, id_query("productId")] = None,
) -> Response:
    organization = current(db, caller, organization_id)
    caller.require("roles")
    query = select(Role, Product).outerjoin(Product, Product.id == Role.product_id).where(
        Role.organization_id == organization_id
    )
    if product_id is not None:
        query = query.where(Role.product_id == product_id)
    rows = db.execute(query.order_by(Role.id))
    return respond(request, [role_json(role, organization, product) for role, product in rows])
