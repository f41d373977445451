"""Query-engine declarations of the service desk: what `/api/service_desk` lists may be filtered,
sorted and shaped by, named as the reference's Definitions name them (hd_ticket, hd_queue, ...).

Sub-entities the appliance answers with more than id and name at the `limited` level (a ticket's
submitter, priority, status, impact) declare those fields at Level.LIMITED."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, FromClause, Integer, Select, and_, cast, select

from estate.accounts.models import Account, OrganizationAccount
from estate.inventory.models import Machine
from estate.query import ChildRows, Entity, Field, Kind, LinkTable, ParentRow, Style, SubEntity
from estate.query.declare import BASE_ID
from estate.query.declare import Level as L  # noqa: N817 - the levels read as a column of the tables below
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


@dataclass(frozen=True)
class OrgParentRow:
    """Many-to-one into rows that are not the base's own (accounts, machines): the join also
    requires the related row to be of the base row's organization."""

    base_table: FromClause
    base_id: Any
    foreign_key: Any
    base_organization: Any

    def exists(self, base_id: ColumnElement[int], target: Entity, condition: ColumnElement[bool]) -> Any:
        # The related rows matching `condition` (which holds the organization wall) are found once,
        # not probed per base row: the wildcard searches owners and submitters of every ticket.
        # The null test keeps a negated filter true for tickets without one.
        matching = select(target.id_column).where(condition)
        return and_(self.foreign_key.is_not(None), self.foreign_key.in_(matching))

    def base_ids(self, target: Entity, condition: ColumnElement[bool]) -> Select[Any]:
        matching = select(target.id_column).where(condition)
        return select(self.base_id).where(self.foreign_key.in_(matching))

    def load(self, target: Entity, columns: list[ColumnElement[Any]], base_ids: list[int]) -> Select[Any]:
        joined = self.base_table.join(
            target.table,
            and_(self.foreign_key == target.id_column, self.base_organization == target.organization_column),
        )
        return select(self.base_id.label(BASE_ID), *columns).select_from(joined).where(self.base_id.in_(base_ids))


class ListRow(ParentRow):
    """Many-to-one into a queue's list (status, priority, ...): a filter on the list is the ticket
    column being one of the few matching list ids, which the (organization, column) indexes answer,
    rather than a lookup of the list row for every ticket."""

    def exists(self, base_id: ColumnElement[int], target: Entity, condition: ColumnElement[bool]) -> Any:
        return self.foreign_key.in_(select(target.id_column).where(condition))


def field(name: str, column: Any, kind: Kind = Kind.TEXT, level: L = L.STANDARD, *, wildcard: bool = False) -> Field:
    """A declared field; `column` is a mapped attribute or a SQL expression over one."""
    return Field(name, column, kind, level, wildcard=wildcard)


def core(value: Any) -> Any:
    """A mapped attribute where the engine's declarations are typed for a table column, or a path
    of our own where they name theirs: the same SQL, and duck-typed alike."""
    return value


def flag(column: Any) -> Any:
    """Booleans answer as 0/1, as the appliance's integer flags do."""
    return cast(column, Integer)


# ----------------------------------------------------------------------------------------- people

_members = (
    select(
        Account.id.label("id"),
        OrganizationAccount.organization_id.label("organization_id"),
        Account.login.label("user_name"),
        Account.email.label("email"),
        Account.full_name.label("full_name"),
        Account.job_title.label("job_title"),
        Account.work_phone.label("work_phone"),
        Account.mobile_phone.label("mobile_phone"),
        OrganizationAccount.location_id.label("location_id"),
    )
    .join(OrganizationAccount, OrganizationAccount.account_id == Account.id)
    .subquery("hd_users")
)

