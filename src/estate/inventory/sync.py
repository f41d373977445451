"""Bringing a batch of machines' links and per-machine rows to what was reported, as a diff:
rows that stay are not touched, only the missing ones are inserted and the gone ones deleted.
Each function costs one SELECT, at most one INSERT and one DELETE for the whole batch."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from estate.inventory.catalog import chunks


def _delete_ids(db: Session, model: Any, ids: list[int]) -> None:
    for part in chunks(ids):
        db.execute(delete(model).where(model.id.in_(part)))


def sync_links(
    db: Session, model: Any, item_column: str, organization_id: int, wanted: Mapping[int, set[int]]
) -> set[int]:
    """Make each machine's links equal ``wanted[machine_id]``; returns the machines that changed."""
    item = getattr(model, item_column)
    current: dict[int, dict[int, int]] = defaultdict(dict)
    for part in chunks(list(wanted)):
        statement = select(model.machine_id, item, model.id).where(model.machine_id.in_(part))
        for machine_id, item_id, link_id in db.execute(statement):
            current[machine_id][item_id] = link_id
    added: list[dict[str, int]] = []
    removed: list[int] = []
    changed: set[int] = set()
    for machine_id, items in wanted.items():
        have = current.get(machine_id, {})
        new = [
            {"organization_id": organization_id, "machine_id": machine_id, item_column: item_id}
            for item_id in items - have.keys()
        ]
        gone = [link_id for item_id, link_id in have.items() if item_id not in items]
        if new or gone:
            changed.add(machine_id)
        added += new
        removed += gone
    _delete_ids(db, model, removed)
    for part in chunks(added):
        db.execute(insert(model), list(part))
    return changed


def sync_rows(
    db: Session, model: Any, columns: Sequence[str], organization_id: int, wanted: Mapping[int, list[dict[str, Any]]]
) -> set[int]:
    """Per-machine rows (NICs, disks, the location): a row whose values are all unchanged stays,
    the others are replaced. Returns the machines that changed."""
    selected = [getattr(model, name) for name in columns]
    current: dict[int, list[tuple[int, tuple[Any, ...]]]] = defaultdict(list)
    for part in chunks(list(wanted)):
        statement = select(model.machine_id, model.id, *selected).where(model.machine_id.in_(part))
        for machine_id, row_id, *values in db.execute(statement):
            current[machine_id].append((row_id, tuple(values)))
    added: list[dict[str, Any]] = []
    removed: list[int] = []
    changed: set[int] = set()
    for machine_id, rows in wanted.items():
        pending = Counter(tuple(row.get(name) for name in columns) for row in rows)
        gone = []
        for row_id, values in current.get(machine_id, []):
            if pending[values] > 0:
                pending[values] -= 1
            else:
                gone.append(row_id)
        new = [
            {**dict(zip(columns, values, strict=True)), "organization_id": organization_id, "machine_id": machine_id}
            for values, count in pending.items()
            for _ in range(count)
        ]
        if new or gone:
            changed.add(machine_id)
        added += new
        removed += gone
    _delete_ids(db, model, removed)
    for part in chunks(added):
        db.execute(insert(model), list(part))
    return changed
