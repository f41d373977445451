"""Roles, role membership, login sessions, failed-login records and RPC API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from estate.db.base import Base, OrgScoped, Timestamps, UTCDateTime, utcnow


class Role(OrgScoped, Timestamps, Base):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(String(1024))
    is_default_admin_role: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_default_appliance_admin_role: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_default_user_role: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    product_role_id: Mapped[str | None] = mapped_column(String(64))
    # Permission grants, see estate.auth.permissions.
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)


class RoleMember(OrgScoped, Base):
    __tablename__ = "role_members"

    role_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    org_account_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("organization_accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class AuthSession(Base):
    """A logged-in client. Lives in the database so every server process shares it."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the session cookie and of the auth JWT cookie; the raw tokens are never stored.
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    jwt_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    csrf_token: Mapped[str] = mapped_column(String(128), nullable=False)
    account_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    organization_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    fully_authenticated: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    source: Mapped[str | None] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)


class LoginFailure(Base):
    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_lookup", "login_key", "source", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    login_key: Mapped[str] = mapped_column(String(255), nullable=False)
    source: Mapped[str] = mapped_column(String(64), nullable=False)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ApiKey(OrgScoped, Base):
    """An i-doit JSON-RPC API key; it selects its organization."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    hint: Mapped[str] = mapped_column(String(16), nullable=False)
    description: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
