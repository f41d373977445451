"""The real server for benchmarks: uvicorn in a child process on a loopback port, stopped on exit,
and a KACE client that logs in the way scripts do."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from estate.app import KEEP_ALIVE_SECONDS

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def kace_client(base_url: str, login: str, password: str) -> Iterator[httpx.Client]:
    """A logged-in client, closed on exit. Idle connections are dropped after httpx's 5 s, well
    before the server's KEEP_ALIVE_SECONDS (see estate.app)."""
    headers = {"Accept": "application/json", "Content-Type": "application/json", "x-dell-api-version": "5"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=120) as client:
        response = client.post("/ams/shared/api/security/login", json={"userName": login, "password": password})
        response.raise_for_status()
        client.headers["x-dell-csrf-token"] = response.headers["x-dell-csrf-token"]
        yield client


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]

    def client(self, login: str, password: str):  # type: ignore[no-untyped-def]
        return kace_client(self.base_url, login, password)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


@contextmanager
def running_server(database_url: str, *, workers: int = 1, app: str = "estate.app:create_app") -> Iterator[Server]:
    """Estate (or another ASGI app factory, `module:function`) served by uvicorn as Estate is."""
    port = free_port()
    env = {**os.environ, "ESTATE_DATABASE_URL": database_url, "ESTATE_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "uvicorn", "--factory", app, "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning", "--no-access-log", "--workers", str(workers),
               "--timeout-keep-alive", str(KEEP_ALIVE_SECONDS)]
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - our own interpreter and module
    try:
        wait_until_listening(port, process)
        yield Server(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited while starting")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the server did not start within 30 s")