USER = Entity(
    name="user",
    plural="Users",
    table=_members,
    id_field="id",
    name_field="user_name",
    organization_column=core(_members.c.organization_id),
    style=Style.NATIVE,
    fields=(
        field("id", _members.c.id, Kind.INT, L.LIMITED),
        field("user_name", _members.c.user_name, Kind.TEXT, L.LIMITED, wildcard=True),
        field("email", _members.c.email, Kind.TEXT, L.LIMITED, wildcard=True),
        field("full_name", _members.c.full_name, Kind.TEXT, L.LIMITED, wildcard=True),
        field("job_title", _members.c.job_title, Kind.TEXT, L.STANDARD),
        field("work_phone", _members.c.work_phone, Kind.TEXT, L.STANDARD),
        field("mobile_phone", _members.c.mobile_phone, Kind.TEXT, L.STANDARD),
        field("location_id", _members.c.location_id, Kind.INT, L.ALL),
    ),
)


def _user_of(name: str, foreign_key: Any, table: Any, base_id: Any, base_org: Any,
             *, in_wildcard: bool = False) -> SubEntity:
    path = OrgParentRow(table.__table__, base_id, foreign_key, base_org)
    return SubEntity(name, lambda: USER, core(path), in_wildcard=in_wildcard)


MACHINE = Entity(
    name="machine",
    plural="Machines",
    table=Machine.__table__,
    id_field="id",
    name_field="name",
    organization_column=core(Machine.organization_id),
    style=Style.NATIVE,
    fields=(
        field("id", Machine.id, Kind.INT, L.LIMITED),
        field("name", Machine.name, Kind.TEXT, L.LIMITED, wildcard=True),
        field("user", Machine.user, Kind.TEXT, L.STANDARD),
    ),
)

# ---------------------------------------------------------------------------------- queue lists


def _list_entity(
    name: str, plural: str, model: Any, limited: tuple[Field, ...], more: tuple[Field, ...] = ()
) -> Entity:
    return Entity(
        name=name,
        plural=plural,
        table=model.__table__,
        id_field="id",
        name_field="name",
        organization_column=core(model.organization_id),
        style=Style.NATIVE,
        fields=(
            field("id", model.id, Kind.INT, L.LIMITED),
            field("name", model.name, Kind.TEXT, L.LIMITED, wildcard=True),
            *limited,
            *more,
            field("hd_queue_id", model.hd_queue_id, Kind.INT, L.ALL),
        ),
    )


STATUS = _list_entity(
    "hd_status", "Statuses", Status,
    (field("ordinal", Status.ordinal, Kind.INT, L.LIMITED), field("state", Status.state, Kind.TEXT, L.LIMITED)),
)
PRIORITY = _list_entity(
    "hd_priority", "Priorities", Priority,
    (
        field("ordinal", Priority.ordinal, Kind.INT, L.LIMITED),
        field("color", Priority.color, Kind.TEXT, L.LIMITED),
        field("is_sla_enabled", flag(Priority.is_sla_enabled), Kind.INT, L.LIMITED),
    ),
    (
        field("escalation_minutes", Priority.escalation_minutes, Kind.INT),
        field("resolution_due_date_minutes", Priority.resolution_due_date_minutes, Kind.INT),
        field("sla_notification_recurrence_minutes", Priority.sla_notification_recurrence_minutes, Kind.INT),
        field("use_business_hours_for_escalation", flag(Priority.use_business_hours_for_escalation), Kind.INT),
        field("use_business_hours_for_sla", flag(Priority.use_business_hours_for_sla), Kind.INT),
    ),
)
IMPACT = _list_entity("hd_impact", "Impacts", Impact, (field("ordinal", Impact.ordinal, Kind.INT, L.LIMITED),))
CATEGORY = _list_entity(
    "hd_category", "Categories", Category, (),
    (
        field("ordinal", Category.ordinal, Kind.INT),
        field("cc_list", Category.cc_list, Kind.TEXT),
        field("default_owner_id", Category.default_owner_id, Kind.INT),
        field("user_settable", flag(Category.user_settable), Kind.INT),
    ),
)
QUEUE_FIELD = Entity(
    name="hd_queue_field",
    plural="Fields",
    table=QueueField.__table__,
    id_field="id",
    name_field="name",
    organization_column=core(QueueField.organization_id),
    style=Style.NATIVE,
    fields=(
        field("id", QueueField.id, Kind.INT, L.LIMITED),
        field("hd_queue_id", QueueField.hd_queue_id, Kind.INT),
        field("name", QueueField.name, Kind.TEXT, L.LIMITED),
        field("hd_ticket_field_name", QueueField.hd_ticket_field_name, Kind.TEXT),
        field("jsonKey", QueueField.json_key, Kind.TEXT),
        field("ordinal", QueueField.ordinal, Kind.INT),
        field("required_state", QueueField.required_state, Kind.TEXT),
        field("field_label", QueueField.field_label, Kind.TEXT),
        field("visible", QueueField.visible, Kind.TEXT),
    ),
)


