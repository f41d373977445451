"""The API v2 endpoints: strict parameters, objects and entries, object types and groups,
reports, and the external upsert keyed by an external identifier."""

from __future__ import annotations

import pytest

from estate.idoit.methods.v2 import ENDPOINTS
from tests.assets.conftest import read_asset
from tests.idoit.test_objects import new_object, status_of


def save(rpc, object_id: int, category: str, data: dict) -> int:
    return rpc.result("cmdb.category.save", {"object": object_id, "category": category, "data": data})["entry"]


def test_system_endpoints_lists_every_v2_endpoint_served(rpc):
    listed = rpc.result("system.endpoints.read.v2")
    assert len(listed) == 25 and set(listed) == set(ENDPOINTS)
    assert listed["cmdb.external.push.v2"]["parameters"]["required"].keys() == {
        "extType", "extId", "title", "class", "data"}
    for name in listed:
        assert rpc.call(name, {}).get("error", {}).get("code") != -32601, name


@pytest.mark.parametrize("method, params, parameter", [
    ("cmdb.object.archive.v2", {"id": "5"}, "id"),
    ("cmdb.object.archive.v2", {"id": 5, "unknown": 1}, "unknown"),
    ("cmdb.category.purge.v2", {"object": 5, "category": "C__CATG__CPU"}, "entry"),
    ("cmdb.object-type.create.v2", {"title": "Drone"}, "objectTypeGroup"),
    ("cmdb.report.read.v2", {"id": 1, "limit": "10"}, "limit"),
    ("cmdb.external.link.v2", {"extType": "src", "extId": "a", "objectId": "7"}, "objectId"),
])
def test_v2_parameters_are_strict(rpc, method, params, parameter):
    error = rpc.error(method, params)
    assert error["code"] == -32602 and error["data"]["parameter"] == parameter


def test_objects_and_entries_through_v2(rpc):
    server = new_object(rpc, "v2 server")
    rpc.result("cmdb.object.archive.v2", {"id": server})
    assert status_of(rpc, server) == 3
    rpc.result("cmdb.object.restore.v2", {"id": server})
    assert status_of(rpc, server) == 2
    assert rpc.result("cmdb.object.delete.v2", {"id": server})["success"] is True
    assert status_of(rpc, server) == 4
    cpu = save(rpc, server, "C__CATG__CPU", {"title": "one"})
    rpc.result("cmdb.category.archive.v2", {"object": server, "category": "C__CATG__CPU", "entry": cpu})
    assert rpc.result("cmdb.category.read", {"objID": server, "category": "C__CATG__CPU", "status": 3})
    rpc.result("cmdb.category.delete.v2", {"object": server, "category": "C__CATG__CPU", "entry": cpu})
    assert rpc.result("cmdb.category.read", {"objID": server, "category": "C__CATG__CPU", "status": 4})
    rpc.result("cmdb.category.purge.v2", {"object": server, "category": "C__CATG__CPU", "entry": cpu})
    assert rpc.error("cmdb.category.purge.v2", {"object": server, "category": "C__CATG__CPU",
                                                "entry": cpu})["code"] == -32099
    rpc.result("cmdb.object.purge.v2", {"id": server})
    assert rpc.result("cmdb.object.read", {"id": server}) == []


