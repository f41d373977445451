"""Scripts, their tasks and their dependencies: creating, changing, listing, deleting. Each write is
one transaction (the caller's) and leaves a history row. Runs live in estate.scripting.runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError
from sqlalchemy import and_, delete, exists, false, func, literal, or_, select, true
from sqlalchemy.orm import Session

from estate.agents import service as agents
from estate.auth.permissions import Caller
from estate.db.base import MAX_INT, utcnow
from estate.errors import InvalidInput, NotFound
from estate.history import service as history
from estate.inventory.models import Machine
from estate.inventory.os_types import machines_running, read_os_types
from estate.scripting.models import (
    OFFLINE,
    SHELL,
    Script,
    ScriptDependency,
    ScriptMachine,
    ScriptOsType,
    ScriptRun,
    ScriptRunMachine,
    ScriptTask,
)
from estate.scripting.schemas import PASSWORD_MASK, ScriptIn, TaskIn, read_schedule
from estate.scripting.steps import STEP_LISTS, read_steps
from estate.servicedesk import storage

ENTITY = "script"
WORK_KIND = "script"
# Field of ScriptIn → column of Script, for the fields stored as they come.
PLAIN_FIELDS = {
    "name": "name", "type": "type", "description": "description", "notes": "notes", "status": "status",
    "enabled": "enabled", "runAs": "run_as", "runAsUsr": "run_as_user", "scriptText": "script_text",
    "fileName": "file_name", "timeout": "timeout", "removeFiles": "remove_files", "uploadFile": "upload_file",
    "uploadFileName": "upload_file_name", "uploadFilePath": "upload_file_path",
}
ALERT_FIELDS = ("alertEnabled", "alertMessage", "alertDialogTimeout", "alertDialogTimeoutAction",
                "alertDialogOptions", "alertSnoozeDuration")
SORTABLE = {"id": Script.id, "name": Script.name, "description": Script.description, "type": Script.type,
            "status": Script.status, "enabled": Script.enabled, "created": Script.created,
            "modified": Script.modified}


AREA = "scripting"


def require(caller: Caller, action: str = "read") -> None:
    """Scripts are the administrators' (decision 0601): reading needs the scripting right and a role
    that sees every user's data; changing and running need scripting:write."""
    caller.require_administrator(AREA, action, what="scripting")


def can_read(caller: Caller) -> bool:
    """Whether `require(caller)` lets the caller read scripts."""
    return caller.administers(AREA)


def _invalid(exc: ValidationError, prefix: str = "") -> InvalidInput:
    first = exc.errors()[0]
    where = prefix + ".".join(str(part) for part in first.get("loc", ()))
    message = "unknown field" if first.get("type") == "extra_forbidden" else first.get("msg", "invalid")
    return InvalidInput(f"{where}: {message}", field=where or None)


def read_script(data: Any) -> ScriptIn:
    if not isinstance(data, Mapping):
        raise InvalidInput("the body must be a script object", field="body")
    try:
        return ScriptIn.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc) from None


def read_task(data: Any, where: str = "") -> dict[str, Any]:
    """A task as stored: attempts, onFailure and its five step lists, each step checked."""
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{where or 'the body'} must be a task object", field=where or "body")
    try:
        task = TaskIn.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc, f"{where}." if where else "") from None
    prefix = f"{where}." if where else ""
    steps = {name: read_steps(getattr(task, name), f"{prefix}{name}") for name in STEP_LISTS}
    return {"attempts": task.attempts, "on_failure": task.onFailure, "steps": steps, "ordinal": task.ordinalId}


# --- reading -----------------------------------------------------------------------------------


def _valid_id(value: int) -> bool:
    return 0 < value <= MAX_INT


def get_script(db: Session, *, organization_id: int, script_id: int) -> Script:
    script = db.get(Script, script_id) if _valid_id(script_id) else None
    if script is None or script.organization_id != organization_id:
        raise NotFound(f"script {script_id} not found", field="scriptId")
    return script


@dataclass
class ScriptParts:
    """What a script's answer shows beside its own row, read for a page of scripts at once."""

    tasks: dict[int, list[ScriptTask]]
    dependencies: dict[int, list[ScriptDependency]]
    machines: dict[int, list[tuple[int, str | None]]]


