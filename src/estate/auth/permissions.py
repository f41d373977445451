"""Who may do what. One check serves every face.

A role carries grants of the form ``<area>:<read|write>`` (``*`` for every area) and optionally
``data:all``, which lets queries return every user's data instead of only the caller's own."""

from __future__ import annotations

from dataclasses import dataclass

from estate.errors import Forbidden, InvalidInput

AREAS = (
    "accounts",
    "organizations",
    "locations",
    "roles",
    "products",
    "inventory",
    "assets",
    "cmdb",
    "servicedesk",
    "distribution",
    "scripting",
    "reporting",
)
ACTIONS = ("read", "write")
SEE_ALL_DATA = "data:all"

ADMINISTRATOR = "Administrator"
READ_ONLY_ADMINISTRATOR = "Read-only administrator"
STANDARD_USER = "Standard user"

DEFAULT_ROLES: dict[str, dict[str, object]] = {
    ADMINISTRATOR: {
        "description": "All actions; queries return every user's data.",
        "permissions": ["*:write", SEE_ALL_DATA],
        "is_default_admin_role": True,
        "is_default_appliance_admin_role": True,
    },
    READ_ONLY_ADMINISTRATOR: {
        "description": "All queries, every user's data, no changes.",
        "permissions": ["*:read", SEE_ALL_DATA],
    },
    STANDARD_USER: {
        "description": "Queries return only the user's own data; may submit tickets.",
        "permissions": ["*:read", "servicedesk:write"],
        "is_default_user_role": True,
    },
}


def validate_grants(grants: list[str]) -> list[str]:
    for grant in grants:
        if grant == SEE_ALL_DATA:
            continue
        area, _, action = grant.partition(":")
        if (area != "*" and area not in AREAS) or action not in ACTIONS:
            raise InvalidInput(f"unknown permission {grant!r}", field="permissions")
    return sorted(set(grants))


def allows(grants: frozenset[str], area: str, action: str = "read") -> bool:
    wanted = {f"{area}:write", "*:write"}
    if action == "read":
        wanted |= {f"{area}:read", "*:read"}
    return bool(grants & wanted)


def implies(held: frozenset[str], wanted: list[str] | frozenset[str]) -> bool:
    """Whether the grants held allow everything the wanted grants allow."""
    for grant in wanted:
        if grant == SEE_ALL_DATA:
            if SEE_ALL_DATA not in held:
                return False
            continue
        area, _, action = grant.partition(":")
        if not allows(held, area, action):
            return False
    return True


@dataclass(frozen=True)
class Caller:
    """The authenticated account acting in one organization."""

    account_id: int
    organization_id: int
    org_account_id: int
    login: str
    grants: frozenset[str]

    @property
    def sees_all_data(self) -> bool:
        return SEE_ALL_DATA in self.grants

    def can(self, area: str, action: str = "read") -> bool:
        return allows(self.grants, area, action)

    def require(self, area: str, action: str = "read") -> None:
        if not self.can(area, action):
            verb = "change" if action == "write" else "read"
            raise Forbidden(f"your role does not allow you to {verb} {area}")

    def administers(self, area: str) -> bool:
        """Whether the caller may read an area kept for administrators (scripts, managed installs):
        the area's right and a role that sees every user's data."""
        return self.can(area) and self.sees_all_data

    def require_administrator(self, area: str, action: str = "read", *, what: str) -> None:
        """`require`, for an area kept for administrators; `what` names it in the refusal."""
        self.require(area, action)
        if not self.sees_all_data:
            raise Forbidden(f"your role does not allow you to read {what}")
