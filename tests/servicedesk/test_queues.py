"""Queues: the default queue a new organization starts with, its lists, fields, templates, versions."""

from __future__ import annotations

from tests.servicedesk.conftest import API, named


def test_a_new_organization_has_the_appliance_default_queue(queue):
    assert queue["name"] == "The K1000 Service Desk"
    assert [c["name"] for c in queue["categories"]] == ["Network", "Other", "Hardware", "Software"]
    assert [p["name"] for p in queue["priorities"]] == ["Medium", "High", "Low"]
    assert [i["name"] for i in queue["impacts"]] == [
        "1 person cannot work", "Many people cannot work", "1 person inconvenienced", "Many people inconvenienced",
    ]
    states = {s["name"]: s["state"] for s in queue["statuses"]}
    assert states["New"] == "stalled"
    assert states["Opened"] == "opened"
    assert states["Reopened"] == "opened"
    assert states["Closed"] == "closed"
    assert states["Need More Info"] == "stalled"
    assert named(queue["priorities"], "High")["color"] == "red"
    assert queue["default_status_id"] == named(queue["statuses"], "New")["id"]
    assert queue["allow_all_users"] == 1


def test_queues_shaped_with_fields_answer_as_the_appliance(admin, queue):
    response = admin.get(f"{API}/queues", params={"shaping": "fields all"})
    assert response.status_code == 200
    [answered] = response.json()["Queues"]
    assert answered["id"] == queue["id"]
    title = next(item for item in answered["fields"] if item["jsonKey"] == "title")
    assert set(title) == {"id", "hd_queue_id", "name", "hd_ticket_field_name", "jsonKey", "ordinal",
                          "required_state", "field_label", "visible"}
    assert title["name"] == "TITLE"
    assert title["hd_ticket_field_name"] == "title"
    assert title["required_state"] == "all"
    assert title["hd_queue_id"] == queue["id"]
    assert "categories" not in answered  # sub-entities come only when shaped


def test_queue_lists_are_shaped_one_by_one(admin, queue):
    response = admin.get(f"{API}/queues/{queue['id']}", params={"shaping": "hd_queue limited,statuses limited"})
    assert response.status_code == 200
    [answered] = response.json()["Queues"]
    assert set(answered) == {"id", "name", "statuses"}
    assert set(answered["statuses"][0]) == {"id", "name", "ordinal", "state"}


def test_queue_filtering_and_counts(admin, queue, make_queue):
    other = make_queue("Facilities")
    response = admin.get(f"{API}/queues/", params={"filtering": "name co facil", "sorting": "name"})
    assert response.json()["Count"] == 1
    assert response.json()["Queues"][0]["id"] == other
    counted = admin.get(f"{API}/queues/", params={"use_count_only": "true"})
    assert counted.json() == {"Count": 2}
    bad = admin.get(f"{API}/queues/", params={"filtering": "colour eq red"})
    assert bad.status_code == 400
    assert bad.json()["field"] == "filtering"


def test_unknown_and_foreign_queues_are_not_found(admin, other_org, make_queue):
    assert admin.get(f"{API}/queues/999999").status_code == 404
    foreign = make_queue("Theirs", organization_id=other_org.id)
    response = admin.get(f"{API}/queues/{foreign}")
    assert response.status_code == 404
    assert admin.get(f"{API}/queues/{foreign}/fields").status_code == 404
    assert admin.get(f"{API}/queues/{foreign}/patterns").status_code == 404


def test_queue_fields_answer_in_the_fields_envelope(admin, queue):
    response = admin.get(f"{API}/queues/{queue['id']}/fields")
    assert response.status_code == 200
    fields = response.json()["Fields"]
    by_key = {item["jsonKey"]: item for item in fields}
    assert by_key["title"] == {"jsonKey": "title", "label": "Title", "column": "TITLE", "type": "text",
                               "visible": "usercreate", "required": "all"}
    assert "column" not in by_key["referring_tickets"]
    assert by_key["status"]["type"] == "status"


def test_patterns_list_one_and_for_create(admin, queue, make_pattern):
    printer = make_pattern(queue["id"], "Printer jam", {"title": "Printer jam", "custom_1": "floor 2"})
    make_pattern(queue["id"], "Retired", {"title": "Old"}, available_for_create=False)
    listed = admin.get(f"{API}/queues/{queue['id']}/patterns", params={"sorting": "name"})
    assert listed.status_code == 200
    assert [p["name"] for p in listed.json()["Patterns"]] == ["Printer jam", "Retired"]
    for_create = admin.get(f"{API}/queues/{queue['id']}/patterns", params={"filterOptions": "forCreate"})
    assert [p["name"] for p in for_create.json()["Patterns"]] == ["Printer jam"]
    one = admin.get(f"{API}/queues/{queue['id']}/patterns/{printer}")
    assert one.status_code == 200
    assert one.json()["Patterns"][0]["id"] == printer
    assert admin.get(f"{API}/queues/{queue['id']}/patterns/999999").status_code == 404


def test_ticket_template_of_a_queue_with_and_without_pattern(admin, org, queue, make_pattern):
    plain = admin.get(f"{API}/queues/{queue['id']}/ticket_template")
    assert plain.status_code == 200
    [template] = plain.json()["Tickets"]
    assert template["hd_queue_id"] == queue["id"]
    assert template["status"]["name"] == "New"
    assert template["priority"]["name"] == "Medium"
    assert template["submitter"]["id"] == org.admin.id
    assert template["title"] == ""
    pattern = make_pattern(queue["id"], "Printer jam", {"title": "Printer jam", "custom_1": "floor 2"})
    applied = admin.get(f"{API}/queues/{queue['id']}/ticket_template", params={"pattern": str(pattern)})
    [filled] = applied.json()["Tickets"]
    assert filled["title"] == "Printer jam"
    assert filled["custom_1"] == "floor 2"
    assert filled["pattern"] == {"id": pattern, "name": "Printer jam"}
    wrong = admin.get(f"{API}/queues/{queue['id']}/ticket_template", params={"pattern": "abc"})
    assert wrong.status_code == 400
    assert wrong.json()["field"] == "pattern"


def test_version_routes(admin):
    for path in ("queues/version", "queues/fields/version", "tickets/version"):
        response = admin.get(f"{API}/{path}")
        assert response.status_code == 200
        assert int(response.json()) >= 1