def parts_of(db: Session, script_ids: Sequence[int]) -> ScriptParts:
    parts = ScriptParts({i: [] for i in script_ids}, {i: [] for i in script_ids}, {i: [] for i in script_ids})
    if not script_ids:
        return parts
    for task in db.scalars(select(ScriptTask).where(ScriptTask.script_id.in_(script_ids))
                           .order_by(ScriptTask.script_id, ScriptTask.ordinal)):
        parts.tasks[task.script_id].append(task)
    for dependency in db.scalars(select(ScriptDependency).where(ScriptDependency.script_id.in_(script_ids))
                                 .order_by(ScriptDependency.script_id, ScriptDependency.name)):
        parts.dependencies[dependency.script_id].append(dependency)
    for script_id, machine_id, name in db.execute(
            select(ScriptMachine.script_id, Machine.id, Machine.name)
            .join(Machine, Machine.id == ScriptMachine.machine_id)
            .where(ScriptMachine.script_id.in_(script_ids)).order_by(ScriptMachine.script_id, Machine.id)):
        parts.machines[script_id].append((machine_id, name))
    return parts


def _compatible_with(db: Session, organization_id: int, machine_id: str) -> Any:
    text = machine_id.strip()
    machine = (db.execute(select(Machine.os_family, Machine.os_id).where(
        Machine.organization_id == organization_id, Machine.id == int(text))).first()
        if text.isdigit() and _valid_id(int(text)) else None)
    if machine is None:
        raise NotFound(f"machine {machine_id} not found", field="compatibleForMachineId")
    family, os_id = machine
    return fits_os(family or "", os_id)


def fits_os(family: Any, os_id: Any) -> Any:
    """Scripts without osTypes fit every machine; the others fit a machine of a listed family or
    operating system. `family` and `os_id` are values or a machine's columns."""
    listed = exists().where(ScriptOsType.script_id == Script.id)
    family = func.lower(family) if not isinstance(family, str) else literal((family or "").strip().lower())
    matching = exists().where(ScriptOsType.script_id == Script.id, or_(
        func.lower(ScriptOsType.family) == family,
        ScriptOsType.operating_system_id == os_id if os_id is not None else false()))
    return or_(~listed, matching)


def machines_fitting(script: Script) -> Any:
    """The same rule from the machine's side: a condition on machines, built from the script's own
    osTypes (no subquery per machine)."""
    return machines_running(script.os_types) if script.os_types else true()


def _order(sorting: str | None) -> list[Any]:
    order = []
    for part in (sorting or "").split(","):
        words = part.split()
        if not words:
            continue
        name = words[0].lower()
        direction = words[1].lower() if len(words) > 1 else "asc"
        if name not in SORTABLE or direction not in ("asc", "desc") or len(words) > 2:
            raise InvalidInput(f"sorting: cannot sort by {part.strip()!r} (fields: {', '.join(SORTABLE)}; "
                               "asc or desc)", field="sorting")
        order.append(SORTABLE[name].desc() if direction == "desc" else SORTABLE[name].asc())
    return [*order, Script.id.asc()]


def list_scripts(db: Session, *, organization_id: int, account_id: int | None, kind: str | None,
                 search_text: str | None, compatible_for: str | None, start: int, count: int | None,
                 sorting: str | None) -> list[Script]:
    query = select(Script).where(Script.organization_id == organization_id)
    wanted = (kind or "all").strip().lower()
    if wanted == "private":  # decision 0601: private scripts are the caller's own
        query = query.where(Script.created_by == account_id)
    elif wanted == "public":
        query = query.where(or_(Script.created_by.is_(None), Script.created_by != account_id))
    elif wanted in (OFFLINE, SHELL, "online"):
        query = query.where(Script.type == wanted)
    elif wanted != "all":
        raise InvalidInput("type must be public, private, all, online, offline or shell", field="type")
    if search_text:
        pattern = f"%{search_text.lower()}%"
        query = query.where(or_(func.lower(Script.description).like(pattern), func.lower(Script.notes).like(pattern),
                                func.lower(Script.name).like(pattern)))
    if compatible_for:
        query = query.where(_compatible_with(db, organization_id, compatible_for))
    query = query.order_by(*_order(sorting)).offset(start)
    if count is not None:
        query = query.limit(count)
    return list(db.scalars(query))


