"""Service-level clock: minutes counted in working hours of the organization's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from estate.servicedesk.business_hours import WorkWeek, add_minutes

WEEKDAYS_9_TO_5 = WorkWeek.of("12345", 9 * 60, 17 * 60, "UTC")


def test_without_business_hours_minutes_are_wall_clock_minutes():
    start = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # a Friday
    assert add_minutes(start, 120, None) == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)


def test_minutes_past_closing_continue_on_the_next_working_day():
    friday_four_pm = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert add_minutes(friday_four_pm, 120, WEEKDAYS_9_TO_5) == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_a_start_outside_hours_waits_for_the_opening():
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert add_minutes(saturday, 30, WEEKDAYS_9_TO_5) == datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    early_monday = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert add_minutes(early_monday, 8 * 60, WEEKDAYS_9_TO_5) == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


def test_hours_are_those_of_the_organization_time_zone():
    berlin = WorkWeek.of("12345", 9 * 60, 17 * 60, "Europe/Berlin")
    # 07:30 UTC is 08:30 in Berlin in winter: the clock starts at 09:00 Berlin = 08:00 UTC.
    start = datetime(2026, 11, 30, 7, 30, tzinfo=UTC)
    assert add_minutes(start, 60, berlin) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_an_empty_week_falls_back_to_wall_clock_minutes():
    never = WorkWeek.of("", 9 * 60, 17 * 60, "UTC")
    start = datetime(2026, 11, 30, 7, 30, tzinfo=UTC)
    assert add_minutes(start, 60, never) == datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
