"""Bringing a batch of machines' links and per-machine rows to what was reported, as a diff:
rows that stay are not touched, only the missing ones are inserted and the gone ones deleted.
Each function costs one SELECT, at most one INSERT and one DELETE for the whole batch."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Delete, Insert, Select, Table, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from estate.db.base import chunks, driver_tuples


# Statements are built once per table: building and cache-keying them costs more than running them.
@cache
def _delete_by_id(table: Table) -> Delete:
    return delete(table).where(table.c.id.in_(bindparam("ids", expanding=True)))


@cache
def _insert(table: Table) -> Insert:
    return insert(table)


@cache
def _rows_of_machines(table: Table, columns: tuple[str, ...]) -> Select[Any]:
    return select(table.c.machine_id, table.c.id, *(table.c[name] for name in columns)).where(
        table.c.machine_id.in_(bindparam("machine_ids", expanding=True))
    )


def _current(db: Session, table: Table, columns: tuple[str, ...], machine_ids: list[int]) -> Iterator[Sequence[Any]]:
    connection = db.connection()
    for part in chunks(machine_ids):
        yield from connection.execute(_rows_of_machines(table, columns), {"machine_ids": list(part)}).all()


def _write(db: Session, table: Table, added: list[dict[str, Any]], removed: list[int]) -> None:
    connection = db.connection()
    for part in chunks(removed):
        connection.execute(_delete_by_id(table), {"ids": list(part)})
    for part in chunks(added):
        connection.execute(_insert(table), list(part))


@dataclass
class Linked:
    """What a batch's machines link to now: machine → item → link id, and item id by its key."""

    by_machine: dict[int, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    ids_by_key: dict[str, int] = field(default_factory=dict)


@cache
def _links_with_keys(link: Table, item_column: str, catalog: Table, key_column: str) -> Select[Any]:
    return (
        select(link.c.machine_id, link.c.id, link.c[item_column], catalog.c[key_column])
        .join(catalog, catalog.c.id == link.c[item_column])
        .where(link.c.machine_id.in_(bindparam("machine_ids", expanding=True)))
    )


def current_links(
    db: Session, link: Any, item_column: str, catalog: Any, key_column: str, machine_ids: list[int]
) -> Linked:
    """One query for both what the diff needs and most of the catalog ids a re-inventory names:
    a machine mostly reports what it reported last time."""
    linked = Linked()
    statement = _links_with_keys(link.__table__, item_column, catalog.__table__, key_column)
    connection = db.connection()
    for part in chunks(machine_ids):
        rows = driver_tuples(connection.execute(statement, {"machine_ids": list(part)}))  # integers and text
        for machine_id, link_id, item_id, key in rows:
            linked.by_machine[machine_id][item_id] = link_id
            linked.ids_by_key[key] = item_id
    return linked


def sync_links(
    db: Session,
    model: Any,
    item_column: str,
    organization_id: int,
    wanted: Mapping[int, set[int]],
    current: Mapping[int, dict[int, int]],
) -> set[int]:
    """Make each machine's links equal ``wanted[machine_id]``, given its ``current`` links (from
    current_links); returns the machines that changed."""
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
    _write(db, model.__table__, added, removed)
    return changed


def sync_rows(
    db: Session, model: Any, columns: Sequence[str], organization_id: int, wanted: Mapping[int, list[dict[str, Any]]]
) -> set[int]:
    """Per-machine rows (NICs, disks, the location): a row whose values are all unchanged stays,
    the others are replaced. Returns the machines that changed."""
    current: dict[int, list[tuple[int, tuple[Any, ...]]]] = defaultdict(list)
    for row in _current(db, model.__table__, tuple(columns), list(wanted)):
        current[row[0]].append((row[1], tuple(row[2:])))
    added: list[dict[str, Any]] = []
    removed: list[int] = []
    changed: set[int] = set()
    for machine_id, rows in wanted.items():
        pending = Counter(tuple(row.get(name) for name in columns) for row in rows)
        gone = []
        for row_id, stored in current.get(machine_id, []):
            if pending[stored] > 0:
                pending[stored] -= 1
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
    _write(db, model.__table__, added, removed)
    return changed
