"""cmdb.category.*: save/create/read/update, entry lifecycle, legacy forms, shapes vs category_info."""

from __future__ import annotations

import pytest

from tests.idoit.test_objects import new_object

NORMAL, ARCHIVED, DELETED = 2, 3, 4


@pytest.fixture
def server(rpc) -> int:
    return new_object(rpc, "cat server")


def read(rpc, object_id, category, **extra):
    return rpc.result("cmdb.category.read", {"objID": object_id, "category": category, **extra})


def save(rpc, object_id, category, data, **extra):
    return rpc.result("cmdb.category.save", {"object": object_id, "category": category, "data": data, **extra})


def test_save_single_value_twice_updates_the_same_entry(rpc, server):
    first = save(rpc, server, "C__CATG__MODEL", {"manufacturer": "Lenovo", "title": "RD350", "serial": "1"})
    assert first["success"] is True and isinstance(first["entry"], int)
    second = save(rpc, server, "C__CATG__MODEL", {"serial": "2"})
    assert second["entry"] == first["entry"]
    rows = read(rpc, server, "C__CATG__MODEL")
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == str(first["entry"]) and row["objID"] == str(server)
    assert row["serial"] == "2" and row["productid"] == ""
    assert row["manufacturer"] == {"id": row["manufacturer"]["id"], "title": "Lenovo", "const": None,
                                   "title_lang": "Lenovo"}
    assert row["title"]["title"] == "RD350"


def test_save_multi_value_creates_and_updates_by_entry(rpc, server):
    first = save(rpc, server, "C__CATG__ACCESS", {"title": "Name of the access", "description": "web"})
    second = save(rpc, server, "C__CATG__ACCESS", {"title": "ssh"})
    assert first["entry"] != second["entry"]
    save(rpc, server, "C__CATG__ACCESS", {"title": "https"}, entry=first["entry"])
    rows = read(rpc, server, "C__CATG__ACCESS")
    assert [r["title"] for r in rows] == ["https", "ssh"]


def test_values_are_checked_against_the_catalog(rpc, server):
    error = rpc.error("cmdb.category.save", {"object": server, "category": "C__CATG__MODEL", "data": {"colour": "x"}})
    assert error["code"] == -32602 and error["data"]["parameter"] == "data.colour"
    error = rpc.error("cmdb.category.save", {"object": server, "category": "C__CATG__CPU", "data": {"cores": "many"}})
    assert error["data"]["parameter"] == "data.cores"
    error = rpc.error("cmdb.category.save", {"object": server, "category": "C__CATG__ACCOUNTING",
                                             "data": {"acquirementdate": "yesterday"}})
    assert error["data"]["parameter"] == "data.acquirementdate"
    error = rpc.error("cmdb.category.save", {"object": server, "category": "C__CATG__NOPE", "data": {}})
    assert error["code"] == -32602 and error["data"]["parameter"] == "category"
    error = rpc.error("cmdb.category.save", {"object": 999999999, "category": "C__CATG__MODEL", "data": {}})
    assert error["code"] == -32099
    assert read(rpc, server, "C__CATG__MODEL") == []


def test_typed_values_read_back_as_declared(rpc, server):
    save(rpc, server, "C__CATG__CPU", {"title": "Xeon", "manufacturer": "Intel", "cores": 8, "frequency": 2.4})
    save(rpc, server, "C__CATG__ACCOUNTING", {"acquirementdate": "2024-05-01", "price": "1200.5",
                                              "inventory_no": "INV-7"})
    cpu = read(rpc, server, "C__CATG__CPU")[0]
    assert cpu["cores"] == "8" and cpu["manufacturer"]["title"] == "Intel"
    accounting = read(rpc, server, "C__CATG__ACCOUNTING")[0]
    assert accounting["acquirementdate"] == "2024-05-01" and accounting["inventory_no"] == "INV-7"
    assert float(accounting["price"]) == 1200.5


def test_object_references_read_as_object_summaries(rpc, server):
    room = new_object(rpc, "Room 1", "C__OBJTYPE__ROOM")
    save(rpc, server, "C__CATG__LOCATION", {"parent": room})
    location = read(rpc, server, "C__CATG__LOCATION")[0]
    assert location["parent"]["id"] == str(room) and location["parent"]["title"] == "Room 1"
    assert location["parent"]["type"] == "C__OBJTYPE__ROOM"
    error = rpc.error("cmdb.category.save", {"object": server, "category": "C__CATG__LOCATION",
                                             "data": {"parent": 999999999}})
    assert error["data"]["parameter"] == "data.parent"


