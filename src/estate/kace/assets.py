"""The Asset API (/api/asset): assets are CMDB objects (estate.assets), so what is written here is
read by the i-doit face and the other way round. Bodies are JSON/XML or, to upload attachments,
multipart/form-data with an `Assets` part and file parts named by {"attachmentSet": "PartName"}."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response

from estate.assets import barcodes, service
from estate.assets import entities as ent
from estate.assets.models import AssetAttachment
from estate.auth.permissions import Caller
from estate.cmdb.catalog import ARCHIVED, NORMAL
from estate.errors import InvalidInput, NotFound
from estate.kace.deps import DB, AppSettings, Body, CurrentCaller, Id
from estate.kace.http import SUCCESS, read_body, read_upload, respond
from estate.kace.lists import item_response, list_response
from estate.kace.versions import KACE_API_VERSION
from estate.query import Scope
from estate.servicedesk import storage
from estate.settings import Settings

router = APIRouter(prefix="/api/asset", tags=["assets"])

AREA = "assets"
MAX_FILES = 10


def _scope(caller: Caller, record_status: int) -> Scope:
    # Assets are every caller's organization's data; the record state chooses live or archived.
    return Scope(organization_id=caller.organization_id, visible=ent.in_record_state(record_status))


def _org_scope(caller: Caller) -> Scope:
    return Scope(organization_id=caller.organization_id, visible=None)


def _actor(caller: Caller) -> Any:
    return service.actor_of(caller.organization_id, caller.account_id, caller.login)


def _version(request: Request) -> Response:
    return respond(request, str(KACE_API_VERSION))


# ================================================================================ bodies and uploads


class AssetPayload:
    """The `Assets` of a request and, for multipart uploads, its file parts by part name."""

    def __init__(self, assets: list[Mapping[str, Any]], parts: dict[str, service.Upload] | None = None) -> None:
        self.assets = assets
        self.parts = parts or {}

    def files(self, settings: Settings) -> service.Files:
        return service.Files(settings.data_dir, settings.max_attachment_bytes, self.parts)


def _assets_of(body: Any) -> list[Mapping[str, Any]]:
    if isinstance(body, Mapping) and "Assets" in body:
        body = body["Assets"]
    elif isinstance(body, Mapping) and "Asset" in body:
        body = body["Asset"]
    if isinstance(body, Mapping):  # XML bodies and single objects
        body = [body]
    if not isinstance(body, list) or not body or not all(isinstance(item, Mapping) for item in body):
        raise InvalidInput("the body must be an object with a non-empty Assets array", field="Assets")
    return body


async def asset_payload(request: Request) -> AssetPayload:
    settings: Settings = request.app.state.settings
    upload = await read_upload(request, part="Assets", max_body=settings.max_body_bytes, max_files=MAX_FILES,
                               max_file=settings.max_attachment_bytes, max_fields=5)
    if upload is None:
        return AssetPayload(_assets_of(await read_body(request, settings.max_body_bytes)))
    # One file per part name: an asset field names one part (the last one sent counts).
    parts = {name: service.Upload(sent[-1].file, sent[-1].filename, sent[-1].content_type)
             for name, sent in upload.files.items()}
    return AssetPayload(_assets_of(upload.body), parts)


Payload = Annotated[AssetPayload, Depends(asset_payload)]


def _check_parts_used(payload: AssetPayload) -> None:
    named = {
        value["attachmentSet"]
        for item in payload.assets
        for value in item.values()
        if isinstance(value, Mapping) and isinstance(value.get("attachmentSet"), str)
    }
    unused = sorted(set(payload.parts) - named)
    if unused:
        raise InvalidInput(f"file part(s) {', '.join(unused)} are not named by any attachmentSet", field=unused[0])


# ======================================================================================== types


@router.get("/assets/types")
def list_types(request: Request, db: DB, caller: CurrentCaller) -> Response:
    caller.require(AREA)
    fields = service.fields_by_type(db, caller.organization_id)
    types = [
        {
            "id": kind.id,
            "name": kind.name,
            "asset_class_id": kind.asset_class_id,
            "object_type": kind.type_const,
            "fields": [
                {
                    "id": int(item.key.removeprefix("field_")),
                    "name": item.key,
                    "label": item.label,
                    "type": item.kind,
                    **({"choices": item.choices} if item.choices else {}),
                    **({"asset_type_id": item.reference_type_id} if item.reference_type_id else {}),
                }
                for item in fields.get(kind.id, [])
            ],
        }
        for kind in service.asset_types(db, caller.organization_id)
    ]
    return respond(request, {"Count": len(types), "AssetTypes": types})


# ======================================================================================= assets


@router.get("/assets/version")
def assets_version(request: Request, caller: CurrentCaller) -> Response:
    return _version(request)


@router.get("/assets/")
@router.get("/assets", include_in_schema=False)
def list_assets(request: Request, db: DB, caller: CurrentCaller) -> Response:
    caller.require(AREA)
    return list_response(request, db, ent.ASSET, scope=_scope(caller, NORMAL))


@router.post("/assets")
@router.post("/assets/", include_in_schema=False)
def create_assets(request: Request, db: DB, caller: CurrentCaller, settings: AppSettings,
                  payload: Payload) -> Response:
    caller.require(AREA, "write")
    _check_parts_used(payload)
    files = payload.files(settings)
    ids = []
    for index, item in enumerate(payload.assets):
        if "id" in item:
            raise InvalidInput("a new asset has no id", field=f"Assets[{index}].id")
        ids.append(service.create_asset(db, _actor(caller), item, files).id)
    return respond(request, {**SUCCESS, "IDs": ids})


@router.get("/assets/{asset_id}")
@router.get("/assets/{asset_id}/", include_in_schema=False)
def get_asset(request: Request, db: DB, caller: CurrentCaller, asset_id: Id) -> Response:
    caller.require(AREA)
    obj = service.get_asset(db, caller.organization_id, asset_id)
    return respond(request, {"Assets": service.describe(db, caller.organization_id, [obj])})


def _update(request: Request, db: DB, caller: Caller, settings: Settings, asset_id: int,
            payload: AssetPayload) -> Response:
    caller.require(AREA, "write")
    if len(payload.assets) != 1:
        raise InvalidInput("an update carries exactly one asset", field="Assets")
    _check_parts_used(payload)
    obj = service.get_asset(db, caller.organization_id, asset_id)
    service.update_asset(db, _actor(caller), obj, payload.assets[0], payload.files(settings))
    return respond(request, SUCCESS)


@router.post("/assets/{asset_id}")
@router.post("/assets/{asset_id}/", include_in_schema=False)
def post_update_asset(request: Request, db: DB, caller: CurrentCaller, settings: AppSettings, asset_id: Id,
                      payload: Payload) -> Response:
    return _update(request, db, caller, settings, asset_id, payload)


@router.put("/assets/{asset_id}")
@router.put("/assets/{asset_id}/", include_in_schema=False)
def put_update_asset(request: Request, db: DB, caller: CurrentCaller, settings: AppSettings, asset_id: Id,
                     payload: Payload) -> Response:
    return _update(request, db, caller, settings, asset_id, payload)


@router.delete("/assets/{asset_id}")
@router.delete("/assets/{asset_id}/", include_in_schema=False)
def delete_asset(request: Request, db: DB, caller: CurrentCaller, asset_id: Id) -> Response:
    caller.require(AREA, "write")
    service.delete_asset(db, _actor(caller), service.get_asset(db, caller.organization_id, asset_id))
    return respond(request, SUCCESS)


def _archive_reason(body: Any) -> str:
    if body is None:
        return ""
    if not isinstance(body, Mapping):
        raise InvalidInput("the body must be an object", field="body")
    reason = body.get("archive_reason", body.get("archiveReason", ""))
    if not isinstance(reason, str):
        raise InvalidInput("archive_reason must be text", field="archive_reason")
    return reason


@router.post("/assets/{asset_id}/archive/")
@router.post("/assets/{asset_id}/archive", include_in_schema=False)
def archive_asset(request: Request, db: DB, caller: CurrentCaller, asset_id: Id, body: Body) -> Response:
    caller.require(AREA, "write")
    reason = _archive_reason(body)
    service.archive(db, _actor(caller), service.get_asset(db, caller.organization_id, asset_id), reason)
    return respond(request, SUCCESS)


@router.post("/assets/{asset_id}/cancel_archive/")
@router.post("/assets/{asset_id}/cancel_archive", include_in_schema=False)
def cancel_archive(request: Request, db: DB, caller: CurrentCaller, asset_id: Id) -> Response:
    caller.require(AREA, "write")
    obj = service.get_asset(db, caller.organization_id, asset_id, status=ARCHIVED)
    service.cancel_archive(db, _actor(caller), obj)
    return respond(request, SUCCESS)


def _download(db: DB, caller: Caller, settings: Settings, asset_id: int, field_name: str) -> Response:
    caller.require(AREA)
    obj = service.get_asset(db, caller.organization_id, asset_id)
    key = field_name if field_name.startswith("field_") else f"field_{field_name}"
    attachment: AssetAttachment = service.attachment_of(db, obj, key)
    path = storage.path_of(settings.data_dir, attachment.storage_key)
    if not path.is_file():
        raise NotFound(f"the file of {key} is missing", field="fieldName")
    safe = attachment.file_name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return FileResponse(path, media_type=attachment.content_type, headers={
        "Content-Disposition": f'attachment; filename="{safe}"',
        "X-Content-Type-Options": "nosniff",
    })


@router.get("/assets/{asset_id}/attachment/{field_name}")
def download_attachment(db: DB, caller: CurrentCaller, settings: AppSettings, asset_id: Id,
                        field_name: str) -> Response:
    return _download(db, caller, settings, asset_id, field_name)


@router.get("/assets/{asset_id}/attachments/{field_name}", include_in_schema=False)
def download_attachment_plural(db: DB, caller: CurrentCaller, settings: AppSettings, asset_id: Id,
                               field_name: str) -> Response:
    return _download(db, caller, settings, asset_id, field_name)


@router.get("/assets/{asset_id}/barcodes")
@router.get("/assets/{asset_id}/barcodes/", include_in_schema=False)
def asset_barcodes(request: Request, db: DB, caller: CurrentCaller, asset_id: Id) -> Response:
    caller.require(AREA)
    service.get_asset(db, caller.organization_id, asset_id)
    scope = Scope(organization_id=caller.organization_id, visible=ent.of_asset(asset_id))
    return list_response(request, db, ent.BARCODE, scope=scope)


# ============================================================================= archived devices


# The reference prints this path without its leading slash; it is served, outside the table.
@router.get("/archived_devices/version")
def archived_version(request: Request, caller: CurrentCaller) -> Response:
    return _version(request)


@router.get("/archived_devices/{asset_id}")
@router.get("/archived_devices/{asset_id}/", include_in_schema=False)
def get_archived(request: Request, db: DB, caller: CurrentCaller, asset_id: Id) -> Response:
    caller.require(AREA)
    obj = service.get_asset(db, caller.organization_id, asset_id, status=ARCHIVED)
    return respond(request, {"Assets": [service.archived_device(db, caller.organization_id, obj)]})


# ================================================================================ asset statuses


@router.get("/asset_status")
@router.get("/asset_status/", include_in_schema=False)
def list_statuses(request: Request, db: DB, caller: CurrentCaller) -> Response:
    caller.require(AREA)
    return list_response(request, db, ent.ASSET_STATUS, scope=_org_scope(caller))


@router.get("/asset_status/{status_id}")
@router.get("/asset_status/{status_id}/", include_in_schema=False)
def get_status(request: Request, db: DB, caller: CurrentCaller, status_id: Id) -> Response:
    caller.require(AREA)
    return item_response(request, db, ent.ASSET_STATUS, status_id, scope=_org_scope(caller))


# ====================================================================================== barcodes


def _barcodes_of(body: Any) -> list[Mapping[str, Any]]:
    if isinstance(body, Mapping) and "Barcodes" in body:
        body = body["Barcodes"]
    if isinstance(body, Mapping):
        body = [body]
    if not isinstance(body, list) or not body or not all(isinstance(item, Mapping) for item in body):
        raise InvalidInput("the body must be an object with a non-empty Barcodes array", field="Barcodes")
    return body


@router.get("/barcodes/version")
def barcodes_version(request: Request, caller: CurrentCaller) -> Response:
    return _version(request)


@router.post("/barcodes")
@router.post("/barcodes/", include_in_schema=False)
def create_barcodes(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
    caller.require(AREA, "write")
    ids = [barcodes.create(db, caller.organization_id, caller.login, item).id for item in _barcodes_of(body)]
    return respond(request, {**SUCCESS, "IDs": ids})


@router.get("/barcodes")
@router.get("/barcodes/", include_in_schema=False)
def list_barcodes(request: Request, db: DB, caller: CurrentCaller) -> Response:
    caller.require(AREA)
    return list_response(request, db, ent.BARCODE, scope=_org_scope(caller))


@router.get("/barcodes/{barcode_id}")
@router.get("/barcodes/{barcode_id}/", include_in_schema=False)
def get_barcode(request: Request, db: DB, caller: CurrentCaller, barcode_id: Id) -> Response:
    caller.require(AREA)
    return item_response(request, db, ent.BARCODE, barcode_id, scope=_org_scope(caller))


@router.put("/barcodes/{barcode_id}")
@router.put("/barcodes/{barcode_id}/", include_in_schema=False)
def update_barcode(request: Request, db: DB, caller: CurrentCaller, barcode_id: Id, body: Body) -> Response:
    caller.require(AREA, "write")
    items = _barcodes_of(body)
    if len(items) != 1:
        raise InvalidInput("an update carries exactly one barcode", field="Barcodes")
    barcodes.update(db, barcodes.get(db, caller.organization_id, barcode_id), caller.login, items[0])
    return respond(request, SUCCESS)


@router.delete("/barcodes/{barcode_id}")
@router.delete("/barcodes/{barcode_id}/", include_in_schema=False)
def delete_barcode(request: Request, db: DB, caller: CurrentCaller, barcode_id: Id) -> Response:
    caller.require(AREA, "write")
    barcodes.delete(db, barcodes.get(db, caller.organization_id, barcode_id))
    return respond(request, SUCCESS)


