"""Dashboard: what needs attention (machines not seen for N days, low disks, open and overdue
tickets, and what other areas add), charts of operating systems, ticket states and inventory
freshness, and the organization's recent changes. Each panel is its own request (htmx), so the
page and each panel stay fast on a large fleet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from sqlalchemy import ColumnElement, func, select

from estate.cmdb import logbook
from estate.db.base import utcnow
from estate.history import service as history
from estate.history.models import History
from estate.inventory.entities import MACHINE
from estate.query import Scope
from estate.servicedesk.entities import TICKET
from estate.servicedesk.models import Status, Ticket
from estate.web import scopes
from estate.web.console import Console, Page
from estate.web.lists import count_where
from estate.web.registry import area

router = area("dashboard", title="Dashboard", path="/", right=None, order=0)

LOW_DISK_PERCENT = 90
STALE_DAYS = 7


@dataclass(frozen=True)
class Attention:
    """A count that needs attention, linking to the list of what it counts."""

    label: str
    value: int
    link: str


# Other areas add their own counts (failed script runs, failed installs) by appending a function
# of the page to this list; each returns None when its caller may not read it.
ATTENTION: list[Callable[[Console, int], Attention | None]] = []


def _stamp(days: int) -> str:
    return (utcnow() - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


def _machines(page: Console, label: str, query: str) -> Attention | None:
    if not page.can("inventory"):
        return None
    value = count_where(page.db, MACHINE, query, scope=scopes.machines(page.caller))
    return Attention(label, value, f"/machines?{urlencode({'q': query})}")


def _tickets(page: Console, label: str, query: str, state: str) -> Attention | None:
    if not page.can("servicedesk"):
        return None
    value = count_where(page.db, TICKET, query, scope=scopes.tickets(page.caller))
    return Attention(label, value, f"/tickets?state={state}")


def _stale_machines(page: Console, days: int) -> Attention | None:
    return _machines(page, f"Machines not seen for {days} days", f"last_inventory lt {_stamp(days)}")


def _low_disks(page: Console, days: int) -> Attention | None:
    return _machines(page, f"Machines with a disk {LOW_DISK_PERCENT} % full",
                     f"machine_disks.percent_used ge {LOW_DISK_PERCENT}")


def _open_tickets(page: Console, days: int) -> Attention | None:
    return _tickets(page, "Open tickets", "status.state ne closed", "open")


def _overdue_tickets(page: Console, days: int) -> Attention | None:
    return _tickets(page, "Overdue tickets", f"status.state ne closed,due_date lt {_stamp(0)}", "overdue")


ATTENTION.extend([_stale_machines, _low_disks, _open_tickets, _overdue_tickets])


@router.get("/")
def dashboard(page: Page, days: int = STALE_DAYS) -> HTMLResponse:
    return page.render("dashboard/page.html", days=max(days, 1), page_title="Dashboard")


@router.get("/dashboard/attention")
def attention(page: Page, days: int = STALE_DAYS) -> HTMLResponse:
    days = max(days, 1)
    counts = [found for item in ATTENTION if (found := item(page, days)) is not None]
    return page.render("dashboard/attention.html", counts=counts)


def _visible(scope: Scope) -> list[ColumnElement[bool]]:
    return [scope.visible] if scope.visible is not None else []


def _bars(rows: list[tuple[str, int]]) -> list[tuple[str, int, float]]:
    top = max((value for _, value in rows), default=0) or 1
    return [(label, value, 100.0 * value / top) for label, value in rows]


def _machine_walls(page: Console) -> list[ColumnElement[bool]]:
    """The caller's machines, as the inventory's scope walls them (standard users: their own)."""
    page.caller.require("inventory")
    scope = scopes.machines(page.caller)
    return [MACHINE.table.c.organization_id == scope.organization_id, *_visible(scope)]


@router.get("/dashboard/operating-systems")
def operating_systems(page: Page) -> HTMLResponse:
    walls = _machine_walls(page)
    machines = MACHINE.table.c
    rows = page.db.execute(
        select(func.coalesce(machines.os_name, "(unknown)"), func.count())
        .where(*walls).group_by(machines.os_name).order_by(func.count().desc()).limit(10)
    ).all()
    return page.render("dashboard/bars.html", title="Operating systems", bars=_bars([(r[0], r[1]) for r in rows]),
                       link=lambda label: "/machines?" + urlencode({"q": f"os_name eq {label}"}))


# Ages of the last inventory, in days: each machine counts in one bucket.
FRESHNESS = (("within a day", 0, 1), ("1 to 7 days", 1, 7), ("7 to 30 days", 7, 30), ("longer ago", 30, None))


@router.get("/dashboard/freshness")
def freshness(page: Page) -> HTMLResponse:
    """One count per bucket, each a range of the (organization, last inventory) index."""
    walls = _machine_walls(page)
    seen = MACHINE.table.c.last_inventory
    now = utcnow()

    def counted(*conditions: ColumnElement[bool]) -> Any:
        return select(func.count()).where(*walls, *conditions).scalar_subquery()

    buckets = [counted(*_age(seen, now, newest, oldest)) for _, newest, oldest in FRESHNESS]
    values = page.db.execute(select(*buckets, counted(seen.is_(None)))).one()
    labels = [label for label, _, _ in FRESHNESS] + ["never"]
    return page.render("dashboard/bars.html", title="Inventory freshness",
                       bars=_bars(list(zip(labels, values, strict=True))), link=None)


def _age(seen: Any, now: datetime, newest: int, oldest: int | None) -> list[ColumnElement[bool]]:
    """Inventoried between `oldest` and `newest` days ago (no lower bound: any time before)."""
    conditions = [seen < now - timedelta(days=newest)] if newest else [seen.is_not(None)]
    if oldest is not None:
        conditions.append(seen >= now - timedelta(days=oldest))
    return conditions


@router.get("/dashboard/ticket-states")
def ticket_states(page: Page) -> HTMLResponse:
    page.caller.require("servicedesk")
    scope = scopes.tickets(page.caller)
    rows = page.db.execute(
        select(Status.name, func.count())
        .join(Ticket, Ticket.hd_status_id == Status.id)
        .where(Ticket.organization_id == scope.organization_id, *_visible(scope))
        .group_by(Status.name).order_by(func.count().desc()).limit(10)
    ).all()
    return page.render("dashboard/bars.html", title="Ticket states", bars=_bars([(r[0], r[1]) for r in rows]),
                       link=None)


@dataclass(frozen=True)
class Change:
    when: datetime
    who: str
    what: str
    action: str
    link: str | None


HISTORY_ACTIONS = {history.CREATE: "created", history.UPDATE: "changed", history.DELETE: "deleted"}
RECENT = 15


@router.get("/dashboard/changes")
def recent_changes(page: Page) -> HTMLResponse:
    """The organization's latest writes: CMDB objects and assets (their logbook, the inventory's
    runs among them) and accounts and settings (the history); for those who see everyone's data."""
    changes: list[Change] = []
    if page.caller.sees_all_data:
        organization_id = page.caller.organization_id
        if page.can("cmdb") or page.can("assets"):
            changes += [
                Change(entry.created, entry.username, entry.object_title or f"object {entry.object_id}",
                       entry.event.removeprefix("C__LOGBOOK_EVENT__").replace("_", " ").lower(),
                       f"/cmdb/objects/{entry.object_id}" if page.can("cmdb") else None)
                for entry in logbook.read(page.db, organization_id, limit=RECENT)
            ]
        changes += [
            Change(entry.creation_dt, "", f"{entry.entity_name} {entry.entity_id or ''}".strip(),
                   HISTORY_ACTIONS.get(entry.action, str(entry.action)), None)
            for entry in page.db.scalars(select(History).where(History.organization_id == organization_id)
                                         .order_by(History.id.desc()).limit(RECENT))
        ]
    changes.sort(key=lambda change: change.when, reverse=True)
    return page.render("dashboard/changes.html", changes=changes[:RECENT])
