"""cmdb.filter.read, cmdb.workstation_components.read, console.tenant.list,
analysis.dataquality.read and cmdb.object.quickpurge."""

from __future__ import annotations

from tests.idoit.test_objects import new_object


def save(rpc, object_id: int, category: str, data: dict) -> int:
    return rpc.result("cmdb.category.save", {"object": object_id, "category": category, "data": data})["entry"]


def test_filter_reads_objects_by_attribute_values_and_time_of_change(rpc):
    assert rpc.result("cmdb.filter.read") == []
    first, second = new_object(rpc, "filtered-1"), new_object(rpc, "filtered-2")
    save(rpc, first, "C__CATG__MODEL", {"serial": "FLT-100", "manufacturer": "Dell"})
    save(rpc, second, "C__CATG__MODEL", {"serial": "FLT-200", "manufacturer": "Dell"})
    exact = rpc.result("cmdb.filter.read", {"filter": {"C__CATG__MODEL-serial": "FLT-100"}})
    assert [(row["id"], row["key"], row["value"]) for row in exact] == [(first, "C__CATG__MODEL-serial", "FLT-100")]
    assert exact[0]["type"] == 5 and exact[0]["changed"]
    both = rpc.result("cmdb.filter.read", {"filter": {"C__CATG__MODEL-serial": "FLT-*"}})
    assert [row["id"] for row in both] == [first, second]
    recent = rpc.result("cmdb.filter.read", {"changed_from": "2000-01-01", "limit": 10000})
    assert {first, second} <= {row["id"] for row in recent}
    assert rpc.result("cmdb.filter.read", {"changed_to": "2000-01-01"}) == []
    error = rpc.error("cmdb.filter.read", {"changed_from": "yesterday"})
    assert error["code"] == -32602 and error["data"]["parameter"] == "changed_from"
    assert rpc.error("cmdb.filter.read", {"filter": {"C__CATG__NOPE-x": "1"}})["code"] == -32602


def test_workstation_components_of_a_person(rpc):
    person = new_object(rpc, "Michael Overkamp", "C__OBJTYPE__PERSON")
    save(rpc, person, "C__CATS__PERSON_MASTER", {"first_name": "Michael", "last_name": "Overkamp",
                                                 "mail": "moverkamp@example.test"})
    place = new_object(rpc, "Workstation_1", "C__OBJTYPE__WORKSTATION")
    client = new_object(rpc, "MyLittleClient", "C__OBJTYPE__CLIENT")
    save(rpc, person, "C__CATG__LOGICAL_UNIT", {"parent": place})
    save(rpc, client, "C__CATG__ASSIGNED_WORKSTATION", {"parent": place})
    by_mail = rpc.result("cmdb.workstation_components", {"filter": {"email": "moverkamp@example.test"}})
    assert rpc.result("cmdb.workstation_components.read", {"filter": {"ids": [person]}}) == by_mail
    node = by_mail[str(person)]
    assert node["data"] == {"id": str(person), "title": "Michael Overkamp", "sysid": node["data"]["sysid"],
                            "type": "53", "type_title": "Persons", "status": "2",
                            "email": "moverkamp@example.test", "first_name": "Michael", "last_name": "Overkamp"}
    workplace = node["children"][str(place)]
    assert workplace["data"]["type"] == "71" and workplace["data"]["title"] == "Workstation_1"
    assert workplace["children"] == {str(client): {"data": {
        "id": str(client), "title": "MyLittleClient", "sysid": workplace["children"][str(client)]["data"]["sysid"],
        "type": "10", "type_title": "Client", "status": "2"}, "children": False}}
    alone = new_object(rpc, "Nobody", "C__OBJTYPE__PERSON")
    assert rpc.result("cmdb.workstation_components", {"id": alone})[str(alone)]["children"] is False
    assert rpc.error("cmdb.workstation_components", {"filter": {}})["code"] == -32602


def test_console_tenant_list_shows_the_callers_organizations(rpc, org):
    output = rpc.result("console.tenant.list")
    assert output["success"] is True and output["output"][0] == "Available tenants:"
    rows = [line for line in output["output"] if line.startswith("| ") and "| ID " not in line]
    assert len(rows) == 1 and f"| {org.id} " in rows[0] and org.name in rows[0] and "active" in rows[0]
    as_admin = rpc.result("console.tenant.list", headers={"X-RPC-Auth-Username": org.admin.login,
                                                          "X-RPC-Auth-Password": org.admin.password})
    assert any(org.name in line for line in as_admin["output"])


def test_dataquality_reads_a_profiles_completeness(rpc):
    empty = rpc.result("analysis.dataquality.read", {"profileId": 1})
    assert empty["averagePercent"] == 0 and empty["objects"] == []
    full, bare = new_object(rpc, "complete"), new_object(rpc, "bare")
    room = new_object(rpc, "room", "C__OBJTYPE__ROOM")
    person = new_object(rpc, "owner", "C__OBJTYPE__PERSON")
    save(rpc, full, "C__CATG__MODEL", {"manufacturer": "Dell", "title": "R760", "serial": "Q1"})
    save(rpc, full, "C__CATG__CPU", {"title": "Xeon"})
    save(rpc, full, "C__CATG__MEMORY", {"capacity": 64})
    save(rpc, full, "C__CATG__IP", {"ipv4_address": "10.2.2.2"})
    save(rpc, full, "C__CATG__LOCATION", {"parent": room})
    save(rpc, full, "C__CATG__CONTACT", {"contact": person})
    save(rpc, bare, "C__CATG__MODEL", {"serial": "Q2"})
    report = rpc.result("analysis.dataquality.read", {"profileId": 1})
    by_id = {row["id"]: row for row in report["objects"]}
    assert by_id[full]["percent"] == 100 and by_id[full]["missing"] == []
    assert by_id[bare]["percent"] == 12 and "C__CATG__CPU.title" in by_id[bare]["missing"]
    assert report["averagePercent"] == 56
    assert rpc.error("analysis.dataquality.read", {"profileId": 99})["code"] == -32099


def test_quickpurge_is_purge(rpc):
    first, second = new_object(rpc, "quick-1"), new_object(rpc, "quick-2")
    rpc.result("cmdb.object.quickpurge", {"id": first})
    rpc.result("cmdb.object.quickpurge", {"object": second})
    assert rpc.result("cmdb.object.read", {"id": first}) == [] == rpc.result("cmdb.object.read", {"id": second})
    assert rpc.error("cmdb.object.quickpurge", {})["code"] == -32602
