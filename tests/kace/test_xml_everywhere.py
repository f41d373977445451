"""Asked for XML, every path of the KACE face answers one well-formed XML document: its data, its
errors (unknown ids, bad bodies, missing rights, no session) and an empty answer alike."""

from __future__ import annotations

import re
import xml.dom.minidom
from xml.parsers.expat import ExpatError

import pytest

from tests.kace_client import KaceClient

XML = {"Accept": "application/xml"}


def _kace_routes(app) -> list[tuple[str, str]]:
    return sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith(("/api/", "/ams/"))
        for method in operations
    )


def _well_formed(response) -> None:
    if not response.content:
        return
    assert response.headers["content-type"].startswith("application/xml"), (response.request.url, response.text)
    try:
        document = xml.dom.minidom.parseString(response.content)
    except ExpatError as error:
        request = response.request
        raise AssertionError(f"{request.method} {request.url}: {error}: {response.text[:300]}") from error
    assert document.documentElement is not None


@pytest.fixture(scope="module")
def routes(settings, engine) -> list[tuple[str, str]]:
    from estate.app import create_app

    return _kace_routes(create_app(settings, engine))


def _concrete(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def test_every_path_answers_well_formed_xml(admin, base_url, routes):
    assert len(routes) > 100
    with KaceClient(base_url) as anonymous:
        for method, path in routes:
            for value in ("1", "999999", "x"):
                url = _concrete(path, value)
                _well_formed(admin.request(method, url, headers=XML, content=b"<nope"))
                _well_formed(admin.request(method, url, headers={**XML, "Content-Type": "application/json"},
                                           content=b"{}"))
            _well_formed(anonymous.request(method, _concrete(path, "1"), headers=XML))


def test_ticket_stats_answer_one_document_for_any_number_of_queries(admin):
    for stats in ([], [{"filtering": "title co a"}], [{"filtering": "title co a"}, {"paging": "limit 1"}]):
        response = admin.post("/api/service_desk/tickets/stats", json={"Stats": stats}, headers=XML)
        assert response.status_code == 200, response.text
        document = xml.dom.minidom.parseString(response.content)
        assert document.documentElement.tagName == "response"
        assert len(document.getElementsByTagName("Stats")) == len(stats)
