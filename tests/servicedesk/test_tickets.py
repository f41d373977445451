"""Tickets over HTTP: create with queue defaults, read as the appliance answers, update by POST and
PUT with field-level history, delete, clone, move, templates, the query language and stats."""

from __future__ import annotations

from tests.servicedesk.conftest import API, create_ticket, get_ticket, named


def test_create_answers_ids_and_fills_queue_defaults(admin, org, queue):
    response = admin.post(f"{API}/tickets", json={"Tickets": [{"hd_queue_id": queue["id"], "title": "Printer"}]})
    assert response.status_code == 200
    body = response.json()
    assert body["Result"] == "Success"
    [ticket_id] = body["IDs"]
    ticket = get_ticket(admin, ticket_id, "hd_ticket all,submitter limited,status limited,priority limited,"
                                          "category limited,impact limited")
    assert ticket["title"] == "Printer"
    assert ticket["hd_queue_id"] == queue["id"]
    assert ticket["due_date"] == "0000-00-00 00:00:00"
    assert ticket["is_manual_due_date"] == 0
    assert ticket["submitter"] == {"id": org.admin.id, "user_name": org.admin.login,
                                   "email": f"{org.admin.login}@example.test", "full_name": "Admin Person"}
    assert ticket["status"] == {"id": named(queue["statuses"], "New")["id"], "name": "New", "ordinal": 0,
                                "state": "stalled"}
    assert ticket["priority"] == {"id": named(queue["priorities"], "Medium")["id"], "name": "Medium",
                                  "ordinal": 1, "color": "", "is_sla_enabled": 0}
    assert ticket["category"] == {"id": named(queue["categories"], "Other")["id"], "name": "Other"}
    assert ticket["impact"]["name"] == "1 person cannot work"
    assert set(ticket["impact"]) == {"id", "name", "ordinal"}
    assert "owner" not in ticket  # no owner: the sub-entity is left out, as the appliance does


def test_several_tickets_in_one_create(admin, queue):
    response = admin.post(f"{API}/tickets", json={"Tickets": [
        {"hd_queue_id": queue["id"], "title": "one"}, {"hd_queue_id": queue["id"], "title": "two"}]})
    assert response.status_code == 200
    ids = response.json()["IDs"]
    assert len(ids) == 2
    assert [get_ticket(admin, i)["title"] for i in ids] == ["one", "two"]


def test_update_by_post_and_put_records_field_changes_and_comments(admin, org, queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Laptop")
    opened = named(queue["statuses"], "Opened")["id"]
    high = named(queue["priorities"], "High")
    by_post = admin.post(f"{API}/tickets/{ticket_id}", json={"Tickets": [
        {"status": opened, "priority": {"id": high["id"]}, "change": {"comment": "on it"}}]})
    assert by_post.status_code == 200
    assert by_post.json() == {"Result": "Success"}
    by_put = admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"title": "Laptop broken", "owner": org.admin.id,
                                                                           "custom_2": "B-12"}]})
    assert by_put.json() == {"Result": "Success"}
    ticket = get_ticket(admin, ticket_id, "hd_ticket all,owner limited,status limited,priority limited")
    assert ticket["title"] == "Laptop broken"
    assert ticket["custom_2"] == "B-12"
    assert ticket["owner"]["id"] == org.admin.id
    assert ticket["status"]["name"] == "Opened"
    assert ticket["priority"] == {"id": high["id"], "name": "High", "ordinal": 0, "color": "red",
                                  "is_sla_enabled": 0}
    assert ticket["time_opened"] != "0000-00-00 00:00:00"
    changes = admin.get(f"{API}/tickets/{ticket_id}/changes",
                        params={"shaping": "hd_ticket_change all,user limited", "sorting": "id"}).json()["Changes"]
    assert [c["description"].splitlines()[0] for c in changes] == [
        "Ticket Created",
        'Changed ticket Status from "New" to "Opened".',
        'Changed ticket Title from "Laptop" to "Laptop broken".',
    ]
    assert 'Changed ticket Priority from "Medium" to "High".' in changes[1]["description"]
    assert changes[1]["comment"] == "on it"
    assert 'Changed ticket Owner from "" to "Admin Person".' in changes[2]["description"]
    assert changes[2]["user"]["user_name"] == org.admin.login
    assert changes[2]["user_id"] == org.admin.id


