"""A new organization's stock asset types and their fields."""

from __future__ import annotations

from sqlalchemy.orm import Session

from estate.assets.models import AssetField, AssetType
from estate.assets.stock import STOCK_TYPES
from estate.orgs.models import Organization
from estate.orgs.service import register_seed


@register_seed
def seed_asset_types(db: Session, organization: Organization) -> None:
    types = {
        stock.name: AssetType(
            organization_id=organization.id, name=stock.name, type_const=stock.type_const,
            category_const=stock.category_const, asset_class_id=stock.asset_class_id,
        )
        for stock in STOCK_TYPES
    }
    db.add_all(types.values())
    db.flush()
    db.add_all(
        AssetField(
            organization_id=organization.id, asset_type_id=types[stock.name].id, key=item.key, label=item.label,
            kind=item.kind, choices=list(item.choices),
            reference_type_id=types[item.reference].id if item.reference else None, ordinal=ordinal,
        )
        for stock in STOCK_TYPES
        for ordinal, item in enumerate(stock.fields)
    )
