"""Who changed what, when: one history row per write, one detail row per changed property."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from estate.db.base import Base, OrgScoped, UTCDateTime, utcnow


class History(OrgScoped, Base):
    __tablename__ = "history"
    __table_args__ = (Index("ix_history_entity", "organization_id", "entity_name", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[int] = mapped_column(Integer, nullable=False)
    entity_name: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[int | None] = mapped_column(Integer)
    parent_entity_name: Mapped[str | None] = mapped_column(String(64))
    parent_entity_id: Mapped[int | None] = mapped_column(Integer)
    creation_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class HistoryDetail(Base):
    __tablename__ = "history_details"

    id: Mapped[int] = mapped_column(primary_key=True)
    history_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("history.id", ondelete="CASCADE"), nullable=False, index=True
    )
    property_name: Mapped[str] = mapped_column(String(128), nullable=False)
    # "string", "datetime" or "reference", the detail kinds of the reference's History definitions.
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="string")
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    ref_name: Mapped[str | None] = mapped_column(String(64))
