"""/ams/shared/api/accounts/... and /kkmp/... over real HTTP."""

from __future__ import annotations

import json

import xmltodict

API = "/ams/shared/api"


def history_of(client, org_id: int, entity: str) -> list[dict]:
    response = client.get(f"{API}/organizations/{org_id}/history", params={"entities": entity})
    assert response.status_code == 200, response.text
    return response.json()


def test_list_accounts_shows_the_organizations_members(admin, org, other_org):
    response = admin.get(f"{API}/accounts/")
    assert response.status_code == 200
    logins = {account["login"] for account in response.json()}
    assert logins == {org.admin.login, org.readonly.login, org.user.login}
    first = response.json()[0]
    assert set(first) >= {"id", "login", "fullName", "email", "ADDomain", "IMAddress", "passwordChangedAt", "version"}
    assert "password" not in first and "password_hash" not in first
    filtered = admin.get(f"{API}/accounts", params={"filtering": f"login eq {org.user.login.upper()}"})
    assert [a["id"] for a in filtered.json()] == [org.user.id]
    ordered = admin.get(f"{API}/accounts/", params={"sorting": "login desc", "paging": "limit 2"})
    assert [a["login"] for a in ordered.json()] == sorted(logins, reverse=True)[:2]


def test_standard_user_sees_only_their_own_account(user, org):
    assert [a["id"] for a in user.get(f"{API}/accounts/").json()] == [org.user.id]
    assert user.get(f"{API}/accounts/{org.user.id}").json()["login"] == org.user.login
    other = user.get(f"{API}/accounts/{org.admin.id}")
    assert other.status_code == 403
    assert [a["id"] for a in user.post(f"{API}/accounts/search", json={}).json()] == [org.user.id]


def test_accounts_of_another_organization_do_not_exist(admin, other_org):
    for path in (
        f"{API}/accounts/{other_org.admin.id}",
        f"{API}/accounts/{other_org.admin.id}/registry",
        f"{API}/accounts/{other_org.admin.id}/organizationAccounts",
        f"{API}/accounts/{other_org.admin.id}/managedAccounts",
    ):
        response = admin.get(path)
        assert response.status_code == 404, path
        assert response.json()["errorCode"] == -1
    write = admin.post(f"{API}/accounts/{other_org.admin.id}/registry", json={"categoryName": "c", "key": "k"})
    assert write.status_code == 404
    gone = admin.delete(f"{API}/accounts/{other_org.admin.id}/registry/c/k")
    assert gone.status_code == 404


def test_search_accounts(admin, org):
    found = admin.post(f"{API}/accounts/search", json={"query": org.readonly.login[-8:]})
    assert [a["id"] for a in found.json()] == [org.readonly.id]
    by_filter = admin.post(f"{API}/accounts/search", json={"filtering": "fullName st Auditor", "paging": "limit 5"})
    assert [a["id"] for a in by_filter.json()] == [org.readonly.id]
    unknown = admin.post(f"{API}/accounts/search", json={"colour": "red"})
    assert unknown.status_code == 400
    assert unknown.json()["field"] == "colour"
    bad_field = admin.post(f"{API}/accounts/search", json={"filtering": "password eq x"})
    assert bad_field.status_code == 400
    assert bad_field.json()["field"] == "filtering"


def test_get_account_with_registry_and_in_xml(admin, org):
    admin.post(f"{API}/accounts/{org.user.id}/registry", json={"categoryName": "ui", "key": "theme", "value": "dark"})
    plain = admin.get(f"{API}/accounts/{org.user.id}").json()
    assert "registry" not in plain
    with_registry = admin.get(f"{API}/accounts/{org.user.id}", params={"registry": "true"}).json()
    assert [(e["categoryName"], e["key"], e["value"]) for e in with_registry["registry"]] == [("ui", "theme", "dark")]
    xml = admin.get(f"{API}/accounts/{org.user.id}", headers={"Accept": "application/xml"})
    assert xml.headers["content-type"].startswith("application/xml")
    assert xmltodict.parse(xml.content)["response"]["login"] == org.user.login


def test_account_registry_add_update_filter_delete_with_history(admin, org):
    path = f"{API}/accounts/{org.user.id}/registry"
    created = admin.post(path, json={"categoryName": "ui", "key": "theme", "value": "dark"})
    assert created.status_code == 200
    entry = created.json()
    assert entry["account"] == {"id": org.user.id}
    updated = admin.post(path, json={"categoryName": "ui", "key": "theme", "value": "light"}).json()
    assert updated["id"] == entry["id"] and updated["value"] == "light"
    # The reference declares the entry as a `registry` query parameter; that works too.
    entry_json = json.dumps({"categoryName": "grid", "key": "rows", "value": "9"})
    from_query = admin.post(path, params={"registry": entry_json})
    assert from_query.status_code == 200
    assert len(admin.get(path).json()) == 2
    assert [e["key"] for e in admin.get(path, params={"categories": "grid"}).json()] == ["rows"]
    assert [e["value"] for e in admin.get(path, params={"keys": "theme,rows", "categories": "ui"}).json()] == ["light"]
    assert admin.delete(f"{path}/ui/theme").status_code == 200
    assert admin.delete(f"{path}/ui/theme").status_code == 404
    assert [e["key"] for e in admin.get(path).json()] == ["rows"]
    entries = history_of(admin, org.id, "account_registry")
    assert [h["action"] for h in entries] == [1, 2, 1, 3]
    assert entries[1]["details"][0]["oldValue"] == "dark" and entries[1]["details"][0]["newValue"] == "light"