def test_object_type_groups_and_types_of_an_organization(rpc, other_rpc, admin):
    group = rpc.result("cmdb.object-type-group.create.v2", {"title": "Example group",
                                                            "constant": "C__OBJTYPE_GROUP__SD_EXAMPLE_GROUP",
                                                            "sort": 10})
    assert group["success"] is True and group["id"] >= 1001
    assert group["message"] == f"Object type group 'Example group' (#{group['id']}) successfully created."
    (read,) = rpc.result("cmdb.object-type-group.read.v2", {"constant": "C__OBJTYPE_GROUP__SD_EXAMPLE_GROUP"})
    assert read == {"id": group["id"], "constant": "C__OBJTYPE_GROUP__SD_EXAMPLE_GROUP", "title": "Example group",
                    "titleRaw": "Example group", "sort": 10, "status": 2, "visible": True, "deletable": True}
    software = rpc.result("cmdb.object-type-group.read.v2", {"id": 1})[0]
    assert software["constant"] == "C__OBJTYPE_GROUP__SOFTWARE" and software["deletable"] is False
    assert other_rpc.result("cmdb.object-type-group.read.v2", {"id": group["id"]}) == []

    created = rpc.result("cmdb.object-type.create.v2", {
        "title": "Drone", "objectTypeGroup": "C__OBJTYPE_GROUP__SD_EXAMPLE_GROUP", "constant": "C__OBJTYPE__DRONE",
        "isContainer": False, "sysidPrefix": "DRN_", "color": "#ff0000"})
    (drone,) = rpc.result("cmdb.object-type.read.v2", {"constant": "C__OBJTYPE__DRONE", "with-categories": True})
    assert drone["id"] == created["id"] and drone["objectTypeGroup"]["id"] == group["id"]
    assert "C__CATG__GLOBAL" in drone["categories"]["global"] and drone["deletable"] is True
    # A type of one's own is a type like any other, on both faces.
    flyer = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__DRONE", "title": "flyer-1"})["id"]
    shown = rpc.result("cmdb.object.read", {"id": flyer})
    assert shown["objecttype"] == created["id"] and shown["type_title"] == "Drone"
    assert shown["sysid"].startswith("DRN_")
    assert [o["id"] for o in rpc.result("cmdb.objects.read", {"filter": {"type": created["id"]}})] == [flyer]
    assert rpc.result("cmdb.object_types", {"filter": {"id": "C__OBJTYPE__DRONE"}})[0]["title"] == "Drone"
    assert read_asset(admin, flyer)["asset_type_name"] == "Drone"
    assert other_rpc.error("cmdb.object.create", {"type": "C__OBJTYPE__DRONE", "title": "x"})["code"] == -32602

    rpc.result("cmdb.object-type.update-by-constant.v2", {"constant": "C__OBJTYPE__DRONE", "title": "UAV"})
    assert rpc.result("cmdb.object.read", {"id": flyer})["type_title"] == "UAV"
    rpc.result("cmdb.object-type.update.v2", {"id": 5, "title": "Rack server"})
    assert rpc.result("cmdb.object-type.read.v2", {"id": 5})[0]["title"] == "Rack server"
    assert other_rpc.result("cmdb.object-type.read.v2", {"id": 5})[0]["title"] == "Server"
    assert rpc.error("cmdb.object-type.delete.v2", {"id": 5})["code"] == -32099
    assert rpc.error("cmdb.object-type.delete.v2", {"id": created["id"]})["code"] == -32099  # flyer is one
    assert rpc.error("cmdb.object-type-group.delete.v2", {"id": group["id"]})["code"] == -32099  # holds Drone
    rpc.result("cmdb.object.purge", {"object": flyer})
    deleted = rpc.result("cmdb.object-type.delete-by-constant.v2", {"constant": "C__OBJTYPE__DRONE"})
    assert deleted == {"success": True, "id": created["id"], "constant": "C__OBJTYPE__DRONE",
                       "message": f"Object type #{created['id']} has been deleted."}
    rpc.result("cmdb.object-type-group.update.v2", {"id": group["id"], "visible": False})
    assert rpc.result("cmdb.object-type-group.read.v2", {"id": group["id"], "visible": False})[0]["visible"] is False
    rpc.result("cmdb.object-type-group.delete.v2", {"id": group["id"]})
    assert rpc.result("cmdb.object-type-group.read.v2", {"id": group["id"]}) == []


