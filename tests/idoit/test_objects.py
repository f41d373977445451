"""cmdb.object.* and cmdb.objects.read: shapes, lifecycle rules, filters, paging, ordering."""

from __future__ import annotations

import pytest
from sqlalchemy import text

NORMAL, ARCHIVED, DELETED, TEMPLATE, MASS = 2, 3, 4, 6, 7
READ_KEYS = {"id", "title", "sysid", "objecttype", "type_title", "type_icon", "status", "cmdb_status",
             "cmdb_status_title", "created", "image"}


def new_object(rpc, title="srv", type_="C__OBJTYPE__SERVER", **extra) -> int:
    return rpc.result("cmdb.object.create", {"type": type_, "title": title, **extra})["id"]


def status_of(rpc, object_id) -> int:
    return rpc.result("cmdb.object.read", {"id": object_id})["status"]


def test_create_answers_an_integer_id_and_read_has_exactly_the_documented_keys(rpc):
    created = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "My little server"})
    assert created["success"] is True and created["message"] == "Object was successfully created"
    assert isinstance(created["id"], int)
    read = rpc.result("cmdb.object.read", {"id": created["id"]})
    assert set(read) == READ_KEYS
    assert read["id"] == created["id"] and read["objecttype"] == 5
    assert read["status"] == 2 and read["cmdb_status"] == 6 and read["cmdb_status_title"] == "in operation"
    assert read["type_title"] == "Server" and read["sysid"]


def test_create_by_type_id_with_sysid_status_and_cmdb_status(rpc):
    object_id = new_object(rpc, "planned box", 10, sysid="CLIENT-0001", status="C__RECORD_STATUS__TEMPLATE",
                           cmdb_status="C__CMDB_STATUS__PLANNED")
    read = rpc.result("cmdb.object.read", {"id": object_id})
    assert read["sysid"] == "CLIENT-0001" and read["status"] == TEMPLATE and read["cmdb_status"] == 1
    assert read["type_title"] == "Client"
    error = rpc.error("cmdb.object.create", {"type": "C__OBJTYPE__CLIENT", "title": "again", "sysid": "CLIENT-0001"})
    assert error["code"] == -32099


def test_sysids_are_generated_per_type_and_unique(rpc):
    first, second = new_object(rpc, "a"), new_object(rpc, "b", "C__OBJTYPE__CLIENT")
    sysids = {rpc.result("cmdb.object.read", {"id": i})["sysid"] for i in (first, second)}
    assert len(sysids) == 2
    assert any(s.startswith("SERV") for s in sysids) and any(s.startswith("CLIE") for s in sysids)


def test_create_with_categories_answers_the_created_entry_ids(rpc):
    created = rpc.result("cmdb.object.create", {
        "type": "C__OBJTYPE__SERVER", "title": "with cats",
        "categories": {"C__CATG__MODEL": [{"manufacturer": "Dell", "serial": "S-1"}],
                       "C__CATG__IP": [{"hostname": "a"}, {"hostname": "b"}]},
    })
    assert len(created["categories"]["C__CATG__MODEL"]) == 1
    assert len(created["categories"]["C__CATG__IP"]) == 2
    assert all(isinstance(i, int) for i in created["categories"]["C__CATG__IP"])
    model = rpc.result("cmdb.category.read", {"objID": created["id"], "category": "C__CATG__MODEL"})
    assert model[0]["serial"] == "S-1" and model[0]["manufacturer"]["title"] == "Dell"


@pytest.mark.parametrize("params, parameter", [
    ({"type": "C__OBJTYPE__NOPE", "title": "x"}, "type"),
    ({"type": "C__OBJTYPE__SERVER", "title": ""}, "title"),
    ({"type": "C__OBJTYPE__SERVER", "title": "x", "cmdb_status": 99}, "cmdb_status"),
    ({"type": "C__OBJTYPE__SERVER", "title": "x", "status": "C__RECORD_STATUS__NOPE"}, "status"),
    ({"type": "C__OBJTYPE__SERVER", "title": "x", "categories": {"C__CATG__NOPE": [{}]}}, "categories.C__CATG__NOPE"),
])
def test_create_refuses_bad_input_naming_the_parameter(rpc, params, parameter):
    error = rpc.error("cmdb.object.create", params)
    assert error["code"] == -32602 and error["data"]["parameter"] == parameter


def test_read_of_unknown_object_is_an_empty_list(rpc):
    assert rpc.result("cmdb.object.read", {"id": 999999999}) == []


