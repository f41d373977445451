"""One identity: an asset is a CMDB object (both faces read and change the same record), and an
inventoried machine has its device asset."""

from __future__ import annotations

from sqlalchemy import select

from estate.assets.service import ensure_device_assets
from estate.inventory.models import Machine
from tests.assets.conftest import create_asset, field_key, read_asset, stock_types
from tests.idoit.conftest import RpcClient
from tests.inventory.payloads import ingest, machine
from tests.kace_client import KaceClient
from tests.statements import statements


def _names(db, ids: list[int]) -> dict[int, str]:
    return dict(db.execute(select(Machine.id, Machine.name).where(Machine.id.in_(ids))).all())



def test_an_asset_made_over_kace_is_read_and_changed_over_idoit(admin: KaceClient, rpc: RpcClient, computer):
    serial, condition = field_key(computer, "Serial Number"), field_key(computer, "Condition")
    category = "C__CATG__CUSTOM_FIELDS_ASSET_DEVICE"
    asset_id = create_asset(admin, asset_type_id=computer["id"], name="shared-pc", asset_status_id=5,
                            **{serial: "XK4242SN", condition: "Good"})

    obj = rpc.result("cmdb.object.read", {"id": asset_id})
    assert obj["title"] == "shared-pc" and obj["objecttype"] == 10 and obj["cmdb_status"] == 5
    (entry,) = rpc.result("cmdb.category.read", {"objID": asset_id, "category": category})
    assert entry[serial] == "XK4242SN" and entry[condition] == "Good"
    hits = rpc.result("idoit.search", {"q": "XK4242SN"})
    assert [hit["documentId"] for hit in hits] == [str(asset_id)]

    rpc.result("cmdb.category.save", {"object": asset_id, "category": category, "data": {serial: "XK-9999"}})
    rpc.result("cmdb.category.save", {"object": asset_id, "category": "C__CATG__GLOBAL",
                                      "data": {"title": "renamed-pc", "cmdb_status": 7}})
    record = read_asset(admin, asset_id)
    assert record[serial] == "XK-9999" and record[condition] == "Good"
    assert record["name"] == "renamed-pc" and record["asset_status_id"] == 7

    assert admin.post(f"/api/asset/assets/{asset_id}/archive/", json={"archive_reason": "x"}).status_code == 200
    assert rpc.result("cmdb.object.read", {"id": asset_id})["status"] == 3


def test_an_object_made_over_idoit_is_an_asset(admin: KaceClient, rpc: RpcClient, types):
    created = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__APPLICATION", "title": "Office Suite"})
    object_id = created["id"]
    record = read_asset(admin, object_id)
    assert record["asset_type_name"] == "Software" and record["asset_type_id"] == types["Software"]["id"]
    listed = admin.get("/api/asset/assets/", params={"filtering": "name eq Office Suite"}).json()["Assets"]
    assert [item["id"] for item in listed] == [object_id]
    publisher = field_key(types["Software"], "Publisher")
    response = admin.put(f"/api/asset/assets/{object_id}", json={"Assets": [{publisher: "Contoso"}]})
    assert response.status_code == 200, response.text
    (entry,) = rpc.result("cmdb.category.read", {"objID": object_id,
                                                 "category": "C__CATG__CUSTOM_FIELDS_ASSET_SOFTWARE"})
    assert entry[publisher] == "Contoso"


def test_a_switch_made_over_idoit_is_listed_changed_and_deleted_over_kace(admin: KaceClient, rpc: RpcClient):
    switch = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__SWITCH", "title": "core-switch-01"})["id"]
    listed = admin.get("/api/asset/assets/", params={"filtering": "name eq core-switch-01"}).json()["Assets"]
    assert [item["id"] for item in listed] == [switch] and listed[0]["asset_type_name"] == "Switch"
    type_id = listed[0]["asset_type_id"]
    assert stock_types(admin)["Switch"]["id"] == type_id
    # The type is made once: the next switch is an asset of the same type.
    second = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__SWITCH", "title": "core-switch-02"})["id"]
    assert read_asset(admin, second)["asset_type_id"] == type_id

    response = admin.put(f"/api/asset/assets/{switch}", json={"Assets": [{"name": "edge-switch-01"}]})
    assert response.status_code == 200, response.text
    assert rpc.result("cmdb.object.read", {"id": switch})["title"] == "edge-switch-01"
    assert admin.delete(f"/api/asset/assets/{switch}").status_code == 200
    assert rpc.result("cmdb.object.read", {"id": switch})["status"] == 4
    assert admin.get(f"/api/asset/assets/{switch}").status_code == 404


def test_every_object_is_an_asset_but_the_cmdbs_own_records(admin: KaceClient, rpc: RpcClient):
    person = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__PERSON", "title": "Jane Doe"})["id"]
    assert read_asset(admin, person)["asset_type_name"] == "Persons"
    root = rpc.result("cmdb.objects.read", {"filter": {"type": "C__OBJTYPE__LOCATION_GENERIC"}})[0]["id"]
    assert admin.get(f"/api/asset/assets/{root}").status_code == 404


