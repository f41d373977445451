"""Organizations (the walls), their locations, and the products roles belong to."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from estate.db.base import Base, OrgScoped, Timestamps


class Organization(Timestamps, Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_system: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", nullable=False)
    location_attr_name: Mapped[str | None] = mapped_column(String(255))
    sync_locations: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    primary_location_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("locations.id", ondelete="SET NULL", use_alter=True), index=True
    )


class Location(OrgScoped, Timestamps, Base):
    __tablename__ = "locations"
    __table_args__ = (Index("ix_locations_org_name", "organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("locations.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    phone_number: Mapped[str | None] = mapped_column(String(64))
    web_site: Mapped[str | None] = mapped_column(String(512))
    locale: Mapped[str | None] = mapped_column(String(32))
    app_data: Mapped[str | None] = mapped_column(Text)
    level: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    path: Mapped[str] = mapped_column(String(2048), default="", nullable=False)
    primary_contact_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("organization_accounts.id", ondelete="SET NULL", use_alter=True), index=True
    )
    # Not listed by KACE: deleted over KACE, or its object is not in the normal record state.
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # The CMDB location object this location is (docs/decisions/0530). Null only for a row written
    # around the service; its first KACE write gives it its object.
    object_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("cmdb_objects.id"), unique=True, index=True
    )


class Product(Timestamps, Base):
    """An application that roles are defined for; installation-wide, as on the appliance."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    short_name: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    full_name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    base_api_url: Mapped[str | None] = mapped_column(String(512))
    base_navigation_url: Mapped[str | None] = mapped_column(String(512))
    base_view_url: Mapped[str | None] = mapped_column(String(512))
    callback_url: Mapped[str | None] = mapped_column(String(512))
    configuration: Mapped[str | None] = mapped_column(Text)
    allow_multiple_roles: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
