"""A managed install on the agent channel, spoken as the agent speaks it (`/agent/v1`): work inside
the deployment window only, attempts counted at start, the inventory deciding after an exit code 0,
failures retried up to the allowed attempts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.distribution.helpers import LINUX, MI, create, statuses, title, upload
from tests.kace_client import KaceClient


class ProtocolAgent:
    """A machine speaking the agent protocol over real HTTP, one request at a time (the real agent program is what
    tests/agent runs; here each answer of the server is looked at between the steps)."""

    def __init__(self, base_url: str, kace: KaceClient) -> None:
        token = kace.post("/api/agent/tokens", json={"description": "tests"}).json()["token"]
        self.kuid = str(uuid.uuid4()).upper()
        enrolled = httpx.post(f"{base_url}/agent/v1/enrol", json={"token": token, "kuid": self.kuid, "name": "box"})
        assert enrolled.status_code == 200, enrolled.text
        self.machine_id = enrolled.json()["machineId"]
        self.http = httpx.Client(base_url=f"{base_url}/agent/v1",
                                 headers={"Authorization": f"Bearer {enrolled.json()['secret']}"})

    def inventory(self, *software: dict[str, str]) -> None:
        body = {"Kuid": self.kuid, "Name": "box", **LINUX, "Software": [
            {"Display_Name": item["Display_name"], "Display_Version": item["Display_version"]} for item in software]}
        assert self.http.post("/inventory", json=body).status_code == 200

    def work(self) -> list[dict[str, Any]]:
        answer = self.http.post("/checkin", params={"wait": 0, "revision": -1})
        assert answer.status_code == 200, answer.text
        return [item for item in answer.json()["work"] if item["kind"] == "mi"]

    def report(self, work_id: int, body: dict[str, Any]) -> None:
        answer = self.http.post(f"/work/{work_id}/report", json=body)
        assert answer.status_code == 200, answer.text


def result(status: str, exit_code: int | None, message: str = "") -> dict[str, Any]:
    return {"status": status, "exitCode": exit_code, "message": message}


@pytest.fixture
def agent(base_url: str, admin: KaceClient) -> ProtocolAgent:
    made = ProtocolAgent(base_url, admin)
    made.inventory()
    return made


def _window(hours_from_now: int) -> tuple[str, str]:
    start = datetime.now(UTC) + timedelta(hours=hours_from_now)
    return start.strftime("%H:%M"), (start + timedelta(hours=1)).strftime("%H:%M")


def test_work_is_handed_out_inside_the_deployment_window_only(admin, agent):
    start, end = _window(3)
    managed_install = create(admin, Enabled=True, Deploy_window_start=start, Deploy_window_end=end,
                             Machines=[agent.machine_id])
    assert agent.work() == []
    assert statuses(admin, agent.machine_id)[managed_install]["Status"] == "pending"
    start, end = _window(-0)  # opens now (the organization's time zone is UTC)
    assert admin.put(f"{MI}/{managed_install}", json={"Deploy_window_start": start,
                                                     "Deploy_window_end": end}).status_code == 200
    (work,) = agent.work()
    assert work["managedInstallId"] == managed_install and work["action"] == "install"
    assert work["definition"]["scriptText"] == "sh install.sh" and work["attempt"] == 1


def test_a_disabled_managed_install_hands_out_nothing_until_enabled(admin, agent):
    managed_install = create(admin, Machines=[agent.machine_id])
    assert agent.work() == []
    admin.put(f"{MI}/{managed_install}", json={"Enabled": True})
    assert [item["managedInstallId"] for item in agent.work()] == [managed_install]


def test_attempts_exit_codes_and_the_inventory_decide_the_status(admin, agent):
    tool = title()
    file_id = upload(admin, "setup.sh", b"echo setup")
    managed_install = create(admin, Software=tool, File_id=file_id, Enabled=True, Max_attempt_count=2,
                             Machines=[agent.machine_id])
    (work,) = agent.work()
    assert work["definition"]["dependencies"][0]["name"] == "setup.sh"
    assert agent.http.get(f"/work/{work['workId']}/dependency/setup.sh").content == b"echo setup"
    assert agent.http.get(f"/work/{work['workId']}/dependency/other.sh").status_code == 404
    assert agent.http.post(f"/work/{work['workId']}/start").status_code == 200
    assert statuses(admin, agent.machine_id)[managed_install]["Status"] == "downloading"
    agent.report(work["workId"], {"steps": [{"seq": 0, "phase": "dependencies", "name": "Download setup.sh",
                                             "status": "success"}]})
    assert statuses(admin, agent.machine_id)[managed_install]["Status"] == "installing"
    agent.report(work["workId"], {"steps": [], "result": result("success", 0)})
    row = statuses(admin, agent.machine_id)[managed_install]
    assert (row["Status"], row["Attempts"], row["Exit_code"]) == ("installing", "1", "0")
    # Exit code 0, but the inventory does not show the title: a failed attempt, and another one.
    agent.inventory()
    row = statuses(admin, agent.machine_id)[managed_install]
    assert row["Status"] == "pending" and "does not show" in row["Reason"], row
    (second,) = agent.work()
    assert second["attempt"] == 2 and second["workId"] != work["workId"]
    agent.http.post(f"/work/{second['workId']}/start")
    agent.report(second["workId"], {"steps": [{"seq": 0, "phase": "script", "status": "failed", "exitCode": 5,
                                               "output": "disk full"}], "result": result("failed", 5)})
    row = statuses(admin, agent.machine_id)[managed_install]
    assert (row["Status"], row["Attempts"], row["Exit_code"]) == ("failed", "2", "5")
    assert row["Reason"] == "the installer exited with code 5"
    # Resent reports change nothing; no further work.
    agent.report(second["workId"], {"steps": [], "result": result("success", 0)})
    assert statuses(admin, agent.machine_id)[managed_install]["Status"] == "failed"
    assert agent.work() == []
    # The title installed by other means: the inventory says installed.
    agent.inventory(tool)
    assert statuses(admin, agent.machine_id)[managed_install]["Status"] == "installed"


def test_work_of_a_target_taken_off_is_not_started(admin, agent):
    managed_install = create(admin, Enabled=True, Machines=[agent.machine_id])
    (work,) = agent.work()
    admin.put(f"{MI}/{managed_install}/remove_from_machines", json={"Machines": [agent.machine_id]})
    assert agent.http.post(f"/work/{work['workId']}/start").status_code == 409
    assert statuses(admin, agent.machine_id)[managed_install]["Status"] == "removed"
    bad = agent.http.post(f"/work/{work['workId']}/report", json={"result": {"status": "maybe"}})
    assert bad.status_code == 400 and bad.json()["field"] == "result.status"
