"""Assets over HTTP: types, create/read/list/update/delete, statuses, versions, bad input."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from estate.cmdb.models import LogbookEntry
from tests.assets.conftest import create_asset, field_key, read_asset, stock_types
from tests.kace_client import KaceClient
from tests.statements import statements

COMMON = {"id", "asset_type_id", "name", "asset_data_id", "owner_id", "modified", "created", "mapped_id",
          "asset_class_id", "archive", "asset_status_id", "asset_type_name"}


def test_a_new_organization_has_the_stock_asset_types_with_every_field_kind(types):
    assert {"Device", "Software", "License", "Location", "Department", "Vendor", "Purchase Record"} <= set(types)
    kinds = {item["type"] for kind in types.values() for item in kind["fields"]}
    assert kinds == {"text", "number", "date", "dialog", "attachment", "reference"}
    for kind in types.values():
        assert kind["fields"], kind["name"]
        assert all(item["name"] == f"field_{item['id']}" for item in kind["fields"])
    reference = next(item for item in types["License"]["fields"] if item["type"] == "reference")
    assert reference["asset_type_id"] == types["Software"]["id"]


def test_create_read_update_delete(admin: KaceClient, types, org):
    computer = types["Device"]
    serial, cost, bought, condition = (field_key(computer, label) for label in
                                       ("Serial Number", "Cost", "Purchase Date", "Condition"))
    asset_id = create_asset(admin, asset_type_id=computer["id"], name="laptop-1", asset_status_id=3,
                            owner_id=org.user.id, **{serial: "SN-1", cost: "1200.50", bought: "2026-01-15",
                                                     condition: "New"})
    record = read_asset(admin, asset_id)
    assert set(record) >= COMMON
    assert record["id"] == asset_id and record["asset_data_id"] == asset_id
    assert record["name"] == "laptop-1" and record["asset_type_name"] == "Device"
    assert record["asset_type_id"] == computer["id"] and record["asset_status_id"] == 3
    assert record["owner_id"] == org.user.id and record["mapped_id"] == 0 and record["archive"] == ""
    assert record[serial] == "SN-1" and record[cost] == 1200.5 and record[bought] == "2026-01-15"
    assert record[condition] == "New"

    for method in ("put", "post"):
        response = admin.request(method.upper(), f"/api/asset/assets/{asset_id}",
                                 json={"Assets": [{"name": f"laptop-{method}", serial: f"SN-{method}"}]})
        assert response.status_code == 200, response.text
        assert response.json() == {"Result": "Success"}
        record = read_asset(admin, asset_id)
        assert record["name"] == f"laptop-{method}" and record[serial] == f"SN-{method}"
        assert record[cost] == 1200.5

    response = admin.delete(f"/api/asset/assets/{asset_id}")
    assert response.status_code == 200 and response.json() == {"Result": "Success"}
    assert admin.get(f"/api/asset/assets/{asset_id}").status_code == 404
    listed = admin.get("/api/asset/assets/", params={"filtering": f"id eq {asset_id}"}).json()
    assert listed["Assets"] == []


def test_list_with_the_query_language_and_sub_entities(admin: KaceClient, types, org):
    computer, software = types["Device"], types["Software"]
    first = create_asset(admin, asset_type_id=computer["id"], name="alpha-pc", owner_id=org.admin.id)
    second = create_asset(admin, asset_type_id=software["id"], name="beta-app")
    body = admin.get("/api/asset/assets/", params={"sorting": "name", "use_count": "true"}).json()
    assert body["Count"] == 2
    assert [item["id"] for item in body["Assets"]] == [first, second]
    # The keys a real appliance answers in lists, no more.
    assert set(body["Assets"][0]) == COMMON

    body = admin.get("/api/asset/assets/", params={"filtering": "asset_type_name eq Software"}).json()
    assert [item["id"] for item in body["Assets"]] == [second]
    body = admin.get("/api/asset/assets/", params={"filtering": "name co alpha",
                                                   "shaping": "asset limited,owner standard,asset_type limited,"
                                                              "asset_status limited,barcodes limited"}).json()
    (item,) = body["Assets"]
    assert item["id"] == first and item["Owner"][0]["user_name"] == org.admin.login
    assert item["Asset_type"] == [{"id": computer["id"], "name": "Device"}]
    assert item["Asset_status"][0]["id"] == 6 and item["Barcodes"] == []
    body = admin.get("/api/asset/assets/", params={"filtering": "owner.user_name eq " + org.admin.login}).json()
    assert [item["id"] for item in body["Assets"]] == [first]
    serial, cost = field_key(computer, "Serial Number"), field_key(computer, "Cost")
    admin.put(f"/api/asset/assets/{first}", json={"Assets": [{serial: "S-77", cost: 99.5}]})
    body = admin.get("/api/asset/assets/", params={"shaping": "asset all", "filtering": f"{cost} gt 50"}).json()
    (item,) = body["Assets"]
    assert item["id"] == first and item[serial] == "S-77" and item[cost] == 99.5
    response = admin.get("/api/asset/assets/", params={"filtering": "no_such_field eq 1"})
    assert response.status_code == 400


def test_asset_statuses_and_versions(admin: KaceClient):
    body = admin.get("/api/asset/asset_status", params={"sorting": "id"}).json()
    statuses = {item["id"]: item for item in body["AssetStatus"]}
    assert statuses[6]["name"] == "in operation" and statuses[6]["is_system"] == 1
    assert statuses[3]["name"] == "delivered" and statuses[3]["is_system"] == 0
    one = admin.get("/api/asset/asset_status/7").json()["AssetStatus"]
    assert one[0]["name"] == "defect"
    assert admin.get("/api/asset/asset_status/99").status_code == 404
    for path in ("assets", "barcodes", "archived_devices"):
        response = admin.get(f"/api/asset/{path}/version")
        assert response.status_code == 200 and response.json().isdigit()


def _rejected(admin: KaceClient, body: Any, field: str, path: str = "/api/asset/assets") -> None:
    response = admin.post(path, json=body)
    assert 400 <= response.status_code < 500, response.text
    assert field in response.text, response.text


def test_bad_input_names_the_field_and_writes_nothing(admin: KaceClient, types):
    computer, license_type = types["Device"], types["License"]
    cost, condition, bought = (field_key(computer, label) for label in ("Cost", "Condition", "Purchase Date"))
    software_ref = field_key(license_type, "Software")
    good = {"asset_type_id": computer["id"], "name": "ok"}
    _rejected(admin, {"Assets": [good, {"asset_type_id": computer["id"]}]}, "name")
    _rejected(admin, {"Assets": [{"name": "x"}]}, "asset_type_id")
    _rejected(admin, {"Assets": [{"name": "x", "asset_type_id": 999999}]}, "asset_type_id")
    _rejected(admin, {"Assets": [{**good, cost: "cheap"}]}, cost)
    _rejected(admin, {"Assets": [{**good, condition: "Melted"}]}, condition)
    _rejected(admin, {"Assets": [{**good, bought: "yesterday"}]}, bought)
    _rejected(admin, {"Assets": [{**good, "field_99999": "x"}]}, "field_99999")
    _rejected(admin, {"Assets": [{**good, "asset_status_id": 99}]}, "asset_status_id")
    _rejected(admin, {"Assets": [{**good, "owner_id": 2_000_000_000}]}, "owner_id")
    _rejected(admin, {"Assets": [{**good, "mapped_id": 2_000_000_000}]}, "mapped_id")
    computer_id = create_asset(admin, **good)
    _rejected(admin, {"Assets": [{"asset_type_id": license_type["id"], "name": "lic", software_ref: computer_id}]},
              software_ref)
    _rejected(admin, {"Assets": "nope"}, "Assets")
    _rejected(admin, {"Assets": [{"asset_type_id": computer["id"]}]}, "name")
    response = admin.put(f"/api/asset/assets/{computer_id}",
                         json={"Assets": [{"name": "renamed", cost: "not a number"}]})
    assert response.status_code == 400 and cost in response.text
    response = admin.put(f"/api/asset/assets/{computer_id}",
                         json={"Assets": [{"asset_type_id": types["Vendor"]["id"]}]})
    assert response.status_code == 400 and "asset_type_id" in response.text
    names = [item["name"] for item in admin.get("/api/asset/assets/").json()["Assets"]]
    assert names == ["ok"]
    assert admin.get("/api/asset/assets/abc").status_code in (400, 422)


def test_walls_and_roles(admin: KaceClient, readonly: KaceClient, user: KaceClient, base_url, other_org, types):
    asset_id = create_asset(admin, asset_type_id=types["Device"]["id"], name="walled")
    with KaceClient(base_url) as other:
        other.login(other_org.admin.login, other_org.admin.password)
        assert other.get(f"/api/asset/assets/{asset_id}").status_code == 404
        assert other.put(f"/api/asset/assets/{asset_id}", json={"Assets": [{"name": "x"}]}).status_code == 404
        assert other.delete(f"/api/asset/assets/{asset_id}").status_code == 404
        assert other.post(f"/api/asset/assets/{asset_id}/archive/", json={}).status_code == 404
        assert other.get("/api/asset/assets/").json()["Assets"] == []
        foreign_type = stock_types(other)["Device"]["id"]
        assert foreign_type != types["Device"]["id"]
        response = other.post("/api/asset/assets", json={"Assets": [{"asset_type_id": types["Device"]["id"],
                                                                       "name": "x"}]})
        assert response.status_code == 400 and "asset_type_id" in response.text
    assert readonly.get(f"/api/asset/assets/{asset_id}").status_code == 200
    assert readonly.put(f"/api/asset/assets/{asset_id}", json={"Assets": [{"name": "x"}]}).status_code == 403
    assert readonly.delete(f"/api/asset/assets/{asset_id}").status_code == 403
    assert user.post("/api/asset/assets", json={"Assets": [{"asset_type_id": types["Device"]["id"],
                                                             "name": "mine"}]}).status_code == 403
    assert read_asset(admin, asset_id)["name"] == "walled"


def test_archive_cycle(admin: KaceClient, types):
    asset_id = create_asset(admin, asset_type_id=types["Device"]["id"], name="old-pc")
    assert admin.get(f"/api/asset/archived_devices/{asset_id}").status_code == 404
    response = admin.post(f"/api/asset/assets/{asset_id}/archive/", json={"archiveReason": "broken screen"})
    assert response.status_code == 200 and response.json() == {"Result": "Success"}
    assert admin.get(f"/api/asset/assets/{asset_id}").status_code == 404
    archived = admin.get(f"/api/asset/archived_devices/{asset_id}").json()["Assets"][0]
    assert archived["id"] == asset_id and archived["archive"] == "broken screen"
    assert admin.post(f"/api/asset/assets/{asset_id}/archive/", json={}).status_code == 404
    assert admin.post(f"/api/asset/assets/{asset_id}/cancel_archive/").status_code == 200
    assert read_asset(admin, asset_id)["archive"] == ""
    assert admin.post(f"/api/asset/assets/{asset_id}/cancel_archive/").status_code == 404
    response = admin.post(f"/api/asset/assets/{asset_id}/archive/", json={"archive_reason": 5})
    assert response.status_code == 400 and "archive_reason" in response.text
    assert admin.post(f"/api/asset/assets/{asset_id}/archive", json={"archive_reason": "sold"}).status_code == 200
    assert admin.get(f"/api/asset/archived_devices/{asset_id}").json()["Assets"][0]["archive"] == "sold"


def test_location_owner_and_logbook_of_an_asset(admin: KaceClient, types, org, base_url, other_org, sessions):
    location = admin.post("/ams/shared/api/locations", json={"name": "Head office"}).json()
    location_id = location["id"] if "id" in location else location["Location"]["id"]
    asset_id = create_asset(admin, asset_type_id=types["Device"]["id"], name="located", location_id=location_id)
    assert read_asset(admin, asset_id)["location_id"] == location_id
    body = admin.get("/api/asset/assets/", params={"filtering": "location.name eq Head office",
                                                   "shaping": "asset limited,location limited"}).json()
    assert body["Assets"] == [{"id": asset_id, "name": "located",
                               "Location": [{"id": location_id, "name": "Head office"}]}]
    with KaceClient(base_url) as other:
        other.login(other_org.admin.login, other_org.admin.password)
        their_type = stock_types(other)["Device"]["id"]
        response = other.post("/api/asset/assets", json={"Assets": [{"asset_type_id": their_type, "name": "x",
                                                                       "location_id": location_id}]})
        assert response.status_code == 400 and "location_id" in response.text
        response = other.post("/api/asset/assets", json={"Assets": [{"asset_type_id": their_type, "name": "x",
                                                                       "owner_id": org.admin.id}]})
        assert response.status_code == 400 and "owner_id" in response.text
    admin.put(f"/api/asset/assets/{asset_id}", json={"Assets": [{"name": "moved", "location_id": 0}]})
    assert read_asset(admin, asset_id)["location_id"] == 0
    with sessions() as db:
        events = list(db.scalars(select(LogbookEntry.event).where(LogbookEntry.object_id == asset_id)
                                 .order_by(LogbookEntry.id)))
    assert events[0] == "C__LOGBOOK_EVENT__OBJECT_CREATED" and "C__LOGBOOK_EVENT__OBJECT_CHANGED" in events


def test_lists_answer_xml_and_counts(admin: KaceClient, types):
    create_asset(admin, asset_type_id=types["Software"]["id"], name="xml-app")
    response = admin.get("/api/asset/assets/", headers={"Accept": "application/xml"})
    assert response.status_code == 200 and "<name>xml-app</name>" in response.text
    body = admin.get("/api/asset/assets/", params={"use_count_only": "true"}).json()
    assert body == {"Count": 1}


def test_a_list_takes_the_same_statements_for_few_and_many_assets(admin: KaceClient, types, engine):
    shaping = {"shaping": "asset all,owner limited,location limited,machine limited,barcodes limited,"
                          "asset_type limited,asset_status limited", "use_count": "true"}

    def statements_for_list() -> int:
        with statements(engine) as seen:
            assert admin.get("/api/asset/assets/", params=shaping).status_code == 200
        return len(seen)

    create_asset(admin, asset_type_id=types["Device"]["id"], name="n-1")
    few = statements_for_list()
    assert few >= 3  # the page, its count and the shaped sub-entities were seen
    for n in range(2, 9):
        create_asset(admin, asset_type_id=types["Device"]["id"], name=f"n-{n}")
    assert statements_for_list() == few


def test_an_attachment_over_the_size_limit_is_413_and_leaves_nothing(admin: KaceClient, types, settings):
    device = types["Device"]
    photo = field_key(device, "Photo")
    json_type = admin.headers.pop("Content-Type")
    try:
        response = admin.post("/api/asset/assets", files={
            "Assets": (None, json.dumps([{"asset_type_id": device["id"], "name": "too-big",
                                          photo: {"attachmentSet": "F"}}])),
            "F": ("big.bin", b"\0" * (settings.max_attachment_bytes + 1), "application/octet-stream"),
        })
    finally:
        admin.headers["Content-Type"] = json_type
    assert response.status_code == 413 and photo in response.text
    assert admin.get("/api/asset/assets/").json()["Assets"] == []