def _queue_list(name: str, target: Entity, key: Any) -> SubEntity:
    return SubEntity(name, lambda: target, ChildRows(core(key)))


QUEUE = Entity(
    name="hd_queue",
    plural="Queues",
    table=Queue.__table__,
    id_field="id",
    name_field="name",
    organization_column=core(Queue.organization_id),
    style=Style.NATIVE,
    aliases=("queue",),
    fields=(
        field("id", Queue.id, Kind.INT, L.LIMITED),
        field("name", Queue.name, Kind.TEXT, L.LIMITED, wildcard=True),
        *(
            field(column, flag(getattr(Queue, column)), Kind.INT)
            for column in (
                "allow_all_approvers", "allow_all_users", "allow_delete", "allow_manager_comment_via_userui",
                "allow_owners_edit_all_comment", "allow_owners_via_adminui", "allow_parent_close",
                "allow_users_edit_own_comment", "auto_add_cclist_on_comment", "conflict_warning_enabled",
                "create_users_on_email", "owners_only_comments", "show_new_ticket_attachments",
                "show_new_ticket_comments",
            )
        ),
        field("alt_email_addr", Queue.alt_email_addr, Kind.TEXT, L.EXTENDED),
        field("email_user", Queue.email_user, Kind.TEXT, L.EXTENDED),
        field("archive_interval", Queue.archive_interval, Kind.TEXT, L.EXTENDED),
        field("purge_interval", Queue.purge_interval, Kind.TEXT, L.EXTENDED),
        field("pop_server", Queue.pop_server, Kind.TEXT, L.ALL),
        field("pop_username", Queue.pop_username, Kind.TEXT, L.ALL),
        field("pop_ssl", flag(Queue.pop_ssl), Kind.INT, L.ALL),
        field("smtp_server", Queue.smtp_server, Kind.TEXT, L.ALL),
        field("smtp_port", Queue.smtp_port, Kind.INT, L.ALL),
        field("smtp_username", Queue.smtp_username, Kind.TEXT, L.ALL),
        field("default_category_id", Queue.default_category_id, Kind.INT, L.ALL),
        field("default_impact_id", Queue.default_impact_id, Kind.INT, L.ALL),
        field("default_priority_id", Queue.default_priority_id, Kind.INT, L.ALL),
        field("default_status_id", Queue.default_status_id, Kind.INT, L.ALL),
    ),
    subentities=(
        _queue_list("categories", CATEGORY, Category.hd_queue_id),
        _queue_list("priorities", PRIORITY, Priority.hd_queue_id),
        _queue_list("impacts", IMPACT, Impact.hd_queue_id),
        _queue_list("statuses", STATUS, Status.hd_queue_id),
        _queue_list("fields", QUEUE_FIELD, QueueField.hd_queue_id),
    ),
)

PATTERN = Entity(
    name="hd_ticket_template",
    plural="Patterns",
    table=TicketTemplate.__table__,
    id_field="id",
    name_field="name",
    organization_column=core(TicketTemplate.organization_id),
    style=Style.NATIVE,
    aliases=("pattern",),
    fields=(
        field("id", TicketTemplate.id, Kind.INT, L.LIMITED),
        field("name", TicketTemplate.name, Kind.TEXT, L.LIMITED, wildcard=True),
        field("hd_queue_id", TicketTemplate.hd_queue_id, Kind.INT),
        field("description", TicketTemplate.description, Kind.TEXT, wildcard=True),
        field("ordinal", TicketTemplate.ordinal, Kind.INT),
        field("available_for_create", flag(TicketTemplate.available_for_create), Kind.INT),
        field("created", TicketTemplate.created, Kind.DATETIME, L.EXTENDED),
        field("modified", TicketTemplate.version, Kind.DATETIME, L.EXTENDED),
    ),
    filter_options={"forcreate": lambda: TicketTemplate.available_for_create.is_(True)},
)

