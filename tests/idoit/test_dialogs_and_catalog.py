"""cmdb.dialog.*, and the catalog methods: constants, object types and groups, type categories,
category_info, status, reports, condition, location tree, logbook, add-ons, license, version."""

from __future__ import annotations

import pytest

from tests.idoit.test_objects import new_object


def test_dialog_create_read_update_delete(rpc):
    created = rpc.result("cmdb.dialog.create", {"category": "C__CATG__CPU", "property": "manufacturer",
                                                "value": "Fujitsu"})
    assert created["success"] is True and isinstance(created["entry_id"], int)
    listed = rpc.result("cmdb.dialog.read", {"category": "C__CATG__CPU", "property": "manufacturer"})
    assert {"id": str(created["entry_id"]), "const": "", "title": "Fujitsu"} in listed
    assert {"AMD", "Intel"} <= {row["title"] for row in listed}
    updated = rpc.result("cmdb.dialog.update", {"category": "C__CATG__CPU", "property": "manufacturer",
                                                "entry_id": str(created["entry_id"]), "value": "Fujitsu 2"})
    assert updated == {"success": True, "entry_id": created["entry_id"]}
    titles = {r["title"] for r in rpc.result("cmdb.dialog.read", {"category": "C__CATG__CPU",
                                                                   "property": "manufacturer"})}
    assert "Fujitsu 2" in titles and "Fujitsu" not in titles
    rpc.result("cmdb.dialog.delete", {"category": "C__CATG__CPU", "property": "manufacturer",
                                      "entry_id": created["entry_id"]})
    titles = {r["title"] for r in rpc.result("cmdb.dialog.read", {"category": "C__CATG__CPU",
                                                                   "property": "manufacturer"})}
    assert "Fujitsu 2" not in titles
    error = rpc.error("cmdb.dialog.delete", {"category": "C__CATG__CPU", "property": "manufacturer",
                                             "entry_id": created["entry_id"]})
    assert error["code"] == -32099


@pytest.mark.parametrize("params, parameter", [
    ({"category": "C__CATG__NOPE", "property": "manufacturer"}, "category"),
    ({"category": "C__CATG__CPU", "property": "nope"}, "property"),
    ({"category": "C__CATG__CPU", "property": "cores"}, "property"),
    ({"category": "C__CATG__CPU"}, "property"),
])
def test_dialog_errors_name_the_parameter(rpc, params, parameter):
    error = rpc.error("cmdb.dialog.read", params)
    assert error["code"] == -32602 and error["data"]["parameter"] == parameter


def test_dependent_dialog_models_under_manufacturers(rpc):
    lenovo = rpc.result("cmdb.dialog.create", {"category": "C__CATG__MODEL", "property": "manufacturer",
                                               "value": "Lenovo"})["entry_id"]
    model = rpc.result("cmdb.dialog.create", {"category": "C__CATG__MODEL", "property": "title",
                                              "value": "ThinkServer RD350", "parent": lenovo})["entry_id"]
    under = rpc.result("cmdb.dialog.read", {"category": "C__CATG__MODEL", "property": "title", "parent": lenovo})
    assert under == [{"id": str(model), "const": "", "title": "ThinkServer RD350",
                      "parent": {"id": str(lenovo), "const": "", "title": "Lenovo"}}]
    error = rpc.error("cmdb.dialog.create", {"category": "C__CATG__CPU", "property": "manufacturer", "value": "X",
                                             "parent": lenovo})
    assert error["data"]["parameter"] == "parent"
    server = new_object(rpc, "modelled")
    rpc.result("cmdb.category.save", {"object": server, "category": "C__CATG__MODEL",
                                      "data": {"manufacturer": lenovo, "title": "ThinkServer RD350"}})
    row = rpc.result("cmdb.category.read", {"objID": server, "category": "C__CATG__MODEL"})[0]
    assert row["title"]["id"] == str(model)


def test_constants_are_complete(rpc):
    constants = rpc.result("idoit.constants")
    for key in ("objectTypes", "recordStates", "relationTypes", "staticObjects"):
        assert constants[key], key
    assert constants["categories"]["g"]["C__CATG__GLOBAL"] == "General"
    assert constants["categories"]["s"]["C__CATS__PERSON_MASTER"]
    # The whole table, the newer categories of the knowledge base's pages and the current spellings.
    assert len(constants["categories"]["g"]) + len(constants["categories"]["s"]) == 251
    assert all(const.startswith("C__CATG__CUSTOM_FIELDS_") for const in constants["categories"]["g_custom"])
    assert constants["staticObjects"]["C__OBJ__ROOT_LOCATION"] == "Root location"


