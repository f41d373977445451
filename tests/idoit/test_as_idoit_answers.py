"""The i-doit face as i-doit itself answers: its own ids and constants of fixed lists, values given
as constants, virtual categories, request ids and batches, sessions, dialogs, the shapes clients
parse, and every category constant current i-doit answers to."""

from __future__ import annotations

import pytest
from idoit_scaleup import IDoitCpu, IDoitIP, IDoitMemory, IDoitNetworkPort, IDoitStorageDevice

from tests.idoit.conftest import PATH
from tests.idoit.test_objects import new_object

VIRTUAL = [
    "C__CATG__CABLING", "C__CATG__CABLE_CONNECTION", "C__CATG__CLUSTER_SHARED_STORAGE", "C__CATG__CLUSTER_VITALITY",
    "C__CATG__CLUSTER_SHARED_VIRTUAL_SWITCH", "C__CATG__DATABASE_FOLDER", "C__CATG__JDISC_DISCOVERY",
    "C__CATG__LIVESTATUS", "C__CATG__MULTIEDIT", "C__CATG__NDO", "C__CATG__NET_ZONE", "C__CATG__NET_ZONE_SCOPES",
    "C__CATG__OBJECT_VITALITY", "C__CATG__RACK_VIEW", "C__CATG__SANPOOL", "C__CATG__STACK_MEMBERSHIP",
    "C__CATG__STACK_PORT_OVERVIEW", "C__CATG__STORAGE", "C__CATG__VIRTUAL_AUTH", "C__CATG__VIRTUAL_SUPERNET",
    "C__CATG__VIRTUAL_TICKETS", "C__CATG__VRRP_VIEW", "C__CATS__BASIC_AUTH", "C__CATS__CHASSIS_CABLING",
    "C__CATS__PDU_OVERVIEW",
]
DEPRECATED = " [This method is deprecated and will be removed in a future release. Use 'cmdb.category.save' instead.]"


def save(rpc, object_id: int, category: str, data: dict) -> int:
    return rpc.result("cmdb.category.save", {"object": object_id, "category": category, "data": data})["entry"]


def read(rpc, object_id: int, category: str) -> list[dict]:
    return rpc.result("cmdb.category.read", {"objID": object_id, "category": category})


def dialog(rpc, category: str, attribute: str, **params) -> list[dict]:
    return rpc.result("cmdb.dialog.read", {"category": category, "property": attribute, **params})


# --- 1. system dialogs carry i-doit's ids and constants ----------------------------------------------


@pytest.mark.parametrize("category, data, shown", [
    ("C__CATG__IP", {"net_type": 1}, {"net_type": ("1", "C__CATS_NET_TYPE__IPV4", "IPv4 (Internet Protocol v4)")}),
    ("C__CATG__IP", {"net_type": 1000, "ipv4_assignment": 2},
     {"net_type": ("1000", "C__CATS_NET_TYPE__IPV6", "IPv6 (Internet Protocol v6)"),
      "ipv4_assignment": ("2", "C__CATP__IP__ASSIGN__STATIC", "static")}),
    ("C__CATG__NETWORK_PORT", {"title": "eth0", "port_type": 3, "speed_type": 3},
     {"port_type": ("3", "C__PORT_TYPE__ETHERNET", "Ethernet")}),
    ("C__CATG__MEMORY", {"capacity": 16, "unit": 3}, {"unit": ("3", "C__MEMORY_UNIT__GB", "GB")}),
    ("C__CATG__CPU", {"frequency": 2.4, "frequency_unit": "3"},
     {"frequency_unit": ("3", "C__FREQUENCY_UNIT__GHZ", "GHz")}),
    ("C__CATG__FORMFACTOR", {"formfactor": 1}, {"formfactor": ("1", "C__FORMFACTOR_TYPE__19INCH", '19"')}),
])
def test_fixed_lists_take_the_ids_idoit_ships(rpc, category, data, shown):
    server = new_object(rpc, "fixed lists")
    save(rpc, server, category, data)
    (row,) = read(rpc, server, category)
    for key, (number, const, title) in shown.items():
        assert row[key] == {"id": number, "title": title, "const": const, "title_lang": title}, key


