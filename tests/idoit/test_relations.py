"""Relations as i-doit models them: relation objects with C__CATG__RELATION entries, made and
removed with the category entries that relate objects; cmdb.objects_by_relation, cmdb.impact and
cmdb.cabling over them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.idoit.test_objects import new_object


def save(rpc, object_id: int, category: str, data: dict, entry: int | None = None) -> int:
    params = {"object": object_id, "category": category, "data": data}
    if entry is not None:
        params["entry"] = entry
    return rpc.result("cmdb.category.save", params)["entry"]


def related(rpc, object_id: int, **params) -> dict:
    answer = rpc.result("cmdb.objects_by_relation.read", {"id": object_id, **params})
    return answer or {}


def relation_entries(rpc, object_id: int) -> list[dict]:
    return rpc.result("cmdb.category.read", {"objID": object_id, "category": "C__CATG__RELATION"})


def purge_entry(rpc, object_id: int, category: str, entry: int) -> None:
    rpc.result("cmdb.category.purge", {"object": object_id, "category": category, "entry": entry})


@dataclass(frozen=True)
class Case:
    """A category that relates its object to another: how to make its entry, and what relation."""

    category: str
    owner_type: str
    other_type: str
    data: Callable  # (rpc, owner, other) -> the entry's data
    relation_type: str
    owner_is_master: bool
    entry_of: str = ""  # the category of another entry of ``other`` that the data names


def _listener(rpc, owner, other):
    listener = save(rpc, other, "C__CATG__NET_LISTENER", {"port_from": 443, "port_to": 443})
    return {"connected_to": listener, "port_from": 50000}


def _connector(rpc, owner, other):
    peer = save(rpc, other, "C__CATG__CONNECTOR", {"title": "in-1", "type": 1})
    return {"title": "out-1", "type": 2, "assigned_connector": peer}


CASES = [
    Case("C__CATG__LOCATION", "C__OBJTYPE__SERVER", "C__OBJTYPE__ROOM", lambda r, o, x: {"parent": x},
         "C__RELATION_TYPE__LOCATION", owner_is_master=False),
    Case("C__CATG__CONTACT", "C__OBJTYPE__CLIENT", "C__OBJTYPE__PERSON",
         lambda r, o, x: {"contact": x, "role": "C__CONTACT_TYPE__USER"}, "C__RELATION_TYPE__USER",
         owner_is_master=True),
    Case("C__CATG__CONTACT", "C__OBJTYPE__CLIENT", "C__OBJTYPE__PERSON",
         lambda r, o, x: {"contact": x, "role": "Administrator"}, "C__RELATION_TYPE__ADMIN", owner_is_master=False),
    Case("C__CATG__APPLICATION", "C__OBJTYPE__SERVER", "C__OBJTYPE__APPLICATION",
         lambda r, o, x: {"application": x}, "C__RELATION_TYPE__SOFTWARE", owner_is_master=True),
    Case("C__CATG__CLUSTER_MEMBERS", "C__OBJTYPE__CLUSTER", "C__OBJTYPE__SERVER", lambda r, o, x: {"member": x},
         "C__RELATION_TYPE__CLUSTER_MEMBERSHIPS", owner_is_master=False),
    Case("C__CATG__CLUSTER_MEMBERSHIPS", "C__OBJTYPE__SERVER", "C__OBJTYPE__CLUSTER",
         lambda r, o, x: {"connected_object": x}, "C__RELATION_TYPE__CLUSTER_MEMBERSHIPS", owner_is_master=True),
    Case("C__CATG__VIRTUAL_MACHINE", "C__OBJTYPE__VIRTUAL_SERVER", "C__OBJTYPE__VIRTUAL_HOST",
         lambda r, o, x: {"hosts": x}, "C__RELATION_TYPE__VIRTUAL_MACHINE", owner_is_master=False),
    Case("C__CATG__GUEST_SYSTEMS", "C__OBJTYPE__VIRTUAL_HOST", "C__OBJTYPE__VIRTUAL_SERVER",
         lambda r, o, x: {"connected_object": x}, "C__RELATION_TYPE__VIRTUAL_MACHINE", owner_is_master=True),
    Case("C__CATG__NET_CONNECTOR", "C__OBJTYPE__CLIENT", "C__OBJTYPE__SERVER", _listener,
         "C__RELATION_TYPE__NET_CONNECTIONS", owner_is_master=False),
    Case("C__CATG__CONNECTOR", "C__OBJTYPE__SERVER", "C__OBJTYPE__SWITCH", _connector,
         "C__RELATION_TYPE__CONNECTORS", owner_is_master=True),
    Case("C__CATG__IP", "C__OBJTYPE__SERVER", "C__OBJTYPE__LAYER3_NET",
         lambda r, o, x: {"ipv4_address": "10.0.0.5", "net": x}, "C__RELATION_TYPE__IP_ADDRESS",
         owner_is_master=False),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.category}-{c.relation_type[18:]}" for c in CASES])
def test_each_relating_category_makes_its_relation_and_takes_it_along(rpc, case):
    owner = new_object(rpc, "owner", case.owner_type)
    other = new_object(rpc, "other", case.other_type)
    entry = save(rpc, owner, case.category, case.data(rpc, owner, other))
    master, slave = (owner, other) if case.owner_is_master else (other, owner)

    (relation_id, found), = related(rpc, owner).items()
    assert found["data"]["master"] == master and found["data"]["slave"] == slave
    assert found["data"]["related_object"] == other and found["data"]["type"] == 60
    assert related(rpc, other) == {relation_id: {**found, "data": {
        **found["data"], "related_object": owner, "related_title": "owner",
        "related_type": rpc.result("cmdb.object.read", {"id": owner})["objecttype"],
        "related_type_title": rpc.result("cmdb.object.read", {"id": owner})["type_title"]}}}
    relation_object = rpc.result("cmdb.object.read", {"id": int(relation_id)})
    assert relation_object["objecttype"] == 60 and relation_object["title"].startswith(
        "owner " if case.owner_is_master else "other ")
    (entry_row,) = relation_entries(rpc, owner)
    for seen_from in (other, int(relation_id)):
        assert relation_entries(rpc, seen_from) == [{**entry_row, "objID": str(seen_from)}]
    assert (entry_row["object1"]["id"], entry_row["object2"]["id"]) == (str(master), str(slave))
    assert entry_row["relation_type"]["const"] == case.relation_type
    assert entry_row["weighting"]["const"] == "C__WEIGHTING__5"
    typed = related(rpc, owner, relation_type=case.relation_type)
    assert list(typed) == [relation_id] and related(rpc, owner, relation_type="C__RELATION_TYPE__BACKUP") == {}

    purge_entry(rpc, owner, case.category, entry)
    assert related(rpc, owner) == {} and related(rpc, other) == {} and relation_entries(rpc, other) == []
    assert rpc.result("cmdb.object.read", {"id": int(relation_id)}) == []


def test_a_changed_value_moves_the_relation(rpc):
    server = new_object(rpc, "mover")
    first, second = new_object(rpc, "Room A", "C__OBJTYPE__ROOM"), new_object(rpc, "Room B", "C__OBJTYPE__ROOM")
    save(rpc, server, "C__CATG__LOCATION", {"parent": first})
    assert list(related(rpc, first)) == list(related(rpc, server))
    save(rpc, server, "C__CATG__LOCATION", {"parent": second})
    (after, found), = related(rpc, server).items()
    assert found["data"]["master"] == second and related(rpc, first) == {}
    assert rpc.result("cmdb.object.read", {"id": int(after)})["title"] == "Room B is location of mover"
    save(rpc, server, "C__CATG__LOCATION", {"parent": None})
    assert related(rpc, server) == {} and related(rpc, second) == {}


def test_a_relation_follows_its_entrys_state(rpc):
    client, person = new_object(rpc, "desk pc", "C__OBJTYPE__CLIENT"), new_object(rpc, "Ann", "C__OBJTYPE__PERSON")
    entry = save(rpc, client, "C__CATG__CONTACT", {"contact": person, "role": "User"})
    (relation_id,) = related(rpc, client)
    rpc.result("cmdb.category.archive", {"object": client, "category": "C__CATG__CONTACT", "entry": entry})
    assert related(rpc, client) == {} and list(related(rpc, client, status=3)) == [relation_id]
    assert rpc.result("cmdb.object.read", {"id": int(relation_id)})["status"] == 3
    rpc.result("cmdb.category.recycle", {"object": client, "category": "C__CATG__CONTACT", "entry": entry})
    assert list(related(rpc, client)) == [relation_id]


def test_purging_an_object_takes_its_relations_along(rpc):
    server, app = new_object(rpc, "host"), new_object(rpc, "app", "C__OBJTYPE__APPLICATION")
    save(rpc, server, "C__CATG__APPLICATION", {"application": app})
    (relation_id,) = related(rpc, app)
    rpc.result("cmdb.object.purge", {"object": server})
    assert related(rpc, app) == {} and rpc.result("cmdb.object.read", {"id": int(relation_id)}) == []


def test_a_relation_saved_by_hand(rpc):
    service, server = new_object(rpc, "shop", "C__OBJTYPE__IT_SERVICE"), new_object(rpc, "web")
    entry = save(rpc, service, "C__CATG__RELATION", {"object1": server, "object2": service,
                                                     "relation_type": 18, "weighting": 1,
                                                     "description": "the shop runs on web"})
    (row,) = relation_entries(rpc, service)
    assert row["id"] == str(entry) and row["relation_type"]["const"] == "C__RELATION_TYPE__DEFAULT"
    assert row["weighting"]["title"] == "1 - very important" and row["description"] == "the shop runs on web"
    assert relation_entries(rpc, server)[0]["id"] == str(entry)
    save(rpc, server, "C__CATG__RELATION", {"weighting": 2}, entry=entry)
    assert relation_entries(rpc, service)[0]["weighting"]["id"] == "2"
    error = rpc.error("cmdb.category.save", {"object": server, "category": "C__CATG__RELATION",
                                             "data": {"object1": server}})
    assert error["code"] == -32602
    purge_entry(rpc, server, "C__CATG__RELATION", entry)
    assert relation_entries(rpc, service) == [] and related(rpc, server) == {}


def test_impact_follows_relations_through_three_levels(rpc):
    building = new_object(rpc, "HQ", "C__OBJTYPE__BUILDING")
    room = new_object(rpc, "Server room", "C__OBJTYPE__ROOM")
    server = new_object(rpc, "db01")
    app = new_object(rpc, "Billing", "C__OBJTYPE__APPLICATION")
    save(rpc, room, "C__CATG__LOCATION", {"parent": building})
    save(rpc, server, "C__CATG__LOCATION", {"parent": room})
    save(rpc, server, "C__CATG__APPLICATION", {"application": app})
    person = new_object(rpc, "Bob", "C__OBJTYPE__PERSON")
    save(rpc, app, "C__CATG__CONTACT", {"contact": person, "role": "Administrator"})

    everything = rpc.result("cmdb.impact", {"id": building, "relation_type": [10, "C__RELATION_TYPE__SOFTWARE"]})
    assert [(row["data"]["objID"], row["data"]["level"]) for row in everything] == [(room, 1), (server, 2), (app, 3)]
    assert everything[2]["name"] == "Billing" and everything[2]["data"]["relation"] == {
        "type": "Software assignment", "text": "runs", "weighting": "5 - important"}
    assert everything[0]["data"]["objTypeID"] == 26 and everything[0]["data"]["objectType"] == "Room"
    located = rpc.result("cmdb.impact.read", {"id": building, "relation_type": "C__RELATION_TYPE__LOCATION"})
    assert [row["data"]["objID"] for row in located] == [room, server]
    # The slave depends on the master: an administrator's absence impacts what they administrate.
    administrated = rpc.result("cmdb.impact", {"id": person, "relation_type": 4})
    assert [row["data"]["objID"] for row in administrated] == [app]
    assert administrated[0]["data"]["relation"]["text"] == "administrates"
    assert rpc.result("cmdb.impact", {"id": app, "relation_type": 10}) == []
    assert rpc.error("cmdb.impact", {"id": app, "relation_type": "C__RELATION_TYPE__NOPE"})["code"] == -32602
    assert rpc.error("cmdb.impact", {"id": app})["code"] == -32602


def test_cabling_reads_the_connectors_a_cable_connects(rpc):
    server, switch = new_object(rpc, "server11"), new_object(rpc, "switch_classic", "C__OBJTYPE__SWITCH")
    cable = new_object(rpc, "cable-7", "C__OBJTYPE__CABLE")
    input_ = save(rpc, switch, "C__CATG__CONNECTOR", {"title": "input_switch11", "type": 1, "cable_connection": cable})
    output = save(rpc, server, "C__CATG__CONNECTOR", {"title": "server_output11", "type": 2,
                                                       "cable_connection": cable, "assigned_connector": input_})
    answer = rpc.result("cmdb.cabling.read", {"objID": cable})
    assert answer == {
        "start": {"presentation": "server11 > server_output11",
                  "connector": {"id": output, "title": "server_output11", "type": "C__CATG__CONNECTOR",
                                "inOutput": "Output"},
                  "ciObject": {"id": server, "title": "server11", "type": "Server",
                               "typeConstant": "C__OBJTYPE__SERVER"}},
        "end": {"presentation": "switch_classic > input_switch11",
                "connector": {"id": input_, "title": "input_switch11", "type": "C__CATG__CONNECTOR",
                              "inOutput": "Input"},
                "ciObject": {"id": switch, "title": "switch_classic", "type": "Switch",
                             "typeConstant": "C__OBJTYPE__SWITCH"}},
    }
    assert rpc.result("cmdb.cabling", {"objID": new_object(rpc, "loose", "C__OBJTYPE__CABLE")}) == {
        "start": None, "end": None}


def test_relations_stay_within_their_organization(rpc, other_rpc):
    server, room = new_object(rpc, "walled"), new_object(rpc, "walled room", "C__OBJTYPE__ROOM")
    save(rpc, server, "C__CATG__LOCATION", {"parent": room})
    assert other_rpc.error("cmdb.objects_by_relation", {"id": server})["code"] == -32099
    assert other_rpc.error("cmdb.impact", {"id": room, "relation_type": 10})["code"] == -32099
    foreign = new_object(other_rpc, "foreign")
    error = other_rpc.error("cmdb.category.save", {"object": foreign, "category": "C__CATG__LOCATION",
                                                   "data": {"parent": room}})
    assert error["code"] == -32602