# --- writing -----------------------------------------------------------------------------------


def _machine_ids(db: Session, organization_id: int, raw: list[Any]) -> list[int]:
    ids = []
    for index, item in enumerate(raw):
        value = item.get("id") if isinstance(item, Mapping) else item
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not _valid_id(value):
            raise InvalidInput(f"machines[{index}] must be a machine id", field=f"machines[{index}]")
        ids.append(value)
    wanted = list(dict.fromkeys(ids))
    found = set(db.scalars(select(Machine.id).where(Machine.organization_id == organization_id,
                                                    Machine.id.in_(wanted)))) if wanted else set()
    for index, value in enumerate(ids):
        if value not in found:
            raise NotFound(f"machines[{index}]: machine {value} not found", field=f"machines[{index}]")
    return wanted


def _apply(db: Session, script: Script, data: ScriptIn, changes: dict[str, tuple[Any, Any]]) -> None:
    sent = data.model_fields_set
    for field, column in PLAIN_FIELDS.items():
        if field in sent:
            value = getattr(data, field)
            if value is None:
                raise InvalidInput(f"{field} must not be null", field=field)
            if getattr(script, column) != value:
                changes[field] = (getattr(script, column), value)
                setattr(script, column, value)
    if "runAsPassword" in sent and data.runAsPassword not in (None, PASSWORD_MASK, script.run_as_password):
        changes["runAsPassword"] = (PASSWORD_MASK, PASSWORD_MASK)  # never the password itself
        script.run_as_password = data.runAsPassword or ""
    alert = {field: getattr(data, field) for field in ALERT_FIELDS if field in sent}
    if alert and {**script.alert, **alert} != script.alert:
        changes["alert"] = (script.alert, {**script.alert, **alert})
        script.alert = {**script.alert, **alert}
    schedule_type = data.scheduleType if "scheduleType" in sent and data.scheduleType else script.schedule_type
    if "scheduleType" in sent or "schedule" in sent:
        raw = data.schedule if "schedule" in sent and data.schedule is not None else (
            script.schedule if schedule_type == script.schedule_type else [])
        try:
            schedule = read_schedule(schedule_type, raw)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="schedule") from None
        if (schedule_type, schedule) != (script.schedule_type, script.schedule):
            changes["schedule"] = (script.schedule, schedule)
            script.schedule_type, script.schedule = schedule_type, schedule


def _check_kind(script: Script) -> None:
    if script.type == SHELL and script.schedule_type not in ("none",):
        raise InvalidInput("shell scripts run when asked to (scheduleType none)", field="scheduleType")
    if script.type != OFFLINE and script.schedule_type == "startup":
        raise InvalidInput("only offline scripts run at agent start-up", field="scheduleType")
    if script.schedule_type in ("interval", "cron") and not script.schedule:
        raise InvalidInput(f"scheduleType {script.schedule_type} needs schedule entries", field="schedule")


def _replace_os_types(db: Session, script: Script, entries: list[dict[str, Any]]) -> None:
    db.execute(delete(ScriptOsType).where(ScriptOsType.script_id == script.id))
    for entry in entries:
        db.add(ScriptOsType(organization_id=script.organization_id, script_id=script.id,
                            family=entry.get("family"), operating_system_id=entry.get("id")))
    script.os_types = entries


def _replace_machines(db: Session, script: Script, machine_ids: list[int]) -> set[int]:
    """The machines that keep an offline script; answers every machine whose set changed."""
    before = set(db.scalars(select(ScriptMachine.machine_id).where(ScriptMachine.script_id == script.id)))
    db.execute(delete(ScriptMachine).where(ScriptMachine.script_id == script.id,
                                           ScriptMachine.machine_id.not_in(machine_ids)))
    for machine_id in set(machine_ids) - before:
        db.add(ScriptMachine(organization_id=script.organization_id, script_id=script.id, machine_id=machine_id))
    return before ^ set(machine_ids)


