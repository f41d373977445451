"""Data quality (analysis.dataquality.read): how many of a profile's attributes each object of
its types has filled, from the objects' entries in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from estate.cmdb import objects
from estate.cmdb.catalog import CATALOG, NORMAL, QualityProfile
from estate.cmdb.models import ENTRIES
from estate.cmdb.values import parsed
from estate.db.base import chunks


@dataclass(frozen=True)
class Quality:
    object: Any  # the object's row (objects.ROW_COLUMNS)
    missing: tuple[str, ...]  # "<category>.<attribute>" not filled
    percent: int


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def assess(db: Session, organization_id: int, profile: QualityProfile) -> list[Quality]:
    """Every live object of the profile's types, in id order, with what it lacks."""
    rows = objects.list_object_rows(db, organization_id, objects.ObjectFilter(
        type_consts=sorted(profile.types), status=NORMAL))
    consts = sorted({CATALOG.categories[category].const for category, _ in profile.attributes})
    filled: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for part in chunks([row.id for row in rows]):
        for object_id, const, raw in db.execute(
                select(ENTRIES.c.object_id, ENTRIES.c.category_const, type_coerce(ENTRIES.c["values"], String))
                .where(ENTRIES.c.organization_id == organization_id, ENTRIES.c.object_id.in_(list(part)),
                       ENTRIES.c.category_const.in_(consts), ENTRIES.c.status == NORMAL)):
            stored = parsed(raw)
            filled[object_id].update((const, key) for key, value in stored.items() if _filled(value))
    found = []
    for row in rows:
        missing = tuple(f"{category}.{key}" for category, key in profile.attributes
                        if (CATALOG.categories[category].const, key) not in filled[row.id])
        total = len(profile.attributes)
        found.append(Quality(row, missing, round(100 * (total - len(missing)) / total) if total else 100))
    return found
