"""What each method may do is declared once (registry.Access): the right a caller needs and whether
the request writes follow from it; a create writes its object once; a request that fails as a whole
keeps each call's own answer where it still holds."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from estate.accounts import service as accounts
from estate.auth import roles
from estate.auth.permissions import Caller
from estate.idoit.registry import METHODS, Access
from tests.factories import OrgFixture, Person, unique
from tests.idoit.conftest import RpcClient
from tests.idoit.test_auth_and_walls import headers_for

INTERNAL_ERROR, SYSTEM_ERROR, INVALID_PARAMS = -32603, -32099, -32602


def test_every_method_declares_what_it_may_do():
    assert {method.access for method in METHODS.values()} == set(Access)
    by_access = {name: method.access for name, method in METHODS.items()}
    assert by_access["idoit.login"] is by_access["idoit.logout"] is Access.LOGIN
    assert by_access["idoit.version"] is Access.NO_AUTH
    assert by_access["cmdb.category.save"] is Access.WRITE and by_access["cmdb.category.read"] is Access.READ


@pytest.fixture
def outsider(sessions, org: OrgFixture) -> Person:
    """An account of the organization whose role grants no right on the CMDB."""
    admin = Caller(account_id=org.admin.id, organization_id=org.id, org_account_id=org.admin.org_account_id,
                   login=org.admin.login, grants=frozenset({"*:write", "data:all"}))
    login, password = unique("desk"), unique("pw")
    with sessions.begin() as db:
        role = roles.create_role(db, caller=admin, name=unique("Desk only"), permissions=["servicedesk:write"])
        account, member = accounts.create_account(db, login=login, password=password, actor_account_id=org.admin.id,
                                                  organization_id=org.id, role_name=role.name)
        return Person(id=account.id, org_account_id=member.id, login=login, password=password)


def test_login_and_what_any_caller_may_know_need_no_right_on_the_cmdb(rpc: RpcClient, outsider: Person):
    headers = headers_for(outsider)
    assert rpc.result("idoit.version", headers=headers)["login"]["username"] == outsider.login
    assert rpc.result("idoit.constants", headers=headers)["objectTypes"]
    session = {"X-RPC-Auth-Session": rpc.result("idoit.login", headers=headers)["session-id"]}
    assert rpc.error("cmdb.objects.read", {"limit": 1}, headers=session)["code"] == SYSTEM_ERROR
    created = rpc.error("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "nope"}, headers=session)
    assert created["code"] == SYSTEM_ERROR
    assert rpc.result("idoit.logout", headers=session)["result"] is True


def test_a_create_writes_its_global_entry_once(rpc: RpcClient):
    object_id = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "described",
                                                  "description": "rack 4", "purpose": "Production"})["id"]
    (entry,) = rpc.result("cmdb.category.read", {"objID": object_id, "category": "C__CATG__GLOBAL"})
    assert entry["description"] == "rack 4" and entry["purpose"]["title"] == "Production"
    events = [line["event"] for line in rpc.result("cmdb.logbook.read", {"object_id": object_id})]
    assert events == ["C__LOGBOOK_EVENT__OBJECT_CREATED"]
    assert [hit["documentId"] for hit in rpc.result("idoit.search", {"q": "rack 4"})] == [str(object_id)]
    refused = rpc.error("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "bad", "purpose": {}})
    assert refused["code"] == INVALID_PARAMS
    assert rpc.result("cmdb.objects.read", {"filter": {"title": "bad"}}) == []


@pytest.fixture
def doomed_title(engine: Engine) -> Iterator[str]:
    """A title whose object makes the request's COMMIT fail: a trigger gives it a row whose deferred
    foreign key names nothing, which the database checks only when the transaction commits."""
    title = f"doomed-{uuid.uuid4().hex[:8]}"
    tables = [
        "CREATE TABLE doom_target (id INTEGER PRIMARY KEY)",
        "CREATE TABLE doom (ref INTEGER REFERENCES doom_target (id) DEFERRABLE INITIALLY DEFERRED)",
    ]
    if engine.dialect.name == "sqlite":
        trigger = [f"CREATE TRIGGER doom_on_create AFTER INSERT ON cmdb_objects WHEN NEW.title = '{title}'"  # noqa: S608 - the test's own hex title
                   " BEGIN INSERT INTO doom (ref) VALUES (-1); END"]
        drop = ["DROP TRIGGER doom_on_create"]
    else:
        trigger = ["CREATE FUNCTION doom_insert() RETURNS trigger LANGUAGE plpgsql AS"
                   " $$ BEGIN INSERT INTO doom (ref) VALUES (-1); RETURN NEW; END $$",
                   f"CREATE TRIGGER doom_on_create AFTER INSERT ON cmdb_objects FOR EACH ROW"
                   f" WHEN (NEW.title = '{title}') EXECUTE FUNCTION doom_insert()"]
        drop = ["DROP TRIGGER doom_on_create ON cmdb_objects", "DROP FUNCTION doom_insert()"]
    with engine.begin() as connection:
        for statement in tables + trigger:
            connection.execute(text(statement))
    try:
        yield title
    finally:
        with engine.begin() as connection:
            for statement in [*drop, "DROP TABLE doom", "DROP TABLE doom_target"]:
                connection.execute(text(statement))


def test_a_request_that_fails_to_commit_keeps_each_calls_own_answer(rpc: RpcClient, doomed_title: str):
    kept = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "standing"})["id"]
    batch = [
        rpc.request_body("cmdb.object.read", {"id": kept}),
        rpc.request_body("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "lost with the batch"}),
        rpc.request_body("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": doomed_title}),
        rpc.request_body("cmdb.objects.read", {"filter": {"title": "lost with the batch"}}),
        rpc.request_body("cmdb.object.create", {"type": "C__OBJTYPE__SERVER"}),
    ]
    answers = rpc.send(batch).json()
    assert [answer["id"] for answer in answers] == [call["id"] for call in batch]
    assert answers[0]["result"]["title"] == "standing"  # read before any change: it holds
    for lost in answers[1:4]:  # changes that were rolled back, and a read that saw one
        assert lost["error"]["code"] == INTERNAL_ERROR and "result" not in lost
    assert answers[4]["error"]["code"] == INVALID_PARAMS  # its own error
    assert rpc.result("cmdb.objects.read", {"filter": {"title": "lost with the batch"}}) == []
