"""Who calls: API keys select the tenant, X-RPC-Auth headers and idoit.login sessions act as an
account; a key of one organization never reads or changes another's objects."""

from __future__ import annotations

import pytest

from tests.idoit.test_objects import new_object


def headers_for(person) -> dict[str, str]:
    return {"X-RPC-Auth-Username": person.login, "X-RPC-Auth-Password": person.password}


def test_username_and_password_headers_act_as_that_account(rpc, org):
    answer = rpc.result("idoit.version", headers=headers_for(org.admin))
    assert answer["login"]["username"] == org.admin.login
    object_id = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "by admin"},
                           headers=headers_for(org.admin))["id"]
    log = rpc.result("cmdb.logbook", {"object_id": object_id})
    assert log[0]["username"] == org.admin.login


def test_wrong_password_is_refused_with_32604(rpc, org):
    error = rpc.error("idoit.version", headers={"X-RPC-Auth-Username": org.admin.login,
                                                "X-RPC-Auth-Password": "wrong"})
    assert error["code"] == -32604


def test_account_of_another_organization_is_refused(rpc, other_org):
    assert rpc.error("idoit.version", headers=headers_for(other_org.admin))["code"] == -32604


def test_read_only_accounts_cannot_write(rpc, org):
    assert rpc.result("cmdb.objects.read", {"limit": 1}, headers=headers_for(org.readonly))
    error = rpc.error("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "nope"},
                      headers=headers_for(org.readonly))
    assert error["code"] == -32099
    assert rpc.result("cmdb.objects.read", {"filter": {"title": "nope"}}) == []


def test_login_session_is_used_and_ended_by_logout(rpc, org):
    body = rpc.request_body("idoit.login")
    response = rpc.send(body, headers=headers_for(org.admin))
    answer = response.json()["result"]
    token = answer["session-id"]
    assert response.headers["X-RPC-Auth-Session"] == token
    assert answer["result"] is True and answer["username"] == org.admin.login
    assert answer["client-id"] == str(org.id) and answer["client-name"] == org.name
    session = {"X-RPC-Auth-Session": token}
    response = rpc.send(rpc.request_body("idoit.version"), headers=session)
    assert response.headers["X-RPC-Auth-Session"] == token
    assert response.json()["result"]["login"]["username"] == org.admin.login
    logout = rpc.result("idoit.logout", headers=session)
    assert logout == {"message": "Logout successfull", "result": True}
    assert rpc.error("idoit.version", headers=session)["code"] == -32604


def test_login_needs_credentials_and_sessions_stay_in_their_tenant(rpc, other_rpc, org):
    assert rpc.error("idoit.login")["code"] == -32604
    token = rpc.result("idoit.login", headers=headers_for(org.admin))["session-id"]
    assert other_rpc.error("idoit.version", headers={"X-RPC-Auth-Session": token})["code"] == -32604


@pytest.fixture
def theirs(other_rpc) -> int:
    object_id = new_object(other_rpc, "their secret server")
    other_rpc.result("cmdb.category.save", {"object": object_id, "category": "C__CATG__ACCESS",
                                            "data": {"title": "their access"}})
    return object_id


def test_objects_of_another_organization_are_invisible(rpc, theirs):
    assert rpc.result("cmdb.object.read", {"id": theirs}) == []
    assert rpc.result("cmdb.objects.read", {"filter": {"ids": [theirs]}}) == []
    assert rpc.result("idoit.search", {"q": "secret"}) == []
    assert rpc.error("cmdb.category.read", {"objID": theirs, "category": "C__CATG__ACCESS"})["code"] == -32099
    assert rpc.error("cmdb.location_tree", {"id": theirs})["code"] == -32099
    assert rpc.result("cmdb.logbook", {"object_id": theirs}) == []


def test_objects_of_another_organization_cannot_be_changed(rpc, other_rpc, theirs):
    attempts = [
        ("cmdb.object.update", {"id": theirs, "title": "mine now"}),
        ("cmdb.object.archive", {"object": theirs}),
        ("cmdb.object.purge", {"object": theirs}),
        ("cmdb.object.delete", {"id": theirs, "status": "C__RECORD_STATUS__DELETED"}),
        ("cmdb.category.save", {"object": theirs, "category": "C__CATG__MODEL", "data": {"serial": "x"}}),
    ]
    for method, params in attempts:
        assert rpc.error(method, params)["code"] == -32099, method
    mine = new_object(rpc, "mine")
    error = rpc.error("cmdb.category.save", {"object": mine, "category": "C__CATG__LOCATION",
                                            "data": {"parent": theirs}})
    assert error["code"] == -32602
    read = other_rpc.result("cmdb.object.read", {"id": theirs})
    assert read["title"] == "their secret server" and read["status"] == 2


def test_dialog_entries_are_per_organization(rpc, other_rpc):
    entry = other_rpc.result("cmdb.dialog.create", {"category": "C__CATG__CPU", "property": "manufacturer",
                                                    "value": "Their Vendor"})["entry_id"]
    mine = {r["title"] for r in rpc.result("cmdb.dialog.read", {"category": "C__CATG__CPU",
                                                                 "property": "manufacturer"})}
    assert "Their Vendor" not in mine
    assert rpc.error("cmdb.dialog.delete", {"category": "C__CATG__CPU", "property": "manufacturer",
                                            "entry_id": entry})["code"] == -32099
    server = new_object(rpc, "uses their dialog")
    error = rpc.error("cmdb.category.save", {"object": server, "category": "C__CATG__CPU",
                                             "data": {"manufacturer": entry}})
    assert error["code"] == -32602


def test_search_finds_values_with_key_and_link(rpc):
    object_id = new_object(rpc, "Searchable Host")
    rpc.result("cmdb.category.save", {"object": object_id, "category": "C__CATG__MODEL",
                                      "data": {"serial": "ZX81-SPECTRUM", "manufacturer": "Sinclair"}})
    hits = rpc.result("idoit.search", {"q": "ZX81"})
    assert len(hits) == 1
    hit = hits[0]
    assert hit["documentId"] == str(object_id) and hit["key"] == "Server > Model > Serial number"
    assert hit["value"] == "ZX81-SPECTRUM" and hit["type"] == "cmdb" and hit["status"] == "Normal"
    assert hit["link"].startswith(f"/?objID={object_id}&catgID=2&cateID=")
    assert all(isinstance(value, str) for value in hit.values())
    by_dialog = rpc.result("idoit.search", {"q": "sinclair"})
    assert [h["key"] for h in by_dialog] == ["Server > Model > Manufacturer"]
    prefix = rpc.result("idoit.search", {"q": "Searchab", "mode": "deep"})
    assert [h["value"] for h in prefix] == ["Searchable Host"]
    assert rpc.result("idoit.search", {"q": "nothing-like-this-anywhere"}) == []
    assert rpc.error("idoit.search", {})["data"]["parameter"] == "q"


def test_search_follows_updates(rpc):
    object_id = new_object(rpc, "Before Rename")
    rpc.result("cmdb.object.update", {"id": object_id, "title": "After Rename"})
    assert rpc.result("idoit.search", {"q": "before"}) == []
    assert [h["documentId"] for h in rpc.result("idoit.search", {"q": "after rename"})] == [str(object_id)]
