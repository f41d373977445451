"""Agents at scale: simulated agents (async clients speaking the real agent protocol) against one
server process.

1. `--idle` agents check in every `--interval` seconds (no work waiting): check-in latency, the
   server's CPU share of one core, the load average.
2. A trivial script run on `--run-machines` of them, checking in every `--interval` seconds, which
   start it and report a result: how long `actions/run` takes, and when the last result is back.
3. The same script run on all `--enrolled` machines (`machineIDs=all`): how long creating the run
   takes, and `runStatus` of that run.

Machines and their agents' secrets are written straight into a fresh database (as enrolment would
leave them); everything else goes through HTTP.

    .venv/bin/python -m bench.agents                      # SQLite, var/bench/agents.db
    .venv/bin/python -m bench.agents --database-url postgresql+psycopg://estate:estate@127.0.0.1:5432/estate_bench_agents
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import insert, select

from bench.fleet import create_owner, fresh_database
from bench.measure import percentile
from bench.server import running_server
from estate.agents.models import AgentMachine
from estate.assets.service import ensure_device_assets
from estate.auth.secrets import digest
from estate.db.base import utcnow
from estate.db.engine import make_engine, make_session_factory
from estate.db.migrate import upgrade
from estate.inventory.models import Machine


def secret_of(index: int) -> str:
    return f"ms_bench_{index:06d}_{'x' * 24}"


def enrol_machines(database_url: str, organization_id: int, count: int) -> list[int]:
    """`count` machines with an enrolled agent each, as enrolment leaves them."""
    engine = make_engine(database_url)
    now = utcnow()
    with engine.begin() as connection:
        rows = [{"organization_id": organization_id, "kuid": str(uuid.uuid4()).upper(), "name": f"bench-{index:05d}",
                 "ip": f"10.{index // 65536}.{index // 256 % 256}.{index % 256}", "os_family": "Linux",
                 "os_name": "Debian GNU/Linux 12 (bookworm)", "force_inventory": 0, "manual_entry": 0,
                 "archived": False, "created": now, "modified": now} for index in range(count)]
        for start in range(0, count, 2000):
            connection.execute(insert(Machine), rows[start:start + 2000])
        ids = list(connection.scalars(select(Machine.id).where(Machine.organization_id == organization_id)
                                      .order_by(Machine.id)))
        connection.execute(insert(AgentMachine), [
            {"organization_id": organization_id, "machine_id": machine_id, "secret_hash": digest(secret_of(index)),
             "enrolled": now, "offline_revision": 0, "agent_version": "bench"}
            for index, machine_id in enumerate(ids)])
    # Each machine has its device asset, as its first inventory gives it.
    sessions = make_session_factory(engine)
    for start in range(0, len(ids), 1000):
        with sessions.begin() as db:
            ensure_device_assets(db, organization_id=organization_id,
                                 machines={machine_id: f"bench-{start + offset:05d}"
                                           for offset, machine_id in enumerate(ids[start:start + 1000])})
    engine.dispose()
    return ids


class Connection:
    """One simulated agent's keep-alive HTTP/1.1 connection, written by hand: a general client's
    connection pool costs more CPU per request than the server's check-in, and would be measured."""

    def __init__(self, host: str, port: int, secret: str) -> None:
        self.host, self.port, self.secret = host, port, secret
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        payload = json.dumps(body).encode() if body is not None else b""
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {self.secret}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n")
        self.writer.write(head.encode() + payload)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        data = await self.reader.readexactly(length) if length else b""
        return int(status_line.split()[1]), json.loads(data) if data else None


class Server:
    def __init__(self, process: psutil.Process) -> None:
        self.process = process
        self.cpu = 0.0
        self.wall = 0.0

    def cpu_share(self, seconds_from: tuple[float, float]) -> float:
        cpu_then, wall_then = seconds_from
        times = self.process.cpu_times()
        return (times.user + times.system - cpu_then) / (time.monotonic() - wall_then)

    def mark(self) -> tuple[float, float]:
        times = self.process.cpu_times()
        return times.user + times.system, time.monotonic()


async def idle_agents(address: tuple[str, int], count: int, interval: float, seconds: float) -> list[float]:
    """Each agent checks in every `interval` seconds, starting at a random point of the first one."""
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def agent(index: int) -> None:
        connection = Connection(*address, secret_of(index))
        await asyncio.sleep(random.uniform(0, interval))
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status, answer = await connection.request("POST", "/agent/v1/checkin?wait=0&revision=0")
            latencies.append(time.perf_counter() - started)
            assert status == 200, answer
            await asyncio.sleep(interval)

    await asyncio.gather(*(agent(index) for index in range(count)))
    return latencies


