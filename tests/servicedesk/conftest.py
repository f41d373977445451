"""Helpers for the service desk tests: the organization's default queue and tickets made over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.kace_client import KaceClient

API = "/api/service_desk"


def create_ticket(client, **fields: Any) -> int:
    response = client.post(f"{API}/tickets", json={"Tickets": [fields]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["Result"] == "Success"
    return body["IDs"][0]


def get_ticket(client, ticket_id: int, shaping: str = "hd_ticket all") -> dict[str, Any]:
    response = client.get(f"{API}/tickets/{ticket_id}", params={"shaping": shaping})
    assert response.status_code == 200, response.text
    return response.json()["Tickets"][0]


def named(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(item for item in items if item["name"] == name)


@pytest.fixture
def queue(admin) -> dict[str, Any]:
    """The organization's default queue, shaped with its lists."""
    response = admin.get(f"{API}/queues/", params={"shaping": "hd_queue all,categories all,priorities all,"
                                                               "impacts all,statuses all,fields all"})
    assert response.status_code == 200, response.text
    queues = response.json()["Queues"]
    assert len(queues) == 1
    return queues[0]


@pytest.fixture
def make_queue(sessions, org):
    """Another queue of the organization, made by the service desk service."""
    from estate.servicedesk import service

    def make(name: str, *, allow_all_users: bool = True, organization_id: int | None = None) -> int:
        with sessions.begin() as db:
            made = service.create_queue(db, organization_id=organization_id or org.id, name=name,
                                        allow_all_users=allow_all_users)
            return made.id

    return make


@pytest.fixture
def make_pattern(sessions, org):
    from estate.servicedesk import service

    def make(queue_id: int, name: str, values: dict[str, Any], *, available_for_create: bool = True) -> int:
        with sessions.begin() as db:
            made = service.create_pattern(db, organization_id=org.id, queue_id=queue_id, name=name, values=values,
                                          available_for_create=available_for_create)
            return made.id

    return make


@pytest.fixture
def other_admin(base_url, other_org):
    """The administrator of another organization, logged in."""
    with KaceClient(base_url) as kace:
        kace.login(other_org.admin.login, other_org.admin.password)
        yield kace
