"""Accounts (installation-wide identities) and their memberships in organizations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from estate.db.base import Base, OrgScoped, Timestamps, UTCDateTime


class Account(Timestamps, Base):
    """A person who can log in. Accounts are shared by organizations the way the appliance's
    account management service shares them; what an account may see is decided by its
    organization accounts."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(255), nullable=False)
    # Logins compare case-insensitively, as on the appliance.
    login_key: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    full_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    ad_domain: Mapped[str | None] = mapped_column(String(255))
    im_address: Mapped[str | None] = mapped_column(String(255))
    creation_mode: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    date_time_format: Mapped[str | None] = mapped_column(String(64))
    distinguished_name: Mapped[str | None] = mapped_column(String(1024))
    job_title: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(16))
    mobile_phone: Mapped[str | None] = mapped_column(String(64))
    number_format: Mapped[str | None] = mapped_column(String(64))
    override_location_settings: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    principal_name: Mapped[str | None] = mapped_column(String(255))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    user_type: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    work_phone: Mapped[str | None] = mapped_column(String(64))
    api_enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Base32 TOTP secret; set means two-factor authentication is enrolled.
    totp_secret: Mapped[str | None] = mapped_column(String(64))


class OrganizationAccount(OrgScoped, Timestamps, Base):
    __tablename__ = "organization_accounts"
    __table_args__ = (UniqueConstraint("organization_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    level: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    path: Mapped[str] = mapped_column(String(2048), default="", nullable=False)
    location_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("locations.id", ondelete="SET NULL"), index=True
    )
    manager_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("organization_accounts.id", ondelete="SET NULL"), index=True
    )


class AccountRegistry(Timestamps, Base):
    __tablename__ = "account_registry"
    __table_args__ = (UniqueConstraint("account_id", "category_name", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    category_name: Mapped[str] = mapped_column(String(255), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    value: Mapped[str | None] = mapped_column(Text)


class OrgAccountRegistry(OrgScoped, Timestamps, Base):
    __tablename__ = "org_account_registry"
    __table_args__ = (
        UniqueConstraint("org_account_id", "category_name", "key"),
        Index("ix_org_account_registry_lookup", "org_account_id", "category_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_account_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("organization_accounts.id", ondelete="CASCADE"), nullable=False
    )
    category_name: Mapped[str] = mapped_column(String(255), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    value: Mapped[str | None] = mapped_column(Text)
