"""The floor of an ingest: the best straightforward in-process implementation of the same work on
the same SQLite file. Raw sqlite3, hand-written SQL, orjson, one transaction per machine; no HTTP,
no validation beyond what the SQL needs. bench/ingest.py runs it after the route and prints both.

    python -m bench.ingest_floor --size 1000          # on var/bench/fleet-1000.db (bench.fleet builds it)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.engine import make_url

from bench.fleet import Catalogs, FleetInfo, changed, default_url, info_path, inventory_of, payload_of
from bench.measure import HEADER, Summary, summarize

# body key, table, identifying columns, link table, link column
CATALOGS = (
    ("Software", "software", ("display_name", "display_version", "publisher"), "machine_software", "software_id"),
    ("Processes", "processes", ("name", "command_exe", "file_version"), "machine_processes", "process_id"),
    ("Services", "services", ("name", "display_name", "command_exe", "status", "startup_type"), "machine_services",
     "service_id"),
)
OS_IDENTITY = ("name", "family", "arch", "build", "major_version", "minor_version", "minor2_version", "sp")
CATALOG_EXTRA = {"software": {"is_manual": 0, "is_patch": 0, "dont_replicate": 0}}
ROWS = (("Nics", "machine_nics"), ("Disks", "machine_disks"))


def connect(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def key_of(values: dict[str, Any], columns: tuple[str, ...]) -> str:
    parts = ["" if values.get(column) is None else str(values[column]) for column in columns]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=20).hexdigest()


def lower(record: dict[str, Any]) -> dict[str, Any]:
    return {key.lower(): value for key, value in record.items()}


def catalog_ids(db: sqlite3.Connection, org: int, table: str, records: list[dict[str, Any]],
                identity: tuple[str, ...], now: str) -> list[int]:
    keyed = {key_of(record, identity): record for record in records}
    keys = list(keyed)
    marks = ",".join("?" * len(keys))
    query = f"SELECT identity_key, id FROM {table} WHERE organization_id = ? AND identity_key IN ({marks})"
    found = dict(db.execute(query, [org, *keys]).fetchall())
    missing = [key for key in keys if key not in found]
    if missing:
        extra = CATALOG_EXTRA.get(table, {})
        columns = ["organization_id", "identity_key", "created", "modified", *keyed[missing[0]], *extra]
        db.executemany(
            f"INSERT INTO {table} ({','.join(columns)}) VALUES ({','.join('?' * len(columns))})",
            [(org, key, now, now, *keyed[key].values(), *extra.values()) for key in missing],
        )
        found.update(db.execute(query, [org, *keys]).fetchall())
    return [found[key] for key in keys]


def os_id(db: sqlite3.Connection, org: int, machine: dict[str, Any], now: str) -> int:
    def number(text: Any) -> int | None:
        head = str(text or "").split(".")[0]
        return int(head) if head.isdigit() else None

    record = {"name": machine.get("os_name"), "family": machine.get("os_family"), "arch": machine.get("os_arch"),
              "build": machine.get("os_build"), "major_version": number(machine.get("os_major")),
              "minor_version": number(machine.get("os_minor")), "minor2_version": number(machine.get("os_minor2"))}
    return catalog_ids(db, org, "operating_systems", [record], OS_IDENTITY, now)[0]


def split(body: bytes) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    raw = orjson.loads(body)["Machines"][0]
    lists = {key: [lower(item) for item in raw.pop(key)] for key in ("Software", "Processes", "Services", "Nics",
                                                                      "Disks")}
    return lower(raw), lists


def first_ingest(db: sqlite3.Connection, org: int, body: bytes) -> int:
    machine, lists = split(body)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    db.execute("BEGIN IMMEDIATE")
    operating_system = os_id(db, org, machine, now)
    values = {**machine, "organization_id": org, "force_inventory": 0, "manual_entry": 0, "last_inventory": now,
              "created": now, "modified": now, "os_id": operating_system}
    columns = ",".join(f'"{column}"' for column in values)
    machine_id = db.execute(f"INSERT INTO machines ({columns}) VALUES ({','.join('?' * len(values))}) RETURNING id",
                            list(values.values())).fetchone()[0]
    db.execute("INSERT INTO machine_operating_systems (organization_id, machine_id, operating_system_id) "
               "VALUES (?, ?, ?)", (org, machine_id, operating_system))
    for key, table, identity, link, column in CATALOGS:
        ids = catalog_ids(db, org, table, lists[key], identity, now)
        db.executemany(f"INSERT INTO {link} (organization_id, machine_id, {column}) VALUES (?, ?, ?)",
                       [(org, machine_id, item) for item in ids])
    for key, table in ROWS:
        for row in lists[key]:
            names = ",".join(["organization_id", "machine_id", *row])
            db.execute(f"INSERT INTO {table} ({names}) VALUES ({','.join('?' * (len(row) + 2))})",
                       (org, machine_id, *row.values()))
    db.execute("COMMIT")
    return machine_id


def reingest(db: sqlite3.Connection, org: int, body: bytes) -> int:
    machine, lists = split(body)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    db.execute("BEGIN IMMEDIATE")
    cursor = db.execute("SELECT * FROM machines WHERE organization_id = ? AND kuid = ?", (org, machine["kuid"]))
    names = [description[0] for description in cursor.description]
    stored = dict(zip(names, cursor.fetchone(), strict=True))
    machine_id = stored["id"]
    for key, table, identity, link, column in CATALOGS:
        wanted = set(catalog_ids(db, org, table, lists[key], identity, now))
        have = dict(db.execute(f"SELECT {column}, id FROM {link} WHERE machine_id = ?", (machine_id,)).fetchall())
        gone = [link_id for item, link_id in have.items() if item not in wanted]
        if gone:
            db.execute(f"DELETE FROM {link} WHERE id IN ({','.join('?' * len(gone))})", gone)
        db.executemany(f"INSERT INTO {link} (organization_id, machine_id, {column}) VALUES (?, ?, ?)",
                       [(org, machine_id, item) for item in wanted - have.keys()])
    for key, table in ROWS:
        columns = list(lists[key][0]) if lists[key] else []
        if columns:
            present = db.execute(f"SELECT {','.join(columns)} FROM {table} WHERE machine_id = ?", (machine_id,))
            if sorted(map(tuple, present.fetchall())) != sorted(tuple(row.values()) for row in lists[key]):
                db.execute(f"DELETE FROM {table} WHERE machine_id = ?", (machine_id,))
                db.executemany(f"INSERT INTO {table} (organization_id, machine_id, {','.join(columns)}) "
                               f"VALUES ({','.join('?' * (len(columns) + 2))})",
                               [(org, machine_id, *row.values()) for row in lists[key]])
    changes = {name: value for name, value in machine.items() if stored.get(name) != value}
    changes.update(last_inventory=now, modified=now)
    assignments = ", ".join(f'"{name}" = ?' for name in changes)
    db.execute(f"UPDATE machines SET {assignments} WHERE id = ?", [*changes.values(), machine_id])
    db.execute("COMMIT")
    return machine_id


def bodies(info: FleetInfo, samples: int, change: float) -> tuple[list[bytes], list[bytes]]:
    """First inventories of `samples` machines new to the fleet, and their re-inventories with
    `change` of their items changed (machine indexes of the floor's own range)."""
    catalogs = Catalogs(info.seed)
    rng = random.Random(f"floor-{time.time_ns()}")
    first_index = info.size + 1_000_000 * rng.randint(1000, 1999)
    fresh = [inventory_of(catalogs, first_index + offset) for offset in range(samples)]
    first_bodies = [orjson.dumps({"Machines": [payload_of(catalogs, inventory)]}) for inventory in fresh]
    again_bodies = [orjson.dumps({"Machines": [payload_of(catalogs, changed(catalogs, inventory, change, rng))]})
                    for inventory in fresh]
    return first_bodies, again_bodies


def measure(info: FleetInfo, samples: int, change: float) -> list[Summary]:
    first_bodies, again_bodies = bodies(info, samples, change)
    db = connect(make_url(info.database_url).database or "")
    try:
        for body in first_bodies[:5]:  # warm the page cache as the server's is
            first_ingest(db, info.organization_id, body)
        first = _timed(lambda body: first_ingest(db, info.organization_id, body), first_bodies[5:])
        again = _timed(lambda body: reingest(db, info.organization_id, body), again_bodies)
    finally:
        db.close()
    return [summarize("floor: first ingest", first), summarize(f"floor: re-ingest {change:.0%} changed", again)]


def _timed(call: Any, bodies: list[bytes]) -> list[float]:
    samples = []
    for body in bodies:
        started = time.perf_counter()
        call(body)
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--database-url", help="an SQLite fleet built by bench.fleet")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--change", type=float, default=0.03)
    args = parser.parse_args()
    url = args.database_url or default_url(args.size)
    info = FleetInfo(**json.loads(info_path(url).read_text()))
    print(HEADER)
    for summary in measure(info, args.samples, args.change):
        print(summary.line())


if __name__ == "__main__":
    main()
