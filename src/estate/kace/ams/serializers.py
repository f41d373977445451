"""AMS objects spelled as the reference's Definitions spell them. References to other objects
are nested as summaries (id and name) so that cycles such as organization ↔ location end."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, model_validator

from estate.accounts.models import Account, AccountRegistry, OrgAccountRegistry, OrganizationAccount
from estate.auth.models import Role
from estate.errors import InvalidInput
from estate.orgs.models import Location, Organization, Product


def stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def ref(row_id: int | None, name: str | None = None) -> dict[str, Any] | None:
    if row_id is None:
        return None
    return {"id": row_id, "name": name} if name is not None else {"id": row_id}


def account_json(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "login": account.login,
        "fullName": account.full_name,
        "email": account.email,
        "ADDomain": account.ad_domain,
        "IMAddress": account.im_address,
        "creationMode": account.creation_mode,
        "dateTimeFormat": account.date_time_format,
        "distinguishedName": account.distinguished_name,
        "isDeleted": account.is_deleted,
        "jobTitle": account.job_title,
        "language": account.language,
        "mobilePhone": account.mobile_phone,
        "numberFormat": account.number_format,
        "overrideLocationSettings": account.override_location_settings,
        "passwordChangedAt": stamp(account.password_changed_at),
        "principalName": account.principal_name,
        "timeZone": account.time_zone,
        "userType": account.user_type,
        "version": stamp(account.version),
        "workPhone": account.work_phone,
    }


def organization_json(organization: Organization) -> dict[str, Any]:
    return {
        "id": organization.id,
        "name": organization.name,
        "isDeleted": organization.is_deleted,
        "isEnabled": organization.is_enabled,
        "isSystem": organization.is_system,
        "locationAttrName": organization.location_attr_name,
        "primaryLocation": ref(organization.primary_location_id),
        "syncLocations": organization.sync_locations,
        "timeZone": organization.time_zone,
        "version": stamp(organization.version),
    }


def location_json(location: Location, organization: Organization | None = None) -> dict[str, Any]:
    return {
        "id": location.id,
        "name": location.name,
        "description": location.description,
        "address": location.address,
        "phoneNumber": location.phone_number,
        "webSite": location.web_site,
        "locale": location.locale,
        "appData": location.app_data,
        "level": location.level,
        "path": location.path,
        "isDeleted": location.is_deleted,
        "organization": ref(location.organization_id, organization.name if organization else None),
        "parent": ref(location.parent_id),
        "primaryContact": ref(location.primary_contact_id),
    }


def org_account_json(member: OrganizationAccount, account: Account) -> dict[str, Any]:
    return {
        "id": member.id,
        "account": account_json(account),
        "created": stamp(member.created),
        "isEnabled": member.is_enabled,
        "level": member.level,
        "location": ref(member.location_id),
        "manager": ref(member.manager_id),
        "path": member.path,
        "version": stamp(member.version),
        "organization": ref(member.organization_id),
    }


def product_json(product: Product) -> dict[str, Any]:
    return {
        "id": str(product.id),
        "shortName": product.short_name,
        "fullName": product.full_name,
        "description": product.description,
        "baseApiUrl": product.base_api_url,
        "baseNavigationUrl": product.base_navigation_url,
        "baseViewUrl": product.base_view_url,
        "callbackUrl": product.callback_url,
        "configuration": product.configuration,
        "allowMultipleRoles": product.allow_multiple_roles,
    }


def role_json(role: Role, organization: Organization | None = None, product: Product | None = None) -> dict:
    return {
        "id": role.id,
        "name": role.name,
        "description": role.description,
        "created": stamp(role.created),
        "version": stamp(role.version),
        "isDefaultAdminRole": role.is_default_admin_role,
        "isDefaultApplianceAdminRole": role.is_default_appliance_admin_role,
        "isDefaultUserRole": role.is_default_user_role,
        "organization": ref(role.organization_id, organization.name if organization else None),
        "product": product_json(product) if product else ref(role.product_id),
        "productRoleId": role.product_role_id,
        "permissions": list(role.permissions),
    }


def account_registry_json(entry: AccountRegistry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "account": ref(entry.account_id),
        "categoryName": entry.category_name,
        "key": entry.key,
        "value": entry.value,
    }


def org_account_registry_json(entry: OrgAccountRegistry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "orgAccount": ref(entry.org_account_id),
        "categoryName": entry.category_name,
        "key": entry.key,
        "value": entry.value,
    }


def pick(record: dict[str, Any], properties: str | None, field: str = "properties") -> dict[str, Any]:
    """A comma-separated list of the properties to return; the id always comes along."""
    if not properties:
        return record
    wanted = {name.strip() for name in properties.split(",") if name.strip()}
    unknown = wanted - record.keys()
    if unknown:
        raise InvalidInput(f"unknown propert(ies) {', '.join(sorted(unknown))}", field=field)
    return {key: value for key, value in record.items() if key in wanted or key == "id"}


def picked(properties: str | None, field: str = "properties") -> Callable[[list[dict[str, Any]]], None] | None:
    """The `properties` (or `fields`) parameter as an edit of an answer's records; None when absent."""
    if not properties:
        return None

    def edit(records: list[dict[str, Any]]) -> None:
        records[:] = [pick(record, properties, field) for record in records]

    return edit


def _nul_at(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        return where if "\x00" in value else None
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((str(index), item) for index, item in enumerate(value))
    else:
        return None
    for key, item in items:
        found = _nul_at(item, f"{where}.{key}" if where else str(key))
        if found:
            return found
    return None


class InputModel(BaseModel):
    """Base of the bodies clients send. PostgreSQL text cannot hold NUL characters; a body with one
    is refused here, naming the field, instead of failing in the database."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        where = _nul_at(data, "")
        if where:
            raise InvalidInput(f"{where} must not contain NUL characters", field=where)
        return data
