"""Clock arithmetic for service levels: adding minutes of work time to a moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class WorkWeek:
    work_days: frozenset[int]  # ISO weekdays, 1 = Monday
    start_minute: int
    end_minute: int
    zone: ZoneInfo

    @classmethod
    def of(cls, work_days: str, start_minute: int, end_minute: int, time_zone: str) -> WorkWeek:
        try:
            zone = ZoneInfo(time_zone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        days = frozenset(int(day) for day in work_days if day in "1234567")
        return cls(days, start_minute, end_minute, zone)

    @property
    def is_empty(self) -> bool:
        return not self.work_days or self.end_minute <= self.start_minute


def _at(day: datetime, minute: int) -> datetime:
    return datetime.combine(day.date(), time(minute // 60, minute % 60), tzinfo=day.tzinfo)


def add_minutes(start: datetime, minutes: int, week: WorkWeek | None) -> datetime:
    """``start`` plus ``minutes``; with a work week, only minutes inside its working hours count."""
    if week is None or week.is_empty:
        return start + timedelta(minutes=minutes)
    moment = start.astimezone(week.zone)
    remaining = timedelta(minutes=minutes)
    # A year of days is more than any SLA spans; the bound keeps a bad setting from looping forever.
    for _ in range(366 * 2):
        if moment.isoweekday() in week.work_days:
            opens, closes = _at(moment, week.start_minute), _at(moment, week.end_minute)
            moment = max(moment, opens)
            if moment < closes:
                available = closes - moment
                if remaining <= available:
                    return (moment + remaining).astimezone(UTC)
                remaining -= available
        moment = _at(moment + timedelta(days=1), 0)
    return (moment + remaining).astimezone(UTC)