def test_an_update_that_changes_nothing_records_nothing(admin, queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Same")
    assert admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"title": "Same"}]}).status_code == 200
    changes = admin.get(f"{API}/tickets/{ticket_id}/changes").json()
    assert changes["Count"] == 1


def test_a_ticket_read_can_be_sent_back_unchanged(admin, queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Round trip", summary="s")
    ticket = get_ticket(admin, ticket_id, "hd_ticket all,status limited,priority limited,category limited")
    assert admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [ticket]}).status_code == 200
    assert admin.get(f"{API}/tickets/{ticket_id}/changes").json()["Count"] == 1


def test_delete_answers_a_json_body_and_removes_the_ticket(admin, queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Gone soon")
    admin.post(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"change": {"comment": "bye"}}]})
    response = admin.delete(f"{API}/tickets/{ticket_id}")
    assert response.status_code == 200
    assert response.json() == {"Result": "Success"}
    assert admin.get(f"{API}/tickets/{ticket_id}").status_code == 404
    assert admin.get(f"{API}/tickets/{ticket_id}/changes").status_code == 404
    assert admin.delete(f"{API}/tickets/{ticket_id}").status_code == 404


def test_clone_is_a_template_not_a_write(admin, org, queue):
    related = create_ticket(admin, hd_queue_id=queue["id"], title="Other")
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Original", summary="text", custom_1="c1",
                              priority=named(queue["priorities"], "Low")["id"], owner=org.admin.id,
                              related_tickets=[related])
    admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [
        {"status": named(queue["statuses"], "Closed")["id"], "resolution": "done"}]})
    before = admin.get(f"{API}/tickets/", params={"use_count_only": "true"}).json()["Count"]
    response = admin.get(f"{API}/tickets/{ticket_id}/clone")
    assert response.status_code == 200
    [clone] = response.json()["Tickets"]
    assert "id" not in clone
    assert clone["title"] == "Original"
    assert clone["custom_1"] == "c1"
    assert clone["priority"]["name"] == "Low"
    assert clone["status"]["name"] == "New"  # a copy starts over
    assert clone["resolution"] == ""
    assert clone["owner"]["id"] == org.admin.id
    assert clone["related_tickets"] == [{"id": related}]
    assert admin.get(f"{API}/tickets/", params={"use_count_only": "true"}).json()["Count"] == before
    created = admin.post(f"{API}/tickets", json={"Tickets": [clone]})
    assert created.status_code == 200, created.text
    copy = get_ticket(admin, created.json()["IDs"][0], "hd_ticket all,related_tickets limited,priority limited")
    assert copy["title"] == "Original"
    assert copy["priority"]["name"] == "Low"
    assert copy["related_tickets"] == [{"id": related, "title": "Other"}]


def test_move_to_queue_maps_lists_by_name(admin, queue, make_queue):
    target = make_queue("Facilities")
    targets = admin.get(f"{API}/queues/{target}", params={"shaping": "hd_queue all,statuses all,priorities all"})
    target_queue = targets.json()["Queues"][0]
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Move me",
                              status=named(queue["statuses"], "Opened")["id"],
                              priority=named(queue["priorities"], "High")["id"])
    response = admin.put(f"{API}/tickets/{ticket_id}/move_to_queue/{target}")
    assert response.status_code == 200
    assert response.json() == {"Result": "Success"}
    ticket = get_ticket(admin, ticket_id, "hd_ticket all,status all,priority all,queue limited")
    assert ticket["hd_queue_id"] == target
    assert ticket["queue"] == {"id": target, "name": "Facilities"}
    assert ticket["status"]["id"] == named(target_queue["statuses"], "Opened")["id"]
    assert ticket["status"]["hd_queue_id"] == target
    assert ticket["priority"]["id"] == named(target_queue["priorities"], "High")["id"]
    changes = admin.get(f"{API}/tickets/{ticket_id}/changes", params={"sorting": "id desc"}).json()["Changes"]
    assert 'Changed ticket Queue from "The K1000 Service Desk" to "Facilities".' in changes[0]["description"]
    assert admin.put(f"{API}/tickets/{ticket_id}/move_to_queue/999999").status_code == 404


