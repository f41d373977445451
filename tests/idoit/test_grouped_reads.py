"""A batch that only reads answers its consecutive cmdb.category.read calls together
(docs/decisions/0313): every call still gets exactly the answer, or error object, it gets alone,
in order, with its id echoed; a batch that writes keeps each call's order."""

from __future__ import annotations

from typing import Any

import pytest

from tests.idoit.conftest import RpcClient
from tests.idoit.test_objects import new_object

ARCHIVED = 3


def save(rpc: RpcClient, object_id: int, category: str, data: dict[str, Any]) -> int:
    return rpc.result("cmdb.category.save", {"object": object_id, "category": category, "data": data})["entry"]


def read_body(rpc: RpcClient, object_id: Any, category: str | None = "C__CATG__IP", **extra: Any) -> dict[str, Any]:
    params = {"objID": object_id, **extra}
    if category is not None:
        params["category"] = category
    return rpc.request_body("cmdb.category.read", params)


@pytest.fixture
def estate(rpc: RpcClient, other_rpc: RpcClient) -> dict[str, Any]:
    """Two servers with entries of several kinds, and an object of the other organization."""
    first = new_object(rpc, "grouped one", description="first server")
    second = new_object(rpc, "grouped two", type_="C__OBJTYPE__PRINTER")
    for host in ("alpha", "bravo"):
        save(rpc, first, "C__CATG__IP", {"hostname": host, "domain": "grouped.example"})
    save(rpc, second, "C__CATG__IP", {"hostname": "charlie", "ipv4_address": "10.1.2.3"})
    save(rpc, first, "C__CATG__MODEL", {"manufacturer": "Grouped Maker", "serial": "G-1"})
    archived = save(rpc, second, "C__CATG__ACCESS", {"title": "old console", "url": "https://old.example"})
    rpc.result("cmdb.category.archive", {"object": second, "category": "C__CATG__ACCESS", "entry": archived})
    save(rpc, second, "C__CATG__ACCESS", {"title": "console", "url": "https://new.example"})
    elsewhere = new_object(other_rpc, "other organization's server")
    save(other_rpc, elsewhere, "C__CATG__IP", {"hostname": "not-yours"})
    return {"first": first, "second": second, "archived": archived, "elsewhere": elsewhere}


def mixed_reads(rpc: RpcClient, estate: dict[str, Any]) -> list[dict[str, Any]]:
    first, second = estate["first"], estate["second"]
    german = read_body(rpc, second, "C__CATG__GLOBAL")
    german["params"]["language"] = "de"
    with_text_id = {**read_body(rpc, second, "C__CATG__MODEL"), "id": "text-id"}
    return [
        read_body(rpc, first),
        read_body(rpc, estate["elsewhere"]),  # another organization's object: as if it did not exist
        read_body(rpc, second),
        read_body(rpc, first, "C__CATG__MODEL"),
        read_body(rpc, 2**31 - 1),  # no such object
        read_body(rpc, first, "C__CATG__NOTHING"),
        read_body(rpc, first, None),  # no category
        read_body(rpc, second, "C__CATG__ACCESS"),
        read_body(rpc, second, "C__CATG__ACCESS", status=ARCHIVED),
        read_body(rpc, second, "C__CATG__ACCESS", status=9),
        read_body(rpc, estate["elsewhere"], "C__CATG__ACCESS", status=9),  # not found comes first
        read_body(rpc, second, "C__CATG__ACCESS", entry=estate["archived"], status=ARCHIVED),
        read_body(rpc, first, "C__CATG__GLOBAL"),
        german,
        with_text_id,
        rpc.request_body("cmdb.category.read", {"objID": first, "catgID": 31}),  # the legacy id of C__CATG__IP
        read_body(rpc, first, "C__CATG__IP", objID="x"),
        read_body(rpc, first),  # the same read twice
    ]


