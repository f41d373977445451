"""`estate serve` as operators run it: one worker per core, JSON log lines, metrics of all workers."""

from __future__ import annotations

import subprocess
import time

import httpx
import orjson
import psutil

from estate.cli import available_cores
from tests.kace_client import TLS
from tests.test_cli import ESTATE, _free_port, env  # noqa: F401 - env is a fixture


def test_workers_of_every_core_behind_a_proxy_log_json_lines_and_share_their_metrics(env):  # noqa: F811
    env = {**env, "ESTATE_LOG_FORMAT": "json", "ESTATE_IDOIT_APIKEY": "serve-test-key-123456",
           "ESTATE_ADMIN_PASSWORD": "serve-admin-pw-1", "ESTATE_TRUSTED_PROXIES": "127.0.0.1"}
    port = _free_port()
    env.pop("ESTATE_WORKERS", None)
    server = subprocess.Popen([*ESTATE, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # two processes importing everything on a busy machine
        while True:
            try:
                if httpx.get(f"{base}/readyz", verify=TLS).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.1)
        # Unless told otherwise, one worker per core (more than one on this 2-core machine).
        workers = [child for child in psutil.Process(server.pid).children()
                   if "spawn_main" in " ".join(child.cmdline())]  # not multiprocessing's resource tracker
        assert len(workers) == available_cores()
        for _ in range(12):  # new connections: every worker answers some
            assert httpx.get(f"{base}/healthz").status_code == 200
        call = {"jsonrpc": "2.0", "method": "cmdb.object.read", "id": 1,
                "params": {"apikey": "serve-test-key-123456", "id": "x"}}
        assert httpx.post(f"{base}/src/jsonrpc.php", json=call).json()["error"]["code"] == -32602
        # Behind a TLS proxy on this machine: the forwarded scheme makes the cookies Secure.
        login = httpx.post(f"{base}/ams/shared/api/security/login", headers={"X-Forwarded-Proto": "https"},
                           json={"userName": "admin", "password": "serve-admin-pw-1"})
        assert login.status_code == 200
        assert all("secure" in cookie.lower() for cookie in login.headers.get_list("set-cookie"))
        metrics = httpx.get(f"{base}/metrics").text
    finally:
        server.terminate()
        log = server.communicate(timeout=60)[1]  # two workers stopping on a busy machine
    healthz = 'estate_http_requests_total{method="GET",route="/healthz",status="200"} 12.0'
    assert healthz in metrics, metrics
    lines = [orjson.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert len(lines) == len(log.splitlines()), log  # every line is JSON, uvicorn's own included
    requests = [line for line in lines if line["logger"] == "estate.request"]
    rpc = [line for line in requests if line["path"] == "/src/jsonrpc.php"]
    assert rpc[0]["rpc"] == [{"method": "cmdb.object.read", "error": -32602}]
    assert isinstance(rpc[0]["apikey"], int) and rpc[0]["status"] == 200
    assert "serve-test-key-123456" not in log
    assert all({"time", "status", "duration_ms", "route"} <= line.keys() for line in requests)
