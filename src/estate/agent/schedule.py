"""When an offline script is due: every n units, a cron expression (minute hour day month weekday,
local time), or once at agent start."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def _values(field: str, low: int, high: int) -> set[int]:
    found: set[int] = set()
    for part in field.split(","):
        spread, _, step = part.partition("/")
        if spread == "*":
            start, end = low, high
        elif "-" in spread:
            start, end = (int(number) for number in spread.split("-"))
        else:
            start = end = int(spread)
            if step:
                end = high
        found.update(range(start, end + 1, int(step) if step else 1))
    return found


def cron_matches(expression: str, moment: datetime) -> bool:
    minute, hour, day, month, weekday = expression.split()
    weekdays = {value % 7 for value in _values(weekday, 0, 7)}
    return (moment.minute in _values(minute, 0, 59) and moment.hour in _values(hour, 0, 23)
            and moment.day in _values(day, 1, 31) and moment.month in _values(month, 1, 12)
            and (moment.isoweekday() % 7) in weekdays)


def next_due(script: dict[str, Any], last_run: float | None, started: float, now: float) -> float | None:
    """The time (epoch seconds) the script is next due, or None for never."""
    kind = script.get("scheduleType", "none")
    if kind == "startup":
        return started if last_run is None or last_run < started else None
    if kind == "interval":
        every = min(entry["every"] * UNITS.get(entry.get("unit", "minutes"), 60) for entry in script["schedule"])
        return now if last_run is None else last_run + every
    if kind == "cron":
        moment = datetime.fromtimestamp(max(now, (last_run or 0) + 60)).replace(second=0, microsecond=0)
        for _ in range(60 * 24 * 366):  # at most a year ahead, minute by minute
            if any(cron_matches(entry["cron"], moment) for entry in script["schedule"]):
                return moment.timestamp()
            moment += timedelta(minutes=1)
    return None
