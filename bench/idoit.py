"""The i-doit JSON-RPC face under load: a CMDB of --objects objects with --per-object category
entries each (100 000 × 10 = 1 000 000 entries for the work order's size), then timed calls
through the real HTTP server.

    python -m bench.idoit --objects 2000                 # a quick check, SQLite under var/bench/
    python -m bench.idoit --objects 100000               # the full size
    python -m bench.idoit --objects 10000 \\
        --database-url postgresql+psycopg://estate:estate@127.0.0.1:5432/estate_bench_idoit

The organization and its API key are made through the domain services; objects, entries, dialog
values and search documents are written with plain SQL in large executemany batches, shaped
exactly as estate.cmdb writes them (one GLOBAL entry per object, typed JSON values, one search
document per entry). Measured: cmdb.objects.read of 1 000 objects, cmdb.category.read,
cmdb.category.save, idoit.search with a selective and a common term, and a batch of 30 category
reads compared with 30 single reads.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text

from bench.fleet import fresh_database
from bench.measure import HEADER, database_size_mb, summarize, timed
from bench.server import running_server
from estate.auth.apikeys import create_api_key
from estate.db.base import utcnow
from estate.db.engine import make_engine, make_session_factory
from estate.db.migrate import upgrade
from estate.orgs import service as orgs

TYPES = ["C__OBJTYPE__SERVER", "C__OBJTYPE__CLIENT", "C__OBJTYPE__PRINTER", "C__OBJTYPE__SWITCH",
         "C__OBJTYPE__VIRTUAL_SERVER"]
MANUFACTURERS = ["Lenovo", "Dell", "HP", "Fujitsu", "Cisco"]
WORDS = ["alpha", "bravo", "cedar", "delta", "ember", "fjord", "gale", "harbor", "iris", "juniper", "kestrel"]
BATCH = 5000


def default_url(objects: int) -> str:
    Path("var/bench").mkdir(parents=True, exist_ok=True)
    return f"sqlite:///var/bench/idoit-{objects}.db"


def create_tenant(engine: Engine) -> tuple[int, str]:
    with make_session_factory(engine).begin() as db:
        organization = orgs.create_organization(db, name=f"CMDB bench {time.time_ns()}", actor_account_id=None)
        return organization.id, create_api_key(db, organization_id=organization.id)


def _max_id(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.scalar(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}"))  # noqa: S608


def _dialog_ids(engine: Engine, organization_id: int) -> dict[str, int]:
    first = _max_id(engine, "cmdb_dialog_entries") + 1
    rows = [{"id": first + i, "org": organization_id, "dialog": "isys_model_manufacturer", "title": title}
            for i, title in enumerate(MANUFACTURERS)]
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO cmdb_dialog_entries (id, organization_id, dialog, title) "
                                "VALUES (:id, :org, :dialog, :title)"), rows)
    return {row["title"]: row["id"] for row in rows}


def entries_of(rng: random.Random, index: int, title: str, per_object: int,
               manufacturers: dict[str, int]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(category, values, search text) of one object's entries after its GLOBAL entry."""
    maker = MANUFACTURERS[index % len(MANUFACTURERS)]
    serial = f"SN{index:08d}"
    yield "C__CATG__MODEL", {"manufacturer": manufacturers[maker], "serial": serial}, f"{maker} {serial}"
    yield "C__CATG__ACCOUNTING", {"inventory_no": f"INV-{index}", "price": 100.0 + index % 900}, f"INV-{index}"
    for n in range(per_object - 3):
        if n % 3 == 0:
            host = f"{title}-{n}"
            yield "C__CATG__IP", {"hostname": host, "domain": "bench.example"}, f"{host} bench.example"
        elif n % 3 == 1:
            yield "C__CATG__CPU", {"title": f"CPU {n}", "cores": 2 + n % 16}, f"CPU {n}"
        else:
            access = f"https://{title}.bench.example/{n}"
            yield "C__CATG__ACCESS", {"title": f"web {n}", "url": access}, f"web {n} {access}"


def load(engine: Engine, organization_id: int, objects: int, per_object: int, seed: int) -> None:
    rng = random.Random(seed)
    manufacturers = _dialog_ids(engine, organization_id)
    sqlite = engine.dialect.name == "sqlite"
    first_object = _max_id(engine, "cmdb_objects") + 1
    entry_id = _max_id(engine, "cmdb_category_entries")
    now = utcnow().replace(tzinfo=None)
    object_rows, entry_rows, search_rows = [], [], []
    insert_object = text(
        "INSERT INTO cmdb_objects (id, organization_id, type_const, title, sysid, status, cmdb_status, created, "
        "created_by) VALUES (:id, :org, :type, :title, :sysid, 2, 6, :now, 'bench')")
    insert_entry = text(
        "INSERT INTO cmdb_category_entries (id, organization_id, object_id, category_const, status, \"values\", "
        "created) VALUES (:id, :org, :object, :category, 2, :values, :now)")
    insert_search = text(
        "INSERT INTO cmdb_search (rowid, org, body) VALUES (:id, :token, :body)" if sqlite else
        "INSERT INTO cmdb_search (entry_id, organization_id, body) VALUES (:id, :org, :body)")

    def flush() -> None:
        with engine.begin() as connection:
            if object_rows:
                connection.execute(insert_object, object_rows)
            connection.execute(insert_entry, entry_rows)
            connection.execute(insert_search, search_rows)
        object_rows.clear(), entry_rows.clear(), search_rows.clear()

    for index in range(objects):
        object_id = first_object + index
        title = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{index}"
        type_const = TYPES[index % len(TYPES)]
        sysid = f"BENCH_{index:07d}"
        object_rows.append({"id": object_id, "org": organization_id, "type": type_const, "title": title,
                            "sysid": sysid, "now": now})
        documents = [("C__CATG__GLOBAL", {}, f"{title} {sysid}"),
                     *entries_of(rng, index, title, per_object, manufacturers)]
        for category, values, body in documents:
            entry_id += 1
            entry_rows.append({"id": entry_id, "org": organization_id, "object": object_id, "category": category,
                               "values": json.dumps(values), "now": now})
            search_rows.append({"id": entry_id, "org": organization_id, "token": f"o{organization_id}",
                                "body": body})
        if len(entry_rows) >= BATCH:
            flush()
    if entry_rows:
        flush()
    with engine.begin() as connection:
        if not sqlite:
            for table in ("cmdb_objects", "cmdb_category_entries"):
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))
        connection.execute(text("ANALYZE"))


