"""Query-engine declarations of assets, asset statuses and barcodes.

An asset row is a CMDB object of a type an asset type names, with its KACE links; objects created
through the i-doit face are assets the moment their type has an asset type."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    func,
    literal,
    literal_column,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased

from estate.assets.models import AssetAttachment, AssetLink, AssetType, Barcode
from estate.assets.stock import ATTACHMENT, NUMBER, REFERENCE, STOCK_TYPES, StockField
from estate.cmdb.catalog import ARCHIVED, CATALOG
from estate.cmdb.models import CategoryEntry, CmdbObject
from estate.inventory.entities import MACHINE
from estate.orgs.models import Location, Organization
from estate.query import ChildRows, Entity, Field, Kind, Level, ParentRow, Style, SubEntity
from estate.servicedesk.entities import USER

L = Level
_KINDS = {NUMBER: Kind.NUMBER, REFERENCE: Kind.INT}


def _field(name: str, col: Any, kind: Kind = Kind.TEXT, level: Level = L.STANDARD, *, wildcard: bool = False) -> Field:
    return Field(name, col, kind, level, wildcard=wildcard)


_zero: Any = literal_column("0")
_values = aliased(CategoryEntry, name="asset_values")


def _field_value(item: StockField) -> Any:
    """The value of one asset field, from its type's category entry (attachments: the file name)."""
    if item.kind == ATTACHMENT:
        name = select(AssetAttachment.file_name).where(
            AssetAttachment.object_id == CmdbObject.id, AssetAttachment.field_key == item.key
        )
        return name.scalar_subquery().label(item.key)
    value = _values.values[item.key]
    typed = value.as_float() if item.kind == NUMBER else value.as_integer() if item.kind == REFERENCE else (
        value.as_string()
    )
    return typed.label(item.key)

_assets = (
    select(
        CmdbObject.id.label("id"),
        CmdbObject.organization_id.label("organization_id"),
        CmdbObject.status.label("record_status"),
        CmdbObject.title.label("name"),
        AssetType.id.label("asset_type_id"),
        AssetType.name.label("asset_type_name"),
        AssetType.asset_class_id.label("asset_class_id"),
        CmdbObject.id.label("asset_data_id"),
        func.coalesce(AssetLink.owner_id, _zero).label("owner_id"),
        func.coalesce(AssetLink.location_id, _zero).label("location_id"),
        # A machine removed from inventory set it to NULL (foreign key ON DELETE SET NULL).
        func.coalesce(AssetLink.mapped_id, _zero).label("mapped_id"),
        CmdbObject.cmdb_status.label("asset_status_id"),
        # A reason left by an archive that i-doit's recycle undid is not shown.
        case((CmdbObject.status == ARCHIVED, func.coalesce(AssetLink.archive_reason, "")), else_="").label("archive"),
        CmdbObject.created.label("created"),
        func.coalesce(CmdbObject.updated, CmdbObject.created).label("modified"),
        *(_field_value(item) for stock in STOCK_TYPES for item in stock.fields),
    )
    .join(
        AssetType,
        and_(AssetType.organization_id == CmdbObject.organization_id, AssetType.type_const == CmdbObject.type_const),
    )
    .outerjoin(AssetLink, AssetLink.object_id == CmdbObject.id)
    .outerjoin(_values, and_(_values.object_id == CmdbObject.id, _values.category_const == AssetType.category_const))
    # Static objects (Root location, Global v4/v6) are the CMDB's own, not assets.
    .where(CmdbObject.const.is_(None))
    .subquery("assets")
)

_states = union_all(
    *(
        select(
            literal(state.id, Integer).label("id"),
            literal(state.titles["en"], String).label("name"),
            literal(state.const, String).label("description"),
            literal(0 if state.editable else 1, Integer).label("is_system"),
        )
        for state in CATALOG.cmdb_states.values()
    )
).subquery("asset_state_values")
# Statuses are catalog data shared by all organizations; crossing them with the organizations
# gives the engine the organization column its walls need.
_statuses = (
    select(
        Organization.id.label("organization_id"),
        _states.c.id,
        _states.c.name,
        _states.c.description,
        _states.c.is_system,
    )
    .select_from(Organization.__table__.join(_states, true()))
    .subquery("asset_statuses")
)

ASSET_STATUS = Entity(
    name="asset_status",
    plural="AssetStatus",
    table=_statuses,
    id_field="id",
    name_field="name",
    organization_column=_statuses.c.organization_id,
    style=Style.NATIVE,
    fields=(
        _field("id", _statuses.c.id, Kind.INT, L.LIMITED),
        _field("name", _statuses.c.name, Kind.TEXT, L.LIMITED, wildcard=True),
        _field("description", _statuses.c.description),
        _field("is_system", _statuses.c.is_system, Kind.INT),
    ),
)