def test_switch_pattern_and_apply_pattern(admin, queue, make_pattern, make_queue):
    pattern = make_pattern(queue["id"], "Onboarding", {"summary": "New starter kit", "custom_3": "HR"})
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Jane starts")
    response = admin.put(f"{API}/tickets/{ticket_id}/switch_pattern/{pattern}")
    assert response.status_code == 200
    ticket = get_ticket(admin, ticket_id)
    assert ticket["hd_ticket_template_id"] == pattern
    assert ticket["summary"] == "New starter kit"
    assert ticket["custom_3"] == "HR"
    # applyPattern fills, in the answer only, what the template sets and the ticket leaves empty.
    admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"custom_3": ""}]})
    plain = get_ticket(admin, ticket_id)
    assert plain["custom_3"] == ""
    applied = admin.get(f"{API}/tickets/{ticket_id}", params={"shaping": "hd_ticket all", "applyPattern": "true"})
    assert applied.json()["Tickets"][0]["custom_3"] == "HR"
    assert applied.json()["Tickets"][0]["pattern"] == {"id": pattern, "name": "Onboarding"}
    other_queue = make_queue("Elsewhere")
    foreign = make_pattern(other_queue, "Not here", {"title": "x"})
    assert admin.put(f"{API}/tickets/{ticket_id}/switch_pattern/{foreign}").status_code == 404


def test_the_reference_query_example_owner_and_submitter_limited(admin, org, queue):
    create_ticket(admin, hd_queue_id=queue["id"], title="Mine", owner=org.admin.id)
    response = admin.get(f"{API}/tickets", params={"shaping": "hd_ticket regular,owner limited,submitter limited"})
    assert response.status_code == 200
    body = response.json()
    assert body["Count"] == 1
    [ticket] = body["Tickets"]
    assert set(ticket) == {"id", "title", "summary", "modified", "created", "hd_queue_id", "cc_list", "due_date",
                           "is_manual_due_date", "resolution", "owner", "submitter"}
    assert ticket["owner"]["user_name"] == org.admin.login
    assert set(ticket["submitter"]) == {"id", "user_name", "email", "full_name"}


def test_client_shaping_with_every_json_key_of_the_queue(admin, queue):
    create_ticket(admin, hd_queue_id=queue["id"], title="Keys", custom_1="x")
    keys = [f["jsonKey"] for f in admin.get(f"{API}/queues/{queue['id']}/fields").json()["Fields"]]
    shaping = "hd_ticket all," + ",".join(f"{key} limited" for key in keys + ["custom_1"])
    response = admin.get(f"{API}/tickets", params={"shaping": shaping})
    assert response.status_code == 200, response.text
    [ticket] = response.json()["Tickets"]
    assert ticket["title"] == "Keys"
    assert ticket["custom_1"] == "x"
    assert ticket["status"]["name"] == "New"
    assert ticket["related_tickets"] == []


def test_filters_clients_send(admin, org, queue, make_queue):
    other = make_queue("Second")
    first = create_ticket(admin, hd_queue_id=queue["id"], title="alpha")
    second = create_ticket(admin, hd_queue_id=other, title="beta",
                           status=None)
    params = {"filtering": f"created gt 2020-04-12 02:28:02,hd_queue_id in {queue['id']};{other}", "sorting": "id"}
    assert [t["id"] for t in admin.get(f"{API}/tickets", params=params).json()["Tickets"]] == [first, second]
    by_status = admin.get(f"{API}/tickets", params={"filtering": "hd_status.name eq New,hd_queue.id eq "
                                                                 f"{other}"}).json()
    assert [t["id"] for t in by_status["Tickets"]] == [second]
    # The appliance compares text without regard to case; clients write the status in lower case.
    lower = admin.get(f"{API}/tickets", params={"filtering": f"hd_status.name eq new,hd_queue.id eq {other}"}).json()
    assert [t["id"] for t in lower["Tickets"]] == [second]
    by_priority = admin.get(f"{API}/tickets", params={"filtering": "hd_priority.name eq Medium",
                                                      "use_count_only": "true"}).json()
    assert by_priority == {"Count": 2}
    by_id = admin.get(f"{API}/tickets", params={"filtering": f"id eq {first}"}).json()
    assert [t["title"] for t in by_id["Tickets"]] == ["alpha"]
    unknown = admin.get(f"{API}/tickets", params={"filtering": "colour eq red"})
    assert unknown.status_code == 400
    assert "colour" in unknown.json()["errorDescription"]


