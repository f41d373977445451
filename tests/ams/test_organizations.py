"""/ams/shared/api/organizations/... over real HTTP."""

from __future__ import annotations

import xmltodict

from tests.factories import unique
from tests.kace_client import KaceClient

API = "/ams/shared/api"
ORGS = f"{API}/organizations"


def join(sessions, person_login: str, organization_id: int, role: str = "Administrator") -> None:
    from estate.accounts import service as accounts

    with sessions.begin() as db:
        account = accounts.find_account(db, person_login)
        accounts.add_membership(db, account=account, organization_id=organization_id, role_name=role)


def test_create_makes_the_creator_an_administrator_who_can_switch(admin, org):
    name = unique("Branch")
    created = admin.post(ORGS, json={"name": name, "timeZone": "Europe/Berlin", "syncLocations": False})
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["name"] == name and body["timeZone"] == "Europe/Berlin" and body["isEnabled"] is True
    assert set(body) == {"id", "name", "isDeleted", "isEnabled", "isSystem", "locationAttrName", "primaryLocation",
                         "syncLocations", "timeZone", "version"}
    assert admin.get(f"{ORGS}/{body['id']}").json()["name"] == name
    assert admin.post(f"{API}/security/organization/{body['id']}/switchto").status_code == 200
    assert admin.get("/api/users/me/").json()["currentOrgId"] == body["id"]
    assert "Administrator" in admin.get("/api/users/me/").json()["roles"]
    entries = admin.get(f"{ORGS}/{body['id']}/history").json()
    assert [(h["entityName"], h["action"]) for h in entries] == [("organization", 1), ("organization_account", 1)]
    assert entries[0]["details"][0]["newValue"] == name


def test_create_from_xml_and_answer_in_xml(admin):
    name = unique("XmlOrg")
    response = admin.post(
        ORGS,
        content=f"<organization><name>{name}</name><syncLocations>true</syncLocations></organization>".encode(),
        headers={"Content-Type": "application/xml", "Accept": "application/xml"},
    )
    assert response.status_code == 200, response.text
    document = xmltodict.parse(response.content)["response"]
    assert document["name"] == name and document["syncLocations"] == "true"


def test_create_bad_input(admin, org):
    for body, field, status in (
        ({}, "name", 400),
        ({"name": " "}, "name", 400),
        ({"name": org.name}, "name", 409),
        ({"name": unique("O"), "timeZone": "Nowhere/Land"}, "timeZone", 400),
        ({"name": unique("O"), "isEnabled": "often"}, "isEnabled", 400),
        ({"name": unique("O"), "colour": "red"}, "colour", 400),
        ({"name": unique("O"), "primaryLocation": {"id": 1}}, "primaryLocation", 400),
        ({"name": ["a"]}, "name", 400),
    ):
        response = admin.post(ORGS, json=body)
        assert response.status_code == status, body
        assert response.json()["field"] == field, (body, response.json())
    assert len(admin.get(ORGS).json()) == 1


def test_lists_show_only_the_callers_organizations(admin, org, other_org, sessions):
    assert [o["id"] for o in admin.get(ORGS).json()] == [org.id]
    join(sessions, org.admin.login, other_org.id, "Standard user")
    listed = admin.get(ORGS, params={"sorting": "id desc"}).json()
    assert [o["id"] for o in listed] == [other_org.id, org.id]
    assert [o["id"] for o in admin.get(ORGS, params={"filter": other_org.name[-8:]}).json()] == [other_org.id]
    assert [o["id"] for o in admin.get(ORGS, params={"filtering": f"name eq {org.name}"}).json()] == [org.id]
    assert admin.get(ORGS, params={"paging": "limit 1", "offset": "1", "sorting": "id"}).json()[0]["id"] == other_org.id
    assert admin.get(ORGS, params={"properties": "name"}).json()[0] == {"id": org.id, "name": org.name}
    paged = admin.get(f"{ORGS}/list", params={"paging": "limit 1", "sorting": "id"}).json()
    assert paged["count"] == 2 and [o["id"] for o in paged["items"]] == [org.id]
    limited = admin.get(f"{ORGS}/list", params={"shaping": "organization limited", "getTZ": "true"}).json()
    assert limited["items"][0] == {"id": org.id, "name": org.name, "timeZone": "UTC"}
    xml = admin.get(f"{ORGS}/list", headers={"Accept": "application/xml"})
    assert xmltodict.parse(xml.content)["response"]["count"] == "2"
    assert admin.get(f"{ORGS}/list", params={"filtering": "secret eq 1"}).json()["field"] == "filtering"
    assert admin.get(ORGS, params={"properties": "secret"}).json()["field"] == "properties"