def test_dialog_read_answers_each_entrys_constant(rpc):
    units = dialog(rpc, "C__CATG__CPU", "frequency_unit")
    assert units == [
        {"id": "1", "const": "C__FREQUENCY_UNIT__KHZ", "title": "KHz"},
        {"id": "2", "const": "C__FREQUENCY_UNIT__MHZ", "title": "MHz"},
        {"id": "3", "const": "C__FREQUENCY_UNIT__GHZ", "title": "GHz"},
        {"id": "4", "const": "C__FREQUENCY_UNIT__THZ", "title": "THz"},
    ]
    relation_types = dialog(rpc, "C__CATG__RELATION", "relation_type")
    assert {"id": "10", "const": "C__RELATION_TYPE__LOCATION", "title": "Location"} in relation_types
    weightings = dialog(rpc, "C__CATG__RELATION", "weighting")
    assert weightings[0] == {"id": "1", "const": "C__WEIGHTING__1", "title": "1 - very important"}


def test_object_types_and_relation_types_carry_idoits_ids(rpc):
    types = {row["const"]: row["id"] for row in rpc.result("cmdb.object_types")}
    assert (types["C__OBJTYPE__SERVER"], types["C__OBJTYPE__SWITCH"], types["C__OBJTYPE__LOCATION_GENERIC"],
            types["C__OBJTYPE__RELATION"], types["C__OBJTYPE__WORKSTATION"]) == ("5", "6", "30", "60", "71")
    contract = new_object(rpc, "a contract", "C__OBJTYPE__MAINTENANCE")
    assert rpc.result("cmdb.object.read", {"id": contract})["objecttype"] == 28
    constants = rpc.result("idoit.constants")
    assert constants["relationTypes"]["C__RELATION_TYPE__SOFTWARE"] == "Software assignment"
    assert constants["objectTypes"]["C__OBJTYPE__HOST"] == "Host"


# --- 2. a value given as a constant selects the existing entry ----------------------------------------


def test_a_constant_selects_the_entry_and_creates_none(rpc):
    server = new_object(rpc, "by constant")
    before = dialog(rpc, "C__CATG__CPU", "frequency_unit")
    save(rpc, server, "C__CATG__CPU", {"frequency": 3.2, "frequency_unit": "C__FREQUENCY_UNIT__GHZ"})
    assert read(rpc, server, "C__CATG__CPU")[0]["frequency_unit"]["title"] == "GHz"
    assert dialog(rpc, "C__CATG__CPU", "frequency_unit") == before
    error = rpc.error("cmdb.category.save", {"object": server, "category": "C__CATG__CPU",
                                             "data": {"frequency_unit": "C__FREQUENCY_UNIT__PHZ"}})
    assert error["code"] == -32602 and error["data"]["parameter"] == "data.frequency_unit"
    assert dialog(rpc, "C__CATG__CPU", "frequency_unit") == before


# --- 3. virtual categories ------------------------------------------------------------------------------


@pytest.mark.parametrize("category", VIRTUAL)
def test_virtual_categories_answer_the_system_error(rpc, category):
    server = new_object(rpc, "virtual")
    assert rpc.error("cmdb.category_info", {"category": category})["code"] == -32099
    assert rpc.error("cmdb.category.read", {"objID": server, "category": category})["code"] == -32099
    assert category in rpc.result("idoit.constants")["categories"][category[6].lower()]


# --- 4. request identifiers and batches ----------------------------------------------------------------


@pytest.mark.parametrize("empty_id", [None, ""])
def test_a_null_or_empty_id_in_a_batch_is_an_error_of_that_call(rpc, empty_id):
    good = rpc.request_body("idoit.version")
    bad = {**rpc.request_body("idoit.version"), "id": empty_id}
    answers = rpc.send([good, bad]).json()
    assert answers[0]["id"] == good["id"] and "result" in answers[0]
    assert answers[1]["id"] is None and answers[1]["error"]["code"] == -32603


# --- 5. sessions ---------------------------------------------------------------------------------------


def test_the_session_header_is_answered_and_echoed(rpc, org):
    credentials = {"X-RPC-Auth-Username": org.admin.login, "X-RPC-Auth-Password": org.admin.password}
    response = rpc.send(rpc.request_body("idoit.login"), headers=credentials)
    token = response.json()["result"]["session-id"]
    assert response.headers["X-RPC-Auth-Session"] == token
    session = {"X-RPC-Auth-Session": token}
    batch = rpc.send([rpc.request_body("idoit.version"), rpc.request_body("cmdb.object_types")], headers=session)
    assert batch.headers["X-RPC-Auth-Session"] == token
    assert batch.json()[0]["result"]["login"]["username"] == org.admin.login
    assert "X-RPC-Auth-Session" not in rpc.send(rpc.request_body("idoit.version")).headers


