"""Writes of organization accounts: the membership (enabled, location, manager) and the shared
identity of its account (login, password, names, preferences), each recorded in the history.

An account is shared by every organization it belongs to: changing its identity needs the right
to change accounts in each of them (accounts.service.may_edit_identity), and whoever may change a
login or password could act as that account, so only accounts whose rights the caller already
holds can be changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from estate.accounts import service as accounts
from estate.accounts.models import Account, OrganizationAccount
from estate.auth.permissions import Caller, implies
from estate.errors import Conflict, Forbidden, InvalidInput, NotFound
from estate.history import service as history
from estate.orgs import service as orgs

# What a membership write takes (present: sent).
MEMBERSHIP = frozenset({"is_enabled", "location_id", "manager_id"})
# An identity write takes the account's columns, and "login" and "password" when sent.
ACCOUNT = "account"


def _record(db: Session, caller: Caller, action: int, entity: str, entity_id: int, changes: dict[str, Any]) -> None:
    if changes or action != history.UPDATE:
        history.record(db, organization_id=caller.organization_id, account_id=caller.account_id, action=action,
                       entity_name=entity, entity_id=entity_id, changes=changes)


def _check_identity_editable(db: Session, caller: Caller, account: Account) -> None:
    if not accounts.may_edit_identity(db, account_id=account.id, actor_account_id=caller.account_id):
        raise Forbidden(
            "this account also belongs to organizations you do not administer; it can only be changed there",
            field="account",
        )
    member = accounts.membership_of(db, caller.organization_id, account.id)
    if member is not None and not implies(caller.grants, accounts.grants_of(db, member.id)):
        raise Forbidden("this account has rights you do not have; you cannot change its identity", field="account")


def _free_login(db: Session, login: str | None, account_id: int | None) -> str:
    login = (login or "").strip()
    if not login:
        raise InvalidInput("login must not be empty", field="account.login")
    clash = select(Account.id).where(Account.login_key == accounts.login_key(login))
    if account_id is not None:
        clash = clash.where(Account.id != account_id)
    if db.scalar(clash):
        raise Conflict(f"an account with login {login!r} exists", field="account.login")
    return login


def _columns(values: Mapping[str, Any]) -> dict[str, Any]:
    columns = {name: value for name, value in values.items() if name not in ("login", "password")}
    if columns.get("time_zone"):
        orgs.check_time_zone(columns["time_zone"])
    return columns


def change_identity(db: Session, *, caller: Caller, account: Account, values: Mapping[str, Any]) -> None:
    """Change the account's columns, login and password named in ``values``; recorded on the account."""
    columns = _columns(values)
    if values:
        _check_identity_editable(db, caller, account)
    if "login" in values:
        columns["login"] = _free_login(db, values["login"], account.id)
        columns["login_key"] = accounts.login_key(columns["login"])
    changes = history.diff(account, columns)
    changes.pop("login_key", None)
    if "password" in values:
        if not values["password"]:
            raise InvalidInput("password must not be empty", field="account.password")
        accounts.set_password(account, values["password"])
        changes["password"] = ("***", "***")  # that it changed, never the value
    _record(db, caller, history.UPDATE, ACCOUNT, account.id, changes)


def _change_membership(
    db: Session, caller: Caller, member: OrganizationAccount, values: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    unknown = sorted(set(values) - MEMBERSHIP)
    if unknown:
        raise InvalidInput(f"unknown organization account field {unknown[0]!r}", field=unknown[0])
    columns: dict[str, Any] = {}
    if "is_enabled" in values:
        if values["is_enabled"] is None:
            raise InvalidInput("isEnabled must not be null", field="isEnabled")
        if not values["is_enabled"] and member.id == caller.org_account_id:
            raise InvalidInput("you cannot disable your own organization account", field="isEnabled")
        columns["is_enabled"] = values["is_enabled"]
    if "location_id" in values:
        if values["location_id"] is not None:
            try:
                orgs.get_location(db, caller.organization_id, values["location_id"])
            except NotFound as missing:
                raise NotFound(missing.message, field="location") from None
        columns["location_id"] = values["location_id"]
    changes = history.diff(member, columns)
    manager_id = values.get("manager_id", member.manager_id)
    if manager_id != member.manager_id:
        manager = (accounts.members_by_ids(db, caller.organization_id, [manager_id], "manager")[0]
                   if manager_id is not None else None)
        changes["manager_id"] = (member.manager_id, manager_id)
        accounts.set_manager(db, member, manager)
    return changes


def create_member(
    db: Session, *, caller: Caller, account_id: int | None, identity: Mapping[str, Any], membership: Mapping[str, Any]
) -> tuple[Account, OrganizationAccount]:
    """An organization account of the caller's organization: for a new account (``account_id``
    None, ``identity`` its login, password and columns), or for an existing account the caller
    administers elsewhere, whose identity ``identity`` changes."""
    if account_id is None:
        if not (identity.get("login") or "").strip():
            raise InvalidInput("account.login is required", field="account.login")
        columns = _columns(identity)
        if "password" in identity and not identity["password"]:
            raise InvalidInput("password must not be empty", field="account.password")
        account, member = accounts.create_account(
            db, login=_free_login(db, identity["login"], None), password=identity.get("password"),
            actor_account_id=caller.account_id, organization_id=caller.organization_id, values=columns,
        )
    else:
        account = accounts.linkable_account(db, account_id=account_id, actor_account_id=caller.account_id)
        member = accounts.add_membership(db, account=account, organization_id=caller.organization_id)
        change_identity(db, caller=caller, account=account, values=identity)
    changes = _change_membership(db, caller, member, membership)
    changes["account_id"] = (None, account.id)
    _record(db, caller, history.CREATE, accounts.ORG_ACCOUNT, member.id, changes)
    db.flush()
    return account, member


def add_employees(db: Session, *, caller: Caller, manager: OrganizationAccount, org_account_ids: list[int]) -> None:
    """Put organization accounts below ``manager``; one refused (a cycle) refuses them all."""
    if not org_account_ids:
        raise InvalidInput("ids must name at least one organization account", field="ids")
    for employee in accounts.members_by_ids(db, caller.organization_id, org_account_ids):
        if employee.manager_id == manager.id:
            continue
        old = employee.manager_id
        # set_manager refuses cycles; the request's transaction then leaves every employee as it was.
        accounts.set_manager(db, employee, manager)
        _record(db, caller, history.UPDATE, accounts.ORG_ACCOUNT, employee.id, {"manager_id": (old, manager.id)})


def update_member(
    db: Session, *, caller: Caller, member: OrganizationAccount, identity: Mapping[str, Any] | None,
    membership: Mapping[str, Any],
) -> Account:
    """Change the membership and, when given, its account's identity; the organization keeps an
    enabled administrator."""
    account = accounts.get_account(db, member.account_id)
    if identity is not None:
        change_identity(db, caller=caller, account=account, values=identity)
    _record(db, caller, history.UPDATE, accounts.ORG_ACCOUNT, member.id,
            _change_membership(db, caller, member, membership))
    db.flush()
    accounts.ensure_an_administrator_remains(db, caller.organization_id)
    return account
