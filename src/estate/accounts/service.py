"""Accounts and their organization memberships."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from estate.accounts.models import Account, AccountRegistry, OrgAccountRegistry, OrganizationAccount
from estate.auth.models import Role, RoleMember
from estate.auth.permissions import allows
from estate.auth.secrets import hash_password
from estate.db.base import utcnow
from estate.errors import Conflict, InvalidInput, NotFound
from estate.history import service as history
from estate.orgs.models import Organization


def login_key(login: str) -> str:
    return login.strip().lower()


def get_account(db: Session, account_id: int, *, field: str = "accountId") -> Account:
    account = db.get(Account, account_id)
    if account is None:
        raise NotFound(f"account {account_id} not found", field=field)
    return account


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


def organizations_of(db: Session, account_id: int) -> list[tuple[int, str]]:
    """(id, name) of the enabled organizations the account may act in, as a login may pick them."""
    rows = db.execute(
        select(Organization.id, Organization.name)
        .join(OrganizationAccount, OrganizationAccount.organization_id == Organization.id)
        .where(
            OrganizationAccount.account_id == account_id,
            OrganizationAccount.is_enabled.is_(True),
            Organization.is_deleted.is_(False),
            Organization.is_enabled.is_(True),
        )
        .order_by(Organization.name, Organization.id)
    )
    return [(row.id, row.name) for row in rows]


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


# --- Membership rules used by the account management routes -------------------------------------

ORG_ACCOUNT = "organization_account"


def record_change(
    db: Session,
    *,
    organization_id: int,
    actor_account_id: int | None,
    action: int,
    entity_name: str,
    entity_id: int | None,
    changes: dict[str, tuple[object, object]],
    parent: tuple[str, int] | None = None,
) -> None:
    history.record(
        db,
        organization_id=organization_id,
        account_id=actor_account_id,
        action=action,
        entity_name=entity_name,
        entity_id=entity_id,
        changes=changes,
        parent=parent,
    )


def member_of_account(db: Session, organization_id: int, account_id: int) -> OrganizationAccount:
    """The account's membership in this organization; an account outside it does not exist here."""
    member = membership_of(db, organization_id, account_id)
    account = db.get(Account, account_id) if member else None
    if member is None or account is None or account.is_deleted:
        raise NotFound(f"account {account_id} not found", field="accountId")
    return member


def members_by_ids(db: Session, organization_id: int, ids: list[int], field: str = "ids") -> list[OrganizationAccount]:
    """All of the organization accounts or none: one unknown id refuses the whole request."""
    found = {
        member.id: member
        for member in db.scalars(
            select(OrganizationAccount).where(
                OrganizationAccount.organization_id == organization_id, OrganizationAccount.id.in_(ids)
            )
        )
    }
    missing = [str(member_id) for member_id in ids if member_id not in found]
    if missing:
        raise NotFound(f"organization account(s) {', '.join(missing)} not found", field=field)
    return [found[member_id] for member_id in dict.fromkeys(ids)]


def _subtree(db: Session, member: OrganizationAccount) -> list[OrganizationAccount]:
    """The members below ``member`` in the manager hierarchy, parents before children."""
    prefix = f"{member.path}/"
    return list(
        db.scalars(
            select(OrganizationAccount)
            .where(
                OrganizationAccount.organization_id == member.organization_id,
                OrganizationAccount.path.startswith(prefix, autoescape=True),
            )
            .order_by(OrganizationAccount.level, OrganizationAccount.id)
        )
    )


def _place(member: OrganizationAccount, manager: OrganizationAccount | None) -> None:
    member.level = manager.level + 1 if manager else 0
    member.path = f"{manager.path if manager else ''}/{member.id}"


def set_manager(db: Session, member: OrganizationAccount, manager: OrganizationAccount | None) -> None:
    """Put ``member`` below ``manager`` and carry its employees' paths along."""
    if manager is not None:
        if manager.organization_id != member.organization_id:
            raise NotFound(f"organization account {manager.id} not found", field="manager")
        if manager.id == member.id or manager.path.startswith(f"{member.path}/"):
            raise InvalidInput("an organization account cannot be managed by itself or its employees", field="manager")
    below = _subtree(db, member)
    member.manager_id = manager.id if manager else None
    _place(member, manager)
    by_id = {member.id: member}
    for row in below:
        _place(row, by_id.get(row.manager_id or -1))
        by_id[row.id] = row


