"""Asynchronous and scheduled reports: jobs in the database, run by a server process's worker (the
second server below, or the same worker code in the test process), results on disk until they
expire, cancel stopping a running job."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from estate.db.base import utcnow
from estate.reporting import runs
from estate.settings import Settings
from tests.kace_client import KaceClient
from tests.reporting.conftest import REPORTS

CSV = {"format": "csv", "locale": "en_US"}


def ask(client: KaceClient, key: str, **params: Any) -> int:
    answer = client.get(f"{REPORTS}{key}/", params={**CSV, "async": "true", **params})
    assert answer.status_code == 200, answer.text
    return int(answer.json()["uniqueID"])


def poll(client: KaceClient, handle: int, deadline: float = 30) -> Any:
    end = time.monotonic() + deadline
    while True:
        answer = client.get(f"{REPORTS}async/{handle}/")
        if answer.status_code != 202 or time.monotonic() > end:
            return answer
        time.sleep(0.05)


def drain(worker: sessionmaker[Session]) -> None:
    while runs.work(worker):
        pass


def test_a_server_process_runs_queued_reports(working_server: str, org: Any, fleet: list[int]) -> None:
    with KaceClient(working_server) as admin:
        admin.login(org.admin.login, org.admin.password)
        expected = admin.get(f"{REPORTS}software_by_machine/", params=CSV).content
        handles = [ask(admin, "software_by_machine") for _ in range(3)]
        for handle in handles:
            answer = poll(admin, handle)
            assert answer.status_code == 200, answer.text
            assert answer.headers["content-type"].startswith("text/csv") and answer.content == expected


def test_async_lifecycle_and_expiry(admin: KaceClient, worker: sessionmaker[Session], settings: Settings,
                                    fleet: list[int]) -> None:
    drain(worker)
    handle = ask(admin, "machines_by_os", format="json")
    assert admin.get(f"{REPORTS}async/{handle}/").status_code == 202
    assert admin.get(f"{REPORTS}async/{handle}").status_code == 202
    drain(worker)
    done = admin.get(f"{REPORTS}async/{handle}/")
    assert done.status_code == 200
    assert done.json()["Report"]["rows"] == admin.get(f"{REPORTS}machines_by_os/",
                                                      params={"format": "json"}).json()["Report"]["rows"]
    stored = list((settings.data_dir / runs.FOLDER).rglob(f"{handle}.json"))
    assert len(stored) == 1
    # Finished reports stay until they expire, then their file and job go.
    assert runs.remove_expired(worker) == 0
    later = utcnow() + timedelta(seconds=settings.report_keep_seconds + 1)
    assert runs.remove_expired(worker, now=later) >= 1
    assert not stored[0].exists()
    gone = admin.get(f"{REPORTS}async/{handle}/")
    assert gone.status_code == 404 and gone.json()["field"] == "uniqueID"
    assert admin.get(f"{REPORTS}async/999999999/").status_code == 404
    assert admin.get(f"{REPORTS}async/abc/").json()["field"] == "unique_id"
    assert admin.get(f"{REPORTS}machines/", params={"async": "maybe"}).json()["field"] == "async"


def test_cancel_stops_a_running_job(admin: KaceClient, worker: sessionmaker[Session], settings: Settings,
                                    fleet: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    drain(worker)
    queued = ask(admin, "software_by_machine")
    cancelled = admin.put(f"{REPORTS}cancel/{queued}/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert runs.claim(worker) is None  # a cancelled job is never taken

    handle = ask(admin, "software_by_machine")
    assert runs.claim(worker) == handle
    assert admin.get(f"{REPORTS}async/{handle}/").status_code == 202
    real_tabulate = runs.tabulate

    def cancelled_while_running(*args: Any, **kwargs: Any) -> Any:
        table = real_tabulate(*args, **kwargs)
        assert admin.put(f"{REPORTS}cancel/{handle}/").json()["status"] == "cancelled"
        return table

    monkeypatch.setattr(runs, "tabulate", cancelled_while_running)
    monkeypatch.setattr(runs, "CHECK_ROWS", 1)
    assert runs.execute(worker, handle) == "cancelled"
    answer = admin.get(f"{REPORTS}async/{handle}/")
    assert answer.status_code == 404 and "cancelled" in answer.json()["errorDescription"]
    assert not list((settings.data_dir / runs.FOLDER).rglob(f"{handle}.*"))
    # A finished job is not cancelled after the fact.
    monkeypatch.undo()
    finished = ask(admin, "machines")
    drain(worker)
    assert admin.put(f"{REPORTS}cancel/{finished}/").json()["status"] == "done"
    assert admin.get(f"{REPORTS}async/{finished}/").status_code == 200


def test_a_scheduled_report_keeps_its_result(admin: KaceClient, worker: sessionmaker[Session],
                                             fleet: list[int]) -> None:
    drain(worker)
    created = admin.post("/api/reporting/schedules/", json={"definition": "software_titles", "cron": "0 6 * * 1-5",
                                                            "format": "csv"})
    assert created.status_code == 200, created.text
    schedule = created.json()
    assert schedule["lastJob"] is None and schedule["cron"] == "0 6 * * 1-5"
    assert runs.queue_due_schedules(worker) == 0  # not due yet
    assert runs.queue_due_schedules(worker, now=utcnow() + timedelta(days=4)) >= 1
    drain(worker)
    again = admin.get(f"/api/reporting/schedules/{schedule['id']}/").json()
    assert again["lastJob"] and again["nextRun"] > schedule["nextRun"]
    result = admin.get(f"{REPORTS}async/{again['lastJob']}/")
    assert result.status_code == 200
    assert result.content == admin.get(f"{REPORTS}software_titles/", params=CSV).content
    assert [item["id"] for item in admin.get("/api/reporting/schedules/").json()] == [schedule["id"]]
    for body, field in (({"definition": "software_titles", "cron": "every day"}, "cron"),
                        ({"definition": "nope", "cron": "* * * * *"}, "definition"),
                        ({"cron": "* * * * *"}, "definition"),
                        ({"definition": "machines", "cron": "* * * * *", "format": "doc"}, "format")):
        answer = admin.post("/api/reporting/schedules/", json=body)
        assert answer.status_code in (400, 404) and answer.json()["field"] == field, answer.text
    assert admin.delete(f"/api/reporting/schedules/{schedule['id']}/").status_code == 200
    assert admin.get(f"/api/reporting/schedules/{schedule['id']}/").status_code == 404
