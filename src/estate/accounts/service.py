"""Accounts and their organization memberships."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from estate.accounts.models import Account, OrganizationAccount
from estate.auth.models import Role, RoleMember
from estate.auth.secrets import hash_password
from estate.db.base import utcnow
from estate.errors import Conflict, InvalidInput, NotFound
from estate.history import service as history


def login_key(login: str) -> str:
    return login.strip().lower()


def find_account(db: Session, login: str) -> Account | None:
    return db.scalar(select(Account).where(Account.login_key == login_key(login), Account.is_deleted.is_(False)))


def set_password(account: Account, password: str) -> None:
    if not password:
        raise InvalidInput("password must not be empty", field="password")
    account.password_hash = hash_password(password)
    account.password_changed_at = utcnow()


def create_account(
    db: Session,
    *,
    login: str,
    password: str | None,
    actor_account_id: int | None,
    organization_id: int,
    role_name: str | None = None,
    values: dict[str, object] | None = None,
) -> tuple[Account, OrganizationAccount]:
    """Create an account and make it a member of one organization, with a role there."""
    login = (login or "").strip()
    if not login:
        raise InvalidInput("login is required", field="login")
    if db.scalar(select(Account.id).where(Account.login_key == login_key(login))):
        raise Conflict(f"an account with login {login!r} exists", field="login")
    account = Account(login=login, login_key=login_key(login), **(values or {}))
    if password is not None:
        set_password(account, password)
    db.add(account)
    db.flush()
    member = add_membership(db, account=account, organization_id=organization_id, role_name=role_name)
    history.record(
        db,
        organization_id=organization_id,
        account_id=actor_account_id,
        action=history.CREATE,
        entity_name="account",
        entity_id=account.id,
        changes={"login": (None, login)},
    )
    return account, member


def add_membership(
    db: Session, *, account: Account, organization_id: int, role_name: str | None = None, **values: object
) -> OrganizationAccount:
    if db.scalar(
        select(OrganizationAccount.id).where(
            OrganizationAccount.organization_id == organization_id, OrganizationAccount.account_id == account.id
        )
    ):
        raise Conflict(f"account {account.login!r} is already a member of this organization", field="account")
    member = OrganizationAccount(organization_id=organization_id, account_id=account.id, **values)
    db.add(member)
    db.flush()
    member.path = f"/{member.id}"
    role = (
        db.scalar(select(Role).where(Role.organization_id == organization_id, Role.name == role_name))
        if role_name
        else db.scalar(select(Role).where(Role.organization_id == organization_id, Role.is_default_user_role))
    )
    if role is None:
        raise InvalidInput(f"unknown role {role_name!r}", field="role")
    db.add(RoleMember(organization_id=organization_id, role_id=role.id, org_account_id=member.id))
    return member


def get_membership(db: Session, organization_id: int, org_account_id: int) -> OrganizationAccount:
    member = db.get(OrganizationAccount, org_account_id)
    if member is None or member.organization_id != organization_id:
        raise NotFound(f"organization account {org_account_id} not found", field="orgAccountId")
    return member


def membership_of(db: Session, organization_id: int, account_id: int) -> OrganizationAccount | None:
    return db.scalar(
        select(OrganizationAccount).where(
            OrganizationAccount.organization_id == organization_id, OrganizationAccount.account_id == account_id
        )
    )


def grants_of(db: Session, org_account_id: int) -> frozenset[str]:
    rows = db.scalars(
        select(Role.permissions).join(RoleMember, RoleMember.role_id == Role.id).where(
            RoleMember.org_account_id == org_account_id
        )
    )
    return frozenset(grant for permissions in rows for grant in permissions)


def role_names_of(db: Session, org_account_id: int) -> list[str]:
    return list(
        db.scalars(
            select(Role.name)
            .join(RoleMember, RoleMember.role_id == Role.id)
            .where(RoleMember.org_account_id == org_account_id)
            .order_by(Role.name)
        )
    )
