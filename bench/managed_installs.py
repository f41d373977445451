"""Managed installs at scale.

1. `downloads`: a `--package-mb` package of random bytes, uploaded through `POST /api/mi/files`,
   downloaded through the agent protocol (`GET /agent/v1/work/{id}/dependency/{name}`) by one
   simulated agent alone (MB/s), then by `--agents` at once: the server's RSS is sampled every
   20 ms, and its growth over the RSS before the downloads is the figure.
2. `fleet`: on a copy of a fleet made by bench.fleet (`--fleet`, copied, never changed in place), a
   managed install whose supported systems are the fleet's operating system `--os-id` (~10 000
   machines of the 100 000 fleet): creating the targets (`add_to_machines` naming every compatible
   machine; `Deploy_to_all` switched on), and `compatible_machines` pages of 50.

    .venv/bin/python -m bench.managed_installs downloads
    .venv/bin/python -m bench.managed_installs fleet --fleet var/bench/fleet-100000.db
    .venv/bin/python -m bench.managed_installs fleet --fleet /path/to/fleet.db --stamp 0013_installation_facts
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, select

from bench.agents import enrol_machines, secret_of
from bench.fleet import create_owner, fresh_database
from bench.measure import percentile
from bench.server import Server, running_server
from estate.db.engine import make_engine
from estate.db.migrate import alembic_config, upgrade
from estate.inventory.models import Machine

BENCH = Path("var/bench")


# --- 1. downloads ------------------------------------------------------------------------------


def make_package(path: Path, megabytes: int) -> None:
    if path.exists() and path.stat().st_size == megabytes * 1024 * 1024:
        return
    with open(path, "wb") as sink:
        for _ in range(megabytes):
            sink.write(os.urandom(1024 * 1024))


async def _request(address: tuple[str, int], secret: str, method: str, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(*address)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {secret}\r\n"
                 f"Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    body = await reader.read()
    writer.close()
    return int(head.split(b" ", 2)[1]), body


async def claim(address: tuple[str, int], index: int) -> tuple[int, str]:
    """Check in as machine `index`, take its managed install and start it: (work id, file name)."""
    status, body = await _request(address, secret_of(index), "POST", "/agent/v1/checkin?wait=0&revision=0")
    assert status == 200, body
    (work,) = [item for item in json.loads(body)["work"] if item["kind"] == "mi"]
    status, body = await _request(address, secret_of(index), "POST", f"/agent/v1/work/{work['workId']}/start")
    assert status == 200, body
    return work["workId"], work["definition"]["dependencies"][0]["name"]


async def download(address: tuple[str, int], index: int, work_id: int, name: str) -> tuple[int, float]:
    """The package through the agent protocol, read in 1 MiB chunks and dropped: (bytes, seconds)."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(*address, limit=4 * 1024 * 1024)
    writer.write(f"GET /agent/v1/work/{work_id}/dependency/{name} HTTP/1.1\r\nHost: bench\r\n"
                 f"Authorization: Bearer {secret_of(index)}\r\nConnection: close\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.split(b" ", 2)[1] == b"200", head
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    received = 0
    while received < length:
        chunk = await reader.read(1024 * 1024)
        if not chunk:
            break
        received += len(chunk)
    writer.close()
    return received, time.perf_counter() - started


async def sample_rss(server: Server, stop: asyncio.Event, samples: list[float]) -> None:
    while not stop.is_set():
        samples.append(server.rss_mb())
        await asyncio.sleep(0.02)


async def downloads(options: argparse.Namespace) -> None:
    url = options.database_url or f"sqlite:///{(BENCH / 'mi-downloads.db').resolve()}"
    BENCH.mkdir(parents=True, exist_ok=True)
    data_dir = BENCH / "mi-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    fresh_database(url)
    upgrade(make_engine(url))
    organization_id, _, login, password = create_owner(make_engine(url), options.seed)
    machine_ids = enrol_machines(url, organization_id, options.agents + 1)
    package = BENCH / f"mi-package-{options.package_mb}mb.bin"
    make_package(package, options.package_mb)
    os.environ.update(ESTATE_DATA_DIR=str(data_dir.resolve()), ESTATE_MAX_PACKAGE_BYTES=str(8 * 1024 ** 3),
                      ESTATE_AGENT_REQUESTS_PER_SECOND="50", ESTATE_MAX_BODY_BYTES=str(10 * 1024 * 1024))
    with running_server(url) as server:
        address = ("127.0.0.1", int(server.base_url.rsplit(":", 1)[1]))
        with server.client(login, password) as kace:
            kace.headers.pop("Content-Type")
            started = time.perf_counter()
            with open(package, "rb") as source:
                uploaded = kace.post("/api/mi/files", files={"file": (package.name, source)})
            upload_seconds = time.perf_counter() - started
            uploaded.raise_for_status()
            kace.headers["Content-Type"] = "application/json"
            created = kace.post("/api/mi/managed_installs", json={"MIs": [{
                "Software": {"Display_name": "Bench Package", "Display_version": "1.0"},
                "Supported_operating_systems": ["Linux"], "File_id": uploaded.json()["IDs"][0],
                "Full_command_line": "true", "Enabled": True}]})
            created.raise_for_status()
            managed_install = created.json()["IDs"][0]
            kace.put(f"/api/managed_install/managed_installs/{managed_install}/add_to_machines",
                     json={"Machines": machine_ids}).raise_for_status()
        print(f"upload of {options.package_mb} MB through POST /api/mi/files: {upload_seconds:.2f} s "
              f"({options.package_mb / upload_seconds:.0f} MB/s); server RSS {server.rss_mb():.1f} MB")
        claims = [await claim(address, index) for index in range(options.agents + 1)]
        # One agent alone.
        singles = []
        for _ in range(options.repeat):
            received, seconds = await download(address, 0, *claims[0])
            singles.append(received / seconds / 1024 / 1024)
        print(f"single download of {options.package_mb} MB, {options.repeat} times: median "
              f"{statistics.median(singles):.0f} MB/s (best {max(singles):.0f}, worst {min(singles):.0f}); "
              f"load average {os.getloadavg()[0]:.2f}")
        # Many at once.
        before = server.rss_mb()
        stop, samples = asyncio.Event(), []
        sampler = asyncio.create_task(sample_rss(server, stop, samples))
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        results = await asyncio.gather(*(download(address, index, *claims[index])
                                         for index in range(1, options.agents + 1)))
        wall = time.perf_counter() - started
        stop.set()
        await sampler
        total = sum(received for received, _ in results)
        assert all(received == options.package_mb * 1024 * 1024 for received, _ in results)
        seconds = [spent for _, spent in results]
        print(f"{options.agents} downloads at once: {total / 1024 / 1024:.0f} MB in {wall:.1f} s "
              f"({total / wall / 1024 / 1024:.0f} MB/s together; each {min(seconds):.1f}-{max(seconds):.1f} s); "
              f"server RSS {before:.1f} MB before, peak {max(samples):.1f} MB (+{max(samples) - before:.1f} MB), "
              f"p50 {percentile(samples, 0.5):.1f} MB; load average {load_before:.2f} → {os.getloadavg()[0]:.2f}")


# --- 2. the fleet ------------------------------------------------------------------------------


def copy_fleet(source: Path, stamp: str | None) -> tuple[str, dict[str, Any]]:
    """A copy of the fleet (the original is never changed) at this code's newest schema."""
    info = json.loads(Path(f"{source}.json").read_text())
    target = BENCH / f"mi-{source.name}"
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    url = f"sqlite:///{target.resolve()}"
    engine = make_engine(url)
    if stamp:  # the fleet was made by code whose newest migration this code does not know
        from alembic import command

        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.stamp(config, stamp.split(","), purge=True)
    upgrade(engine)
    engine.dispose()
    return url, info


def timed_call(call: Any) -> float:
    started = time.perf_counter()
    answer = call()
    answer.raise_for_status()
    return time.perf_counter() - started


def floor(url: str, organization_id: int, os_id: int, managed_install: int, rounds: int) -> None:
    """The same work by hand with raw sqlite3 on the same file, server stopped: the compatible page
    (the title's catalog ids known) and the 10 000 target rows and work rows of one managed install,
    each insert rolled back so that every round starts alike."""
    connection = sqlite3.connect(make_url(url).database or "", isolation_level=None)
    software_id = connection.execute("SELECT software_id FROM managed_installs WHERE id = ?",
                                     (managed_install,)).fetchone()[0]
    compatible = ("FROM machines m WHERE m.organization_id = ? AND m.os_id = ? AND m.archived = 0 AND NOT EXISTS "
                  "(SELECT 1 FROM machine_software ms WHERE ms.machine_id = m.id AND ms.software_id = ?)")
    arguments = (organization_id, os_id, software_id)
    pages = {"first page": f"SELECT m.* {compatible} ORDER BY m.id LIMIT 50",
             "page at offset 5000": f"SELECT m.* {compatible} ORDER BY m.id LIMIT 50 OFFSET 5000",
             "count": f"SELECT count(*) {compatible}"}
    for label, statement in pages.items():
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            connection.execute(statement, arguments).fetchall()
            samples.append(time.perf_counter() - started)
        print(f"floor, compatible {label}: p50 {percentile(samples, 0.5) * 1000:.1f} ms")
    targets = ("INSERT INTO managed_install_machines (organization_id, managed_install_id, machine_id, selected, "
               "removed, action, status, attempts, reason, output, requested) SELECT m.organization_id, ?, m.id, 0, "
               f"0, 'install', 'pending', 0, '', '', '2026-01-01 00:00:00' {compatible}")
    work = ("INSERT INTO agent_work (organization_id, machine_id, subject_id, kind, state, created) SELECT "
            "organization_id, machine_id, id, 'mi', 'pending', '2026-01-01 00:00:00' FROM managed_install_machines "
            "WHERE managed_install_id = ?")
    samples = []
    for _ in range(5):
        connection.execute("BEGIN")
        started = time.perf_counter()
        connection.execute(targets, (managed_install, *arguments))
        connection.execute(work, (managed_install,))
        samples.append(time.perf_counter() - started)
        connection.execute("ROLLBACK")
    print(f"floor, 10 000 target rows and their work rows by INSERT ... SELECT (rolled back): "
          f"p50 {statistics.median(samples) * 1000:.1f} ms (min {min(samples) * 1000:.1f}); "
          f"load average {os.getloadavg()[0]:.2f}")
    connection.close()


def fleet(options: argparse.Namespace) -> None:
    url, info = copy_fleet(Path(options.fleet), options.stamp)
    engine = make_engine(url)
    with engine.connect() as connection:
        compatible = list(connection.scalars(select(Machine.id).where(
            Machine.organization_id == info["organization_id"], Machine.os_id == options.os_id)))
    print(f"fleet: {info['size']} machines, {len(compatible)} run operating system {options.os_id}")
    os.environ.update(ESTATE_DATA_DIR=str((BENCH / "mi-fleet-data").resolve()))
    with running_server(url) as server, server.client(info["login"], info["password"]) as kace:
        def new_managed_install(index: int) -> int:
            answer = kace.post("/api/mi/managed_installs", json={"MIs": [{
                "Software": {"Display_name": f"Bench Rollout {index}", "Display_version": "2.0"},
                "Supported_operating_systems": [{"id": options.os_id}], "Full_command_line": "setup.exe /quiet",
                "Enabled": True}]})
            answer.raise_for_status()
            return int(answer.json()["IDs"][0])

        named, everywhere = [], []
        for index in range(options.repeat):
            managed_install = new_managed_install(2 * index)
            named.append(timed_call(lambda managed_install=managed_install: kace.put(
                f"/api/managed_install/managed_installs/{managed_install}/add_to_machines",
                json={"Machines": compatible})))
            managed_install = new_managed_install(2 * index + 1)
            everywhere.append(timed_call(lambda managed_install=managed_install: kace.put(
                f"/api/mi/managed_installs/{managed_install}", json={"Deploy_to_all": True})))
        targets = kace.get(f"/api/mi/managed_installs/{managed_install}",
                           params={"shaping": "mi limited", "use_count": "true"})
        print(f"creating the targets of {len(compatible)} machines, {options.repeat} times each "
              f"(load average {os.getloadavg()[0]:.2f}): add_to_machines naming them median "
              f"{statistics.median(named) * 1000:.1f} ms (min {min(named) * 1000:.1f}, max {max(named) * 1000:.1f}); "
              f"Deploy_to_all median {statistics.median(everywhere) * 1000:.1f} ms "
              f"(min {min(everywhere) * 1000:.1f}, max {max(everywhere) * 1000:.1f})")
        assert targets.status_code == 200
        pages = {"first page": {"paging": "limit 50"}, "page at offset 5000": {"paging": "limit 50 offset 5000"},
                 "first page, use_count": {"paging": "limit 50", "use_count": "true"}}
        for label, params in pages.items():
            samples = [timed_call(lambda params=params: kace.get(
                f"/api/mi/managed_installs/{managed_install}/compatible_machines", params=params))
                for _ in range(options.pages)]
            print(f"compatible_machines {label} (50 of {len(compatible)}): "
                  f"p50 {percentile(samples, 0.5) * 1000:.1f} ms, p99 {percentile(samples, 0.99) * 1000:.1f} ms "
                  f"over {options.pages}; "
                  f"load average {os.getloadavg()[0]:.2f}")
        untargeted = new_managed_install(2 * options.repeat)  # the floor's: no target yet
        samples = [timed_call(lambda: kace.get("/api/mi/compatible_machines", params={"paging": "limit 50"}))
                   for _ in range(options.pages)]
        print(f"/api/mi/compatible_machines first page ({2 * options.repeat + 1} managed installs): "
              f"p50 {percentile(samples, 0.5) * 1000:.1f} ms, p99 {percentile(samples, 0.99) * 1000:.1f} ms")
    floor(url, info["organization_id"], options.os_id, untargeted, options.pages)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("downloads")
    one.add_argument("--database-url", default=None)
    one.add_argument("--agents", type=int, default=50)
    one.add_argument("--package-mb", type=int, default=200)
    one.add_argument("--repeat", type=int, default=5)
    one.add_argument("--seed", type=int, default=7)
    two = commands.add_parser("fleet")
    two.add_argument("--fleet", default="var/bench/fleet-100000.db")
    two.add_argument("--stamp", default=None,
                     help="the migration(s) the fleet's schema is at, comma-separated, when other code made it")
    two.add_argument("--os-id", type=int, default=3)
    two.add_argument("--repeat", type=int, default=5)
    two.add_argument("--pages", type=int, default=100)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    if arguments.command == "downloads":
        asyncio.run(downloads(arguments))
    else:
        fleet(arguments)
