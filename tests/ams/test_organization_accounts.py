"""/ams/shared/api/organizationAccounts/... over real HTTP."""

from __future__ import annotations

import xmltodict

from tests.factories import unique

API = "/ams/shared/api"
OA = f"{API}/organizationAccounts"


def history_of(client, org_id: int, entity: str) -> list[dict]:
    response = client.get(f"{API}/organizations/{org_id}/history", params={"entities": entity})
    assert response.status_code == 200, response.text
    return response.json()


def create(client, login: str | None = None, **extra) -> dict:
    body = {"account": {"login": login or unique("new"), "password": "S3cret-pass", "fullName": "New Person"}, **extra}
    response = client.post(f"{OA}/", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_paged_list_with_filtering_sorting_paging_and_shaping(admin, org):
    for number in range(3):
        create(admin, login=f"{unique('zz')}-{number}")
    first = admin.get(OA, params={"paging": "limit 2", "sorting": "account.login desc"})
    assert first.status_code == 200
    body = first.json()
    assert body["count"] == 6
    assert len(body["items"]) == 2
    assert body["items"][0]["account"]["login"].startswith("zz-")
    rest = admin.get(OA, params={"paging": "offset 2 limit 10", "sorting": "account.login desc"}).json()
    assert len(rest["items"]) == 4 and rest["count"] == 6
    same = admin.get(OA, params={"paging": "limit 10", "offset": "2", "sorting": "account.login desc"}).json()
    assert same["items"] == rest["items"]
    every = admin.get(OA, params={"paging": "limit ALL"}).json()
    assert len(every["items"]) == 6
    assert len(admin.get(OA, params={"paging": "limit 0"}).json()["items"]) == 6
    filtered = admin.get(OA, params={"filtering": "account.login st zz-,isEnabled eq true"}).json()
    assert filtered["count"] == 3
    by_id = admin.get(OA, params={"filtering": f"id in {org.user.org_account_id};{org.admin.org_account_id}"}).json()
    assert sorted(m["id"] for m in by_id["items"]) == sorted([org.user.org_account_id, org.admin.org_account_id])
    limited = admin.get(OA, params={"shaping": "organizationaccount limited", "paging": "limit 1"}).json()
    assert set(limited["items"][0]) == {"id", "account"}


def test_list_parameters_are_checked(admin):
    cases = [
        ({"filtering": "colour eq red"}, "filtering"),
        ({"filtering": "id co 1"}, "filtering"),
        ({"filtering": "id eq one"}, "filtering"),
        ({"filtering": "isEnabled eq maybe"}, "filtering"),
        ({"filtering": "justonefield"}, "filtering"),
        ({"sorting": "password asc"}, "sorting"),
        ({"sorting": "id sideways"}, "sorting"),
        ({"paging": "limit -1"}, "paging"),
        ({"paging": "limit ten"}, "paging"),
        ({"paging": "page 2"}, "paging"),
        ({"offset": "x"}, "offset"),
        ({"shaping": "machine all"}, "shaping"),
        ({"shaping": "organizationaccount huge"}, "shaping"),
    ]
    for params, field in cases:
        response = admin.get(OA, params=params)
        assert response.status_code == 400, params
        assert response.json()["field"] == field, params


def test_standard_user_lists_only_their_own_membership(user, org):
    body = user.get(OA).json()
    assert body["count"] == 1 and body["items"][0]["id"] == org.user.org_account_id
    assert user.get(f"{OA}/{org.user.org_account_id}").status_code == 200
    assert user.get(f"{OA}/{org.admin.org_account_id}").status_code == 403
    assert [m["id"] for m in user.post(f"{OA}/search", json={}).json()] == [org.user.org_account_id]


def test_create_a_new_account_with_membership_and_log_in(admin, org, base_url, sessions):
    login = unique("fresh")
    created = create(admin, login=login, isEnabled=True, manager={"id": org.admin.org_account_id})
    assert created["account"]["login"] == login
    assert "password" not in created["account"]
    assert created["manager"] == {"id": org.admin.org_account_id}
    assert created["level"] == 1 and created["path"] == f"/{org.admin.org_account_id}/{created['id']}"
    from estate.accounts.models import Account

    with sessions() as db:
        stored = db.get(Account, created["account"]["id"])
        assert stored.password_hash and "S3cret-pass" not in stored.password_hash
    from tests.kace_client import KaceClient

    with KaceClient(base_url) as newcomer:
        newcomer.login(login, "S3cret-pass")
        assert newcomer.get("/api/users/me/").json()["currentOrgId"] == org.id
    entries = history_of(admin, org.id, "organization_account")
    assert any(h["entityId"] == created["id"] and h["action"] == 1 for h in entries)
    assert any(h["entityId"] == created["account"]["id"] for h in history_of(admin, org.id, "account"))


def test_create_from_an_xml_body(admin):
    login = unique("xml")
    body = (
        f"<organizationAccount><account><login>{login}</login><password>pw-123456</password>"
        f"<fullName>Xml Person</fullName></account><isEnabled>false</isEnabled></organizationAccount>"
    )
    response = admin.post(
        f"{OA}/", content=body.encode(), headers={"Content-Type": "application/xml", "Accept": "application/xml"}
    )
    assert response.status_code == 200, response.text
    document = xmltodict.parse(response.content)["response"]
    assert document["account"]["login"] == login
    assert document["isEnabled"] == "false"


def test_create_bad_input_writes_nothing(admin, org):
    before = admin.get(OA).json()["count"]
    cases = [
        ({}, "account"),
        ({"account": {}}, "account.login"),
        ({"account": {"login": "x", "colour": "red"}}, "account.colour"),
        ({"account": {"login": unique("a"), "userType": "admin"}}, "account.userType"),
        ({"account": {"login": unique("a")}, "isEnabled": "perhaps"}, "isEnabled"),
        ({"account": {"login": unique("a")}, "manager": {"id": 99999999}}, "manager"),
        ({"account": {"login": unique("a")}, "location": {"id": 99999999}}, "location"),
        ({"account": {"login": unique("a"), "password": ""}}, "account.password"),
        ({"account": {"login": unique("a"), "timeZone": "Mars/Olympus"}}, "timeZone"),
    ]
    for body, field in cases:
        response = admin.post(f"{OA}/", json=body)
        assert response.status_code in (400, 404), body
        assert response.json()["field"] == field, (body, response.json())
    taken = admin.post(f"{OA}/", json={"account": {"login": org.user.login}})
    assert taken.status_code == 409
    assert admin.get(OA).json()["count"] == before


def test_link_an_existing_account_by_id(admin, org, other_org, sessions):
    from estate.accounts import service as accounts

    # The account of other_org does not exist for an administrator of org alone.
    hidden = admin.post(f"{OA}/", json={"account": {"id": other_org.user.id}})
    assert hidden.status_code == 404
    with sessions.begin() as db:
        account = accounts.find_account(db, org.admin.login)
        accounts.add_membership(db, account=account, organization_id=other_org.id, role_name="Administrator")
    linked = admin.post(f"{OA}/", json={"account": {"id": other_org.user.id}})
    assert linked.status_code == 200, linked.text
    assert linked.json()["account"]["login"] == other_org.user.login
    again = admin.post(f"{OA}/", json={"account": {"id": other_org.user.id}})
    assert again.status_code == 409


def test_update_membership_and_account(admin, org, sessions):
    path = f"{OA}/{org.user.org_account_id}"
    current = admin.get(path).json()
    current["account"]["fullName"] = "Renamed Person"
    current["manager"] = {"id": org.admin.org_account_id}
    updated = admin.put(path, json=current)
    assert updated.status_code == 200, updated.text
    assert updated.json()["account"]["fullName"] == "Renamed Person"
    assert updated.json()["level"] == 1
    changes = history_of(admin, org.id, "account")[-1]["details"]
    assert {(d["propertyName"], d["oldValue"], d["newValue"]) for d in changes} == {
        ("full_name", "User Person", "Renamed Person")
    }
    member_history = history_of(admin, org.id, "organization_account")[-1]
    assert member_history["action"] == 2 and member_history["details"][0]["propertyName"] == "manager_id"
    assert admin.get(path, params={"properties": "level,path"}).json() == {
        "id": org.user.org_account_id, "level": 1, "path": f"/{org.admin.org_account_id}/{org.user.org_account_id}"
    }


def test_update_bad_input(admin, org):
    path = f"{OA}/{org.user.org_account_id}"
    cases = [
        ({"id": 1}, "id", 400),
        ({"account": {"id": org.admin.id}}, "account.id", 400),
        ({"account": {"login": org.admin.login}}, "account.login", 409),
        ({"account": {"password": None}}, "account.password", 400),
        ({"account": {"login": " "}}, "account.login", 400),
        ({"manager": {"id": org.user.org_account_id}}, "manager", 400),
        ({"isEnabled": None}, "isEnabled", 400),
        ({"nickname": "x"}, "nickname", 400),
    ]
    for body, field, status in cases:
        response = admin.put(path, json=body)
        assert response.status_code == status, body
        assert response.json()["field"] == field, (body, response.json())
    own = admin.put(f"{OA}/{org.admin.org_account_id}", json={"isEnabled": False})
    assert own.status_code == 400
    assert admin.put(f"{OA}/99999999", json={}).status_code == 404
    malformed = admin.put(path, content=b"{oops", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["field"] == "body"


def test_an_account_shared_with_another_organization_is_changed_only_by_its_administrators(
    admin, org, other_org, sessions
):
    from estate.accounts import service as accounts

    with sessions.begin() as db:
        account = accounts.find_account(db, other_org.admin.login)
        accounts.add_membership(db, account=account, organization_id=org.id)
        member_id = accounts.membership_of(db, org.id, account.id).id
    takeover = admin.put(f"{OA}/{member_id}", json={"account": {"password": "taken-over"}})
    assert takeover.status_code == 403
    assert takeover.json()["field"] == "account"
    # The membership itself belongs to org and may be changed.
    assert admin.put(f"{OA}/{member_id}", json={"isEnabled": False}).status_code == 200


def test_disable_and_enable_with_repeated_or_comma_ids(admin, org, base_url):
    ids = [org.user.org_account_id, org.readonly.org_account_id]
    assert admin.post(f"{OA}/disable", params=[("ids", ids[0]), ("ids", ids[1])]).status_code == 200
    states = {m["id"]: m["isEnabled"] for m in admin.get(OA).json()["items"]}
    assert states[ids[0]] is False and states[ids[1]] is False
    from tests.kace_client import KaceClient

    with KaceClient(base_url) as disabled:
        credentials = {"userName": org.user.login, "password": org.user.password}
        refused = disabled.post(f"{API}/security/login", json=credentials)
        assert refused.status_code == 401
    assert admin.post(f"{OA}/enable", params={"ids": f"{ids[0]},{ids[1]}"}).status_code == 200
    states = {m["id"]: m["isEnabled"] for m in admin.get(OA).json()["items"]}
    assert states[ids[0]] is True and states[ids[1]] is True
    assert [h["action"] for h in history_of(admin, org.id, "organization_account")][-4:] == [2, 2, 2, 2]
    assert admin.post(f"{OA}/disable", params={"ids": org.admin.org_account_id}).status_code == 400
    assert admin.post(f"{OA}/disable").json()["field"] == "ids"
    assert admin.post(f"{OA}/disable", params={"ids": "1,x"}).json()["field"] == "ids"
    half = admin.post(f"{OA}/disable", params={"ids": f"{org.user.org_account_id},99999999"})
    assert half.status_code == 404
    assert {m["id"]: m["isEnabled"] for m in admin.get(OA).json()["items"]}[org.user.org_account_id] is True


def test_search(admin, org):
    create(admin, login=unique("searchme"))
    found = admin.post(f"{OA}/search", json={"query": "searchme"}).json()
    assert len(found) == 1 and found[0]["account"]["login"].startswith("searchme")
    disabled = admin.post(f"{OA}/search", json={"isEnabled": False}).json()
    assert disabled == []
    admin.put(f"{OA}/{org.admin.org_account_id}/addEmployees", json={"ids": [org.user.org_account_id]})
    managed = admin.post(f"{OA}/search", json={"managerId": org.admin.org_account_id}).json()
    assert [m["id"] for m in managed] == [org.user.org_account_id]
    roles = admin.get(f"{API}/roles").json()
    readonly_role = next(r for r in roles if r["name"] == "Read-only administrator")
    holders = admin.post(f"{OA}/search", json={"roleId": readonly_role["id"]}).json()
    assert [m["id"] for m in holders] == [org.readonly.org_account_id]
    paged = admin.post(f"{OA}/search", json={"sorting": "id desc", "paging": "limit 1"}).json()
    assert len(paged) == 1
    bad = admin.post(f"{OA}/search", json={"isEnabled": "sometimes"})
    assert bad.status_code == 400 and bad.json()["field"] == "isEnabled"


def test_delete_moves_employees_to_the_new_manager(admin, org):
    boss = create(admin)
    worker = create(admin, manager={"id": boss["id"]})
    trainee = create(admin, manager={"id": worker["id"]})
    response = admin.delete(OA, params={"ids": boss["id"], "moveEmployeesTo": org.admin.org_account_id})
    assert response.status_code == 200 and response.content == b""
    assert admin.get(f"{OA}/{boss['id']}").status_code == 404
    moved = admin.get(f"{OA}/{worker['id']}").json()
    assert moved["manager"] == {"id": org.admin.org_account_id}
    assert moved["path"] == f"/{org.admin.org_account_id}/{worker['id']}"
    expected = f"/{org.admin.org_account_id}/{worker['id']}/{trainee['id']}"
    assert admin.get(f"{OA}/{trainee['id']}").json()["path"] == expected
    deleted = [h for h in history_of(admin, org.id, "organization_account") if h["action"] == 3]
    assert [h["entityId"] for h in deleted] == [boss["id"]]
    # The single-id route, with employees left without a manager when no one is named.
    assert admin.delete(f"{OA}/{worker['id']}").status_code == 200
    assert admin.get(f"{OA}/{trainee['id']}").json()["manager"] is None


def test_delete_refusals_write_nothing(admin, org):
    victim = create(admin)
    for params, field in (
        ({"ids": f"{victim['id']},99999999"}, "ids"),
        ({"ids": victim["id"], "moveEmployeesTo": victim["id"]}, "moveEmployeesTo"),
        ({"ids": victim["id"], "moveEmployeesTo": 99999999}, "moveEmployeesTo"),
        ({"ids": org.admin.org_account_id}, "ids"),
        ({}, "ids"),
    ):
        response = admin.delete(OA, params=params)
        assert response.status_code in (400, 404), params
        assert response.json()["field"] == field, params
    assert admin.get(f"{OA}/{victim['id']}").status_code == 200
    assert admin.delete(f"{OA}/{victim['id']}", params={"moveEmployeesTo": "x"}).status_code == 400


def test_add_employees_is_all_or_nothing(admin, org, other_org):
    path = f"{OA}/{org.admin.org_account_id}/addEmployees"
    foreign = admin.put(path, json={"ids": [org.user.org_account_id, other_org.user.org_account_id]})
    assert foreign.status_code == 404 and foreign.json()["field"] == "ids"
    assert admin.get(f"{OA}/{org.user.org_account_id}").json()["manager"] is None
    assert admin.put(path, json={"ids": [org.user.org_account_id]}).status_code == 200
    # The manager's own manager cannot become its employee: a cycle, refused whole.
    cycle = admin.put(
        f"{OA}/{org.user.org_account_id}/addEmployees",
        json={"ids": [org.readonly.org_account_id, org.admin.org_account_id]},
    )
    assert cycle.status_code == 400 and cycle.json()["field"] == "manager"
    assert admin.get(f"{OA}/{org.readonly.org_account_id}").json()["manager"] is None
    for body, field in (({}, "ids"), ({"ids": "x"}, "ids.0"), ({"ids": []}, "ids"), ({"ids": [1], "x": 1}, "x")):
        response = admin.put(path, json=body)
        assert response.status_code == 400, body
        assert response.json()["field"] == field, body
    one = admin.put(path, content=f"<idList><ids>{org.readonly.org_account_id}</ids></idList>".encode(),
                    headers={"Content-Type": "application/xml"})
    assert one.status_code == 200
    assert admin.get(f"{OA}/{org.readonly.org_account_id}").json()["manager"] == {"id": org.admin.org_account_id}


def test_has_role(admin, user, org):
    def ask(org_account_id: int, client=admin, **params) -> bool:
        response = client.post(f"{OA}/{org_account_id}/hasRole", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    assert ask(org.admin.org_account_id, roleName="Administrator") is True
    assert ask(org.admin.org_account_id, roleName="Standard user") is False
    assert ask(org.admin.org_account_id, roleName="Standard user", includeInherited=1) is True
    assert ask(org.user.org_account_id, roleName="Administrator", includeInherited=1) is False
    assert ask(org.user.org_account_id) is True
    assert ask(org.user.org_account_id, roleName="No such role") is False
    assert ask(org.user.org_account_id, client=user, roleName="Standard user") is True
    assert user.post(f"{OA}/{org.admin.org_account_id}/hasRole").status_code == 403
    assert admin.post(f"{OA}/{org.user.org_account_id}/hasRole", params={"productId": "x"}).status_code == 400


def test_member_registry(admin, user, org):
    path = f"{OA}/{org.user.org_account_id}/registry"
    created = admin.post(path, json={"categoryName": "desk", "key": "queue", "value": "1"})
    assert created.status_code == 200
    assert created.json()["orgAccount"] == {"id": org.user.org_account_id}
    admin.post(path, json={"categoryName": "desk", "key": "queue", "value": "2"})
    admin.post(path, json={"categoryName": "ui", "key": "theme", "value": "dark"})
    assert [e["value"] for e in admin.get(path, params={"categories": "desk"}).json()] == ["2"]
    assert len(user.get(path).json()) == 2
    assert user.get(f"{OA}/{org.admin.org_account_id}/registry").status_code == 403
    assert user.post(path, json={"categoryName": "ui", "key": "x"}).status_code == 403
    assert admin.delete(f"{path}/desk/queue").status_code == 200
    assert admin.delete(f"{path}/desk/queue").status_code == 404
    assert [e["key"] for e in admin.get(path).json()] == ["theme"]
    assert [h["action"] for h in history_of(admin, org.id, "org_account_registry")] == [1, 2, 1, 3]
    assert admin.post(path, json={"key": "x"}).json()["field"] == "categoryName"


def test_read_only_administrator_reads_but_cannot_write(readonly, org):
    assert readonly.get(OA).json()["count"] == 3
    member = f"{OA}/{org.user.org_account_id}"
    assert readonly.get(member).status_code == 200
    for method, path, kwargs in (
        ("POST", f"{OA}/", {"json": {"account": {"login": unique("ro")}}}),
        ("PUT", member, {"json": {"isEnabled": False}}),
        ("DELETE", member, {}),
        ("DELETE", OA, {"params": {"ids": org.user.org_account_id}}),
        ("POST", f"{OA}/disable", {"params": {"ids": org.user.org_account_id}}),
        ("POST", f"{OA}/enable", {"params": {"ids": org.user.org_account_id}}),
        ("PUT", f"{member}/addEmployees", {"json": {"ids": [org.admin.org_account_id]}}),
        ("POST", f"{member}/registry", {"json": {"categoryName": "a", "key": "b"}}),
        ("DELETE", f"{member}/registry/a/b", {}),
    ):
        response = readonly.request(method, path, **kwargs)
        assert response.status_code == 403, (method, path)
        assert response.json()["errorCode"] == -1


def test_standard_user_cannot_write(user, org):
    assert user.put(f"{OA}/{org.user.org_account_id}", json={"account": {"fullName": "Me"}}).status_code == 403
    assert user.post(f"{OA}/", json={"account": {"login": unique("u")}}).status_code == 403


def test_another_organizations_members_do_not_exist(admin, other_org):
    foreign = other_org.user.org_account_id
    for method, path, kwargs in (
        ("GET", f"{OA}/{foreign}", {}),
        ("PUT", f"{OA}/{foreign}", {"json": {"isEnabled": False}}),
        ("DELETE", f"{OA}/{foreign}", {}),
        ("POST", f"{OA}/{foreign}/hasRole", {}),
        ("GET", f"{OA}/{foreign}/registry", {}),
        ("POST", f"{OA}/{foreign}/registry", {"json": {"categoryName": "a", "key": "b"}}),
        ("PUT", f"{OA}/{foreign}/addEmployees", {"json": {"ids": []}}),
        ("POST", f"{OA}/disable", {"params": {"ids": foreign}}),
    ):
        response = admin.request(method, path, **kwargs)
        assert response.status_code == 404, (method, path)
    assert all(m["id"] != foreign for m in admin.get(OA, params={"paging": "limit ALL"}).json()["items"])


def test_free_text_search_takes_commas_and_wildcards_literally(admin, org):
    create(admin, login=unique("comma"), )
    assert admin.post(f"{OA}/search", json={"query": "a,b"}).json() == []
    assert admin.post(f"{OA}/search", json={"query": "%"}).json() == []
    assert admin.post(f"{API}/accounts/search", json={"query": "_"}).json() == []
    assert admin.get(f"{API}/organizations", params={"filter": "x,y"}).json() == []


def test_change_login_and_password(admin, org, base_url):
    from tests.kace_client import KaceClient

    login = unique("renamed")
    path = f"{OA}/{org.user.org_account_id}"
    changed = admin.put(path, json={"account": {"login": login, "password": "brand-new-pass"}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["account"]["login"] == login
    assert changed.json()["account"]["passwordChangedAt"] is not None
    with KaceClient(base_url) as person:
        old = person.post(f"{API}/security/login", json={"userName": org.user.login, "password": org.user.password})
        assert old.status_code == 401
        person.login(login.upper(), "brand-new-pass")
    entry = history_of(admin, org.id, "account")[-1]
    details = {d["propertyName"]: (d["oldValue"], d["newValue"]) for d in entry["details"]}
    assert details["login"] == (org.user.login, login)
    assert details["password"] == ("***", "***")
    assert "brand-new-pass" not in str(details)
