"""Runs: a script started on machines, what each machine reported, and what the agents receive.

- `actions/run` makes the run, its machines and their work rows in a fixed number of statements
  whatever the number of machines; the run keeps the script's definition as it was then.
- A machine is pending until its agent takes the work (running), then success or failed as the agent
  reports; a machine whose agent did not take the work before the run expired is "push failed".
- Reports are idempotent: a step is stored once per (machine's run, sequence number), the result
  once, so an agent that resends after a network failure changes nothing.
- When a machine's run ends, its output goes to the logbook of the machine's device object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, literal, select
from sqlalchemy.orm import Session

from estate.agents import service as agents
from estate.agents.models import Work
from estate.agents.reports import MAX_OUTPUT, integer, read_report
from estate.assets.service import ensure_device_assets
from estate.cmdb import logbook
from estate.cmdb import objects as cmdb_objects
from estate.db.base import MAX_INT, UTCDateTime, utcnow
from estate.errors import Conflict, InvalidInput, NotFound
from estate.history import service as history
from estate.inventory.models import Machine
from estate.scripting import service as scripts
from estate.scripting.models import (
    OFFLINE,
    PENDING,
    RUNNING,
    SHELL,
    Script,
    ScriptRun,
    ScriptRunFile,
    ScriptRunMachine,
    ScriptRunStep,
)
from estate.scripting.steps import STEP_LISTS

# What one step or one result may carry; more is cut (the agent caps it already).
AGENT = "Estate agent"


def definition_of(db: Session, script: Script) -> dict[str, Any]:
    """What a machine needs to run the script, as it is now."""
    parts = scripts.parts_of(db, [script.id])
    return {
        "scriptId": script.id, "name": script.name, "type": script.type, "timeout": script.timeout,
        "runAs": script.run_as, "runAsUsr": script.run_as_user, "scriptText": script.script_text,
        "fileName": script.file_name, "removeFiles": script.remove_files, "uploadFile": script.upload_file,
        "uploadFileName": script.upload_file_name, "uploadFilePath": script.upload_file_path,
        "scheduleType": script.schedule_type, "schedule": script.schedule,
        "tasks": [{"attempts": task.attempts, "onFailure": task.on_failure,
                   **{name: task.steps.get(name, []) for name in STEP_LISTS}} for task in parts.tasks[script.id]],
        "dependencies": [{"name": dep.name, "checksum": dep.checksum, "size": dep.size, "key": dep.storage_key}
                         for dep in parts.dependencies[script.id]],
    }


def _runnable(definition: Mapping[str, Any]) -> None:
    if definition["type"] == SHELL and not definition["scriptText"].strip():
        raise InvalidInput("the shell script has no scriptText to run", field="scriptText")
    if definition["type"] != SHELL and not definition["tasks"]:
        raise InvalidInput("the script has no tasks to run", field="tasks")


def _target_ids(raw: str) -> list[int] | None:
    """machineIDs: "all", or machine ids separated by commas; None means all."""
    text = (raw or "").strip()
    if text.lower() == "all":
        return None
    ids = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or not 0 < int(part) <= MAX_INT:
            raise InvalidInput("machineIDs must be 'all' or machine ids separated by commas", field="machineIDs")
        ids.append(int(part))
    if not ids:
        raise InvalidInput("machineIDs must name at least one machine", field="machineIDs")
    return list(dict.fromkeys(ids))


def _check_targets(db: Session, script: Script, organization_id: int, ids: list[int]) -> None:
    fitting: dict[int, bool] = {machine_id: bool(fits) for machine_id, fits in db.execute(
        select(Machine.id, scripts.machines_fitting(script))
        .where(Machine.organization_id == organization_id, Machine.id.in_(ids), Machine.archived.is_(False)))}
    for machine_id in ids:
        if machine_id not in fitting:
            raise NotFound(f"machineIDs: machine {machine_id} not found", field="machineIDs")
        if not fitting[machine_id]:
            raise InvalidInput(f"machineIDs: machine {machine_id} does not run an operating system of the "
                               "script's osTypes", field="machineIDs")


def start_run(db: Session, *, organization_id: int, account_id: int | None, script_id: int, machine_ids: str,
              expiry_seconds: int) -> int:
    """Run the script on the machines named (or all the organization's machines the script fits)."""
    script = scripts.get_script(db, organization_id=organization_id, script_id=script_id)
    ids = _target_ids(machine_ids)
    definition = definition_of(db, script)
    _runnable(definition)
    if ids is not None:
        _check_targets(db, script, organization_id, ids)
    now = utcnow()
    run = ScriptRun(organization_id=organization_id, script_id=script.id, kind="run", definition=definition,
                    created_by=account_id, created=now, expires=now + timedelta(seconds=expiry_seconds))
    db.add(run)
    db.flush()
    source = (select(literal(organization_id), literal(run.id), Machine.id, literal(PENDING),
                     literal(now, UTCDateTime()))
              .where(Machine.organization_id == organization_id, Machine.archived.is_(False)))
    # None: every machine of the organization the script fits (named ones were checked above).
    source = source.where(scripts.machines_fitting(script) if ids is None else Machine.id.in_(ids))
    db.execute(insert(ScriptRunMachine).from_select(
        ["organization_id", "run_id", "machine_id", "status", "requested"], source))
    targets = select(ScriptRunMachine.organization_id, ScriptRunMachine.machine_id,
                     ScriptRunMachine.id.label("subject_id")).where(ScriptRunMachine.run_id == run.id)
    agents.enqueue_from(db, kind=scripts.WORK_KIND, source=targets, not_after=run.expires)
    agents.announce_after_commit(db, db.connection().execute(
        select(ScriptRunMachine.machine_id).where(ScriptRunMachine.run_id == run.id)).scalars())
    history.record(db, organization_id=organization_id, account_id=account_id, action=history.CREATE,
                   entity_name="script_run", entity_id=run.id, parent=(scripts.ENTITY, script.id),
                   changes={"machineIDs": (None, machine_ids.strip()[:200])})
    return run.id


# --- run status --------------------------------------------------------------------------------


def _stamp(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None


def machine_state(status: str, expires: datetime, now: datetime) -> str:
    """A machine's place in RunStatusDTO: pending, pushFailed, success or failed."""
    if status == PENDING and expires <= now:
        return "pushFailed"
    if status in (PENDING, RUNNING):
        return "pending"
    return status


def run_status(db: Session, *, organization_id: int, run_id: int) -> dict[str, Any]:
    """RunStatusDTO of a run: two statements whatever the number of machines."""
    run = db.get(ScriptRun, run_id) if 0 < run_id <= MAX_INT else None
    if run is None or run.organization_id != organization_id:
        raise NotFound(f"run {run_id} not found", field="runId")
    answer: dict[str, Any] = {"scriptId": run.script_id, "targeted": [], "pending": [], "pushFailed": [],
                              "success": [], "failed": []}
    now = utcnow()
    rows = db.execute(
        select(ScriptRunMachine.id, ScriptRunMachine.machine_id, ScriptRunMachine.status,
               ScriptRunMachine.exit_code, ScriptRunMachine.requested, Machine.name, Machine.ip)
        .join(Machine, Machine.id == ScriptRunMachine.machine_id)
        .where(ScriptRunMachine.run_id == run.id).order_by(ScriptRunMachine.machine_id))
    for log_id, machine_id, status, exit_code, requested, name, ip in rows:
        state = machine_state(status, run.expires, now)
        entry = {"machineId": machine_id, "name": name, "ip": ip, "kbotLogId": log_id,
                 "requestStatus": "pushFailed" if state == "pushFailed" else status,
                 "requestTime": _stamp(requested), "status": exit_code}
        answer["targeted"].append(entry)
        answer[state].append(entry)
    return answer


def machine_log(db: Session, *, organization_id: int, log_id: int) -> dict[str, Any]:
    """The output of one machine's run (the run's kbotLogId): result, steps and uploaded files."""
    found = db.execute(
        select(ScriptRunMachine, ScriptRun.script_id, ScriptRun.expires, ScriptRun.kind, ScriptRun.definition,
               Machine.name).join(ScriptRun, ScriptRun.id == ScriptRunMachine.run_id)
        .join(Machine, Machine.id == ScriptRunMachine.machine_id)
        .where(ScriptRunMachine.id == log_id, ScriptRunMachine.organization_id == organization_id)
    ).first() if 0 < log_id <= MAX_INT else None
    if found is None:
        raise NotFound(f"log {log_id} not found", field="kbotLogId")
    target, script_id, expires, kind, definition, name = found
    steps = db.scalars(select(ScriptRunStep).where(ScriptRunStep.run_machine_id == target.id)
                       .order_by(ScriptRunStep.seq))
    files = db.scalars(select(ScriptRunFile).where(ScriptRunFile.run_machine_id == target.id)
                       .order_by(ScriptRunFile.name))
    return {
        "kbotLogId": target.id, "runId": target.run_id, "scriptId": script_id, "scriptName": definition.get("name"),
        "runKind": kind, "machineId": target.machine_id, "name": name,
        "requestStatus": "pushFailed" if machine_state(target.status, expires, utcnow()) == "pushFailed"
        else target.status,
        "status": target.exit_code, "message": target.message, "requestTime": _stamp(target.requested),
        "startTime": _stamp(target.started), "endTime": _stamp(target.finished),
        "output": _joined_output(db, target.id),
        "steps": [{"seq": step.seq, "task": step.task, "phase": step.phase, "stepId": step.step_id, "name": step.name,
                   "status": step.status, "exitCode": step.exit_code, "output": step.output,
                   "startTime": _stamp(step.started), "endTime": _stamp(step.finished)} for step in steps],
        "files": [{"name": item.name, "fileSize": item.size, "checksum": item.checksum} for item in files],
    }


def _joined_output(db: Session, target_id: int) -> str:
    outputs = db.scalars(select(ScriptRunStep.output).where(ScriptRunStep.run_machine_id == target_id,
                                                            ScriptRunStep.output != "")
                         .order_by(ScriptRunStep.seq))
    return "\n".join(outputs)[:MAX_OUTPUT]


def uploaded_file(db: Session, *, organization_id: int, log_id: int, name: str) -> ScriptRunFile:
    item = db.scalar(select(ScriptRunFile).join(ScriptRunMachine, ScriptRunMachine.id == ScriptRunFile.run_machine_id)
                     .where(ScriptRunMachine.id == log_id, ScriptRunMachine.organization_id == organization_id,
                            ScriptRunFile.name == name)) if 0 < log_id <= MAX_INT else None
    if item is None:
        raise NotFound(f"log {log_id} has no file {name!r}", field="fileName")
    return item


# --- what agents receive and report ------------------------------------------------------------


def _for_agent(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The definition without what stays on the server (storage keys)."""
    return {**definition, "dependencies": [{key: value for key, value in dep.items() if key != "key"}
                                           for dep in definition["dependencies"]]}


def work_payloads(db: Session, *, claimed: Sequence[Work]) -> list[dict[str, Any]]:
    """The script runs among claimed work rows, as the agent executes them."""
    by_subject = {row.subject_id: row for row in claimed if row.kind == scripts.WORK_KIND}
    if not by_subject:
        return []
    rows = db.execute(select(ScriptRunMachine, ScriptRun.definition).join(ScriptRun, ScriptRun.id ==
                                                                          ScriptRunMachine.run_id)
                      .where(ScriptRunMachine.id.in_(list(by_subject)))).all()
    payloads = []
    for target, definition in rows:
        payloads.append({"workId": by_subject[target.id].id, "kind": scripts.WORK_KIND, "runId": target.run_id,
                         "kbotLogId": target.id, "script": _for_agent(definition)})
    return payloads


def target_of_work(db: Session, work: Work) -> ScriptRunMachine:
    target = db.get(ScriptRunMachine, work.subject_id) if work.kind == scripts.WORK_KIND else None
    if target is None:
        raise NotFound(f"work {work.id} is not a script run", field="workId")
    return target


def dependency_of_run(db: Session, *, target: ScriptRunMachine, name: str) -> dict[str, Any]:
    run = db.get_one(ScriptRun, target.run_id)
    for dependency in run.definition["dependencies"]:
        if dependency["name"] == name:
            return dict(dependency)
    raise NotFound(f"the run has no dependency {name!r}", field="name")


def _store_steps(db: Session, target: ScriptRunMachine, steps: list[dict[str, Any]]) -> None:
    if not steps:
        return
    known = set(db.scalars(select(ScriptRunStep.seq).where(ScriptRunStep.run_machine_id == target.id,
                                                           ScriptRunStep.seq.in_([s["seq"] for s in steps]))))
    fresh = {step["seq"]: step for step in steps if step["seq"] not in known}
    if fresh:
        db.execute(insert(ScriptRunStep), [{"organization_id": target.organization_id,
                                            "run_machine_id": target.id, **step} for step in fresh.values()])


def start_work(db: Session, *, work: Work) -> None:
    """The agent begins the run on its machine, or learns it came too late (409: not run)."""
    target = target_of_work(db, work)
    if not agents.start(db, work=work):
        raise Conflict("the run expired before this machine took it", field="workId")
    if target.status == PENDING:
        target.status, target.started = RUNNING, utcnow()


def record_report(db: Session, *, work: Work, body: Any) -> None:
    """Steps the agent ran and, at the end, the machine's result; resending changes nothing."""
    report = read_report(body)
    target = target_of_work(db, work)
    _store_steps(db, target, report.steps)
    if report.result is not None and target.status in (PENDING, RUNNING):
        _finish(db, target, report.result)
        agents.finish(db, work=work)


def _finish(db: Session, target: ScriptRunMachine, result: Mapping[str, Any]) -> None:
    target.status, target.exit_code, target.message = result["status"], result["exit_code"], result["message"]
    target.started = target.started or result["started"] or utcnow()
    target.finished = result["finished"] or utcnow()
    db.flush()
    _to_logbook(db, target)


def _to_logbook(db: Session, target: ScriptRunMachine) -> None:
    """The machine's device object shows every run's result and output in its logbook."""
    name = db.scalar(select(Machine.name).where(Machine.id == target.machine_id))
    objects = ensure_device_assets(db, organization_id=target.organization_id, machines={target.machine_id: name})
    obj = cmdb_objects.find(db, target.organization_id, objects[target.machine_id]) \
        if target.machine_id in objects else None
    if obj is None:
        return
    run = db.get_one(ScriptRun, target.run_id)
    title = run.definition.get("name", "")
    exit_code = "" if target.exit_code is None else f", exit code {target.exit_code}"
    message = f"Script '{title}' ({'offline' if run.kind == OFFLINE else 'run ' + str(run.id)}): " \
              f"{target.status}{exit_code}"
    actor = logbook.Actor(target.organization_id, None, AGENT)
    logbook.write_manual(db, actor, [obj], message=message[:4096], description=_joined_output(db, target.id),
                         comment=f"kbotLogId {target.id}", source="C__LOGBOOK_SOURCE__EXTERNAL")


def record_upload(db: Session, *, work: Work, name: str, stored: Any) -> None:
    target = target_of_work(db, work)
    current = db.scalar(select(ScriptRunFile).where(ScriptRunFile.run_machine_id == target.id,
                                                    ScriptRunFile.name == name))
    if current is not None:
        return  # a resent upload: the first one stays
    db.add(ScriptRunFile(organization_id=target.organization_id, run_machine_id=target.id, name=name,
                         storage_key=stored.storage_key, size=stored.size, checksum=stored.sha256))


# --- offline scripts ---------------------------------------------------------------------------


def offline_definitions(db: Session, *, organization_id: int, machine_id: int) -> list[dict[str, Any]]:
    return [_for_agent(definition_of(db, script))
            for script in scripts.offline_scripts_of(db, organization_id=organization_id, machine_id=machine_id)]


def offline_dependency(db: Session, *, organization_id: int, machine_id: int, script_id: int,
                       name: str) -> dict[str, Any]:
    """A dependency of an offline script the machine keeps (no other machine's, no other script's)."""
    if machine_id not in scripts.keepers(db, script_id):
        raise NotFound(f"script {script_id} is not kept by this machine", field="scriptId")
    dependency = scripts.find_dependency(db, organization_id=organization_id, script_id=script_id, name=name)
    return {"name": dependency.name, "checksum": dependency.checksum, "size": dependency.size,
            "key": dependency.storage_key}


def record_offline_result(db: Session, *, organization_id: int, machine_id: int, body: Any) -> int:
    """A result of an offline script the agent ran on its own schedule: a run of its own with this
    one machine. The agent's resultId makes a resent result a no-op. Answers the kbotLogId."""
    if not isinstance(body, Mapping):
        raise InvalidInput("the result must be an object", field="body")
    result_key = body.get("resultId")
    if not isinstance(result_key, str) or not 8 <= len(result_key) <= 64:
        raise InvalidInput("resultId must be a string of 8 to 64 characters", field="resultId")
    script_id = integer(body.get("scriptId"), "scriptId", required=True)
    existing = db.scalar(select(ScriptRunMachine.id).where(ScriptRunMachine.machine_id == machine_id,
                                                           ScriptRunMachine.result_key == result_key))
    if existing is not None:
        return existing
    report = read_report({key: body.get(key) for key in ("steps", "result") if key in body})
    if report.result is None:
        raise InvalidInput("result is required", field="result")
    script = scripts.get_script(db, organization_id=organization_id, script_id=script_id or 0)
    now = utcnow()
    run = ScriptRun(organization_id=organization_id, script_id=script.id, kind=OFFLINE,
                    definition=definition_of(db, script), created=report.result["started"] or now, expires=now)
    db.add(run)
    db.flush()
    target = ScriptRunMachine(organization_id=organization_id, run_id=run.id, machine_id=machine_id,
                              status=RUNNING, requested=run.created, result_key=result_key)
    db.add(target)
    db.flush()
    _store_steps(db, target, report.steps)
    _finish(db, target, report.result)
    return target.id