# --- 6. dialogs ------------------------------------------------------------------------------------------


def test_dialog_create_answers_an_integer_and_lists_stay_in_id_order(rpc):
    first = rpc.result("cmdb.dialog.create", {"category": "C__CATG__CPU", "property": "manufacturer",
                                              "value": "Zilog"})
    second = rpc.result("cmdb.dialog.create", {"category": "C__CATG__CPU", "property": "manufacturer",
                                               "value": "Acorn"})
    assert isinstance(first["entry_id"], int) and second["entry_id"] == first["entry_id"] + 1
    listed = dialog(rpc, "C__CATG__CPU", "manufacturer")
    ids = [int(row["id"]) for row in listed]
    assert ids == sorted(ids) and listed[-1] == {"id": str(second["entry_id"]), "const": "", "title": "Acorn"}
    assert all(isinstance(row["id"], str) for row in listed)


def test_dependent_lists_carry_their_parent_as_an_object(rpc):
    make = rpc.result("cmdb.dialog.create", {"category": "C__CATG__MODEL", "property": "manufacturer",
                                             "value": "74"})["entry_id"]
    by_title = rpc.result("cmdb.dialog.create", {"category": "C__CATG__MODEL", "property": "title",
                                                 "value": "Model by title", "parent": "74"})["entry_id"]
    by_id = rpc.result("cmdb.dialog.create", {"category": "C__CATG__MODEL", "property": "title",
                                              "value": "Model by id", "parent": make})["entry_id"]
    orphan = rpc.result("cmdb.dialog.create", {"category": "C__CATG__MODEL", "property": "title",
                                               "value": "Model alone"})["entry_id"]
    listed = {row["id"]: row for row in dialog(rpc, "C__CATG__MODEL", "title")}
    parent = {"id": str(make), "const": "", "title": "74"}
    assert listed[str(by_title)]["parent"] == parent and listed[str(by_id)]["parent"] == parent
    assert listed[str(orphan)]["parent"] == {"id": None, "const": "", "title": ""}
    for unknown in (make + 1000, "no such maker"):
        error = rpc.error("cmdb.dialog.create", {"category": "C__CATG__MODEL", "property": "title",
                                                 "value": "Lost", "parent": unknown})
        assert error["code"] == -32602 and error["data"]["parameter"] == "parent"


# --- 7. shapes clients parse ----------------------------------------------------------------------------


def test_deprecated_create_and_update_answer_the_notice(rpc):
    server = new_object(rpc, "deprecated")
    created = rpc.result("cmdb.category.create", {"objID": server, "category": "C__CATG__MODEL",
                                                  "data": {"serial": "A1"}})
    assert created["message"] == "Category entry successfully created." + DEPRECATED
    updated = rpc.result("cmdb.category.update", {"objID": server, "category": "C__CATG__MODEL",
                                                  "data": {"serial": "A2"}})
    assert updated["message"] == "Category entry successfully saved" + DEPRECATED


def test_values_with_units_and_yes_no_values_answer_idoits_shapes(rpc):
    server = new_object(rpc, "shapes")
    cpu_entry = save(rpc, server, "C__CATG__CPU", {"title": "Xeon", "frequency": 2.4, "frequency_unit": 3, "cores": 8})
    save(rpc, server, "C__CATG__IP", {"ipv4_address": "10.9.8.7", "primary": 1, "active": 0})
    cpu = read(rpc, server, "C__CATG__CPU")[0]
    assert cpu["frequency"] == {"title": 2.4}
    ip = read(rpc, server, "C__CATG__IP")[0]
    assert ip["primary"] == {"value": "1", "title": "Yes"} and ip["active"] == {"value": "0", "title": "No"}
    assert ip["ipv4_address"]["ref_title"] == "10.9.8.7"
    # What a client read, it may send back as it read it.
    rpc.result("cmdb.category.save", {"object": server, "category": "C__CATG__CPU", "entry": cpu_entry,
                                      "data": {"frequency": {"title": 3.0}}})
    assert read(rpc, server, "C__CATG__CPU")[0]["frequency"] == {"title": 3.0}