class Rpc:
    def __init__(self, client: httpx.Client, apikey: str) -> None:
        self.client, self.apikey, self.next_id = client, apikey, 0

    def body(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        return {"version": "2.0", "method": method, "params": {"apikey": self.apikey, **params}, "id": self.next_id}

    def send(self, payload: Any) -> Any:
        response = self.client.post("/src/jsonrpc.php", content=json.dumps(payload))
        answer = response.json()
        for item in answer if isinstance(answer, list) else [answer]:
            if "error" in item:
                raise RuntimeError(item["error"])
        return answer

    def call(self, method: str, params: dict[str, Any]) -> Any:
        return self.send(self.body(method, params))["result"]


def measure(rpc: Rpc, first_object: int, objects: int, rounds: int, seed: int) -> list[str]:
    rng = random.Random(seed + 1)

    def some_object() -> int:
        return first_object + rng.randrange(objects)

    lines = []
    servers = max(objects // len(TYPES) - 1000, 1)
    listed = timed((lambda: rpc.call("cmdb.objects.read", {"filter": {"type": "C__OBJTYPE__SERVER"},
                                                           "limit": f"{rng.randrange(servers)},1000"}))
                   for _ in range(max(rounds // 10, 5)))
    lines.append(summarize("cmdb.objects.read (1 000 servers)", listed).line())
    reads = timed((lambda: rpc.call("cmdb.category.read", {"objID": some_object(), "category": "C__CATG__IP"}))
                  for _ in range(rounds))
    lines.append(summarize("cmdb.category.read (C__CATG__IP)", reads).line())
    saves = timed((lambda: rpc.call("cmdb.category.save", {"object": some_object(), "category": "C__CATG__MODEL",
                                                          "data": {"serial": f"NEW{rng.randrange(10**9)}"}}))
                  for _ in range(rounds))
    lines.append(summarize("cmdb.category.save (C__CATG__MODEL)", saves).line())
    selective = timed((lambda: rpc.call("idoit.search", {"q": f"SN{rng.randrange(objects):08d}"}))
                      for _ in range(rounds))
    lines.append(summarize("idoit.search (selective: one serial number)", selective).line())
    common = timed((lambda: rpc.call("idoit.search", {"q": rng.choice(MANUFACTURERS)}))
                   for _ in range(max(rounds // 5, 5)))
    lines.append(summarize("idoit.search (common: a manufacturer, 1/5 of objects)", common).line())
    batches = timed((lambda: rpc.send([rpc.body("cmdb.category.read", {"objID": some_object(),
                                                                        "category": "C__CATG__IP"})
                                       for _ in range(30)]))
                    for _ in range(max(rounds // 10, 5)))
    batch = summarize("batch of 30 cmdb.category.read", batches)
    lines.append(batch.line())
    floor = 30 * summarize("", reads).p50_ms
    lines.append(f"\nbatch p50 {batch.p50_ms:.1f} ms vs 30 single reads (p50) {floor:.1f} ms: "
                 f"{batch.p50_ms / floor:.2f}×")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--per-object", type=int, default=10, help="category entries per object (GLOBAL included)")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if args.per_object < 4:
        raise SystemExit("--per-object must be at least 4")
    url = args.database_url or default_url(args.objects)
    fresh_database(url)
    engine = make_engine(url)
    upgrade(engine)
    organization_id, apikey = create_tenant(engine)
    first_object = _max_id(engine, "cmdb_objects") + 1
    started = time.perf_counter()
    load(engine, organization_id, args.objects, args.per_object, args.seed)
    loaded = time.perf_counter() - started
    print(f"loaded {args.objects} objects, {args.objects * args.per_object} entries in {loaded:.0f} s; "
          f"database {database_size_mb(engine):.0f} MB ({engine.dialect.name})")
    engine.dispose()
    with running_server(url) as server, httpx.Client(base_url=server.base_url, timeout=120,
                                                     headers={"Content-Type": "application/json"}) as client:
        lines = measure(Rpc(client, apikey), first_object, args.objects, args.rounds, args.seed)
    report = "\n".join([HEADER, *lines])
    print(report)
    Path("var/bench").mkdir(parents=True, exist_ok=True)
    Path(f"var/bench/idoit-{args.objects}-{engine.dialect.name}.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
