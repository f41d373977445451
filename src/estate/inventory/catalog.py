"""Shared rows found or created in bulk: catalog entries (software, processes, ...) and labels.

One SELECT per table and batch finds the rows that exist; the missing ones go in with one
INSERT that skips rows a concurrent transaction inserted meanwhile (ON CONFLICT DO NOTHING on the
unique key), and one more SELECT picks up those. No unique-violation ever reaches the request."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Insert, Select, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from estate.db.base import chunks, utcnow
from estate.inventory.models import CatalogItem


def identity_key(model: type[CatalogItem], values: Mapping[str, Any]) -> str:
    """A digest of the identifying fields: one short indexed column instead of a wide unique key."""
    return _digest(tuple(values.get(name) for name in model.IDENTITY))


@lru_cache(maxsize=65536)  # the same titles arrive from every machine of a fleet
def _digest(values: tuple[Any, ...]) -> str:
    text = "\x1f".join("" if value is None else str(value) for value in values)
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def insert_skipping_conflicts(db: Session, model: Any, unique: Sequence[str]) -> Insert:
    dialect = db.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model.__table__).on_conflict_do_nothing(index_elements=list(unique))


def uniform_rows(model: Any, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """An executemany needs the same keys in every row: absent ones get the column default."""
    keys = set().union(*(row.keys() for row in rows)) if rows else set()
    defaults = {}
    for name in keys:
        column = model.__table__.columns[name]
        default = column.default.arg if column.default is not None and column.default.is_scalar else None
        defaults[name] = default
    return [{**defaults, **row} for row in rows]


@cache
def _lookup(table: Table, key_column: str) -> Select[Any]:
    """Built once: statements are rebuilt and re-keyed for the cache on every call otherwise."""
    column = table.c[key_column]
    return select(column, table.c.id).where(
        table.c.organization_id == bindparam("organization_id"), column.in_(bindparam("keys", expanding=True))
    )


def _existing(db: Session, model: Any, organization_id: int, key_column: str, keys: Sequence[str]) -> dict[str, int]:
    statement = _lookup(model.__table__, key_column)
    connection = db.connection()
    found: dict[str, int] = {}
    for part in chunks(keys):
        found.update(connection.execute(statement, {"organization_id": organization_id, "keys": list(part)}).all())
    return found


def find_or_create(
    db: Session, model: Any, organization_id: int, items: Mapping[str, Mapping[str, Any]], *, key_column: str
) -> dict[str, int]:
    """Ids of the rows whose ``key_column`` is each key of ``items``; missing rows are created with
    the item's values."""
    keys = list(items)
    ids = _existing(db, model, organization_id, key_column, keys)
    # Sorted, so that concurrent transactions take the unique-index locks in the same order.
    missing = sorted(key for key in keys if key not in ids)
    if not missing:
        return ids
    now = utcnow()
    stamps = {"created": now, "modified": now} if hasattr(model, "created") else {}
    rows = uniform_rows(
        model,
        [{**items[key], **stamps, key_column: key, "organization_id": organization_id} for key in missing],
    )
    statement = insert_skipping_conflicts(db, model, ("organization_id", key_column))
    for part in chunks(rows):
        db.connection().execute(statement, list(part))
    ids.update(_existing(db, model, organization_id, key_column, missing))
    return ids