def test_idoit_scaleup_reads_the_categories_unchanged(rpc, base_url, apikey):
    server = new_object(rpc, "scaleup")
    save(rpc, server, "C__CATG__CPU", {"title": "EPYC", "manufacturer": "AMD", "type": "Opteron", "frequency": 2.4,
                                       "frequency_unit": "C__FREQUENCY_UNIT__GHZ", "cores": 32,
                                       "description": "two sockets"})
    save(rpc, server, "C__CATG__MEMORY", {"quantity": 4, "title": "DIMM", "manufacturer": "Samsung", "type": "DDR4",
                                          "capacity": 32, "unit": "C__MEMORY_UNIT__GB"})
    save(rpc, server, "C__CATG__STORAGE_DEVICE", {"title": "sda", "capacity": 960, "unit": 3, "hotspare": 0})
    save(rpc, server, "C__CATG__NETWORK_PORT", {"title": "eth0", "port_type": 3, "speed": 10, "speed_type": 4,
                                                "mac": "AA:BB:CC:DD:EE:01", "active": 1})
    save(rpc, server, "C__CATG__IP", {"ipv4_address": "10.1.1.1", "hostname": "scaleup", "primary": 1,
                                      "active": 1, "net_type": 1})
    cfg = {"jrpc_url": base_url + PATH, "api_key": apikey, "user": "", "password": ""}
    (cpu,) = IDoitCpu(cfg).read_categories(server)
    assert (cpu["title"], cpu["frequency"], cpu["cores"], cpu["frequency_unit"]) == ("EPYC", 2.4, 32, 3)
    (memory,) = IDoitMemory(cfg).read_categories(server)
    assert (memory["capacity"], memory["quantity"], memory["unit"]) == (32.0, 4, 3)
    (disk,) = IDoitStorageDevice(cfg).read_categories(server)
    assert (disk["title"], disk["capacity"], disk["hotspare"]) == ("sda", 960.0, 0)
    (port,) = IDoitNetworkPort(cfg).read_categories(server)
    assert (port["title"], port["speed"], port["active"], port["port_type"]) == ("eth0", 10.0, 1, 3)
    (address,) = IDoitIP(cfg).read_categories(server)
    assert (address["ipv4_address"], address["primary"], address["net_type"]) == ("10.1.1.1", 1, 1)


# --- 8. every category constant current i-doit answers to -----------------------------------------------


@pytest.mark.parametrize("current, older", [
    ("C__CATG__NETWORK_PORT", "C__CMDB__SUBCAT__NETWORK_PORT"),
    ("C__CATG__STORAGE_DEVICE", "C__CMDB__SUBCAT__STORAGE__DEVICE"),
    ("C__CATG__NETWORK_LOG_PORT", "C__CMDB__SUBCAT__NETWORK_INTERFACE_L"),
    ("C__CATG__NETWORK_INTERFACE", "C__CMDB__SUBCAT__NETWORK_INTERFACE_P"),
    ("C__CATS__LICENCE_LIST", "C__CMDB__SUBCAT__LICENCE_LIST"),
])
def test_current_and_older_spellings_are_one_category(rpc, current, older):
    server = new_object(rpc, "spellings")
    entry = save(rpc, server, current, {"description": "one"})
    assert [row["id"] for row in read(rpc, server, older)] == [str(entry)]
    assert read(rpc, server, current) == read(rpc, server, older)
    info = rpc.result("cmdb.category_info", {"category": current})
    assert info == rpc.result("cmdb.category_info", {"category": older}) and "description" in info
    both = rpc.result("cmdb.objects.read", {"filter": {"ids": [server]}, "categories": [current, older]})[0]
    assert both["categories"][current] == both["categories"][older] != []
    constants = rpc.result("idoit.constants")["categories"]
    assert current in constants[current[6].lower()] and older in constants["g"] | constants["s"]


@pytest.mark.parametrize("category, data", [
    ("C__CATG__DATABASE", {"instance_name": "PROD", "instance_type": "Primary", "port": "5432", "path": "/srv/db"}),
    ("C__CATG__DATABASE_SA", {"title": "pg", "description": "the cluster"}),
    ("C__CATG__DATABASE_TABLE", {"title": "orders", "description": "order lines"}),
])
def test_categories_of_newer_releases_answer_their_api_keys(rpc, category, data):
    info = rpc.result("cmdb.category_info", {"category": category})
    assert set(data) <= set(info)
    server = new_object(rpc, "database host")
    entry = save(rpc, server, category, data)
    (row,) = read(rpc, server, category)
    assert row["id"] == str(entry)
    for key, value in data.items():
        assert value in (row[key], (row[key] or {}).get("title") if isinstance(row[key], dict) else None), key