# ---------------------------------------------------------------------------------------- tickets

_related = RelatedTicket.__table__


def _ticket_fields() -> tuple[Field, ...]:
    return (
        field("id", Ticket.id, Kind.INT, L.LIMITED),
        field("title", Ticket.title, Kind.TEXT, L.LIMITED, wildcard=True),
        field("summary", Ticket.summary, Kind.TEXT, wildcard=True),
        field("modified", Ticket.version, Kind.DATETIME),
        field("created", Ticket.created, Kind.DATETIME),
        field("hd_queue_id", Ticket.hd_queue_id, Kind.INT),
        field("cc_list", Ticket.cc_list, Kind.TEXT, wildcard=True),
        field("due_date", Ticket.due_date, Kind.DATETIME),
        field("is_manual_due_date", flag(Ticket.is_manual_due_date), Kind.INT),
        field("resolution", Ticket.resolution, Kind.TEXT, wildcard=True),
        field("time_opened", Ticket.time_opened, Kind.DATETIME, L.EXTENDED),
        field("time_closed", Ticket.time_closed, Kind.DATETIME, L.EXTENDED),
        field("time_stalled", Ticket.time_stalled, Kind.DATETIME, L.EXTENDED),
        field("escalated", Ticket.escalated, Kind.DATETIME, L.EXTENDED),
        field("sat_survey", Ticket.sat_survey, Kind.TEXT, L.EXTENDED),
        field("approval", Ticket.approval, Kind.TEXT, L.EXTENDED),
        field("approval_note", Ticket.approval_note, Kind.TEXT, L.EXTENDED),
        *(field(name, getattr(Ticket, name), Kind.TEXT, L.EXTENDED) for name in CUSTOM_FIELDS),
        field("hd_status_id", Ticket.hd_status_id, Kind.INT, L.ALL),
        field("hd_priority_id", Ticket.hd_priority_id, Kind.INT, L.ALL),
        field("hd_impact_id", Ticket.hd_impact_id, Kind.INT, L.ALL),
        field("hd_category_id", Ticket.hd_category_id, Kind.INT, L.ALL),
        field("owner_id", Ticket.owner_id, Kind.INT, L.ALL),
        field("submitter_id", Ticket.submitter_id, Kind.INT, L.ALL),
        field("approver_id", Ticket.approver_id, Kind.INT, L.ALL),
        field("machine_id", Ticket.machine_id, Kind.INT, L.ALL),
        field("asset_id", Ticket.asset_id, Kind.INT, L.ALL),
        field("parent_id", Ticket.parent_id, Kind.INT, L.ALL),
        field("is_parent", flag(Ticket.is_parent), Kind.INT, L.ALL),
        field("hd_ticket_template_id", Ticket.hd_ticket_template_id, Kind.INT, L.ALL),
        field("escalation_due", Ticket.escalation_due, Kind.DATETIME, L.ALL),
    )


def _ticket_list(name: str, model: Any, foreign_key: Any, alias: str) -> SubEntity:
    target = {Status: STATUS, Priority: PRIORITY, Impact: IMPACT, Category: CATEGORY, Queue: QUEUE}[model]
    path = ListRow(Ticket.__table__, core(Ticket.id), core(foreign_key))
    return SubEntity(name, lambda: target, path, aliases=(alias,))


