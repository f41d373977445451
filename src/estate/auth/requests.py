"""A request's database session, for every face: one transaction per request, committed when the
route returns and rolled back when it raises; the login session's activity is written after it."""

from __future__ import annotations

from collections.abc import AsyncIterator

from anyio import CancelScope
from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from estate.auth import sessions
from estate.db.engine import begin_for_writing

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def get_db(request: Request) -> AsyncIterator[Session]:
    """Opening a session does no I/O, so it happens on the event loop; what may wait on the database
    (the write lock, the commit, the activity write) runs in the thread pool."""
    db: Session = request.app.state.sessions()
    try:
        if request.method in WRITE_METHODS:
            await run_in_threadpool(begin_for_writing, db)
        yield db
        await run_in_threadpool(_commit, db)
    except BaseException:
        # Also when the request is cancelled: the connection must go back to the pool clean.
        with CancelScope(shield=True):
            await run_in_threadpool(_roll_back, db)
        raise


def _commit(db: Session) -> None:
    db.commit()
    sessions.record_activity(db)
    db.close()


def _roll_back(db: Session) -> None:
    try:
        db.rollback()
    finally:
        db.close()
