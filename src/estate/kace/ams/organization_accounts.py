"""/ams/shared/api/organizationAccounts/...: memberships of accounts in the current organization."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field, field_validator
from sqlalchemy import select

from estate.accounts import entities, members
from estate.accounts import service as accounts
from estate.accounts.models import OrgAccountRegistry, OrganizationAccount
from estate.auth.models import Role, RoleMember
from estate.auth.permissions import Caller, implies
from estate.errors import InvalidInput
from estate.kace.ams.accounts import AccountIn, RegistryIn, SearchIn, checked_scope, own_data_only, registry_body
from estate.kace.ams.params import IdPath, Int32, id_query, parse_ids, parse_names, plain
from estate.kace.ams.serializers import InputModel, org_account_json, org_account_registry_json, picked
from estate.kace.deps import DB, Body, CurrentCaller
from estate.kace.http import empty, respond, validate
from estate.kace.lists import definition_response, definitions_response, paging_response
from estate.query import Scope

router = APIRouter(prefix="/ams/shared/api/organizationAccounts", tags=["organizationAccounts"])

# What the free text of the search routes (`query`, `filter`) looks in.
SEARCHED = ("account.login", "account.fullName", "account.email")

class Reference(InputModel):
    """A nested object given by its id; its other properties are read-only here."""

    model_config = ConfigDict(extra="ignore")
    id: Int32 | None = None


class OrgAccountIn(InputModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    account: AccountIn | None = None
    is_enabled: bool | None = Field(default=None, alias="isEnabled")
    location: Reference | None = None
    manager: Reference | None = None
    # Read-only: accepted so that an object read can be sent back unchanged.
    id: Int32 | None = None
    created: datetime | None = None
    version: datetime | None = None
    level: Int32 | None = None
    path: str | None = None
    organization: Reference | None = None


class IdList(InputModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[Int32]

    @field_validator("ids", mode="before")
    @classmethod
    def _one_id_is_a_list(cls, value: Any) -> Any:
        # An XML body with a single <ids> element parses as a scalar.
        return [value] if isinstance(value, (int, str)) else value


def member_scope(caller: Caller) -> Scope:
    """The organization accounts of the caller's organization; roles without `data:all` see their own."""
    visible = None if caller.sees_all_data else entities.of_account(caller.account_id)
    return Scope(organization_id=caller.organization_id, visible=visible)


def readable(db: DB, caller: Caller, org_account_id: int) -> OrganizationAccount:
    caller.require("accounts")
    member = accounts.get_membership(db, caller.organization_id, org_account_id)
    own_data_only(caller, member.account_id, "organization account")
    return member


def writable(db: DB, caller: Caller, org_account_id: int) -> OrganizationAccount:
    caller.require("accounts", "write")
    return accounts.get_membership(db, caller.organization_id, org_account_id)


def _actor(db: DB, caller: Caller) -> OrganizationAccount:
    return accounts.get_membership(db, caller.organization_id, caller.org_account_id)


def _identity(data: AccountIn) -> dict[str, Any]:
    """The account's columns the body sets, and its login and password when sent."""
    sent = data.model_fields_set
    return {**data.values(), **{name: getattr(data, name) for name in ("login", "password") if name in sent}}


def _membership(data: OrgAccountIn) -> dict[str, Any]:
    sent = data.model_fields_set
    references = {"location_id": data.location, "manager_id": data.manager}
    values: dict[str, Any] = {name: reference.id if reference else None for name, reference in references.items()
                              if name.removesuffix("_id") in sent}
    if "is_enabled" in sent:
        values["is_enabled"] = data.is_enabled
    return values


@router.get("")
@router.get("/", include_in_schema=False)
def list_members(request: Request, db: DB, caller: CurrentCaller) -> Response:
    caller.require("accounts")
    return paging_response(request, db, entities.ORGANIZATION_ACCOUNT, scope=member_scope(caller))


@router.delete("")
@router.delete("/", include_in_schema=False)
def delete_members(
    db: DB,
    caller: CurrentCaller,
    ids: Annotated[list[str] | None, Query()] = None,
    move_employees_to: Annotated[int | None, id_query("moveEmployeesTo")] = None,
) -> Response:
    caller.require("accounts", "write")
    accounts.delete_memberships(
        db,
        organization_id=caller.organization_id,
        ids=parse_ids(ids),
        move_employees_to=move_employees_to,
        actor=_actor(db, caller),
    )
    accounts.ensure_an_administrator_remains(db, caller.organization_id)
    return empty(200)


