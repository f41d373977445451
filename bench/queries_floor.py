"""The floor of the read benchmark: the same page built in-process with the raw driver (sqlite3 or
psycopg), hand-written SQL and orjson, on a warm cache. For each probe it runs both straightforward
forms of the software filter (walk the machines in id order and test each with EXISTS, or start from
the title's links) and keeps the faster, as someone writing the query by hand for that data would."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
import psycopg
from sqlalchemy.engine import make_url

from bench.fleet import FleetInfo
from bench.measure import Summary, summarize, timed

PAGE = 50
ROUNDS = 200

_TITLE_IDS = "SELECT id FROM software WHERE organization_id = ? AND display_name = ?"
WALK = (
    "SELECT m.* FROM machines m WHERE m.organization_id = ? AND EXISTS (SELECT 1 FROM machine_software ms "
    f"WHERE ms.machine_id = m.id AND ms.software_id IN ({_TITLE_IDS})) ORDER BY m.id LIMIT {PAGE}"
)
FROM_LINKS = (
    "SELECT m.* FROM machines m WHERE m.organization_id = ? AND m.id IN (SELECT ms.machine_id FROM "
    f"machine_software ms WHERE ms.software_id IN ({_TITLE_IDS})) ORDER BY m.id LIMIT {PAGE}"
)
_SOFTWARE_OF = (
    "SELECT ms.machine_id, s.id, s.display_name FROM machine_software ms JOIN software s ON s.id = ms.software_id "
    "WHERE ms.machine_id IN ({marks}) ORDER BY ms.machine_id, s.id"
)


def connect(database_url: str) -> Any:
    """The database's own driver: sqlite3, or psycopg in autocommit for PostgreSQL."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True)
    connection = sqlite3.connect(url.database or "", check_same_thread=False)
    connection.execute("PRAGMA query_only = 1")
    return connection


def _marked(connection: Any, sql: str) -> str:
    return sql.replace("?", "%s") if isinstance(connection, psycopg.Connection) else sql


def page(connection: Any, sql: str, organization_id: int, title: str, with_software: bool) -> bytes:
    cursor = connection.execute(_marked(connection, sql), (organization_id, organization_id, title))
    columns = [description[0] for description in cursor.description]
    machines = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    if with_software and machines:
        ids = [machine["id"] for machine in machines]
        nested: dict[int, list[dict[str, Any]]] = {}
        for machine_id, software_id, name in connection.execute(
            _marked(connection, _SOFTWARE_OF.format(marks=",".join("?" * len(ids)))), ids
        ):
            nested.setdefault(machine_id, []).append({"id": software_id, "display_name": name})
        for machine in machines:
            machine["software"] = nested.get(machine["id"], [])
    # PostgreSQL's numerics arrive as Decimal, which orjson leaves to its default.
    return orjson.dumps({"Machines": machines}, default=str)


def measure(info: FleetInfo, rounds: int = ROUNDS) -> list[Summary]:
    connection = connect(info.database_url)
    summaries = []
    try:
        for title, share in info.probes.items():
            for with_software, shape in ((False, "machine all"), (True, "machine all,software limited")):
                best: list[float] | None = None
                for sql in (WALK, FROM_LINKS):
                    def once(sql: str = sql, with_software: bool = with_software, title: str = title) -> bytes:
                        return page(connection, sql, info.organization_id, title, with_software)

                    for _ in range(5):
                        once()
                    samples = timed(once for _ in range(rounds))
                    if best is None or sorted(samples)[len(samples) // 2] < sorted(best)[len(best) // 2]:
                        best = samples
                assert best is not None
                summaries.append(summarize(f"floor {share:.2%} `{shape}`", best))
    finally:
        connection.close()
    return summaries
