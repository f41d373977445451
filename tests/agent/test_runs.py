"""Scripts run by real agent processes on this machine, through a real `estate serve`."""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from pathlib import Path

import httpx
import psutil

from estate.auth.apikeys import create_api_key
from estate.db.engine import begin_for_writing
from tests.agent.harness import RUN_EXPIRY_SECONDS, Agent, finished, run_and_wait, wait_for
from tests.idoit.conftest import RpcClient


def script(kace, **fields) -> dict:
    answer = kace.post("/api/script", json={"name": "test", "type": "online", **fields})
    assert answer.status_code == 200, answer.text
    return answer.json()


def step(step_id: int, **params) -> dict:
    return {"id": step_id, "params": params}


def ids(agents) -> str:
    return ",".join(str(agent.machine_id) for agent in agents)


def log_of(kace, entry: dict) -> dict:
    return kace.get(f"/api/script/log/{entry['kbotLogId']}").json()


def test_echo_output_comes_back_per_machine_and_into_the_logbook(fleet, sessions):
    echo = script(fleet.kace, tasks=[{"verify": [step(1, command='echo "hello from $ESTATE_WORK_DIR"')]}])
    status = run_and_wait(fleet.kace, echo["id"], ids(fleet.agents), 3)
    assert status["scriptId"] == echo["id"]
    machines = sorted(a.machine_id for a in fleet.agents)
    assert sorted(entry["machineId"] for entry in status["success"]) == machines, status
    assert status["failed"] == [] and status["pending"] == [] and len(status["targeted"]) == 3
    for agent in fleet.agents:
        entry = next(item for item in status["success"] if item["machineId"] == agent.machine_id)
        assert entry["requestStatus"] == "success" and entry["status"] == 0 and entry["requestTime"]
        log = log_of(fleet.kace, entry)
        assert f"hello from {agent.state_dir}" in log["output"], log
        assert log["steps"][0]["phase"] == "verify" and log["steps"][0]["exitCode"] == 0
    with sessions() as db:  # beside a running server: take the write lock first (decision 0204)
        begin_for_writing(db)
        key = create_api_key(db, organization_id=fleet.org.id)
        db.commit()
    rpc = RpcClient(fleet.server.url, key)
    entries = rpc.result("cmdb.logbook.read", {"limit": 100})
    first = status["success"][0]
    written = [e for e in entries if e["comment"] == f"kbotLogId {first['kbotLogId']}"]
    assert written and "success" in written[0]["message"] and "hello from" in written[0]["description"]


def test_failing_verify_takes_the_remediation_path_and_fails_with_its_exit_code(fleet):
    task = {"attempts": 2, "onFailure": "break",
            "verify": [step(5, command="exit 3")],
            "onVerifySuccess": [step(3, message="never")],
            "onVerifyFailure": [step(1, command="echo remediating; exit 7")],
            "onRemediationSuccess": [step(3, message="never either")],
            "onRemediationFailure": [step(3, type="status", message="remediation failed")]}
    failing = script(fleet.kace, tasks=[task, {"verify": [step(1, command="echo not reached")]}])
    status = run_and_wait(fleet.kace, failing["id"], ids(fleet.agents[:1]), 1)
    entry = status["failed"][0]
    assert entry["status"] == 7 and entry["requestStatus"] == "failed"
    log = log_of(fleet.kace, entry)
    phases = [(s["phase"], s["status"], s["exitCode"]) for s in log["steps"]]
    assert phases == [("verify", "failed", 3), ("remediation", "failed", 7),  # attempt 1
                      ("verify", "failed", 3), ("remediation", "failed", 7),  # attempt 2
                      ("onRemediationFailure", "success", None)]
    assert log["message"] == "remediation failed" and "remediating" in log["output"]


