"""Memory of one server worker: its RSS after start, and after `--clients` (32) concurrent pages of
50 machines shaped `machine all,software limited` (the 40 % probe: thousands of nested titles per
page), `--rounds` each, and how long they took.

    python -m bench.memory --size 10000 --reuse
"""

from __future__ import annotations

import os
import threading
import time
from urllib.parse import urlencode

from bench.fleet import default_url, fleet_parser
from bench.ingest import load_or_build
from bench.per_request import PAGE, logged_in
from bench.server import running_server


def main() -> None:
    parser = fleet_parser(__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    url = args.database_url or default_url(args.size)
    info = load_or_build(url, args.size, args.seed, args.reuse)
    title = max(info.probes, key=lambda name: info.probes[name])
    path = PAGE + "?" + urlencode({"filtering": f"software.name eq {title}", "shaping": "machine all,software limited",
                                   "paging": "limit 50", "use_count": "false"})
    load = os.getloadavg()
    with running_server(url) as server:
        connections = [logged_in(server.base_url, info.login, info.password) for _ in range(args.clients)]
        started = server.rss_mb()
        barrier = threading.Barrier(args.clients)

        def run(number: int) -> None:
            barrier.wait()
            for _ in range(args.rounds):
                connections[number].get(path)

        threads = [threading.Thread(target=run, args=(number,)) for number in range(args.clients)]
        started_at = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started_at
        after = server.rss_mb()
        for connection in connections:
            connection.close()
    print(f"{info.size} machines; load average {load[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    print(f"worker RSS after start and {args.clients} logins: {started:.1f} MB; after {args.clients} concurrent "
          f"`software limited` pages x {args.rounds}: {after:.1f} MB (target <= 100 MB)")
    pages = args.clients * args.rounds
    print(f"the {pages} pages took {seconds:.1f} s ({pages / seconds:.1f} pages/s)")


if __name__ == "__main__":
    main()