def test_another_organization_answers_404(admin, user, other_org):
    for client in (admin, user):
        for method, path, kwargs in (
            ("GET", f"{ORGS}/{other_org.id}", {}),
            ("PUT", f"{ORGS}/{other_org.id}", {"json": {"name": "Mine now"}}),
            ("GET", f"{ORGS}/{other_org.id}/history", {}),
            ("GET", f"{ORGS}/{other_org.id}/organizationAccounts", {}),
            ("GET", f"{ORGS}/{other_org.id}/roles", {}),
            ("GET", f"{ORGS}/{other_org.id}/locations", {}),
            ("GET", f"{ORGS}/{other_org.id}/account/{other_org.admin.id}", {}),
        ):
            response = client.request(method, path, **kwargs)
            assert response.status_code == 404, (method, path)
    for action in ("disable", "enable"):
        assert admin.post(f"{ORGS}/{action}", params={"ids": other_org.id}).status_code == 404
    assert admin.delete(ORGS, params={"ids": other_org.id}).status_code == 404


def test_update_organization_with_history(admin, org):
    location = admin.post(f"{API}/locations", json={"name": "Head office"}).json()
    current = admin.get(f"{ORGS}/{org.id}").json()
    current.update({"timeZone": "America/New_York", "primaryLocation": {"id": location["id"]}, "locationAttrName": "l"})
    updated = admin.put(f"{ORGS}/{org.id}", json=current)
    assert updated.status_code == 200, updated.text
    assert updated.json()["primaryLocation"] == {"id": location["id"]}
    assert updated.json()["timeZone"] == "America/New_York"
    entry = admin.get(f"{ORGS}/{org.id}/history", params={"entities": "organization", "events": "update"}).json()[-1]
    assert {d["propertyName"]: (d["oldValue"], d["newValue"]) for d in entry["details"]} == {
        "time_zone": ("UTC", "America/New_York"),
        "primary_location_id": (None, str(location["id"])),
        "location_attr_name": (None, "l"),
    }
    assert entry["accountId"] == org.admin.id


def test_update_bad_input(admin, org, other_org):
    foreign_location = None
    for body, field, status in (
        ({"id": org.id + 1}, "id", 400),
        ({"name": ""}, "name", 400),
        ({"name": other_org.name}, "name", 409),
        ({"timeZone": "Atlantis/Capital"}, "timeZone", 400),
        ({"timeZone": None}, "timeZone", 400),
        ({"isEnabled": False}, "isEnabled", 400),
        ({"primaryLocation": {"id": 99999999}}, "locationId", 404),
        ({"speed": 1}, "speed", 400),
    ):
        response = admin.put(f"{ORGS}/{org.id}", json=body)
        assert response.status_code == status, body
        assert response.json()["field"] == field, (body, response.json())
    assert foreign_location is None
    assert admin.get(f"{ORGS}/{org.id}").json()["name"] == org.name


def test_disable_enable_delete(admin, org, base_url, sessions):
    created = [admin.post(ORGS, json={"name": unique("Part")}).json()["id"] for _ in range(2)]
    join(sessions, org.user.login, created[0], "Standard user")
    assert admin.post(f"{ORGS}/disable", params=[("ids", created[0]), ("ids", created[1])]).status_code == 200
    assert [admin.get(f"{ORGS}/{i}").json()["isEnabled"] for i in created] == [False, False]
    with KaceClient(base_url) as person:
        refused = person.post(
            f"{API}/security/login",
            json={"userName": org.user.login, "password": org.user.password, "organizationName": None},
        )
        assert refused.status_code == 200  # org itself is enabled
    name = admin.get(f"{ORGS}/{created[0]}").json()["name"]
    with KaceClient(base_url) as person:
        refused = person.post(
            f"{API}/security/login",
            json={"userName": org.user.login, "password": org.user.password, "organizationName": name},
        )
        assert refused.status_code == 401
    assert admin.post(f"{API}/security/organization/switch", params={"organizationId": created[0]}).status_code == 403
    assert admin.post(f"{ORGS}/enable", params={"ids": f"{created[0]},{created[1]}"}).status_code == 200
    assert admin.get(f"{ORGS}/{created[0]}").json()["isEnabled"] is True
    assert admin.post(f"{ORGS}/disable", params={"ids": org.id}).json()["field"] == "ids"
    assert admin.delete(ORGS, params={"ids": org.id}).json()["field"] == "ids"
    half = admin.delete(ORGS, params={"ids": f"{created[0]},99999999"})
    assert half.status_code == 404
    assert admin.get(f"{ORGS}/{created[0]}").status_code == 200
    assert admin.delete(ORGS, params={"ids": created[0]}).status_code == 200
    assert admin.get(f"{ORGS}/{created[0]}").status_code == 404
    assert created[0] not in [o["id"] for o in admin.get(ORGS).json()]
    history = admin.get(f"{ORGS}/{created[1]}/history")
    assert history.status_code == 404  # contents are read after switching to it
    admin.post(f"{API}/security/organization/{created[1]}/switchto")
    events = [(h["entityName"], h["action"]) for h in admin.get(f"{ORGS}/{created[1]}/history").json()]
    assert events == [("organization", 1), ("organization_account", 1), ("organization", 2), ("organization", 2)]
    assert admin.post(f"{ORGS}/enable").json()["field"] == "ids"


