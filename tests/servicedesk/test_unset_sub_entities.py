"""A shaped many-to-one sub-entity keeps its key when the ticket names no such record: `owner` is
null for a ticket without an owner, in lists, single reads, streamed pages and XML alike."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - parses the server's own answers

import pytest

from tests.servicedesk.conftest import API, create_ticket, get_ticket

UNSET = ("owner", "approver", "machine")
SHAPING = "hd_ticket limited," + ",".join(f"{name} limited" for name in UNSET)


def test_a_ticket_without_owner_answers_owner_null(admin, queue, org):
    bare = create_ticket(admin, hd_queue_id=queue["id"], title="nobody's")
    owned = create_ticket(admin, hd_queue_id=queue["id"], title="mine", owner_id=org.admin.id)
    ticket = get_ticket(admin, bare, SHAPING)
    assert {name: ticket[name] for name in UNSET} == dict.fromkeys(UNSET)
    assert get_ticket(admin, owned, SHAPING)["owner"]["id"] == org.admin.id


@pytest.mark.parametrize("paging", ["limit 50", "limit ALL"])
def test_every_listed_ticket_keeps_the_key(admin, queue, org, paging):
    create_ticket(admin, hd_queue_id=queue["id"], title="nobody's")
    create_ticket(admin, hd_queue_id=queue["id"], title="mine", owner_id=org.admin.id)
    response = admin.get(f"{API}/tickets", params={"shaping": SHAPING, "paging": paging, "sorting": "title"})
    assert response.status_code == 200, response.text
    owners = {item["title"]: item["owner"] for item in response.json()["Tickets"]}
    assert owners["nobody's"] is None and owners["mine"]["id"] == org.admin.id
    assert all(set(UNSET) <= set(item) for item in response.json()["Tickets"])


def test_xml_writes_the_unset_owner_as_an_empty_element(admin, queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="nobody's")
    response = admin.get(f"{API}/tickets/{ticket_id}", params={"shaping": SHAPING},
                         headers={"Accept": "application/xml"})
    assert response.status_code == 200, response.text
    owner = ET.fromstring(response.content).find(".//owner")  # noqa: S314 - the server's own answer
    assert owner is not None and not list(owner) and not (owner.text or "").strip()