@router.post("/")
@router.post("", include_in_schema=False)
def create_member(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
    caller.require("accounts", "write")
    data: OrgAccountIn = validate(OrgAccountIn, body)
    if data.account is None:
        raise InvalidInput("account is required", field="account")
    if data.organization and data.organization.id not in (None, caller.organization_id):
        raise InvalidInput("organization must be the organization you are logged in to", field="organization")
    account, member = members.create_member(
        db, caller=caller, account_id=data.account.id, identity=_identity(data.account), membership=_membership(data)
    )
    return respond(request, org_account_json(member, account))


def _set_enabled(db: DB, caller: Caller, ids: list[str] | None, enabled: bool) -> Response:
    caller.require("accounts", "write")
    chosen, actor = parse_ids(ids), _actor(db, caller)
    accounts.set_enabled(db, organization_id=caller.organization_id, ids=chosen, enabled=enabled, actor=actor)
    accounts.ensure_an_administrator_remains(db, caller.organization_id)
    return empty(200)


@router.post("/disable")
def disable_members(db: DB, caller: CurrentCaller, ids: Annotated[list[str] | None, Query()] = None) -> Response:
    return _set_enabled(db, caller, ids, False)


@router.post("/enable")
def enable_members(db: DB, caller: CurrentCaller, ids: Annotated[list[str] | None, Query()] = None) -> Response:
    return _set_enabled(db, caller, ids, True)


@router.post("/search")
def search_members(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
    caller.require("accounts")
    search: SearchIn = validate(SearchIn, body if body is not None else {})
    chosen = entities.searched(is_enabled=search.is_enabled, manager_id=search.manager_id,
                               location_id=search.location_id, role_id=search.role_id)
    return definitions_response(request, db, entities.ORGANIZATION_ACCOUNT, scope=member_scope(caller),
                                params=search.terms(),
                                extra=(*search.text(entities.ORGANIZATION_ACCOUNT, SEARCHED), *chosen))


@router.delete("/{org_account_id}")
def delete_member(
    db: DB,
    caller: CurrentCaller,
    org_account_id: IdPath,
    move_employees_to: Annotated[int | None, id_query("moveEmployeesTo")] = None,
) -> Response:
    writable(db, caller, org_account_id)
    accounts.delete_memberships(
        db,
        organization_id=caller.organization_id,
        ids=[org_account_id],
        move_employees_to=move_employees_to,
        actor=_actor(db, caller),
    )
    accounts.ensure_an_administrator_remains(db, caller.organization_id)
    return empty(200)


@router.get("/{org_account_id}")
def get_member(
    request: Request, db: DB, caller: CurrentCaller, org_account_id: IdPath, properties: str | None = None
) -> Response:
    readable(db, caller, org_account_id)
    return definition_response(request, db, entities.ORGANIZATION_ACCOUNT, org_account_id, scope=member_scope(caller),
                               field="orgAccountId", edit=picked(properties))


@router.put("/{org_account_id}")
def update_member(request: Request, db: DB, caller: CurrentCaller, org_account_id: IdPath, body: Body) -> Response:
    member = writable(db, caller, org_account_id)
    data: OrgAccountIn = validate(OrgAccountIn, body)
    if data.id is not None and data.id != org_account_id:
        raise InvalidInput("id in the body differs from the organization account in the path", field="id")
    if data.account is not None and data.account.id not in (None, member.account_id):
        raise InvalidInput("account.id cannot change; create another organization account", field="account.id")
    account = members.update_member(
        db, caller=caller, member=member, identity=_identity(data.account) if data.account is not None else None,
        membership=_membership(data),
    )
    return respond(request, org_account_json(member, account))


@router.put("/{org_account_id}/addEmployees")
def add_employees(db: DB, caller: CurrentCaller, org_account_id: IdPath, body: Body) -> Response:
    manager = writable(db, caller, org_account_id)
    data: IdList = validate(IdList, body)
    members.add_employees(db, caller=caller, manager=manager, org_account_ids=data.ids)
    return empty(200)


@router.post("/{org_account_id}/hasRole")
def has_role(
    request: Request,
    db: DB,
    caller: CurrentCaller,
    org_account_id: IdPath,
    role_name: Annotated[str | None, Query(alias="roleName")] = None,
    product_id: Annotated[int | None, id_query("productId")] = None,
    include_inherited: Annotated[int | None, id_query("includeInherited")] = None,
) -> Response:
    member = readable(db, caller, org_account_id)
    roles = select(Role).where(Role.organization_id == caller.organization_id)
    if product_id is not None:
        roles = roles.where(Role.product_id == product_id)
    held = list(
        db.scalars(roles.join(RoleMember, RoleMember.role_id == Role.id).where(RoleMember.org_account_id == member.id))
    )
    if not role_name:
        return respond(request, bool(held))
    if any(role.name.lower() == role_name.lower() for role in held):
        return respond(request, True)
    target = db.scalar(roles.where(Role.name == role_name))
    if not include_inherited or target is None:
        return respond(request, False)
    held_grants = frozenset(grant for role in held for grant in role.permissions)
    return respond(request, implies(held_grants, target.permissions))


@router.post("/{org_account_id}/registry")
def put_registry(request: Request, db: DB, caller: CurrentCaller, org_account_id: IdPath, body: Body) -> Response:
    member = writable(db, caller, org_account_id)
    data: RegistryIn = registry_body(body, None)
    entry = accounts.put_member_registry(
        db, member=member, category=data.category_name, key=data.key, value=data.value, actor_id=caller.account_id
    )
    return respond(request, org_account_registry_json(entry))


@router.get("/{org_account_id}/registry")
def get_registry(
    request: Request,
    db: DB,
    caller: CurrentCaller,
    org_account_id: IdPath,
    categories: str | None = None,
    keys: str | None = None,
) -> Response:
    member = readable(db, caller, org_account_id)
    chosen = entities.member_registry_entries(
        org_account_id=member.id, categories=parse_names(categories, "categories"), keys=parse_names(keys, "keys")
    )
    return definitions_response(request, db, entities.ORG_ACCOUNT_REGISTRY, scope=checked_scope(caller), extra=chosen)


@router.delete("/{org_account_id}/registry/{category}/{registry_key}")
def delete_registry(
    db: DB, caller: CurrentCaller, org_account_id: IdPath, category: str, registry_key: str
) -> Response:
    member = writable(db, caller, org_account_id)
    plain(category, "category")
    plain(registry_key, "registryKey")
    entry = db.scalar(
        select(OrgAccountRegistry).where(
            OrgAccountRegistry.organization_id == caller.organization_id,
            OrgAccountRegistry.org_account_id == member.id,
            OrgAccountRegistry.category_name == category,
            OrgAccountRegistry.key == registry_key,
        )
    )
    accounts.delete_registry_entry(db, entry, organization_id=caller.organization_id, actor_id=caller.account_id)
    return empty(200)
