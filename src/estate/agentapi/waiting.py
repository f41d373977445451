"""Long-polls that hold neither a database connection nor a thread while they wait.

A waiting check-in awaits an asyncio event of its machine. Work created in this process wakes it at
once (the agents domain tells us after the commit); work created by another server process is found
by one cheap read every `agent_wake_check_seconds`, made only while some check-in waits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from estate.agents import service as agents

log = logging.getLogger("estate.agentapi")


class Waiters:
    def __init__(self, sessions: sessionmaker[Session], check_seconds: float) -> None:
        self._sessions = sessions
        self._check_seconds = check_seconds
        self._events: dict[int, set[asyncio.Event]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._checker: asyncio.Task[None] | None = None
        self._watermark: int | None = None
        agents.on_new_work(self.wake_from_any_thread)

    @property
    def waiting(self) -> int:
        return sum(len(events) for events in self._events.values())

    async def wait(self, machine_id: int, seconds: float) -> None:
        self._start()
        event = asyncio.Event()
        self._events.setdefault(machine_id, set()).add(event)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), seconds)
        finally:
            events = self._events.get(machine_id)
            if events is not None:
                events.discard(event)
                if not events:
                    del self._events[machine_id]

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._checker is None or self._checker.done():
            self._loop = loop
            self._checker = loop.create_task(self._check_other_processes())

    def _wake(self, machine_ids: Iterable[int]) -> None:
        for machine_id in machine_ids:
            for event in self._events.get(machine_id, ()):
                event.set()

    def wake_from_any_thread(self, machine_ids: Iterable[int]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        ids = list(machine_ids)
        with contextlib.suppress(RuntimeError):  # the loop stopped meanwhile
            loop.call_soon_threadsafe(self._wake, ids)

    async def _check_other_processes(self) -> None:
        while True:
            await asyncio.sleep(self._check_seconds)
            if not self._events:
                continue
            try:
                woken = await run_in_threadpool(self._newer_work)
            except Exception:  # a database hiccup must not end the checks
                log.exception("looking for new agent work failed")
                continue
            self._wake(woken)

    def _newer_work(self) -> set[int]:
        with self._sessions() as db:
            if self._watermark is None:
                self._watermark = agents.newest_work_id(db)
                return set()
            self._watermark, machine_ids = agents.machines_with_work_after(db, work_id=self._watermark)
            return machine_ids


def waiters_of(app: Any) -> Waiters:
    waiters = getattr(app.state, "agent_waiters", None)
    if waiters is None:
        waiters = app.state.agent_waiters = Waiters(app.state.sessions, app.state.settings.agent_wake_check_seconds)
    return waiters
