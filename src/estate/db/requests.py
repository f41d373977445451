"""A request's database session, for every face: one transaction per request, committed when the
route returns and rolled back when it raises. Opening a session does no I/O, so it happens on the
event loop; the transaction begins (for a write, taking the write lock) when the route first uses
it, and what may wait on the database (the commit, what follows the commit) runs in a worker
thread."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from anyio import CancelScope, to_thread
from sqlalchemy.orm import Session, sessionmaker

from estate.db.engine import request_session

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Set on a session whose transaction something else ends: a route that committed in its own thread,
# an answer streamed from the transaction (estate.kace.deps). The request then leaves it alone.
ENDED_ELSEWHERE = "estate.request.ended_elsewhere"

AfterCommit = Callable[[Session], None]


@asynccontextmanager
async def request_transaction(
    sessions: sessionmaker[Session], *, method: str, after_commit: AfterCommit
) -> AsyncIterator[Session]:
    """The session of a request made with `method`; `after_commit` runs once it has committed
    (the faces record the login session's activity there, in a short write of its own)."""
    db = request_session(sessions, writing=method in WRITE_METHODS)
    try:
        yield db
        if db.info.pop(ENDED_ELSEWHERE, False):
            return
        if db.in_transaction():
            await to_thread.run_sync(commit, db, after_commit)
        else:
            db.close()
    except BaseException:
        # Also when the request is cancelled: the connection must go back to the pool clean.
        with CancelScope(shield=True):
            await to_thread.run_sync(roll_back, db)
        raise


def commit(db: Session, after_commit: AfterCommit) -> None:
    db.commit()
    after_commit(db)
    db.close()


def roll_back(db: Session) -> None:
    try:
        db.rollback()
    finally:
        db.close()
