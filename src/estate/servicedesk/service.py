"""The service desk's rules: who sees which tickets, what a write does, how service levels run.

Ticket values arrive here keyed by ticket column (``hd_status_id``, ``owner_id``, ``custom_3`` ...)
plus ``related_ticket_ids``; the faces translate their protocols to that."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, delete, exists, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from estate.accounts.models import Account, OrganizationAccount
from estate.auth.permissions import Caller
from estate.cmdb import objects
from estate.cmdb.catalog import NORMAL
from estate.db.base import utcnow
from estate.errors import Conflict, Forbidden, InvalidInput, NotFound
from estate.inventory.models import Machine
from estate.orgs.models import Organization
from estate.servicedesk import storage
from estate.servicedesk.business_hours import WorkWeek, add_minutes
from estate.servicedesk.models import (
    CLOSED,
    CUSTOM_FIELDS,
    OPENED,
    STALLED,
    Attachment,
    BusinessHours,
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
from estate.servicedesk.seeds import create_queue as stock_queue

AREA = "servicedesk"
MAX_ATTACHMENTS_PER_CHANGE = 5

TEXT_FIELDS = ("title", "summary", "resolution", "cc_list", "sat_survey", "approval", "approval_note", *CUSTOM_FIELDS)
LIST_FIELDS: dict[str, type] = {
    "hd_status_id": Status,
    "hd_priority_id": Priority,
    "hd_impact_id": Impact,
    "hd_category_id": Category,
}
USER_FIELDS = ("owner_id", "submitter_id", "approver_id")
OTHER_FIELDS = ("machine_id", "asset_id", "due_date", "is_manual_due_date", "parent_id", "hd_ticket_template_id")
TICKET_FIELDS = frozenset((*TEXT_FIELDS, *LIST_FIELDS, *USER_FIELDS, *OTHER_FIELDS, "related_ticket_ids"))
# What only the people working a queue may set; submitters describe their problem, staff run it.
STAFF_FIELDS = frozenset(
    ("owner_id", "submitter_id", "approver_id", "due_date", "is_manual_due_date", "resolution", "parent_id",
     "related_ticket_ids", "approval", "approval_note")
)

# Labels for change descriptions when the queue has no field of its own for a column.
LABELS = {
    "title": "Title", "summary": "Description", "resolution": "Resolution", "cc_list": "CC",
    "hd_status_id": "Status", "hd_priority_id": "Priority", "hd_impact_id": "Impact",
    "hd_category_id": "Category", "owner_id": "Owner", "submitter_id": "Submitter",
    "approver_id": "Approver", "machine_id": "Machine", "asset_id": "Asset", "due_date": "Due",
    "is_manual_due_date": "Manual due date", "hd_queue_id": "Queue", "related_ticket_ids": "See Also",
    "hd_ticket_template_id": "Process", "parent_id": "Parent", "sat_survey": "Satisfaction survey",
    "approval": "Approval", "approval_note": "Approval note",
}


@dataclass
class Comment:
    text: str = ""
    owners_only: bool = False
    attachments: list[storage.StoredFile] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.text.strip() and not self.attachments


# ---------------------------------------------------------------------------------------- access

def is_staff(caller: Caller) -> bool:
    """Staff see every ticket of the organization; everyone else sees the tickets they submitted."""
    return caller.sees_all_data


def require_write(caller: Caller) -> None:
    caller.require(AREA, "write")


def require_staff_write(caller: Caller, what: str) -> None:
    require_write(caller)
    if not is_staff(caller):
        raise Forbidden(f"only service desk staff may {what}")


def queue_scope(caller: Caller) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Queue.organization_id == caller.organization_id]
    if not is_staff(caller):
        conditions.append(Queue.allow_all_users.is_(True))
    return conditions


def ticket_scope(caller: Caller) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Ticket.organization_id == caller.organization_id]
    if not is_staff(caller):
        conditions.append(Ticket.submitter_id == caller.account_id)
    return conditions


def change_scope(caller: Caller) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [TicketChange.organization_id == caller.organization_id]
    if not is_staff(caller):
        conditions.append(TicketChange.owners_only.is_(False))
    return conditions


def get_queue(db: Session, caller: Caller, queue_id: int, *, field: str = "id") -> Queue:
    caller.require(AREA)
    queue = db.scalar(select(Queue).where(Queue.id == queue_id, *queue_scope(caller)))
    if queue is None:
        raise NotFound(f"queue {queue_id} not found", field=field)
    return queue


def get_ticket(db: Session, caller: Caller, ticket_id: int, *, field: str = "id") -> Ticket:
    caller.require(AREA)
    ticket = db.scalar(select(Ticket).where(Ticket.id == ticket_id, *ticket_scope(caller)))
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found", field=field)
    return ticket


def get_pattern(db: Session, queue: Queue, pattern_id: int, *, field: str = "patternID") -> TicketTemplate:
    pattern = db.get(TicketTemplate, pattern_id)
    if pattern is None or pattern.hd_queue_id != queue.id or pattern.organization_id != queue.organization_id:
        raise NotFound(f"ticket template {pattern_id} not found in queue {queue.id}", field=field)
    return pattern


def get_change(db: Session, caller: Caller, ticket: Ticket, change_id: int) -> TicketChange:
    change = db.scalar(
        select(TicketChange).where(TicketChange.id == change_id, TicketChange.hd_ticket_id == ticket.id,
                                   *change_scope(caller))
    )
    if change is None:
        raise NotFound(f"change {change_id} not found on ticket {ticket.id}", field="changeID")
    return change


def get_attachment(db: Session, caller: Caller, change: TicketChange, attachment_id: int) -> Attachment:
    attachment = db.get(Attachment, attachment_id)
    if attachment is None or attachment.hd_ticket_change_id != change.id:
        raise NotFound(f"attachment {attachment_id} not found on change {change.id}", field="attachmentID")
    return attachment


def get_work(db: Session, ticket: Ticket, work_id: int) -> WorkItem:
    work = db.get(WorkItem, work_id)
    if work is None or work.hd_ticket_id != ticket.id:
        raise NotFound(f"work item {work_id} not found on ticket {ticket.id}", field="workID")
    return work


# ------------------------------------------------------------------------------------- validation

def _queue_of(db: Session, ticket: Ticket) -> Queue:
    queue = db.get(Queue, ticket.hd_queue_id)
    if queue is None:
        raise NotFound(f"queue {ticket.hd_queue_id} not found", field="hd_queue_id")
    return queue


def _status_of(db: Session, ticket: Ticket) -> Status:
    status = db.get(Status, ticket.hd_status_id)
    if status is None:
        raise NotFound(f"status {ticket.hd_status_id} not found", field="hd_status_id")
    return status


def _queue_row(db: Session, model: type, row_id: int, queue: Queue, field: str) -> Any:
    row = db.get(model, row_id)
    if row is None or row.organization_id != queue.organization_id:
        raise NotFound(f"{field} {row_id} not found", field=field)
    if row.hd_queue_id != queue.id:
        raise InvalidInput(f"{field} {row_id} belongs to another queue than {queue.id}", field=field)
    return row


def check_member(db: Session, organization_id: int, account_id: int, field: str) -> None:
    member = db.scalar(
        select(OrganizationAccount.id).where(
            OrganizationAccount.organization_id == organization_id, OrganizationAccount.account_id == account_id
        )
    )
    if member is None:
        raise NotFound(f"user {account_id} not found", field=field)


def _check_machine(db: Session, organization_id: int, machine_id: int) -> None:
    found = db.scalar(select(Machine.id).where(Machine.id == machine_id, Machine.organization_id == organization_id))
    if found is None:
        raise NotFound(f"machine {machine_id} not found", field="machine")


def _check_asset(db: Session, organization_id: int, asset_id: int) -> None:
    """An asset is a CMDB object of the organization (decision 0500); a new reference names a live one."""
    asset = objects.find(db, organization_id, asset_id)
    if asset is None or asset.status != NORMAL:
        raise NotFound(f"asset {asset_id} not found", field="asset")


def _check_ticket_ids(db: Session, caller: Caller, ids: list[int], field: str) -> None:
    found = set(db.scalars(select(Ticket.id).where(Ticket.id.in_(ids), *ticket_scope(caller))))
    missing = sorted(set(ids) - found)
    if missing:
        raise NotFound(f"ticket(s) {', '.join(map(str, missing))} not found", field=field)


def _check_values(db: Session, caller: Caller, queue: Queue, values: dict[str, Any]) -> None:
    unknown = set(values) - TICKET_FIELDS
    if unknown:
        raise InvalidInput(f"unknown ticket field(s) {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    if not is_staff(caller):
        for name in sorted(STAFF_FIELDS & values.keys()):
            if name == "submitter_id" and values[name] == caller.account_id:
                continue
            raise Forbidden(f"only service desk staff may set {name}", field=name)
    for name, model in LIST_FIELDS.items():
        if values.get(name) is not None:
            _queue_row(db, model, values[name], queue, name)
    if values.get("hd_status_id", 0) is None:
        raise InvalidInput("a ticket needs a status", field="hd_status_id")
    for name in USER_FIELDS:
        if values.get(name) is not None:
            check_member(db, caller.organization_id, values[name], name)
    if values.get("machine_id") is not None:
        _check_machine(db, caller.organization_id, values["machine_id"])
    if values.get("asset_id") is not None:
        _check_asset(db, caller.organization_id, values["asset_id"])
    if values.get("hd_ticket_template_id") is not None:
        get_pattern(db, queue, values["hd_ticket_template_id"], field="hd_ticket_template_id")
    if values.get("parent_id") is not None:
        _check_ticket_ids(db, caller, [values["parent_id"]], "parent_id")
    if values.get("related_ticket_ids"):
        _check_ticket_ids(db, caller, values["related_ticket_ids"], "related_tickets")
    for name in TEXT_FIELDS:
        if name in values and values[name] is None:
            values[name] = ""
        limit = getattr(Ticket.__table__.c[name].type, "length", None)
        if name in values and limit is not None and len(values[name]) > limit:
            raise InvalidInput(f"{name} is longer than {limit} characters", field=name)


# ----------------------------------------------------------------------------------- service level

def work_week(db: Session, organization_id: int) -> WorkWeek | None:
    hours = db.scalar(select(BusinessHours).where(BusinessHours.organization_id == organization_id))
    if hours is None:
        return None
    zone = db.scalar(select(Organization.time_zone).where(Organization.id == organization_id)) or "UTC"
    return WorkWeek.of(hours.work_days, hours.start_minute, hours.end_minute, zone)


def sla_due_date(db: Session, priority: Priority | None, start: datetime) -> datetime | None:
    """When a ticket of this priority is due: its resolution minutes after ``start``, counted in
    business hours when the priority says so. No SLA, no due date."""
    if priority is None or not priority.is_sla_enabled or priority.resolution_due_date_minutes <= 0:
        return None
    week = work_week(db, priority.organization_id) if priority.use_business_hours_for_sla else None
    return add_minutes(start, priority.resolution_due_date_minutes, week)


def escalation_due(db: Session, priority: Priority | None, start: datetime) -> datetime | None:
    if priority is None or priority.escalation_minutes <= 0:
        return None
    week = work_week(db, priority.organization_id) if priority.use_business_hours_for_escalation else None
    return add_minutes(start, priority.escalation_minutes, week)


def _overdue(organization_id: int | InstrumentedAttribute[int], now: datetime) -> list[ColumnElement[bool]]:
    open_statuses = select(Status.id).where(Status.organization_id == organization_id, Status.state != CLOSED)
    return [
        Ticket.organization_id == organization_id,
        Ticket.escalated.is_(None),
        or_(Ticket.due_date < now, Ticket.escalation_due < now),
        Ticket.hd_status_id.in_(open_statuses),
    ]


def organizations_with_overdue_tickets(db: Session, *, now: datetime) -> list[int]:
    """The organizations that have open tickets past their due date or escalation time and not
    marked yet; one read, each organization's check walking its own indexes."""
    query = select(Organization.id).where(exists().where(*_overdue(Organization.id, now))).order_by(Organization.id)
    return list(db.scalars(query))