def test_update_changes_the_title_and_logs_it(rpc):
    object_id = new_object(rpc, "old title")
    answer = rpc.result("cmdb.object.update", {"id": object_id, "title": "Your little server"})
    assert answer == {"message": "Object title was successfully updated", "success": True}
    read = rpc.result("cmdb.object.read", {"id": object_id})
    assert read["title"] == "Your little server" and "updated" in read
    changes = rpc.result("cmdb.logbook.read", {"object_id": object_id})
    assert any(c["changes"].get("C__CATG__GLOBAL::title") == {"from": "old title", "to": "Your little server"}
               for c in changes)
    assert rpc.error("cmdb.object.update", {"id": 999999999, "title": "x"})["code"] == -32099
    assert rpc.error("cmdb.object.update", {"id": object_id})["code"] == -32602


STEPS = {
    "archive": ("cmdb.object.archive", ARCHIVED),
    "delete": ("cmdb.object.delete", DELETED),
    "recycle": ("cmdb.object.recycle", NORMAL),
    "template": ("cmdb.object.markAsTemplate", TEMPLATE),
    "mass": ("cmdb.object.markAsMassChangeTemplate", MASS),
}
ALLOWED = {
    "archive": {NORMAL, DELETED},
    "delete": {NORMAL, ARCHIVED},
    "recycle": {ARCHIVED, DELETED, TEMPLATE, MASS},
    "template": {NORMAL, MASS},
    "mass": {NORMAL, TEMPLATE},
}
START_STATUS = {NORMAL: None, ARCHIVED: "C__RECORD_STATUS__ARCHIVED", DELETED: "C__RECORD_STATUS__DELETED",
                TEMPLATE: "C__RECORD_STATUS__TEMPLATE", MASS: "C__RECORD_STATUS__MASS_CHANGES_TEMPLATE"}


def _do(rpc, step, object_id):
    method, _ = STEPS[step]
    params = {"id": object_id, "status": "C__RECORD_STATUS__DELETED"} if step == "delete" else {"object": object_id}
    return rpc.call(method, params)


@pytest.mark.parametrize("step", sorted(STEPS))
@pytest.mark.parametrize("start", sorted(START_STATUS))
def test_object_lifecycle_rules(rpc, step, start):
    extra = {"status": START_STATUS[start]} if START_STATUS[start] else {}
    object_id = new_object(rpc, f"life {step} {start}", **extra)
    assert status_of(rpc, object_id) == start
    answer = _do(rpc, step, object_id)
    if start in ALLOWED[step]:
        assert answer["result"]["success"] is True, answer
        assert status_of(rpc, object_id) == STEPS[step][1]
    else:
        assert answer["error"]["code"] == -32099, answer
        assert status_of(rpc, object_id) == start


def test_lifecycle_messages_and_repeats(rpc):
    object_id = new_object(rpc, "msgs")
    answer = rpc.result("cmdb.object.archive", {"object": object_id})
    assert answer == {"success": True, "message": f"Object {object_id} has been archived."}
    assert rpc.error("cmdb.object.archive", {"object": object_id})["code"] == -32099
    recycled = rpc.result("cmdb.object.recycle", {"object": object_id})
    assert recycled["message"] == f"Object {object_id} has been recycled."
    assert rpc.error("cmdb.object.recycle", {"object": object_id})["code"] == -32099
    assert rpc.error("cmdb.object.archive", {"object": 999999999})["code"] == -32099


@pytest.mark.parametrize("start", sorted(START_STATUS))
def test_purge_works_from_any_state_and_read_then_answers_empty(rpc, start):
    extra = {"status": START_STATUS[start]} if START_STATUS[start] else {}
    object_id = new_object(rpc, "purge me", **extra)
    rpc.result("cmdb.category.save", {"object": object_id, "category": "C__CATG__MODEL", "data": {"serial": "P1"}})
    assert rpc.result("cmdb.object.purge", {"object": object_id})["message"] == f"Object {object_id} has been purged."
    assert rpc.result("cmdb.object.read", {"id": object_id}) == []
    assert rpc.error("cmdb.object.purge", {"object": object_id})["code"] == -32099
    assert rpc.result("idoit.search", {"q": "purge me"}) == []


@pytest.mark.parametrize("status, expected", [
    ("C__RECORD_STATUS__ARCHIVED", ARCHIVED),
    ("C__RECORD_STATUS__ARCHIVE", ARCHIVED),
    ("C__RECORD_STATUS__DELETED", DELETED),
])
def test_legacy_delete_with_status(rpc, status, expected):
    object_id = new_object(rpc, "legacy")
    rpc.result("cmdb.object.delete", {"id": object_id, "status": status})
    assert status_of(rpc, object_id) == expected


