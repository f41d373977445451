"""Operating systems a script or a software title is meant for, as administrators name them: a
family (`{"family": "Linux"}`, or the bare name) or one entry of the inventory's operating system
catalog (`{"id": 7}`, answered with its `name`). One reading and one machine condition serve every
domain that asks "does this machine run one of these systems?"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, FromClause, false, func, or_, select
from sqlalchemy.orm import Session

from estate.db.base import MAX_INT
from estate.errors import InvalidInput, NotFound
from estate.inventory.models import Machine, OperatingSystem

FAMILIES = {"windows": "Windows", "mac": "Mac", "macos": "Mac", "linux": "Linux"}


def read_os_types(db: Session, *, organization_id: int, raw: Sequence[Any], field: str) -> list[dict[str, Any]]:
    """The entries as stored and answered: `{"family": ...}` or `{"id": ..., "name": ...}`; a bad
    entry is a 400 and an unknown catalog id a 404, each naming `field[i]`."""
    entries: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        where = f"{field}[{index}]"
        if isinstance(item, str):
            item = {"family": item}
        if not isinstance(item, Mapping) or not item or set(item) - {"family", "id", "name"}:
            raise InvalidInput(f"{where} must be a family name or {{\"family\": ...}} or {{\"id\": ...}}", field=where)
        if "family" in item:
            family = FAMILIES.get(str(item["family"]).strip().lower())
            if family is None:
                raise InvalidInput(f"{where}.family must be Windows, Mac or Linux", field=f"{where}.family")
            entries.append({"family": family})
            continue
        os_id = item.get("id")
        if isinstance(os_id, str) and os_id.strip().isdigit():
            os_id = int(os_id.strip())
        found = (db.scalar(select(OperatingSystem.name).where(OperatingSystem.organization_id == organization_id,
                                                              OperatingSystem.id == os_id))
                 if isinstance(os_id, int) and not isinstance(os_id, bool) and 0 < os_id <= MAX_INT else None)
        if found is None:
            raise NotFound(f"{where}.id: operating system {os_id} not found", field=f"{where}.id")
        entries.append({"id": os_id, "name": found})
    unique = {(entry.get("family"), entry.get("id")): entry for entry in entries}
    return list(unique.values())


def machines_running(entries: Sequence[Mapping[str, Any]], machines: FromClause | None = None) -> ColumnElement[bool]:
    """A condition on machine rows (`machines`: the table or a selection of it): the machine runs a
    system of `entries`. No entries: no machine."""
    columns = (machines if machines is not None else Machine.__table__).c
    families = [entry["family"].lower() for entry in entries if "family" in entry]
    os_ids = [entry["id"] for entry in entries if "id" in entry]
    return or_(func.lower(columns.os_family).in_(families) if families else false(),
               columns.os_id.in_(os_ids) if os_ids else false())