def test_object_types_groups_and_type_categories(rpc):
    new_object(rpc, "counted")
    types = rpc.result("cmdb.object_types", {"filter": {"id": "C__OBJTYPE__SERVER"}, "countobjects": True})
    assert len(types) == 1 and types[0]["id"] == "5" and types[0]["title"] == "Server"
    assert types[0]["objectcount"] == "1" and types[0]["type_group_title"] == "Infrastructure"
    assert len(rpc.result("cmdb.object_types", {"limit": 3})) == 3
    groups = rpc.result("cmdb.object_type_groups", {"filter": {"ids": [1, 2, 3, 4, 1000]}, "raw": False})
    assert [g["const"] for g in groups] == ["C__OBJTYPE_GROUP__SOFTWARE", "C__OBJTYPE_GROUP__INFRASTRUCTURE",
                                            "C__OBJTYPE_GROUP__OTHER", "C__OBJTYPE_GROUP__ORPHANED",
                                            "C__OBJTYPE_GROUP__CONTACT"]
    categories = rpc.result("cmdb.object_type_categories", {"type": 5})
    consts = {c["const"]: c for c in categories["catg"]}
    assert consts["C__CATG__GLOBAL"]["multi_value"] == "0" and consts["C__CATG__IP"]["multi_value"] == "1"
    person = rpc.result("cmdb.object_type_categories", {"type": "C__OBJTYPE__PERSON"})
    assert any(c["const"] == "C__CATS__PERSON_MASTER" for c in person["cats"])
    assert rpc.error("cmdb.object_type_categories", {"type": "C__OBJTYPE__NOPE"})["code"] == -32602


@pytest.mark.parametrize("method", ["cmdb.object_types", "cmdb.object_type_groups"])
@pytest.mark.parametrize(("bad_filter", "named"), [({"ids": 5}, "filter.ids"), ({"titles": 5}, "filter.titles"),
                                                   ({"id": [1]}, "filter.id"), ("servers", "filter")])
def test_type_filters_of_a_wrong_type_are_invalid_params_naming_the_field(rpc, method, bad_filter, named):
    error = rpc.error(method, {"filter": bad_filter})
    assert error["code"] == -32602
    assert named in str(error["data"]) or named in error["message"], error


@pytest.mark.parametrize("method", ["cmdb.object_types", "cmdb.object_type_groups"])
def test_an_empty_or_null_type_filter_lists_everything(rpc, method):
    everything = rpc.result(method)
    assert rpc.result(method, {"filter": []}) == everything  # PHP's empty array
    assert rpc.result(method, {"filter": {"ids": None}}) == everything


def test_category_info_by_constant_and_by_id(rpc):
    by_const = rpc.result("cmdb.category_info", {"category": "C__CATG__GLOBAL"})
    by_id = rpc.result("cmdb.category_info.read", {"catgID": 1})
    assert by_const == by_id
    assert by_const["title"]["info"]["type"] == "text" and by_const["purpose"]["info"]["type"] == "dialog_plus"
    for key in ("title", "check", "info", "data", "ui"):
        assert key in by_const["sysid"]
    assert rpc.error("cmdb.category_info", {"category": "C__CATG__NOPE"})["code"] == -32602
    assert rpc.error("cmdb.category_info", {})["code"] == -32602


def test_status_lists_the_cmdb_states(rpc):
    states = rpc.result("cmdb.status.read")
    assert len(states) == 14
    assert states[5] == {"id": 6, "title": "in operation", "constant": "C__CMDB_STATUS__IN_OPERATION",
                         "color": "33C20A", "editable": False}


def test_reports_list_and_run(rpc):
    new_object(rpc, "reported server")
    listed = rpc.result("cmdb.reports.read")
    titles = {r["title"]: r for r in listed}
    assert {"Changed objects from today", "Changed objects last 24 hours", "Changed objects last 7 days"} <= set(titles)
    report = titles["Changed objects last 24 hours"]
    assert report["category"] == "Changes" and report["created"]
    rows = rpc.result("cmdb.reports", {"id": report["id"]})
    assert any(r["Title"] == "reported server" and r["Object type"] == "Server" for r in rows)
    assert len(rpc.result("cmdb.reports", {"id": int(report["id"]), "limit": 1, "offset": 1})) == 1
    assert rpc.error("cmdb.reports", {"id": 999999999})["code"] == -32099


