"""Deployment windows: the daily span ("HH:MM" to "HH:MM", in the organization's time zone) in
which agents are handed a managed install. A span whose end is before its start runs over
midnight; no span at all means any time."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from estate.errors import InvalidInput

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def read_clock(value: str, field: str) -> str:
    """"HH:MM" (24 hours), or "" for no window."""
    text = value.strip()
    if text and not _CLOCK.match(text):
        raise InvalidInput(f"{field} must be a time of day HH:MM (00:00 to 23:59) or empty", field=field)
    return text


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def next_opening(start: str, end: str, time_zone: str, now: datetime) -> datetime | None:
    """None while the window is open at `now` (or there is none); else when it opens next (UTC)."""
    if not start or not end or start == end:
        return None
    zone = _zone(time_zone)
    local = now.astimezone(zone)
    opens, closes, clock = _clock(start), _clock(end), local.time().replace(second=0, microsecond=0)
    inside = opens <= clock < closes if opens < closes else (clock >= opens or clock < closes)
    if inside:
        return None
    day = local.date() if clock < opens else local.date() + timedelta(days=1)
    return datetime.combine(day, opens, tzinfo=zone).astimezone(now.tzinfo)