def test_a_timeout_kills_the_whole_process_tree(fleet, tmp_path):
    pids = tmp_path / "pids"
    command = f"sleep 300 & echo $! > {pids}; sleep 300"
    slow = script(fleet.kace, tasks=[{"verify": [step(1, command=command, timeout=2)]}])
    started = time.monotonic()
    status = run_and_wait(fleet.kace, slow["id"], ids(fleet.agents[:1]), 1)
    assert time.monotonic() - started < 30
    entry = status["failed"][0]
    assert "timed out" in log_of(fleet.kace, entry)["output"]
    child = int(pids.read_text())
    wait_for(lambda: not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE,
             seconds=5, what="the background child to be killed")


def test_dependencies_are_checked_and_used_and_a_corrupted_one_is_refused(fleet, settings, tmp_path):
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("inner/readme.txt", "zipped words")
    target = tmp_path / "placed"
    uses = script(fleet.kace, tasks=[{"verify": [
        step(7, name="tool.sh", destination=str(target / "tool.sh")),
        step(1, program="/bin/sh", args=[str(target / "tool.sh")]),
        step(8, path="bundle.zip", destination=str(target / "unzipped")),
        step(4, path=str(target / "unzipped/inner/readme.txt"), contains="zipped"),
        step(9, path=str(target / "tool.sh")),
        step(2, path=str(target / "unzipped/inner/readme.txt")),
    ]}])
    base = f"/api/script/{uses['id']}/dependency"
    tool = b"echo tool says hi\n"
    assert fleet.kace.post(f"{base}/tool.sh", content=tool).json()["checksum"] == hashlib.sha256(tool).hexdigest()
    fleet.kace.post(f"{base}/bundle.zip", content=bundle.getvalue())
    status = run_and_wait(fleet.kace, uses["id"], ids(fleet.agents[:1]), 1)
    assert status["success"], json.dumps(log_of(fleet.kace, status["failed"][0]))
    assert "tool says hi" in log_of(fleet.kace, status["success"][0])["output"]
    assert (target / "unzipped/inner/readme.txt").read_text() == "zipped words" and not (target / "tool.sh").exists()

    # The file on the server's disk changes behind the database's back: agents refuse it.
    corrupted = b"echo tampered\n"
    fleet.kace.put(f"{base}/tool.sh", content=corrupted)
    stored = [path for path in Path(settings.data_dir).rglob("*") if path.is_file()
              and path.read_bytes() == corrupted]
    stored[0].write_bytes(b"echo evil\n")
    status = run_and_wait(fleet.kace, uses["id"], ids(fleet.agents[1:2]), 1)
    log = log_of(fleet.kace, status["failed"][0])
    assert "checksum mismatch" in log["message"] and "evil" not in log["output"]


def test_a_run_on_all_reaches_every_machine_of_the_organization_only(fleet):
    everywhere = script(fleet.kace, tasks=[{"verify": [step(1, command="echo everywhere")]}])
    answer = fleet.kace.post(f"/api/script/{everywhere['id']}/actions/run", params={"machineIDs": "all"})
    run_id = answer.json()
    targeted = fleet.kace.get(f"/api/script/runStatus/{run_id}").json()["targeted"]
    assert {a.machine_id for a in fleet.agents} <= {e["machineId"] for e in targeted}
    assert fleet.other_agent.machine_id not in {e["machineId"] for e in targeted}
    ours = {a.machine_id for a in fleet.agents}
    status = wait_for(lambda: (s := fleet.kace.get(f"/api/script/runStatus/{run_id}").json())
                      and ours <= {e["machineId"] for e in s["success"]} and s, what="the run on all")
    assert {e["machineId"] for e in status["success"]} == ours
    # The other organization's machine is not one of ours to run on.
    refused = fleet.kace.post(f"/api/script/{everywhere['id']}/actions/run",
                              params={"machineIDs": str(fleet.other_agent.machine_id)})
    assert refused.status_code == 404 and refused.json()["field"] == "machineIDs"
    assert fleet.other_kace.get(f"/api/script/runStatus/{run_id}").status_code == 404


