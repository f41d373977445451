"""Query-engine declarations of the service desk: what `/api/service_desk` lists may be filtered,
sorted and shaped by, named as the reference's Definitions name them (hd_ticket, hd_queue, ...).

Sub-entities the appliance answers with more than id and name at the `limited` level (a ticket's
submitter, priority, status, impact) declare those fields at Level.LIMITED."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer, cast, select

from estate.accounts.models import Account, OrganizationAccount
from estate.inventory.models import Machine
from estate.query import ChildRows, Counting, Entity, Field, Kind, LinkTable, Nesting, ParentRow, Style, SubEntity
from estate.query.declare import Level as L  # noqa: N817 - the levels read as a column of the tables below
from estate.query.declare import as_column
from estate.servicedesk import search
from estate.servicedesk.models import (
    CUSTOM_FIELDS,
    Attachment,
    Category,
    Impact,
    Priority,
    Queue,
    QueueField,
    RelatedTicket,
    Status,
    Ticket,
    TicketChange,
    TicketTemplate,
    WorkItem,
)


def _desk(**declaration: Any) -> Entity:
    """An entity answered as the appliance's service desk answers (decision 0404): native JSON
    values, sub-entities under their own name, a page's Count read off the page (decision 0411)."""
    return Entity(style=Style.NATIVE, nesting=Nesting.NAMED, counting=Counting.AFTER_PAGE, **declaration)


def flag(column: Any) -> Any:
    """Booleans answer as 0/1, as the appliance's integer flags do."""
    return cast(as_column(column), Integer)


# ----------------------------------------------------------------------------------------- people

_account, _member = Account.__table__, OrganizationAccount.__table__
_members = (
    select(
        _account.c.id.label("id"),
        _member.c.organization_id.label("organization_id"),
        _account.c.login.label("user_name"),
        _account.c.email.label("email"),
        _account.c.full_name.label("full_name"),
        _account.c.job_title.label("job_title"),
        _account.c.work_phone.label("work_phone"),
        _account.c.mobile_phone.label("mobile_phone"),
        _member.c.location_id.label("location_id"),
    )
    .join(_member, _member.c.account_id == _account.c.id)
    .subquery("hd_users")
)

USER = _desk(
    name="user",
    plural="Users",
    table=_members,
    id_field="id",
    name_field="user_name",
    organization_column=_members.c.organization_id,
    fields=(
        Field("id", _members.c.id, Kind.INT, L.LIMITED),
        Field("user_name", _members.c.user_name, Kind.TEXT, L.LIMITED, wildcard=True),
        Field("email", _members.c.email, Kind.TEXT, L.LIMITED, wildcard=True),
        Field("full_name", _members.c.full_name, Kind.TEXT, L.LIMITED, wildcard=True),
        Field("job_title", _members.c.job_title, Kind.TEXT, L.STANDARD),
        Field("work_phone", _members.c.work_phone, Kind.TEXT, L.STANDARD),
        Field("mobile_phone", _members.c.mobile_phone, Kind.TEXT, L.STANDARD),
        Field("location_id", _members.c.location_id, Kind.INT, L.ALL),
    ),
)


def _user_of(name: str, foreign_key: Any, table: Any, base_id: Any, base_org: Any,
             *, in_wildcard: bool = False) -> SubEntity:
    # People are the organization's through its memberships, not rows of its own.
    path = ParentRow(table.__table__, base_id, foreign_key, organization=base_org)
    return SubEntity(name, lambda: USER, path, in_wildcard=in_wildcard)


MACHINE = _desk(
    name="machine",
    plural="Machines",
    table=Machine.__table__,
    id_field="id",
    name_field="name",
    organization_column=Machine.organization_id,
    fields=(
        Field("id", Machine.id, Kind.INT, L.LIMITED),
        Field("name", Machine.name, Kind.TEXT, L.LIMITED, wildcard=True),
        Field("user", Machine.user, Kind.TEXT, L.STANDARD),
    ),
)