def test_read_shapes_match_category_info(rpc, server):
    save(rpc, server, "C__CATG__MODEL", {"manufacturer": "HP", "serial": "X"})
    info = rpc.result("cmdb.category_info", {"category": "C__CATG__MODEL"})
    row = read(rpc, server, "C__CATG__MODEL")[0]
    assert set(info) == set(row) - {"id", "objID"}
    for key, declared in info.items():
        if declared["info"]["type"] == "dialog_plus":
            assert row[key] is None or set(row[key]) == {"id", "title", "const", "title_lang"}
        elif declared["data"]["type"] in ("text", "text_area"):
            assert isinstance(row[key], str)
    assert info["manufacturer"]["ui"]["type"] == "popup" and info["serial"]["ui"]["type"] == "text"


def test_global_category_reads_and_writes_the_object(rpc, server):
    rows = read(rpc, server, "C__CATG__GLOBAL")
    assert len(rows) == 1 and rows[0]["title"] == "cat server" and rows[0]["objID"] == str(server)
    save(rpc, server, "C__CATG__GLOBAL", {"title": "renamed", "description": "from global", "purpose": "Production"})
    assert rpc.result("cmdb.object.read", {"id": server})["title"] == "renamed"
    row = read(rpc, server, "C__CATG__GLOBAL")[0]
    assert row["description"] == "from global" and row["purpose"]["title"] == "Production"
    assert row["cmdb_status"]["id"] == "6" and row["type"]["const"] == "C__OBJTYPE__SERVER"


def test_legacy_create_update_and_category_ids(rpc, server):
    created = rpc.result("cmdb.category.create", {"objID": server, "category": "C__CATG__IP",
                                                  "data": {"hostname": "one"}})
    assert isinstance(created["id"], int) and created["entry"] == created["id"]
    rpc.result("cmdb.category.update", {"objID": server, "category": "C__CATG__IP",
                                        "data": {"hostname": "uno", "category_id": created["id"]}})
    assert read(rpc, server, "C__CATG__IP")[0]["hostname"] == "uno"
    error = rpc.error("cmdb.category.update", {"objID": server, "category": "C__CATG__IP", "data": {"hostname": "x"}})
    assert error["code"] == -32602 and error["data"]["parameter"] == "data.category_id"
    rpc.result("cmdb.category.create", {"objID": server, "category": "C__CATG__MODEL", "data": {"serial": "L1"}})
    rpc.result("cmdb.category.update", {"objID": server, "category": "C__CATG__MODEL", "data": {"serial": "123abc"}})
    model_id = 2  # C__CATG__MODEL is the second global category of the catalog
    rows = rpc.result("cmdb.category", {"objID": server, "catgID": model_id})
    assert rows[0]["serial"] == "123abc"
    error = rpc.error("cmdb.category.update", {"objID": server, "category": "C__CATG__ACCOUNTING", "data": {}})
    assert error["code"] == -32099


def entry_status(rpc, server, category, entry):
    for status in (NORMAL, ARCHIVED, DELETED):
        if any(r["id"] == str(entry) for r in read(rpc, server, category, status=status)):
            return status
    return None


ENTRY_STEPS = {"archive": ARCHIVED, "delete": DELETED, "recycle": NORMAL}
ENTRY_ALLOWED = {"archive": {NORMAL, DELETED}, "delete": {NORMAL, ARCHIVED}, "recycle": {ARCHIVED, DELETED}}


def _move(rpc, server, entry, target):
    if target == ARCHIVED:
        rpc.result("cmdb.category.archive", {"object": server, "category": "C__CATG__ACCESS", "entry": entry})
    elif target == DELETED:
        rpc.result("cmdb.category.archive", {"object": server, "category": "C__CATG__ACCESS", "entry": entry})
        rpc.result("cmdb.category.delete", {"objID": server, "category": "C__CATG__ACCESS", "cateID": entry})


