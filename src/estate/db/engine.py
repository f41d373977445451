"""Engine and session factory for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


# Execution option that opens a session's transaction ready to write (see begin_for_writing).
WRITE_INTENT = "estate_write_intent"


def make_engine(url: str, **kwargs: object) -> Engine:
    if url.startswith("sqlite"):
        _prepare_sqlite_file(url)
        # Few connections: the GIL runs one thread's Python at a time, so more concurrent
        # statements do not answer sooner, and each connection keeps its own page cache (up to
        # 2 MB) and parsed schema (docs/benchmarks.md, memory per worker). A server process keeps
        # one per thread instead (create_app): a connection opened beyond those kept is closed
        # when it is returned, and opening one (its pragmas, the schema parsed again) cost a busy
        # worker a fifth of its requests per second (docs/decisions/1123).
        options: dict[str, Any] = {"pool_size": 2, "max_overflow": 2, **kwargs}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **options)
        _configure_sqlite(engine)
        return engine
    from estate.db import postgresql

    return create_engine(url, connect_args={"cursor_factory": postgresql.Cursor},
                         **{"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20, **kwargs})


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite opens transactions lazily and on its own terms; SQLAlchemy's documented recipe hands
    # transaction control back to us so that a write transaction is truly one transaction.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_INTENT) else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def request_session(sessions: sessionmaker[Session], *, writing: bool) -> Session:
    """A request's session. One that may write opens its transaction as begin_for_writing does,
    but only when it first uses the database: a request holds one connection at a time and takes
    SQLite's write lock after reading its body and resolving its caller, not before."""
    if not writing:
        return sessions()
    return sessions(bind=_writing(sessions.kw["bind"]))


_writing_engines: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def _writing(engine: Engine) -> Engine:
    writing = _writing_engines.get(engine)
    if writing is None:
        writing = _writing_engines[engine] = engine.execution_options(**{WRITE_INTENT: True})
    return writing


def begin_for_writing(db: Session) -> None:
    """Open the session's transaction ready to write.

    On SQLite (WAL) a transaction that has read cannot start writing once another connection has
    committed since its snapshot: SQLite fails at once ("database is locked") instead of waiting on
    busy_timeout. A request that may write therefore takes the write lock when it begins
    (BEGIN IMMEDIATE), and concurrent writers queue. PostgreSQL needs nothing of this."""
    db.connection(execution_options={WRITE_INTENT: True})
