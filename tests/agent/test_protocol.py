"""The agent protocol's own rules: secrets, walls, bad input, the CLI's tokens, and an agent that
imports nothing of the server."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

import estate.agent
from estate.agents.models import Work
from estate.scripting.models import ScriptRunMachine

AGENT_DIR = Path(estate.agent.__file__).parent


def test_the_agent_imports_nothing_of_the_server_and_reads_as_python_3_9():
    for source in AGENT_DIR.glob("*.py"):
        tree = ast.parse(source.read_text(), feature_version=(3, 9))
        for node in ast.walk(tree):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top == "psutil" or name.startswith("estate.agent") \
                    or (top == "estate" and name == "estate.agent"), f"{source.name} imports {name}"
    loaded = subprocess.run([sys.executable, "-c", "import sys, estate.agent.main; print(sorted(sys.modules))"],
                            capture_output=True, text=True, check=True).stdout
    for server_side in ("fastapi", "sqlalchemy", "pydantic", "estate.db", "estate.inventory", "estate.scripting"):
        assert f"'{server_side}'" not in loaded


def test_agent_requests_without_a_valid_secret_are_refused(fleet):
    base = fleet.server.url
    assert httpx.post(f"{base}/agent/v1/checkin").json()["field"] == "Authorization"
    wrong = {"Authorization": "Bearer ms_not-a-secret"}
    for method, path in [("post", "/agent/v1/checkin"), ("post", "/agent/v1/inventory"), ("get", "/agent/v1/offline"),
                         ("post", "/agent/v1/work/1/report"), ("get", "/agent/v1/work/1/dependency/x"),
                         ("post", "/agent/v1/offline/results")]:
        answer = getattr(httpx, method)(f"{base}{path}", headers=wrong, **({"json": {}} if method == "post" else {}))
        assert answer.status_code == 401, (path, answer.text)


def _secret(agent) -> str:
    return json.loads((agent.state_dir / "identity.json").read_text())["secret"]


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/agent/v1/enrol", {"token": "et_wrong"}, "token"),
    ("/agent/v1/enrol", {"kuid": "X"}, "token"),
    ("/agent/v1/enrol", {"token": "t", "colour": 1}, "colour"),
    ("/agent/v1/enrol", [1], "body"),
])
def test_enrolment_bad_input_names_the_field(fleet, path, body, field):
    answer = httpx.post(f"{fleet.server.url}{path}", json=body)
    assert 400 <= answer.status_code < 500 and answer.json()["field"] == field, answer.text


def test_bad_reports_and_inventory_name_the_field_and_other_machines_work_is_not_found(fleet):
    headers = {"Authorization": f"Bearer {_secret(fleet.agents[0])}"}
    base = fleet.server.url
    cases = [
        ("/agent/v1/inventory", {"Ram_total": {"a": 1}}, "machine.Ram_total"),
        ("/agent/v1/inventory", {"Kuid": "SOMEONE-ELSE"}, "Kuid"),
        ("/agent/v1/offline/results", {"resultId": "short"}, "resultId"),
        ("/agent/v1/offline/results", {"resultId": "long-enough-id", "scriptId": "x"}, "scriptId"),
        ("/agent/v1/checkin?wait=-1", None, "wait"),
    ]
    for path, body, field in cases:
        answer = httpx.post(f"{base}{path}", json=body, headers=headers)
        assert 400 <= answer.status_code < 500 and answer.json()["field"] == field, (path, answer.text)
    # Work ids of other machines (or none) are not this machine's: 404, never their content.
    answer = httpx.post(f"{base}/agent/v1/work/1/report", json={"result": {"status": "success"}}, headers=headers)
    assert answer.status_code == 404 and answer.json()["field"] == "workId"
    outsider = {"Authorization": f"Bearer {_secret(fleet.other_agent)}"}
    assert httpx.get(f"{base}/agent/v1/offline", headers=outsider).json()["scripts"] == []


def test_an_agent_of_another_organization_never_receives_the_work(fleet, sessions):
    answer = fleet.kace.post("/api/script", json={"name": "ours", "type": "online", "tasks": [
        {"verify": [{"id": 1, "params": {"command": "true"}}]}]})
    run_id = fleet.kace.post(f"/api/script/{answer.json()['id']}/actions/run",
                             params={"machineIDs": str(fleet.agents[0].machine_id)}).json()
    with sessions() as db:
        work_id = db.scalar(select(Work.id).join(ScriptRunMachine, ScriptRunMachine.id == Work.subject_id)
                            .where(ScriptRunMachine.run_id == run_id))
    outsider = {"Authorization": f"Bearer {_secret(fleet.other_agent)}"}
    base = f"{fleet.server.url}/agent/v1/work/{work_id}"
    assert httpx.post(f"{base}/start", headers=outsider).status_code == 404
    assert httpx.post(f"{base}/report", headers=outsider, json={"result": {"status": "failed"}}).status_code == 404
    checked_in = httpx.post(f"{fleet.server.url}/agent/v1/checkin?wait=0", headers=outsider).json()
    assert checked_in["work"] == []


def test_the_cli_makes_lists_and_revokes_tokens(fleet, database_url):
    env = {key: value for key, value in os.environ.items() if not key.startswith("ESTATE_")}
    env |= {"ESTATE_DATABASE_URL": database_url, "ESTATE_TEST_CHEAP_PASSWORD_HASHES": "1"}
    org = ["--org", fleet.other_org.name]

    def estate(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "estate.cli", "agent", *args, *org], env=env,
                              capture_output=True, text=True, timeout=60)

    made = estate("token", "--description", "lab machines", "--valid-days", "7")
    assert made.returncode == 0 and made.stdout.startswith("et_"), made.stderr
    answer = httpx.post(f"{fleet.server.url}/agent/v1/enrol", json={"token": made.stdout.strip(), "name": "cli"})
    assert answer.status_code == 200, answer.text
    token_id = next(t["id"] for t in fleet.other_kace.get("/api/agent/tokens").json()
                    if t["description"] == "lab machines")
    assert estate("revoke-token", str(token_id)).returncode == 0
    assert httpx.post(f"{fleet.server.url}/agent/v1/enrol",
                      json={"token": made.stdout.strip()}).json()["field"] == "token"
    listed = fleet.other_kace.get("/api/agent/tokens").json()
    assert {"description": "lab machines", "revoked": True, "enrolments": 1}.items() <= \
        next(t for t in listed if t["id"] == token_id).items()
