"""Recording changes. Every write to organizations, accounts, locations and roles calls ``record``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from estate.history.models import History, HistoryDetail

CREATE, UPDATE, DELETE = 1, 2, 3


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kind(value: Any) -> str:
    return "datetime" if isinstance(value, datetime) else "string"


def record(
    db: Session,
    *,
    organization_id: int,
    account_id: int | None,
    action: int,
    entity_name: str,
    entity_id: int | None,
    changes: dict[str, tuple[Any, Any]] | None = None,
    parent: tuple[str, int] | None = None,
) -> History:
    entry = History(
        organization_id=organization_id,
        account_id=account_id,
        action=action,
        entity_name=entity_name,
        entity_id=entity_id,
        parent_entity_name=parent[0] if parent else None,
        parent_entity_id=parent[1] if parent else None,
    )
    db.add(entry)
    db.flush()
    for name, (old, new) in (changes or {}).items():
        db.add(
            HistoryDetail(
                history_id=entry.id,
                property_name=name,
                kind=_kind(new if new is not None else old),
                old_value=_as_text(old),
                new_value=_as_text(new),
            )
        )
    return entry


def diff(row: object, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Apply ``values`` to ``row`` and return what actually changed, as old → new."""
    changes: dict[str, tuple[Any, Any]] = {}
    for name, new in values.items():
        old = getattr(row, name)
        if old != new:
            changes[name] = (old, new)
            setattr(row, name, new)
    return changes
