"""Every reference an asset write stores names a live record of the caller's organization, whichever
face writes it: a deleted location, an object that is no asset, a choice outside the field's list
or an asset of the wrong type are refused, and nothing of the write is kept."""

from __future__ import annotations

from tests.assets.conftest import create_asset, field_key, read_asset
from tests.assets.test_barcodes import _barcode
from tests.kace_client import KaceClient


def _location(admin: KaceClient, name: str) -> int:
    response = admin.post("/ams/shared/api/locations", json={"name": name})
    assert response.status_code == 200, response.text
    body = response.json()
    return body["id"] if "id" in body else body["Location"]["id"]


def test_an_asset_cannot_be_placed_in_a_deleted_location(admin: KaceClient, computer):
    gone = _location(admin, "Closed branch")
    assert admin.delete(f"/ams/shared/api/locations/{gone}").status_code == 200
    response = admin.post("/api/asset/assets", json={"Assets": [{"asset_type_id": computer["id"], "name": "pc",
                                                                   "location_id": gone}]})
    assert response.status_code == 400 and "location_id" in response.text
    asset_id = create_asset(admin, asset_type_id=computer["id"], name="kept")
    response = admin.put(f"/api/asset/assets/{asset_id}", json={"Assets": [{"name": "moved", "location_id": gone}]})
    assert response.status_code == 400 and "location_id" in response.text
    assert read_asset(admin, asset_id)["name"] == "kept"
    assert [item["name"] for item in admin.get("/api/asset/assets/").json()["Assets"]] == ["kept"]


def test_a_barcode_names_a_live_asset(admin: KaceClient, computer, rpc):
    # Every object is an asset but the CMDB's own records: the Root location every organization has.
    root = rpc.result("cmdb.objects.read", {"filter": {"type": "C__OBJTYPE__LOCATION_GENERIC"}})[0]["id"]
    response = admin.post("/api/asset/barcodes", json={"Barcodes": [_barcode(root, data="1")]})
    assert response.status_code == 400 and "asset_id" in response.text
    archived = create_asset(admin, asset_type_id=computer["id"], name="stored away")
    assert admin.post(f"/api/asset/assets/{archived}/archive/", json={"archiveReason": "spare"}).status_code == 200
    response = admin.post("/api/asset/barcodes", json={"Barcodes": [_barcode(archived, data="2")]})
    assert response.status_code == 400 and "asset_id" in response.text
    assert admin.get("/api/asset/barcodes").json()["Barcodes"] == []


def test_the_rpc_face_checks_asset_fields_as_the_kace_face_does(admin: KaceClient, types, rpc):
    computer, license_type = types["Device"], types["License"]
    condition = field_key(computer, "Condition")
    software = field_key(license_type, "Software")
    pc = create_asset(admin, asset_type_id=computer["id"], name="pc", **{condition: "Good"})
    error = rpc.error("cmdb.category.save", {"object": pc, "category": "C__CATG__CUSTOM_FIELDS_ASSET_DEVICE",
                                             "data": {condition: "Melted"}})
    assert error["code"] == -32602 and error["data"]["parameter"] == f"data.{condition}"
    assert read_asset(admin, pc)[condition] == "Good"

    licence = create_asset(admin, asset_type_id=license_type["id"], name="licence")
    error = rpc.error("cmdb.category.save", {"object": licence, "category": "C__CATG__CUSTOM_FIELDS_ASSET_LICENSE",
                                             "data": {software: pc}})
    assert error["code"] == -32602 and error["data"]["parameter"] == f"data.{software}"
    assert read_asset(admin, licence)[software] == ""
    editor = create_asset(admin, asset_type_id=types["Software"]["id"], name="editor")
    rpc.result("cmdb.category.save", {"object": licence, "category": "C__CATG__CUSTOM_FIELDS_ASSET_LICENSE",
                                      "data": {software: editor}})
    assert read_asset(admin, licence)[software] == editor