def test_condition_read(rpc):
    client = new_object(rpc, "Client01 serv", "C__OBJTYPE__CLIENT")
    other = new_object(rpc, "Client02", "C__OBJTYPE__CLIENT")
    rpc.result("cmdb.category.save", {"object": client, "category": "C__CATG__ACCOUNTING",
                                      "data": {"inventory_no": "INV-1"}})
    rpc.result("cmdb.category.save", {"object": other, "category": "C__CATG__MODEL", "data": {"manufacturer": "Acme"}})
    found = rpc.result("cmdb.condition.read", {"conditions": [
        {"property": "C__CATG__GLOBAL-type", "comparison": "=", "value": "C__OBJTYPE__CLIENT"},
        {"property": "C__CATG__ACCOUNTING-inventory_no", "comparison": "like", "value": "*"},
        {"property": "C__CATG__GLOBAL-title", "comparison": "like", "value": "*serv*"},
    ]})
    assert [row["id"] for row in found] == [client]
    by_dialog = rpc.result("cmdb.condition", {"conditions": [
        {"property": "C__CATG__MODEL-manufacturer", "comparison": "=", "value": "Acme"}]})
    assert [row["id"] for row in by_dialog] == [other]
    error = rpc.error("cmdb.condition.read", {"conditions": [
        {"property": "C__CATG__GLOBAL-nope", "comparison": "=", "value": "x"}]})
    assert error["code"] == -32602 and error["data"]["parameter"] == "conditions.0.property"
    error = rpc.error("cmdb.condition.read", {"conditions": [
        {"property": "C__CATG__GLOBAL-title", "comparison": "~", "value": "x"}]})
    assert error["data"]["parameter"] == "conditions.0.comparison"


def test_location_tree_one_level_down(rpc):
    city = new_object(rpc, "City", "C__OBJTYPE__CITY")
    first = new_object(rpc, "Building 1", "C__OBJTYPE__BUILDING")
    second = new_object(rpc, "Building 2", "C__OBJTYPE__BUILDING")
    room = new_object(rpc, "Room", "C__OBJTYPE__ROOM")
    for child, parent in ((first, city), (second, city), (room, first)):
        rpc.result("cmdb.category.save", {"object": child, "category": "C__CATG__LOCATION", "data": {"parent": parent}})
    tree = rpc.result("cmdb.location_tree", {"id": city})
    assert [row["id"] for row in tree] == [first, second]
    assert tree[0] == {"id": first, "title": "Building 1", "sysid": tree[0]["sysid"], "type": 3,
                       "type_title": "Building", "status": 2, "cmdb_status": 6, "cmdb_status_title": "in operation"}
    assert rpc.error("cmdb.location_tree", {"id": 999999999})["code"] == -32099


def test_root_location_and_global_nets_exist_in_a_fresh_organization(rpc):
    root = rpc.result("cmdb.objects.read", {"filter": {"title": "Root location"}})
    assert len(root) == 1 and root[0]["type"] == 30
    nets = rpc.result("cmdb.objects.read", {"filter": {"type": "C__OBJTYPE__LAYER3_NET"}, "order_by": "title"})
    assert [n["title"] for n in nets] == ["Global v4", "Global v6"]
    roles = rpc.result("cmdb.dialog.read", {"category": "C__CATG__CONTACT", "property": "role"})
    assert {"Administrator", "User"} <= {r["title"] for r in roles}


def test_logbook_records_every_write(rpc):
    object_id = new_object(rpc, "logged")
    entry = rpc.result("cmdb.category.save", {"object": object_id, "category": "C__CATG__MODEL",
                                              "data": {"serial": "A"}})["entry"]
    rpc.result("cmdb.category.save", {"object": object_id, "category": "C__CATG__MODEL", "data": {"serial": "B"},
                                      "entry": entry})
    rpc.result("cmdb.object.archive", {"object": object_id})
    rows = rpc.result("cmdb.logbook", {"object_id": object_id})
    events = [row["event"] for row in rows]
    assert events == ["C__LOGBOOK_EVENT__OBJECT_ARCHIVED", "C__LOGBOOK_EVENT__CATEGORY_CHANGED",
                      "C__LOGBOOK_EVENT__CATEGORY_CHANGED", "C__LOGBOOK_EVENT__OBJECT_CREATED"]
    assert rows[1]["changes"] == {"C__CATG__MODEL::serial": {"from": "A", "to": "B"}}
    assert rows[0]["username"] == "api" and rows[0]["object_title"] == "logged"
    one = rpc.result("cmdb.logbook.read", {"id": int(rows[1]["logbook_id"]), "since": "1660203634"})
    assert [r["logbook_id"] for r in one] == [rows[1]["logbook_id"]]
    assert rpc.result("cmdb.logbook.read", {"object_id": object_id, "since": "2999-01-01"}) == []
    assert rpc.error("cmdb.logbook.read", {"since": "whenever"})["data"]["parameter"] == "since"


def test_version_addons_and_license(rpc, org):
    version = rpc.result("idoit.version")
    assert version["login"]["mandator"] == org.name and version["type"] == "PRO" and version["step"] == ""
    addons = rpc.result("idoit.addons")
    assert addons["success"] is True and any(a["key"] == "api" for a in addons["result"])
    license_ = rpc.result("idoit.license")
    assert license_["objectCapacity"]["inUse"] >= 3


