"""Query-engine declarations of organizations, locations and products, answered as the reference's
Definitions spell them (Organization, Location, Product)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, select

from estate.orgs.models import Location, Organization, Product
from estate.query import Entity, Field, Kind, Level, Nesting, Style

_organizations = select(Organization.__table__).where(Organization.__table__.c.is_deleted == false()).subquery(
    "listed_organizations"
)
_o = _organizations.c

# Organizations are the walls themselves: a list says which ones a caller sees (`among`).
ORGANIZATION = Entity(
    name="organization",
    plural="Organizations",
    table=_organizations,
    id_field="id",
    name_field="name",
    organization_column=None,
    style=Style.ISO,
    nesting=Nesting.NAMED,
    aliases=("organizations",),
    fields=(
        Field("id", _o.id, Kind.INT, Level.LIMITED),
        Field("name", _o.name, Kind.TEXT, Level.LIMITED, wildcard=True),
        Field("isDeleted", _o.is_deleted, Kind.BOOL),
        Field("isEnabled", _o.is_enabled, Kind.BOOL),
        Field("isSystem", _o.is_system, Kind.BOOL),
        Field("locationAttrName", _o.location_attr_name, wildcard=True),
        Field("primaryLocation.id", _o.primary_location_id, Kind.INT),
        Field("syncLocations", _o.sync_locations, Kind.BOOL),
        Field("timeZone", _o.time_zone, wildcard=True),
        Field("version", _o.version, Kind.DATETIME),
    ),
)


def among(organization_ids: Select[Any]) -> ColumnElement[bool]:
    return _o.id.in_(organization_ids)


_locations = select(Location.__table__).where(Location.__table__.c.is_deleted == false()).subquery(
    "listed_locations"
)
_l = _locations.c

LOCATION = Entity(
    name="location",
    plural="Locations",
    table=_locations,
    id_field="id",
    name_field="name",
    organization_column=_l.organization_id,
    style=Style.ISO,
    nesting=Nesting.NAMED,
    aliases=("locations",),
    fields=(
        Field("id", _l.id, Kind.INT, Level.LIMITED),
        Field("name", _l.name, Kind.TEXT, Level.LIMITED, wildcard=True),
        Field("description", _l.description, wildcard=True),
        Field("address", _l.address, wildcard=True),
        Field("phoneNumber", _l.phone_number),
        Field("webSite", _l.web_site),
        Field("locale", _l.locale),
        Field("appData", _l.app_data),
        Field("level", _l.level, Kind.INT),
        Field("path", _l.path),
        Field("isDeleted", _l.is_deleted, Kind.BOOL),
        Field("organization.id", _l.organization_id, Kind.INT),
        Field("parent.id", _l.parent_id, Kind.INT),
        Field("primaryContact.id", _l.primary_contact_id, Kind.INT),
    ),
    # A tree in reading order: each location after its parent.
    default_order=("path",),
)

_p = Product.__table__.c

# Products are installation-wide, as on the appliance.
PRODUCT = Entity(
    name="product",
    plural="Products",
    table=Product.__table__,
    id_field="id",
    name_field="shortName",
    organization_column=None,
    style=Style.ISO,
    nesting=Nesting.NAMED,
    aliases=("products",),
    fields=(
        # The Definition spells the id as a string.
        Field("id", _p.id, Kind.INT, Level.LIMITED, as_text=True),
        Field("shortName", _p.short_name, Kind.TEXT, Level.LIMITED, wildcard=True),
        Field("fullName", _p.full_name, wildcard=True),
        Field("description", _p.description, wildcard=True),
        Field("baseApiUrl", _p.base_api_url),
        Field("baseNavigationUrl", _p.base_navigation_url),
        Field("baseViewUrl", _p.base_view_url),
        Field("callbackUrl", _p.callback_url),
        Field("configuration", _p.configuration),
        Field("allowMultipleRoles", _p.allow_multiple_roles, Kind.BOOL),
    ),
)
