"""Real processes for the agent tests: `estate serve` on the suite's database, and `estate-agent`
processes with state directories of their own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.kace_client import KaceClient
from tests.servers import free_port

# Short intervals so that a test waits seconds, never minutes; the run expiry still leaves a live
# agent on a machine busy with the whole suite ample time to take its work before it counts as
# pushFailed.
RUN_EXPIRY_SECONDS = 20


def wait_for(probe: Callable[[], Any], *, seconds: float = 30, every: float = 0.1, what: str = "condition") -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


class Server:
    """`estate serve` as an administrator starts it, on the suite's database and data folder."""

    def __init__(self, database_url: str, data_dir: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {key: value for key, value in os.environ.items() if not key.startswith("ESTATE_")} | {
            "ESTATE_DATABASE_URL": database_url,
            "ESTATE_DATA_DIR": str(data_dir),
            "ESTATE_TEST_CHEAP_PASSWORD_HASHES": "1",
            "ESTATE_SCRIPT_RUN_EXPIRY_SECONDS": str(RUN_EXPIRY_SECONDS),
            "ESTATE_AGENT_WAKE_CHECK_SECONDS": "0.5",
            "ESTATE_AGENT_REQUESTS_PER_SECOND": "100",
            "ESTATE_LOG_LEVEL": "warning",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "estate.cli", "serve", "--port", str(self.port), "--workers", "1"],
                env=self.env, stdout=sink, stderr=subprocess.STDOUT)
        wait_for(self._answers, seconds=60, what="the server to start")

    def _answers(self) -> bool:
        assert self.process is not None and self.process.poll() is None, self.log.read_text()[-3000:]
        try:
            return httpx.post(f"{self.url}/agent/v1/checkin", timeout=2).status_code == 401
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class Agent:
    """`estate-agent` with its own state directory."""

    def __init__(self, server: Server, token: str, state_dir: Path, *extra: str, url: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.server, self.token, self.state_dir, self.extra = server, token, state_dir, extra
        self.url = url or server.url  # another address of the server (a proxy in between)
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.machine_id: int | None = None

    def start(self) -> Agent:
        self.launch()
        return self.enrolled()

    def enrolled(self) -> Agent:
        self.machine_id = wait_for(self._enrolled, what="the agent to enrol")
        return self

    def launch(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir.parent / f"{self.state_dir.name}.log", "ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "estate.agent", "--server", self.url, "--token", self.token,
                 "--state-dir", str(self.state_dir), "--poll", "20", "--retry", "0.3", "--minute", "1",
                 "--log-level", "warning", *self.extra],
                env={**{key: value for key, value in os.environ.items() if not key.startswith("ESTATE_")},
                     **self.env},
                stdout=sink, stderr=subprocess.STDOUT)

    def _enrolled(self) -> int | None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the agent stopped: {self.output()}")
        try:
            return json.loads((self.state_dir / "identity.json").read_text()).get("machine_id")
        except (FileNotFoundError, ValueError):
            return None

    def output(self) -> str:
        path = self.state_dir.parent / f"{self.state_dir.name}.log"
        return path.read_text()[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def admin_client(server: Server, login: str, password: str) -> KaceClient:
    kace = KaceClient(server.url)
    kace.login(login, password)
    return kace


def new_token(kace: KaceClient) -> str:
    answer = kace.post("/api/agent/tokens", json={"description": "tests"})
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def finished(kace: KaceClient, run_id: int, count: int) -> dict[str, Any] | None:
    status = kace.get(f"/api/script/runStatus/{run_id}").json()
    done = len(status["success"]) + len(status["failed"]) + len(status["pushFailed"])
    return status if done >= count else None


def run_and_wait(kace: KaceClient, script_id: int, machines: str, count: int, seconds: float = 40) -> dict[str, Any]:
    answer = kace.post(f"/api/script/{script_id}/actions/run", params={"machineIDs": machines})
    assert answer.status_code == 200, answer.text
    run_id = answer.json()
    assert isinstance(run_id, int)
    return wait_for(lambda: finished(kace, run_id, count), seconds=seconds, what=f"run {run_id} to finish")