def test_account_registry_bad_input(admin, org):
    path = f"{API}/accounts/{org.user.id}/registry"
    missing = admin.post(path, json={"key": "k"})
    assert missing.status_code == 400 and missing.json()["field"] == "categoryName"
    empty_key = admin.post(path, json={"categoryName": "c", "key": " "})
    assert empty_key.status_code == 400 and empty_key.json()["field"] == "key"
    wrong_type = admin.post(path, json={"categoryName": "c", "key": "k", "value": {"x": 1}})
    assert wrong_type.status_code == 400 and wrong_type.json()["field"] == "value"
    bad_query = admin.post(path, params={"registry": "{not json"})
    assert bad_query.status_code == 400 and bad_query.json()["field"] == "registry"
    assert admin.get(path).json() == []


def test_registry_writes_need_the_write_right(readonly, user, org):
    body = {"categoryName": "ui", "key": "k", "value": "v"}
    assert readonly.post(f"{API}/accounts/{org.user.id}/registry", json=body).status_code == 403
    assert user.post(f"{API}/accounts/{org.user.id}/registry", json=body).status_code == 403
    assert user.delete(f"{API}/accounts/{org.user.id}/registry/ui/k").status_code == 403
    assert readonly.get(f"{API}/accounts/{org.user.id}/registry").status_code == 200
    assert user.get(f"{API}/accounts/{org.user.id}/registry").status_code == 200
    assert user.get(f"{API}/accounts/{org.admin.id}/registry").status_code == 403


def test_account_memberships_show_only_shared_organizations(admin, org, other_org, sessions):
    from estate.accounts import service as accounts

    with sessions.begin() as db:
        account = accounts.find_account(db, org.user.login)
        accounts.add_membership(db, account=account, organization_id=other_org.id)
    # The caller belongs to org only: the membership in other_org is another organization's data.
    memberships = admin.get(f"{API}/accounts/{org.user.id}/organizationAccounts").json()
    assert [m["organization"]["id"] for m in memberships] == [org.id]
    assert memberships[0]["id"] == org.user.org_account_id
    with sessions.begin() as db:
        account = accounts.find_account(db, org.admin.login)
        accounts.add_membership(db, account=account, organization_id=other_org.id, role_name="Administrator")
    both = admin.get(f"{API}/accounts/{org.user.id}/organizationAccounts").json()
    assert sorted(m["organization"]["id"] for m in both) == sorted([org.id, other_org.id])
    named = admin.get(f"{API}/accounts/{org.user.id}/organizationAccounts", params={"filter": other_org.name[-8:]})
    assert [m["organization"]["id"] for m in named.json()] == [other_org.id]
    shaped = admin.get(f"{API}/accounts/{org.user.id}/organizationAccounts", params={"properties": "isEnabled"})
    assert set(shaped.json()[0]) == {"id", "isEnabled"}
    unknown = admin.get(f"{API}/accounts/{org.user.id}/organizationAccounts", params={"properties": "secret"})
    assert unknown.status_code == 400 and unknown.json()["field"] == "properties"


def test_managed_accounts(admin, user, org):
    put = admin.put(f"{API}/organizationAccounts/{org.admin.org_account_id}/addEmployees",
                    json={"ids": [org.user.org_account_id, org.readonly.org_account_id]})
    assert put.status_code == 200
    managed = admin.get(f"{API}/accounts/{org.admin.id}/managedAccounts").json()
    assert sorted(a["id"] for a in managed) == sorted([org.user.id, org.readonly.id])
    assert admin.get(f"{API}/accounts/{org.user.id}/managedAccounts").json() == []
    assert user.get(f"{API}/accounts/{org.user.id}/managedAccounts").json() == []
    assert user.get(f"{API}/accounts/{org.admin.id}/managedAccounts").status_code == 403


def test_kkmp_logins_say_no_linked_appliance_matches(client, admin, org):
    for kace in (client, admin):
        response = kace.post(f"{API}/kkmp/login", params={"isSystem": "false", "orgId": org.id, "token": "abc"})
        assert response.status_code == 404
        assert "no linked appliance" in response.json()["errorDescription"]
        user_login = kace.post(f"{API}/kkmp/login_user")
        assert user_login.status_code == 404
        assert "no linked appliance" in user_login.json()["errorDescription"]
    missing = client.post(f"{API}/kkmp/login", params={"isSystem": "false", "orgId": org.id})
    assert missing.status_code == 400
    assert missing.json()["field"] == "token"
    wrong_type = client.post(f"{API}/kkmp/login", params={"isSystem": "maybe", "orgId": "x", "token": "t"})
    assert wrong_type.status_code == 400