def test_logbook_create_writes_manual_entries(rpc):
    first, second = new_object(rpc, "manual one"), new_object(rpc, "manual two")
    created = rpc.result("cmdb.logbook.create", {
        "object_id": first, "object_ids": [second], "message": "message", "description": "SQL Description / Log",
        "comment": "Revisional comment", "source": "C__LOGBOOK_SOURCE__INTERNAL", "alert_level": 1})
    assert created["success"] is True and isinstance(created["id"], int)
    assert created["message"] == "Logbook entry/entries successfully created."
    for object_id in (first, second):
        row = rpc.result("cmdb.logbook.read", {"object_id": object_id})[0]
        assert row["message"] == "message" and row["comment"] == "Revisional comment"
        assert row["source_constant"] == "C__LOGBOOK_SOURCE__INTERNAL" and row["event"] == "C__LOGBOOK_EVENT__MANUAL"
    assert rpc.error("cmdb.logbook.create", {"object_id": first, "message": "m", "source": "X"})["code"] == -32602
    assert rpc.error("cmdb.logbook.create", {"object_id": 999999999, "message": "m"})["code"] == -32099
    assert rpc.error("cmdb.logbook.create", {"object_id": first})["data"]["parameter"] == "message"


def test_categories_read_several_categories_at_once(rpc):
    person = new_object(rpc, "Michael Overkamp", "C__OBJTYPE__PERSON")
    rpc.result("cmdb.category.save", {"object": person, "category": "C__CATS__PERSON_MASTER",
                                      "data": {"first_name": "Michael"}})
    master = rpc.result("cmdb.object_type_categories", {"type": "C__OBJTYPE__PERSON"})
    master_id = next(c["id"] for c in master["cats"] if c["const"] == "C__CATS__PERSON_MASTER")
    answer = rpc.result("cmdb.categories.read", {"objID": person, "catgID": 1, "catsID": int(master_id)})
    assert answer["catgID"]["C__CATG__GLOBAL"]["title"] == "Michael Overkamp"
    assert answer["catsID"]["C__CATS__PERSON_MASTER"]["first_name"] == "Michael"
    assert rpc.error("cmdb.categories.read", {"objID": person})["code"] == -32602
    assert rpc.error("cmdb.categories.read", {"objID": person, "catgID": 99999})["code"] == -32602


def test_contact_read_lists_objects_assigned_to_a_contact(rpc):
    person = new_object(rpc, "Care Bear", "C__OBJTYPE__PERSON")
    rpc.result("cmdb.category.save", {"object": person, "category": "C__CATS__PERSON_MASTER",
                                      "data": {"mail": "bear@example.com"}})
    server = new_object(rpc, "CareBear Power Server")
    rpc.result("cmdb.category.save", {"object": server, "category": "C__CATG__CONTACT",
                                      "data": {"contact": person, "role": "Administrator", "primary": 1}})
    by_id = rpc.result("cmdb.contact.read", {"method": "assigned_objects_by_contact", "filter": {"id": person}})
    rows = list(by_id.values())
    assert rows == [{"id": str(server), "title": "CareBear Power Server", "sysid": rows[0]["sysid"], "type": "5",
                     "type_title": "Server", "primary": "Yes", "role": "Administrator"}]
    by_mail = rpc.result("cmdb.contact.read", {"filter": {"email": "bear@example.com"}})
    assert by_mail == by_id
    assert rpc.result("cmdb.contact.read", {"filter": {"email": "nobody@example.com"}}) == {}
    assert rpc.error("cmdb.contact.read", {"method": "other", "filter": {"id": 1}})["data"]["parameter"] == "method"


def test_ip_search_finds_the_layer3_nets_holding_an_address(rpc):
    office = new_object(rpc, "Office net", "C__OBJTYPE__LAYER3_NET")
    rpc.result("cmdb.category.save", {"object": office, "category": "C__CATS__NET",
                                      "data": {"address": "10.10.0.0", "netmask": "255.255.0.0"}})
    lab = new_object(rpc, "Lab net", "C__OBJTYPE__LAYER3_NET")
    rpc.result("cmdb.category.save", {"object": lab, "category": "C__CATS__NET",
                                      "data": {"address": "10.10.5.0", "cidr_suffix": 24}})
    assert [n["id"] for n in rpc.result("cmdb.ip_search.read", {"ip": "10.10.0.1"})] == [office]
    assert [n["id"] for n in rpc.result("cmdb.ip_search.read", {"ip": "10.10.5.7"})] == [office, lab]
    assert rpc.result("cmdb.ip_search.read", {"ip": "192.168.1.1"}) == []
    assert rpc.error("cmdb.ip_search.read", {"ip": "not-an-ip"})["data"]["parameter"] == "ip"
