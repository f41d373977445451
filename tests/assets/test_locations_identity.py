"""One identity: a KACE location is a CMDB location object. Made through one face, it is read,
moved, renamed and deleted through the other, over real HTTP; and the migration gives the
locations that existed before their objects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import select

from estate.cmdb.models import CategoryEntry, CmdbObject
from estate.db.engine import make_engine
from estate.db.migrate import alembic_config
from estate.orgs.models import Location, Organization
from tests.assets.conftest import create_asset, read_asset
from tests.idoit.conftest import RpcClient
from tests.kace_client import KaceClient

LOCATIONS = "/ams/shared/api/locations"
BUILDING, ROOM = "C__OBJTYPE__BUILDING", "C__OBJTYPE__ROOM"
LOCATION = "C__CATG__LOCATION"




def kace_create(kace: KaceClient, **fields: Any) -> dict[str, Any]:
    response = kace.post(LOCATIONS, json=fields)
    assert response.status_code == 200, response.text
    return response.json()


def kace_read(kace: KaceClient, location_id: int) -> dict[str, Any]:
    response = kace.get(f"{LOCATIONS}/{location_id}")
    assert response.status_code == 200, response.text
    return response.json()


def kace_list(kace: KaceClient, organization_id: int) -> dict[str, dict[str, Any]]:
    response = kace.get(f"/ams/shared/api/organizations/{organization_id}/locations")
    assert response.status_code == 200, response.text
    return {row["name"]: row for row in response.json()}


def object_titled(rpc: RpcClient, title: str, **extra: Any) -> dict[str, Any]:
    (found,) = rpc.result("cmdb.objects.read", {"filter": {"title": title, **extra}})
    return found


def parent_of(rpc: RpcClient, object_id: int) -> int | None:
    rows = rpc.result("cmdb.category.read", {"objID": object_id, "category": LOCATION})
    return int(rows[0]["parent"]["id"]) if rows and rows[0]["parent"] else None


def root_of(rpc: RpcClient) -> int:
    return int(object_titled(rpc, "Root location")["id"])


def tree(rpc: RpcClient, object_id: int) -> list[str]:
    return [row["title"] for row in rpc.result("cmdb.location_tree", {"id": object_id})]


def test_a_location_made_over_kace_is_a_building_in_the_location_tree(admin: KaceClient, rpc: RpcClient, org):
    campus = kace_create(admin, name="Campus", address="1 Main St.")
    hall = kace_create(admin, name="Hall", parent={"id": campus["id"]})
    campus_object, hall_object = object_titled(rpc, "Campus"), object_titled(rpc, "Hall")
    assert campus_object["type"] == 3 and campus_object["type_title"] == "Building"
    assert campus_object["status"] == 2 and campus_object["sysid"].startswith("BUIL_")
    root = root_of(rpc)
    assert parent_of(rpc, campus_object["id"]) == root
    assert parent_of(rpc, hall_object["id"]) == campus_object["id"]
    assert "Campus" in tree(rpc, root) and "Hall" not in tree(rpc, root)
    assert tree(rpc, campus_object["id"]) == ["Hall"]
    assert kace_read(admin, hall["id"])["path"] == f"/{campus['id']}/{hall['id']}"

    # Renamed and moved over i-doit: the KACE location follows, its path with it.
    rpc.result("cmdb.object.update", {"id": hall_object["id"], "title": "Great Hall"})
    rpc.result("cmdb.category.save", {"object": hall_object["id"], "category": LOCATION, "data": {"parent": root}})
    moved = kace_read(admin, hall["id"])
    assert (moved["name"], moved["parent"], moved["level"], moved["path"]) == ("Great Hall", None, 0, f"/{hall['id']}")
    assert kace_read(admin, campus["id"])["address"] == "1 Main St."
    rpc.result("cmdb.category.save", {"object": hall_object["id"], "category": LOCATION,
                                      "data": {"parent": campus_object["id"]}})
    assert kace_read(admin, hall["id"])["parent"] == {"id": campus["id"]}
    assert list(kace_list(admin, org.id)) == ["Campus", "Great Hall"]

    # Every write of either face is in the object's logbook, the KACE ones under the KACE login.
    admin.put(f"{LOCATIONS}/{campus['id']}", json={"name": "Main Campus"})
    logbook = rpc.result("cmdb.logbook.read", {"object_id": campus_object["id"]})
    assert {row["username"] for row in logbook} == {org.admin.login}
    renamed = {"from": "Campus", "to": "Main Campus"}
    assert any(row["changes"].get("C__CATG__GLOBAL::title") == renamed for row in logbook)
    assert object_titled(rpc, "Main Campus")["id"] == campus_object["id"]


def test_a_location_object_made_over_idoit_is_a_kace_location(admin: KaceClient, rpc: RpcClient, org):
    city = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__CITY", "title": "Springfield"})["id"]
    room = rpc.result("cmdb.object.create", {"type": ROOM, "title": "Server room",
                                             "categories": {LOCATION: {"parent": city}}})["id"]
    rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__COUNTRY", "title": "Atlantis",
                                      "status": "C__RECORD_STATUS__ARCHIVED"})
    rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "Not a place"})
    listed = kace_list(admin, org.id)
    assert set(listed) == {"Springfield", "Server room"}
    springfield, server_room = listed["Springfield"], listed["Server room"]
    assert server_room["parent"] == {"id": springfield["id"]}
    assert (server_room["level"], server_room["path"]) == (1, f"/{springfield['id']}/{server_room['id']}")

    # Renamed, described and moved over KACE: the object follows.
    response = admin.put(f"{LOCATIONS}/{server_room['id']}", json={"name": "Data room", "description": "cold",
                                                                    "parent": None})
    assert response.status_code == 200, response.text
    assert rpc.result("cmdb.object.read", {"id": room})["title"] == "Data room"
    assert parent_of(rpc, room) == root_of(rpc)
    assert "Data room" in tree(rpc, root_of(rpc))
    assert kace_read(admin, server_room["id"])["description"] == "cold"
    response = admin.put(f"{LOCATIONS}/{server_room['id']}", json={"parentId": springfield["id"]})
    assert response.status_code == 200, response.text
    assert parent_of(rpc, room) == city and tree(rpc, city) == ["Data room"]


def _location_history(admin: KaceClient, organization_id: int) -> list[tuple[int, int, dict[str, Any]]]:
    response = admin.get(f"/ams/shared/api/organizations/{organization_id}/history", params={"entities": "location"})
    assert response.status_code == 200, response.text
    return [(entry["entityId"], entry["action"],
             {detail["propertyName"]: (detail["oldValue"], detail["newValue"]) for detail in entry["details"]})
            for entry in response.json()]


def test_a_location_changed_over_idoit_leaves_kace_history(admin: KaceClient, rpc: RpcClient, org):
    city = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__CITY", "title": "Shelbyville"})["id"]
    room = rpc.result("cmdb.object.create", {"type": ROOM, "title": "Archive room"})["id"]
    rpc.result("cmdb.category.save", {"object": room, "category": LOCATION, "data": {"parent": city}})
    rpc.result("cmdb.object.update", {"id": room, "title": "Vault"})
    rpc.result("cmdb.object.archive", {"object": room})
    rpc.result("cmdb.object.purge", {"object": room})
    listed = kace_list(admin, org.id)
    city_id = listed["Shelbyville"]["id"]
    entries = _location_history(admin, org.id)
    assert entries[0] == (city_id, 1, {"name": (None, "Shelbyville")})
    room_id = entries[1][0]
    assert [entry[1:] for entry in entries[1:]] == [
        (1, {"name": (None, "Archive room")}),
        (2, {"parent_id": (None, str(city_id))}),
        (2, {"name": ("Archive room", "Vault")}),
        (2, {"is_deleted": ("false", "true")}),
        (3, {"name": ("Vault", None)}),
    ]
    assert {entry[0] for entry in entries[1:]} == {room_id}
    # A KACE write is one entry, however many object changes it makes.
    admin.put(f"{LOCATIONS}/{city_id}", json={"name": "Capital City", "description": "twin"})
    assert _location_history(admin, org.id)[-1] == (
        city_id, 2, {"name": ("Shelbyville", "Capital City"), "description": (None, "twin")})


def test_a_kace_location_is_a_location_asset(admin: KaceClient, rpc: RpcClient, types, org):
    depot = kace_create(admin, name="Depot")
    depot_object = object_titled(rpc, "Depot")["id"]
    record = read_asset(admin, depot_object)
    assert record["asset_type_name"] == "Location" and record["name"] == "Depot"
    asset_id = create_asset(admin, asset_type_id=types["Location"]["id"], name="Warehouse")
    assert rpc.result("cmdb.object.read", {"id": asset_id})["objecttype"] == 3
    assert kace_list(admin, org.id)["Warehouse"]["level"] == 0
    admin.put(f"/api/asset/assets/{asset_id}", json={"Assets": [{"name": "Big warehouse"}]})
    assert "Big warehouse" in kace_list(admin, org.id)
    assert admin.delete(f"/api/asset/assets/{depot_object}").status_code == 200
    assert admin.get(f"{LOCATIONS}/{depot['id']}").status_code == 404


def test_delete_over_kace_is_the_deleted_state_and_recycles(admin: KaceClient, rpc: RpcClient, org):
    site = kace_create(admin, name="Site")
    wing = kace_create(admin, name="Wing", parentId=site["id"])
    office = kace_create(admin, name="Office", parentId=wing["id"])
    site_object, wing_object = object_titled(rpc, "Site")["id"], object_titled(rpc, "Wing")["id"]
    assert admin.delete(f"{LOCATIONS}/{wing['id']}").status_code == 200
    assert admin.get(f"{LOCATIONS}/{wing['id']}").status_code == 404
    assert rpc.result("cmdb.object.read", {"id": wing_object})["status"] == 4
    # The children move up to where the deleted location hung, on both faces.
    lifted = kace_read(admin, office["id"])
    assert lifted["parent"] == {"id": site["id"]} and lifted["path"] == f"/{site['id']}/{office['id']}"
    assert tree(rpc, site_object) == ["Office"]
    assert set(kace_list(admin, org.id)) == {"Site", "Office"}

    rpc.result("cmdb.object.recycle", {"object": wing_object})
    assert kace_read(admin, wing["id"])["name"] == "Wing"
    assert admin.get(f"{LOCATIONS}/{wing['id']}").status_code == 200


def test_archive_delete_and_purge_over_idoit(admin: KaceClient, rpc: RpcClient, org, sessions):
    north = kace_create(admin, name="North")
    annex = kace_create(admin, name="Annex", parentId=north["id"])
    store = kace_create(admin, name="Store", parentId=annex["id"])
    annex_object = object_titled(rpc, "Annex")["id"]
    rpc.result("cmdb.object.archive", {"object": annex_object})
    assert admin.get(f"{LOCATIONS}/{annex['id']}").status_code == 404
    assert "Annex" not in kace_list(admin, org.id)
    rpc.result("cmdb.object.recycle", {"object": annex_object})
    assert kace_read(admin, annex["id"])["path"] == f"/{north['id']}/{annex['id']}"
    rpc.result("cmdb.object.delete", {"id": annex_object, "status": "C__RECORD_STATUS__DELETED"})
    assert admin.get(f"{LOCATIONS}/{annex['id']}").status_code == 404

    rpc.result("cmdb.object.purge", {"object": annex_object})
    assert rpc.result("cmdb.object.read", {"id": annex_object}) == []
    with sessions() as db:
        assert db.get(Location, annex["id"]) is None
    after = kace_read(admin, store["id"])
    assert after["parent"] == {"id": north["id"]} and after["path"] == f"/{north['id']}/{store['id']}"
    assert parent_of(rpc, object_titled(rpc, "Store")["id"]) == object_titled(rpc, "North")["id"]


def test_organizations_are_walls_on_both_faces(admin: KaceClient, rpc: RpcClient, other_rpc: RpcClient,
                                               base_url, other_org, org):
    mine = kace_create(admin, name="Private site")
    mine_object = object_titled(rpc, "Private site")["id"]
    assert other_rpc.result("cmdb.object.read", {"id": mine_object}) == []
    assert other_rpc.result("cmdb.objects.read", {"filter": {"title": "Private site"}}) == []
    theirs = other_rpc.result("cmdb.object.create", {"type": BUILDING, "title": "Their site"})["id"]
    with KaceClient(base_url) as stranger:
        stranger.login(other_org.admin.login, other_org.admin.password)
        assert set(kace_list(stranger, other_org.id)) == {"Their site"}
        assert stranger.get(f"{LOCATIONS}/{mine['id']}").status_code == 404
    # Hanging my location below their object is refused, as if it did not exist.
    error = rpc.error("cmdb.category.save", {"object": mine_object, "category": LOCATION,
                                             "data": {"parent": theirs}})
    assert error["code"] == -32602
    assert "Their site" not in kace_list(admin, org.id)
    assert kace_read(admin, mine["id"])["level"] == 0


def test_bad_input_is_refused_on_both_faces_and_writes_nothing(admin: KaceClient, rpc: RpcClient, org):
    top = kace_create(admin, name="Top")
    below = kace_create(admin, name="Below", parentId=top["id"])
    before_objects = rpc.result("cmdb.objects.read", {"filter": {"type": BUILDING}})
    before_list = kace_list(admin, org.id)
    unknown = admin.post(LOCATIONS, json={"name": "Orphan", "parent": {"id": 99999999}})
    assert unknown.status_code == 404 and unknown.json()["field"] == "parent"
    blank = admin.post(LOCATIONS, json={"name": "   "})
    assert blank.status_code == 400 and blank.json()["field"] == "name"
    below_itself = admin.put(f"{LOCATIONS}/{top['id']}", json={"name": "Renamed", "parent": {"id": below["id"]}})
    assert below_itself.status_code == 400 and below_itself.json()["field"] == "parent"
    # The same move over i-doit: refused, and the rename sent in the same batch is not kept.
    top_object, below_object = object_titled(rpc, "Top")["id"], object_titled(rpc, "Below")["id"]
    error = rpc.error("cmdb.category.save", {"object": top_object, "category": LOCATION,
                                             "data": {"parent": below_object}})
    assert error["code"] == -32602 and error["data"]["parameter"] == "data.parent"
    error = rpc.error("cmdb.category.save", {"object": top_object, "category": LOCATION,
                                             "data": {"parent": 99999999}})
    assert error["code"] == -32602
    assert rpc.result("cmdb.objects.read", {"filter": {"type": BUILDING}}) == before_objects
    assert kace_list(admin, org.id) == before_list
    assert parent_of(rpc, top_object) == root_of(rpc)


def test_a_row_written_around_the_service_gets_its_object_on_its_first_kace_write(
        admin: KaceClient, rpc: RpcClient, org, sessions):
    with sessions.begin() as db:
        row = Location(organization_id=org.id, name="Legacy site", path="")
        db.add(row)
        db.flush()
        row.path = f"/{row.id}"
        legacy_id = row.id
    assert rpc.result("cmdb.objects.read", {"filter": {"title": "Legacy site"}}) == []
    child = kace_create(admin, name="Legacy wing", parentId=legacy_id)
    legacy_object = object_titled(rpc, "Legacy site", type=BUILDING)["id"]
    assert parent_of(rpc, object_titled(rpc, "Legacy wing")["id"]) == legacy_object
    assert parent_of(rpc, legacy_object) == root_of(rpc)
    assert kace_read(admin, child["id"])["path"] == f"/{legacy_id}/{child['id']}"
    with sessions() as db:
        assert db.get(Location, legacy_id).object_id == legacy_object
        assert db.scalar(select(sa.func.count()).select_from(Location).where(
            Location.organization_id == org.id)) == 2


# ------------------------------------------------------------------------------------ migration


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'before.db'}"
        return
    from tests.conftest import _postgres_database

    yield from _postgres_database(database_url)


def _migrate(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        config = alembic_config(url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def _parent_in(values: Any) -> Any:
    return (values if isinstance(values, dict) else json.loads(values))["parent"]


def test_the_migration_makes_objects_for_existing_locations(fresh_database_url: str):
    _migrate(fresh_database_url, "0006_case_insensitive_lookups")
    organizations, locations = Organization.__table__, Location.__table__
    engine = make_engine(fresh_database_url)
    try:
        with engine.begin() as db:
            org_id = db.execute(sa.insert(organizations).values(
                name="Before", is_enabled=True, is_deleted=False, is_system=False, time_zone="UTC",
                sync_locations=False).returning(organizations.c.id)).scalar_one()
            ids: dict[str, int] = {}
            for name, parent, deleted in (("Old HQ", None, False), ("Old floor", "Old HQ", False),
                                          ("Gone", None, True)):
                ids[name] = db.execute(sa.insert(locations).values(
                    organization_id=org_id, parent_id=ids.get(parent or ""), name=name, level=0, path="",
                    is_deleted=deleted).returning(locations.c.id)).scalar_one()
            db.execute(sa.update(organizations).where(organizations.c.id == org_id)
                       .values(primary_location_id=ids["Old HQ"]))
        _migrate(fresh_database_url, "0009_locations_are_objects")
        with engine.connect() as db:
            rows = {row.name: row for row in db.execute(select(locations).where(locations.c.organization_id == org_id))}
            objects = {row.id: row for row in db.execute(select(CmdbObject.__table__).where(
                CmdbObject.organization_id == org_id))}
            entries = {row.object_id: row.values for row in db.execute(select(CategoryEntry.__table__).where(
                CategoryEntry.organization_id == org_id, CategoryEntry.category_const == LOCATION))}
            primary = db.scalar(select(organizations.c.primary_location_id).where(organizations.c.id == org_id))
    finally:
        engine.dispose()
    assert primary == ids["Old HQ"]
    hq, floor, gone = rows["Old HQ"], rows["Old floor"], rows["Gone"]
    assert [objects[r.object_id].title for r in (hq, floor, gone)] == ["Old HQ", "Old floor", "Gone"]
    assert {objects[r.object_id].type_const for r in (hq, floor, gone)} == {BUILDING}
    assert (objects[hq.object_id].status, objects[gone.object_id].status) == (2, 4)
    root = next(o for o in objects.values() if o.const == "C__OBJ__ROOT_LOCATION")
    assert _parent_in(entries[hq.object_id]) == root.id
    assert _parent_in(entries[floor.object_id]) == hq.object_id
