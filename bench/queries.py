"""Reads through the real HTTP route: a page of 50 machines filtered by a software title, at the
fleet's three probe selectivities (40 %, 5 %, 0.05 % of the machines), shaped `machine all` and
`machine all,software limited`, at 1 and at 32 concurrent connections.

    python -m bench.queries --size 1000                   # builds var/bench/fleet-1000.db first
    python -m bench.queries --size 100000 --reuse         # an existing fleet (bench.fleet)
    python -m bench.queries --size 1000 --database-url postgresql+psycopg://estate:estate@127.0.0.1:5432/fleet

Requests carry `use_count=false`: the page is measured, not the count (a count visits every match;
add `--count` to measure pages with it). The floor of the same page is bench/queries_floor.py
(SQLite, in-process, same database file, server stopped).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench import queries_floor
from bench.fleet import FleetInfo, default_url, fleet_parser
from bench.ingest import ingest_stream, load_or_build
from bench.measure import HEADER, Summary, database_size_mb, summarize
from bench.server import running_server
from estate.db.engine import make_engine

MACHINES = "/api/inventory/machines/"
SHAPES = ("machine all", "machine all,software limited")
WARM_UP = 5


def params_for(title: str, shape: str, with_count: bool) -> dict[str, str]:
    return {
        "filtering": f"software.name eq {title}",
        "shaping": shape,
        "paging": "limit 50",
        "use_count": "true" if with_count else "false",
    }


def get_each(client: Any, params: dict[str, str], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(MACHINES, params=params)
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"read failed: {response.status_code} {response.text[:300]}")
    return samples


def concurrently(clients: list[Any], params: dict[str, str], rounds: int) -> tuple[list[float], float]:
    """Every client sends `rounds` requests at once; answers all samples and the wall time."""
    results: list[list[float]] = [[] for _ in clients]
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            results[number] = get_each(clients[number], params, rounds)
        except Exception as error:  # reported after the run
            errors.append(error)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(len(clients))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"a connection failed: {errors[0]}")
    return [sample for part in results for sample in part], elapsed


def check_answer(client: Any, info: FleetInfo, title: str, share: float) -> None:
    """The page holds what the probe promises: min(50, matches) machines, each with the title."""
    body = client.get(MACHINES, params={**params_for(title, "machine limited,software limited", True)}).json()
    expected = round(share * info.size)
    # A probe is drawn per machine: allow five binomial standard deviations around its share.
    if abs(body["Count"] - expected) > max(2, 5 * (info.size * share * (1 - share)) ** 0.5):
        raise RuntimeError(f"{title}: {body['Count']} machines, expected about {expected}")
    for machine in body["Machines"]:
        if title not in {item["Display_name"] for item in machine["Software"]}:
            raise RuntimeError(f"{title}: machine {machine['Id']} lacks it")


def measure_server(info: FleetInfo, args: argparse.Namespace) -> tuple[list[Summary], float]:
    summaries = []
    with running_server(info.database_url) as server:
        for title, share in info.probes.items():
            for shape in SHAPES:
                params = params_for(title, shape, args.count)
                # Fresh logins for each case: a login session records its last use once a minute, and
                # on SQLite that write, racing 31 other requests, can fail (see bench/README.md).
                with ExitStack() as stack:
                    clients = [stack.enter_context(server.client(info.login, info.password))
                               for _ in range(args.connections)]
                    check_answer(clients[0], info, title, share)
                    get_each(clients[0], params, WARM_UP)
                    one = get_each(clients[0], params, args.rounds)
                    summaries.append(summarize(f"{share:.2%} `{shape}`, 1 connection", one))
                    many, elapsed = concurrently(clients, params, args.concurrent_rounds)
                    summaries.append(summarize(f"{share:.2%} `{shape}`, {len(clients)} connections", many, elapsed))
        if args.during_ingest:
            summaries += reads_during_ingests(server, info, args)
        rss = server.rss_mb()
    return summaries, rss


def reads_during_ingests(server: Any, info: FleetInfo, args: argparse.Namespace) -> list[Summary]:
    """The 5 % probe page on one connection, alone and while re-inventories stream in."""
    title, share = next((title, share) for title, share in info.probes.items() if 0.01 < share < 0.2)
    params = params_for(title, SHAPES[0], args.count)
    with server.client(info.login, info.password) as client:
        get_each(client, params, WARM_UP)
        alone = summarize(f"{share:.2%} `{SHAPES[0]}`, reads alone", get_each(client, params, args.rounds))
    # The reader logs in before the stream starts: a login is a write, and on SQLite a login that
    # read before an ingest committed fails (see above).
    with server.client(info.login, info.password) as client, \
            ingest_stream(server, info, connections=args.during_ingest) as counts:
        started = time.perf_counter()
        samples = get_each(client, params, args.rounds)
        elapsed = time.perf_counter() - started
    during = summarize(f"{share:.2%} `{SHAPES[0]}`, reads during ingests ({counts.done / elapsed:.0f} ingests/s, "
                       f"{counts.failed} failed)", samples)
    return [alone, during]


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = args.database_url or default_url(args.size)
    info = load_or_build(url, args.size, args.seed, args.reuse)
    summaries, rss = measure_server(info, args)
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        summaries += queries_floor.measure(info, args.rounds)
    size_mb = database_size_mb(engine)
    engine.dispose()
    return {
        "database": engine.dialect.name,
        "machines": info.size,
        "with_count": args.count,
        "summaries": [summary.__dict__ for summary in summaries],
        "table": "\n".join([HEADER, *(summary.line() for summary in summaries)]),
        "server_rss_mb": round(rss, 1),
        "database_mb": round(size_mb, 1),
    }


def main() -> None:
    parser = fleet_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=200, help="requests per case on one connection")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--concurrent-rounds", type=int, default=10, help="requests per connection, concurrent")
    parser.add_argument("--count", action="store_true", help="ask for the Count as well")
    parser.add_argument("--during-ingest", type=int, default=2, metavar="N",
                        help="also time reads while N connections post re-inventories (0: skip)")
    args = parser.parse_args()
    result = run(args)
    print(f"{result['database']}, {result['machines']} machines, count {'on' if args.count else 'off'}")
    print(result["table"])
    print(f"server RSS {result['server_rss_mb']} MB, database {result['database_mb']} MB")
    out = Path("var/bench") / f"queries-{result['database']}-{result['machines']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
