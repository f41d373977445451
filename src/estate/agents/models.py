"""Tables of the agent channel.

  agent_enrolment_tokens  an organization's tokens an agent presents once to enrol (only digests)
  agent_machines          an enrolled machine: its secret's digest, revocation, offline revision
  agent_work              one row per piece of work for one machine; agents claim their own rows
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, SmallInteger, String, false
from sqlalchemy.orm import Mapped, mapped_column

from estate.db.base import Base, OrgScoped, UTCDateTime, utcnow

# agent_work.state
PENDING, CLAIMED, DONE = 0, 1, 2


class EnrolmentToken(OrgScoped, Base):
    __tablename__ = "agent_enrolment_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    hint: Mapped[str] = mapped_column(String(8), nullable=False)
    description: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("accounts.id", ondelete="SET NULL"),
                                                   index=True)
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    enrolments: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class AgentMachine(OrgScoped, Base):
    """A machine whose agent enrolled. The check-in reads this row by the secret's digest."""

    __tablename__ = "agent_machines"

    machine_id: Mapped[int] = mapped_column(Integer, ForeignKey("machines.id", ondelete="CASCADE"), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    token_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("agent_enrolment_tokens.id", ondelete="SET NULL"), index=True)
    enrolled: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked: Mapped[datetime | None] = mapped_column(UTCDateTime)
    agent_version: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    # Bumped whenever the offline scripts the machine keeps change; the agent compares it to its own.
    offline_revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Work(OrgScoped, Base):
    """Work for one machine: `kind` names the domain that answers it, `subject_id` its row there."""

    __tablename__ = "agent_work"
    __table_args__ = (
        # The idle check-in: a machine's pending rows, read from this index alone.
        Index("ix_agent_work_machine_state", "machine_id", "state", "id"),
        Index("ix_agent_work_kind_subject", "kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = mapped_column(Integer, ForeignKey("machines.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    subject_id: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=PENDING)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Work not claimed by then is given up (a script run's machines become "push failed").
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Work not handed out before then (a managed install waiting for its deployment window).
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the agent confirms it begins the work: a claim whose answer never reached its agent
    # (the connection dropped) is not started, so the work still expires.
    started: Mapped[datetime | None] = mapped_column(UTCDateTime)