def test_object_type_groups_by_constant(rpc, other_rpc):
    constant = "C__OBJTYPE_GROUP__SD_BY_CONSTANT"
    group = rpc.result("cmdb.object-type-group.create.v2", {"title": "By constant", "constant": constant})
    updated = rpc.result("cmdb.object-type-group.update-by-constant.v2",
                         {"constant": constant, "title": "New object type group name", "sort": 99, "visible": False})
    assert updated == {"success": True, "id": group["id"], "constant": constant,
                       "message": f"Object type group #{group['id']} successfully updated."}
    (read,) = rpc.result("cmdb.object-type-group.read.v2", {"constant": constant})
    assert (read["title"], read["sort"], read["visible"]) == ("New object type group name", 99, False)
    # Another organization neither sees the group nor reaches it by its constant.
    assert other_rpc.error("cmdb.object-type-group.update-by-constant.v2",
                           {"constant": constant, "title": "theirs"})["code"] == -32099
    assert other_rpc.error("cmdb.object-type-group.delete-by-constant.v2", {"constant": constant})["code"] == -32099
    # i-doit's own groups are changed for the organization, never deleted.
    rpc.result("cmdb.object-type-group.update-by-constant.v2", {"constant": "C__OBJTYPE_GROUP__SOFTWARE",
                                                                "title": "Programs"})
    assert rpc.result("cmdb.object-type-group.read.v2", {"id": 1})[0]["title"] == "Programs"
    assert other_rpc.result("cmdb.object-type-group.read.v2", {"id": 1})[0]["title"] == "Software"
    assert rpc.error("cmdb.object-type-group.delete-by-constant.v2",
                     {"constant": "C__OBJTYPE_GROUP__SOFTWARE"})["code"] == -32099
    error = rpc.error("cmdb.object-type-group.update-by-constant.v2", {"constant": constant, "sort": "first"})
    assert error["code"] == -32602 and error["data"]["parameter"] == "sort"

    deleted = rpc.result("cmdb.object-type-group.delete-by-constant.v2", {"constant": constant})
    assert deleted == {"success": True, "id": group["id"], "constant": constant,
                       "message": f"Object type group #{group['id']} has been deleted."}
    assert rpc.result("cmdb.object-type-group.read.v2", {"constant": constant}) == []
    assert rpc.error("cmdb.object-type-group.delete-by-constant.v2", {"constant": constant})["code"] == -32099


def test_reports_through_v2_are_the_reports_module(rpc):
    listed = rpc.result("cmdb.report.list.v2")
    legacy = rpc.result("cmdb.reports.read")
    assert [(r["id"], r["title"]) for r in listed] == [(int(r["id"]), r["title"]) for r in legacy]
    assert all(r["modified"] is None for r in listed)
    new_object(rpc, "reported server")
    servers = next(r for r in listed if r["title"] == "All servers")
    assert rpc.result("cmdb.report.read.v2", {"id": servers["id"], "limit": 5}) == rpc.result(
        "cmdb.reports.read", {"id": servers["id"], "limit": 5})
    assert rpc.error("cmdb.report.read.v2", {"id": 999999})["code"] == -32099


PUSH = {
    "extType": "datasource-1", "extId": "windows-server100", "class": "C__OBJTYPE__SERVER", "title": "Server 100",
    "data": {
        "C__CATG__CPU": {"strategy": "update", "data": {
            "intel-1": {"title": "Xeon #1", "manufacturer": "Intel", "cores": 52, "frequency": "2.4",
                        "frequency_unit": "GHz"},
            "intel-2": {"title": "Xeon #2", "manufacturer": "Intel", "cores": 52, "frequency": "2.4",
                        "frequency_unit": "C__FREQUENCY_UNIT__GHZ"}}},
        "C__CATG__LOCATION": {"strategy": "create", "data": {
            "CITY_OBJECT_DUESSELDORF": {"parent": {"title": "Düsseldorf", "class": "C__OBJTYPE__CITY",
                                                   "extType": "datasource-1", "extId": "CITY_OBJECT_DUESSELDORF"}}}},
    },
}