def mark_escalations(db: Session, *, organization_id: int, now: datetime | None = None) -> None:
    """Mark open tickets that passed their due date or escalation time. Checked before the update so
    that a check finding nothing writes nothing. Writes mark the ticket they write at once; the
    server marks the others on a timer (estate.jobs, docs/decisions/0010)."""
    now = now or utcnow()
    if db.scalar(select(exists().where(*_overdue(organization_id, now)))):
        db.execute(
            update(Ticket).where(*_overdue(organization_id, now)).values(escalated=now)
            .execution_options(synchronize_session=False)
        )


def _enter_status(ticket: Ticket, status: Status, now: datetime) -> None:
    """Record when the ticket entered the state of its status."""
    if status.state == OPENED:
        ticket.time_opened = ticket.time_opened or now
        ticket.time_closed = None
    elif status.state == CLOSED:
        ticket.time_closed = now
    elif status.state == STALLED:
        ticket.time_stalled = now
        ticket.time_closed = None


def _refresh_service_level(db: Session, ticket: Ticket, status: Status, now: datetime, priority_changed: bool) -> None:
    priority = db.get(Priority, ticket.hd_priority_id) if ticket.hd_priority_id else None
    if priority_changed and not ticket.is_manual_due_date:
        ticket.due_date = sla_due_date(db, priority, ticket.created or now)
    # Every change re-arms escalation.
    ticket.escalation_due = escalation_due(db, priority, now)
    overdue = status.state != CLOSED and (
        (ticket.due_date is not None and ticket.due_date <= now)
        or (ticket.escalation_due is not None and ticket.escalation_due <= now)
    )
    if overdue and ticket.escalated is None:
        ticket.escalated = now
    elif not overdue:
        ticket.escalated = None