# ---------------------------------------------------------------------------------- queue lists


def _list_entity(
    name: str, plural: str, model: Any, limited: tuple[Field, ...], more: tuple[Field, ...] = ()
) -> Entity:
    return _desk(
        name=name,
        plural=plural,
        table=model.__table__,
        id_field="id",
        name_field="name",
        organization_column=model.organization_id,
            fields=(
            Field("id", model.id, Kind.INT, L.LIMITED),
            Field("name", model.name, Kind.TEXT, L.LIMITED, wildcard=True),
            *limited,
            *more,
            Field("hd_queue_id", model.hd_queue_id, Kind.INT, L.ALL),
        ),
    )


STATUS = _list_entity(
    "hd_status", "Statuses", Status,
    (Field("ordinal", Status.ordinal, Kind.INT, L.LIMITED), Field("state", Status.state, Kind.TEXT, L.LIMITED)),
)
PRIORITY = _list_entity(
    "hd_priority", "Priorities", Priority,
    (
        Field("ordinal", Priority.ordinal, Kind.INT, L.LIMITED),
        Field("color", Priority.color, Kind.TEXT, L.LIMITED),
        Field("is_sla_enabled", flag(Priority.is_sla_enabled), Kind.INT, L.LIMITED),
    ),
    (
        Field("escalation_minutes", Priority.escalation_minutes, Kind.INT),
        Field("resolution_due_date_minutes", Priority.resolution_due_date_minutes, Kind.INT),
        Field("sla_notification_recurrence_minutes", Priority.sla_notification_recurrence_minutes, Kind.INT),
        Field("use_business_hours_for_escalation", flag(Priority.use_business_hours_for_escalation), Kind.INT),
        Field("use_business_hours_for_sla", flag(Priority.use_business_hours_for_sla), Kind.INT),
    ),
)
IMPACT = _list_entity("hd_impact", "Impacts", Impact, (Field("ordinal", Impact.ordinal, Kind.INT, L.LIMITED),))
CATEGORY = _list_entity(
    "hd_category", "Categories", Category, (),
    (
        Field("ordinal", Category.ordinal, Kind.INT),
        Field("cc_list", Category.cc_list, Kind.TEXT),
        Field("default_owner_id", Category.default_owner_id, Kind.INT),
        Field("user_settable", flag(Category.user_settable), Kind.INT),
    ),
)
QUEUE_FIELD = _desk(
    name="hd_queue_field",
    plural="Fields",
    table=QueueField.__table__,
    id_field="id",
    name_field="name",
    organization_column=QueueField.organization_id,
    fields=(
        Field("id", QueueField.id, Kind.INT, L.LIMITED),
        Field("hd_queue_id", QueueField.hd_queue_id, Kind.INT),
        Field("name", QueueField.name, Kind.TEXT, L.LIMITED),
        Field("hd_ticket_field_name", QueueField.hd_ticket_field_name, Kind.TEXT),
        Field("jsonKey", QueueField.json_key, Kind.TEXT),
        Field("ordinal", QueueField.ordinal, Kind.INT),
        Field("required_state", QueueField.required_state, Kind.TEXT),
        Field("field_label", QueueField.field_label, Kind.TEXT),
        Field("visible", QueueField.visible, Kind.TEXT),
    ),
)


def _queue_list(name: str, target: Entity, key: Any) -> SubEntity:
    return SubEntity(name, lambda: target, ChildRows(key))


