"""User API: /api/users/me/, /api/users/version/, /api/users/{id}/permissions/."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from estate.accounts import service as accounts
from estate.accounts.models import OrganizationAccount
from estate.auth.permissions import AREAS, SEE_ALL_DATA, allows
from estate.errors import Forbidden, NotFound
from estate.kace.deps import DB, CurrentCaller
from estate.kace.http import respond
from estate.kace.versions import KACE_API_VERSION
from estate.orgs.models import Organization

router = APIRouter(prefix="/api/users", tags=["users"])

# What this server offers; the appliance lists the modules its license enables.
LICENSED_FEATURES = ["inventory", "assets", "cmdb", "service_desk", "scripting", "reporting"]


def _permissions(grants: frozenset[str]) -> list[dict[str, object]]:
    sees_all = SEE_ALL_DATA in grants
    return [
        {"area": area, "read": allows(grants, area, "read"), "write": allows(grants, area, "write")}
        for area in AREAS
    ] + [{"area": "all_users_data", "read": sees_all, "write": sees_all}]


def _can_add_tickets(grants: frozenset[str]) -> bool:
    return allows(grants, "servicedesk", "write")


@router.get("/me/")
@router.get("/me", include_in_schema=False)
def me(request: Request, db: DB, caller: CurrentCaller) -> Response:
    account = accounts.get_account(db, caller.account_id)
    organizations = list(
        db.execute(
            select(Organization.id, Organization.name)
            .join(OrganizationAccount, OrganizationAccount.organization_id == Organization.id)
            .where(
                OrganizationAccount.account_id == caller.account_id,
                OrganizationAccount.is_enabled.is_(True),
                Organization.is_deleted.is_(False),
            )
            .order_by(Organization.id)
        )
    )
    current = db.get(Organization, caller.organization_id)
    can_add = _can_add_tickets(caller.grants)
    return respond(
        request,
        {
            "RESTAPIVersion": KACE_API_VERSION,
            "apiEnabled": account.api_enabled,
            "canAddTickets": can_add,
            "canAddTicketsUserPortal": can_add,
            "currentOrgId": caller.organization_id,
            "defaultQueueID": 0,
            "licensedFeatures": LICENSED_FEATURES,
            "localTimezone": account.time_zone or (current.time_zone if current else "UTC"),
            "loggedin": account.login,
            "loggedinEmail": account.email or "",
            "loggedinFullName": account.full_name or "",
            "loggedinId": account.id,
            "multiple_org_ui": 1 if len(organizations) > 1 else 0,
            "org_count": len(organizations),
            "orgs": [{"id": org_id, "name": name} for org_id, name in organizations],
            "permissions": _permissions(caller.grants),
            "roles": accounts.role_names_of(db, caller.org_account_id),
            "serialNumber": "",
            "userId": account.id,
        },
    )


@router.get("/version/")
@router.get("/version", include_in_schema=False)
async def version(request: Request, caller: CurrentCaller) -> Response:
    return respond(request, str(KACE_API_VERSION))


@router.get("/{user_id}/permissions/")
@router.get("/{user_id}/permissions", include_in_schema=False)
def permissions(request: Request, db: DB, caller: CurrentCaller, user_id: int) -> Response:
    if user_id != caller.account_id and not caller.sees_all_data:
        raise Forbidden("you may only read your own permissions")
    member = accounts.membership_of(db, caller.organization_id, user_id)
    if member is None:
        raise NotFound(f"user {user_id} not found", field="id")
    grants = accounts.grants_of(db, member.id)
    can_add = _can_add_tickets(grants)
    return respond(
        request,
        {
            "userId": user_id,
            "canAddTickets": can_add,
            "canAddTicketsUserPortal": can_add,
            "licensedFeatures": LICENSED_FEATURES,
            "permissions": _permissions(grants),
        },
    )