async def working_agent(address: tuple[str, int], index: int, interval: float, stop: asyncio.Event,
                        done: list[float]) -> None:
    """Checks in every `interval` seconds; work it receives it starts and reports as done, as the
    real agent does."""
    connection = Connection(*address, secret_of(index))
    await asyncio.sleep(random.uniform(0, interval))
    while not stop.is_set():
        _, answer = await connection.request("POST", "/agent/v1/checkin?wait=0&revision=0")
        for work in answer["work"]:
            base = f"/agent/v1/work/{work['workId']}"
            await connection.request("POST", f"{base}/start")
            stamp = utcnow().isoformat()
            await connection.request("POST", f"{base}/report", {
                "steps": [{"seq": 0, "task": 0, "phase": "verify", "stepId": 1, "name": "Run a command",
                           "status": "success", "exitCode": 0, "output": "ok", "startTime": stamp, "endTime": stamp}],
                "result": {"status": "success", "exitCode": 0, "startTime": stamp, "endTime": stamp}})
            done.append(time.monotonic())
        await asyncio.sleep(interval)


def timed(call: Any, *args: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    answer = call(*args)
    return answer, time.perf_counter() - started


def run_on(kace: Any, script_id: int, machine_ids: str) -> Any:
    answer = kace.post(f"/api/script/{script_id}/actions/run", params={"machineIDs": machine_ids})
    answer.raise_for_status()
    return answer


def status_of(kace: Any, run_id: int) -> Any:
    answer = kace.get(f"/api/script/runStatus/{run_id}")
    answer.raise_for_status()
    return answer


async def main(options: argparse.Namespace) -> None:
    url = options.database_url or f"sqlite:///{Path('var/bench/agents.db').resolve()}"
    Path("var/bench").mkdir(parents=True, exist_ok=True)
    fresh_database(url)
    upgrade(make_engine(url))
    organization_id, _, login, password = create_owner(make_engine(url), options.seed)
    ids = enrol_machines(url, organization_id, options.enrolled)
    print(f"database: {make_engine(url).dialect.name}; {len(ids)} enrolled machines")
    os.environ["ESTATE_AGENT_REQUESTS_PER_SECOND"] = "5"
    with running_server(url) as server:
        process = Server(psutil.Process(server.process.pid))
        address = ("127.0.0.1", int(server.base_url.rsplit(":", 1)[1]))
        # 1. idle check-ins
        load_before = os.getloadavg()
        mark = process.mark()
        latencies = await idle_agents(address, options.idle, options.interval, options.idle_seconds)
        share = process.cpu_share(mark)
        print(f"idle check-ins: {options.idle} agents every {options.interval:.0f} s "
              f"for {options.idle_seconds:.0f} s: n={len(latencies)} p50={percentile(latencies, 0.5) * 1000:.2f} ms"
              f" p99={percentile(latencies, 0.99) * 1000:.2f} ms; server CPU {share * 100:.1f} % of one core;"
              f" load average {load_before[0]:.2f} → {os.getloadavg()[0]:.2f}")

        with server.client(login, password) as kace:
            trivial = [{"verify": [{"id": 1, "params": {"command": "true"}}]}]
            created = kace.post("/api/script", json={"name": "trivial", "type": "online", "tasks": trivial})
            script_id = created.json()["id"]
            # 2. a run on the long-polling agents
            stop, done = asyncio.Event(), []
            workers = [asyncio.create_task(working_agent(address, index, options.interval, stop, done))
                       for index in range(options.run_machines)]
            machine_ids = ",".join(str(machine_id) for machine_id in ids[:options.run_machines])
            answer, creation = await asyncio.to_thread(timed, run_on, kace, script_id, machine_ids)
            started = time.monotonic() - creation
            run_id = answer.json()
            while len(done) < options.run_machines and time.monotonic() - started < options.interval + 60:
                await asyncio.sleep(0.05)
            last = max(done) - started if len(done) >= options.run_machines else float("nan")
            if done:
                offsets = sorted(moment - started for moment in done)
                print(f"  results after (s): first {offsets[0]:.2f}, median {statistics.median(offsets):.2f}, "
                      f"last {offsets[-1]:.2f}")
            status, status_time = await asyncio.to_thread(timed, status_of, kace, run_id)
            print(f"run on {options.run_machines} agents checking in every {options.interval:.0f} s: "
                  f"created in {creation * 1000:.1f} ms; "
                  f"last result after {last:.2f} s; runStatus {len(status.json()['success'])} success "
                  f"in {status_time * 1000:.1f} ms; load average {os.getloadavg()[0]:.2f}")
            stop.set()
            for worker in workers:
                worker.cancel()
            # 3. a run on all enrolled machines
            creations, statuses = [], []
            for _ in range(options.repeat):
                answer, creation = await asyncio.to_thread(timed, run_on, kace, script_id, "all")
                creations.append(creation)
                run_id = answer.json()
                status, status_time = await asyncio.to_thread(timed, status_of, kace, run_id)
                statuses.append(status_time)
                assert len(status.json()["targeted"]) == options.enrolled
            print(f"run on all {options.enrolled} machines: created in median "
                  f"{statistics.median(creations) * 1000:.1f} ms (max {max(creations) * 1000:.1f}); "
                  f"runStatus of {options.enrolled} machines median {statistics.median(statuses) * 1000:.1f} ms; "
                  f"load average {os.getloadavg()[0]:.2f}")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--enrolled", type=int, default=10_000)
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument("--interval", type=float, default=30.0)
    parser.add_argument("--idle-seconds", type=float, default=90.0)
    parser.add_argument("--run-machines", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
