"""Query-engine declarations of accounts, organization accounts and their registries, answered as
the reference's Definitions spell them (Account, OrganizationAccount, AccountRegistry,
OrgAccountRegistry): camelCase names, references nested as `{"id": ...}` objects, ISO datetimes.

An account is installation-wide; it is listed through its membership of the organization a list
is walled by, so an account of another organization does not exist for the list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, select

from estate.accounts.models import Account, AccountRegistry, OrgAccountRegistry, OrganizationAccount
from estate.auth.models import RoleMember
from estate.orgs.models import Organization
from estate.query import Entity, Field, Kind, Level, Nesting, Style

_account = Account.__table__
_member = OrganizationAccount.__table__

# The Account Definition in its order: answer name, column, kind, level, searched by `*`.
_ACCOUNT_FIELDS: tuple[tuple[str, str, Kind, Level, bool], ...] = (
    ("id", "id", Kind.INT, Level.LIMITED, False),
    ("login", "login", Kind.TEXT, Level.LIMITED, True),
    ("fullName", "full_name", Kind.TEXT, Level.LIMITED, True),
    ("email", "email", Kind.TEXT, Level.STANDARD, True),
    ("ADDomain", "ad_domain", Kind.TEXT, Level.STANDARD, True),
    ("IMAddress", "im_address", Kind.TEXT, Level.STANDARD, False),
    ("creationMode", "creation_mode", Kind.INT, Level.STANDARD, False),
    ("dateTimeFormat", "date_time_format", Kind.TEXT, Level.STANDARD, False),
    ("distinguishedName", "distinguished_name", Kind.TEXT, Level.STANDARD, False),
    ("isDeleted", "is_deleted", Kind.BOOL, Level.STANDARD, False),
    ("jobTitle", "job_title", Kind.TEXT, Level.STANDARD, True),
    ("language", "language", Kind.TEXT, Level.STANDARD, False),
    ("mobilePhone", "mobile_phone", Kind.TEXT, Level.STANDARD, True),
    ("numberFormat", "number_format", Kind.TEXT, Level.STANDARD, False),
    ("overrideLocationSettings", "override_location_settings", Kind.BOOL, Level.STANDARD, False),
    ("passwordChangedAt", "password_changed_at", Kind.DATETIME, Level.STANDARD, False),
    ("principalName", "principal_name", Kind.TEXT, Level.STANDARD, True),
    ("timeZone", "time_zone", Kind.TEXT, Level.STANDARD, False),
    ("userType", "user_type", Kind.INT, Level.STANDARD, False),
    ("version", "version", Kind.DATETIME, Level.STANDARD, False),
    ("workPhone", "work_phone", Kind.TEXT, Level.STANDARD, True),
)
_ACCOUNT_COLUMNS = tuple(column for _, column, *_ in _ACCOUNT_FIELDS)


def _account_fields(columns: Any, *, prefix: str = "", column_prefix: str = "") -> tuple[Field, ...]:
    return tuple(
        Field(f"{prefix}{name}", columns[f"{column_prefix}{column}"], kind, level, wildcard=wildcard)
        for name, column, kind, level, wildcard in _ACCOUNT_FIELDS
    )


# --- Accounts of an organization ----------------------------------------------------------------------

_accounts = (
    select(
        *(_account.c[column] for column in _ACCOUNT_COLUMNS),
        _member.c.organization_id.label("member_organization_id"),
        _member.c.manager_id.label("member_manager_id"),
    )
    .join(_member, _member.c.account_id == _account.c.id)
    .where(_account.c.is_deleted == false())
    .subquery("organization_accounts_accounts")
)

ACCOUNT = Entity(
    name="account",
    plural="Accounts",
    table=_accounts,
    id_field="id",
    name_field="login",
    organization_column=_accounts.c.member_organization_id,
    style=Style.ISO,
    nesting=Nesting.NAMED,
    aliases=("accounts",),
    fields=_account_fields(_accounts.c),
)


def managed_by(org_account_id: int) -> ColumnElement[bool]:
    """Accounts whose organization account reports to this one."""
    return _accounts.c.member_manager_id == org_account_id


def own_account(account_id: int) -> ColumnElement[bool]:
    return _accounts.c.id == account_id


# --- Organization accounts ------------------------------------------------------------------------------

_MEMBER_FIELDS = ("id", "account_id", "organization_id", "created", "is_enabled", "level", "location_id",
                  "manager_id", "path", "version")


def _members_of(*joined: Any) -> Select[Any]:
    return (
        select(
            *(_member.c[column] for column in _MEMBER_FIELDS),
            *(_account.c[column].label(f"acct_{column}") for column in _ACCOUNT_COLUMNS),
            *joined,
        )
        .join(_account, _account.c.id == _member.c.account_id)
        .where(_account.c.is_deleted == false())
    )


def _member_entity(table: Any, *, walled: bool, organization: tuple[Field, ...] = (),
                   default_order: tuple[str, ...] = ()) -> Entity:
    """The OrganizationAccount Definition in its order; `limited` is the id and the account's id,
    login and full name. `walled`: listed within the caller's organization."""
    columns = table.c
    return Entity(
        name="organizationAccount",
        plural="OrganizationAccounts",
        table=table,
        id_field="id",
        name_field="account.login",
        organization_column=columns.organization_id if walled else None,
        style=Style.ISO,
        nesting=Nesting.NAMED,
        aliases=("organizationaccounts", "orgaccount", "organization_account"),
        fields=(
            Field("id", columns.id, Kind.INT, Level.LIMITED),
            *_account_fields(columns, prefix="account.", column_prefix="acct_"),
            Field("created", columns.created, Kind.DATETIME),
            Field("isEnabled", columns.is_enabled, Kind.BOOL),
            Field("level", columns.level, Kind.INT),
            Field("location.id", columns.location_id, Kind.INT),
            Field("manager.id", columns.manager_id, Kind.INT),
            Field("path", columns.path, Kind.TEXT, wildcard=True),
            Field("version", columns.version, Kind.DATETIME),
            Field("organization.id", columns.organization_id, Kind.INT),
            *organization,
        ),
        default_order=default_order,
    )


