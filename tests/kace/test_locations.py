"""/ams/shared/api/locations over real HTTP."""

from __future__ import annotations

import xmltodict
from sqlalchemy import select

from estate.history.models import History, HistoryDetail

BASE = "/ams/shared/api/locations"


def create(client, **fields):
    response = client.post(BASE, json={"name": "Oklahoma", **fields})
    assert response.status_code == 200, response.text
    return response.json()


def test_create_read_and_the_spec_update_example(admin, org, sessions):
    created = create(admin, description="first")
    assert created["name"] == "Oklahoma"
    assert created["organization"]["id"] == org.id
    assert created["level"] == 0
    assert created["path"] == f"/{created['id']}"
    body = {
        "name": "Oklahoma",
        "description": "OK",
        "webSite": "www.example.com",
        "address": "123 Main St.",
        "phoneNumber": "555-555-5555",
        "organizationId": org.id,
    }
    updated = admin.put(f"{BASE}/{created['id']}", json=body, headers={"x-dell-api-version": "5"})
    assert updated.status_code == 200, updated.text
    assert {key: updated.json()[key] for key in ("description", "webSite", "address", "phoneNumber")} == {
        "description": "OK",
        "webSite": "www.example.com",
        "address": "123 Main St.",
        "phoneNumber": "555-555-5555",
    }
    again = admin.get(f"{BASE}/{created['id']}").json()
    assert again["webSite"] == "www.example.com"
    with sessions() as db:
        entries = db.scalars(
            select(History)
            .where(History.organization_id == org.id, History.entity_name == "location",
                   History.entity_id == created["id"])
            .order_by(History.id)
        ).all()
        assert [entry.action for entry in entries] == [1, 2]
        details = {
            detail.property_name: (detail.old_value, detail.new_value)
            for detail in db.scalars(select(HistoryDetail).where(HistoryDetail.history_id == entries[1].id))
        }
        assert details["description"] == ("first", "OK")
        assert details["web_site"] == (None, "www.example.com")


def test_fields_parameter_and_organization_listing(admin, org):
    parent = create(admin, name="HQ")
    child = create(admin, name="Floor 1", parent={"id": parent["id"]})
    assert child["level"] == 1
    assert child["path"] == f"/{parent['id']}/{child['id']}"
    picked = admin.get(f"{BASE}/{child['id']}", params={"fields": "name,level"}).json()
    assert picked == {"id": child["id"], "name": "Floor 1", "level": 1}
    assert admin.get(f"{BASE}/{child['id']}", params={"fields": "name,colour"}).status_code == 400
    listed = admin.get(f"/ams/shared/api/organizations/{org.id}/locations").json()
    assert [row["name"] for row in listed] == ["HQ", "Floor 1"]


def test_a_location_cannot_move_below_itself(admin):
    top = create(admin, name="Top")
    below = create(admin, name="Below", parentId=top["id"])
    refused = admin.put(f"{BASE}/{top['id']}", json={"parent": {"id": below["id"]}})
    assert refused.status_code == 400
    assert refused.json()["field"] == "parent"
    moved = admin.put(f"{BASE}/{below['id']}", json={"parent": None})
    assert moved.json()["level"] == 0


def test_delete(admin):
    location = create(admin)
    assert admin.delete(f"{BASE}/{location['id']}").status_code == 200
    assert admin.get(f"{BASE}/{location['id']}").status_code == 404
    assert admin.delete(f"{BASE}/{location['id']}").status_code == 404


def test_roles_limits(admin, readonly, user):
    location = create(admin)
    for client in (readonly, user):
        assert client.get(f"{BASE}/{location['id']}").status_code == 200
        assert client.post(BASE, json={"name": "X"}).status_code == 403
        assert client.put(f"{BASE}/{location['id']}", json={"name": "X"}).status_code == 403
        assert client.delete(f"{BASE}/{location['id']}").status_code == 403
    assert admin.get(f"{BASE}/{location['id']}").json()["name"] == "Oklahoma"


def test_organizations_are_walls(admin, base_url, other_org):
    from tests.kace_client import KaceClient

    mine = create(admin)
    with KaceClient(base_url) as stranger:
        stranger.login(other_org.admin.login, other_org.admin.password)
        assert stranger.get(f"{BASE}/{mine['id']}").status_code == 404
        assert stranger.put(f"{BASE}/{mine['id']}", json={"name": "Taken"}).status_code == 404
        assert stranger.delete(f"{BASE}/{mine['id']}").status_code == 404
        theirs = create(stranger, name="Theirs")
        assert stranger.get(f"/ams/shared/api/organizations/{admin.get('/api/users/me/').json()['currentOrgId']}"
                            "/locations").status_code == 404
    assert admin.get(f"{BASE}/{mine['id']}").json()["name"] == "Oklahoma"
    assert admin.put(f"{BASE}/{mine['id']}", json={"parent": {"id": theirs["id"]}}).status_code == 404
    assert admin.post(BASE, json={"name": "Elsewhere", "organizationId": other_org.id}).status_code == 400


def test_bad_input_names_the_field_and_writes_nothing(admin, org):
    before = admin.get(f"/ams/shared/api/organizations/{org.id}/locations").json()
    cases = [
        ({"description": "no name"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "X", "colour": "red"}, "colour"),
        ({"name": "X", "level": "high"}, "level"),
        ({"name": "X", "parent": {"id": 999999}}, "parent"),
        ({"name": ["X"]}, "name"),
    ]
    for body, field in cases:
        response = admin.post(BASE, json=body)
        assert response.status_code in (400, 404), (body, response.text)
        assert response.json()["field"] == field, (body, response.json())
    assert admin.get(f"/ams/shared/api/organizations/{org.id}/locations").json() == before
    assert admin.get(f"{BASE}/abc").status_code == 400
    assert admin.put(f"{BASE}/999999", json={"name": "X"}).status_code == 404


def test_xml_body_and_answer(admin):
    body = b"<location><name>Tulsa</name><description>warehouse</description></location>"
    response = admin.post(BASE, content=body, headers={"Content-Type": "application/xml", "Accept": "application/xml"})
    assert response.status_code == 200
    document = xmltodict.parse(response.content)["response"]
    assert document["name"] == "Tulsa"
    assert document["description"] == "warehouse"