# ----------------------------------------------------------------------------------- descriptions

def _labels(db: Session, queue_id: int) -> dict[str, str]:
    rows = db.execute(
        select(QueueField.hd_ticket_field_name, QueueField.field_label).where(QueueField.hd_queue_id == queue_id)
    )
    return {**LABELS, **{name: label for name, label in rows if name}}


def _display(db: Session, name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in LIST_FIELDS or name == "hd_queue_id":
        model = LIST_FIELDS.get(name, Queue)
        row = db.get(model, value)
        return row.name if row is not None else str(value)
    if name in USER_FIELDS:
        account = db.get(Account, value)
        return (account.full_name or account.login) if account is not None else str(value)
    if name == "hd_ticket_template_id":
        pattern = db.get(TicketTemplate, value)
        return pattern.name if pattern is not None else str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def describe(db: Session, queue_id: int, changes: dict[str, tuple[Any, Any]]) -> str:
    labels = _labels(db, queue_id)
    lines = []
    for name, (old, new) in changes.items():
        label = labels.get(name, name)
        lines.append(f'Changed ticket {label} from "{_display(db, name, old)}" to "{_display(db, name, new)}".')
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ writes

def _related_ids(db: Session, ticket_id: int) -> list[int]:
    return sorted(db.scalars(select(RelatedTicket.related_ticket_id).where(RelatedTicket.hd_ticket_id == ticket_id)))


def _set_related(db: Session, ticket: Ticket, ids: list[int]) -> tuple[list[int], list[int]] | None:
    old = _related_ids(db, ticket.id)
    new = sorted(set(ids) - {ticket.id})
    if old == new:
        return None
    db.execute(delete(RelatedTicket).where(RelatedTicket.hd_ticket_id == ticket.id))
    for related_id in new:
        db.add(RelatedTicket(organization_id=ticket.organization_id, hd_ticket_id=ticket.id,
                             related_ticket_id=related_id))
    return old, new


def _record_change(
    db: Session, ticket: Ticket, caller: Caller, *, description: str, comment: Comment | None, now: datetime,
    resolution_changed: bool = False,
) -> TicketChange:
    change = TicketChange(
        organization_id=ticket.organization_id,
        hd_ticket_id=ticket.id,
        user_id=caller.account_id,
        timestamp=now,
        comment=(comment.text if comment else "") or "",
        description=description,
        owners_only=bool(comment and comment.owners_only),
        resolution_changed=resolution_changed,
    )
    db.add(change)
    db.flush()
    for stored in comment.attachments if comment else []:
        db.add(Attachment(
            organization_id=ticket.organization_id, hd_ticket_id=ticket.id, hd_ticket_change_id=change.id,
            file_name=stored.file_name, content_type=stored.content_type, file_size=stored.size,
            sha256=stored.sha256, storage_key=stored.storage_key, created=now,
        ))
    return change


def _check_comment(caller: Caller, comment: Comment | None) -> None:
    if comment is None:
        return
    if comment.owners_only and not is_staff(caller):
        raise Forbidden("only service desk staff may write owners-only comments", field="owners_only")
    if len(comment.attachments) > MAX_ATTACHMENTS_PER_CHANGE:
        raise InvalidInput(f"at most {MAX_ATTACHMENTS_PER_CHANGE} attachments per change", field="attachmentSet")


def _defaults(db: Session, caller: Caller, queue: Queue, values: dict[str, Any]) -> dict[str, Any]:
    merged = {
        "hd_status_id": queue.default_status_id,
        "hd_priority_id": queue.default_priority_id,
        "hd_impact_id": queue.default_impact_id,
        "hd_category_id": queue.default_category_id,
        "submitter_id": caller.account_id,
        **{name: value for name, value in values.items() if value is not None or name in USER_FIELDS},
    }
    category = db.get(Category, merged["hd_category_id"]) if merged.get("hd_category_id") else None
    if category is not None:
        if "owner_id" not in values and category.default_owner_id:
            merged["owner_id"] = category.default_owner_id
        if not values.get("cc_list") and category.cc_list:
            merged["cc_list"] = category.cc_list
    if values.get("due_date") is not None:
        merged["is_manual_due_date"] = True
    return merged


def create_ticket(
    db: Session, *, caller: Caller, queue_id: int | None, values: dict[str, Any], comment: Comment | None = None,
    now: datetime | None = None,
) -> Ticket:
    require_write(caller)
    if queue_id is None:
        raise InvalidInput("hd_queue_id is required", field="hd_queue_id")
    queue = get_queue(db, caller, queue_id, field="hd_queue_id")
    _check_comment(caller, comment)
    # An empty list value on a new ticket means the queue's default.
    values = {name: value for name, value in values.items() if not (name in LIST_FIELDS and value is None)}
    _check_values(db, caller, queue, values)
    now = now or utcnow()
    related = values.pop("related_ticket_ids", None) or []
    merged = _defaults(db, caller, queue, values)
    if not merged.get("hd_status_id"):
        raise InvalidInput(f"queue {queue.id} has no default status", field="hd_status_id")
    ticket = Ticket(organization_id=caller.organization_id, hd_queue_id=queue.id, created=now, version=now, **merged)
    status = _status_of(db, ticket)
    # Everything is set before the row is added, so that it is written with one INSERT.
    _enter_status(ticket, status, now)
    _refresh_service_level(db, ticket, status, now, priority_changed=True)
    db.add(ticket)
    db.flush()
    if related:
        _set_related(db, ticket, related)
    _record_change(db, ticket, caller, description="Ticket Created", comment=comment, now=now)
    return ticket


def _apply(db: Session, ticket: Ticket, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    changes: dict[str, tuple[Any, Any]] = {}
    for name, new in values.items():
        if name == "related_ticket_ids":
            continue
        old = getattr(ticket, name)
        if old != new:
            changes[name] = (old, new)
            setattr(ticket, name, new)
    if "related_ticket_ids" in values:
        related = _set_related(db, ticket, values["related_ticket_ids"] or [])
        if related:
            changes["related_ticket_ids"] = related
    return changes


def update_ticket(
    db: Session, *, caller: Caller, ticket: Ticket, values: dict[str, Any], comment: Comment | None = None,
    now: datetime | None = None,
) -> TicketChange | None:
    """Apply field values and a comment; one ticket change records both. Nothing changed, nothing
    recorded."""
    require_write(caller)
    queue = _queue_of(db, ticket)
    _check_comment(caller, comment)
    values = dict(values)
    if "due_date" in values and "is_manual_due_date" not in values:
        values["is_manual_due_date"] = values["due_date"] is not None
    _check_values(db, caller, queue, values)
    now = now or utcnow()
    # One UPDATE for the whole write: the lookups below must not flush the ticket half-changed.
    with db.no_autoflush:
        changes = _apply(db, ticket, values)
        if not changes and (comment is None or comment.is_empty):
            return None
        status = _status_of(db, ticket)
        if "hd_status_id" in changes:
            _enter_status(ticket, status, now)
        priority_changed = "hd_priority_id" in changes or (
            "is_manual_due_date" in changes and not ticket.is_manual_due_date
        )
        _refresh_service_level(db, ticket, status, now, priority_changed=priority_changed)
        ticket.version = now
        description = describe(db, queue.id, changes)
    return _record_change(db, ticket, caller, description=description, comment=comment, now=now,
                          resolution_changed="resolution" in changes)


def delete_ticket(db: Session, *, caller: Caller, ticket: Ticket, data_dir: Path) -> None:
    require_staff_write(caller, "delete tickets")
    queue = db.get(Queue, ticket.hd_queue_id)
    if queue is not None and not queue.allow_delete:
        raise Forbidden(f"queue {queue.id} does not allow deleting tickets")
    keys = list(db.scalars(select(Attachment.storage_key).where(Attachment.hd_ticket_id == ticket.id)))
    storage.remove_after_commit(db, data_dir, keys)
    db.execute(update(Ticket).where(Ticket.parent_id == ticket.id).values(parent_id=None)
               .execution_options(synchronize_session=False))
    db.execute(delete(Attachment).where(Attachment.hd_ticket_id == ticket.id))
    db.execute(delete(TicketChange).where(TicketChange.hd_ticket_id == ticket.id))
    db.execute(delete(WorkItem).where(WorkItem.hd_ticket_id == ticket.id))
    db.execute(delete(RelatedTicket).where(
        or_(RelatedTicket.hd_ticket_id == ticket.id, RelatedTicket.related_ticket_id == ticket.id)))
    db.delete(ticket)
    db.flush()


# A queue's list: its statuses, priorities, impacts or categories.
ListRow = TypeVar("ListRow", Status, Priority, Impact, Category)


def _same_name_in(
    db: Session, model: type[ListRow], current_id: int | None, queue: Queue, default_id: int | None
) -> int | None:
    current = db.get(model, current_id) if current_id else None
    if current is not None:
        match = db.scalar(select(model.id).where(model.hd_queue_id == queue.id, model.name == current.name))
        if match is not None:
            return match
    return default_id


def move_to_queue(db: Session, *, caller: Caller, ticket: Ticket, queue_id: int, now: datetime | None = None) -> None:
    """Move a ticket; its status, priority, impact and category become the target queue's entries of
    the same name, or the target's defaults."""
    require_staff_write(caller, "move tickets between queues")
    target = get_queue(db, caller, queue_id, field="queueID")
    if target.id == ticket.hd_queue_id:
        return
    values: dict[str, Any] = {
        "hd_queue_id": target.id,
        "hd_status_id": _same_name_in(db, Status, ticket.hd_status_id, target, target.default_status_id),
        "hd_priority_id": _same_name_in(db, Priority, ticket.hd_priority_id, target, target.default_priority_id),
        "hd_impact_id": _same_name_in(db, Impact, ticket.hd_impact_id, target, target.default_impact_id),
        "hd_category_id": _same_name_in(db, Category, ticket.hd_category_id, target, target.default_category_id),
        "hd_ticket_template_id": None,
    }
    if values["hd_status_id"] is None:
        raise InvalidInput(f"queue {target.id} has no status for the ticket", field="queueID")
    now = now or utcnow()
    old_queue = ticket.hd_queue_id
    changes = _apply(db, ticket, values)
    status = _status_of(db, ticket)
    if "hd_status_id" in changes:
        _enter_status(ticket, status, now)
    _refresh_service_level(db, ticket, status, now, priority_changed="hd_priority_id" in changes)
    ticket.version = now
    # Names of the old entries are looked up while the old queue's rows still answer.
    description = describe(db, old_queue, changes)
    _record_change(db, ticket, caller, description=description, comment=None, now=now)


def switch_pattern(
    db: Session, *, caller: Caller, ticket: Ticket, pattern_id: int, now: datetime | None = None
) -> None:
    """Put the ticket under another template of its queue; the template fills the fields it sets
    that the ticket leaves empty."""
    require_staff_write(caller, "change a ticket's template")
    queue = _queue_of(db, ticket)
    pattern = get_pattern(db, queue, pattern_id)
    values: dict[str, Any] = {"hd_ticket_template_id": pattern.id}
    for name, value in pattern_fill(ticket_values(db, ticket), pattern).items():
        values[name] = value
    update_ticket(db, caller=caller, ticket=ticket, values=values, now=now)


def ticket_values(db: Session, ticket: Ticket) -> dict[str, Any]:
    values = {name: getattr(ticket, name) for name in TICKET_FIELDS if name != "related_ticket_ids"}
    values["hd_queue_id"] = ticket.hd_queue_id
    return values


def pattern_fill(values: dict[str, Any], pattern: TicketTemplate) -> dict[str, Any]:
    """The template's values for the fields that ``values`` leaves empty."""
    return {
        name: value for name, value in (pattern.values or {}).items()
        if name in TICKET_FIELDS and values.get(name) in (None, "")
    }


def clone_values(db: Session, *, caller: Caller, ticket: Ticket) -> dict[str, Any]:
    """A new ticket's starting values copied from ``ticket``; nothing is written."""
    values = ticket_values(db, ticket)
    queue = _queue_of(db, ticket)
    for name in ("due_date", "is_manual_due_date", "resolution", "sat_survey", "approval", "approval_note"):
        values.pop(name, None)
    values["hd_status_id"] = queue.default_status_id
    values["submitter_id"] = caller.account_id if not is_staff(caller) else ticket.submitter_id
    values["related_ticket_ids"] = _related_ids(db, ticket.id)
    return values


def template_values(db: Session, *, caller: Caller, queue: Queue, pattern_id: int | None) -> dict[str, Any]:
    """What a new ticket of this queue starts with, optionally through one of its templates."""
    values: dict[str, Any] = {name: "" for name in TEXT_FIELDS}
    values.update(
        hd_queue_id=queue.id, hd_status_id=queue.default_status_id, hd_priority_id=queue.default_priority_id,
        hd_impact_id=queue.default_impact_id, hd_category_id=queue.default_category_id,
        submitter_id=caller.account_id, owner_id=None, approver_id=None, machine_id=None, asset_id=None,
        due_date=None, hd_ticket_template_id=None,
    )
    if pattern_id is not None:
        pattern = get_pattern(db, queue, pattern_id, field="pattern")
        values.update(pattern_fill(values, pattern))
        values["hd_ticket_template_id"] = pattern.id
    return values


def set_owners_only(db: Session, *, caller: Caller, ticket: Ticket, change_id: int, owners_only: bool) -> None:
    require_staff_write(caller, "change who sees a comment")
    change = get_change(db, caller, ticket, change_id)
    change.owners_only = owners_only


# -------------------------------------------------------------------------------------------- work

def add_work(db: Session, *, caller: Caller, ticket: Ticket, values: dict[str, Any]) -> WorkItem:
    require_staff_write(caller, "log work")
    start, stop = values.get("start"), values.get("stop")
    if start and stop and stop < start:
        raise InvalidInput("stop is before start", field="stop")
    hours = values.get("hours_worked")
    if hours is None:
        hours = Decimal(round((stop - start).total_seconds() / 3600, 2)) if start and stop else Decimal("0")
    if hours < 0:
        raise InvalidInput("hours_worked must not be negative", field="hours_worked")
    work = WorkItem(
        organization_id=ticket.organization_id, hd_ticket_id=ticket.id, user_id=caller.account_id,
        start=start, stop=stop, hours_worked=hours, adjustment_hours=values.get("adjustment_hours") or Decimal("0"),
        note=values.get("note") or "",
    )
    db.add(work)
    db.flush()
    return work


def void_work(db: Session, *, caller: Caller, ticket: Ticket, work_id: int) -> None:
    """Work is voided, not erased: the record of who voided it stays."""
    require_staff_write(caller, "void work")
    work = get_work(db, ticket, work_id)
    if work.voided_by is not None or work.voided_at is not None:
        raise Conflict(f"work item {work_id} is already voided", field="workID")
    work.voided_by = caller.account_id
    work.voided_at = utcnow()


# ---------------------------------------------------------------------------------------- settings

def configure_priority(db: Session, *, organization_id: int, priority_id: int, **values: Any) -> Priority:
    priority = db.get(Priority, priority_id)
    if priority is None or priority.organization_id != organization_id:
        raise NotFound(f"priority {priority_id} not found", field="priority")
    for name, value in values.items():
        if not hasattr(Priority, name) or name in ("id", "organization_id", "hd_queue_id"):
            raise InvalidInput(f"unknown priority field {name}", field=name)
        setattr(priority, name, value)
    return priority


def set_business_hours(
    db: Session, *, organization_id: int, work_days: str, start_minute: int, end_minute: int
) -> BusinessHours:
    if not set(work_days) <= set("1234567"):
        raise InvalidInput("work_days are ISO weekday digits 1-7", field="work_days")
    if not 0 <= start_minute < end_minute <= 24 * 60:
        raise InvalidInput("business hours must start before they end, within a day", field="start_minute")
    hours = db.scalar(select(BusinessHours).where(BusinessHours.organization_id == organization_id))
    if hours is None:
        hours = BusinessHours(organization_id=organization_id)
        db.add(hours)
    hours.work_days, hours.start_minute, hours.end_minute = work_days, start_minute, end_minute
    return hours



def create_queue(db: Session, *, organization_id: int, name: str, allow_all_users: bool = True) -> Queue:
    """A queue with the appliance's stock lists; names are unique within the organization."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name is required", field="name")
    if db.scalar(select(Queue.id).where(Queue.organization_id == organization_id, Queue.name == name)):
        raise Conflict(f"a queue named {name!r} exists", field="name")
    queue = stock_queue(db, organization_id, name)
    queue.allow_all_users = allow_all_users
    return queue


def create_pattern(
    db: Session, *, organization_id: int, queue_id: int, name: str, values: dict[str, Any],
    description: str = "", available_for_create: bool = True,
) -> TicketTemplate:
    queue = db.get(Queue, queue_id)
    if queue is None or queue.organization_id != organization_id:
        raise NotFound(f"queue {queue_id} not found", field="hd_queue_id")
    unknown = set(values) - TICKET_FIELDS
    if unknown:
        raise InvalidInput(f"unknown ticket field(s) {', '.join(sorted(unknown))}", field="values")
    pattern = TicketTemplate(organization_id=organization_id, hd_queue_id=queue.id, name=name,
                             description=description, available_for_create=available_for_create, values=values)
    db.add(pattern)
    db.flush()
    return pattern