_members = _members_of().subquery("listed_organization_accounts")
ORGANIZATION_ACCOUNT = _member_entity(_members, walled=True)

_organization = Organization.__table__
_memberships = (
    _members_of(_organization.c.name.label("organization_name"))
    .join(_organization, _organization.c.id == _member.c.organization_id)
    .where(_organization.c.is_deleted == false())
    .subquery("account_memberships")
)
# An account's organization accounts across organizations, with each organization's name: the
# organization wall does not apply, the route says which organizations the caller may see.
MEMBERSHIP = _member_entity(
    _memberships, walled=False, organization=(Field("organization.name", _memberships.c.organization_name),),
    default_order=("organization.id",),
)


def holding(role_id: int) -> ColumnElement[bool]:
    """Organization accounts that hold the role."""
    holders = RoleMember.__table__
    return _members.c.id.in_(select(holders.c.org_account_id).where(holders.c.role_id == role_id))


def searched(*, is_enabled: bool | None, manager_id: int | None, location_id: int | None,
             role_id: int | None) -> tuple[ColumnElement[bool], ...]:
    """The criteria of the organization account search (OrgAccSearch) that are given."""
    chosen = []
    if is_enabled is not None:
        chosen.append(_members.c.is_enabled == is_enabled)
    if manager_id is not None:
        chosen.append(_members.c.manager_id == manager_id)
    if location_id is not None:
        chosen.append(_members.c.location_id == location_id)
    if role_id is not None:
        chosen.append(holding(role_id))
    return tuple(chosen)


def enabled_organizations(account_id: int) -> Select[Any]:
    """The ids of the organizations where the account has an enabled organization account."""
    return select(_member.c.organization_id).where(_member.c.account_id == account_id,
                                                   _member.c.is_enabled.is_(True))


def memberships(*, account_id: int, visible_to: int) -> ColumnElement[bool]:
    """The account's organization accounts in organizations where account `visible_to` has an
    enabled one: another organization's memberships are its own data."""
    shared = enabled_organizations(visible_to)
    return (_memberships.c.account_id == account_id) & _memberships.c.organization_id.in_(shared)


def of_account(account_id: int) -> ColumnElement[bool]:
    return _members.c.account_id == account_id


# --- Registries ----------------------------------------------------------------------------------------------

def _registry_entity(name: str, table: Any, owner: Field, organization_column: Any) -> Entity:
    """An AccountRegistry or OrgAccountRegistry: small settings by category and key, of an owner."""
    return Entity(
        name=name,
        plural=name[:1].upper() + name[1:],
        table=table,
        id_field="id",
        name_field="key",
        organization_column=organization_column,
        style=Style.ISO,
        nesting=Nesting.NAMED,
        fields=(
            Field("id", table.c.id, Kind.INT, Level.LIMITED),
            owner,
            Field("categoryName", table.c.category_name, wildcard=True),
            Field("key", table.c.key, Kind.TEXT, Level.LIMITED, wildcard=True),
            Field("value", table.c.value, wildcard=True),
        ),
        default_order=("categoryName", "key"),
    )


_registry = AccountRegistry.__table__
# Per account, which is installation-wide: routes wall it by the account they read.
ACCOUNT_REGISTRY = _registry_entity(
    "accountRegistry", _registry, Field("account.id", _registry.c.account_id, Kind.INT), None
)
_member_registry = OrgAccountRegistry.__table__
ORG_ACCOUNT_REGISTRY = _registry_entity(
    "orgAccountRegistry", _member_registry, Field("orgAccount.id", _member_registry.c.org_account_id, Kind.INT),
    _member_registry.c.organization_id,
)


def registry_entries(*, account_id: int, categories: list[str], keys: list[str]) -> tuple[ColumnElement[bool], ...]:
    return (_registry.c.account_id == account_id, *_chosen(_registry, categories, keys))


def member_registry_entries(*, org_account_id: int, categories: list[str],
                            keys: list[str]) -> tuple[ColumnElement[bool], ...]:
    return (_member_registry.c.org_account_id == org_account_id, *_chosen(_member_registry, categories, keys))


def _chosen(table: Any, categories: list[str], keys: list[str]) -> tuple[ColumnElement[bool], ...]:
    chosen = []
    if categories:
        chosen.append(table.c.category_name.in_(categories))
    if keys:
        chosen.append(table.c.key.in_(keys))
    return tuple(chosen)