def _replace_tasks(db: Session, script: Script, raw: list[Any]) -> None:
    tasks = [read_task(item, f"tasks[{index}]") for index, item in enumerate(raw)]
    db.execute(delete(ScriptTask).where(ScriptTask.script_id == script.id))
    db.flush()
    for ordinal, task in enumerate(tasks):
        db.add(ScriptTask(organization_id=script.organization_id, script_id=script.id, ordinal=ordinal,
                          attempts=task["attempts"], on_failure=task["on_failure"], steps=task["steps"]))


def keepers(db: Session, script_id: int) -> list[int]:
    return list(db.scalars(select(ScriptMachine.machine_id).where(ScriptMachine.script_id == script_id)))


def _offline_changed(db: Session, script: Script, also: set[int] = frozenset()) -> None:  # type: ignore[assignment]
    """The machines that keep the script fetch their offline scripts again at their next check-in."""
    machine_ids = set(keepers(db, script.id)) | set(also)
    if machine_ids:
        agents.bump_offline_revision(db, organization_id=script.organization_id, machine_ids=list(machine_ids))


def create_script(db: Session, *, organization_id: int, account_id: int | None, data: Any) -> Script:
    fields = read_script(data)
    for required in ("name", "type"):
        if getattr(fields, required) is None:
            raise InvalidInput(f"{required} is required", field=required)
    os_types = read_os_types(db, organization_id=organization_id, raw=fields.osTypes or [], field="osTypes")
    machine_ids = _machine_ids(db, organization_id, fields.machines or [])
    now = utcnow()
    script = Script(organization_id=organization_id, created_by=account_id, created=now, modified=now, alert={},
                    schedule_type="none", schedule=[], os_types=[])
    changes: dict[str, tuple[Any, Any]] = {}
    _apply(db, script, fields, changes)
    _check_kind(script)
    db.add(script)
    db.flush()
    _replace_os_types(db, script, os_types)
    _replace_machines(db, script, machine_ids)
    if fields.tasks:
        _refuse_tasks_on_shell(script)
        _replace_tasks(db, script, fields.tasks)
    db.flush()
    _offline_changed(db, script)
    history.record(db, organization_id=organization_id, account_id=account_id, action=history.CREATE,
                   entity_name=ENTITY, entity_id=script.id, changes=changes)
    return script


def _refuse_tasks_on_shell(script: Script) -> None:
    if script.type == SHELL:
        raise InvalidInput("a shell script runs its scriptText; tasks belong to online and offline scripts",
                           field="tasks")


def update_script(db: Session, *, organization_id: int, account_id: int | None, script_id: int, data: Any) -> Script:
    fields = read_script(data)
    script = get_script(db, organization_id=organization_id, script_id=script_id)
    sent = fields.model_fields_set
    if fields.id is not None and str(fields.id).strip() != str(script.id):
        raise InvalidInput("id in the body differs from the script in the path", field="id")
    changes: dict[str, tuple[Any, Any]] = {}
    _apply(db, script, fields, changes)
    _check_kind(script)
    if "osTypes" in sent:
        os_types = read_os_types(db, organization_id=organization_id, raw=fields.osTypes or [], field="osTypes")
        if os_types != script.os_types:
            changes["osTypes"] = (script.os_types, os_types)
            _replace_os_types(db, script, os_types)
    moved: set[int] = set()
    if "machines" in sent:
        moved = _replace_machines(db, script, _machine_ids(db, organization_id, fields.machines or []))
        if moved:
            changes["machines"] = ("", ",".join(map(str, sorted(moved))))
    if "tasks" in sent:
        if fields.tasks:
            _refuse_tasks_on_shell(script)
        _replace_tasks(db, script, fields.tasks or [])
        changes["tasks"] = ("", f"{len(fields.tasks or [])} tasks")
    if changes:
        script.modified = utcnow()
        db.flush()
        _offline_changed(db, script, moved)
        history.record(db, organization_id=organization_id, account_id=account_id, action=history.UPDATE,
                       entity_name=ENTITY, entity_id=script.id, changes=changes)
    return script


