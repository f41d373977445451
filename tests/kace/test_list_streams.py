"""A list of every record (`limit ALL`) is streamed from the request's own transaction: the caller's
rights, the Count and the rows are read on one connection, and the transaction ends after the
last row, so the Count and the rows come from one snapshot."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event

from tests.inventory_reads.fleet import MACHINES, machine, store


def test_count_and_rows_come_from_one_transaction(admin, engine):
    store(admin, [machine(f"stream-{n}", software=["Word"]) for n in range(3)])
    admin.get("/api/users/me/")  # the session's last-seen touch happens outside the measured call
    seen: list[tuple[str, Any, str]] = []
    committed = threading.Event()

    def statement(conn, cursor, text, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(("statement", conn.connection.dbapi_connection, text))

    def commit(conn):  # type: ignore[no-untyped-def]
        seen.append(("commit", conn.connection.dbapi_connection, ""))
        committed.set()

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        response = admin.get(MACHINES, params={"paging": "limit ALL", "shaping": "machine limited,software limited"})
        # The transaction ends once the last row is written, which the client may see first.
        assert committed.wait(timeout=10)
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    body = response.json()
    assert body["Count"] == len(body["Machines"]) == 3
    assert all(item["Software"][0]["Display_name"] == "Word" for item in body["Machines"])

    kinds = [kind for kind, _, _ in seen]
    last_statement = max(index for index, kind in enumerate(kinds) if kind == "statement")
    assert "commit" not in kinds[:last_statement], kinds
    assert kinds[last_statement + 1:] == ["commit"]
    assert len({connection for _, connection, _ in seen}) == 1
    texts = [text.lower() for kind, _, text in seen if kind == "statement"]
    count = next(index for index, text in enumerate(texts) if "count(" in text)
    assert any("machine_software" in text for text in texts[count + 1:])
