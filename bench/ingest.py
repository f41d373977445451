"""Ingest through the real HTTP route: first inventories, re-inventories with 3 % change, and a
sustained stream of re-inventories on several connections.

    python -m bench.ingest --size 1000                    # builds var/bench/fleet-1000.db first
    python -m bench.ingest --size 100000 --reuse          # an existing fleet (bench.fleet)
    python -m bench.ingest --size 1000 --database-url postgresql+psycopg://estate:estate@127.0.0.1:5432/fleet

Every request carries one machine, as an agent sends it. Payloads are serialized before the clock
starts. The floor of the same operations is bench/ingest_floor.py (SQLite).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import orjson
from sqlalchemy.engine import make_url

from bench import ingest_floor
from bench.fleet import (
    Catalogs,
    FleetInfo,
    bulk_load,
    changed,
    default_url,
    fleet_parser,
    fresh_database,
    info_path,
    inventory_of,
    payload_of,
)
from bench.measure import HEADER, Summary, database_size_mb, summarize
from bench.server import running_server
from estate.db.engine import make_engine

MACHINES = "/api/inventory/machines/"


def body_of(payload: dict[str, Any]) -> bytes:
    return orjson.dumps({"Machines": [payload]})


def post_each(client: Any, bodies: list[bytes]) -> list[float]:
    samples = []
    for body in bodies:
        started = time.perf_counter()
        response = client.post(MACHINES, content=body)
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"ingest failed: {response.status_code} {response.text[:300]}")
    return samples


def timed_once(call: Any, *args: Any) -> float:
    started = time.perf_counter()
    call(*args)
    return time.perf_counter() - started


def in_turn(route: Any, route_bodies: list[bytes], floor: Any,
            floor_bodies: list[bytes]) -> tuple[list[float], list[float]]:
    """The route's and the floor's samples taken one after the other, body by body (the floor's
    list may be empty: PostgreSQL has none)."""
    route_samples: list[float] = []
    floor_samples: list[float] = []
    for index, body in enumerate(route_bodies):
        route_samples.append(route(body))
        if index < len(floor_bodies):
            floor_samples.append(floor(floor_bodies[index]))
    return route_samples, floor_samples


def stream(server: Any, info: FleetInfo, bodies: list[bytes], connections: int) -> tuple[list[float], float]:
    """``bodies`` spread over ``connections`` clients posting at once; answers samples and wall time."""
    shares = [bodies[start::connections] for start in range(connections)]
    results: list[list[float]] = [[] for _ in range(connections)]
    errors: list[BaseException] = []
    with ExitStack() as stack:
        # Logged in one after the other: the clients start posting together.
        clients = [stack.enter_context(server.client(info.login, info.password)) for _ in range(connections)]

        def run(number: int) -> None:
            try:
                results[number] = post_each(clients[number], shares[number])
            except Exception as error:  # reported after the run
                errors.append(error)

        threads = [threading.Thread(target=run, args=(number,)) for number in range(connections)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"a connection failed: {errors[0]}")
    return [sample for part in results for sample in part], elapsed


@dataclass
class Background:
    """Counts what a background stream of ingests did."""

    done: int = 0
    failed: int = 0


@contextmanager
def ingest_stream(server: Any, info: FleetInfo, *, connections: int = 1, change: float = 0.03,
                  pool: int = 200) -> Iterator[Background]:
    """Re-inventories of fleet machines posted without pause on ``connections`` connections while
    the block runs, e.g. to time reads during a stream of ingests (``bench.queries``)."""
    catalogs = Catalogs(info.seed)
    rng = random.Random(f"background-{info.seed}")
    bodies = [body_of(payload_of(catalogs, changed(catalogs, inventory_of(catalogs, rng.randrange(
        info.size - info.sample)), change, rng))) for _ in range(pool)]
    stop = threading.Event()
    counts = Background()

    def run(client: Any, offset: int) -> None:
        for body in itertools.cycle(bodies[offset:] + bodies[:offset]):
            if stop.is_set():
                return
            if client.post(MACHINES, content=body).status_code == 200:
                counts.done += 1
            else:
                counts.failed += 1

    with ExitStack() as stack:
        clients = [stack.enter_context(server.client(info.login, info.password)) for _ in range(connections)]
        threads = [threading.Thread(target=run, args=(client, number * pool // connections), daemon=True)
                   for number, client in enumerate(clients)]
        for thread in threads:
            thread.start()
        try:
            yield counts
        finally:
            stop.set()
            for thread in threads:
                thread.join()


def load_or_build(url: str, size: int, seed: int, reuse: bool) -> FleetInfo:
    path = info_path(url)
    if reuse and path.exists():
        return FleetInfo(**json.loads(path.read_text()))
    fresh_database(url)
    info = bulk_load(url, size, seed, sample=0, progress=False)
    info.save()
    return info


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = args.database_url or default_url(args.size)
    info = load_or_build(url, args.size, args.seed, args.reuse)
    catalogs = Catalogs(info.seed)
    rng = random.Random(f"ingest-{info.seed}")
    # New machines get indexes past the fleet (and past earlier runs: a run id in the range).
    first_index = info.size + 1_000_000 * rng.randint(1, 999)
    fresh = [inventory_of(catalogs, first_index + offset) for offset in range(args.samples)]
    first_bodies = [body_of(payload_of(catalogs, inventory)) for inventory in fresh]
    again_bodies = [body_of(payload_of(catalogs, changed(catalogs, inventory, args.change, rng)))
                    for inventory in fresh]
    streamed = [inventory_of(catalogs, rng.randrange(info.size - info.sample)) for _ in range(args.stream)]
    stream_bodies = [body_of(payload_of(catalogs, changed(catalogs, inventory, args.change, rng)))
                     for inventory in streamed]
    summaries: list[Summary] = []
    engine = make_engine(url)
    # On SQLite the floor runs on the same file, each of its ingests right after one of the
    # route's: the file's state (its write-ahead log, the page cache) moves both alike.
    floor = ingest_floor.connect(make_url(url).database or "") if engine.dialect.name == "sqlite" else None
    floor_first, floor_again = ingest_floor.bodies(info, args.samples, args.change) if floor else ([], [])
    with running_server(url) as server:
        with server.client(info.login, info.password) as client:
            post_each(client, first_bodies[:5])  # warm the server's caches and connection pool
            floor_db = cast(sqlite3.Connection, floor)
            for body in floor_first[:5]:
                ingest_floor.first_ingest(floor_db, info.organization_id, body)
            route, floor_samples = in_turn(
                lambda body: post_each(client, [body])[0], first_bodies[5:],
                lambda body: timed_once(ingest_floor.first_ingest, floor_db, info.organization_id, body),
                floor_first[5:])
            first_floor = summarize("floor: first ingest", floor_samples) if floor else None
            summaries.append(summarize("first ingest, 1 connection", route))
            route, floor_samples = in_turn(
                lambda body: post_each(client, [body])[0], again_bodies,
                lambda body: timed_once(ingest_floor.reingest, floor_db, info.organization_id, body), floor_again)
            summaries.append(summarize(f"re-ingest {args.change:.0%} changed, 1 connection", route))
            again_floor = summarize(f"floor: re-ingest {args.change:.0%} changed", floor_samples) if floor else None
        samples, elapsed = stream(server, info, stream_bodies, args.connections)
        summaries.append(summarize(f"re-ingest stream, {args.connections} connections", samples, elapsed))
        rss = server.rss_mb()
    if floor is not None:
        floor.close()
        summaries += [summary for summary in (first_floor, again_floor) if summary is not None]
    size_mb = database_size_mb(engine)
    engine.dispose()
    return {
        "database": engine.dialect.name,
        "machines": info.size,
        "summaries": [summary.__dict__ for summary in summaries],
        "table": "\n".join([HEADER, *(summary.line() for summary in summaries)]),
        "server_rss_mb": round(rss, 1),
        "database_mb": round(size_mb, 1),
    }


def main() -> None:
    parser = fleet_parser(__doc__)
    parser.add_argument("--samples", type=int, default=100, help="first ingests and re-ingests, one at a time")
    parser.add_argument("--stream", type=int, default=400, help="re-ingests in the concurrent stream")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--change", type=float, default=0.03)
    args = parser.parse_args()
    result = run(args)
    print(f"{result['database']}, {result['machines']} machines")
    print(result["table"])
    print(f"server RSS {result['server_rss_mb']} MB, database {result['database_mb']} MB")
    p50 = {summary["name"]: summary["p50_ms"] for summary in result["summaries"]}
    again = f"re-ingest {args.change:.0%} changed"
    if f"floor: {again}" in p50:
        ratio = p50[f"{again}, 1 connection"] / p50[f"floor: {again}"]
        print(f"re-ingest / its floor (p50, taken in turn): {ratio:.2f} (target <= 2)")
    out = Path("var/bench") / f"ingest-{result['database']}-{result['machines']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
