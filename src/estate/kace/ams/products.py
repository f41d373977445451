"""/ams/shared/api/products/...: the applications roles belong to. Products are installation-wide,
as on the appliance; their roles are read per organization."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field
from sqlalchemy import func, select

from estate.auth.models import Role
from estate.errors import Conflict, InvalidInput, NotFound
from estate.kace.ams import listing
from estate.kace.ams.listing import BOOL, INT, Entity, IdPath, Int32, id_query
from estate.kace.ams.listing import Field as ListField
from estate.kace.ams.serializers import InputModel, product_json, role_json
from estate.kace.deps import DB, Body, CurrentCaller
from estate.kace.http import empty, respond, validate
from estate.orgs import service as orgs
from estate.orgs.models import Organization, Product

router = APIRouter(prefix="/ams/shared/api/products", tags=["products"])

ENTITY = Entity(
    names=("product", "products"),
    fields={
        "id": ListField(Product.id, INT),
        "shortName": ListField(Product.short_name),
        "fullName": ListField(Product.full_name),
        "description": ListField(Product.description),
        "allowMultipleRoles": ListField(Product.allow_multiple_roles, BOOL),
    },
    default_order=(Product.id.asc(),),
)
_COLUMNS = {
    "short_name": "shortName",
    "full_name": "fullName",
    "description": "description",
    "base_api_url": "baseApiUrl",
    "base_navigation_url": "baseNavigationUrl",
    "base_view_url": "baseViewUrl",
    "callback_url": "callbackUrl",
    "configuration": "configuration",
    "allow_multiple_roles": "allowMultipleRoles",
}
_NOT_NULL = {"short_name", "full_name", "allow_multiple_roles"}


class ProductIn(InputModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    # The Definition spells the id as a string; numbers and numeric strings both name a product.
    id: Int32 | None = None
    short_name: str | None = Field(default=None, alias="shortName", max_length=64)
    full_name: str | None = Field(default=None, alias="fullName", max_length=255)
    description: str | None = None
    base_api_url: str | None = Field(default=None, alias="baseApiUrl", max_length=512)
    base_navigation_url: str | None = Field(default=None, alias="baseNavigationUrl", max_length=512)
    base_view_url: str | None = Field(default=None, alias="baseViewUrl", max_length=512)
    callback_url: str | None = Field(default=None, alias="callbackUrl", max_length=512)
    configuration: str | None = None
    allow_multiple_roles: bool | None = Field(default=None, alias="allowMultipleRoles")

    def values(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in _COLUMNS if name in self.model_fields_set}
        for name in _NOT_NULL & values.keys():
            if values[name] is None or (isinstance(values[name], str) and not values[name].strip()):
                raise InvalidInput(f"{_COLUMNS[name]} must not be empty", field=_COLUMNS[name])
        return values


def get_product(db: DB, product_id: int, field: str = "productId") -> Product:
    product = db.get(Product, product_id)
    if product is None:
        raise NotFound(f"product {product_id} not found", field=field)
    return product


def _check_unique(db: DB, short_name: str | None, product_id: int | None) -> None:
    if short_name is None:
        return
    query = select(Product.id).where(func.lower(Product.short_name) == short_name.strip().lower())
    if product_id is not None:
        query = query.where(Product.id != product_id)
    if db.scalar(query):
        raise Conflict(f"a product named {short_name!r} exists", field="shortName")


@router.post("")
@router.post("/", include_in_schema=False)
def create_product(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
    caller.require("products", "write")
    data: ProductIn = validate(ProductIn, body)
    values = data.values()
    for name in ("short_name", "full_name"):
        if not values.get(name):
            raise InvalidInput(f"{_COLUMNS[name]} is required", field=_COLUMNS[name])
    _check_unique(db, values["short_name"], None)
    product = Product(**values)
    db.add(product)
    db.flush()
    return respond(request, product_json(product))


@router.get("")
@router.get("/", include_in_schema=False)
def list_products(
    request: Request,
    db: DB,
    caller: CurrentCaller,
    filtering: str | None = None,
    offset: str | None = None,
    paging: str | None = None,
    sorting: str | None = None,
) -> Response:
    caller.require("products")
    rows, _ = listing.select_page(
        db, select(Product), ENTITY, listing.ListRequest(filtering, sorting, paging, offset), default_limit=None
    )
    return respond(request, [product_json(row[0]) for row in rows])


@router.delete("")
@router.delete("/", include_in_schema=False)
def delete_products(db: DB, caller: CurrentCaller, ids: Annotated[list[str] | None, Query()] = None) -> Response:
    caller.require("products", "write")
    products = [get_product(db, product_id, "ids") for product_id in listing.parse_ids(ids)]
    for product in products:
        if product.short_name == orgs.DEFAULT_PRODUCT["short_name"]:
            raise InvalidInput(f"product {product.short_name} is this server's own and cannot be removed", field="ids")
    # Roles of every organization may use a product: removing it from under them is refused.
    used = db.scalar(select(Role.product_id).where(Role.product_id.in_([p.id for p in products])).limit(1))
    if used is not None:
        raise Conflict(f"product {used} has roles; remove or move them first", field="ids")
    for product in products:
        db.delete(product)
    return empty(200)


@router.post("/update")
def update_product(db: DB, caller: CurrentCaller, body: Body) -> Response:
    caller.require("products", "write")
    data: ProductIn = validate(ProductIn, body)
    if data.id is None:
        raise InvalidInput("id is required", field="id")
    product = get_product(db, data.id, "id")
    values = data.values()
    if product.short_name == orgs.DEFAULT_PRODUCT["short_name"] and values.get("short_name", product.short_name) != (
        product.short_name
    ):
        raise InvalidInput("this server's own product keeps its shortName", field="shortName")
    _check_unique(db, values.get("short_name"), product.id)
    for name, value in values.items():
        setattr(product, name, value)
    return empty(200)


@router.get("/{product_id}")
def read_product(request: Request, db: DB, caller: CurrentCaller, product_id: IdPath) -> Response:
    caller.require("products")
    return respond(request, product_json(get_product(db, product_id)))


@router.get("/{product_id}/roles")
def product_roles(
    request: Request,
    db: DB,
    caller: CurrentCaller,
    product_id: IdPath,
    organization_id: Annotated[int | None, id_query("organizationId")] = None,
) -> Response:
    caller.require("roles")
    product = get_product(db, product_id)
    if organization_id is not None and organization_id != caller.organization_id:
        raise NotFound(f"organization {organization_id} not found", field="organizationId")
    organization = db.get(Organization, caller.organization_id)
    roles = db.scalars(
        select(Role)
        .where(Role.organization_id == caller.organization_id, Role.product_id == product.id)
        .order_by(Role.id)
    )
    return respond(request, [role_json(role, organization, product) for role in roles])
