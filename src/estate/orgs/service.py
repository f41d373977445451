"""Organizations: creating one gives it everything a fresh appliance organization has."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from estate.accounts import service as accounts
from estate.auth.models import Role
from estate.auth.permissions import ADMINISTRATOR, DEFAULT_ROLES
from estate.cmdb import seed as cmdb_seed
from estate.errors import Conflict, InvalidInput, NotFound
from estate.history import service as history
from estate.orgs import products
from estate.orgs.models import Location, Organization

# Domains above organizations register what a new organization starts with (default queue, asset
# types ...). Each is called once, inside the transaction that creates the organization, after the
# roles and the CMDB's own content.
OrganizationSeed = Callable[[Session, Organization], None]
_seeds: list[OrganizationSeed] = []


def register_seed(seed: OrganizationSeed) -> OrganizationSeed:
    _seeds.append(seed)
    return seed


def _seed_default_roles(db: Session, organization: Organization) -> None:
    product = products.default_product(db)
    for name, spec in DEFAULT_ROLES.items():
        db.add(Role(organization_id=organization.id, product_id=product.id, name=name, **spec))


def create_organization(
    db: Session, *, name: str, actor_account_id: int | None, values: dict[str, Any] | None = None
) -> Organization:
    """An organization with everything a fresh appliance organization has. The account that
    creates it (``actor_account_id``) administers it and can switch to it."""
    values = dict(values or {})
    if values.pop("primary_location_id", None) is not None:
        raise InvalidInput(
            "a new organization has no locations yet; set primaryLocation later", field="primaryLocation"
        )
    if values.get("time_zone"):
        check_time_zone(values["time_zone"])
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name is required", field="name")
    if db.scalar(select(Organization.id).where(func.lower(Organization.name) == name.lower())):
        raise Conflict(f"an organization named {name!r} exists", field="name")
    organization = Organization(name=name, **values)
    db.add(organization)
    db.flush()
    _seed_default_roles(db, organization)
    cmdb_seed.seed_organization(db, organization_id=organization.id)
    for seed in _seeds:
        seed(db, organization)
    db.flush()
    history.record(
        db,
        organization_id=organization.id,
        account_id=actor_account_id,
        action=history.CREATE,
        entity_name="organization",
        entity_id=organization.id,
        changes={"name": (None, name)},
    )
    if actor_account_id is not None:
        _admit_creator(db, organization, actor_account_id)
    return organization


def _admit_creator(db: Session, organization: Organization, account_id: int) -> None:
    account = accounts.get_account(db, account_id)
    member = accounts.add_membership(db, account=account, organization_id=organization.id, role_name=ADMINISTRATOR)
    history.record(
        db,
        organization_id=organization.id,
        account_id=account_id,
        action=history.CREATE,
        entity_name=accounts.ORG_ACCOUNT,
        entity_id=member.id,
        changes={"account_id": (None, account.id), "role": (None, ADMINISTRATOR)},
    )
    db.flush()


def delete_organization(db: Session, *, organization: Organization, actor_account_id: int | None) -> None:
    """Organizations are marked deleted, never removed: their history stays."""
    organization.is_deleted = True
    history.record(
        db,
        organization_id=organization.id,
        account_id=actor_account_id,
        action=history.DELETE,
        entity_name="organization",
        entity_id=organization.id,
        changes={"is_deleted": (False, True)},
    )


def get_organization(db: Session, organization_id: int) -> Organization:
    organization = db.get(Organization, organization_id)
    if organization is None or organization.is_deleted:
        raise NotFound(f"organization {organization_id} not found")
    return organization


def find_by_name(db: Session, name: str) -> Organization | None:
    return db.scalar(
        select(Organization).where(
            func.lower(Organization.name) == name.strip().lower(), Organization.is_deleted.is_(False)
        )
    )


def get_location(db: Session, organization_id: int, location_id: int) -> Location:
    location = db.get(Location, location_id)
    if location is None or location.organization_id != organization_id or location.is_deleted:
        raise NotFound(f"location {location_id} not found", field="locationId")
    return location


def check_time_zone(name: str | None) -> None:
    if name is None:
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name!r}", field="timeZone") from None


def rename_allowed(db: Session, organization: Organization, name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name must not be empty", field="name")
    clash = db.scalar(
        select(Organization.id).where(func.lower(Organization.name) == name.lower(), Organization.id != organization.id)
    )
    if clash:
        raise Conflict(f"an organization named {name!r} exists", field="name")
    return name


def update_organization(
    db: Session, organization: Organization, values: dict[str, Any], *, actor_account_id: int | None
) -> dict[str, tuple[object, object]]:
    if "name" in values:
        values["name"] = rename_allowed(db, organization, str(values["name"] or ""))
    if "time_zone" in values:
        if not values["time_zone"]:
            raise InvalidInput("timeZone must not be empty", field="timeZone")
        check_time_zone(str(values["time_zone"]))
    if values.get("primary_location_id") is not None:
        get_location(db, organization.id, int(values["primary_location_id"]))
    changes = history.diff(organization, values)
    if changes:
        history.record(
            db,
            organization_id=organization.id,
            account_id=actor_account_id,
            action=history.UPDATE,
            entity_name="organization",
            entity_id=organization.id,
            changes=changes,
        )
    return changes
