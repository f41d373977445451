"""idoit.search finds inventoried machines by what is installed on them, capped as every search."""

from __future__ import annotations

from sqlalchemy import select

from estate.assets.models import AssetLink
from estate.cmdb.search import MAX_HITS
from tests.inventory.payloads import ingest, software


def test_a_title_on_more_machines_than_the_cap_answers_the_cap(admin, rpc, other_rpc, sessions):
    fleet = [{"Name": f"KIOSK-{number:03d}", "Software": [software("Kioskmode Shell", "5.4")]}
             for number in range(MAX_HITS + 10)]
    machine_ids = ingest(admin, *fleet)
    with sessions() as db:
        objects = set(db.scalars(select(AssetLink.object_id).where(AssetLink.mapped_id.in_(machine_ids))))

    hits = rpc.result("idoit.search", {"q": "kioskmode"})
    assert len(hits) == MAX_HITS
    assert {int(hit["documentId"]) for hit in hits} <= objects
    assert len({hit["documentId"] for hit in hits}) == MAX_HITS
    assert {hit["value"] for hit in hits} == {"Kioskmode Shell 5.4"}
    assert other_rpc.result("idoit.search", {"q": "kioskmode"}) == []


def test_a_title_nobody_has_installed_finds_no_machine(admin, rpc):
    # Reported on its own, version 1.0 is in the catalog but on no machine; 2.0 is on one.
    response = admin.post("/api/inventory/software/", json={"Software": [software("Lonely Utility", "1.0")]})
    assert response.status_code == 200, response.text
    assert rpc.result("idoit.search", {"q": "Lonely Utility"}) == []
    ingest(admin, {"Name": "LONELY-PC", "Software": [software("Lonely Utility", "2.0")]})
    hits = rpc.result("idoit.search", {"q": "Lonely Utility"})
    assert [hit["value"] for hit in hits] == ["Lonely Utility 2.0"]
    assert rpc.result("idoit.search", {"q": "Lonely Utility 1.0"}) == []