def delete_script(db: Session, *, organization_id: int, account_id: int | None, script_id: int) -> None:
    """The script goes with its tasks, dependencies (files too, once committed) and runs."""
    script = get_script(db, organization_id=organization_id, script_id=script_id)
    _offline_changed(db, script)
    run_machines = (select(ScriptRunMachine.id).join(ScriptRun, ScriptRun.id == ScriptRunMachine.run_id)
                    .where(ScriptRun.script_id == script.id))
    agents.drop_work(db, kind=WORK_KIND, subject_ids=run_machines)
    keys = list(db.scalars(select(ScriptDependency.storage_key).where(ScriptDependency.script_id == script.id)))
    storage.remove_after_commit(db, storage.data_dir_of(db), keys)
    db.delete(script)
    history.record(db, organization_id=organization_id, account_id=account_id, action=history.DELETE,
                   entity_name=ENTITY, entity_id=script_id, changes={"name": (script.name, None)})


# --- tasks -------------------------------------------------------------------------------------


def tasks_of(db: Session, script: Script) -> list[ScriptTask]:
    return parts_of(db, [script.id]).tasks[script.id]


def _task_changed(db: Session, account_id: int | None, script: Script, what: str) -> None:
    script.modified = utcnow()
    db.flush()
    _offline_changed(db, script)
    history.record(db, organization_id=script.organization_id, account_id=account_id, action=history.UPDATE,
                   entity_name=ENTITY, entity_id=script.id, changes={"tasks": ("", what)})


def _task_script(db: Session, organization_id: int, script_id: int) -> Script:
    script = get_script(db, organization_id=organization_id, script_id=script_id)
    _refuse_tasks_on_shell(script)
    return script


def get_task(db: Session, *, organization_id: int, script_id: int, ordinal: int) -> ScriptTask:
    script = get_script(db, organization_id=organization_id, script_id=script_id)
    for task in tasks_of(db, script):
        if task.ordinal == ordinal:
            return task
    raise NotFound(f"script {script_id} has no task {ordinal}", field="orderId")


def add_task(db: Session, *, organization_id: int, account_id: int | None, script_id: int, data: Any) -> Script:
    """Appends the task, or inserts it at its ordinalId when one is given."""
    script = _task_script(db, organization_id, script_id)
    task = read_task(data)
    tasks = tasks_of(db, script)
    position = len(tasks) if task["ordinal"] is None else min(task["ordinal"], len(tasks))
    for existing in sorted(tasks[position:], key=lambda row: -row.ordinal):
        existing.ordinal += 1
        db.flush()  # one row at a time: the ordinal is unique per script
    db.add(ScriptTask(organization_id=organization_id, script_id=script.id, ordinal=position,
                      attempts=task["attempts"], on_failure=task["on_failure"], steps=task["steps"]))
    _task_changed(db, account_id, script, f"task {position} added")
    return script


def update_task(db: Session, *, organization_id: int, account_id: int | None, script_id: int, ordinal: int,
                data: Any) -> Script:
    script = _task_script(db, organization_id, script_id)
    task = get_task(db, organization_id=organization_id, script_id=script_id, ordinal=ordinal)
    values = read_task(data)
    if values["ordinal"] is not None and values["ordinal"] != ordinal:
        raise InvalidInput("ordinalId in the body differs from the task in the path", field="ordinalId")
    task.attempts, task.on_failure, task.steps = values["attempts"], values["on_failure"], values["steps"]
    _task_changed(db, account_id, script, f"task {ordinal} changed")
    return script


def delete_task(db: Session, *, organization_id: int, account_id: int | None, script_id: int, ordinal: int) -> Script:
    script = _task_script(db, organization_id, script_id)
    task = get_task(db, organization_id=organization_id, script_id=script_id, ordinal=ordinal)
    db.delete(task)
    db.flush()
    for later in sorted((row for row in tasks_of(db, script) if row.ordinal > ordinal), key=lambda row: row.ordinal):
        later.ordinal -= 1
        db.flush()
    _task_changed(db, account_id, script, f"task {ordinal} removed")
    return script


# --- dependencies ------------------------------------------------------------------------------


