"""/ams/shared/api/products/...: the applications roles belong to. Products are installation-wide,
as on the appliance; their roles are read per organization."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ConfigDict, Field

from estate.auth import entities as role_entities
from estate.auth.permissions import Caller
from estate.errors import InvalidInput, NotFound
from estate.kace.ams.params import IdPath, Int32, id_query, parse_ids
from estate.kace.ams.serializers import InputModel, product_json
from estate.kace.deps import DB, Body, CurrentCaller
from estate.kace.http import empty, respond, validate
from estate.kace.lists import definition_response, definitions_response
from estate.orgs import products
from estate.orgs.entities import PRODUCT
from estate.orgs.models import Product
from estate.query import Scope

router = APIRouter(prefix="/ams/shared/api/products", tags=["products"])

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
        return {name: getattr(self, name) for name in products.FIELDS if name in self.model_fields_set}


def get_product(db: DB, product_id: int, field: str = "productId") -> Product:
    return products.get_product(db, product_id=product_id, field=field)


@router.post("")
@router.post("/", include_in_schema=False)
def create_product(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
    caller.require("products", "write")
    data: ProductIn = validate(ProductIn, body)
    product = products.create_product(
        db, values=data.values(), organization_id=caller.organization_id, account_id=caller.account_id
    )
    return respond(request, product_json(product))


def _scope(caller: Caller) -> Scope:
    return Scope(organization_id=caller.organization_id, visible=None)


@router.get("")
@router.get("/", include_in_schema=False)
def list_products(request: Request, db: DB, caller: CurrentCaller) -> Response:
    caller.require("products")
    return definitions_response(request, db, PRODUCT, scope=_scope(caller))


@router.delete("")
@router.delete("/", include_in_schema=False)
def delete_products(db: DB, caller: CurrentCaller, ids: Annotated[list[str] | None, Query()] = None) -> Response:
    caller.require("products", "write")
    chosen = [get_product(db, product_id, "ids") for product_id in parse_ids(ids)]
    products.delete_products(db, products=chosen, organization_id=caller.organization_id, account_id=caller.account_id)
    return empty(200)


@router.post("/update")
def update_product(db: DB, caller: CurrentCaller, body: Body) -> Response:
    caller.require("products", "write")
    data: ProductIn = validate(ProductIn, body)
    if data.id is None:
        raise InvalidInput("id is required", field="id")
    product = get_product(db, data.id, "id")
    products.update_product(
        db, product=product, values=data.values(), organization_id=caller.organization_id,
        account_id=caller.account_id,
    )
    return empty(200)


@router.get("/{product_id}")
def read_product(request: Request, db: DB, caller: CurrentCaller, product_id: IdPath) -> Response:
    caller.require("products")
    return definition_response(request, db, PRODUCT, product_id, scope=_scope(caller), field="productId")


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
    return definitions_response(request, db, role_entities.ROLE, scope=_scope(caller),
                                extra=(role_entities.of_product(product.id),))
