"""Roles: named sets of grants of one organization and one product (docs/decisions/0104).

The three default roles carry the meaning the KACE reference's "Authorization" section gives
them: they keep their names, their grants and their existence. Nobody hands out rights they do not
hold. Every change is recorded in the organization's history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from estate.accounts import service as accounts
from estate.auth.models import Role
from estate.auth.permissions import DEFAULT_ROLES, Caller, implies, validate_grants
from estate.errors import Conflict, Forbidden, InvalidInput, NotFound
from estate.history import service as history
from estate.orgs import products
from estate.orgs.models import Product

ENTITY = "role"
# What update_role changes, by column.
WRITABLE = frozenset({"name", "description", "product_role_id", "permissions", "product_id"})


def is_default(role: Role) -> bool:
    return role.is_default_admin_role or role.is_default_appliance_admin_role or role.is_default_user_role or (
        role.name in DEFAULT_ROLES
    )


def get_role(db: Session, *, organization_id: int, role_id: int, field: str = "roleId") -> Role:
    role = db.get(Role, role_id)
    if role is None or role.organization_id != organization_id:
        raise NotFound(f"role {role_id} not found", field=field)
    return role


def product_of(db: Session, role: Role) -> Product | None:
    return db.get(Product, role.product_id) if role.product_id else None


def _free_name(db: Session, organization_id: int, name: str | None, role_id: int | None) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name is required", field="name")
    clash = select(Role.id).where(Role.organization_id == organization_id, func.lower(Role.name) == name.lower())
    if role_id is not None:
        clash = clash.where(Role.id != role_id)
    if db.scalar(clash):
        raise Conflict(f"a role named {name!r} exists in this organization", field="name")
    return name


def _no_escalation(caller: Caller, grants: list[str]) -> None:
    """Nobody hands out rights they do not hold themselves, to others or to their own account."""
    if not implies(caller.grants, grants):
        raise Forbidden("the role grants rights you do not have", field="permissions")


def _record(db: Session, caller: Caller, action: int, role: Role, changes: dict[str, tuple[Any, Any]]) -> None:
    history.record(db, organization_id=role.organization_id, account_id=caller.account_id, action=action,
                   entity_name=ENTITY, entity_id=role.id, changes=changes)


def create_role(
    db: Session,
    *,
    caller: Caller,
    name: str | None,
    permissions: list[str],
    product_id: int | None = None,
    description: str | None = None,
    product_role_id: str | None = None,
) -> Role:
    """A role of the caller's organization, of the product named (the server's own by default)."""
    product = products.get_product(db, product_id=product_id) if product_id is not None else None
    product = product or products.default_product(db)
    role = Role(
        organization_id=caller.organization_id,
        product_id=product.id,
        name=_free_name(db, caller.organization_id, name, None),
        description=description,
        product_role_id=product_role_id,
        permissions=validate_grants(permissions),
    )
    _no_escalation(caller, role.permissions)
    db.add(role)
    db.flush()
    _record(db, caller, history.CREATE, role, {
        "name": (None, role.name), "permissions": (None, ",".join(role.permissions)), "product_id": (None, product.id),
    })
    return role


def update_role(db: Session, *, caller: Caller, role: Role, values: Mapping[str, Any]) -> None:
    """Change the columns of ``values`` (WRITABLE); what changed is recorded, old → new."""
    wanted: dict[str, Any] = {}
    if "name" in values:
        wanted["name"] = _free_name(db, role.organization_id, values["name"], role.id)
        if is_default(role) and wanted["name"] != role.name:
            raise InvalidInput(f"the default role {role.name!r} cannot be renamed", field="name")
    for name in ("description", "product_role_id"):
        if name in values:
            wanted[name] = values[name]
    if "permissions" in values:
        grants = validate_grants(values["permissions"] or [])
        if is_default(role) and grants != sorted(role.permissions):
            raise InvalidInput(f"the grants of the default role {role.name!r} are fixed", field="permissions")
        _no_escalation(caller, grants)
        wanted["permissions"] = grants
    if values.get("product_id") is not None:
        wanted["product_id"] = products.get_product(db, product_id=values["product_id"], field="product").id
    changes = history.diff(role, wanted)
    if "permissions" in changes:
        old, new = changes["permissions"]
        changes["permissions"] = (",".join(old or []), ",".join(new or []))
    if changes:
        _record(db, caller, history.UPDATE, role, changes)
    db.flush()


def delete_roles(db: Session, *, caller: Caller, roles: list[Role]) -> None:
    for role in roles:
        if is_default(role):
            raise InvalidInput(f"the default role {role.name!r} cannot be deleted", field="ids")
    for role in roles:
        _record(db, caller, history.DELETE, role, {"name": (role.name, None)})
        db.delete(role)


def change_members(db: Session, *, caller: Caller, role: Role, org_account_ids: list[int], add: bool) -> None:
    """Add organization accounts to the role, or remove them. Nobody hands out a role with rights
    they lack, and the organization keeps an enabled administrator."""
    _no_escalation(caller, role.permissions)
    product = product_of(db, role)
    accounts.set_role_members(
        db,
        role=role,
        ids=org_account_ids,
        add=add,
        actor=accounts.get_membership(db, caller.organization_id, caller.org_account_id),
        multiple_roles=bool(product and product.allow_multiple_roles),
    )
    accounts.ensure_an_administrator_remains(db, caller.organization_id)
