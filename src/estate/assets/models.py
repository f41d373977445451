"""Assets on the CMDB object store: an asset IS a cmdb_objects row (docs/decisions/0301, 0500).

These tables hold only what the object row and its category entries cannot: the organization's
asset types and their field definitions, the KACE-only links of an asset (owner, location, the
inventoried machine it stands for, the archive reason), attachment files of attachment fields,
and barcodes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from estate.db.base import Base, OrgScoped, UTCDateTime, utcnow


class AssetType(OrgScoped, Base):
    """An asset type of an organization; it is the KACE name of one CMDB object type."""

    __tablename__ = "asset_types"
    __table_args__ = (
        UniqueConstraint("organization_id", "type_const", name="uq_asset_types_org_type_const"),
        UniqueConstraint("organization_id", "name", name="uq_asset_types_org_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    type_const: Mapped[str] = mapped_column(String(100), nullable=False)
    # The category whose attributes are this type's fields (registered in the catalog by stock.py).
    category_const: Mapped[str] = mapped_column(String(100), nullable=False)
    asset_class_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class AssetField(OrgScoped, Base):
    """A field of an asset type, answered as ``field_<id>`` (``field_10002``)."""

    __tablename__ = "asset_fields"
    __table_args__ = (UniqueConstraint("asset_type_id", "key", name="uq_asset_fields_type_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_type_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("asset_types.id", ondelete="CASCADE"), nullable=False, index=True
    )
    key: Mapped[str] = mapped_column(String(32), nullable=False)
    label: Mapped[str] = mapped_column(String(255), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # text number date dialog attachment reference
    choices: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    # For reference fields: the asset type the value must be an asset of.
    reference_type_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("asset_types.id", ondelete="SET NULL"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class AssetLink(OrgScoped, Base):
    """What KACE keeps on an asset besides its object row and fields; absent means all unset."""

    __tablename__ = "asset_links"
    __table_args__ = (Index("ix_asset_links_org_mapped", "organization_id", "mapped_id", unique=True),)

    object_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cmdb_objects.id", ondelete="CASCADE"), primary_key=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    location_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("locations.id", ondelete="SET NULL"), index=True
    )
    # The inventoried machine; its lifecycle follows the asset's record state (docs/decisions/0510).
    mapped_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("machines.id", ondelete="SET NULL"), index=True
    )
    archive_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    archived: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AssetAttachment(OrgScoped, Base):
    """The file of an attachment field, stored as service desk attachments are."""

    __tablename__ = "asset_attachments"
    __table_args__ = (UniqueConstraint("object_id", "field_key", name="uq_asset_attachments_object_field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cmdb_objects.id", ondelete="CASCADE"), nullable=False, index=True
    )
    field_key: Mapped[str] = mapped_column(String(32), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(255), nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(255), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Barcode(OrgScoped, Base):
    __tablename__ = "asset_barcodes"
    __table_args__ = (
        UniqueConstraint("organization_id", "barcode_format", "barcode_data", name="uq_asset_barcodes_org_format_data"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cmdb_objects.id", ondelete="CASCADE"), nullable=False, index=True
    )
    barcode_name: Mapped[str] = mapped_column(String(255), nullable=False)
    barcode_data: Mapped[str] = mapped_column(String(255), nullable=False)
    barcode_format: Mapped[str] = mapped_column(String(64), nullable=False)
    first_scanned_method: Mapped[str] = mapped_column(String(16), nullable=False)
    first_scanned_geolocation: Mapped[str] = mapped_column(String(255), nullable=False)
    first_scanned_user: Mapped[str] = mapped_column(String(255), nullable=False)
    last_scanned_method: Mapped[str] = mapped_column(String(16), nullable=False)
    last_scanned_geolocation: Mapped[str] = mapped_column(String(255), nullable=False)
    last_scanned_user: Mapped[str] = mapped_column(String(255), nullable=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


