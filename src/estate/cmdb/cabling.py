"""Which connectors a cable object connects: the connector (C__CATG__CONNECTOR ``cable_connection``)
and port (``cable``) entries that name it, the output end first (cmdb.cabling.read)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from estate.cmdb.catalog import CATALOG, NORMAL
from estate.cmdb.models import ENTRIES, OBJECTS
from estate.cmdb.values import parsed

CONNECTOR = "C__CATG__CONNECTOR"
PORT = CATALOG.categories["C__CATG__NETWORK_PORT"].const
# C__CATG__CONNECTOR's In-/Output, as i-doit numbers it.
INPUT, OUTPUT = 1, 2


@dataclass(frozen=True)
class End:
    entry_id: int
    title: str
    category: str
    direction: str  # "Input", "Output" or "" (a port)
    object: Any  # the object's row: id, title, type_const


def _direction(category: str, values: dict[str, Any]) -> str:
    if category != CONNECTOR:
        return ""
    kind = values.get("type")
    return {INPUT: "Input", OUTPUT: "Output"}.get(int(str(kind)) if str(kind).isdigit() else 0, "")


def ends(db: Session, organization_id: int, cable_id: int) -> tuple[End | None, End | None]:
    """(start, end) of the cable: the entries naming it, outputs before inputs, in id order."""
    found = db.execute(
        select(ENTRIES.c.id, ENTRIES.c.category_const, ENTRIES.c["values"], OBJECTS.c.id.label("object_id"),
               OBJECTS.c.title, OBJECTS.c.type_const)
        .join(OBJECTS, OBJECTS.c.id == ENTRIES.c.object_id)
        .where(ENTRIES.c.organization_id == organization_id, ENTRIES.c.status == NORMAL,
               or_((ENTRIES.c.category_const == CONNECTOR) & (ENTRIES.c["values"]["cable_connection"].as_integer()
                                                              == cable_id),
                   (ENTRIES.c.category_const == PORT) & (ENTRIES.c["values"]["cable"].as_integer() == cable_id)))
        .order_by(ENTRIES.c.id)
    ).all()
    listed = []
    for entry_id, category, raw, object_id, title, type_const in found:
        values = parsed(raw)
        row = {"id": object_id, "title": title, "type_const": type_const}
        listed.append(End(entry_id, str(values.get("title") or ""), category, _direction(category, values), row))
    listed.sort(key=lambda end: end.direction != "Output")
    return (listed[0] if listed else None, listed[1] if len(listed) > 1 else None)
