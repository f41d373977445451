"""/ams/shared/api/accounts/...: the accounts (logins) that belong to the current organization.

An account is installation-wide, but for a caller only the accounts with an organization account
in the caller's current organization exist; every other id answers 404."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field
from sqlalchemy import ColumnElement, select

from estate.accounts import entities
from estate.accounts import service as accounts
from estate.accounts.models import AccountRegistry, OrganizationAccount
from estate.auth.permissions import Caller
from estate.errors import Forbidden, InvalidInput
from estate.kace.ams.params import IdPath, Int32, free_text, parse_names, plain
from estate.kace.ams.serializers import InputModel, account_registry_json, picked
from estate.kace.deps import DB, Body, CurrentCaller
from estate.kace.http import empty, respond, validate
from estate.kace.lists import definitions_response, read_definition, read_definitions
from estate.query import Entity, QueryTerms, Scope

router = APIRouter(prefix="/ams/shared/api", tags=["accounts"])

# What the free text of the search routes (`query`) looks in.
SEARCHED = ("login", "fullName", "email")


class AccountIn(InputModel):
    """An Account as clients send it; `password` is write-only, read-only fields are ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: Int32 | None = None
    login: str | None = Field(default=None, max_length=255)
    password: str | None = None
    full_name: str | None = Field(default=None, alias="fullName", max_length=255)
    email: str | None = Field(default=None, max_length=255)
    ad_domain: str | None = Field(default=None, alias="ADDomain", max_length=255)
    im_address: str | None = Field(default=None, alias="IMAddress", max_length=255)
    creation_mode: Int32 | None = Field(default=None, alias="creationMode")
    date_time_format: str | None = Field(default=None, alias="dateTimeFormat", max_length=64)
    distinguished_name: str | None = Field(default=None, alias="distinguishedName", max_length=1024)
    job_title: str | None = Field(default=None, alias="jobTitle", max_length=255)
    language: str | None = Field(default=None, max_length=16)
    mobile_phone: str | None = Field(default=None, alias="mobilePhone", max_length=64)
    number_format: str | None = Field(default=None, alias="numberFormat", max_length=64)
    override_location_settings: bool | None = Field(default=None, alias="overrideLocationSettings")
    principal_name: str | None = Field(default=None, alias="principalName", max_length=255)
    time_zone: str | None = Field(default=None, alias="timeZone", max_length=64)
    user_type: Int32 | None = Field(default=None, alias="userType")
    work_phone: str | None = Field(default=None, alias="workPhone", max_length=64)
    # Read-only: accepted so that an object read can be sent back unchanged.
    is_deleted: bool | None = Field(default=None, alias="isDeleted")
    password_changed_at: datetime | None = Field(default=None, alias="passwordChangedAt")
    version: datetime | None = None

    # Columns that may be written as sent; not-null ones refuse null.
    WRITABLE: ClassVar[tuple[str, ...]] = (
        "full_name", "email", "ad_domain", "im_address", "creation_mode", "date_time_format",
        "distinguished_name", "job_title", "language", "mobile_phone", "number_format",
        "override_location_settings", "principal_name", "time_zone", "user_type", "work_phone",
    )
    NOT_NULL: ClassVar[dict[str, str]] = {
        "creation_mode": "creationMode",
        "override_location_settings": "overrideLocationSettings",
        "user_type": "userType",
    }

    def values(self) -> dict[str, Any]:
        sent = self.model_fields_set
        values = {name: getattr(self, name) for name in self.WRITABLE if name in sent}
        for name, alias in self.NOT_NULL.items():
            if name in values and values[name] is None:
                raise InvalidInput(f"{alias} must not be null", field=f"account.{alias}")
        return values


class SearchIn(InputModel):
    """The body of the search routes: free text plus the list parameters of the query language."""

    model_config = ConfigDict(extra="forbid")

    query: str | None = None
    filtering: str | None = None
    sorting: str | None = None
    paging: str | None = None
    is_enabled: bool | None = Field(default=None, alias="isEnabled")
    role_id: Int32 | None = Field(default=None, alias="roleId")
    manager_id: Int32 | None = Field(default=None, alias="managerId")
    location_id: Int32 | None = Field(default=None, alias="locationId")

    def terms(self) -> dict[str, str]:
        """The query language's parameters the body carries."""
        sent = {"filtering": self.filtering, "sorting": self.sorting, "paging": self.paging}
        return {name: value for name, value in sent.items() if value is not None}

    def text(self, entity: Entity, names: tuple[str, ...]) -> tuple[ColumnElement[bool], ...]:
        return free_text(entity, names, self.query, parameter="query")


class RegistryIn(InputModel):
    """An AccountRegistry or OrgAccountRegistry entry; the owner comes from the path."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    category_name: str = Field(alias="categoryName", max_length=255)
    key: str = Field(max_length=255)
    value: str | None = None
    id: Int32 | None = None
    account: dict[str, Any] | None = None
    org_account: dict[str, Any] | None = Field(default=None, alias="orgAccount")


def registry_body(body: Any, registry: str | None) -> RegistryIn:
    """The entry from the body, or from the `registry` query parameter the reference declares."""
    if body is None and registry:
        try:
            body = json.loads(registry)
        except ValueError:
            raise InvalidInput("registry must be a JSON object", field="registry") from None
    return validate(RegistryIn, body, what="registry")


def own_data_only(caller: Caller, account_id: int, what: str = "account") -> None:
    """Roles without `data:all` (Standard user) see only their own records."""
    if not caller.sees_all_data and account_id != caller.account_id:
        raise Forbidden(f"your role lets you read only your own {what}")


def readable_member(db: DB, caller: Caller, account_id: int) -> OrganizationAccount:
    caller.require("accounts")
    member = accounts.member_of_account(db, caller.organization_id, account_id)
    own_data_only(caller, account_id)
    return member


def account_scope(caller: Caller) -> Scope:
    """The accounts of the caller's organization; roles without `data:all` see their own only."""
    visible = None if caller.sees_all_data else entities.own_account(caller.account_id)
    return Scope(organization_id=caller.organization_id, visible=visible)