def test_ingested_machines_get_their_device_assets_once(admin: KaceClient, sessions, org):
    ids = ingest(admin, machine("dev-1"), machine("dev-2"))
    with sessions.begin() as db:
        first = ensure_device_assets(db, organization_id=org.id, machines=_names(db, ids))
    with sessions.begin() as db:
        again = ensure_device_assets(db, organization_id=org.id, machines=_names(db, ids))
    assert first == again and set(first) == set(ids)
    body = admin.get("/api/asset/assets/", params={"filtering": f"mapped_id eq {ids[0]}",
                                                   "shaping": "asset standard,machine limited"}).json()
    (record,) = body["Assets"]
    assert record["id"] == first[ids[0]] and record["asset_type_name"] == "Device"
    assert record["Machine"][0]["Name"] == "dev-1"
    response = admin.post("/api/asset/assets", json={"Assets": [{"asset_type_id": record["asset_type_id"],
                                                                  "name": "dup", "mapped_id": ids[0]}]})
    assert response.status_code == 400 and "mapped_id" in response.text

    # A machine removed from inventory: its asset stays, without a mapped machine.
    with sessions.begin() as db:
        db.delete(db.get(Machine, ids[1]))
    assert read_asset(admin, first[ids[1]])["mapped_id"] == 0
    listed = admin.get("/api/asset/assets/", params={"filtering": f"id eq {first[ids[1]]}"}).json()["Assets"]
    assert listed[0]["mapped_id"] == 0


def test_inventory_creates_the_device_asset_on_its_own(admin: KaceClient, rpc: RpcClient):
    kuid = "6B1F0E0A-2C1D-4B8E-9F10-AGENTMADE001"
    (machine_id,) = ingest(admin, machine("agent-made", Kuid=kuid))
    body = admin.get("/api/asset/assets/", params={"filtering": f"mapped_id eq {machine_id}"}).json()
    (record,) = body["Assets"]
    assert record["name"] == "agent-made" and record["asset_type_name"] == "Device"
    assert rpc.result("cmdb.object.read", {"id": record["id"]})["title"] == "agent-made"
    # Reporting again finds the same asset.
    assert ingest(admin, machine("agent-made", Kuid=kuid)) == [machine_id]
    again = admin.get("/api/asset/assets/", params={"filtering": f"mapped_id eq {machine_id}"}).json()["Assets"]
    assert [item["id"] for item in again] == [record["id"]]


def test_device_assets_of_a_batch_take_a_fixed_number_of_statements(admin: KaceClient, sessions, org):
    def statements_for(count: int) -> int:
        ids = ingest(admin, *(machine(f"batch-{count}-{n}") for n in range(count)))
        with sessions.begin() as db:
            machines = _names(db, ids)
            with statements(db.get_bind()) as seen:
                ensure_device_assets(db, organization_id=org.id, machines=machines)
        return len([s for s in seen if "cmdb_search" not in s])

    assert statements_for(2) == statements_for(12)


def test_archive_and_delete_are_the_object_states_on_both_faces(admin: KaceClient, rpc: RpcClient, types):
    asset_id = create_asset(admin, asset_type_id=types["Device"]["id"], name="lifecycle-pc")
    assert admin.post(f"/api/asset/assets/{asset_id}/archive/", json={"archiveReason": "stolen"}).status_code == 200
    assert rpc.result("cmdb.object.read", {"id": asset_id})["status"] == 3
    rpc.result("cmdb.object.recycle", {"object": asset_id})
    record = read_asset(admin, asset_id)
    assert record["archive"] == ""
    listed = admin.get("/api/asset/assets/", params={"filtering": f"id eq {asset_id}"}).json()["Assets"]
    assert listed[0]["archive"] == ""
    assert admin.delete(f"/api/asset/assets/{asset_id}").status_code == 200
    assert rpc.result("cmdb.object.read", {"id": asset_id})["status"] == 4
    assert admin.get(f"/api/asset/archived_devices/{asset_id}").status_code == 404


def test_a_device_asset_follows_its_machines_name_until_a_person_renames_it(admin: KaceClient, rpc: RpcClient):
    kuid = "6B1F0E0A-2C1D-4B8E-9F10-RENAMED00001"
    (machine_id,) = ingest(admin, machine("old-name", Kuid=kuid))
    (record,) = admin.get("/api/asset/assets/", params={"filtering": f"mapped_id eq {machine_id}"}).json()["Assets"]
    ingest(admin, machine("new-name", Kuid=kuid))
    assert read_asset(admin, record["id"])["name"] == "new-name"
    hits = rpc.result("idoit.search", {"q": "new-name"})
    assert str(record["id"]) in {hit["documentId"] for hit in hits}, hits

    rpc.result("cmdb.object.update", {"id": record["id"], "title": "front-desk-pc"})
    ingest(admin, machine("third-name", Kuid=kuid))
    assert read_asset(admin, record["id"])["name"] == "front-desk-pc"
