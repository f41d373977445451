"""POST /api/inventory/{software,processes,services,startup_programs,operating_systems}/."""

from __future__ import annotations

import pytest

from tests.inventory.payloads import ingest, machine, software

CASES = [
    ("software", "Software", {"Display_Name": "Microsoft Word", "Display_Version": "16.0", "Publisher": "Microsoft"}),
    ("processes", "Processes", {"Name": "winword.exe"}),
    ("services", "Services", {"Name": "Spooler", "Display_Name": "Print Spooler", "Status": "Running"}),
    ("startup_programs", "Startup_Programs", {"Name": "OneDrive"}),
    ("operating_systems", "Operating_Systems", {"Name": "Microsoft Windows 11 Pro"}),
]


@pytest.mark.parametrize(("path", "envelope", "item"), CASES)
def test_catalog_entries_are_found_or_created(admin, path, envelope, item):
    first = admin.post(f"/api/inventory/{path}/", json={envelope: [item]})
    assert first.status_code == 200, first.text
    ids = first.json()
    assert len(ids) == 1
    again = admin.post(f"/api/inventory/{path}/", json={envelope: [item, item]})
    assert again.json() == ids * 2
    listed = admin.get(f"/api/inventory/{path}/{ids[0]}/")
    assert listed.status_code == 200
    assert listed.json()["Count"] == 1


def test_an_entry_reported_alone_is_the_one_machines_link_to(admin):
    title = {"Display_Name": "Visio", "Display_Version": "16.0", "Publisher": "Microsoft"}
    [software_id] = admin.post("/api/inventory/software/", json={"Software": [title]}).json()
    ingest(admin, machine("ws-1", Software=[software("Visio", "16.0", "Microsoft")]))
    machines = admin.get("/api/inventory/machines/", params={"filtering": f"software.id eq {software_id}"}).json()
    assert [row["Name"] for row in machines["Machines"]] == ["ws-1"]


def test_bad_catalog_bodies_name_the_field(admin, readonly):
    missing = admin.post("/api/inventory/software/", json={"Software": [{"Publisher": "Nobody"}]})
    assert missing.status_code == 400
    assert missing.json()["field"] == "Software[0].Display_Name"
    unknown = admin.post("/api/inventory/processes/", json={"Processes": [{"Name": "x", "Colour": "red"}]})
    assert unknown.status_code == 400
    assert "Colour" in unknown.json()["field"]
    assert admin.post("/api/inventory/services/", json={"Software": []}).status_code == 400
    assert admin.get("/api/inventory/software/", params={"filtering": "publisher eq Nobody"}).json()["Count"] == 0
    assert readonly.post("/api/inventory/software/", json={"Software": [CASES[0][2]]}).status_code == 403