_types = AssetType.__table__
ASSET_TYPE = Entity(
    name="asset_type",
    plural="AssetTypes",
    table=_types,
    id_field="id",
    name_field="name",
    organization_column=_types.c.organization_id,
    style=Style.NATIVE,
    fields=(
        _field("id", _types.c.id, Kind.INT, L.LIMITED),
        _field("name", _types.c.name, Kind.TEXT, L.LIMITED, wildcard=True),
        _field("asset_class_id", _types.c.asset_class_id, Kind.INT),
    ),
)

_locations = Location.__table__
LOCATION = Entity(
    name="location",
    plural="Locations",
    table=_locations,
    id_field="id",
    name_field="name",
    organization_column=_locations.c.organization_id,
    style=Style.NATIVE,
    fields=(
        _field("id", _locations.c.id, Kind.INT, L.LIMITED),
        _field("name", _locations.c.name, Kind.TEXT, L.LIMITED, wildcard=True),
    ),
)

_b = Barcode.__table__
BARCODE_FIELDS = [
    "barcode_name",
    "barcode_data",
    "barcode_format",
    "first_scanned_method",
    "first_scanned_geolocation",
    "first_scanned_user",
    "last_scanned_method",
    "last_scanned_geolocation",
    "last_scanned_user",
]
BARCODE = Entity(
    name="barcode",
    plural="Barcodes",
    table=_b,
    id_field="id",
    name_field="barcode_name",
    organization_column=_b.c.organization_id,
    style=Style.NATIVE,
    aliases=("barcodes",),
    fields=(
        _field("id", _b.c.id, Kind.INT, L.LIMITED),
        _field("barcode_name", _b.c.barcode_name, Kind.TEXT, L.LIMITED, wildcard=True),
        _field("asset_id", _b.c.asset_id, Kind.INT),
        *(_field(name, _b.c[name], wildcard=name == "barcode_data") for name in BARCODE_FIELDS[1:]),
        _field("created", _b.c.created, Kind.DATETIME, L.ALL),
        _field("modified", _b.c.modified, Kind.DATETIME, L.ALL),
    ),
)


def _parent(name: str, entity: Entity, foreign_key: Any, aliases: tuple[str, ...] = ()) -> SubEntity:
    path = ParentRow(_assets, _assets.c.id, foreign_key, organization=_assets.c.organization_id)
    return SubEntity(name, lambda: entity, path, aliases=aliases)


ASSET = Entity(
    name="asset",
    plural="Assets",
    table=_assets,
    id_field="id",
    name_field="name",
    organization_column=_assets.c.organization_id,
    style=Style.NATIVE,
    aliases=("assets",),
    fields=(
        _field("id", _assets.c.id, Kind.INT, L.LIMITED),
        _field("name", _assets.c.name, Kind.TEXT, L.LIMITED, wildcard=True),
        _field("asset_type_id", _assets.c.asset_type_id, Kind.INT),
        _field("asset_data_id", _assets.c.asset_data_id, Kind.INT),
        _field("owner_id", _assets.c.owner_id, Kind.INT),
        # Appliances answer lists without it; it is there at `asset all` and in single reads.
        _field("location_id", _assets.c.location_id, Kind.INT, L.ALL),
        _field("modified", _assets.c.modified, Kind.DATETIME),
        _field("created", _assets.c.created, Kind.DATETIME),
        _field("mapped_id", _assets.c.mapped_id, Kind.INT),
        _field("asset_class_id", _assets.c.asset_class_id, Kind.INT),
        _field("archive", _assets.c.archive),
        _field("asset_status_id", _assets.c.asset_status_id, Kind.INT),
        _field("asset_type_name", _assets.c.asset_type_name, wildcard=True),
        # Every type's fields are columns of the one entity; they are shown at `asset all`.
        *(
            _field(item.key, _assets.c[item.key], _KINDS.get(item.kind, Kind.TEXT), L.ALL)
            for stock in STOCK_TYPES
            for item in stock.fields
        ),
    ),
    subentities=(
        _parent("asset_type", ASSET_TYPE, _assets.c.asset_type_id, ("type",)),
        _parent("asset_status", ASSET_STATUS, _assets.c.asset_status_id, ("status",)),
        _parent("location", LOCATION, _assets.c.location_id),
        _parent("owner", USER, _assets.c.owner_id, ("user",)),
        _parent("machine", MACHINE, _assets.c.mapped_id, ("mapped_machine", "mapped")),
        SubEntity("barcodes", lambda: BARCODE, ChildRows(_b.c.asset_id), aliases=("barcode",)),
    ),
)



def in_record_state(status: int) -> ColumnElement[bool]:
    """Assets in one record state: normal ones are listed, archived ones are archived devices."""
    return _assets.c.record_status == status


def of_asset(asset_id: int) -> ColumnElement[bool]:
    return _b.c.asset_id == asset_id
