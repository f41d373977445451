"""Products: the applications roles belong to (docs/decisions/0104).

Products are installation-wide, as on the appliance. This server's own product keeps its short name
and stays; a product that roles of any organization use stays too, since removing it would change
other organizations. Changes are recorded in the history of the organization they were made from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from estate.auth.models import Role
from estate.errors import Conflict, InvalidInput, NotFound
from estate.history import service as history
from estate.orgs.models import Product

DEFAULT_PRODUCT = {"short_name": "K1000", "full_name": "KACE Systems Management Appliance"}
ENTITY = "product"
# The columns a product's writes take, with the name errors give them.
FIELDS = {
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
NOT_NULL = frozenset({"short_name", "full_name", "allow_multiple_roles"})
REQUIRED = ("short_name", "full_name")


def default_product(db: Session) -> Product:
    """This server's own product, made when first asked for."""
    product = db.scalar(select(Product).where(Product.short_name == DEFAULT_PRODUCT["short_name"]))
    if product is None:
        product = Product(**DEFAULT_PRODUCT, description="Systems management", allow_multiple_roles=False)
        db.add(product)
        db.flush()
    return product


def is_own(product: Product) -> bool:
    return product.short_name == DEFAULT_PRODUCT["short_name"]


def get_product(db: Session, *, product_id: int, field: str = "productId") -> Product:
    product = db.get(Product, product_id)
    if product is None:
        raise NotFound(f"product {product_id} not found", field=field)
    return product


def _checked(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - FIELDS.keys())
    if unknown:
        raise InvalidInput(f"unknown product field {unknown[0]!r}", field=unknown[0])
    for name in NOT_NULL & values.keys():
        if values[name] is None or (isinstance(values[name], str) and not values[name].strip()):
            raise InvalidInput(f"{FIELDS[name]} must not be empty", field=FIELDS[name])
    return dict(values)


def _check_unique(db: Session, short_name: str | None, product_id: int | None) -> None:
    if short_name is None:
        return
    query = select(Product.id).where(func.lower(Product.short_name) == short_name.strip().lower())
    if product_id is not None:
        query = query.where(Product.id != product_id)
    if db.scalar(query):
        raise Conflict(f"a product named {short_name!r} exists", field="shortName")


def _record(
    db: Session, *, organization_id: int, account_id: int | None, action: int, product: Product,
    changes: dict[str, tuple[Any, Any]],
) -> None:
    history.record(db, organization_id=organization_id, account_id=account_id, action=action, entity_name=ENTITY,
                   entity_id=product.id, changes=changes)


def create_product(db: Session, *, values: Mapping[str, Any], organization_id: int, account_id: int | None) -> Product:
    """A product from its columns (FIELDS); short and full name are required, the short name unique."""
    values = _checked(values)
    for name in REQUIRED:
        if not values.get(name):
            raise InvalidInput(f"{FIELDS[name]} is required", field=FIELDS[name])
    _check_unique(db, values["short_name"], None)
    product = Product(**values)
    db.add(product)
    db.flush()
    _record(db, organization_id=organization_id, account_id=account_id, action=history.CREATE, product=product,
            changes={name: (None, value) for name, value in values.items() if value is not None})
    return product


def update_product(
    db: Session, *, product: Product, values: Mapping[str, Any], organization_id: int, account_id: int | None
) -> None:
    values = _checked(values)
    if is_own(product) and values.get("short_name", product.short_name) != product.short_name:
        raise InvalidInput("this server's own product keeps its shortName", field="shortName")
    _check_unique(db, values.get("short_name"), product.id)
    changes = history.diff(product, values)
    if changes:
        _record(db, organization_id=organization_id, account_id=account_id, action=history.UPDATE, product=product,
                changes=changes)


def delete_products(db: Session, *, products: list[Product], organization_id: int, account_id: int | None) -> None:
    for product in products:
        if is_own(product):
            raise InvalidInput(f"product {product.short_name} is this server's own and cannot be removed", field="ids")
    used = db.scalar(select(Role.product_id).where(Role.product_id.in_([p.id for p in products])).limit(1))
    if used is not None:
        raise Conflict(f"product {used} has roles; remove or move them first", field="ids")
    for product in products:
        _record(db, organization_id=organization_id, account_id=account_id, action=history.DELETE, product=product,
                changes={"short_name": (product.short_name, None)})
        db.delete(product)