def test_legacy_delete_purge_and_bad_status(rpc):
    object_id = new_object(rpc, "legacy purge")
    assert rpc.error("cmdb.object.delete", {"id": object_id, "status": "C__RECORD_STATUS__NORMAL"})["code"] == -32602
    rpc.result("cmdb.object.delete", {"id": object_id, "status": "C__RECORD_STATUS__PURGE"})
    assert rpc.result("cmdb.object.read", {"id": object_id}) == []


# --- cmdb.objects.read ----------------------------------------------------------------------------


@pytest.fixture
def fleet(rpc):
    ids = {
        "alpha": new_object(rpc, "alpha", sysid="FLEET-A"),
        "bravo": new_object(rpc, "bravo"),
        "charlie": new_object(rpc, "charlie", "C__OBJTYPE__CLIENT", cmdb_status=7),
        "delta": new_object(rpc, "delta", status="C__RECORD_STATUS__ARCHIVED"),
    }
    return ids


def titles(rows):
    return [row["title"] for row in rows]


def test_objects_read_shape_and_type_filters(rpc, fleet):
    rows = rpc.result("cmdb.objects.read", {"filter": {"ids": list(fleet.values())}})
    assert titles(rows) == ["alpha", "bravo", "charlie", "delta"]
    row = rows[0]
    assert isinstance(row["id"], int) and row["type"] == 5 and row["type_group_title"] == "Infrastructure"
    assert isinstance(row["status"], int) and isinstance(row["cmdb_status"], int)
    servers = rpc.result("cmdb.objects.read", {"filter": {"ids": list(fleet.values()), "type": "C__OBJTYPE__SERVER"}})
    assert titles(servers) == ["alpha", "bravo", "delta"]
    by_id = rpc.result("cmdb.objects.read", {"filter": {"ids": list(fleet.values()), "type": 10}})
    assert titles(by_id) == ["charlie"]
    by_title = rpc.result("cmdb.objects.read", {"filter": {"ids": list(fleet.values()), "type_title": "Client"}})
    assert titles(by_title) == ["charlie"]
    group = rpc.result("cmdb.objects.read", {"filter": {"ids": list(fleet.values()),
                                                        "type_group": "C__OBJTYPE_GROUP__INFRASTRUCTURE"}})
    assert len(group) == 4


def test_objects_read_other_filters(rpc, fleet):
    ids = list(fleet.values())
    assert titles(rpc.result("cmdb.objects.read", {"filter": {"ids": ids, "title": "bravo"}})) == ["bravo"]
    assert titles(rpc.result("cmdb.objects.read", {"filter": {"ids": ids, "sysid": "FLEET-A"}})) == ["alpha"]
    archived = rpc.result("cmdb.objects.read", {"filter": {"ids": ids, "status": "C__RECORD_STATUS__ARCHIVED"}})
    assert titles(archived) == ["delta"]
    assert titles(rpc.result("cmdb.objects.read", {"filter": {"ids": ids, "status": 2, "cmdb_status": 7}})) == [
        "charlie"
    ]
    assert titles(rpc.result("cmdb.objects.read", {"filter": {"ids": ids, "cmdb_status_title": "defect"}})) == [
        "charlie"
    ]


def test_objects_read_person_filters(rpc):
    person = new_object(rpc, "John Doe", "C__OBJTYPE__PERSON")
    rpc.result("cmdb.category.save", {"object": person, "category": "C__CATS__PERSON_MASTER",
                                      "data": {"first_name": "John", "last_name": "Doe", "mail": "john@example.com"}})
    for key, value in (("first_name", "John"), ("last_name", "Doe"), ("email", "john@example.com")):
        found = rpc.result("cmdb.objects.read", {"filter": {key: value, "type": "C__OBJTYPE__PERSON"}})
        assert [row["id"] for row in found] == [person]
    assert rpc.result("cmdb.objects.read", {"filter": {"first_name": "Jane"}}) == []


def test_objects_read_limit_order_and_sort(rpc, fleet):
    ids = list(fleet.values())
    assert titles(rpc.result("cmdb.objects.read", {"filter": {"ids": ids}, "limit": 2})) == ["alpha", "bravo"]
    assert titles(rpc.result("cmdb.objects.read", {"filter": {"ids": ids}, "limit": "1,2"})) == ["bravo", "charlie"]
    desc = rpc.result("cmdb.objects.read", {"filter": {"ids": ids}, "order_by": "title", "sort": "DESC"})
    assert titles(desc) == ["delta", "charlie", "bravo", "alpha"]
    assert titles(rpc.result("cmdb.objects.read", {"filter": {"ids": ids}, "order_by": "isys_obj__id"}))[0] == "alpha"


