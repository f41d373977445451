"""Estate beside Datasette serving the same SQLite file, the two alternating request by request in
one run: a page of 50 machines, a name filter with its count, and requests per second at 32
clients; prints Estate / Datasette ratios with the load average.

- page: Estate `GET /api/inventory/machines/?paging=limit 50&use_count=false` (`machine all`: every
  column of the machine), Datasette `GET /<db>/machines.json?_size=50&_nocount=1&_shape=objects`
  filtered to the organization and to machines in inventory (every column too);
- filter + count: `filtering=name co <fragment>` with its Count against Datasette's
  `name__contains=<fragment>` (Datasette counts a filtered table by default);
- 32 clients: the page, without pause, for `--seconds` each.

Estate runs as `estate serve` does (one worker per core), Datasette as `datasette serve` does (one
process), each on its loopback port.

    python -m bench.peers --size 10000 --reuse
    python -m bench.peers --size 100000 --reuse --rounds 50
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy.engine import make_url

from bench.fleet import FleetInfo, default_url, fleet_parser
from bench.ingest import load_or_build
from bench.measure import timed
from bench.per_request import PAGE, Connection, alternating, logged_in, p50_ms
from bench.server import ROOT, free_port, running_server, wait_until_listening
from bench.throughput import requests_per_second
from estate.cli import available_cores

FRAGMENTS = ("srv", "pc")


@contextmanager
def datasette(database: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "datasette", "serve", str(database), "--host", "127.0.0.1", "--port", str(port),
               # Counts of 100 000 rows must finish, not stop at the default 1 s limit; no facet
               # suggestions (a query per column of the ~100, seconds per page), as an operator
               # serving a table this wide would set it.
               "--setting", "sql_time_limit_ms", "60000", "--setting", "suggest_facets", "off"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603 - our interpreter
    try:
        wait_until_listening(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


def count_scan(database: Path, organization_id: int, fragment: str, rounds: int) -> list[float]:
    """The floor under any answer of `name co <fragment>` with its count on SQLite: the count alone,
    on the raw driver. No SQLite index answers a substring, so it reads every name of the
    organization's machines; the two systems both pay it."""
    connection = sqlite3.connect(database)
    try:
        statement = ("SELECT count(*) FROM machines WHERE organization_id = ? AND archived = 0 "
                     "AND name LIKE ?")
        values = (organization_id, f"%{fragment}%")
        return timed(lambda: connection.execute(statement, values).fetchone() for _ in range(rounds))
    finally:
        connection.close()


def paths(info: FleetInfo, table: str) -> dict[str, tuple[str, str]]:
    """Each workload: (Estate's path, Datasette's path)."""
    walls = {"organization_id__exact": str(info.organization_id), "archived__exact": "0"}
    cases = {"page of 50": (
        PAGE + "?" + urlencode({"shaping": "machine all", "paging": "limit 50", "use_count": "false"}),
        table + "?" + urlencode({**walls, "_size": "50", "_nocount": "1", "_shape": "objects"}),
    )}
    for fragment in FRAGMENTS:
        cases[f"name co {fragment} + count"] = (
            PAGE + "?" + urlencode({"filtering": f"name co {fragment}", "shaping": "machine all",
                                    "paging": "limit 50"}),
            table + "?" + urlencode({**walls, "name__contains": fragment, "_size": "50", "_shape": "objects"}),
        )
    return cases


def main() -> None:
    parser = fleet_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    url = args.database_url or default_url(args.size)
    if make_url(url).get_backend_name() != "sqlite":
        raise SystemExit("Datasette serves SQLite files: give a sqlite:/// URL")
    info = load_or_build(url, args.size, args.seed, args.reuse)
    database = Path(make_url(url).database or "")
    table = f"/{database.stem}/machines.json"
    cases = paths(info, table)
    load = os.getloadavg()
    with ExitStack() as stack:
        estate = stack.enter_context(running_server(url, workers=available_cores()))
        peer = stack.enter_context(datasette(database))
        ours = logged_in(estate.base_url, info.login, info.password)
        theirs = Connection(peer)
        calls = {}
        for name, (our_path, their_path) in cases.items():
            calls[f"Estate {name}"] = lambda path=our_path: ours.get(path)
            calls[f"Datasette {name}"] = lambda path=their_path: theirs.get(path)
        samples = alternating(calls, args.rounds)
        page_ours, page_theirs = cases["page of 50"]
        throughput = {
            "Estate": requests_per_second(lambda: logged_in(estate.base_url, info.login, info.password),
                                          page_ours, args.clients, args.seconds),
            "Datasette": requests_per_second(lambda: Connection(peer), page_theirs, args.clients, args.seconds),
        }
    print(f"{info.size} machines, SQLite; Estate {available_cores()} workers, Datasette 1 process; load average "
          f"{load[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    print("| workload | Estate p50 | Datasette p50 | Estate / Datasette (target <= 0.5) |\n|---|---|---|---|")
    for name in cases:
        mine, peers = p50_ms(samples[f"Estate {name}"]), p50_ms(samples[f"Datasette {name}"])
        print(f"| {name} | {mine:.2f} ms | {peers:.2f} ms | {mine / peers:.2f} |")
    ratio = throughput["Estate"] / throughput["Datasette"]
    print(f"| page of 50, {args.clients} clients | {throughput['Estate']:.0f} req/s | "
          f"{throughput['Datasette']:.0f} req/s | {ratio:.2f} (req/s; target >= 2) |")

    print("\n| the count's scan alone (sqlite3 in this process) | p50 | share of Datasette's p50 |\n|---|---|---|")
    for fragment in FRAGMENTS:
        scan = p50_ms(count_scan(database, info.organization_id, fragment, args.rounds))
        datasette_p50 = p50_ms(samples[f"Datasette name co {fragment} + count"])
        print(f"| name co {fragment} | {scan:.2f} ms | {scan / datasette_p50:.2f} |")


if __name__ == "__main__":
    main()
