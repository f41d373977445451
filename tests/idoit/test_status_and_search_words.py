"""cmdb.status.save / .delete (an organization's own CMDB states) and idoit.search on words joined
by punctuation (serials, host names), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

SYSTEM_ERROR, INVALID_PARAMS = -32099, -32602
MINE = {"title": "Waiting for spare parts", "constant": "C__CMDB_STATUS__WAITING_PARTS", "color": "FF8800"}


def new_object(rpc, title="srv", **extra) -> int:
    return rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": title, **extra})["id"]


def state(rpc, number):
    return next((s for s in rpc.result("cmdb.status.read") if s["id"] == number), None)


def test_save_creates_a_state_numbered_after_the_built_in_ones_and_objects_carry_it(rpc):
    created = rpc.result("cmdb.status.save", MINE)
    assert created == {"success": True, "message": "Status created", "id": 15}
    assert state(rpc, 15) == {"id": 15, "title": "Waiting for spare parts", "constant": MINE["constant"],
                              "color": "FF8800", "editable": True}
    second = {**MINE, "title": "Second", "constant": "C__CMDB__STATUS__SECOND"}
    assert rpc.result("cmdb.status.save", second)["id"] == 16

    by_constant = new_object(rpc, "parts box", cmdb_status=MINE["constant"])
    read = rpc.result("cmdb.object.read", {"id": by_constant})
    assert read["cmdb_status"] == 15 and read["cmdb_status_title"] == "Waiting for spare parts"
    by_number = new_object(rpc, "other box")
    rpc.result("cmdb.object.update", {"id": by_number, "cmdb_status": 15})
    listed = rpc.result("cmdb.objects.read", {"filter": {"cmdb_status": 15}})
    assert sorted(o["id"] for o in listed) == sorted([by_constant, by_number])
    assert {o["cmdb_status_title"] for o in listed} == {"Waiting for spare parts"}
    titled = rpc.result("cmdb.objects.read", {"filter": {"cmdb_status_title": "waiting for spare parts"}})
    assert len(titled) == 2
    global_entry = rpc.result("cmdb.category.read", {"objID": by_number, "category": "C__CATG__GLOBAL"})[0]
    assert global_entry["cmdb_status"]["title"] == "Waiting for spare parts"
    assert global_entry["cmdb_status"]["const"] == MINE["constant"]


def test_save_with_an_id_changes_title_and_colour(rpc):
    number = rpc.result("cmdb.status.save", MINE)["id"]
    saved = rpc.result("cmdb.status.save", {**MINE, "id": number, "title": "Parts ordered", "color": "0000ff"})
    assert saved == {"success": True, "message": "Status saved", "id": number}
    assert state(rpc, number)["title"] == "Parts ordered" and state(rpc, number)["color"] == "0000ff"
    assert len(rpc.result("cmdb.status.read")) == 15


def test_delete_purges_a_state_no_object_carries(rpc):
    number = rpc.result("cmdb.status.save", MINE)["id"]
    box = new_object(rpc, "in repair", cmdb_status=number)
    error = rpc.error("cmdb.status.delete", {"id": number})
    assert error["code"] == SYSTEM_ERROR and "1 object" in error["data"]["error"]
    assert state(rpc, number) is not None
    rpc.result("cmdb.object.update", {"id": box, "cmdb_status": "C__CMDB_STATUS__IN_OPERATION"})
    assert rpc.result("cmdb.status.delete", {"id": number}) == {"success": True, "message": "Status purged"}
    assert state(rpc, number) is None
    assert rpc.error("cmdb.status.delete", {"id": number})["code"] == SYSTEM_ERROR
    assert rpc.error("cmdb.object.update", {"id": box, "cmdb_status": number})["code"] == INVALID_PARAMS


def test_built_in_states(rpc):
    planned = {"id": 1, "title": "Projected", "constant": "C__CMDB_STATUS__PLANNED", "color": "123456"}
    assert rpc.result("cmdb.status.save", planned)["message"] == "Status saved"
    assert state(rpc, 1)["title"] == "Projected" and state(rpc, 1)["color"] == "123456"
    box = new_object(rpc, "projected box", cmdb_status=1)
    assert rpc.result("cmdb.object.read", {"id": box})["cmdb_status_title"] == "Projected"
    assert len(rpc.result("cmdb.status.read")) == 14

    renamed = rpc.error("cmdb.status.save", {**planned, "constant": "C__CMDB_STATUS__OTHER"})
    assert renamed["code"] == INVALID_PARAMS and renamed["data"]["parameter"] == "constant"
    fixed = rpc.error("cmdb.status.save", {"id": 6, "title": "running", "constant": "C__CMDB_STATUS__IN_OPERATION",
                                           "color": "33C20A"})
    assert fixed["code"] == SYSTEM_ERROR
    assert state(rpc, 6)["title"] == "in operation"
    assert rpc.error("cmdb.status.delete", {"id": 1})["code"] == SYSTEM_ERROR
    taken = rpc.error("cmdb.status.save", {**MINE, "constant": "C__CMDB_STATUS__DEFECT"})
    assert taken["code"] == SYSTEM_ERROR and "constant" in taken["data"]["error"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"constant": "C__X", "color": "FF0000"}, "title"),
        ({"title": "  ", "constant": "C__X", "color": "FF0000"}, "title"),
        ({"title": "x", "color": "FF0000"}, "constant"),
        ({"title": "x", "constant": "lower case", "color": "FF0000"}, "constant"),
        ({"title": "x", "constant": "C__X"}, "color"),
        ({"title": "x", "constant": "C__X", "color": "red"}, "color"),
        ({"title": "x", "constant": "C__X", "color": 255}, "color"),
        ({"id": "fifteen", "title": "x", "constant": "C__X", "color": "FF0000"}, "id"),
    ],
)
def test_save_refuses_bad_parameters_naming_them(rpc, params, parameter):
    error = rpc.error("cmdb.status.save", params)
    assert error["code"] == INVALID_PARAMS and error["data"]["parameter"] == parameter
    assert len(rpc.result("cmdb.status.read")) == 14


def test_unknown_ids_and_missing_id(rpc):
    assert rpc.error("cmdb.status.save", {**MINE, "id": 99})["code"] == SYSTEM_ERROR
    assert rpc.error("cmdb.status.delete", {})["data"]["parameter"] == "id"
    assert rpc.error("cmdb.status.delete", {"id": 99})["code"] == SYSTEM_ERROR


def test_states_are_per_organization(rpc, other_rpc):
    mine = rpc.result("cmdb.status.save", MINE)["id"]
    assert state(other_rpc, mine) is None
    assert other_rpc.error("cmdb.status.delete", {"id": mine})["code"] == SYSTEM_ERROR
    assert other_rpc.error("cmdb.status.save", {**MINE, "id": mine})["code"] == SYSTEM_ERROR
    assert other_rpc.error("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "x",
                                                  "cmdb_status": MINE["constant"]})["code"] == INVALID_PARAMS
    # Each organization counts its own states, as each i-doit tenant does.
    assert other_rpc.result("cmdb.status.save", {**MINE, "title": "Theirs"})["id"] == mine
    assert state(rpc, mine)["title"] == MINE["title"]


def test_a_batch_reads_the_state_it_saved(rpc):
    answers = rpc.send([rpc.request_body("cmdb.status.save", MINE), rpc.request_body("cmdb.status.read")]).json()
    assert answers[0]["result"]["id"] == 15
    assert answers[1]["result"][-1]["constant"] == MINE["constant"]


def test_a_failed_save_in_a_batch_leaves_nothing(rpc):
    answers = rpc.send([rpc.request_body("cmdb.status.save", MINE),
                        rpc.request_body("cmdb.status.save", {**MINE, "title": "same constant again"})]).json()
    assert answers[0]["result"]["id"] == 15 and answers[1]["error"]["code"] == SYSTEM_ERROR
    assert [s["title"] for s in rpc.result("cmdb.status.read")][14:] == [MINE["title"]]


# --- idoit.search: words joined by punctuation ----------------------------------------------------


def test_search_finds_hyphenated_serials_and_host_names_by_whole_term_and_prefix(rpc):
    server = new_object(rpc, "rack unit")
    rpc.result("cmdb.category.save", {"object": server, "category": "C__CATG__MODEL", "data": {"serial": "XK-4242"}})
    rpc.result("cmdb.category.save", {"object": server, "category": "C__CATG__IP",
                                      "data": {"hostname": "web-01", "domain": "shop.example.com"}})
    for query, value in [("XK-4242", "XK-4242"), ("xk-42", "XK-4242"), ("XK", "XK-4242"), ("4242", "XK-4242"),
                         ("web-01", "web-01"), ("web-0", "web-01"), ("WEB", "web-01"),
                         ("shop.example", "shop.example.com"), ("example.co", "shop.example.com")]:
        hits = rpc.result("idoit.search", {"q": query})
        assert [(h["documentId"], h["value"]) for h in hits] == [(str(server), value)], query
    assert rpc.result("idoit.search", {"q": "XK-4243"}) == []
    assert rpc.result("idoit.search", {"q": "web-02"}) == []


def test_search_words_with_underscores_and_dots(rpc):
    server = new_object(rpc, "db_primary.node-7")
    hits = rpc.result("idoit.search", {"q": "db_primary.node-7"})
    assert [h["documentId"] for h in hits] == [str(server)]
    assert [h["documentId"] for h in rpc.result("idoit.search", {"q": "primary node"})] == [str(server)]
    assert [h["documentId"] for h in rpc.result("idoit.search", {"q": "node-"})] == [str(server)]


# --- a batch of reads -----------------------------------------------------------------------------


def test_a_failing_read_in_a_batch_of_reads_leaves_its_neighbours_answering(rpc):
    server = new_object(rpc, "neighbour")
    rpc.result("cmdb.category.save", {"object": server, "category": "C__CATG__IP", "data": {"hostname": "n-1"}})
    read = {"objID": server, "category": "C__CATG__IP"}
    # An id beyond the database's integer column fails in the database on PostgreSQL (not found on SQLite).
    answers = rpc.send([rpc.request_body("cmdb.category.read", read),
                        rpc.request_body("cmdb.category.read", {**read, "objID": 2**40}),
                        rpc.request_body("cmdb.category.read", read)]).json()
    assert "error" in answers[1] and "result" not in answers[1]
    assert [row["hostname"] for row in answers[0]["result"]] == ["n-1"]
    assert answers[2]["result"] == answers[0]["result"]
