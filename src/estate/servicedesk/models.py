"""Service desk tables: queues with their lists, tickets, their changes, attachments and work.

Names follow the appliance's HD_* tables so that KACE clients' field names map one to one."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from estate.db.base import Base, OrgScoped, Timestamps, UTCDateTime, utcnow

# Ticket status states, as the appliance names them.
OPENED, CLOSED, STALLED = "opened", "closed", "stalled"
STATES = (OPENED, CLOSED, STALLED)

# The appliance's free custom ticket fields (CUSTOM_FIELD_VALUE0..14).
CUSTOM_FIELD_COUNT = 15
CUSTOM_FIELDS = tuple(f"custom_{n}" for n in range(1, CUSTOM_FIELD_COUNT + 1))


def _queue_fk() -> Mapped[int]:
    return mapped_column(Integer, ForeignKey("hd_queues.id", ondelete="CASCADE"), nullable=False, index=True)


def _account_fk(*, nullable: bool = True) -> Mapped[int | None]:
    return mapped_column(Integer, ForeignKey("accounts.id", ondelete="SET NULL"), nullable=nullable, index=True)


class Queue(OrgScoped, Timestamps, Base):
    __tablename__ = "hd_queues"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    # The defaults point into this queue's own lists; they are plain integers because the lists
    # refer to the queue, and the service keeps them consistent.
    default_category_id: Mapped[int | None] = mapped_column(Integer)
    default_impact_id: Mapped[int | None] = mapped_column(Integer)
    default_priority_id: Mapped[int | None] = mapped_column(Integer)
    default_status_id: Mapped[int | None] = mapped_column(Integer)
    allow_all_users: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    allow_all_approvers: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    allow_delete: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    allow_manager_comment_via_userui: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    allow_owners_edit_all_comment: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    allow_owners_via_adminui: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    allow_parent_close: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    allow_users_edit_own_comment: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    auto_add_cclist_on_comment: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    conflict_warning_enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    create_users_on_email: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    owners_only_comments: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    show_new_ticket_attachments: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    show_new_ticket_comments: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    alt_email_addr: Mapped[str | None] = mapped_column(String(255))
    email_user: Mapped[str | None] = mapped_column(String(255))
    archive_interval: Mapped[str | None] = mapped_column(String(32))
    purge_interval: Mapped[str | None] = mapped_column(String(32))
    pop_server: Mapped[str | None] = mapped_column(String(255))
    pop_username: Mapped[str | None] = mapped_column(String(255))
    pop_ssl: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    smtp_server: Mapped[str | None] = mapped_column(String(255))
    smtp_port: Mapped[int | None] = mapped_column(Integer)
    smtp_username: Mapped[str | None] = mapped_column(String(255))


class Status(OrgScoped, Base):
    __tablename__ = "hd_statuses"

    id: Mapped[int] = mapped_column(primary_key=True)
    hd_queue_id: Mapped[int] = _queue_fk()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    ordinal: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default=OPENED)


class Priority(OrgScoped, Base):
    __tablename__ = "hd_priorities"

    id: Mapped[int] = mapped_column(primary_key=True)
    hd_queue_id: Mapped[int] = _queue_fk()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    ordinal: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    color: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    escalation_minutes: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    resolution_due_date_minutes: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    is_sla_enabled: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    sla_notification_recurrence_minutes: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    use_business_hours_for_escalation: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    use_business_hours_for_sla: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)


class Impact(OrgScoped, Base):
    __tablename__ = "hd_impacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    hd_queue_id: Mapped[int] = _queue_fk()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    ordinal: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class Category(OrgScoped, Base):
    __tablename__ = "hd_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    hd_queue_id: Mapped[int] = _queue_fk()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    ordinal: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    default_owner_id: Mapped[int | None] = _account_fk()
    cc_list: Mapped[str] = mapped_column(Text, default="", nullable=False)
    user_settable: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)


class QueueField(OrgScoped, Base):
    """How a queue presents one ticket field: label, order, visibility, when it is required."""

    __tablename__ = "hd_queue_fields"
    __table_args__ = (UniqueConstraint("hd_queue_id", "json_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hd_queue_id: Mapped[int] = _queue_fk()
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    hd_ticket_field_name: Mapped[str] = mapped_column(String(64), nullable=False)
    json_key: Mapped[str] = mapped_column(String(64), nullable=False)
    field_type: Mapped[str] = mapped_column(String(32), default="text", nullable=False)
    ordinal: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # none | all | create | close: the appliance's "required" choices.
    required_state: Mapped[str] = mapped_column(String(16), default="none", nullable=False)
    field_label: Mapped[str] = mapped_column(String(255), nullable=False)
    # usercreate | uservisible | userhidden | userreadonly
    visible: Mapped[str] = mapped_column(String(16), default="usercreate", nullable=False)


class TicketTemplate(OrgScoped, Timestamps, Base):
    """A ticket template ("pattern"): a named set of field values for a queue's tickets."""

    __tablename__ = "hd_ticket_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    hd_queue_id: Mapped[int] = _queue_fk()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    ordinal: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    available_for_create: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Ticket field values the template sets, by field name (title, summary, custom_1, ...).
    values: Mapped[dict[str, object]] = mapped_column(JSON, default=dict, nullable=False)