@pytest.mark.parametrize("params, parameter", [
    ({"filter": {"nope": 1}}, "filter.nope"),
    ({"filter": {"type": "C__OBJTYPE__NOPE"}}, "filter.type"),
    ({"limit": "a,b"}, "limit"),
    ({"order_by": "DROP TABLE"}, "order_by"),
    ({"sort": "sideways"}, "sort"),
    ({"categories": ["C__CATG__NOPE"]}, "categories"),
])
def test_objects_read_refuses_unknown_filters_and_options(rpc, params, parameter):
    error = rpc.error("cmdb.objects.read", params)
    assert error["code"] == -32602 and error["data"]["parameter"] == parameter


def test_objects_read_with_categories(rpc, fleet):
    rpc.result("cmdb.category.save", {"object": fleet["alpha"], "category": "C__CATG__MODEL",
                                      "data": {"serial": "ALPHA-1"}})
    rows = rpc.result("cmdb.objects.read", {"filter": {"ids": [fleet["alpha"], fleet["bravo"]]},
                                            "categories": ["C__CATG__MODEL"]})
    assert rows[0]["categories"]["C__CATG__MODEL"][0]["serial"] == "ALPHA-1"
    assert rows[1]["categories"]["C__CATG__MODEL"] == []
    everything = rpc.result("cmdb.objects.read", {"filter": {"ids": [fleet["alpha"]]}, "categories": True})
    assert everything[0]["categories"]["C__CATG__GLOBAL"][0]["title"] == "alpha"
    assert "C__CATG__MODEL" in everything[0]["categories"]


@pytest.mark.parametrize("stored", ["2026-01-02 03:04:05", "2026-01-02T03:04:05", "2026-01-02 03:04:05.999999"])
def test_timestamps_answer_as_seconds_whatever_form_they_were_stored_in(rpc, sessions, stored):
    # SQLAlchemy writes "YYYY-MM-DD HH:MM:SS.ffffff"; a row written by other means is read the same way.
    object_id = new_object(rpc, "stamped")
    with sessions.begin() as db:
        db.execute(text("UPDATE cmdb_objects SET created = :stored, updated = :stored WHERE id = :id"),
                   {"stored": stored, "id": object_id})
    listed = rpc.result("cmdb.objects.read", {"filter": {"ids": [object_id]}})[0]
    assert (listed["created"], listed["updated"]) == ("2026-01-02 03:04:05", "2026-01-02 03:04:05")
    assert rpc.result("cmdb.object.read", {"id": object_id})["created"] == "2026-01-02 03:04:05"
    entry = rpc.result("cmdb.category.read", {"objID": object_id, "category": "C__CATG__GLOBAL"})[0]
    assert (entry["created"], entry["changed"]) == ("2026-01-02 03:04:05", "2026-01-02 03:04:05")


def test_a_page_whose_timestamps_differ_in_form_answers_each_in_seconds(rpc, sessions):
    # A page's timestamps are formatted a column at a time (docs/decisions/1110): one value of
    # another form among those SQLAlchemy wrote, and updates on some objects only, answer alike.
    ids = [new_object(rpc, f"mixed-{n}") for n in range(3)]
    with sessions.begin() as db:
        db.execute(text("UPDATE cmdb_objects SET created = :stored, updated = :stored WHERE id = :id"),
                   {"stored": "2026-01-02T03:04:05", "id": ids[1]})
    listed = rpc.result("cmdb.objects.read", {"filter": {"ids": ids}})
    assert [row["id"] for row in listed] == ids
    assert (listed[1]["created"], listed[1]["updated"]) == ("2026-01-02 03:04:05", "2026-01-02 03:04:05")
    for row in (listed[0], listed[2]):
        alone = rpc.result("cmdb.object.read", {"id": row["id"]})
        assert row["created"] == alone["created"] and len(row["created"]) == 19
        assert "updated" not in row
    keys = ["id", "title", "sysid", "type", "type_title", "type_group_title", "status", "cmdb_status",
            "cmdb_status_title", "created", "updated", "image"]  # i-doit's order
    assert list(listed[1]) == keys and list(listed[0]) == [key for key in keys if key != "updated"]