def _dependency_name(name: str) -> str:
    if not name or len(name) > 255 or "/" in name or "\\" in name or name in (".", "..") or "\x00" in name \
            or name != name.strip():
        raise InvalidInput("dependencyName must be a file name without folders", field="dependencyName")
    return name


def find_dependency(db: Session, *, organization_id: int, script_id: int, name: str) -> ScriptDependency:
    script = get_script(db, organization_id=organization_id, script_id=script_id)
    dependency = db.scalar(select(ScriptDependency).where(ScriptDependency.script_id == script.id,
                                                          ScriptDependency.name == name))
    if dependency is None:
        raise NotFound(f"script {script_id} has no dependency {name!r}", field="dependencyName")
    return dependency


def dependencies_of(db: Session, script: Script) -> list[ScriptDependency]:
    return parts_of(db, [script.id]).dependencies[script.id]


def dependency_path(db: Session, dependency: ScriptDependency) -> Path:
    return storage.path_of(storage.data_dir_of(db), dependency.storage_key)


def save_dependency(db: Session, *, organization_id: int, account_id: int | None, script_id: int, name: str,
                    source: BinaryIO, content_type: str | None, max_bytes: int, replace: bool) -> ScriptDependency:
    """Store a dependency's file (POST: a new name; PUT: an existing one), checksummed (SHA-256)."""
    script = get_script(db, organization_id=organization_id, script_id=script_id)
    name = _dependency_name(name)
    current = db.scalar(select(ScriptDependency).where(ScriptDependency.script_id == script.id,
                                                       ScriptDependency.name == name))
    if replace and current is None:
        raise NotFound(f"script {script_id} has no dependency {name!r}", field="dependencyName")
    if not replace and current is not None:
        raise InvalidInput(f"script {script_id} already has a dependency {name!r}; PUT replaces it",
                           field="dependencyName")
    data_dir = storage.data_dir_of(db)
    stored = storage.store(db, data_dir, organization_id, source, file_name=name, content_type=content_type,
                           max_bytes=max_bytes, field="file")
    now = utcnow()
    if current is None:
        current = ScriptDependency(organization_id=organization_id, script_id=script.id, name=name, created=now)
        db.add(current)
        action = history.CREATE
    else:
        storage.remove_after_commit(db, data_dir, [current.storage_key])
        action = history.UPDATE
    old = current.checksum
    current.storage_key, current.content_type = stored.storage_key, stored.content_type
    current.size, current.checksum, current.modified = stored.size, stored.sha256, now
    script.modified = now
    db.flush()
    _offline_changed(db, script)
    history.record(db, organization_id=organization_id, account_id=account_id, action=action,
                   entity_name="script_dependency", entity_id=current.id, parent=(ENTITY, script.id),
                   changes={"name": (None, name) if action == history.CREATE else (name, name),
                            "checksum": (old, stored.sha256)})
    return current


def delete_dependency(db: Session, *, organization_id: int, account_id: int | None, script_id: int,
                      name: str) -> None:
    dependency = find_dependency(db, organization_id=organization_id, script_id=script_id, name=name)
    script = get_script(db, organization_id=organization_id, script_id=script_id)
    storage.remove_after_commit(db, storage.data_dir_of(db), [dependency.storage_key])
    db.delete(dependency)
    script.modified = utcnow()
    db.flush()
    _offline_changed(db, script)
    history.record(db, organization_id=organization_id, account_id=account_id, action=history.DELETE,
                   entity_name="script_dependency", entity_id=dependency.id, parent=(ENTITY, script.id),
                   changes={"name": (name, None)})


# --- what machines keep ------------------------------------------------------------------------


def offline_scripts_of(db: Session, *, organization_id: int, machine_id: int) -> list[Script]:
    """The enabled offline scripts a machine keeps and runs on their schedule."""
    return list(db.scalars(
        select(Script).join(ScriptMachine, and_(ScriptMachine.script_id == Script.id,
                                                ScriptMachine.machine_id == machine_id))
        .where(Script.organization_id == organization_id, Script.type == OFFLINE, Script.enabled)
        .order_by(Script.id)))
