"""The CMDB logbook: every write leaves who, when, which object and category, old → new."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from estate.cmdb.models import CmdbObject, LogbookEntry

OBJECT_CREATED = "C__LOGBOOK_EVENT__OBJECT_CREATED"
OBJECT_CHANGED = "C__LOGBOOK_EVENT__OBJECT_CHANGED"
OBJECT_ARCHIVED = "C__LOGBOOK_EVENT__OBJECT_ARCHIVED"
OBJECT_DELETED = "C__LOGBOOK_EVENT__OBJECT_DELETED"
OBJECT_PURGED = "C__LOGBOOK_EVENT__OBJECT_PURGED"
OBJECT_RECYCLED = "C__LOGBOOK_EVENT__OBJECT_RECYCLED"
CATEGORY_CHANGED = "C__LOGBOOK_EVENT__CATEGORY_CHANGED"
CATEGORY_ARCHIVED = "C__LOGBOOK_EVENT__CATEGORY_ARCHIVED"
CATEGORY_DELETED = "C__LOGBOOK_EVENT__CATEGORY_DELETED"
CATEGORY_PURGED = "C__LOGBOOK_EVENT__CATEGORY_PURGED"
CATEGORY_RECYCLED = "C__LOGBOOK_EVENT__CATEGORY_RECYCLED"


@dataclass(frozen=True)
class Actor:
    """Who writes: an account acting through the API, or the API key itself (account_id None)."""

    organization_id: int
    account_id: int | None
    username: str


def changes_between(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        key: {"from": old.get(key), "to": new.get(key)}
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }


def record(
    db: Session,
    actor: Actor,
    obj: CmdbObject,
    event: str,
    *,
    category_const: str | None = None,
    entry_id: int | None = None,
    changes: dict[str, dict[str, Any]] | None = None,
) -> None:
    db.add(
        LogbookEntry(
            organization_id=actor.organization_id,
            object_id=obj.id,
            object_title=obj.title,
            object_status=obj.status,
            category_const=category_const,
            entry_id=entry_id,
            event=event,
            username=actor.username,
            account_id=actor.account_id,
            changes=changes or {},
        )
    )


def read(
    db: Session,
    organization_id: int,
    *,
    entry_id: int | None = None,
    object_id: int | None = None,
    since: datetime | None = None,
    status: int | None = None,
    limit: int = 1000,
) -> list[LogbookEntry]:
    query = select(LogbookEntry).where(LogbookEntry.organization_id == organization_id)
    if entry_id is not None:
        query = query.where(LogbookEntry.id == entry_id)
    if object_id is not None:
        query = query.where(LogbookEntry.object_id == object_id)
    if since is not None:
        query = query.where(LogbookEntry.created >= since)
    if status is not None:
        query = query.where(LogbookEntry.object_status == status)
    return list(db.scalars(query.order_by(LogbookEntry.id.desc()).limit(limit)))


def write_manual(
    db: Session,
    actor: Actor,
    objs: list[CmdbObject],
    *,
    message: str,
    description: str = "",
    comment: str = "",
    source: str = "C__LOGBOOK_SOURCE__USER",
    alert_level: int = 1,
) -> list[LogbookEntry]:
    """Entries a client writes itself (cmdb.logbook.create), one per object."""
    written = []
    for obj in objs:
        entry = LogbookEntry(
            organization_id=actor.organization_id,
            object_id=obj.id,
            object_title=obj.title,
            object_status=obj.status,
            event="C__LOGBOOK_EVENT__MANUAL",
            username=actor.username,
            account_id=actor.account_id,
            changes={},
            message=message,
            description=description,
            comment=comment,
            source=source,
            alert_level=alert_level,
        )
        db.add(entry)
        written.append(entry)
    db.flush()
    return written
