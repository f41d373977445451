"""The request examples of both i-doit references, sent as printed. Only what names their demo
database is replaced: the API key, and the ids of objects, entries and reports (42, 464, 1000 ...),
which are mapped onto records made here first. Each answer is checked against the documented one:
same keys with the same JSON types (the current pages' types where the two references differ),
and the documented fixed values (messages, success flags)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.idoit.conftest import RpcClient
from tests.idoit.test_objects import new_object

ID_KEYS = ("id", "object", "objID", "entry", "cateID", "entry_id", "parent")


def assert_like(actual: Any, documented: Any, where: str = "result") -> None:
    """``actual`` has every documented key with the documented JSON type (recursively)."""
    if documented is None:
        return
    if isinstance(documented, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in documented.items():
            assert key in actual, f"{where}: missing key {key!r} in {actual!r}"
            assert_like(actual[key], value, f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list), f"{where}: expected an array, got {actual!r}"
        if documented and actual:
            assert_like(actual[0], documented[0], f"{where}[0]")
    elif isinstance(documented, bool):
        assert actual is documented or isinstance(actual, bool), f"{where}: {actual!r}"
    elif isinstance(documented, int):
        assert isinstance(actual, int) and not isinstance(actual, bool), f"{where}: expected an integer, {actual!r}"
    elif isinstance(documented, str):
        assert isinstance(actual, str), f"{where}: expected a string, got {actual!r}"


def send_example(rpc: RpcClient, example: dict[str, Any], ids: dict[Any, Any], **kwargs: Any) -> dict[str, Any]:
    body = copy.deepcopy(example)
    params = body["params"]
    params["apikey"] = rpc.apikey
    for key in ID_KEYS:
        if key in params and params[key] in ids:
            params[key] = ids[params[key]]
    response = rpc.send(body, **kwargs)
    answer = response.json()
    assert answer["id"] == example["id"] and answer["jsonrpc"] == "2.0", answer
    assert "error" not in answer, answer
    return answer


def request(method: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"version": "2.0", "method": method, "params": {**params, "apikey": "xxx", "language": "en"}, "id": 1}


# --- what the examples need in the database ------------------------------------------------------


def a_server(rpc: RpcClient, *numbers: int) -> dict[Any, Any]:
    object_id = new_object(rpc, "My little server")
    return {n: object_id for n in numbers}


def server_42(rpc: RpcClient) -> dict[Any, Any]:
    return a_server(rpc, 42)


def server_with_model(rpc: RpcClient) -> dict[Any, Any]:
    ids = a_server(rpc, 42, 1000, 456)
    entry = rpc.result("cmdb.category.save", {"object": ids[42], "category": "C__CATG__MODEL",
                                              "data": {"manufacturer": "Lenovo", "title": "ThinkServer RD350",
                                                       "serial": "123000999888"}})["entry"]
    return {**ids, 24: entry}


def server_with_entries(state: str) -> Callable[[RpcClient], dict[Any, Any]]:
    """A server with an IP entry (3) and access entries (32, 33) in ``state``."""

    def make(rpc: RpcClient) -> dict[Any, Any]:
        ids = a_server(rpc, 42, 456)
        ip = rpc.result("cmdb.category.save", {"object": ids[42], "category": "C__CATG__IP",
                                               "data": {"hostname": "host"}})["entry"]
        access = {}
        for number in (32, 33):
            access[number] = rpc.result("cmdb.category.save", {"object": ids[42], "category": "C__CATG__ACCESS",
                                                               "data": {"title": f"door {number}"}})["entry"]
            for step in {"normal": [], "archived": ["archive"], "deleted": ["archive", "delete"]}[state]:
                rpc.result("cmdb.category.delete" if step == "delete" else "cmdb.category.archive",
                           {"objID": ids[42], "object": ids[42], "category": "C__CATG__ACCESS",
                            "cateID": access[number], "entry": access[number]})
        return {**ids, 3: ip, **access}

    return make


def object_in_state(status: str | None) -> Callable[[RpcClient], dict[Any, Any]]:
    def make(rpc: RpcClient) -> dict[Any, Any]:
        extra = {"status": status} if status else {}
        object_id = new_object(rpc, "lifecycle example", **extra)
        return {n: object_id for n in (42, 28, 464, 465)}

    return make


def manufacturer_3(rpc: RpcClient) -> dict[Any, Any]:
    entry = rpc.result("cmdb.dialog.create", {"category": "C__CATG__CPU", "property": "manufacturer",
                                              "value": "IBM"})["entry_id"]
    return {3: entry, "3": entry}


def a_report(rpc: RpcClient) -> dict[Any, Any]:
    new_object(rpc, "reported")
    report = next(r for r in rpc.result("cmdb.reports.read") if r["title"] == "Changed objects from today")
    return {1: int(report["id"]), "3": report["id"]}


def a_city_with_buildings(rpc: RpcClient) -> dict[Any, Any]:
    city = new_object(rpc, "City", "C__OBJTYPE__CITY")
    for title in ("Building 1", "Building 2"):
        building = new_object(rpc, title, "C__OBJTYPE__BUILDING")
        rpc.result("cmdb.category.save", {"object": building, "category": "C__CATG__LOCATION",
                                          "data": {"parent": city}})
    return {31: city}


def clients_for_condition(rpc: RpcClient) -> dict[Any, Any]:
    client = new_object(rpc, "MyClient serv", "C__OBJTYPE__CLIENT")
    rpc.result("cmdb.category.save", {"object": client, "category": "C__CATG__ACCOUNTING",
                                      "data": {"inventory_no": "INV-1"}})
    return {}


def a_logbook_entry(rpc: RpcClient) -> dict[Any, Any]:
    new_object(rpc, "Building 1", "C__OBJTYPE__BUILDING")
    return {2: int(rpc.result("cmdb.logbook.read", {})[0]["logbook_id"])}


def an_archived_server(rpc: RpcClient) -> dict[Any, Any]:
    new_object(rpc, "My little server", status="C__RECORD_STATUS__ARCHIVED")
    return {}


def nothing(rpc: RpcClient) -> dict[Any, Any]:
    return {}


# --- the examples ----------------------------------------------------------------------------------

ENTRY = {"id": "74", "objID": "1000", "manufacturer": {"id": "2", "title": "Lenovo", "const": None,
                                                        "title_lang": "Lenovo"},
         "title": {"id": "1", "title": "ThinkServer RD350", "const": None, "title_lang": "ThinkServer RD350"},
         "productid": "", "service_tag": "", "serial": "123000999888", "firmware": "", "description": ""}
OBJECT_ROW = {"id": 123, "title": "My little server", "sysid": "SRV_101010", "type": 5,
              "created": "2017-03-07 15:57:48", "type_title": "Server", "type_group_title": "Hardware",
              "status": 3, "cmdb_status": 6,
              "cmdb_status_title": "in operation", "image": "https://demo.i-doit.com/images/objecttypes/empty.png"}
STEP_ANSWER = {"success": True, "message": "Some information"}

EXAMPLES: list[tuple[str, dict[str, Any], Any, Callable[[RpcClient], dict[Any, Any]], dict[str, Any]]] = [
    # (name, request as printed, documented result, setup, fixed values of the result)
    ("idoit.search", request("idoit.search", {"q": "My little server"}),
     [{"documentId": "1000", "key": "Virtual Host > Global > Title", "value": "My little server", "type": "cmdb",
       "link": "/?objID=1000&catgID=1&cateID=1029&highlight=My%20little%20server", "score": "100",
       "status": "Normal"}], server_with_model, {}),
    ("idoit.version", request("idoit.version", {}),
     {"login": {"userid": "9", "name": "admin ", "mail": "", "username": "admin", "mandator": "ACME IT Solutions",
                "language": "en"}, "version": "1.10.2", "step": "", "type": "PRO"}, nothing, {"type": "PRO"}),
    ("idoit.constants", request("idoit.constants", {}),
     {"objectTypes": {"C__OBJTYPE__SERVER": "Server"},
      "categories": {"g": {"C__CATG__GLOBAL": "General", "C__CATG__MODEL": "Model"},
                     "s": {"C__CATS__MONITOR": "Monitor"}},
      "recordStates": {"C__RECORD_STATUS__NORMAL": "Normal"},
      "staticObjects": {"C__OBJ__ROOT_LOCATION": "Root location"}}, nothing, {}),
    ("idoit.addons", request("idoit.addons", {}),
     {"success": True, "result": [{"title": "Api", "key": "api", "version": "1.14.1",
                                   "author": {"name": "synetics GmbH"}, "licensed": True, "active": True,
                                   "installed": True}]}, nothing, {"success": True}),
    ("idoit.license", request("idoit.license", {}),
     {"objectCapacity": {"total": 5002, "inUse": 1}, "addons": {}, "licenses": []}, nothing, {}),
    ("cmdb.object.create", request("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "My little server"}),
     {"id": 28, "message": "Object was successfully created", "success": True}, nothing,
     {"message": "Object was successfully created", "success": True}),
    ("cmdb.object.read", request("cmdb.object.read", {"id": 1000}),
     {"id": 1000, "title": "ESXi1", "sysid": "VHOST_1426338622", "objecttype": 58, "type_title": "Virtual host",
      "type_icon": "images/icons/silk/server_database.png", "status": 2, "cmdb_status": 6,
      "cmdb_status_title": "in operation", "created": "2023-07-11 14:07:04",
      "image": "http://demo.synetics.int/pro/images/objecttypes/server.png"}, server_with_model,
     {"cmdb_status_title": "in operation", "status": 2}),
    ("cmdb.object.update", request("cmdb.object.update", {"id": 42, "title": "Your little server"}),
     {"message": "Object title was successfully updated", "success": True}, server_with_model,
     {"message": "Object title was successfully updated", "success": True}),
    ("cmdb.object.delete (seed)", request("cmdb.object.delete", {"id": 42, "status": "C__RECORD_STATUS__ARCHIVED"}),
     STEP_ANSWER, object_in_state(None), {"success": True}),
    ("cmdb.object.delete (current)", request("cmdb.object.delete", {"id": 42}),
     STEP_ANSWER, object_in_state(None), {"success": True}),
    ("cmdb.object.recycle (seed)", request("cmdb.object.recycle", {"object": 464}), STEP_ANSWER,
     object_in_state("C__RECORD_STATUS__ARCHIVED"), {"success": True, "message": "Object {464} has been recycled."}),
    ("cmdb.object.recycle (current)",
     request("cmdb.object.recycle", {"object": 28, "status": "C__RECORD_STATUS__ARCHIVED"}), STEP_ANSWER,
     object_in_state("C__RECORD_STATUS__DELETED"), {"success": True, "message": "Object {28} has been recycled."}),
    ("cmdb.object.archive", request("cmdb.object.archive", {"object": 464}), STEP_ANSWER, object_in_state(None),
     {"success": True, "message": "Object {464} has been archived."}),
    ("cmdb.object.purge", request("cmdb.object.purge", {"object": 464}), STEP_ANSWER,
     object_in_state("C__RECORD_STATUS__DELETED"), {"success": True, "message": "Object {464} has been purged."}),
    ("cmdb.object.markAsTemplate", request("cmdb.object.markAsTemplate", {"object": 465}), STEP_ANSWER,
     object_in_state(None), {"success": True, "message": "Object {465} has been marked as template."}),
    ("cmdb.object.markAsMassChangeTemplate", request("cmdb.object.markAsMassChangeTemplate", {"object": 465}),
     STEP_ANSWER, object_in_state(None),
     {"success": True, "message": "Object {465} has been marked as mass change template."}),
    ("cmdb.objects.read (seed)", request("cmdb.objects.read", {
        "filter": {"type": "C__OBJTYPE__SERVER", "status": "C__RECORD_STATUS__ARCHIVED",
                   "cmdb_status_title": "in operation"},
        "limit": "0,10", "order_by": "title", "sort": "ASC"}), [OBJECT_ROW], an_archived_server, {}),
    ("cmdb.objects.read (current)", request("cmdb.objects.read", {
        "filter": {"type": "C__OBJTYPE__SERVER", "status": "C__RECORD_STATUS__ARCHIVED"},
        "limit": "0,10", "order_by": "title", "sort": "ASC"}), [OBJECT_ROW], an_archived_server, {}),
    ("cmdb.category.save (create)", request("cmdb.category.save", {
        "object": 456, "data": {"title": "Name of the access", "description": "description of the access"},
        "category": "C__CATG__ACCESS"}),
     {"success": True, "message": "Category entry successfully saved", "entry": 35}, server_with_model,
     {"success": True, "message": "Category entry successfully saved"}),
    ("cmdb.category.save (update)", request("cmdb.category.save", {
        "object": 456, "data": {"manufacturer": "Name of manufacturer", "title": "Name of model"},
        "category": "C__CATG__MODEL", "entry": 24}),
     {"success": True, "message": "Category entry successfully saved", "entry": 24}, server_with_model,
     {"success": True, "entry": "{24}"}),
    ("cmdb.category.create", request("cmdb.category.create", {
        "objID": 42, "data": {"manufacturer": "Name of manufacturer", "title": "Name of model"},
        "category": "C__CATG__MODEL"}),
     {"message": "Category entry successfully created.", "success": True}, server_42,
     {"success": True}),
    ("cmdb.category.read", request("cmdb.category.read", {"objID": 1000, "category": "C__CATG__MODEL"}),
     [ENTRY], server_with_model, {}),
    ("cmdb.category.update", request("cmdb.category.update", {
        "objID": 42, "category": "C__CATG__MODEL", "data": {"serial": "123abc"}}),
     {"success": True, "message": "Category entry successfully saved"}, server_with_model,
     # Current i-doit appends its deprecation notice to the printed message.
     {"success": True, "message": "Category entry successfully saved [This method is deprecated and will be removed"
                                  " in a future release. Use 'cmdb.category.save' instead.]"}),
    ("cmdb.category.delete", request("cmdb.category.delete", {"objID": 42, "category": "C__CATG__IP", "cateID": 3}),
     STEP_ANSWER, server_with_entries("normal"),
     {"success": True, "message": "Category entry '{3}' successfully deleted"}),
    ("cmdb.category.quickpurge", request("cmdb.category.quickpurge", {
        "objID": 42, "category": "C__CATG__IP", "cateID": 3}), STEP_ANSWER, server_with_entries("normal"),
     {"success": True, "message": "Category entry '{3}' successfully purged"}),
    ("cmdb.category.purge (multi)", request("cmdb.category.purge", {
        "object": 456, "category": "C__CATG__ACCESS", "entry": 33}), STEP_ANSWER, server_with_entries("deleted"),
     {"success": True, "message": "Entry {33} has been successfully purged from 4 to 5."}),
    ("cmdb.category.purge (single)", request("cmdb.category.purge", {
        "object": 456, "category": "C__CATG__MODEL", "entry": 24}), STEP_ANSWER, server_with_model,
     {"success": True, "message": "Entry {24} has been successfully purged from 2 to 5."}),
    ("cmdb.category.recycle (seed)", request("cmdb.category.recycle", {
        "object": 456, "category": "C__CATG__ACCESS", "entry": 32}), STEP_ANSWER, server_with_entries("deleted"),
     {"success": True, "message": "Entry {32} has been successfully recycled from 4 to 2."}),
    ("cmdb.category.recycle (current)", request("cmdb.category.recycle", {
        "object": 456, "category": "C__CATG__ACCESS", "entry": 32}), STEP_ANSWER, server_with_entries("archived"),
     {"success": True, "message": "Entry {32} has been successfully recycled from 3 to 2."}),
    ("cmdb.category.archive", request("cmdb.category.archive", {
        "object": 456, "category": "C__CATG__ACCESS", "entry": 32}), STEP_ANSWER, server_with_entries("normal"),
     {"success": True, "message": "Entry {32} has been successfully archived from 2 to 3."}),
    ("cmdb.dialog.read", request("cmdb.dialog.read", {"category": "C__CATG__CPU", "property": "manufacturer"}),
     [{"id": "1", "const": "", "title": "AMD"}], nothing, {}),
    ("cmdb.dialog.create", request("cmdb.dialog.create", {
        "category": "C__CATG__CPU", "property": "manufacturer", "value": "IBM"}),
     {"success": True, "entry_id": 3}, nothing, {"success": True}),
    ("cmdb.dialog.update (seed)", request("cmdb.dialog.update", {
        "category": "C__CATG__CPU", "property": "manufacturer", "entry_id": "3", "value": "IBM 2"}),
     {"success": True, "entry_id": 3}, manufacturer_3, {"success": True, "entry_id": "{3}"}),
    ("cmdb.dialog.update (current)", request("cmdb.dialog.update", {
        "category": "C__CATG__CPU", "property": "manufacturer", "entry_id": 3, "value": "IBM"}),
     {"success": True}, manufacturer_3, {"success": True}),
    ("cmdb.dialog.delete", request("cmdb.dialog.delete", {
        "category": "C__CATG__CPU", "property": "manufacturer", "entry_id": 3, "value": "IBM"}),
     {"success": True}, manufacturer_3, {"success": True, "entry_id": "{3}"}),
    ("cmdb.reports.read", request("cmdb.reports.read", {}),
     [{"id": "11", "category": "Changes", "title": "Changed objects from today",
       "description": "Shows objects which have been created or changed for today. Relation objects are excluded.",
       "created": "2016-08-31 15:23:17"}], nothing, {}),
    ("cmdb.reports.read (seed, id)", request("cmdb.reports.read", {"id": "3"}),
     [{"Title": "backup001", "Object type": "LC__CMDB__OBJTYPE__SERVER", "Last change": "2020-02-14 - 08:34",
       "Last change by": "admin"}], a_report, {}),
    ("cmdb.reports (current, limit)", request("cmdb.reports", {"id": 1, "limit": 2, "offset": 2}),
     [{"Title": "admin "}], a_report, {}),
    ("cmdb.status.read", request("cmdb.status.read", {}),
     [{"id": 1, "title": "planned", "constant": "C__CMDB_STATUS__PLANNED", "color": "EFAA43", "editable": True}],
     nothing, {}),
    ("cmdb.object_types", request("cmdb.object_types", {"filter": {"id": 5}, "countobjects": True}),
     [{"id": "5", "title": "Server", "container": "0", "const": "C__OBJTYPE__SERVER", "color": "A2BCFA",
       "image": "x", "icon": "x", "tree_group": "2", "status": "2", "type_group": "2",
       "type_group_title": "Infrastructure", "objectcount": "1"}], nothing, {}),
    ("cmdb.object_type_groups", request("cmdb.object_type_groups", {"filter": {"ids": [1, 2, 3, 4, 1000]},
                                                                    "raw": False}),
     [{"id": "1", "title": "Software", "const": "C__OBJTYPE_GROUP__SOFTWARE", "status": "2"}], nothing, {}),
    ("cmdb.object_type_categories", request("cmdb.object_type_categories", {"type": 14}),
     {"catg": [{"id": "31", "title": "Overview page", "const": "C__CATG__OVERVIEW", "multi_value": "0",
                "source_table": "isys_catg_overview"}],
      "cats": [{"id": "8", "title": "Emergency plan", "const": "C__CATS__EMERGENCY_PLAN", "multi_value": "0",
                "source_table": "isys_cats_emergency_plan_list"}]}, nothing, {}),
    ("cmdb.category_info.read", request("cmdb.category_info.read", {"catgID": 1}),
     {"title": {"title": "Title", "check": {}, "info": {"type": "text"}, "data": {"type": "text"},
                "ui": {"type": "text"}}}, nothing, {}),
    ("cmdb.condition.read", request("cmdb.condition.read", {"conditions": [
        {"property": "C__CATG__GLOBAL-type", "comparison": "=", "value": "C__OBJTYPE__CLIENT"},
        {"property": "C__CATG__ACCOUNTING-inventory_no", "comparison": "like", "value": "*"},
        {"property": "C__CATG__GLOBAL-title", "comparison": "like", "value": "*serv*"}]}),
     [{"title": "Client01", "sysid": "SYSID_1651224253", "created": "2022-04-29 11:23:47",
       "type_title": "Client", "cmdb_status_title": "in operation"}], clients_for_condition, {}),
    ("cmdb.location_tree", request("cmdb.location_tree", {"id": 31}),
     [{"id": 33, "title": "Building 1", "sysid": "SYSID_1691739706", "type": 3, "type_title": "Building",
       "status": 2, "cmdb_status": 6, "cmdb_status_title": "in operation"}], a_city_with_buildings, {}),
    ("cmdb.logbook.read", request("cmdb.logbook.read", {"id": 2, "since": "1660203634", "status": 2}),
     [{"logbook_id": "20", "logbook_catg_id": "17", "comment": "", "description": "", "changes": {},
       "date": "2023-08-11 09:41:16", "username": "admin", "event": "C__LOGBOOK_EVENT__CATEGORY_CHANGED",
       "object_id": "33", "object_title": "Building 1", "object_title_static": "", "source": "Internal",
       "source_constant": "C__LOGBOOK_SOURCE__INTERNAL", "level_id": "1"}], a_logbook_entry, {}),
]


def _fixed(value: Any, ids: dict[Any, Any]) -> Any:
    """A documented fixed value, with {n} standing for the id example number n maps to."""
    if not isinstance(value, str) or "{" not in value:
        return value
    for number, real in ids.items():
        value = value.replace(f"{{{number}}}", str(real))
    return int(value) if value.isdigit() else value


@pytest.mark.parametrize("name, example, documented, setup, fixed", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_reference_example(rpc, name, example, documented, setup, fixed):
    ids = setup(rpc)
    result = send_example(rpc, example, ids)["result"]
    assert_like(result, documented)
    if isinstance(documented, list):
        assert result, f"{name}: the example's data exists, so the answer must not be empty"
    for key, value in fixed.items():
        assert result[key] == _fixed(value, ids), (key, result)


def test_login_example_sequence(rpc, org):
    login = request("idoit.login", {})
    headers = {"X-RPC-Auth-Username": org.admin.login, "X-RPC-Auth-Password": org.admin.password}
    response = rpc.send({**login, "params": {**login["params"], "apikey": rpc.apikey}}, headers=headers)
    answer = response.json()["result"]
    assert_like(answer, {"result": True, "userid": "9", "name": "x", "mail": "x", "username": "admin",
                         "session-id": "x", "client-id": "1", "client-name": "x"})
    session = {"X-RPC-Auth-Session": response.headers["X-RPC-Auth-Session"]}
    version = send_example(rpc, {**request("idoit.version", {}), "id": 2}, {}, headers=session)
    assert version["result"]["login"]["username"] == org.admin.login
    logout = send_example(rpc, {**request("idoit.logout", {}), "id": 3}, {}, headers=session)
    assert logout["result"] == {"message": "Logout successfull", "result": True}
