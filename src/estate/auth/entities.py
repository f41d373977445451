"""Query-engine declaration of roles, answered as the reference's Role Definition spells it: with
its organization's id and name and its whole product."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from estate.auth.models import Role
from estate.orgs.models import Organization, Product
from estate.query import Entity, Field, Kind, Level, Nesting, Style

_role, _organization, _product = Role.__table__, Organization.__table__, Product.__table__

_roles = (
    select(
        _role,
        _organization.c.name.label("organization_name"),
        *(column.label(f"prod_{column.name}") for column in _product.c),
    )
    .join(_organization, _organization.c.id == _role.c.organization_id)
    .outerjoin(_product, _product.c.id == _role.c.product_id)
    .subquery("listed_roles")
)
_r = _roles.c

ROLE = Entity(
    name="role",
    plural="Roles",
    table=_roles,
    id_field="id",
    name_field="name",
    organization_column=_r.organization_id,
    style=Style.ISO,
    nesting=Nesting.NAMED,
    aliases=("roles",),
    fields=(
        Field("id", _r.id, Kind.INT, Level.LIMITED),
        Field("name", _r.name, Kind.TEXT, Level.LIMITED, wildcard=True),
        Field("description", _r.description, wildcard=True),
        Field("created", _r.created, Kind.DATETIME),
        Field("version", _r.version, Kind.DATETIME),
        Field("isDefaultAdminRole", _r.is_default_admin_role, Kind.BOOL),
        Field("isDefaultApplianceAdminRole", _r.is_default_appliance_admin_role, Kind.BOOL),
        Field("isDefaultUserRole", _r.is_default_user_role, Kind.BOOL),
        Field("organization.id", _r.organization_id, Kind.INT),
        Field("organization.name", _r.organization_name),
        # The Product Definition, its id a string; null when the role has no product.
        Field("product.id", _r.product_id, Kind.INT, as_text=True),
        Field("product.shortName", _r.prod_short_name),
        Field("product.fullName", _r.prod_full_name),
        Field("product.description", _r.prod_description),
        Field("product.baseApiUrl", _r.prod_base_api_url),
        Field("product.baseNavigationUrl", _r.prod_base_navigation_url),
        Field("product.baseViewUrl", _r.prod_base_view_url),
        Field("product.callbackUrl", _r.prod_callback_url),
        Field("product.configuration", _r.prod_configuration),
        Field("product.allowMultipleRoles", _r.prod_allow_multiple_roles, Kind.BOOL),
        Field("productRoleId", _r.product_role_id),
        Field("permissions", _r.permissions, Kind.JSON),
    ),
)


def of_product(product_id: int) -> ColumnElement[bool]:
    return _r.product_id == product_id