def test_organization_writes_need_the_right_in_that_organization(admin, org, other_org, sessions):
    join(sessions, org.admin.login, other_org.id, "Standard user")
    assert admin.get(f"{ORGS}/{other_org.id}").status_code == 200
    assert admin.put(f"{ORGS}/{other_org.id}", json={"name": "Taken"}).status_code == 403
    assert admin.post(f"{ORGS}/disable", params={"ids": other_org.id}).status_code == 403
    assert admin.delete(ORGS, params={"ids": other_org.id}).status_code == 403


def test_read_only_and_standard_users_cannot_write(readonly, user, org):
    for client in (readonly, user):
        assert client.get(f"{ORGS}/{org.id}").status_code == 200
        assert client.post(ORGS, json={"name": unique("No")}).status_code == 403
        assert client.put(f"{ORGS}/{org.id}", json={"name": "No"}).status_code == 403
        assert client.post(f"{ORGS}/disable", params={"ids": org.id}).status_code == 403
        assert client.post(f"{ORGS}/enable", params={"ids": org.id}).status_code == 403
        assert client.delete(ORGS, params={"ids": org.id + 1}).status_code == 403


def test_organization_account_by_account(admin, user, org):
    response = admin.get(f"{ORGS}/{org.id}/account/{org.user.id}")
    assert response.status_code == 200
    assert response.json()["id"] == org.user.org_account_id
    assert admin.get(f"{ORGS}/{org.id}/account/99999999").status_code == 404
    assert user.get(f"{ORGS}/{org.id}/account/{org.user.id}").status_code == 200
    assert user.get(f"{ORGS}/{org.id}/account/{org.admin.id}").status_code == 403


def test_organization_members(admin, user, org):
    members = admin.get(f"{ORGS}/{org.id}/organizationAccounts").json()
    assert sorted(m["id"] for m in members) == sorted(
        [org.admin.org_account_id, org.readonly.org_account_id, org.user.org_account_id]
    )
    named = admin.get(f"{ORGS}/{org.id}/organizationAccounts", params={"filter": "auditor"}).json()
    assert [m["id"] for m in named] == [org.readonly.org_account_id]
    shaped = admin.get(f"{ORGS}/{org.id}/organizationAccounts", params={"properties": "path"}).json()
    assert set(shaped[0]) == {"id", "path"}
    assert [m["id"] for m in user.get(f"{ORGS}/{org.id}/organizationAccounts").json()] == [org.user.org_account_id]


def test_organization_roles(admin, org):
    roles = admin.get(f"{ORGS}/{org.id}/roles").json()
    assert {r["name"] for r in roles} == {"Administrator", "Read-only administrator", "Standard user"}
    assert all(r["organization"] == {"id": org.id, "name": org.name} for r in roles)
    product_id = int(roles[0]["product"]["id"])
    assert len(admin.get(f"{ORGS}/{org.id}/roles", params={"productId": product_id}).json()) == 3
    assert admin.get(f"{ORGS}/{org.id}/roles", params={"productId": 99999999}).json() == []
    assert admin.get(f"{ORGS}/{org.id}/roles", params={"productId": "x"}).status_code == 400


def test_history_filters(admin, user, org):
    admin.put(f"{ORGS}/{org.id}", json={"locationAttrName": "site"})
    admin.post(f"{API}/organizationAccounts/disable", params={"ids": org.readonly.org_account_id})
    path = f"{ORGS}/{org.id}/history"
    every = admin.get(path).json()
    assert {h["entityName"] for h in every} >= {"organization", "account", "organization_account"}
    assert set(every[0]) == {"id", "accountId", "action", "creationDt", "entityId", "entityName", "parentEntityId",
                             "parentEntityName", "details"}
    mine = admin.get(path, params={"accounts": str(org.admin.id)}).json()
    assert mine and all(h["accountId"] == org.admin.id for h in mine)
    updates = admin.get(path, params={"events": "2", "entities": "organization,organization_account"}).json()
    assert [h["entityName"] for h in updates] == ["organization", "organization_account"]
    assert admin.get(path, params={"events": "explode"}).json()["field"] == "events"
    assert admin.get(path, params={"accounts": "me"}).json()["field"] == "accounts"
    # A standard user reads only what they did.
    assert user.get(path).json() == []
    assert user.get(path, params={"accounts": str(org.admin.id)}).status_code == 403
    xml = admin.get(path, params={"entities": "organization"}, headers={"Accept": "application/xml"})
    assert xml.status_code == 200 and b"<entityName>organization</entityName>" in xml.content


def test_locations_of_another_organization_cannot_be_read_or_changed(admin, other_org, sessions):
    from estate.orgs.models import Location

    with sessions.begin() as db:
        location = Location(organization_id=other_org.id, name="Their office", path="")
        db.add(location)
        db.flush()
        location_id = location.id
    assert admin.get(f"{API}/locations/{location_id}").status_code == 404
    assert admin.put(f"{API}/locations/{location_id}", json={"name": "Ours"}).status_code == 404
    assert admin.delete(f"{API}/locations/{location_id}").status_code == 404
    member = admin.put(f"{API}/organizationAccounts/{other_org.admin.org_account_id}",
                       json={"location": {"id": location_id}})
    assert member.status_code == 404
    with sessions() as db:
        assert db.get(Location, location_id).name == "Their office"
