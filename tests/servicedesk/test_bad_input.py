"""Bad input: a clear 4xx naming the field, and nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from estate.cmdb.models import CmdbObject
from tests.servicedesk.conftest import API, create_ticket, get_ticket, named


def _count(admin) -> int:
    return admin.get(f"{API}/tickets", params={"use_count_only": "true"}).json()["Count"]


@pytest.mark.parametrize(
    ("ticket", "status", "field"),
    [
        ({"title": "no queue"}, 400, "hd_queue_id"),
        ({"hd_queue_id": 999999, "title": "unknown queue"}, 404, "hd_queue_id"),
        ({"hd_queue_id": "abc"}, 400, "hd_queue_id"),
        ({"hd_queue_id": "{queue}", "colour": "red"}, 400, "colour"),
        ({"hd_queue_id": "{queue}", "status": 999999}, 404, "hd_status_id"),
        ({"hd_queue_id": "{queue}", "priority": "high"}, 400, "priority"),
        ({"hd_queue_id": "{queue}", "due_date": "next tuesday"}, 400, "due_date"),
        ({"hd_queue_id": "{queue}", "title": {"nested": 1}}, 400, "title"),
        ({"hd_queue_id": "{queue}", "machine": 999999}, 404, "machine"),
        ({"hd_queue_id": "{queue}", "asset": 999999}, 404, "asset"),
        ({"hd_queue_id": "{queue}", "related_tickets": [999999]}, 404, "related_tickets"),
        ({"hd_queue_id": "{queue}", "change": {"comment": "x", "colour": 1}}, 400, "change.colour"),
    ],
)
def test_bad_tickets_are_refused_by_field(admin, queue, ticket, status, field):
    ticket = {key: queue["id"] if value == "{queue}" else value for key, value in ticket.items()}
    response = admin.post(f"{API}/tickets", json={"Tickets": [ticket]})
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    assert _count(admin) == 0


def _first_object_of(sessions, organization_id: int) -> int:
    with sessions.begin() as db:
        return db.scalar(select(func.min(CmdbObject.id)).where(CmdbObject.organization_id == organization_id))


def test_an_asset_is_one_of_the_organizations_own(admin, queue, sessions, org, other_org):
    foreign = _first_object_of(sessions, other_org.id)
    refused = admin.post(f"{API}/tickets", json={"Tickets": [{"hd_queue_id": queue["id"], "asset": foreign}]})
    assert refused.status_code == 404 and refused.json()["field"] == "asset"
    own = _first_object_of(sessions, org.id)
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="with asset", asset=own)
    moved = admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"asset": foreign}]})
    assert moved.status_code == 404 and moved.json()["field"] == "asset"
    assert get_ticket(admin, ticket_id)["asset_id"] == own
    assert _count(admin) == 1


def test_a_status_of_another_queue_is_refused(admin, queue, make_queue):
    other = make_queue("Other")
    other_statuses = admin.get(f"{API}/queues/{other}", params={"shaping": "statuses limited"}).json()
    foreign_status = named(other_statuses["Queues"][0]["statuses"], "Opened")["id"]
    response = admin.post(f"{API}/tickets", json={"Tickets": [
        {"hd_queue_id": queue["id"], "title": "x", "status": foreign_status}]})
    assert response.status_code == 400
    assert response.json()["field"] == "hd_status_id"
    assert "another queue" in response.json()["errorDescription"]
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="y")
    update = admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"status": foreign_status}]})
    assert update.status_code == 400
    assert admin.get(f"{API}/tickets/{ticket_id}/changes").json()["Count"] == 1


def test_one_bad_ticket_in_a_batch_writes_none(admin, queue):
    response = admin.post(f"{API}/tickets", json={"Tickets": [
        {"hd_queue_id": queue["id"], "title": "good"}, {"hd_queue_id": queue["id"], "impact": 999999}]})
    assert response.status_code == 404
    assert _count(admin) == 0


def test_malformed_bodies(admin, queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Target")
    cases = [
        admin.post(f"{API}/tickets", content=b"{not json"),
        admin.post(f"{API}/tickets", json={"Ticket": [{}]}),
        admin.post(f"{API}/tickets", json={"Tickets": []}),
        admin.post(f"{API}/tickets", json={"Tickets": ["x"]}),
        admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{}, {}]}),
        admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"id": ticket_id + 1}]}),
        admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"hd_queue_id": queue["id"] + 1000}]}),
        admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"change": "text"}]}),
    ]
    assert [response.status_code for response in cases] == [400] * len(cases)
    assert all("field" in response.json() for response in cases)
    assert admin.get(f"{API}/tickets/{ticket_id}/changes").json()["Count"] == 1
    assert admin.get(f"{API}/tickets/abc").status_code == 400
    assert admin.get(f"{API}/tickets/", params={"paging": "limit lots"}).status_code == 400
    assert admin.get(f"{API}/tickets/", params={"shaping": "hd_ticket huge"}).status_code == 400


def test_xml_bodies_create_tickets_too(admin, queue):
    xml = f"<request><Tickets><hd_queue_id>{queue['id']}</hd_queue_id><title>From XML</title></Tickets></request>"
    response = admin.post(f"{API}/tickets", content=xml.encode(),
                          headers={"Content-Type": "application/xml", "Accept": "application/json"})
    assert response.status_code == 200, response.text
    ticket_id = response.json()["IDs"][0]
    assert admin.get(f"{API}/tickets/{ticket_id}").json()["Tickets"][0]["title"] == "From XML"


def test_values_that_do_not_fit_their_columns(admin, queue):
    too_long = admin.post(f"{API}/tickets", json={"Tickets": [{"hd_queue_id": queue["id"], "title": "x" * 1025}]})
    assert too_long.status_code == 400
    assert too_long.json()["field"] == "title"
    huge = admin.post(f"{API}/tickets", json={"Tickets": [{"hd_queue_id": queue["id"], "asset": 2**40}]})
    assert huge.status_code == 400
    assert huge.json()["field"] == "asset"
    assert admin.get(f"{API}/tickets/{2**40}").status_code in (400, 404)
    assert _count(admin) == 0
