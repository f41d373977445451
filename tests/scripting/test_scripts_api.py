"""The Scripting API without agents: scripts, tasks, dependencies, listing, rights and walls."""

from __future__ import annotations

import hashlib

import pytest

from tests.inventory.payloads import machine

ECHO_TASK = {"attempts": 1, "onFailure": "break",
             "verify": [{"id": 5, "params": {"command": "true"}}],
             "onRemediationFailure": [{"id": 3, "params": {"type": "status", "message": "it failed"}}]}


def make_script(kace, **fields):
    body = {"name": "Echo", "type": "online", "description": "says hello", **fields}
    response = kace.post("/api/script", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_create_read_update_delete(admin):
    created = make_script(admin, notes="kept for the tests", tasks=[ECHO_TASK], osTypes=["linux"],
                          runAsPassword="s3cret")
    assert created["id"] > 0 and created["type"] == "online" and created["status"] == "Draft"
    assert created["osTypes"] == [{"family": "Linux"}]
    assert created["runAsPassword"] == "********"  # never the password
    assert created["tasks"] == [{"ordinalId": 0, "attempts": 1, "onFailure": "break",
                                 "verify": [{"id": 5, "params": {"command": "true", "args": [],
                                                                 "expectedExitCodes": [0]}}],
                                 "onVerifySuccess": [], "onVerifyFailure": [], "onRemediationSuccess": [],
                                 "onRemediationFailure": [{"id": 3, "params": {"type": "status",
                                                                               "message": "it failed"}}]}]
    read = admin.get(f"/api/script/{created['id']}").json()
    assert read == created
    # A read script sent back changes nothing, and the mask keeps the password.
    assert admin.put(f"/api/script/{created['id']}", json=read).json() == created
    changed = admin.put(f"/api/script/{created['id']}", json={"status": "production", "enabled": True}).json()
    assert changed["status"] == "Production" and changed["enabled"] is True and changed["tasks"] == created["tasks"]
    assert admin.delete(f"/api/script/{created['id']}").status_code == 200
    assert admin.get(f"/api/script/{created['id']}").status_code == 404


def test_tasks_are_added_read_changed_and_removed_in_order(admin):
    script = make_script(admin)
    base = f"/api/script/{script['id']}"
    first = admin.post(f"{base}/task", json=ECHO_TASK).json()
    assert [task["ordinalId"] for task in first] == [0]
    second = {"attempts": 2, "onFailure": "continue",
              "verify": [{"id": 2, "params": {"path": "/etc/hostname"}}]}
    both = admin.post(f"{base}/task", json=second).json()
    assert [(task["ordinalId"], task["attempts"]) for task in both] == [(0, 1), (1, 2)]
    front = admin.post(f"{base}/task", json={**second, "ordinalId": 0, "attempts": 3}).json()
    assert [task["attempts"] for task in front] == [3, 1, 2]
    assert admin.get(f"{base}/task/1").json()["attempts"] == 1
    assert admin.put(f"{base}/task/1", json={**ECHO_TASK, "attempts": 5}).json()[1]["attempts"] == 5
    left = admin.delete(f"{base}/task/0").json()
    assert [(task["ordinalId"], task["attempts"]) for task in left] == [(0, 5), (1, 2)]
    assert admin.get(f"{base}/tasks").json() == left
    assert admin.get(f"{base}/task/7").status_code == 404


def test_dependencies_upload_read_download_replace_delete(admin):
    script = make_script(admin)
    base = f"/api/script/{script['id']}/dependency"
    data = b"dependency content\n" * 100
    added = admin.post(f"{base}/tool.sh", content=data, headers={"Content-Type": "application/octet-stream"})
    assert added.status_code == 200, added.text
    assert added.json() == {"name": "tool.sh", "checksum": hashlib.sha256(data).hexdigest(), "fileSize": len(data)}
    assert admin.post(f"{base}/tool.sh", content=b"x").status_code == 400  # PUT replaces
    assert admin.get(f"{base}/tool.sh").json() == added.json()
    assert admin.get(f"/api/script/{script['id']}/dependencies").json() == [added.json()]
    downloaded = admin.get(f"{base}/tool.sh/download")
    assert downloaded.content == data
    partial = admin.get(f"{base}/tool.sh/download", headers={"Range": "bytes=10-19"})
    assert partial.status_code == 206 and partial.content == data[10:20]
    json_type = admin.headers.pop("Content-Type")  # it would hide the multipart boundary
    replaced = admin.put(f"{base}/tool.sh", files={"file": ("tool.sh", b"new", "text/plain")})
    admin.headers["Content-Type"] = json_type
    assert replaced.json()["fileSize"] == 3
    assert admin.get(f"{base}/tool.sh/download").content == b"new"
    assert admin.delete(f"{base}/tool.sh").status_code == 200
    assert admin.get(f"{base}/tool.sh").status_code == 404


def test_list_filters_search_sort_page_and_compatible_machines(admin):
    linux = make_script(admin, name="b-linux", osTypes=[{"family": "Linux"}], notes="needle in notes")
    windows = make_script(admin, name="a-windows", osTypes=["Windows"], type="shell", scriptText="echo hi")
    anywhere = make_script(admin, name="c-any", description="a NEEDLE here")
    machine_id = admin.post("/api/inventory/machines", json={"Machines": [machine("tux", Os_Family="Linux")]}).json()[0]
    names = [s["name"] for s in admin.get("/api/scripts", params={"sorting": "name desc"}).json()]
    assert names == ["c-any", "b-linux", "a-windows"]
    assert [s["id"] for s in admin.get("/api/scripts", params={"searchText": "needle"}).json()] == \
        [linux["id"], anywhere["id"]]
    fitting = admin.get("/api/scripts", params={"compatibleForMachineId": machine_id}).json()
    assert {s["id"] for s in fitting} == {linux["id"], anywhere["id"]}
    page = admin.get("/api/scripts", params={"sorting": "name", "start": 1, "count": 1}).json()
    assert [s["id"] for s in page] == [linux["id"]]
    assert [s["id"] for s in admin.get("/api/scripts", params={"type": "shell"}).json()] == [windows["id"]]
    assert len(admin.get("/api/scripts", params={"type": "private"}).json()) == 3
    assert admin.get("/api/scripts", params={"type": "public"}).json() == []


@pytest.mark.parametrize(("method", "path", "body", "field"), [
    ("post", "/api/script", {"type": "online"}, "name"),
    ("post", "/api/script", {"name": "x"}, "type"),
    ("post", "/api/script", {"name": "x", "type": "sometimes"}, "type"),
    ("post", "/api/script", {"name": "x", "type": "online", "colour": 1}, "colour"),
    ("post", "/api/script", {"name": "x", "type": "online", "timeout": "soon"}, "timeout"),
    ("post", "/api/script", {"name": "x", "type": "online", "osTypes": ["Amiga"]}, "osTypes[0].family"),
    ("post", "/api/script", {"name": "x", "type": "online", "machines": [2**40]}, "machines[0]"),
    ("post", "/api/script", {"name": "x", "type": "offline", "scheduleType": "cron",
                             "schedule": [{"cron": "99 * * * *"}]}, "schedule"),
    ("post", "/api/script", {"name": "x", "type": "online", "tasks": [{"verify": [{"id": 99}]}]},
     "tasks[0].verify[0].id"),
    ("post", "/api/script", {"name": "x", "type": "online",
                             "tasks": [{"verify": [{"id": 2, "params": {"paht": "/x"}}]}]},
     "tasks[0].verify[0].params.paht"),
    ("post", "/api/script", {"name": "x", "type": "online", "tasks": [{"onFailure": "explode"}]},
     "tasks[0].onFailure"),
    ("post", "/api/script", {"name": "x", "type": "shell", "fileName": "../run.sh"}, "fileName"),
    ("post", "/api/script", [1], "body"),
])
def test_bad_input_names_the_field(admin, method, path, body, field):
    response = getattr(admin, method)(path, json=body)
    assert response.status_code in (400, 404), response.text
    assert response.json()["field"] == field, response.json()


def test_bad_input_on_every_other_path(admin):
    script = make_script(admin, tasks=[ECHO_TASK])
    base = f"/api/script/{script['id']}"
    cases = [
        (admin.put(base, json={"timeout": 0}), "timeout"),
        (admin.put(base, json={"id": script["id"] + 1}), "id"),
        (admin.post(f"{base}/task", json={"attempts": 0}), "attempts"),
        (admin.put(f"{base}/task/0", json={"verify": "x"}), "verify[0]"),
        (admin.put(f"{base}/task/0", json={"ordinalId": 3}), "ordinalId"),
        (admin.get(f"{base}/task/99"), "orderId"),
        (admin.delete(f"{base}/task/99"), "orderId"),
        (admin.post(f"{base}/actions/run", params={"machineIDs": "1,x"}), "machineIDs"),
        (admin.post(f"{base}/actions/run"), "machineIDs"),
        (admin.post(f"{base}/actions/run", params={"machineIDs": "2147483000"}), "machineIDs"),
        (admin.get("/api/script/runStatus/2147483000"), "runId"),
        (admin.get("/api/script/log/2147483000"), "kbotLogId"),
        (admin.get(f"{base}/dependency/nothing"), "dependencyName"),
        (admin.get(f"{base}/dependency/nothing/download"), "dependencyName"),
        (admin.put(f"{base}/dependency/nothing", content=b"x"), "dependencyName"),
        (admin.delete(f"{base}/dependency/nothing"), "dependencyName"),
        (admin.post(f"{base}/dependency/%20padded", content=b"x"), "dependencyName"),
        (admin.get("/api/scripts", params={"sorting": "colour"}), "sorting"),
        (admin.get("/api/scripts", params={"type": "secret"}), "type"),
        (admin.get("/api/scripts", params={"count": -1}), "count"),
        (admin.get("/api/scripts", params={"compatibleForMachineId": "99999999"}), "compatibleForMachineId"),
        (admin.get("/api/script/99999999"), "scriptId"),
        (admin.get("/api/script/99999999/tasks"), "scriptId"),
        (admin.get("/api/script/99999999/dependencies"), "scriptId"),
    ]
    for response, field in cases:
        assert 400 <= response.status_code < 500, (field, response.text)
        assert response.json().get("field") == field, (field, response.json())
    shell = make_script(admin, type="shell", scriptText="")
    refused = admin.post(f"/api/script/{shell['id']}/task", json=ECHO_TASK)
    assert refused.status_code == 400 and refused.json()["field"] == "tasks"
    empty_run = admin.post(f"/api/script/{shell['id']}/actions/run", params={"machineIDs": "all"})
    assert empty_run.status_code == 400 and empty_run.json()["field"] == "scriptText"


def test_rights_and_walls(admin, readonly, user, base_url, other_org):
    from tests.kace_client import KaceClient

    script = make_script(admin, tasks=[ECHO_TASK])
    assert readonly.get(f"/api/script/{script['id']}").status_code == 200
    assert readonly.get("/api/scripts").status_code == 200
    assert readonly.put(f"/api/script/{script['id']}", json={"notes": "x"}).status_code == 403
    assert readonly.post(f"/api/script/{script['id']}/actions/run", params={"machineIDs": "all"}).status_code == 403
    assert readonly.post("/api/agent/tokens", json={}).status_code == 403
    assert user.get(f"/api/script/{script['id']}").status_code == 403
    assert user.get("/api/scripts").status_code == 403
    assert user.post("/api/script", json={"name": "x", "type": "online"}).status_code == 403
    with KaceClient(base_url) as stranger:
        stranger.login(other_org.admin.login, other_org.admin.password)
        assert stranger.get(f"/api/script/{script['id']}").status_code == 404
        assert stranger.get("/api/scripts").json() == []
        assert stranger.post(f"/api/script/{script['id']}/actions/run",
                             params={"machineIDs": "all"}).status_code == 404


def test_a_run_names_machines_of_the_organization_that_fit_the_script(admin):
    linux, windows = admin.post("/api/inventory/machines", json={"Machines": [
        machine("penguin", Os_Family="Linux"), machine("window", Os_Family="Windows")]}).json()
    only_linux = make_script(admin, osTypes=["Linux"], tasks=[ECHO_TASK])
    refused = admin.post(f"/api/script/{only_linux['id']}/actions/run", params={"machineIDs": f"{linux},{windows}"})
    assert refused.status_code == 400 and "does not run" in refused.json()["errorDescription"]
    run_id = admin.post(f"/api/script/{only_linux['id']}/actions/run", params={"machineIDs": "all"}).json()
    status = admin.get(f"/api/script/runStatus/{run_id}").json()
    assert [entry["machineId"] for entry in status["targeted"]] == [linux]
    assert status["pending"][0]["requestStatus"] == "pending" and status["pending"][0]["status"] is None
