"""Facts about this installation as a whole (not about one organization): whether the first start
has made its organization and administrator, and later facts of the same kind."""

from __future__ import annotations

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from estate.db.base import Base

INITIAL_DATA = "initial_data"


class InstallationFact(Base):
    __tablename__ = "installation_facts"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), nullable=False)


def fact(db: Session, key: str) -> str | None:
    return db.scalar(select(InstallationFact.value).where(InstallationFact.key == key))


def record_fact(db: Session, key: str, value: str) -> None:
    db.merge(InstallationFact(key=key, value=value))
