"""What a new organization's service desk starts with: the appliance's default queue and stock lists.

The lists, their order and their states are the ones a fresh 10.2 appliance answers with (as
recorded by a public KACE integration's test data: demisto/content, Packs/QuestKace)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy.orm import Session

from estate.orgs.models import Organization
from estate.orgs.service import register_seed
from estate.servicedesk.models import (
    CLOSED,
    OPENED,
    STALLED,
    BusinessHours,
    Category,
    Impact,
    Priority,
    Queue,
    QueueField,
    Status,
)

DEFAULT_QUEUE_NAME = "The K1000 Service Desk"

# Inserted in this order, so that the first organization's ids match the appliance's.
CATEGORIES = ("Network", "Other", "Hardware", "Software")
# name, ordinal, color
PRIORITIES = (("Medium", 1, ""), ("High", 0, "red"), ("Low", 2, ""))
# name, ordinal
IMPACTS = (
    ("1 person cannot work", 2),
    ("Many people cannot work", 0),
    ("1 person inconvenienced", 3),
    ("Many people inconvenienced", 1),
)
# name, ordinal, state
STATUSES = (
    ("Opened", 1, OPENED),
    ("Closed", 7, CLOSED),
    ("Need More Info", 3, STALLED),
    ("New", 0, STALLED),
    ("Reopened", 2, OPENED),
    ("Waiting Overdue", 6, OPENED),
    ("Waiting on Customer", 4, STALLED),
    ("Waiting on Third Party", 5, STALLED),
)
DEFAULTS = {"status": "New", "priority": "Medium", "category": "Other", "impact": "1 person cannot work"}

# jsonKey, column (NAME), ticket field, type, label, required, visible
FIELDS = (
    ("title", "TITLE", "title", "text", "Title", "all", "usercreate"),
    ("related_tickets", "RELATED_TICKET_IDS", "related_tickets", "ticket_array", "See Also", "none", "userhidden"),
    ("summary", "SUMMARY", "summary", "text", "Description", "none", "usercreate"),
    ("referring_tickets", "", "", "ticket_array", "Referrers", "none", "userhidden"),
    ("impact", "HD_IMPACT_ID", "hd_impact_id", "impact", "Impact", "none", "usercreate"),
    ("category", "HD_CATEGORY_ID", "hd_category_id", "category", "Category", "none", "usercreate"),
    ("status", "HD_STATUS_ID", "hd_status_id", "status", "Status", "none", "uservisible"),
    ("priority", "HD_PRIORITY_ID", "hd_priority_id", "priority", "Priority", "none", "uservisible"),
    ("owner", "OWNER_ID", "owner_id", "user", "Owner", "none", "uservisible"),
    ("cc_list", "CC_LIST", "cc_list", "text", "CC", "none", "usercreate"),
    ("due_date", "DUE_DATE", "due_date", "date", "Due", "none", "uservisible"),
    ("machine", "MACHINE_ID", "machine_id", "machine", "Machine", "none", "usercreate"),
    ("submitter", "SUBMITTER_ID", "submitter_id", "user", "Submitter", "none", "uservisible"),
    ("resolution", "RESOLUTION", "resolution", "text", "Resolution", "none", "uservisible"),
    ("sat_survey", "SAT_SURVEY", "sat_survey", "text",
     "Please tell us about your recent help desk experience", "none", "usercreate"),
)


def create_queue(db: Session, organization_id: int, name: str) -> Queue:
    """A queue with the stock lists, fields and defaults."""
    queue = Queue(organization_id=organization_id, name=name)
    db.add(queue)
    db.flush()
    scoped = {"organization_id": organization_id, "hd_queue_id": queue.id}
    categories = [Category(name=name, ordinal=n, **scoped) for n, name in enumerate(CATEGORIES)]
    priorities = [Priority(name=name, ordinal=o, color=c, **scoped) for name, o, c in PRIORITIES]
    impacts = [Impact(name=name, ordinal=o, **scoped) for name, o in IMPACTS]
    statuses = [Status(name=name, ordinal=o, state=s, **scoped) for name, o, s in STATUSES]
    fields = [
        QueueField(json_key=key, name=column, hd_ticket_field_name=ticket_field, field_type=kind,
                   field_label=label, required_state=required, visible=visible, ordinal=n, **scoped)
        for n, (key, column, ticket_field, kind, label, required, visible) in enumerate(FIELDS)
    ]
    # Added one by one: executemany would not keep the insertion order of the ids on every backend.
    for row in (*categories, *priorities, *impacts, *statuses, *fields):
        db.add(row)
        db.flush()
    queue.default_status_id = _named(statuses, DEFAULTS["status"]).id
    queue.default_priority_id = _named(priorities, DEFAULTS["priority"]).id
    queue.default_category_id = _named(categories, DEFAULTS["category"]).id
    queue.default_impact_id = _named(impacts, DEFAULTS["impact"]).id
    return queue


ListRow = TypeVar("ListRow", Status, Priority, Impact, Category)


def _named(rows: Sequence[ListRow], name: str) -> ListRow:
    return next(row for row in rows if row.name == name)


@register_seed
def seed_service_desk(db: Session, organization: Organization) -> None:
    create_queue(db, organization.id, DEFAULT_QUEUE_NAME)
    db.add(BusinessHours(organization_id=organization.id))