def delete_memberships(
    db: Session,
    *,
    organization_id: int,
    ids: list[int],
    move_employees_to: int | None,
    actor: OrganizationAccount,
) -> None:
    members = members_by_ids(db, organization_id, ids)
    if actor.id in ids:
        raise InvalidInput("you cannot delete your own organization account", field="ids")
    new_manager = None
    if move_employees_to is not None:
        if move_employees_to in ids:
            raise InvalidInput("employees cannot move to an account being deleted", field="moveEmployeesTo")
        new_manager = members_by_ids(db, organization_id, [move_employees_to], "moveEmployeesTo")[0]
    employees = db.scalars(
        select(OrganizationAccount).where(
            OrganizationAccount.organization_id == organization_id,
            OrganizationAccount.manager_id.in_(ids),
            OrganizationAccount.id.not_in(ids),
        ).order_by(OrganizationAccount.level, OrganizationAccount.id)
    )
    for employee in employees:
        old = employee.manager_id
        set_manager(db, employee, new_manager)
        record_change(
            db,
            organization_id=organization_id,
            actor_account_id=actor.account_id,
            action=history.UPDATE,
            entity_name=ORG_ACCOUNT,
            entity_id=employee.id,
            changes={"manager_id": (old, employee.manager_id)},
        )
    for member in members:
        record_change(
            db,
            organization_id=organization_id,
            actor_account_id=actor.account_id,
            action=history.DELETE,
            entity_name=ORG_ACCOUNT,
            entity_id=member.id,
            changes={"account_id": (member.account_id, None)},
        )
        db.delete(member)
    db.flush()


def set_enabled(
    db: Session, *, organization_id: int, ids: list[int], enabled: bool, actor: OrganizationAccount
) -> None:
    members = members_by_ids(db, organization_id, ids)
    if not enabled and actor.id in ids:
        raise InvalidInput("you cannot disable your own organization account", field="ids")
    for member in members:
        changes = history.diff(member, {"is_enabled": enabled})
        if changes:
            record_change(
                db,
                organization_id=organization_id,
                actor_account_id=actor.account_id,
                action=history.UPDATE,
                entity_name=ORG_ACCOUNT,
                entity_id=member.id,
                changes=changes,
            )


def may_edit_identity(db: Session, *, account_id: int, actor_account_id: int) -> bool:
    """An account is shared by every organization it belongs to, so changing its login, name or
    password needs the right to change accounts in each of them: one organization's
    administrator must not take over another organization's people."""
    if account_id == actor_account_id:
        return True
    theirs = set(
        db.scalars(select(OrganizationAccount.organization_id).where(OrganizationAccount.account_id == account_id))
    )
    mine = {
        member.organization_id: member
        for member in db.scalars(
            select(OrganizationAccount).where(
                OrganizationAccount.account_id == actor_account_id, OrganizationAccount.is_enabled.is_(True)
            )
        )
    }
    if not theirs <= mine.keys():
        return False
    return all(allows(grants_of(db, mine[organization_id].id), "accounts", "write") for organization_id in theirs)


def linkable_account(db: Session, *, account_id: int, actor_account_id: int) -> Account:
    """An existing account that may join the actor's organization: one the actor administers
    elsewhere. Accounts of organizations the actor does not administer do not exist for them."""
    account = db.get(Account, account_id)
    if account is None or account.is_deleted or not may_edit_identity(
        db, account_id=account_id, actor_account_id=actor_account_id
    ):
        raise NotFound(f"account {account_id} not found", field="account.id")
    return account


# --- Role membership -----------------------------------------------------------------------------


def set_role_members(
    db: Session, *, role: Role, ids: list[int], add: bool, actor: OrganizationAccount, multiple_roles: bool
) -> None:
    """Add or remove organization accounts to a role. When the role's product allows one role
    per account (the appliance's own product does), joining a role leaves the others of it."""
    members = members_by_ids(db, role.organization_id, ids)
    before = sorted(db.scalars(select(RoleMember.org_account_id).where(RoleMember.role_id == role.id)))
    current = set(before)
    for member in members:
        if add and member.id not in current:
            if not multiple_roles:
                _leave_product_roles(db, role, member.id)
            db.add(RoleMember(organization_id=role.organization_id, role_id=role.id, org_account_id=member.id))
            current.add(member.id)
        elif not add and member.id in current:
            db.execute(
                delete(RoleMember).where(
                    RoleMember.role_id == role.id, RoleMember.org_account_id == member.id
                )
            )
            current.discard(member.id)
    db.flush()
    after = sorted(current)
    if after != before:
        record_change(
            db,
            organization_id=role.organization_id,
            actor_account_id=actor.account_id,
            action=history.UPDATE,
            entity_name="role",
            entity_id=role.id,
            changes={"organizationAccounts": (",".join(map(str, before)), ",".join(map(str, after)))},
        )