QUEUE = _desk(
    name="hd_queue",
    plural="Queues",
    table=Queue.__table__,
    id_field="id",
    name_field="name",
    organization_column=Queue.organization_id,
    aliases=("queue",),
    fields=(
        Field("id", Queue.id, Kind.INT, L.LIMITED),
        Field("name", Queue.name, Kind.TEXT, L.LIMITED, wildcard=True),
        *(
            Field(column, flag(getattr(Queue, column)), Kind.INT)
            for column in (
                "allow_all_approvers", "allow_all_users", "allow_delete", "allow_manager_comment_via_userui",
                "allow_owners_edit_all_comment", "allow_owners_via_adminui", "allow_parent_close",
                "allow_users_edit_own_comment", "auto_add_cclist_on_comment", "conflict_warning_enabled",
                "create_users_on_email", "owners_only_comments", "show_new_ticket_attachments",
                "show_new_ticket_comments",
            )
        ),
        Field("alt_email_addr", Queue.alt_email_addr, Kind.TEXT, L.EXTENDED),
        Field("email_user", Queue.email_user, Kind.TEXT, L.EXTENDED),
        Field("archive_interval", Queue.archive_interval, Kind.TEXT, L.EXTENDED),
        Field("purge_interval", Queue.purge_interval, Kind.TEXT, L.EXTENDED),
        Field("pop_server", Queue.pop_server, Kind.TEXT, L.ALL),
        Field("pop_username", Queue.pop_username, Kind.TEXT, L.ALL),
        Field("pop_ssl", flag(Queue.pop_ssl), Kind.INT, L.ALL),
        Field("smtp_server", Queue.smtp_server, Kind.TEXT, L.ALL),
        Field("smtp_port", Queue.smtp_port, Kind.INT, L.ALL),
        Field("smtp_username", Queue.smtp_username, Kind.TEXT, L.ALL),
        Field("default_category_id", Queue.default_category_id, Kind.INT, L.ALL),
        Field("default_impact_id", Queue.default_impact_id, Kind.INT, L.ALL),
        Field("default_priority_id", Queue.default_priority_id, Kind.INT, L.ALL),
        Field("default_status_id", Queue.default_status_id, Kind.INT, L.ALL),
    ),
    subentities=(
        _queue_list("categories", CATEGORY, Category.hd_queue_id),
        _queue_list("priorities", PRIORITY, Priority.hd_queue_id),
        _queue_list("impacts", IMPACT, Impact.hd_queue_id),
        _queue_list("statuses", STATUS, Status.hd_queue_id),
        _queue_list("fields", QUEUE_FIELD, QueueField.hd_queue_id),
    ),
)

PATTERN = _desk(
    name="hd_ticket_template",
    plural="Patterns",
    table=TicketTemplate.__table__,
    id_field="id",
    name_field="name",
    organization_column=TicketTemplate.organization_id,
    aliases=("pattern",),
    fields=(
        Field("id", TicketTemplate.id, Kind.INT, L.LIMITED),
        Field("name", TicketTemplate.name, Kind.TEXT, L.LIMITED, wildcard=True),
        Field("hd_queue_id", TicketTemplate.hd_queue_id, Kind.INT),
        Field("description", TicketTemplate.description, Kind.TEXT, wildcard=True),
        Field("ordinal", TicketTemplate.ordinal, Kind.INT),
        Field("available_for_create", flag(TicketTemplate.available_for_create), Kind.INT),
        Field("created", TicketTemplate.created, Kind.DATETIME, L.EXTENDED),
        Field("modified", TicketTemplate.version, Kind.DATETIME, L.EXTENDED),
    ),
    filter_options={"forcreate": lambda: TicketTemplate.__table__.c.available_for_create.is_(True)},
)

# ---------------------------------------------------------------------------------------- tickets

_related = RelatedTicket.__table__