class Ticket(OrgScoped, Timestamps, Base):
    __tablename__ = "hd_tickets"
    __table_args__ = (
        Index("ix_hd_tickets_org_queue", "organization_id", "hd_queue_id"),
        Index("ix_hd_tickets_org_status", "organization_id", "hd_status_id"),
        Index("ix_hd_tickets_org_created", "organization_id", "created"),
        Index("ix_hd_tickets_org_due", "organization_id", "due_date"),
        Index("ix_hd_tickets_org_escalation", "organization_id", "escalation_due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hd_queue_id: Mapped[int] = mapped_column(Integer, ForeignKey("hd_queues.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(1024), default="", nullable=False)
    summary: Mapped[str] = mapped_column(Text, default="", nullable=False)
    resolution: Mapped[str] = mapped_column(Text, default="", nullable=False)
    cc_list: Mapped[str] = mapped_column(Text, default="", nullable=False)
    hd_category_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("hd_categories.id", ondelete="SET NULL"), index=True
    )
    hd_priority_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("hd_priorities.id", ondelete="SET NULL"), index=True
    )
    hd_impact_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("hd_impacts.id", ondelete="SET NULL"), index=True
    )
    hd_status_id: Mapped[int] = mapped_column(Integer, ForeignKey("hd_statuses.id"), nullable=False, index=True)
    hd_ticket_template_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("hd_ticket_templates.id", ondelete="SET NULL"), index=True
    )
    owner_id: Mapped[int | None] = _account_fk()
    submitter_id: Mapped[int | None] = _account_fk()
    approver_id: Mapped[int | None] = _account_fk()
    approval: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    approval_note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    parent_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("hd_tickets.id", ondelete="SET NULL"), index=True
    )
    is_parent: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Inventory and asset rows belong to other domains; their keys are kept as plain numbers.
    machine_id: Mapped[int | None] = mapped_column(Integer, index=True)
    asset_id: Mapped[int | None] = mapped_column(Integer, index=True)
    due_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_manual_due_date: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # When the ticket escalates unless it changes first (the priority's escalation minutes after the
    # last change); `escalated` marks when an open ticket passed this or its due date.
    escalation_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_opened: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_closed: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_stalled: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sat_survey: Mapped[str] = mapped_column(String(255), default="", nullable=False)
    custom_1: Mapped[str] = mapped_column(Text, default="", nullable=False)
    custom_2: Mapped[str] = mapped_column(Text, default="", nullable=False)
    custom_3: Mapped[str] = mapped_column(Text, default="", nullable=False)
    custom_4: Mapped[str] = mapped_column(Text, default="", nullable=False)
    custom_5: Mapped[str] = mapped_column(Text, default="", nullable=False)
    custom_6: Mapped[str] = mapped_column(Text, default="", nullable=False)
    custom_7: Mapped[str] = mapped_column(Text, default="", nullable=False)
    custom_8: Mapped[str] = mapped_column(Text, default="", nullable=False)
    custom_9: Mapped[str] = mapped_column(Text, default="", nullable=False)
    custom_10: Mapped[str] = mapped_column(Text, default="", nullable=False)
    custom_11: Mapped[str] = mapped_column(Text, default="", nullable=False)
    custom_12: Mapped[str] = mapped_column(Text, default="", nullable=False)
    custom_13: Mapped[str] = mapped_column(Text, default="", nullable=False)
    custom_14: Mapped[str] = mapped_column(Text, default="", nullable=False)
    custom_15: Mapped[str] = mapped_column(Text, default="", nullable=False)


class RelatedTicket(OrgScoped, Base):
    """"See also" links: the ticket lists the related one; the related one is referred to."""

    __tablename__ = "hd_related_tickets"
    __table_args__ = (UniqueConstraint("hd_ticket_id", "related_ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hd_ticket_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("hd_tickets.id", ondelete="CASCADE"), nullable=False, index=True
    )
    related_ticket_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("hd_tickets.id", ondelete="CASCADE"), nullable=False, index=True
    )


class TicketChange(OrgScoped, Base):
    """One write to a ticket: the comment, if any, and what changed, field by field."""

    __tablename__ = "hd_ticket_changes"
    __table_args__ = (Index("ix_hd_ticket_changes_ticket", "hd_ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hd_ticket_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("hd_tickets.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int | None] = _account_fk()
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    comment: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # One line per changed field: 'Changed ticket Status from "New" to "Opened".'
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    owners_only: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    resolution_changed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    system_comment: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)


class Attachment(OrgScoped, Base):
    __tablename__ = "hd_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    hd_ticket_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("hd_tickets.id", ondelete="CASCADE"), nullable=False, index=True
    )
    hd_ticket_change_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("hd_ticket_changes.id", ondelete="CASCADE"), nullable=False, index=True
    )
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(255), nullable=False)
    file_size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    # Path below settings.data_dir, made by the server, never from the client's file name.
    storage_key: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class WorkItem(OrgScoped, Base):
    __tablename__ = "hd_work"

    id: Mapped[int] = mapped_column(primary_key=True)
    hd_ticket_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("hd_tickets.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int | None] = _account_fk()
    start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stop: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hours_worked: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"), nullable=False)
    adjustment_hours: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"), nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    voided_by: Mapped[int | None] = _account_fk()
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class BusinessHours(OrgScoped, Base):
    """When an organization's service desk works; SLA clocks run only then when a priority says so.
    Times are minutes after midnight in the organization's time zone."""

    __tablename__ = "hd_business_hours"
    __table_args__ = (UniqueConstraint("organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # ISO weekdays (1 = Monday) as digits, "12345" for Monday to Friday.
    work_days: Mapped[str] = mapped_column(String(7), default="12345", nullable=False)
    start_minute: Mapped[int] = mapped_column(Integer, default=9 * 60, nullable=False)
    end_minute: Mapped[int] = mapped_column(Integer, default=17 * 60, nullable=False)
