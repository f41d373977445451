"""Requests per second of the default server (one worker per core, as `estate serve` starts it) at 1
and at 32 clients, each client a kept-alive connection sending a page of 50 machines
(`machine all`, 5 % probe, no count) without pause for `--seconds`; the ratio shows whether the
server uses the machine's cores.

    python -m bench.throughput --size 10000 --reuse
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from urllib.parse import urlencode

from bench.fleet import FleetInfo, default_url, fleet_parser
from bench.ingest import load_or_build
from bench.per_request import PAGE, Connection, logged_in
from bench.server import running_server
from estate.cli import available_cores


def page_path(info: FleetInfo) -> str:
    title = next(title for title, share in info.probes.items() if 0.01 < share < 0.2)
    return PAGE + "?" + urlencode({"filtering": f"software.name eq {title}", "shaping": "machine all",
                                   "paging": "limit 50", "use_count": "false"})


def requests_per_second(connect: Callable[[], Connection], path: str, clients: int, seconds: float) -> float:
    """Answers per second of `clients` connections each sending `path` without pause."""
    connections = [connect() for _ in range(clients)]
    for connection in connections:
        connection.get(path)
    done = [0] * clients
    errors: list[BaseException] = []
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def run(number: int) -> None:
        start.wait()
        try:
            while time.perf_counter() < stop_at[0]:
                connections[number].get(path)
                done[number] += 1
        except Exception as error:  # reported after the run
            errors.append(error)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    for connection in connections:
        connection.close()
    if errors:
        raise RuntimeError(f"a client failed: {errors[0]}")
    return sum(done) / elapsed


def main() -> None:
    parser = fleet_parser(__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=available_cores(), help="default: one per core")
    args = parser.parse_args()
    url = args.database_url or default_url(args.size)
    info = load_or_build(url, args.size, args.seed, args.reuse)
    path = page_path(info)
    workers = args.workers
    load = os.getloadavg()
    with running_server(url, workers=workers) as server:
        def connect() -> Connection:
            return logged_in(server.base_url, info.login, info.password)

        one = requests_per_second(connect, path, 1, args.seconds)
        many = requests_per_second(connect, path, args.clients, args.seconds)
    print(f"{info.size} machines, {workers} workers; load average {load[0]:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end")
    print(f"1 client: {one:.0f} req/s; {args.clients} clients: {many:.0f} req/s; ratio {many / one:.2f} "
          "(target >= 1.8)")


if __name__ == "__main__":
    main()