def test_the_external_upsert_run_twice_makes_nothing_twice(rpc):
    first = rpc.result("cmdb.external.push.v2", PUSH)
    assert first["success"] is True
    said = [m["message"] for m in first["messages"]]
    assert said[0].startswith("External id datasource-1/windows-server100 not found. Object with id ")
    assert any(m.startswith("New category entry") and m.endswith("for custom id intel-2.") for m in said)
    second = rpc.result("cmdb.external.push.v2", PUSH)
    assert second["messages"][0]["message"].startswith("Object for external id datasource-1/windows-server100 found")

    servers = rpc.result("cmdb.objects.read", {"filter": {"title": "Server 100"}})
    cities = rpc.result("cmdb.objects.read", {"filter": {"title": "Düsseldorf", "type": "C__OBJTYPE__CITY"}})
    assert len(servers) == 1 and len(cities) == 1
    server = servers[0]["id"]
    cpus = rpc.result("cmdb.category.read", {"objID": server, "category": "C__CATG__CPU"})
    assert [c["title"] for c in cpus] == ["Xeon #1", "Xeon #2"]
    assert {c["frequency_unit"]["const"] for c in cpus} == {"C__FREQUENCY_UNIT__GHZ"}
    assert rpc.result("cmdb.category.read", {"objID": server, "category": "C__CATG__LOCATION"})[0][
        "parent"]["id"] == str(cities[0]["id"])

    (pulled,) = rpc.result("cmdb.external.pull.v2", {"extType": "datasource-1", "extId": "windows-server100"})
    assert (pulled["id"], pulled["extId"], pulled["extType"], pulled["objecttype"]) == (
        server, "windows-server100", "datasource-1", 5)
    assert [(e["extId"], e["extType"], e["title"]) for e in pulled["data"]["C__CATG__CPU"]] == [
        ("intel-1", "datasource-1/windows-server100/C__CATG__CPU", "Xeon #1"),
        ("intel-2", "datasource-1/windows-server100/C__CATG__CPU", "Xeon #2")]
    one = rpc.result("cmdb.external.pull.v2", {"extType": "datasource-1/windows-server100/C__CATG__CPU",
                                               "extId": "intel-2"})
    assert [e["title"] for e in one[0]["data"]["C__CATG__CPU"]] == ["Xeon #2"] and "C__CATG__LOCATION" not in one[
        0]["data"]
    everything = rpc.result("cmdb.external.pull.v2", {"extType": "datasource-1"})
    assert {o["extId"] for o in everything} == {"windows-server100", "CITY_OBJECT_DUESSELDORF"}

    # overwrite removes the source's entries it no longer pushes; a person's own entry stays.
    own = save(rpc, server, "C__CATG__CPU", {"title": "added by hand"})
    rpc.result("cmdb.external.push.v2", {**PUSH, "data": {"C__CATG__CPU": {
        "strategy": "overwrite", "data": {"intel-1": {"title": "Xeon #1", "cores": 56}}}}})
    cpus = rpc.result("cmdb.category.read", {"objID": server, "category": "C__CATG__CPU"})
    assert [(c["title"], c["cores"]) for c in cpus] == [("Xeon #1", "56"), ("added by hand", None)]
    assert cpus[1]["id"] == str(own)


def test_external_link_and_its_refusals(rpc, other_rpc):
    server = new_object(rpc, "linked server")
    assert rpc.result("cmdb.external.link.v2", {"extType": "cmdb-sync", "extId": "srv-9", "objectId": server}) == {
        "success": True}
    again = rpc.result("cmdb.external.link.v2", {"extType": "cmdb-sync", "extId": "srv-9", "objectId": server})
    assert again == {"success": True, "message": "External identifier is already linked to given object."}
    other = new_object(rpc, "another server")
    assert rpc.error("cmdb.external.link.v2", {"extType": "cmdb-sync", "extId": "srv-9",
                                               "objectId": other})["code"] == -32099
    assert rpc.error("cmdb.external.link.v2", {"extType": "other-source", "extId": "x",
                                               "objectId": server})["code"] == -32099
    pushed = rpc.result("cmdb.external.push.v2", {"extType": "cmdb-sync", "extId": "srv-9",
                                                  "class": "C__OBJTYPE__SERVER", "title": "linked server", "data": {}})
    assert pushed["messages"][0]["message"] == f"Object for external id cmdb-sync/srv-9 found: {server}"
    assert other_rpc.error("cmdb.external.pull.v2", {"extType": "cmdb-sync", "extId": "srv-9"})["code"] == -32099
    error = rpc.error("cmdb.external.push.v2", {**PUSH, "extId": "bad", "data": {
        "C__CATG__CPU": {"strategy": "replace", "data": {}}}})
    assert error["code"] == -32602 and error["data"]["parameter"] == "data.C__CATG__CPU.strategy"
    assert rpc.result("cmdb.objects.read", {"filter": {"title": "Server 100"}}) == []  # nothing of it stayed