def checked_scope(caller: Caller) -> Scope:
    """For rows of a record the route has checked the caller may read (readable_member)."""
    return Scope(organization_id=caller.organization_id, visible=None)


@router.get("/accounts/")
@router.get("/accounts", include_in_schema=False)
def list_accounts(request: Request, db: DB, caller: CurrentCaller) -> Response:
    caller.require("accounts")
    return definitions_response(request, db, entities.ACCOUNT, scope=account_scope(caller))


@router.post("/accounts/search")
def search_accounts(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
    caller.require("accounts")
    search: SearchIn = validate(SearchIn, body if body is not None else {})
    if search.is_enabled is not None or search.role_id or search.manager_id or search.location_id:
        raise InvalidInput("account search takes query, filtering, sorting and paging", field="body")
    return definitions_response(request, db, entities.ACCOUNT, scope=account_scope(caller), params=search.terms(),
                                extra=search.text(entities.ACCOUNT, SEARCHED))


@router.get("/accounts/{account_id}")
def get_account(
    request: Request, db: DB, caller: CurrentCaller, account_id: IdPath, registry: str | None = None
) -> Response:
    readable_member(db, caller, account_id)
    record = read_definition(db, entities.ACCOUNT, account_id, scope=account_scope(caller), field="accountId")
    # `registry=true` adds the account's registry entries, saving a second request.
    if (registry or "").lower() in ("true", "1"):
        chosen = entities.registry_entries(account_id=account_id, categories=[], keys=[])
        record["registry"] = read_definitions(db, entities.ACCOUNT_REGISTRY, QueryTerms(limit=None),
                                              scope=checked_scope(caller), extra=chosen)
    return respond(request, record)


@router.get("/accounts/{account_id}/organizationAccounts")
def account_memberships(
    request: Request,
    db: DB,
    caller: CurrentCaller,
    account_id: IdPath,
    filter: str | None = None,  # noqa: A002 - the reference's parameter name
    properties: str | None = None,
) -> Response:
    readable_member(db, caller, account_id)
    # Memberships in organizations the caller is not part of are another organization's data.
    visible = entities.memberships(account_id=account_id, visible_to=caller.account_id)
    named = free_text(entities.MEMBERSHIP, ("organization.name",), filter, parameter="filter")
    return definitions_response(request, db, entities.MEMBERSHIP, scope=Scope(caller.organization_id, visible),
                                extra=named, edit=picked(properties))


@router.post("/accounts/{account_id}/registry")
def put_registry(
    request: Request, db: DB, caller: CurrentCaller, account_id: IdPath, body: Body, registry: str | None = None
) -> Response:
    caller.require("accounts", "write")
    accounts.member_of_account(db, caller.organization_id, account_id)
    data = registry_body(body, registry)
    entry = accounts.put_account_registry(
        db,
        account_id=account_id,
        category=data.category_name,
        key=data.key,
        value=data.value,
        organization_id=caller.organization_id,
        actor_id=caller.account_id,
    )
    return respond(request, account_registry_json(entry))


@router.get("/accounts/{account_id}/registry")
def get_registry(
    request: Request,
    db: DB,
    caller: CurrentCaller,
    account_id: IdPath,
    categories: str | None = None,
    keys: str | None = None,
) -> Response:
    readable_member(db, caller, account_id)
    chosen = entities.registry_entries(account_id=account_id, categories=parse_names(categories, "categories"),
                                       keys=parse_names(keys, "keys"))
    return definitions_response(request, db, entities.ACCOUNT_REGISTRY, scope=checked_scope(caller), extra=chosen)


@router.delete("/accounts/{account_id}/registry/{category}/{registry_key}")
def delete_registry(db: DB, caller: CurrentCaller, account_id: IdPath, category: str, registry_key: str) -> Response:
    caller.require("accounts", "write")
    accounts.member_of_account(db, caller.organization_id, account_id)
    plain(category, "category")
    plain(registry_key, "registryKey")
    entry = db.scalar(
        select(AccountRegistry).where(
            AccountRegistry.account_id == account_id,
            AccountRegistry.category_name == category,
            AccountRegistry.key == registry_key,
        )
    )
    accounts.delete_registry_entry(db, entry, organization_id=caller.organization_id, actor_id=caller.account_id)
    return empty(200)


@router.get("/accounts/{manager_id}/managedAccounts")
def managed_accounts(request: Request, db: DB, caller: CurrentCaller, manager_id: IdPath) -> Response:
    """The accounts whose organization account reports to the manager's, in this organization."""
    manager = readable_member(db, caller, manager_id)
    return definitions_response(request, db, entities.ACCOUNT, scope=checked_scope(caller),
                                extra=(entities.managed_by(manager.id),))