def _ticket_fields() -> tuple[Field, ...]:
    return (
        Field("id", Ticket.id, Kind.INT, L.LIMITED),
        Field("title", Ticket.title, Kind.TEXT, L.LIMITED, wildcard=True),
        Field("summary", Ticket.summary, Kind.TEXT, wildcard=True),
        Field("modified", Ticket.version, Kind.DATETIME),
        Field("created", Ticket.created, Kind.DATETIME),
        Field("hd_queue_id", Ticket.hd_queue_id, Kind.INT),
        Field("cc_list", Ticket.cc_list, Kind.TEXT, wildcard=True),
        Field("due_date", Ticket.due_date, Kind.DATETIME),
        Field("is_manual_due_date", flag(Ticket.is_manual_due_date), Kind.INT),
        Field("resolution", Ticket.resolution, Kind.TEXT, wildcard=True),
        Field("time_opened", Ticket.time_opened, Kind.DATETIME, L.EXTENDED),
        Field("time_closed", Ticket.time_closed, Kind.DATETIME, L.EXTENDED),
        Field("time_stalled", Ticket.time_stalled, Kind.DATETIME, L.EXTENDED),
        Field("escalated", Ticket.escalated, Kind.DATETIME, L.EXTENDED),
        Field("sat_survey", Ticket.sat_survey, Kind.TEXT, L.EXTENDED),
        Field("approval", Ticket.approval, Kind.TEXT, L.EXTENDED),
        Field("approval_note", Ticket.approval_note, Kind.TEXT, L.EXTENDED),
        *(Field(name, getattr(Ticket, name), Kind.TEXT, L.EXTENDED) for name in CUSTOM_FIELDS),
        Field("hd_status_id", Ticket.hd_status_id, Kind.INT, L.ALL),
        Field("hd_priority_id", Ticket.hd_priority_id, Kind.INT, L.ALL),
        Field("hd_impact_id", Ticket.hd_impact_id, Kind.INT, L.ALL),
        Field("hd_category_id", Ticket.hd_category_id, Kind.INT, L.ALL),
        Field("owner_id", Ticket.owner_id, Kind.INT, L.ALL),
        Field("submitter_id", Ticket.submitter_id, Kind.INT, L.ALL),
        Field("approver_id", Ticket.approver_id, Kind.INT, L.ALL),
        Field("machine_id", Ticket.machine_id, Kind.INT, L.ALL),
        Field("asset_id", Ticket.asset_id, Kind.INT, L.ALL),
        Field("parent_id", Ticket.parent_id, Kind.INT, L.ALL),
        Field("is_parent", flag(Ticket.is_parent), Kind.INT, L.ALL),
        Field("hd_ticket_template_id", Ticket.hd_ticket_template_id, Kind.INT, L.ALL),
        Field("escalation_due", Ticket.escalation_due, Kind.DATETIME, L.ALL),
    )


def _ticket_list(name: str, model: Any, foreign_key: Any, alias: str) -> SubEntity:
    target = {Status: STATUS, Priority: PRIORITY, Impact: IMPACT, Category: CATEGORY, Queue: QUEUE}[model]
    path = ParentRow(Ticket.__table__, Ticket.id, foreign_key)
    return SubEntity(name, lambda: target, path, aliases=(alias,))


TICKET: Entity = _desk(
    name="hd_ticket",
    plural="Tickets",
    table=Ticket.__table__,
    id_field="id",
    name_field="title",
    organization_column=Ticket.organization_id,
    aliases=("ticket",),
    fields=_ticket_fields(),
    # The wildcard reads the trigram index of the ticket's text, not every ticket (decision 0410).
    wildcard_search=lambda positive, value, related: search.wildcard(TICKET.wildcard_fields, positive, value, related),
    subentities=(
        _user_of("owner", Ticket.owner_id, Ticket, Ticket.id, Ticket.organization_id, in_wildcard=True),
        _user_of("submitter", Ticket.submitter_id, Ticket, Ticket.id, Ticket.organization_id, in_wildcard=True),
        _user_of("approver", Ticket.approver_id, Ticket, Ticket.id, Ticket.organization_id),
        _ticket_list("queue", Queue, Ticket.hd_queue_id, "hd_queue"),
        _ticket_list("category", Category, Ticket.hd_category_id, "hd_category"),
        _ticket_list("priority", Priority, Ticket.hd_priority_id, "hd_priority"),
        _ticket_list("status", Status, Ticket.hd_status_id, "hd_status"),
        _ticket_list("impact", Impact, Ticket.hd_impact_id, "hd_impact"),
        SubEntity("machine", lambda: MACHINE,
                  ParentRow(Ticket.__table__, Ticket.id, Ticket.machine_id, organization=Ticket.organization_id)),
        SubEntity("related_tickets", lambda: TICKET,
                  LinkTable(_related, (_related.c.hd_ticket_id), (_related.c.related_ticket_id))),
        SubEntity("referring_tickets", lambda: TICKET,
                  LinkTable(_related, (_related.c.related_ticket_id), (_related.c.hd_ticket_id))),
    ),
)