@pytest.mark.parametrize("step", ["archive", "recycle"])
@pytest.mark.parametrize("start", [NORMAL, ARCHIVED, DELETED])
def test_multi_value_entry_lifecycle(rpc, server, step, start):
    entry = save(rpc, server, "C__CATG__ACCESS", {"title": "door"})["entry"]
    _move(rpc, server, entry, start)
    assert entry_status(rpc, server, "C__CATG__ACCESS", entry) == start
    answer = rpc.call(f"cmdb.category.{step}", {"object": server, "category": "C__CATG__ACCESS", "entry": entry})
    if start in ENTRY_ALLOWED[step]:
        target = ENTRY_STEPS[step]
        verb = "archived" if step == "archive" else "recycled"
        assert answer["result"]["message"] == f"Entry {entry} has been successfully {verb} from {start} to {target}."
        assert entry_status(rpc, server, "C__CATG__ACCESS", entry) == target
    else:
        assert answer["error"]["code"] == -32099
        assert entry_status(rpc, server, "C__CATG__ACCESS", entry) == start


def test_legacy_delete_moves_one_step_per_call(rpc, server):
    entry = save(rpc, server, "C__CATG__ACCESS", {"title": "steps"})["entry"]
    for expected in (ARCHIVED, DELETED, None):
        answer = rpc.result("cmdb.category.delete", {"objID": server, "category": "C__CATG__ACCESS", "cateID": entry})
        assert answer == {"success": True, "message": f"Category entry '{entry}' successfully deleted"}
        assert entry_status(rpc, server, "C__CATG__ACCESS", entry) == expected
    assert rpc.error("cmdb.category.delete", {"objID": server, "category": "C__CATG__ACCESS", "id": entry})[
        "code"
    ] == -32099


def test_single_value_entries_can_only_be_purged(rpc, server):
    entry = save(rpc, server, "C__CATG__MODEL", {"serial": "only purge"})["entry"]
    for method in ("cmdb.category.archive", "cmdb.category.recycle"):
        error = rpc.error(method, {"object": server, "category": "C__CATG__MODEL", "entry": entry})
        assert error["code"] == -32099
    answer = rpc.result("cmdb.category.purge", {"object": server, "category": "C__CATG__MODEL", "entry": entry})
    assert answer["message"] == f"Entry {entry} has been successfully purged from 2 to 5."
    assert read(rpc, server, "C__CATG__MODEL") == []


def test_purge_and_quickpurge_of_multi_value_entries(rpc, server):
    first = save(rpc, server, "C__CATG__IP", {"hostname": "p1"})["entry"]
    second = save(rpc, server, "C__CATG__IP", {"hostname": "p2"})["entry"]
    rpc.result("cmdb.category.archive", {"object": server, "category": "C__CATG__IP", "entry": first})
    answer = rpc.result("cmdb.category.purge", {"object": server, "category": "C__CATG__IP", "entry": first})
    assert answer["message"] == f"Entry {first} has been successfully purged from 3 to 5."
    answer = rpc.result("cmdb.category.quickpurge", {"objID": server, "category": "C__CATG__IP", "cateID": second})
    assert answer["message"] == f"Category entry '{second}' successfully purged"
    assert read(rpc, server, "C__CATG__IP") == []
    error = rpc.error("cmdb.category.purge", {"object": server, "category": "C__CATG__IP", "entry": second})
    assert error["code"] == -32099


def test_read_status_parameter(rpc, server):
    entry = save(rpc, server, "C__CATG__ACCESS", {"title": "archived one"})["entry"]
    rpc.result("cmdb.category.archive", {"object": server, "category": "C__CATG__ACCESS", "entry": entry})
    assert read(rpc, server, "C__CATG__ACCESS") == []
    assert [r["title"] for r in read(rpc, server, "C__CATG__ACCESS", status=3)] == ["archived one"]
    error = rpc.error("cmdb.category.read", {"objID": server, "category": "C__CATG__ACCESS", "status": 9})
    assert error["code"] == -32602 and error["data"]["parameter"] == "status"


def test_language_translates_titles(rpc, server):
    rpc.apikey = rpc.apikey
    body = rpc.request_body("cmdb.category_info", {"category": "C__CATG__MODEL"})
    body["params"]["language"] = "de"
    info = rpc.send(body).json()["result"]
    assert info["serial"]["title"] == "Seriennummer"
    body = rpc.request_body("idoit.constants")
    body["params"]["language"] = "de"
    constants = rpc.send(body).json()["result"]
    assert constants["objectTypes"]["C__OBJTYPE__PRINTER"] == "Drucker"
    english = rpc.result("idoit.constants")
    assert english["objectTypes"]["C__OBJTYPE__PRINTER"] == "Printer"
    assert rpc.result("cmdb.category_info", {"category": "C__CATG__MODEL"})["serial"]["title"] == "Serial number"