def test_a_batch_of_reads_answers_each_call_as_it_is_answered_alone(rpc, estate):
    calls = mixed_reads(rpc, estate)
    alone = [rpc.send(call).json() for call in calls]
    assert [answer["id"] for answer in rpc.send(calls).json()] == [call["id"] for call in calls]
    assert rpc.send(calls).json() == alone
    # What the calls answer: results, and each error the one it is alone.
    assert [row["hostname"] for row in alone[0]["result"]] == ["alpha", "bravo"]
    assert alone[1]["error"]["code"] == -32099 and "not found" in alone[1]["error"]["message"]
    assert [row["ipv4_address"]["ref_title"] for row in alone[2]["result"]] == ["10.1.2.3"]
    assert alone[3]["result"][0]["manufacturer"]["title"] == "Grouped Maker"
    assert alone[4]["error"]["code"] == -32099
    assert alone[5]["error"]["code"] == -32602 and alone[5]["error"]["data"]["parameter"] == "category"
    assert alone[6]["error"]["data"]["parameter"] == "category"
    assert [row["title"] for row in alone[7]["result"]] == ["console"]
    assert [row["title"] for row in alone[8]["result"]] == ["old console"]
    assert alone[9]["error"]["data"]["parameter"] == "status"
    assert alone[10]["error"]["code"] == -32099
    assert [row["id"] for row in alone[11]["result"]] == [str(estate["archived"])]
    assert alone[12]["result"][0]["description"] == "first server"
    assert alone[13]["result"][0]["type"]["title"] == "Drucker"  # language "de"
    assert alone[14]["id"] == "text-id" and alone[14]["result"] == []
    assert alone[15]["result"] == alone[0]["result"]
    assert alone[16]["error"]["code"] == -32602
    assert alone[17]["result"] == alone[0]["result"]


def test_notifications_and_other_methods_between_reads_keep_their_places(rpc, estate):
    first, second = estate["first"], estate["second"]
    notification = read_body(rpc, first)
    del notification["id"]
    calls = [read_body(rpc, first), notification, read_body(rpc, second), rpc.request_body("idoit.version"),
             read_body(rpc, second, "C__CATG__ACCESS"), read_body(rpc, 2**31 - 1),
             read_body(rpc, first, "C__CATG__MODEL")]
    answers = rpc.send(calls).json()
    answered = [call for call in calls if "id" in call]
    assert [answer["id"] for answer in answers] == [call["id"] for call in answered]
    assert answers == [rpc.send(call).json() for call in answered]
    assert answers[2]["result"]["version"]


def test_a_batch_of_reads_of_the_other_organization_sees_only_its_own(rpc, other_rpc, estate):
    calls = [read_body(other_rpc, estate["elsewhere"]), read_body(other_rpc, estate["first"]),
             read_body(other_rpc, estate["second"], "C__CATG__ACCESS")]
    answers = other_rpc.send(calls).json()
    assert [row["hostname"] for row in answers[0]["result"]] == ["not-yours"]
    assert answers[1]["error"]["code"] == -32099 and answers[2]["error"]["code"] == -32099


def test_a_batch_mixing_writes_and_reads_reads_what_the_calls_before_wrote(rpc, estate):
    first = estate["first"]
    calls = [
        read_body(rpc, first),
        rpc.request_body("cmdb.category.save", {"object": first, "category": "C__CATG__IP",
                                                "data": {"hostname": "delta"}}),
        read_body(rpc, first),
        rpc.request_body("cmdb.category.save", {"object": first, "category": "C__CATG__IP",
                                                "data": {"nope": 1}}),  # refused: changes nothing
        read_body(rpc, first),
        rpc.request_body("cmdb.object.update", {"id": first, "title": "grouped one, renamed"}),
        read_body(rpc, first, "C__CATG__GLOBAL"),
        read_body(rpc, first, "C__CATG__MODEL"),
    ]
    answers = rpc.send(calls).json()
    assert [answer["id"] for answer in answers] == [call["id"] for call in calls]
    hosts = [[row["hostname"] for row in answers[n]["result"]] for n in (0, 2, 4)]
    assert hosts == [["alpha", "bravo"], ["alpha", "bravo", "delta"], ["alpha", "bravo", "delta"]]
    assert answers[1]["result"]["success"] is True and answers[3]["error"]["code"] == -32602
    assert answers[6]["result"][0]["title"] == "grouped one, renamed"
    assert answers[6]["result"][0]["changed"] is not None
    assert answers[7]["result"][0]["serial"] == "G-1"
    assert rpc.send(calls[6]).json()["result"] == answers[6]["result"]