def test_a_stopped_agents_machine_stays_pending_then_push_failed(fleet):
    stopped, live = fleet.agents[1], fleet.agents[0]
    stopped.stop()
    quick = script(fleet.kace, tasks=[{"verify": [step(1, command="true")]}])
    run_id = fleet.kace.post(f"/api/script/{quick['id']}/actions/run",
                             params={"machineIDs": f"{stopped.machine_id},{live.machine_id}"}).json()
    pending = wait_for(lambda: (s := fleet.kace.get(f"/api/script/runStatus/{run_id}").json())["success"] and s,
                       what="the live machine's result")
    assert [e["machineId"] for e in pending["pending"]] == [stopped.machine_id]
    assert pending["pending"][0]["requestStatus"] == "pending"
    status = wait_for(lambda: finished(fleet.kace, run_id, 2), seconds=RUN_EXPIRY_SECONDS + 20, what="the expiry")
    assert [e["machineId"] for e in status["pushFailed"]] == [stopped.machine_id]
    assert status["pushFailed"][0]["requestStatus"] == "pushFailed"
    # Started again, the agent is the same machine (its state directory keeps KUID and secret), and
    # the expired run is not handed to it any more.
    identity = (stopped.state_dir / "identity.json").read_text()
    stopped.launch()
    assert stopped.enrolled().machine_id == json.loads(identity)["machine_id"]
    status = run_and_wait(fleet.kace, quick["id"], str(stopped.machine_id), 1)
    assert status["success"] and (stopped.state_dir / "identity.json").read_text() == identity
    assert len(fleet.kace.get(f"/api/script/runStatus/{run_id}").json()["pushFailed"]) == 1


def test_a_revoked_agent_is_refused_at_once(fleet, server):
    revoked = Agent(server, fleet.token, fleet.root / "revoked").start()
    answer = fleet.kace.post(f"/api/agent/machines/{revoked.machine_id}/revoke")
    assert answer.status_code == 200, answer.text
    assert revoked.process is not None
    assert wait_for(lambda: revoked.process.poll() is not None, what="the agent to be refused") is True
    assert "refuses this agent" in revoked.output()
    # Its secret opens nothing, and its KUID cannot enrol again until an administrator forgets it.
    identity = json.loads((revoked.state_dir / "identity.json").read_text())
    refused = httpx.post(f"{server.url}/agent/v1/checkin", headers={"Authorization": f"Bearer {identity['secret']}"})
    assert refused.status_code == 403
    again = httpx.post(f"{server.url}/agent/v1/enrol", json={"token": fleet.token, "kuid": identity["kuid"]})
    assert again.status_code == 403 and again.json()["field"] == "kuid"
    assert fleet.kace.delete(f"/api/agent/machines/{revoked.machine_id}").status_code == 200
    assert httpx.post(f"{server.url}/agent/v1/enrol",
                      json={"token": fleet.token, "kuid": identity["kuid"]}).status_code == 200


def test_a_shell_script_runs_as_its_account_and_uploads_its_file(fleet):
    text = "#!/bin/sh\nid -un\necho report > result.txt\nexit 0\n"
    shell = script(fleet.kace, type="shell", scriptText=text, fileName="check.sh", runAs=2, runAsUsr="nobody",
                   uploadFile=True, uploadFileName="result.txt")
    status = run_and_wait(fleet.kace, shell["id"], ids(fleet.agents[:1]), 1)
    assert status["success"], json.dumps(log_of(fleet.kace, status["failed"][0]))
    log = log_of(fleet.kace, status["success"][0])
    assert log["steps"][0]["name"] == "Run the script" and "nobody" in log["output"]
    assert [item["name"] for item in log["files"]] == ["result.txt"]
    uploaded = fleet.kace.get(f"/api/script/log/{log['kbotLogId']}/file/result.txt")
    assert uploaded.status_code == 200 and uploaded.content == b"report\n"
    # An account the machine does not have fails the run, saying so.
    missing = script(fleet.kace, type="shell", scriptText="echo hi", runAs=2, runAsUsr="no-such-account-here")
    status = run_and_wait(fleet.kace, missing["id"], ids(fleet.agents[:1]), 1)
    assert "no account" in log_of(fleet.kace, status["failed"][0])["output"]
