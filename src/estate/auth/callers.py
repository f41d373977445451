"""Callers a worker has just resolved, answered again without the database for a moment.

Every KACE request names its login session; resolving it is one indexed statement, but the
statement needs a connection, a transaction and a thread of the pool, which cost a request that
does little several times its own work (docs/decisions/1102). A worker keeps what it resolved for
`caller_cache_seconds` (2 s by default; 0 turns it off) and answers a request presenting the same
cookies from that, with its CSRF header still checked each time.

Staying correct:
- A write in this worker to a table the caller is read from (sessions, accounts, memberships,
  organizations, roles) forgets every entry when it commits, so a logout, a disabled account or a
  changed role is seen by this worker's next request.
- A caller whose statement ran while such a write committed is not remembered (`generation`).
- Another worker's such write is seen within `caller_cache_seconds`.
- An entry whose session is due its last_seen write (or could have gone idle) is not used: the
  request resolves in the database, where the idle clock is kept.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, event

from estate.auth.permissions import Caller
from estate.db.base import utcnow

# Beyond this many entries the cache starts again empty: a bound, not an eviction policy.
_MAX_ENTRIES = 10_000
_WROTE = "estate.wrote_caller_tables"
_CALLER_TABLES = re.compile(
    r"\b(auth_sessions|accounts|organization_accounts|organizations|roles|role_members)\b", re.IGNORECASE
)
_WRITE_VERBS = ("insert", "update", "delete", "replace", "merge", "with")


@dataclass(frozen=True, slots=True)
class _Entry:
    caller: Caller
    csrf_token: str
    last_seen: datetime
    expires: float


class CallerCache:
    def __init__(self, seconds: float, *, fresh_for: timedelta, clock: Callable[[], float] = time.monotonic):
        self._seconds = seconds
        self._fresh_for = fresh_for
        self._clock = clock
        self._entries: dict[tuple[str, ...], _Entry] = {}
        # Moved on by every forget_all: a caller read before it is not remembered after it.
        self.generation = 0

    def find(self, presented: tuple[str, ...]) -> tuple[Caller, str] | None:
        """The caller and CSRF token remembered for these session hashes, if still usable."""
        entry = self._entries.get(presented)
        if entry is None:
            return None
        if entry.expires < self._clock() or utcnow() - entry.last_seen > self._fresh_for:
            self._entries.pop(presented, None)
            return None
        return entry.caller, entry.csrf_token

    def remember(
        self, presented: tuple[str, ...], caller: Caller, csrf_token: str, last_seen: datetime, *, generation: int
    ) -> None:
        """Remember a caller read when `generation` was current (read it before the statement): a
        caller table written and committed meanwhile leaves it unremembered."""
        if self._seconds <= 0 or generation != self.generation:
            return
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        self._entries[presented] = _Entry(caller, csrf_token, last_seen, self._clock() + self._seconds)

    def forget_all(self) -> None:
        self.generation += 1
        self._entries.clear()

    def watch(self, engine: Engine) -> None:
        """Forget every entry when a transaction of `engine` that wrote a caller table commits."""
        event.listen(engine, "after_cursor_execute", _note_caller_writes)
        event.listen(engine, "commit", self._forget_after_caller_writes)
        event.listen(engine, "rollback", _drop_note)

    def _forget_after_caller_writes(self, conn: Connection) -> None:
        if conn.info.pop(_WROTE, False):
            self.forget_all()


def _note_caller_writes(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
    if statement.lstrip()[:7].lower().startswith(_WRITE_VERBS) and _CALLER_TABLES.search(statement):
        conn.info[_WROTE] = True


def _drop_note(conn: Connection) -> None:
    conn.info.pop(_WROTE, None)