TICKET: Entity = Entity(
    name="hd_ticket",
    plural="Tickets",
    table=Ticket.__table__,
    id_field="id",
    name_field="title",
    organization_column=core(Ticket.organization_id),
    style=Style.NATIVE,
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
                  core(OrgParentRow(Ticket.__table__, Ticket.id, Ticket.machine_id, Ticket.organization_id))),
        SubEntity("related_tickets", lambda: TICKET,
                  LinkTable(_related, core(_related.c.hd_ticket_id), core(_related.c.related_ticket_id))),
        SubEntity("referring_tickets", lambda: TICKET,
                  LinkTable(_related, core(_related.c.related_ticket_id), core(_related.c.hd_ticket_id))),
    ),
)

# ------------------------------------------------------------------------------ changes and work

ATTACHMENT = Entity(
    name="attachment",
    plural="Attachments",
    table=Attachment.__table__,
    id_field="id",
    name_field="file_name",
    organization_column=core(Attachment.organization_id),
    style=Style.NATIVE,
    fields=(
        field("id", Attachment.id, Kind.INT, L.LIMITED),
        field("file_name", Attachment.file_name, Kind.TEXT, L.LIMITED, wildcard=True),
        field("file_size", Attachment.file_size, Kind.INT),
        field("content_type", Attachment.content_type, Kind.TEXT),
        field("sha256", Attachment.sha256, Kind.TEXT),
        field("created", Attachment.created, Kind.DATETIME),
        field("hd_ticket_change_id", Attachment.hd_ticket_change_id, Kind.INT, L.ALL),
        field("hd_ticket_id", Attachment.hd_ticket_id, Kind.INT, L.ALL),
    ),
)

CHANGE = Entity(
    name="hd_ticket_change",
    plural="Changes",
    table=TicketChange.__table__,
    id_field="id",
    name_field="description",
    organization_column=core(TicketChange.organization_id),
    style=Style.NATIVE,
    aliases=("change",),
    fields=(
        field("id", TicketChange.id, Kind.INT, L.LIMITED),
        field("hd_ticket_id", TicketChange.hd_ticket_id, Kind.INT),
        field("user_id", TicketChange.user_id, Kind.INT),
        field("timestamp", TicketChange.timestamp, Kind.DATETIME),
        field("comment", TicketChange.comment, Kind.TEXT, wildcard=True),
        field("description", TicketChange.description, Kind.TEXT, L.LIMITED, wildcard=True),
        field("owners_only", flag(TicketChange.owners_only), Kind.INT),
        field("resolution_changed", flag(TicketChange.resolution_changed), Kind.INT, L.EXTENDED),
        field("system_comment", flag(TicketChange.system_comment), Kind.INT, L.EXTENDED),
    ),
    subentities=(
        SubEntity("attachments", lambda: ATTACHMENT, ChildRows(core(Attachment.hd_ticket_change_id))),
        _user_of("user", TicketChange.user_id, TicketChange, TicketChange.id, TicketChange.organization_id),
    ),
)

WORK = Entity(
    name="hd_work",
    plural="Work",
    table=WorkItem.__table__,
    id_field="id",
    name_field="note",
    organization_column=core(WorkItem.organization_id),
    style=Style.NATIVE,
    aliases=("work",),
    fields=(
        field("id", WorkItem.id, Kind.INT, L.LIMITED),
        field("hd_ticket_id", WorkItem.hd_ticket_id, Kind.INT),
        field("user_id", WorkItem.user_id, Kind.INT),
        field("note", WorkItem.note, Kind.TEXT, L.LIMITED, wildcard=True),
        field("start", WorkItem.start, Kind.DATETIME),
        field("stop", WorkItem.stop, Kind.DATETIME),
        field("hours_worked", cast(WorkItem.hours_worked, Float), Kind.NUMBER),
        field("adjustment_hours", cast(WorkItem.adjustment_hours, Float), Kind.NUMBER),
        field("voided_by", WorkItem.voided_by, Kind.INT),
        field("voided_at", WorkItem.voided_at, Kind.DATETIME),
        field("created", WorkItem.created, Kind.DATETIME, L.EXTENDED),
    ),
    subentities=(_user_of("user", WorkItem.user_id, WorkItem, WorkItem.id, WorkItem.organization_id),),
)