def test_wildcard_matches_owner_and_submitter_names(admin, org, queue):
    owned = create_ticket(admin, hd_queue_id=queue["id"], title="Owned", owner=org.readonly.id)
    create_ticket(admin, hd_queue_id=queue["id"], title="Plain")
    found = admin.get(f"{API}/tickets", params={"filtering": f"* co {org.readonly.login}"}).json()
    assert [t["id"] for t in found["Tickets"]] == [owned]
    by_submitter = admin.get(f"{API}/tickets", params={"filtering": "* co admin person"}).json()
    assert by_submitter["Count"] == 2
    by_title = admin.get(f"{API}/tickets", params={"filtering": "* co plai"}).json()
    assert by_title["Count"] == 1
    unowned = admin.get(f"{API}/tickets", params={"filtering": "owner.id nex"}).json()
    assert [t["title"] for t in unowned["Tickets"]] == ["Plain"]
    by_owner = admin.get(f"{API}/tickets", params={"filtering": f"owner.user_name eq {org.readonly.login}"}).json()
    assert [t["id"] for t in by_owner["Tickets"]] == [owned]
    not_matching = admin.get(f"{API}/tickets", params={"filtering": f"* nc {org.readonly.login}"}).json()
    assert [t["title"] for t in not_matching["Tickets"]] == ["Plain"]


def test_paging_and_sorting(admin, queue):
    ids = [create_ticket(admin, hd_queue_id=queue["id"], title=f"t{n}") for n in range(5)]
    page = admin.get(f"{API}/tickets", params={"paging": "limit 2 offset 1", "sorting": "id desc"}).json()
    assert page["Count"] == 5
    assert [t["id"] for t in page["Tickets"]] == [ids[3], ids[2]]
    no_count = admin.get(f"{API}/tickets", params={"use_count": "false", "paging": "limit 1"}).json()
    assert "Count" not in no_count
    assert len(no_count["Tickets"]) == 1


def test_stats_answer_each_query(admin, queue):
    create_ticket(admin, hd_queue_id=queue["id"], title="a")
    create_ticket(admin, hd_queue_id=queue["id"], title="b", priority=named(queue["priorities"], "High")["id"])
    response = admin.post(f"{API}/tickets/stats", json={"Stats": [
        {"filtering": "hd_priority.name eq High", "paging": "limit 10", "shaping": "hd_ticket limited"},
        {"filtering": "", "paging": "limit 1", "shaping": "hd_ticket limited"},
    ]})
    assert response.status_code == 200, response.text
    first, second = response.json()["Stats"]
    assert first["count"] == 1
    assert first["result"][0]["title"] == "b"
    assert first["filtering"] == "hd_priority.name eq High"
    assert second["count"] == 2
    assert len(second["result"]) == 1
    counts_only = admin.post(f"{API}/tickets/stats", params={"use_count_only": "true"},
                             json={"Stats": [{"filtering": "title eq a"}]})
    assert counts_only.json()["Stats"][0]["count"] == 1
    assert counts_only.json()["Stats"][0]["result"] == []
    bad = admin.post(f"{API}/tickets/stats", json={"Stats": [{"filtering": "nope eq 1"}]})
    assert bad.status_code == 400
    assert admin.post(f"{API}/tickets/stats", json={"Nope": []}).json()["field"] == "Stats"


def test_xml_answers(admin, queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="In XML")
    response = admin.get(f"{API}/tickets/{ticket_id}", headers={"Accept": "application/xml"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert b"<title>In XML</title>" in response.content
