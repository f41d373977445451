"""Service levels: due dates from the priority's resolution minutes (in business hours when the
priority says so), escalation marks, and the times a ticket entered each status state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from estate.servicedesk import service
from tests.servicedesk.conftest import API, create_ticket, get_ticket, named

STAMP = "%Y-%m-%d %H:%M:%S"
ZERO = "0000-00-00 00:00:00"


def _at(text: str) -> datetime:
    return datetime.strptime(text, STAMP).replace(tzinfo=UTC)


@pytest.fixture
def configure(sessions, org):
    def priority(priority_id: int, **values) -> None:
        with sessions.begin() as db:
            service.configure_priority(db, organization_id=org.id, priority_id=priority_id, **values)

    def hours(work_days: str, start_minute: int, end_minute: int) -> None:
        with sessions.begin() as db:
            service.set_business_hours(db, organization_id=org.id, work_days=work_days,
                                       start_minute=start_minute, end_minute=end_minute)

    priority.hours = hours  # type: ignore[attr-defined]
    return priority


def test_due_date_is_the_resolution_minutes_after_creation(admin, queue, configure):
    high = named(queue["priorities"], "High")["id"]
    configure(high, is_sla_enabled=True, resolution_due_date_minutes=240)
    ticket = get_ticket(admin, create_ticket(admin, hd_queue_id=queue["id"], title="Urgent", priority=high),
                        "hd_ticket all,priority limited")
    assert ticket["priority"]["is_sla_enabled"] == 1
    assert _at(ticket["due_date"]) - _at(ticket["created"]) == timedelta(minutes=240)
    assert ticket["is_manual_due_date"] == 0
    without_sla = get_ticket(admin, create_ticket(admin, hd_queue_id=queue["id"], title="Calm"))
    assert without_sla["due_date"] == ZERO


def test_due_date_counts_business_hours_when_the_priority_says_so(admin, queue, configure):
    high = named(queue["priorities"], "High")["id"]
    today = datetime.now(UTC)
    # One working hour a week, 10:00-11:00 UTC on a weekday that is not today: 90 minutes take the
    # next such day's hour and half an hour of the one a week later.
    weekday = (today.isoweekday() % 7) + 1
    configure.hours(str(weekday), 10 * 60, 11 * 60)
    configure(high, is_sla_enabled=True, resolution_due_date_minutes=90, use_business_hours_for_sla=True)
    ticket = get_ticket(admin, create_ticket(admin, hd_queue_id=queue["id"], title="Working hours", priority=high))
    next_day = (_at(ticket["created"]) + timedelta(days=1)).date()
    expected = datetime(next_day.year, next_day.month, next_day.day, 10, 30, tzinfo=UTC) + timedelta(days=7)
    assert _at(ticket["due_date"]) == expected


def test_a_priority_change_recomputes_the_due_date_unless_it_was_set_by_hand(admin, queue, configure):
    high, low = named(queue["priorities"], "High")["id"], named(queue["priorities"], "Low")["id"]
    configure(high, is_sla_enabled=True, resolution_due_date_minutes=60)
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Shifting")
    assert get_ticket(admin, ticket_id)["due_date"] == ZERO
    admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"priority": high}]})
    ticket = get_ticket(admin, ticket_id)
    assert _at(ticket["due_date"]) - _at(ticket["created"]) == timedelta(minutes=60)
    admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"due_date": "2031-01-02 03:04:05"}]})
    admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"priority": low}]})
    manual = get_ticket(admin, ticket_id)
    assert manual["due_date"] == "2031-01-02 03:04:05"
    assert manual["is_manual_due_date"] == 1


def test_overdue_open_tickets_are_marked_escalated(admin, queue):
    closed = named(queue["statuses"], "Closed")["id"]
    overdue = create_ticket(admin, hd_queue_id=queue["id"], title="Late", due_date="2020-01-01 00:00:00")
    done = create_ticket(admin, hd_queue_id=queue["id"], title="Done", due_date="2020-01-01 00:00:00",
                         status=closed)
    future = create_ticket(admin, hd_queue_id=queue["id"], title="Fine", due_date="2099-01-01 00:00:00")
    marked = {t["id"]: t["escalated"] for t in admin.get(
        f"{API}/tickets", params={"shaping": "hd_ticket extended"}).json()["Tickets"]}
    assert marked[overdue] != ZERO
    assert marked[done] == ZERO
    assert marked[future] == ZERO
    # Moving the due date into the future clears the mark.
    admin.put(f"{API}/tickets/{overdue}", json={"Tickets": [{"due_date": "2099-01-01 00:00:00"}]})
    assert get_ticket(admin, overdue, "hd_ticket extended")["escalated"] == ZERO


def test_escalation_minutes_escalate_a_ticket_left_alone(admin, queue, configure, sessions):
    medium = named(queue["priorities"], "Medium")["id"]
    configure(medium, escalation_minutes=30)
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Forgotten")
    assert get_ticket(admin, ticket_id, "hd_ticket all")["escalation_due"] != ZERO
    with sessions.begin() as db:
        service.mark_escalations(db, organization_id=queue_org(sessions, ticket_id),
                                 now=datetime.now(UTC) + timedelta(minutes=31))
    assert get_ticket(admin, ticket_id, "hd_ticket extended")["escalated"] != ZERO


def _gone_overdue(sessions, ticket_id: int) -> None:
    """The ticket's due date passes while nobody writes it (time moves its clock back instead)."""
    from estate.servicedesk.models import Ticket

    with sessions.begin() as db:
        ticket = db.get(Ticket, ticket_id)
        ticket.due_date = datetime.now(UTC) - timedelta(minutes=5)
        ticket.escalated = None


