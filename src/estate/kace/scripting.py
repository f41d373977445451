"""The Scripting API (reference: "Scripting API Reference"): scripts, their tasks and dependencies,
runs and their status; plus the output of one machine's run (`kbotLogId`, decision 0602).

Thin over estate.scripting: parse, check the caller's right, call the domain, shape the DTOs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from estate.auth.permissions import Caller
from estate.db.base import MAX_INT
from estate.errors import NotFound
from estate.kace.deps import DB, AppSettings, Body, CurrentCaller, Id
from estate.kace.http import download, empty, respond, spooled_body
from estate.scripting import runs, service
from estate.scripting.models import Script, ScriptDependency, ScriptTask
from estate.scripting.schemas import PASSWORD_MASK
from estate.scripting.steps import STEP_LISTS
from estate.servicedesk import storage

router = APIRouter(prefix="/api", tags=["scripting"])


# --- shapes ------------------------------------------------------------------------------------


def task_dto(task: ScriptTask) -> dict[str, Any]:
    return {"ordinalId": task.ordinal, "attempts": task.attempts, "onFailure": task.on_failure,
            **{name: task.steps.get(name, []) for name in STEP_LISTS}}


def dependency_dto(dependency: ScriptDependency) -> dict[str, Any]:
    return {"name": dependency.name, "checksum": dependency.checksum, "fileSize": dependency.size}


def script_dto(script: Script, parts: service.ScriptParts) -> dict[str, Any]:
    """ScriptShellDTO: every kind answers all its fields (those of another kind at their defaults)."""
    alert = script.alert
    return {
        "id": script.id, "name": script.name, "type": script.type, "description": script.description,
        "notes": script.notes, "status": script.status, "enabled": script.enabled, "osTypes": script.os_types,
        "scheduleType": script.schedule_type, "schedule": script.schedule,
        "machines": [{"id": machine_id, "name": name} for machine_id, name in parts.machines[script.id]],
        "tasks": [task_dto(task) for task in parts.tasks[script.id]],
        "dependencies": [dependency_dto(dep) for dep in parts.dependencies[script.id]],
        "runAs": script.run_as, "runAsUsr": script.run_as_user,
        "runAsPassword": PASSWORD_MASK if script.run_as_password else "",
        "scriptText": script.script_text, "fileName": script.file_name, "timeout": script.timeout,
        "removeFiles": script.remove_files, "uploadFile": script.upload_file,
        "uploadFileName": script.upload_file_name, "uploadFilePath": script.upload_file_path,
        "alertEnabled": alert.get("alertEnabled", False), "alertMessage": alert.get("alertMessage", ""),
        "alertDialogTimeout": alert.get("alertDialogTimeout", 0),
        "alertDialogTimeoutAction": alert.get("alertDialogTimeoutAction", ""),
        "alertDialogOptions": alert.get("alertDialogOptions", []),
        "alertSnoozeDuration": alert.get("alertSnoozeDuration", 0),
    }


def _one(db: Session, script: Script) -> dict[str, Any]:
    db.flush()
    return script_dto(script, service.parts_of(db, [script.id]))


def _tasks(db: Session, script: Script) -> list[dict[str, Any]]:
    db.flush()
    return [task_dto(task) for task in service.tasks_of(db, script)]


# --- scripts -----------------------------------------------------------------------------------


@router.post("/script")
@router.post("/script/", include_in_schema=False)
def create_script(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
    service.require(caller, "write")
    script = service.create_script(db, organization_id=caller.organization_id, account_id=caller.account_id,
                                   data=body)
    return respond(request, _one(db, script))


@router.get("/scripts")
@router.get("/scripts/", include_in_schema=False)
def list_scripts(
    request: Request, db: DB, caller: CurrentCaller,
    type: Annotated[str | None, Query()] = None,  # noqa: A002 - the reference's parameter name
    searchText: Annotated[str | None, Query(max_length=255)] = None,  # noqa: N803
    compatibleForMachineId: Annotated[str | None, Query(max_length=32)] = None,  # noqa: N803
    start: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
    count: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    sorting: Annotated[str | None, Query(max_length=255)] = None,
) -> Response:
    service.require(caller)
    found = service.list_scripts(db, organization_id=caller.organization_id, account_id=caller.account_id,
                                 kind=type, search_text=searchText, compatible_for=compatibleForMachineId,
                                 start=start, count=count, sorting=sorting)
    parts = service.parts_of(db, [script.id for script in found])
    return respond(request, [script_dto(script, parts) for script in found])


@router.get("/script/runStatus/{run_id}")
def run_status(request: Request, db: DB, caller: CurrentCaller, run_id: Id) -> Response:
    service.require(caller)
    return respond(request, runs.run_status(db, organization_id=caller.organization_id, run_id=run_id))


@router.get("/script/log/{log_id}", include_in_schema=False)
def machine_log(request: Request, db: DB, caller: CurrentCaller, log_id: Id) -> Response:
    """The output of one machine's run: `kbotLogId` of RunStatusDTO's machines (decision 0602)."""
    service.require(caller)
    return respond(request, runs.machine_log(db, organization_id=caller.organization_id, log_id=log_id))


@router.get("/script/log/{log_id}/file/{file_name}", include_in_schema=False)
def machine_log_file(db: DB, caller: CurrentCaller, settings: AppSettings, log_id: Id, file_name: str) -> Response:
    """A file the machine uploaded during the run (an "Upload a file" step or the shell script's upload)."""
    service.require(caller)
    item = runs.uploaded_file(db, organization_id=caller.organization_id, log_id=log_id, name=file_name)
    return _stored(db, item.storage_key, item.name, "application/octet-stream")


@router.get("/script/{script_id}")
def get_script(request: Request, db: DB, caller: CurrentCaller, script_id: Id) -> Response:
    service.require(caller)
    return respond(request, _one(db, service.get_script(db, organization_id=caller.organization_id,
                                                        script_id=script_id)))


@router.put("/script/{script_id}")
def update_script(request: Request, db: DB, caller: CurrentCaller, script_id: Id, body: Body) -> Response:
    service.require(caller, "write")
    script = service.update_script(db, organization_id=caller.organization_id, account_id=caller.account_id,
                                   script_id=script_id, data=body)
    return respond(request, _one(db, script))


@router.delete("/script/{script_id}")
def delete_script(db: DB, caller: CurrentCaller, script_id: Id) -> Response:
    service.require(caller, "write")
    service.delete_script(db, organization_id=caller.organization_id, account_id=caller.account_id,
                          script_id=script_id)
    return empty()


@router.post("/script/{script_id}/actions/run")
def run_script(request: Request, db: DB, caller: CurrentCaller, settings: AppSettings, script_id: Id,
               machineIDs: Annotated[str, Query(min_length=1, max_length=1_000_000)]) -> Response:  # noqa: N803
    service.require(caller, "write")
    run_id = runs.start_run(db, organization_id=caller.organization_id, account_id=caller.account_id,
                            script_id=script_id, machine_ids=machineIDs,
                            expiry_seconds=settings.script_run_expiry_seconds)
    return respond(request, run_id)


# --- tasks -------------------------------------------------------------------------------------

@router.get("/script/{script_id}/tasks")
def list_tasks(request: Request, db: DB, caller: CurrentCaller, script_id: Id) -> Response:
    service.require(caller)
    script = service.get_script(db, organization_id=caller.organization_id, script_id=script_id)
    return respond(request, _tasks(db, script))


@router.post("/script/{script_id}/task")
def add_task(request: Request, db: DB, caller: CurrentCaller, script_id: Id, body: Body) -> Response:
    service.require(caller, "write")
    script = service.add_task(db, organization_id=caller.organization_id, account_id=caller.account_id,
                              script_id=script_id, data=body)
    return respond(request, _tasks(db, script))


@router.get("/script/{script_id}/task/{order_id}")
def get_task(request: Request, db: DB, caller: CurrentCaller, script_id: Id, order_id: Id) -> Response:
    service.require(caller)
    return respond(request, task_dto(service.get_task(db, organization_id=caller.organization_id,
                                                      script_id=script_id, ordinal=order_id)))


@router.put("/script/{script_id}/task/{order_id}")
def update_task(request: Request, db: DB, caller: CurrentCaller, script_id: Id, order_id: Id,
                body: Body) -> Response:
    service.require(caller, "write")
    script = service.update_task(db, organization_id=caller.organization_id, account_id=caller.account_id,
                                 script_id=script_id, ordinal=order_id, data=body)
    return respond(request, _tasks(db, script))


@router.delete("/script/{script_id}/task/{order_id}")
def delete_task(request: Request, db: DB, caller: CurrentCaller, script_id: Id, order_id: Id) -> Response:
    service.require(caller, "write")
    script = service.delete_task(db, organization_id=caller.organization_id, account_id=caller.account_id,
                                 script_id=script_id, ordinal=order_id)
    return respond(request, _tasks(db, script))


# --- dependencies ------------------------------------------------------------------------------


async def dependency_file(request: Request) -> Any:
    return await spooled_body(request, max_bytes=request.app.state.settings.max_dependency_bytes, field="file")


DependencyFile = Annotated[Any, Depends(dependency_file)]


@router.get("/script/{script_id}/dependencies")
def list_dependencies(request: Request, db: DB, caller: CurrentCaller, script_id: Id) -> Response:
    service.require(caller)
    script = service.get_script(db, organization_id=caller.organization_id, script_id=script_id)
    return respond(request, [dependency_dto(dep) for dep in service.dependencies_of(db, script)])


def _save(request: Request, db: Session, caller: Caller, script_id: int, name: str, upload: Any,
          replace: bool) -> Response:
    service.require(caller, "write")
    source, content_type = upload
    dependency = service.save_dependency(
        db, organization_id=caller.organization_id, account_id=caller.account_id, script_id=script_id,
        name=name, source=source, content_type=content_type,
        max_bytes=request.app.state.settings.max_dependency_bytes, replace=replace)
    return respond(request, dependency_dto(dependency))


@router.post("/script/{script_id}/dependency/{dependency_name}")
def add_dependency(request: Request, db: DB, caller: CurrentCaller, script_id: Id, dependency_name: str,
                   upload: DependencyFile) -> Response:
    return _save(request, db, caller, script_id, dependency_name, upload, replace=False)


@router.put("/script/{script_id}/dependency/{dependency_name}")
def replace_dependency(request: Request, db: DB, caller: CurrentCaller, script_id: Id, dependency_name: str,
                       upload: DependencyFile) -> Response:
    return _save(request, db, caller, script_id, dependency_name, upload, replace=True)


@router.get("/script/{script_id}/dependency/{dependency_name}")
def get_dependency(request: Request, db: DB, caller: CurrentCaller, script_id: Id, dependency_name: str) -> Response:
    service.require(caller)
    return respond(request, dependency_dto(service.find_dependency(
        db, organization_id=caller.organization_id, script_id=script_id, name=dependency_name)))


@router.delete("/script/{script_id}/dependency/{dependency_name}")
def delete_dependency(db: DB, caller: CurrentCaller, script_id: Id, dependency_name: str) -> Response:
    service.require(caller, "write")
    service.delete_dependency(db, organization_id=caller.organization_id, account_id=caller.account_id,
                              script_id=script_id, name=dependency_name)
    return empty()


def _stored(db: Session, storage_key: str, name: str, content_type: str) -> Response:
    path = storage.path_of(storage.data_dir_of(db), storage_key)
    if not path.is_file():
        raise NotFound(f"the file of {name!r} is missing", field="dependencyName")
    return download(path, name, content_type)


@router.get("/script/{script_id}/dependency/{dependency_name}/download")
def download_dependency(db: DB, caller: CurrentCaller, script_id: Id, dependency_name: str) -> Response:
    service.require(caller)
    dependency = service.find_dependency(db, organization_id=caller.organization_id, script_id=script_id,
                                         name=dependency_name)
    return _stored(db, dependency.storage_key, dependency.name, dependency.content_type)

