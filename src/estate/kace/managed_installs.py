"""The Managed Install API (reference: "Managed Install API Reference") over estate.distribution.

Every path is served under both prefixes clients use, `/api/mi/...` and `/api/managed_install/...`,
with and without a trailing slash; the OpenAPI document shows the reference's spelling only. Lists
run on the query engine (`MIs`, `Machines`, `Files`). Creating, changing and deleting managed
installs and uploading package files are not in the reference; they are served beside it
(decision 0704, listed in docs/api/kace-coverage.md).

Thin over the domain: parse, check the caller's right, call the domain, answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from estate.auth.permissions import Caller
from estate.distribution import compatibility, files, service
from estate.distribution.entities import MANAGED_INSTALL, MI_MACHINE, PACKAGE_FILE
from estate.distribution.service import require
from estate.errors import InvalidInput, NotFound
from estate.inventory.entities import MACHINE
from estate.kace.deps import DB, Body, CurrentCaller, Id
from estate.kace.http import SUCCESS, download, empty, read_body, read_upload, respond, wants_xml
from estate.kace.lists import item_response, list_response
from estate.kace.versions import KACE_API_VERSION
from estate.query import Scope

router = APIRouter(tags=["managed installs"])
PREFIXES = ("/api/mi", "/api/managed_install")
# The reference prints add_to_machines under its second prefix and every other path under the first.
REFERENCE_PREFIX = {"/managed_installs/{item_id}/add_to_machines": "/api/managed_install"}
MAX_FILES = 20


def _scope(caller: Caller) -> Scope:
    return Scope(organization_id=caller.organization_id, visible=None)


def route(method: str, path: str, *, documented: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve `path` under both prefixes, with and without a trailing slash; only the reference's own
    spelling (and only a path of the reference) is in the OpenAPI document."""
    def add(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        shown = REFERENCE_PREFIX.get(path, PREFIXES[0])
        for prefix in PREFIXES:
            for spelling in (f"{prefix}{path}", f"{prefix}{path}/"):
                router.add_api_route(spelling, endpoint, methods=[method], name=f"{endpoint.__name__}",
                                     include_in_schema=documented and spelling == f"{shown}{path}")
        return endpoint

    return add


# --- versions ----------------------------------------------------------------------------------


def _version(request: Request, caller: CurrentCaller) -> Response:
    require(caller)
    return respond(request, str(KACE_API_VERSION))


for _path in ("/managed_installs", "/machines", "/compatible_machines", "/files"):
    route("GET", f"{_path}/version")(_version)


# --- managed installs --------------------------------------------------------------------------


@route("GET", "/managed_installs")
def list_managed_installs(request: Request, db: DB, caller: CurrentCaller) -> Response:
    require(caller)
    return list_response(request, db, MANAGED_INSTALL, scope=_scope(caller))


@route("GET", "/managed_installs/{item_id}")
def get_managed_install(request: Request, db: DB, caller: CurrentCaller, item_id: Id) -> Response:
    require(caller)
    return item_response(request, db, MANAGED_INSTALL, item_id, scope=_scope(caller))


@route("GET", "/managed_installs/{item_id}/compatible_machines")
def compatible_machines_of(request: Request, db: DB, caller: CurrentCaller, item_id: Id) -> Response:
    require(caller)
    managed_install = service.get_managed_install(db, organization_id=caller.organization_id,
                                                  managed_install_id=item_id)
    title = compatibility.title_of(db, managed_install)
    return list_response(request, db, MACHINE, scope=_scope(caller), extra=(title.compatible(MACHINE.table),))


@route("GET", "/managed_installs/{item_id}/file")
def file_of(request: Request, db: DB, caller: CurrentCaller, item_id: Id) -> Response:
    """The file's record (`{"Files": [...]}`), or its bytes for a client that accepts
    application/octet-stream (Range supported)."""
    require(caller)
    managed_install = service.get_managed_install(db, organization_id=caller.organization_id,
                                                  managed_install_id=item_id)
    if managed_install.file_id is None:
        raise NotFound(f"managed install {item_id} has no file", field="id")
    if _wants_bytes(request):
        return _bytes_of(db, caller, managed_install.file_id)
    return item_response(request, db, PACKAGE_FILE, managed_install.file_id, scope=_scope(caller))


@route("PUT", "/managed_installs/{item_id}/add_to_machines")
def add_to_machines(db: DB, caller: CurrentCaller, item_id: Id, body: Body) -> Response:
    require(caller, "write")
    service.add_to_machines(db, organization_id=caller.organization_id, account_id=caller.account_id,
                            managed_install_id=item_id, body=body)
    return empty()


@route("PUT", "/managed_installs/{item_id}/remove_from_machines")
def remove_from_machines(db: DB, caller: CurrentCaller, item_id: Id, body: Body) -> Response:
    require(caller, "write")
    service.remove_from_machines(db, organization_id=caller.organization_id, account_id=caller.account_id,
                                 managed_install_id=item_id, body=body)
    return empty()


# --- machines ----------------------------------------------------------------------------------


@route("GET", "/machines")
def list_machines(request: Request, db: DB, caller: CurrentCaller) -> Response:
    require(caller)
    return list_response(request, db, MI_MACHINE, scope=_scope(caller))


@route("GET", "/machines/{item_id}")
def get_machine(request: Request, db: DB, caller: CurrentCaller, item_id: Id) -> Response:
    """The device with the managed installs it is a target of and its status for each."""
    require(caller)
    return item_response(request, db, MI_MACHINE, item_id, scope=_scope(caller))


@route("GET", "/compatible_machines")
def list_compatible_machines(request: Request, db: DB, caller: CurrentCaller) -> Response:
    """Machines some managed install of the organization is for."""
    require(caller)
    condition = compatibility.compatible_with_any(db, organization_id=caller.organization_id,
                                                  machines=MACHINE.table)
    return list_response(request, db, MACHINE, scope=_scope(caller), extra=(condition,))


# --- package files -----------------------------------------------------------------------------


@route("GET", "/files")
def list_files(request: Request, db: DB, caller: CurrentCaller) -> Response:
    require(caller)
    return list_response(request, db, PACKAGE_FILE, scope=_scope(caller))


@route("GET", "/files/{item_id}", documented=False)
def get_file(request: Request, db: DB, caller: CurrentCaller, item_id: Id) -> Response:
    require(caller)
    if _wants_bytes(request):
        return _bytes_of(db, caller, item_id)
    return item_response(request, db, PACKAGE_FILE, item_id, scope=_scope(caller))


@route("GET", "/files/{item_id}/download", documented=False)
def download_file(db: DB, caller: CurrentCaller, item_id: Id) -> Response:
    require(caller)
    return _bytes_of(db, caller, item_id)


def _wants_bytes(request: Request) -> bool:
    accepted = request.headers.get("accept", "")
    return "application/octet-stream" in accepted and not wants_xml(request) and "json" not in accepted


def _bytes_of(db: Any, caller: Caller, file_id: int) -> Response:
    package = files.get_file(db, organization_id=caller.organization_id, file_id=file_id)
    return download(files.readable(db, package), package.name, package.content_type)


@dataclass
class Incoming:
    """Package files of a request, received before its transaction (files.receive), by part name;
    and the records of a multipart create or change (its `MIs` part)."""

    parts: dict[str, list[tuple[files.Received, UploadFile]]] = field(default_factory=dict)
    body: Any = None

    def discard(self) -> None:
        for received in self.parts.values():
            for item, _ in received:
                item.path.unlink(missing_ok=True)


async def _receive(request: Request, part: str | None) -> Incoming:
    settings = request.app.state.settings
    upload = await read_upload(request, part=part, max_body=settings.max_body_bytes, max_files=MAX_FILES,
                               max_file=settings.max_package_bytes, max_fields=5)
    incoming = Incoming()
    if upload is None:
        incoming.body = await read_body(request, settings.max_body_bytes)
        return incoming
    incoming.body = upload.body
    try:
        for name, parts in upload.files.items():
            for sent in parts:
                received = await run_in_threadpool(files.receive, settings.data_dir, source=sent.file,
                                                   max_bytes=settings.max_package_bytes, field=name)
                incoming.parts.setdefault(name, []).append((received, sent))
    except BaseException:
        incoming.discard()
        raise
    return incoming


async def package_upload(request: Request) -> AsyncIterator[Incoming]:
    incoming = await _receive(request, None)
    try:
        yield incoming
    finally:
        incoming.discard()


async def managed_install_upload(request: Request) -> AsyncIterator[Incoming]:
    incoming = await _receive(request, "MIs")
    try:
        yield incoming
    finally:
        incoming.discard()


PackageUpload = Annotated[Incoming, Depends(package_upload)]
ManagedInstallUpload = Annotated[Incoming, Depends(managed_install_upload)]


def _store_parts(db: Any, caller: Caller, incoming: Incoming) -> dict[str, list[int]]:
    stored: dict[str, list[int]] = {}
    for name, parts in incoming.parts.items():
        for received, sent in parts:
            package, _ = files.store(db, organization_id=caller.organization_id, account_id=caller.account_id,
                                     received=received, file_name=sent.filename, content_type=sent.content_type)
            stored.setdefault(name, []).append(package.id)
    return stored


@route("POST", "/files", documented=False)
def upload_files(request: Request, caller: CurrentCaller, upload: PackageUpload, db: DB) -> Response:
    """multipart/form-data, one file part or several: each becomes a package file (the same content
    uploaded again answers the file it already is). Answers their ids."""
    require(caller, "write")
    if not upload.parts:
        raise InvalidInput("send the package as a file part of a multipart/form-data body", field="file")
    ids = [file_id for stored in _store_parts(db, caller, upload).values() for file_id in stored]
    return respond(request, {**SUCCESS, "IDs": ids})


@route("DELETE", "/files/{item_id}", documented=False)
def delete_file(request: Request, db: DB, caller: CurrentCaller, item_id: Id) -> Response:
    require(caller, "write")
    files.delete_file(db, organization_id=caller.organization_id, account_id=caller.account_id, file_id=item_id)
    return respond(request, SUCCESS)


def _with_files(db: Any, caller: Caller, incoming: Incoming) -> Any:
    """The records of the body, where a multipart `"File": {"attachmentSet": "<part>"}` names an
    uploaded part: that part stored, and the record given its `File_id`."""
    if not incoming.parts:
        return incoming.body
    stored = _store_parts(db, caller, incoming)
    records = service.records_of(incoming.body)
    named: set[str] = set()
    for index, record in enumerate(records):
        if not isinstance(record, Mapping):
            continue
        key = next((key for key in record if str(key).lower() == "file"), None)
        if key is None:
            continue
        value = record[key]
        part = value.get("attachmentSet") if isinstance(value, Mapping) else None
        if not isinstance(part, str) or len(stored.get(part, [])) != 1:
            raise InvalidInput(f"MIs[{index}].File must be {{\"attachmentSet\": \"<name of one file part>\"}}",
                               field=f"MIs[{index}].File")
        named.add(part)
        records[index] = {**{k: v for k, v in record.items() if k != key}, "File_id": stored[part][0]}
    unused = sorted(set(stored) - named)
    if unused:
        raise InvalidInput(f"file part(s) {', '.join(unused)} are not named by any File", field=unused[0])
    return {"MIs": records}


@route("POST", "/managed_installs", documented=False)
def create_managed_installs(request: Request, caller: CurrentCaller, upload: ManagedInstallUpload,
                            db: DB) -> Response:
    """`{"MIs": [{...}]}` (or one object); multipart/form-data with an `MIs` part and the package as a
    file part named by `"File": {"attachmentSet": "<part>"}`. Answers the new ids."""
    require(caller, "write")
    ids = service.create_managed_installs(db, organization_id=caller.organization_id,
                                          account_id=caller.account_id, body=_with_files(db, caller, upload))
    return respond(request, {**SUCCESS, "IDs": ids})


@route("PUT", "/managed_installs/{item_id}", documented=False)
def update_managed_install(request: Request, caller: CurrentCaller, item_id: Id, upload: ManagedInstallUpload,
                           db: DB) -> Response:
    require(caller, "write")
    service.update_managed_install(db, organization_id=caller.organization_id, account_id=caller.account_id,
                                   managed_install_id=item_id, body=_with_files(db, caller, upload))
    return respond(request, SUCCESS)


@route("DELETE", "/managed_installs/{item_id}", documented=False)
def delete_managed_install(request: Request, db: DB, caller: CurrentCaller, item_id: Id) -> Response:
    require(caller, "write")
    service.delete_managed_install(db, organization_id=caller.organization_id, account_id=caller.account_id,
                                   managed_install_id=item_id)
    return respond(request, SUCCESS)
