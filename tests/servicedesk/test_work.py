"""Work items: logged time with notes, listed and read through the query language, voided not erased."""

from __future__ import annotations

from tests.servicedesk.conftest import API, create_ticket


def test_log_list_read_and_void_work(admin, org, queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Server down")
    logged = admin.post(f"{API}/tickets/{ticket_id}/work", json={"Work": [
        {"note": "rebooted", "start": "2026-11-02 09:00:00", "stop": "2026-11-02 10:30:00"},
        {"note": "called vendor", "hours_worked": "0.25", "adjustment_hours": 1},
    ]})
    assert logged.status_code == 200, logged.text
    body = logged.json()
    assert body["Result"] == "Success"
    first, second = body["IDs"]
    listed = admin.get(f"{API}/tickets/{ticket_id}/work",
                       params={"sorting": "id", "shaping": "hd_work all,user limited"})
    assert listed.status_code == 200
    work = listed.json()
    assert work["Count"] == 2
    assert [(w["note"], w["hours_worked"]) for w in work["Work"]] == [("rebooted", 1.5), ("called vendor", 0.25)]
    assert work["Work"][1]["adjustment_hours"] == 1.0
    assert work["Work"][0]["user"]["id"] == org.admin.id
    assert work["Work"][0]["start"] == "2026-11-02 09:00:00"
    one = admin.get(f"{API}/tickets/{ticket_id}/work/{second}")
    assert one.json()["Work"][0]["note"] == "called vendor"
    voided = admin.delete(f"{API}/tickets/{ticket_id}/work/{first}")
    assert voided.status_code == 200
    assert voided.json() == {"Result": "Success"}
    after = admin.get(f"{API}/tickets/{ticket_id}/work/{first}").json()["Work"][0]
    assert after["voided_by"] == org.admin.id
    assert after["voided_at"] is not None
    assert admin.delete(f"{API}/tickets/{ticket_id}/work/{first}").status_code == 409
    active = admin.get(f"{API}/tickets/{ticket_id}/work", params={"filtering": "voided_by nex"}).json()
    assert [w["id"] for w in active["Work"]] == [second]


def test_work_input_is_checked(admin, queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Checks")
    path = f"{API}/tickets/{ticket_id}/work"
    backwards = admin.post(path, json={"Work": [{"start": "2026-11-02 10:00:00", "stop": "2026-11-02 09:00:00"}]})
    assert backwards.status_code == 400
    assert backwards.json()["field"] == "stop"
    assert admin.post(path, json={"Work": [{"hours_worked": "lots"}]}).json()["field"] == "hours_worked"
    assert admin.post(path, json={"Work": [{"minutes": 3}]}).json()["field"] == "minutes"
    assert admin.post(path, json={"Work": []}).json()["field"] == "Work"
    # The second item is bad: the first is not kept either.
    mixed = admin.post(path, json={"Work": [{"note": "good"}, {"hours_worked": -1}]})
    assert mixed.status_code == 400
    assert admin.get(path).json()["Count"] == 0
    assert admin.get(f"{path}/999999").status_code == 404
    assert admin.delete(f"{path}/999999").status_code == 404
    other = create_ticket(admin, hd_queue_id=queue["id"], title="Other")
    logged = admin.post(f"{API}/tickets/{other}/work", json={"Work": [{"note": "n"}]}).json()["IDs"][0]
    assert admin.get(f"{path}/{logged}").status_code == 404