# ------------------------------------------------------------------------------ changes and work

ATTACHMENT = _desk(
    name="attachment",
    plural="Attachments",
    table=Attachment.__table__,
    id_field="id",
    name_field="file_name",
    organization_column=Attachment.organization_id,
    fields=(
        Field("id", Attachment.id, Kind.INT, L.LIMITED),
        Field("file_name", Attachment.file_name, Kind.TEXT, L.LIMITED, wildcard=True),
        Field("file_size", Attachment.file_size, Kind.INT),
        Field("content_type", Attachment.content_type, Kind.TEXT),
        Field("sha256", Attachment.sha256, Kind.TEXT),
        Field("created", Attachment.created, Kind.DATETIME),
        Field("hd_ticket_change_id", Attachment.hd_ticket_change_id, Kind.INT, L.ALL),
        Field("hd_ticket_id", Attachment.hd_ticket_id, Kind.INT, L.ALL),
    ),
)

CHANGE = _desk(
    name="hd_ticket_change",
    plural="Changes",
    table=TicketChange.__table__,
    id_field="id",
    name_field="description",
    organization_column=TicketChange.organization_id,
    aliases=("change",),
    fields=(
        Field("id", TicketChange.id, Kind.INT, L.LIMITED),
        Field("hd_ticket_id", TicketChange.hd_ticket_id, Kind.INT),
        Field("user_id", TicketChange.user_id, Kind.INT),
        Field("timestamp", TicketChange.timestamp, Kind.DATETIME),
        Field("comment", TicketChange.comment, Kind.TEXT, wildcard=True),
        Field("description", TicketChange.description, Kind.TEXT, L.LIMITED, wildcard=True),
        Field("owners_only", flag(TicketChange.owners_only), Kind.INT),
        Field("resolution_changed", flag(TicketChange.resolution_changed), Kind.INT, L.EXTENDED),
        Field("system_comment", flag(TicketChange.system_comment), Kind.INT, L.EXTENDED),
    ),
    subentities=(
        SubEntity("attachments", lambda: ATTACHMENT, ChildRows(Attachment.hd_ticket_change_id)),
        _user_of("user", TicketChange.user_id, TicketChange, TicketChange.id, TicketChange.organization_id),
    ),
)

WORK = _desk(
    name="hd_work",
    plural="Work",
    table=WorkItem.__table__,
    id_field="id",
    name_field="note",
    organization_column=WorkItem.organization_id,
    aliases=("work",),
    fields=(
        Field("id", WorkItem.id, Kind.INT, L.LIMITED),
        Field("hd_ticket_id", WorkItem.hd_ticket_id, Kind.INT),
        Field("user_id", WorkItem.user_id, Kind.INT),
        Field("note", WorkItem.note, Kind.TEXT, L.LIMITED, wildcard=True),
        Field("start", WorkItem.start, Kind.DATETIME),
        Field("stop", WorkItem.stop, Kind.DATETIME),
        Field("hours_worked", cast(as_column(WorkItem.hours_worked), Float), Kind.NUMBER),
        Field("adjustment_hours", cast(as_column(WorkItem.adjustment_hours), Float), Kind.NUMBER),
        Field("voided_by", WorkItem.voided_by, Kind.INT),
        Field("voided_at", WorkItem.voided_at, Kind.DATETIME),
        Field("created", WorkItem.created, Kind.DATETIME, L.EXTENDED),
    ),
    subentities=(_user_of("user", WorkItem.user_id, WorkItem, WorkItem.id, WorkItem.organization_id),),
)
