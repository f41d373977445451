"""Bad inventory bodies answer a 4xx naming the field, and write nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from estate.inventory.models import Software
from tests.inventory.payloads import MACHINES, machine, machine_count, software


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"Name": "x", "Colour": "blue"}, "Machines[1].Colour"),
        ({"Name": "x", "Physical_Cores": "many"}, "Machines[1].Physical_Cores"),
        ({"Name": "x", "Physical_Cores": 2**40}, "Machines[1].Physical_Cores"),
        ({"Name": ["a", "list"]}, "Machines[1].Name"),
        ({"Name": {"an": "object"}}, "Machines[1].Name"),
        ({"Name": "x" * 256}, "Machines[1].Name"),
        ({"Name": "nul\u0000inside"}, "Machines[1].Name"),
        ({"Name": "x", "Software": [{"Display_Name": "A\u0000B"}]}, "Machines[1].Software[0].Display_Name"),
        ({"Name": "x", "Software": {"Display_Name": "not a list"}}, "Machines[1].Software"),
        ({"Name": "x", "Software": ["just a name"]}, "Machines[1].Software[0]"),
        ({"Name": "x", "Software": [{"Display_Version": "1.0"}]}, "Machines[1].Software[0].Display_Name"),
        ({"Name": "x", "Software": [{"Display_Name": "A", "Vendor": "B"}]}, "Machines[1].Software[0].Vendor"),
        ({"Name": "x", "Processes": [{"Name": "p", "Threat": "high"}]}, "Machines[1].Processes[0].Threat"),
        ({"Name": "x", "Nics": [{"Nic_Id": "first"}]}, "Machines[1].Nics[0].Nic_Id"),
        ({"Name": "x", "Disks": [{"Name": "C:", "Disk_Free": "lots"}]}, "Machines[1].Disks[0].Disk_Free"),
        ({"Name": "x", "Labels": [""]}, "Machines[1].Labels[0]"),
        ({"Name": "x", "Machine_Location": ["a", "b"]}, "Machines[1].Machine_Location"),
    ],
)
def test_a_bad_machine_names_the_field_and_nothing_of_the_batch_is_written(admin, org, sessions, bad, field):
    good = machine("fine", Software=[software("Should Not Exist")])
    response = admin.post(MACHINES, json={"Machines": [good, bad]})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["errorCode"] == -1
    assert body["field"] == field
    with sessions() as db:
        assert machine_count(db, org.id) == 0
        assert db.scalar(select(func.count()).select_from(Software).where(Software.organization_id == org.id)) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([{"Name": "x"}], "body"),
        ({"Computers": [{"Name": "x"}]}, "Machines"),
        ({"Machines": {"Name": "x"}}, "Machines"),
        ({"Machines": ["x"]}, "Machines[0]"),
        ({"Machines": [], "Extra": 1}, "Extra"),
        ({"Machines": [], "machines": []}, "machines"),
    ],
)
def test_a_bad_envelope_names_the_field(admin, body, field):
    response = admin.post(MACHINES, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field


def test_malformed_json_and_empty_bodies_are_400(admin, org, sessions):
    broken = admin.post(MACHINES, content=b'{"Machines": [{"Name": "x",}', headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
    assert broken.json()["field"] == "body"
    empty = admin.post(MACHINES, content=b"")
    assert empty.status_code == 400
    assert empty.json()["field"] == "body"
    with sessions() as db:
        assert machine_count(db, org.id) == 0


def test_an_oversize_body_is_413_and_writes_nothing(admin, org, settings, sessions):
    titles = [software(f"Title {index:06d} " + "x" * 200) for index in range(settings.max_body_bytes // 200)]
    response = admin.post(MACHINES, json={"Machines": [machine("huge", Software=titles)]})
    assert response.status_code == 413
    with sessions() as db:
        assert machine_count(db, org.id) == 0


def test_the_same_kuid_twice_in_one_batch_is_refused(admin, org, sessions):
    response = admin.post(MACHINES, json={"Machines": [machine("a", Kuid="K-TWICE"), machine("b", Kuid="K-TWICE")]})
    assert response.status_code == 400
    assert response.json()["field"] == "Machines[1].Kuid"
    with sessions() as db:
        assert machine_count(db, org.id) == 0


def test_an_empty_batch_answers_an_empty_list(admin):
    response = admin.post(MACHINES, json={"Machines": []})
    assert response.status_code == 200
    assert response.json() == []