def _escalated(sessions, ticket_id: int) -> datetime | None:
    from estate.servicedesk.models import Ticket

    with sessions() as db:
        return db.get(Ticket, ticket_id).escalated


def test_reads_mark_nothing_and_the_server_job_marks_what_went_overdue(admin, queue, sessions):
    from estate import jobs

    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Slipping", due_date="2099-01-01 00:00:00")
    _gone_overdue(sessions, ticket_id)
    listed = admin.get(f"{API}/tickets", params={"shaping": "hd_ticket extended"}).json()["Tickets"]
    assert [t["escalated"] for t in listed if t["id"] == ticket_id] == [ZERO]
    assert get_ticket(admin, ticket_id, "hd_ticket extended")["escalated"] == ZERO
    assert admin.post(f"{API}/tickets/stats", json={"Stats": [{"filtering": f"id eq {ticket_id}"}]}).status_code == 200
    assert _escalated(sessions, ticket_id) is None
    jobs.mark_escalations(sessions)
    assert get_ticket(admin, ticket_id, "hd_ticket extended")["escalated"] != ZERO


def test_the_server_runs_the_escalation_job_on_its_timer(admin, queue, sessions, settings, engine):
    import asyncio
    import time

    from estate.app import create_app

    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Left alone", due_date="2099-01-01 00:00:00")
    _gone_overdue(sessions, ticket_id)
    app = create_app(settings.model_copy(update={"escalation_check_seconds": 0.05}), engine)

    async def serving() -> None:
        async with app.router.lifespan_context(app):  # what the server runs while it serves
            deadline = time.monotonic() + 60  # a busy machine; ends as soon as the job ran
            while _escalated(sessions, ticket_id) is None:
                assert time.monotonic() < deadline, "the escalation job did not run"
                await asyncio.sleep(0.02)

    asyncio.run(serving())


def queue_org(sessions, ticket_id: int) -> int:
    from estate.servicedesk.models import Ticket

    with sessions() as db:
        return db.get(Ticket, ticket_id).organization_id


def test_status_states_record_their_times(admin, queue):
    statuses = {s["name"]: s["id"] for s in queue["statuses"]}
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Lifecycle")
    new = get_ticket(admin, ticket_id, "hd_ticket extended")
    assert new["time_stalled"] != ZERO  # New is a stalled state on the appliance
    assert new["time_opened"] == ZERO
    admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"status": statuses["Opened"]}]})
    opened = get_ticket(admin, ticket_id, "hd_ticket extended")
    assert opened["time_opened"] != ZERO
    admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"status": statuses["Closed"]}]})
    closed = get_ticket(admin, ticket_id, "hd_ticket extended")
    assert closed["time_closed"] != ZERO
    assert closed["time_opened"] == opened["time_opened"]
    admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"status": statuses["Reopened"]}]})
    assert get_ticket(admin, ticket_id, "hd_ticket extended")["time_closed"] == ZERO
