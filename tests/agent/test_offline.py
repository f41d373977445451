"""Offline scripts: kept by the agent, run on their schedule while the server is away, reported
when it is back. The test stops and restarts the folder's `estate serve`; the other agents ride it out."""

from __future__ import annotations

import time

from estate.auth.apikeys import create_api_key
from estate.db.engine import begin_for_writing
from tests.agent.harness import wait_for
from tests.idoit.conftest import RpcClient


def _runs(marker) -> list[float]:
    return [float(line) for line in marker.read_text().split()] if marker.exists() else []


def test_an_offline_script_runs_on_schedule_while_the_server_is_down(fleet, sessions, tmp_path):
    server, org, kace, agent = fleet.server, fleet.org, fleet.kace, fleet.agents[2]
    marker = tmp_path / "ran"
    answer = kace.post("/api/script", json={
        "name": "heartbeat", "type": "offline", "enabled": True, "machines": [agent.machine_id],
        "scheduleType": "interval", "schedule": [{"every": 1, "unit": "seconds"}],
        "tasks": [{"verify": [{"id": 1, "params": {"command": f"date +%s.%N >> {marker}; echo offline ran"}}]}]})
    assert answer.status_code == 200, answer.text
    try:
        wait_for(lambda: _runs(marker), what="the first offline run")
        server.stop()
        stopped = time.time()
        wait_for(lambda: len([t for t in _runs(marker) if t > stopped]) >= 2, what="runs while the server is down")
        server.start()
        restarted = time.time()
        offline_runs = [t for t in _runs(marker) if stopped < t < restarted]
        assert len(offline_runs) >= 2
        with sessions() as db:
            begin_for_writing(db)
            key = create_api_key(db, organization_id=org.id)
            db.commit()
        rpc = RpcClient(server.url, key)

        def reported() -> list[dict]:
            entries = rpc.result("cmdb.logbook.read", {"limit": 1000})
            return [e for e in entries if "'heartbeat' (offline): success" in e["message"]]

        # Every run made while the server was down is reported once it is back, with its output.
        entries = wait_for(lambda: len(reported()) >= len(_runs(marker)) - 1 and reported(),
                           what="the offline results")
        assert all("offline ran" in entry["description"] for entry in entries)
        log_id = int(entries[0]["comment"].split()[-1])
        log = kace.get(f"/api/script/log/{log_id}").json()
        assert log["runKind"] == "offline" and log["requestStatus"] == "success"
    finally:
        if server.process is None:
            server.start()
