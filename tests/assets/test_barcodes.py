"""Barcodes: every route, scan metadata kept by the server, data unique per format per organization."""

from __future__ import annotations

from tests.assets.conftest import create_asset
from tests.kace_client import KaceClient


def _barcode(asset_id: int, data: str = "4006381333931", fmt: str = "EAN-13", **extra) -> dict:
    return {"asset_id": asset_id, "barcode_name": "label", "barcode_data": data, "barcode_format": fmt,
            "scanned_method": "SCANNED", "scanned_geolocation": "52.52,13.40", **extra}


def test_barcode_routes_and_scan_metadata(admin: KaceClient, computer, org):
    asset_id = create_asset(admin, asset_type_id=computer["id"], name="scanned-pc")
    response = admin.post("/api/asset/barcodes", json={"Barcodes": [_barcode(asset_id)]})
    assert response.status_code == 200, response.text
    (barcode_id,) = response.json()["IDs"]
    one = admin.get(f"/api/asset/barcodes/{barcode_id}").json()["Barcodes"][0]
    assert one["asset_id"] == asset_id and one["barcode_data"] == "4006381333931"
    assert one["first_scanned_method"] == one["last_scanned_method"] == "SCANNED"
    assert one["first_scanned_user"] == one["last_scanned_user"] == org.admin.login

    change = {"scanned_method": "manual", "scanned_geolocation": "UNKNOWN", "barcode_name": "renamed",
              "first_scanned_user": "ignored"}
    response = admin.put(f"/api/asset/barcodes/{barcode_id}", json={"Barcodes": [change]})
    assert response.status_code == 200 and response.json() == {"Result": "Success"}
    one = admin.get(f"/api/asset/barcodes/{barcode_id}").json()["Barcodes"][0]
    assert one["barcode_name"] == "renamed"
    assert one["first_scanned_method"] == "SCANNED" and one["first_scanned_geolocation"] == "52.52,13.40"
    assert one["last_scanned_method"] == "MANUAL" and one["last_scanned_geolocation"] == "UNKNOWN"
    assert one["first_scanned_user"] == org.admin.login

    listed = admin.get("/api/asset/barcodes", params={"filtering": "barcode_format eq EAN-13"}).json()
    assert [item["id"] for item in listed["Barcodes"]] == [barcode_id]
    of_asset = admin.get(f"/api/asset/assets/{asset_id}/barcodes").json()["Barcodes"]
    assert [item["id"] for item in of_asset] == [barcode_id]
    shaped = admin.get("/api/asset/assets/", params={"filtering": "barcodes.barcode_data eq 4006381333931",
                                                     "shaping": "asset limited,barcodes limited"}).json()
    assert shaped["Assets"][0]["id"] == asset_id
    assert shaped["Assets"][0]["Barcodes"] == [{"id": barcode_id, "barcode_name": "renamed"}]
    assert admin.get("/api/asset/barcodes/version").status_code == 200

    response = admin.delete(f"/api/asset/barcodes/{barcode_id}")
    assert response.status_code == 200 and response.json() == {"Result": "Success"}
    assert admin.get(f"/api/asset/barcodes/{barcode_id}").status_code == 404


def test_barcode_rules(admin: KaceClient, computer, base_url, other_org):
    asset_id = create_asset(admin, asset_type_id=computer["id"], name="rules-pc")
    assert admin.post("/api/asset/barcodes", json={"Barcodes": [_barcode(asset_id)]}).status_code == 200
    response = admin.post("/api/asset/barcodes", json={"Barcodes": [_barcode(asset_id)]})
    assert response.status_code == 409 and "barcode_data" in response.text
    assert admin.post("/api/asset/barcodes", json={"Barcodes": [_barcode(asset_id, fmt="QR")]}).status_code == 200
    bad = [
        ({**_barcode(asset_id, "x1"), "scanned_method": "GUESSED"}, "scanned_method"),
        ({k: v for k, v in _barcode(asset_id, "x2").items() if k != "asset_id"}, "asset_id"),
        ({k: v for k, v in _barcode(asset_id, "x3").items() if k != "scanned_geolocation"}, "scanned_geolocation"),
        (_barcode(2_000_000_000, "x4"), "asset_id"),
        ({**_barcode(asset_id, "x5"), "colour": "red"}, "colour"),
    ]
    for body, field in bad:
        response = admin.post("/api/asset/barcodes", json={"Barcodes": [_barcode(asset_id, "ok-1"), body]})
        assert response.status_code == 400, response.text
        assert field in response.text
    datas = {item["barcode_data"] for item in admin.get("/api/asset/barcodes").json()["Barcodes"]}
    assert datas == {"4006381333931"}
    with KaceClient(base_url) as other:
        other.login(other_org.admin.login, other_org.admin.password)
        # Another organization may use the same data, and cannot attach to this organization's asset.
        their_type = other.get("/api/asset/assets/types").json()["AssetTypes"][0]["id"]
        other_asset = create_asset(other, asset_type_id=their_type, name="theirs")
        assert other.post("/api/asset/barcodes", json={"Barcodes": [_barcode(other_asset)]}).status_code == 200
        response = other.post("/api/asset/barcodes", json={"Barcodes": [_barcode(asset_id, "z")]})
        assert response.status_code == 400 and "asset_id" in response.text
        mine = admin.get("/api/asset/barcodes").json()["Barcodes"][0]["id"]
        assert other.get(f"/api/asset/barcodes/{mine}").status_code == 404
        assert other.delete(f"/api/asset/barcodes/{mine}").status_code == 404