def _leave_product_roles(db: Session, role: Role, org_account_id: int) -> None:
    others = select(Role.id).where(
        Role.organization_id == role.organization_id, Role.id != role.id, Role.product_id == role.product_id
    )
    db.execute(
        delete(RoleMember).where(
            RoleMember.org_account_id == org_account_id, RoleMember.role_id.in_(others.scalar_subquery())
        )
    )


def ensure_an_administrator_remains(db: Session, organization_id: int) -> None:
    """Nobody would be left to administer the organization: refused (the transaction is undone)."""
    if count_enabled_administrators(db, organization_id) == 0:
        raise Conflict("the organization must keep at least one enabled administrator", field="ids")


def count_enabled_administrators(db: Session, organization_id: int) -> int:
    return len(
        set(
            db.scalars(
                select(RoleMember.org_account_id)
                .join(Role, Role.id == RoleMember.role_id)
                .join(OrganizationAccount, OrganizationAccount.id == RoleMember.org_account_id)
                .where(
                    RoleMember.organization_id == organization_id,
                    Role.is_default_admin_role.is_(True),
                    OrganizationAccount.is_enabled.is_(True),
                )
            )
        )
    )


# --- Registries: small per-account and per-membership settings, keyed by category and key ----------


def _check_registry_key(category: str, key: str) -> None:
    if not (category or "").strip():
        raise InvalidInput("categoryName is required", field="categoryName")
    if not (key or "").strip():
        raise InvalidInput("key is required", field="key")


def put_account_registry(
    db: Session, *, account_id: int, category: str, key: str, value: str | None, organization_id: int, actor_id: int
) -> AccountRegistry:
    """Add the entry, or update it when the account already has one with this category and key."""
    _check_registry_key(category, key)
    entry = db.scalar(
        select(AccountRegistry).where(
            AccountRegistry.account_id == account_id,
            AccountRegistry.category_name == category,
            AccountRegistry.key == key,
        )
    )
    action = history.UPDATE if entry else history.CREATE
    if entry is None:
        entry = AccountRegistry(account_id=account_id, category_name=category, key=key)
        db.add(entry)
    changes = history.diff(entry, {"value": value}) if action == history.UPDATE else {"value": (None, value)}
    entry.value = value
    db.flush()
    record_change(
        db,
        organization_id=organization_id,
        actor_account_id=actor_id,
        action=action,
        entity_name="account_registry",
        entity_id=entry.id,
        changes={f"{category}/{key}": change for change in changes.values()},
        parent=("account", account_id),
    )
    return entry


def put_member_registry(
    db: Session, *, member: OrganizationAccount, category: str, key: str, value: str | None, actor_id: int
) -> OrgAccountRegistry:
    _check_registry_key(category, key)
    entry = db.scalar(
        select(OrgAccountRegistry).where(
            OrgAccountRegistry.org_account_id == member.id,
            OrgAccountRegistry.category_name == category,
            OrgAccountRegistry.key == key,
        )
    )
    action = history.UPDATE if entry else history.CREATE
    if entry is None:
        entry = OrgAccountRegistry(
            organization_id=member.organization_id, org_account_id=member.id, category_name=category, key=key
        )
        db.add(entry)
    changes = history.diff(entry, {"value": value}) if action == history.UPDATE else {"value": (None, value)}
    entry.value = value
    db.flush()
    record_change(
        db,
        organization_id=member.organization_id,
        actor_account_id=actor_id,
        action=action,
        entity_name="org_account_registry",
        entity_id=entry.id,
        changes={f"{category}/{key}": change for change in changes.values()},
        parent=(ORG_ACCOUNT, member.id),
    )
    return entry


def delete_registry_entry(
    db: Session, entry: AccountRegistry | OrgAccountRegistry | None, *, organization_id: int, actor_id: int
) -> None:
    if entry is None:
        raise NotFound("no registry entry with this category and key", field="registryKey")
    entity = "account_registry" if isinstance(entry, AccountRegistry) else "org_account_registry"
    record_change(
        db,
        organization_id=organization_id,
        actor_account_id=actor_id,
        action=history.DELETE,
        entity_name=entity,
        entity_id=entry.id,
        changes={f"{entry.category_name}/{entry.key}": (entry.value, None)},
    )
    db.delete(entry)
