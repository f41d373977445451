"""Requests per second of the default server (one worker per core, as `estate serve` starts it) at 1
and at 32 clients, each client a kept-alive connection sending a page of 50 machines
(`machine all`, 5 % probe, no count) without pause for `--seconds`; the ratio shows whether the
server uses the machine's cores.

The clients run on the same cores as the server, so the benchmark also counts the CPU time each
side spent per answer and the cores' busy share in each phase: at 32 clients the most the cores
allow is cores / (server + client CPU per answer), and the ratio is printed beside the best that
ceiling leaves against the single client.

    python -m bench.throughput --size 10000 --reuse
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import psutil

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


@dataclass
class CpuUse:
    """CPU seconds spent while a phase ran: by the server's processes, by this process (the
    clients), and by the whole machine (busy, and taken by the hypervisor: steal)."""

    server: float = 0.0
    client: float = 0.0
    busy: float = 0.0
    steal: float = 0.0
    wall: float = 0.0


def _process_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _server_seconds(pid: int) -> float:
    """The server's master and its workers."""
    master = psutil.Process(pid)
    return sum(_process_seconds(process) for process in [master, *master.children(recursive=True)])


def _machine_seconds() -> tuple[float, float]:
    times = psutil.cpu_times()
    idle = times.idle + getattr(times, "iowait", 0.0)
    steal = getattr(times, "steal", 0.0)
    return sum(times) - idle - steal, steal


@contextmanager
def cpu_use(server_pid: int) -> Iterator[CpuUse]:
    use = CpuUse()
    server, client, (busy, steal), began = (_server_seconds(server_pid), _process_seconds(psutil.Process()),
                                            _machine_seconds(), time.perf_counter())
    yield use
    busy_after, steal_after = _machine_seconds()
    use.server = _server_seconds(server_pid) - server
    use.client = _process_seconds(psutil.Process()) - client
    use.busy, use.steal = busy_after - busy, steal_after - steal
    use.wall = time.perf_counter() - began


def settle(server_pid: int, *, quiet_cores: float = 0.05, timeout: float = 60.0) -> None:
    """Wait until the server's processes are idle: each worker starts a report process
    (estate.jobs.report_worker) that imports the app, ~1.5 s of a core each, which would otherwise
    run during the single client's phase and take CPU from it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = _server_seconds(server_pid)
        time.sleep(0.5)
        if (_server_seconds(server_pid) - before) / 0.5 < quiet_cores:
            return


def describe(label: str, rate: float, use: CpuUse) -> str:
    answers = rate * use.wall
    return (f"{label}: {rate:.0f} req/s; CPU per answer: server {use.server / answers * 1000:.2f} ms, "
            f"client {use.client / answers * 1000:.2f} ms; cores busy {use.busy / use.wall:.2f}"
            f" (steal {use.steal / use.wall:.2f})")


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

        settle(server.process.pid)
        with cpu_use(server.process.pid) as alone:
            one = requests_per_second(connect, path, 1, args.seconds)
        with cpu_use(server.process.pid) as crowded:
            many = requests_per_second(connect, path, args.clients, args.seconds)
    print(f"{info.size} machines, {workers} workers; load average {load[0]:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end")
    print(describe("1 client", one, alone))
    print(describe(f"{args.clients} clients", many, crowded))
    answers = many * crowded.wall
    ceiling = psutil.cpu_count() / ((crowded.server + crowded.client) / answers)
    print(f"ratio {many / one:.2f} (target >= 1.8); the cores' ceiling at the {args.clients} clients' CPU per "
          f"answer: {ceiling:.0f} req/s, {ceiling / one:.2f} x the single client; reached {many / ceiling:.2f} of it")


if __name__ == "__main__":
    main()
