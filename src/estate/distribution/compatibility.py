"""Which machines a managed install is for (decision 0701): a machine is compatible when its
operating system is among the title's supported systems and its inventory does not already show
the title at that version (the same display name, case aside, and the same display version,
whoever the publisher).

The rule is built per managed install from two small reads (the title's supported systems and the
catalog rows of the same title), so that it is a plain condition on machine rows: no subquery per
machine beyond one index probe of its software links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from estate.distribution.models import ManagedInstall, SupportedSystems
from estate.inventory.models import Machine, MachineSoftware, Software
from estate.inventory.os_types import machines_running


def _same_title(row: Any, title: Any) -> tuple[ColumnElement[bool], ...]:
    """`row` (a catalog row) is the title `title` is: same organization, name (case aside), version."""
    return (row.organization_id == title.organization_id,
            func.lower(row.display_name) == func.lower(title.display_name),
            row.display_version.is_not_distinct_from(title.display_version))


def has_title(machine_id: Any, software_id: Any, *also: ColumnElement[bool]) -> ColumnElement[bool]:
    """The machine's inventory shows the title of catalog row `software_id` (values or columns of
    the statement around it; `also`: more conditions inside the same EXISTS)."""
    title, owned = aliased(Software), aliased(Software)
    return exists().where(MachineSoftware.machine_id == machine_id, MachineSoftware.software_id == owned.id,
                          title.id == software_id, *_same_title(owned, title), *also)


@dataclass(frozen=True)
class Title:
    """What compatibility needs to know of a managed install's title."""

    software_id: int
    systems: list[dict[str, Any]]
    catalog_ids: list[int]

    def compatible(self, machines: FromClause | None = None) -> ColumnElement[bool]:
        """Machine rows (`machines`: the table or a selection of it) the managed install is for."""
        columns = (machines if machines is not None else Machine.__table__).c
        if not self.systems:
            return false()
        missing = ~exists().where(MachineSoftware.machine_id == columns.id,
                                  MachineSoftware.software_id.in_(self.catalog_ids))
        return and_(machines_running(self.systems, machines), missing)

    def runs_on(self, machines: FromClause | None = None) -> ColumnElement[bool]:
        return machines_running(self.systems, machines)


def systems_entries(text: str) -> list[dict[str, Any]]:
    """The stored text ("Linux,7") as inventory.os_types entries."""
    return [{"id": int(part)} if part.isdigit() else {"family": part} for part in text.split(",") if part]


def systems_text(entries: Sequence[Mapping[str, Any]]) -> str:
    return ",".join(str(entry.get("family") or entry["id"]) for entry in entries)


def systems_of(db: Session, software_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    rows = db.execute(select(SupportedSystems.software_id, SupportedSystems.systems)
                      .where(SupportedSystems.software_id.in_(list(software_ids))))
    return {software_id: systems_entries(systems) for software_id, systems in rows}


def titles_of(db: Session, software_ids: Sequence[int]) -> dict[int, Title]:
    """The titles of several managed installs in two statements."""
    wanted = list(dict.fromkeys(software_ids))
    if not wanted:
        return {}
    systems = systems_of(db, wanted)
    title = aliased(Software)
    catalog: dict[int, list[int]] = {software_id: [] for software_id in wanted}
    for software_id, catalog_id in db.execute(
            select(title.id, Software.id).join(Software, and_(*_same_title(Software, title)))
            .where(title.id.in_(wanted))):
        catalog[software_id].append(catalog_id)
    return {software_id: Title(software_id, systems.get(software_id, []), catalog[software_id])
            for software_id in wanted}


def title_of(db: Session, managed_install: ManagedInstall) -> Title:
    return titles_of(db, [managed_install.software_id])[managed_install.software_id]


def compatible_with_any(db: Session, *, organization_id: int, machines: FromClause) -> ColumnElement[bool]:
    """Machines some managed install of the organization is for."""
    software_ids = list(db.scalars(select(ManagedInstall.software_id)
                                   .where(ManagedInstall.organization_id == organization_id).distinct()))
    titles = titles_of(db, software_ids)
    return or_(false(), *(title.compatible(machines) for title in titles.values()))
