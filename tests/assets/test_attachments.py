"""Attachment fields over multipart/form-data: create, replace, remove, download, as the examples do."""

from __future__ import annotations

import json
import os

from tests.assets.conftest import create_asset, field_key, read_asset
from tests.kace_client import KaceClient

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40 + b"\x00\xff"


def _multipart(kace: KaceClient, method: str, path: str, assets: list, files: dict):
    parts = {"Assets": (None, json.dumps(assets))}
    parts.update(files)
    # The client's JSON content type would hide the multipart boundary.
    json_type = kace.headers.pop("Content-Type")
    try:
        return kace.request(method, path, files=parts)
    finally:
        kace.headers["Content-Type"] = json_type


def test_create_with_two_attachments_then_replace_remove_and_download(admin: KaceClient, computer):
    warranty, photo = field_key(computer, "Warranty Document"), field_key(computer, "Photo")
    other = os.urandom(5000)
    response = _multipart(admin, "POST", "/api/asset/assets", [{
        "asset_type_id": computer["id"], "name": "TestCreateWithAttachments",
        warranty: {"attachmentSet": "AttachmentOne"}, photo: {"attachmentSet": "AttachmentTwo"},
    }], {"AttachmentOne": ("SomeFile.png", PNG, "image/png"),
         "AttachmentTwo": ("../../SomeOtherFile.bin", other, "application/octet-stream")})
    assert response.status_code == 200, response.text
    asset_id = response.json()["IDs"][0]
    record = read_asset(admin, asset_id)
    assert record[warranty] == "SomeFile.png" and record[photo] == "SomeOtherFile.bin"

    download = admin.get(f"/api/asset/assets/{asset_id}/attachment/{warranty}")
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert admin.get(f"/api/asset/assets/{asset_id}/attachments/{photo}").content == other
    numeric = photo.removeprefix("field_")
    assert admin.get(f"/api/asset/assets/{asset_id}/attachment/{numeric}").content == other

    replacement = os.urandom(777)
    response = _multipart(admin, "POST", f"/api/asset/assets/{asset_id}", [{photo: {"attachmentSet": "A1"}}],
                          {"A1": ("ReplacementFile.png", replacement, "image/png")})
    assert response.status_code == 200, response.text
    assert admin.get(f"/api/asset/assets/{asset_id}/attachments/{photo}").content == replacement
    assert read_asset(admin, asset_id)[photo] == "ReplacementFile.png"

    response = admin.put(f"/api/asset/assets/{asset_id}", json={"Assets": [{warranty: {"remove": "1"}}]})
    assert response.status_code == 200, response.text
    assert read_asset(admin, asset_id)[warranty] == ""
    assert admin.get(f"/api/asset/assets/{asset_id}/attachment/{warranty}").status_code == 404
    assert admin.get(f"/api/asset/assets/{asset_id}/attachments/{photo}").content == replacement


def test_bad_uploads_name_the_field_and_store_nothing(admin: KaceClient, computer, settings):
    warranty, serial = field_key(computer, "Warranty Document"), field_key(computer, "Serial Number")
    asset_id = create_asset(admin, asset_type_id=computer["id"], name="no-files")
    folder = settings.data_dir / "attachments"
    before = sorted(folder.rglob("*")) if folder.exists() else []
    cases = [
        ([{warranty: {"attachmentSet": "Missing"}}], {}, warranty),
        ([{warranty: {"attachmentSet": "A"}}], {"A": ("a.png", PNG, "image/png"), "Other": ("b", PNG, "x/y")}, "Other"),
        ([{warranty: {"attachmentSet": "A"}}], {"A": ("a.png", PNG, "image/png"),
                                                "Unnamed": ("b.png", PNG, "image/png")}, "Unnamed"),
        ([{warranty: "a plain string"}], {}, warranty),
        ([{serial: {"attachmentSet": "A"}}], {"A": ("a.png", PNG, "image/png")}, serial),
        ([{warranty: {"attachmentSet": "A"}, "owner_id": 2_000_000_000}], {"A": ("a.png", PNG, "image/png")},
         "owner_id"),
    ]
    for assets, files, field in cases:
        response = _multipart(admin, "POST", f"/api/asset/assets/{asset_id}", assets, files)
        assert response.status_code == 400, response.text
        assert field in response.text, response.text
    response = admin.put(f"/api/asset/assets/{asset_id}", json={"Assets": [{warranty: {"remove": "yes"}}]})
    assert response.status_code == 400 and warranty in response.text
    json_type = admin.headers.pop("Content-Type")
    response = admin.post("/api/asset/assets", files={"A": ("a.png", PNG, "image/png")})
    admin.headers["Content-Type"] = json_type
    assert response.status_code == 400 and "Assets" in response.text
    assert read_asset(admin, asset_id)[warranty] == ""
    after = sorted(folder.rglob("*")) if folder.exists() else []
    assert [p for p in after if p.is_file()] == [p for p in before if p.is_file()]


def test_attachments_of_another_organization_are_out_of_reach(admin: KaceClient, computer, base_url, other_org):
    warranty = field_key(computer, "Warranty Document")
    response = _multipart(admin, "POST", "/api/asset/assets", [{
        "asset_type_id": computer["id"], "name": "secret", warranty: {"attachmentSet": "F"}}],
        {"F": ("secret.png", PNG, "image/png")})
    asset_id = response.json()["IDs"][0]
    with KaceClient(base_url) as other:
        other.login(other_org.admin.login, other_org.admin.password)
        assert other.get(f"/api/asset/assets/{asset_id}/attachment/{warranty}").status_code == 404
