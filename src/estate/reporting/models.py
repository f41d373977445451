"""Tables of the reporting domain (every one organization-scoped).

  report_definitions   a report as data: its JSON document (definition.py), and the columns lists
                       filter and sort on (name, title, category, ...)
  report_jobs          one run of a report asked for asynchronously or by a schedule: queued,
                       running, done (its document on disk until `expires`), failed or cancelled
  report_schedules     a definition run on a cron schedule; each run is a job whose result is kept
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from estate.db.base import Base, OrgScoped, UTCDateTime, utcnow

# report_jobs.status
QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"


class ReportDefinition(OrgScoped, Base):
    __tablename__ = "report_definitions"
    __table_args__ = (UniqueConstraint("organization_id", "name", name="uq_report_definitions_org_name"),
                      Index("ix_report_definitions_org_category", "organization_id", "category"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    category: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    entity: Mapped[str] = mapped_column(String(64), nullable=False)
    # The whole document as administrators write it (definition.Definition).
    document: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    # Part of the stock library every organization starts with.
    stock: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class ReportJob(OrgScoped, Base):
    __tablename__ = "report_jobs"
    __table_args__ = (Index("ix_report_jobs_status_created", "status", "created"),
                      Index("ix_report_jobs_expires", "expires"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who asked, with the rights they had then: the worker runs the report as that caller.
    account_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("accounts.id", ondelete="SET NULL"),
                                                   index=True)
    caller: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    schedule_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("report_schedules.id", ondelete="SET NULL"),
                                                    index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    format: Mapped[str] = mapped_column(String(16), nullable=False)
    locale: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=QUEUED)
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The document below the data folder once done (reports/<org>/<id>.<format>).
    result_key: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    started: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReportSchedule(OrgScoped, Base):
    __tablename__ = "report_schedules"
    __table_args__ = (Index("ix_report_schedules_next_run", "enabled", "next_run"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(Integer, ForeignKey("report_definitions.id", ondelete="CASCADE"),
                                               nullable=False, index=True)
    account_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("accounts.id", ondelete="SET NULL"),
                                                   index=True)
    caller: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    cron: Mapped[str] = mapped_column(String(255), nullable=False)
    format: Mapped[str] = mapped_column(String(16), nullable=False)
    locale: Mapped[str] = mapped_column(String(32), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    next_run: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_job_id: Mapped[int | None] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
