"""/ams/shared/api/roles/... and /ams/shared/api/{roleId}/add|removeOrganizationAccounts.

Roles belong to one organization and one product. The three default roles carry the meaning the
reference's "Authorization" section gives them, so they keep their names and grants."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field, field_validator

from estate.accounts import entities as account_entities
from estate.auth import entities as role_entities
from estate.auth import roles
from estate.auth.models import Role
from estate.auth.permissions import Caller
from estate.errors import InvalidInput, NotFound
from estate.kace.ams.organization_accounts import member_scope
from estate.kace.ams.params import IdPath, Int32, id_query, parse_ids, plain
from estate.kace.ams.serializers import InputModel, role_json
from estate.kace.deps import DB, Body, CurrentCaller
from estate.kace.http import empty, respond, validate
from estate.kace.lists import definition_response, definitions_response, read_definitions
from estate.orgs.models import Organization
from estate.query import FilterTerm, QueryTerms, Scope

router = APIRouter(prefix="/ams/shared/api", tags=["roles"])


class Reference(InputModel):
    model_config = ConfigDict(extra="ignore")
    id: Int32 | None = None


class RoleIn(InputModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=1024)
    product_role_id: str | None = Field(default=None, alias="productRoleId", max_length=64)
    permissions: list[str] | None = None
    product: Reference | None = None
    # Read-only: accepted so that an object read can be sent back unchanged.
    id: Int32 | None = None
    created: datetime | None = None
    version: datetime | None = None
    organization: Reference | None = None
    is_default_admin_role: bool | None = Field(default=None, alias="isDefaultAdminRole")
    is_default_appliance_admin_role: bool | None = Field(default=None, alias="isDefaultApplianceAdminRole")
    is_default_user_role: bool | None = Field(default=None, alias="isDefaultUserRole")

    @field_validator("permissions", mode="before")
    @classmethod
    def _one_grant_is_a_list(cls, value: Any) -> Any:
        # An XML body with a single <permissions> element parses as text, not as a list.
        return [value] if isinstance(value, str) else value


def get_role(db: DB, caller: Caller, role_id: int, field: str = "roleId") -> Role:
    return roles.get_role(db, organization_id=caller.organization_id, role_id=role_id, field=field)


def _in_current(caller: Caller, organization_id: int | None) -> None:
    if organization_id is not None and organization_id != caller.organization_id:
        raise NotFound(f"organization {organization_id} not found", field="organizationId")


def _answer(request: Request, db: DB, role: Role) -> Response:
    organization = db.get(Organization, role.organization_id)
    return respond(request, role_json(role, organization, roles.product_of(db, role)))


@router.post("/roles")
def create_role(
    request: Request,
    db: DB,
    caller: CurrentCaller,
    body: Body,
    organization_id: Annotated[int | None, id_query("organizationId")] = None,
    product_id: Annotated[int | None, id_query("productId")] = None,
) -> Response:
    caller.require("roles", "write")
    _in_current(caller, organization_id)
    data: RoleIn = validate(RoleIn, body)
    role = roles.create_role(
        db,
        caller=caller,
        name=data.name,
        permissions=data.permissions or [],
        product_id=product_id if product_id is not None else (data.product.id if data.product else None),
        description=data.description,
        product_role_id=data.product_role_id,
    )
    return _answer(request, db, role)


def role_scope(caller: Caller) -> Scope:
    return Scope(organization_id=caller.organization_id, visible=None)


@router.get("/roles")
def find_roles(
    request: Request,
    db: DB,
    caller: CurrentCaller,
    name: str | None = None,
    organization_id: Annotated[int | None, id_query("organizationId")] = None,
    product_id: Annotated[int | None, id_query("productId")] = None,
) -> Response:
    """With `name`, the one role of that name (the reference answers a Role); without, every role."""
    caller.require("roles")
    _in_current(caller, organization_id)
    chosen = () if product_id is None else (role_entities.of_product(product_id),)
    if name is None:
        return definitions_response(request, db, role_entities.ROLE, scope=role_scope(caller), extra=chosen)
    named = QueryTerms(filters=(FilterTerm(None, "name", "eq", plain(name, "name").strip(), "name"),), limit=1)
    found = read_definitions(db, role_entities.ROLE, named, scope=role_scope(caller), extra=chosen)
    if not found:
        raise NotFound(f"no role named {name!r}", field="name")
    return respond(request, found[0])


@router.delete("/roles")
def delete_roles(db: DB, caller: CurrentCaller, ids: Annotated[list[str] | None, Query()] = None) -> Response:
    caller.require("roles", "write")
    chosen = [get_role(db, caller, role_id, "ids") for role_id in parse_ids(ids)]
    roles.delete_roles(db, caller=caller, roles=chosen)
    return empty(200)


@router.get("/roles/{role_id}")
def read_role(request: Request, db: DB, caller: CurrentCaller, role_id: IdPath) -> Response:
    caller.require("roles")
    return definition_response(request, db, role_entities.ROLE, role_id, scope=role_scope(caller), field="roleId")


@router.put("/roles/{role_id}")
def update_role(request: Request, db: DB, caller: CurrentCaller, role_id: IdPath, body: Body) -> Response:
    caller.require("roles", "write")
    role = get_role(db, caller, role_id)
    data: RoleIn = validate(RoleIn, body)
    if data.id is not None and data.id != role_id:
        raise InvalidInput("id in the body differs from the role in the path", field="id")
    _in_current(caller, data.organization.id if data.organization else None)
    sent = data.model_fields_set
    values: dict[str, Any] = {name: getattr(data, name) for name in roles.WRITABLE & sent}
    if "product" in sent and data.product and data.product.id is not None:
        values["product_id"] = data.product.id
    roles.update_role(db, caller=caller, role=role, values=values)
    return _answer(request, db, role)


@router.get("/roles/{role_id}/organizationAccounts")
def role_members(request: Request, db: DB, caller: CurrentCaller, role_id: IdPath) -> Response:
    caller.require("roles")
    caller.require("accounts")
    role = get_role(db, caller, role_id)
    return definitions_response(request, db, account_entities.ORGANIZATION_ACCOUNT, scope=member_scope(caller),
                                extra=(account_entities.holding(role.id),))


def _change_members(db: DB, caller: Caller, role_id: IdPath, ids: list[str] | None, add: bool) -> Response:
    caller.require("roles", "write")
    role = get_role(db, caller, role_id)
    roles.change_members(db, caller=caller, role=role, org_account_ids=parse_ids(ids), add=add)
    return empty(200)


@router.post("/{role_id}/addOrganizationAccounts")
def add_members(db: DB, caller: CurrentCaller, role_id: IdPath, ids: Annotated[list[str] | None, Query()] = None):
    return _change_members(db, caller, role_id, ids, True)


@router.post("/{role_id}/removeOrganizationAccounts")
def remove_members(db: DB, caller: CurrentCaller, role_id: IdPath, ids: Annotated[list[str] | None, Query()] = None):
    return _change_members(db, caller, role_id, ids, False)
