"""Assets: the list by asset type, a page per asset with its fields (edit), attachments (upload,
download, remove), barcodes and archiving, all through estate.assets as the Asset API writes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import FileResponse, HTMLResponse, Response

from estate.assets import barcodes, service
from estate.assets.entities import ASSET, BARCODE, of_asset
from estate.assets.stock import ATTACHMENT
from estate.cmdb.catalog import CATALOG
from estate.errors import DomainError, NotFound
from estate.query import Scope
from estate.servicedesk import storage
from estate.web import forms, records, scopes
from estate.web.console import Console, Id, Page, redirect, rolled_back
from estate.web.lists import ListRequest, column_fields, fetch_list
from estate.web.registry import area

router = area("assets", title="Assets", path="/assets", right="assets", order=20)

COLUMNS = ("id", "name", "asset_type_name", "asset_status_id", "mapped_id", "modified")


def _actor(page: Console) -> Any:
    return service.actor_of(page.caller.organization_id, page.caller.account_id, page.caller.login)


@router.get("/assets")
def asset_list(page: Page, q: str = "", sort: str = "", type: int | None = None,  # noqa: A002 - the page's parameter
               page_number: Annotated[int, Query(alias="page")] = 1, archived: str = "") -> HTMLResponse:
    page.caller.require("assets")
    types = service.asset_types(page.db, page.caller.organization_id)
    filters = (f"asset_type_id eq {type}",) if type else ()
    request = ListRequest(search=q, sort=sort, page=max(page_number, 1), filters=filters)
    found = fetch_list(page.db, ASSET, request, scope=scopes.assets(page.caller),
                       columns=column_fields(ASSET, (), COLUMNS))
    return page.render("assets/list.html", list=found, request=request, types=types, type_id=type,
                       columns=found.columns, states=CATALOG.cmdb_states, page_title="Assets",
                       notice="The asset was archived." if archived else None)


def _asset_page(page: Console, asset_id: Id, *, status: int = 200, error: DomainError | None = None,
                notice: str | None = None) -> HTMLResponse:
    view = records.asset(page.db, page.caller, asset_id)
    codes = fetch_list(page.db, BARCODE, ListRequest(sort="id"),
                       scope=Scope(organization_id=page.caller.organization_id, visible=of_asset(asset_id)),
                       columns=column_fields(BARCODE, (), ("id", "barcode_name", "barcode_data", "barcode_format")))
    return page.render("assets/asset.html", status=status, view=view, asset=view.record, barcodes=codes, error=error,
                       states=CATALOG.cmdb_states, attachment=ATTACHMENT, page_title=view.record["name"], notice=notice,
                       history=records.object_history(page.db, page.caller, asset_id) if page.can("cmdb") else [])


@router.get("/assets/{asset_id}")
def asset_page(page: Page, asset_id: Id, saved: str = "") -> HTMLResponse:
    page.caller.require("assets")
    return _asset_page(page, asset_id, notice="Saved." if saved else None)


async def _changes(page: Console, fields: list[Any]) -> tuple[dict[str, Any], dict[str, service.Upload]]:
    """The asset as the form sends it: texts, chosen files (as attachmentSet parts), removals."""
    form = await page.form()
    data: dict[str, Any] = {"name": forms.text(form, "name"), "asset_status_id": forms.text(form, "asset_status_id")}
    parts: dict[str, service.Upload] = {}
    for item in fields:
        if item.kind != ATTACHMENT:
            data[item.key] = forms.text(form, item.key)
            continue
        chosen = forms.files(form, item.key)
        if chosen:
            parts[item.key] = service.Upload(chosen[0].file, chosen[0].filename, chosen[0].content_type)
            data[item.key] = {"attachmentSet": item.key}
        elif forms.text(form, f"remove_{item.key}"):
            data[item.key] = {"remove": "1"}
    return data, parts


@router.post("/assets/{asset_id}")
async def save_asset(page: Page, asset_id: Id) -> Response:
    page.caller.require("assets", "write")
    view = records.asset(page.db, page.caller, asset_id)
    data, parts = await _changes(page, view.fields)
    obj = service.get_asset(page.db, page.caller.organization_id, asset_id)
    files = service.Files(page.settings.data_dir, page.settings.max_attachment_bytes, parts)
    try:
        service.update_asset(page.db, _actor(page), obj, data, files)
    except DomainError as exc:
        rolled_back(page)
        return _asset_page(page, asset_id, status=exc.status, error=exc)
    return redirect(f"/assets/{asset_id}?saved=1", page.request)


@router.get("/assets/{asset_id}/attachments/{field_key}")
def download(page: Page, asset_id: Id, field_key: str) -> Response:
    page.caller.require("assets")
    obj = service.get_asset(page.db, page.caller.organization_id, asset_id)
    attachment = service.attachment_of(page.db, obj, field_key)
    path = storage.path_of(page.settings.data_dir, attachment.storage_key)
    if not path.is_file():
        raise NotFound(f"the file of {field_key} is missing", field="field")
    return FileResponse(path, media_type=attachment.content_type, filename=attachment.file_name,
                        headers={"X-Content-Type-Options": "nosniff"})


@router.post("/assets/{asset_id}/archive")
async def archive(page: Page, asset_id: Id) -> Response:
    page.caller.require("assets", "write")
    reason = forms.text(await page.form(), "reason")
    service.archive(page.db, _actor(page), service.get_asset(page.db, page.caller.organization_id, asset_id), reason)
    return redirect("/assets?archived=1", page.request)


@router.post("/assets/{asset_id}/barcodes")
async def add_barcode(page: Page, asset_id: Id) -> Response:
    page.caller.require("assets", "write")
    form = await page.form()
    service.get_asset(page.db, page.caller.organization_id, asset_id)
    data = {key: forms.text(form, key) for key in ("barcode_name", "barcode_data", "barcode_format")}
    # Typed in at the console: entered by hand, where the console is.
    data.update(asset_id=str(asset_id), scanned_method="MANUAL", scanned_geolocation="console")
    barcodes.create(page.db, page.caller.organization_id, page.caller.login, data)
    return redirect(f"/assets/{asset_id}#barcodes", page.request)
