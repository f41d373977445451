"""Who may do what: administrators everything, read-only administrators read, standard users only
their own tickets in queues open to all users, and owners-only comments stay with the staff."""

from __future__ import annotations

from tests.servicedesk.conftest import API, create_ticket, named


def test_read_only_administrators_read_everything_and_write_nothing(admin, readonly, queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Look, don't touch")
    assert readonly.get(f"{API}/tickets/{ticket_id}").status_code == 200
    assert readonly.get(f"{API}/tickets").json()["Count"] == 1
    assert readonly.get(f"{API}/queues/").json()["Count"] == 1
    attempts = [
        readonly.post(f"{API}/tickets", json={"Tickets": [{"hd_queue_id": queue["id"], "title": "x"}]}),
        readonly.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"title": "x"}]}),
        readonly.post(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"title": "x"}]}),
        readonly.delete(f"{API}/tickets/{ticket_id}"),
        readonly.post(f"{API}/tickets/{ticket_id}/work", json={"Work": [{"note": "x"}]}),
        readonly.put(f"{API}/tickets/{ticket_id}/move_to_queue/{queue['id']}"),
    ]
    assert [response.status_code for response in attempts] == [403] * len(attempts)
    assert readonly.get(f"{API}/tickets/{ticket_id}").json()["Tickets"][0]["title"] == "Look, don't touch"


def test_standard_users_see_and_change_only_what_they_submitted(admin, user, org, queue):
    theirs = create_ticket(user, hd_queue_id=queue["id"], title="My mouse")
    others = create_ticket(admin, hd_queue_id=queue["id"], title="Admin's own")
    listed = user.get(f"{API}/tickets", params={"shaping": "hd_ticket limited,submitter limited"}).json()
    assert [t["id"] for t in listed["Tickets"]] == [theirs]
    assert listed["Tickets"][0]["submitter"]["id"] == org.user.id
    assert user.get(f"{API}/tickets/{others}").status_code == 404
    assert user.put(f"{API}/tickets/{others}", json={"Tickets": [{"title": "mine now"}]}).status_code == 404
    assert user.get(f"{API}/tickets/{others}/changes").status_code == 404
    assert user.get(f"{API}/tickets/{others}/clone").status_code == 404
    assert user.put(f"{API}/tickets/{theirs}", json={"Tickets": [
        {"title": "My mouse is broken", "change": {"comment": "still broken"}}]}).status_code == 200
    owner = user.put(f"{API}/tickets/{theirs}", json={"Tickets": [{"owner": org.user.id}]})
    assert owner.status_code == 403
    assert owner.json()["field"] == "owner_id"
    assert user.delete(f"{API}/tickets/{theirs}").status_code == 403
    assert user.post(f"{API}/tickets/{theirs}/work", json={"Work": [{"note": "x"}]}).status_code == 403
    stats = user.post(f"{API}/tickets/stats", json={"Stats": [{"filtering": ""}]}).json()
    assert stats["Stats"][0]["count"] == 1


def test_standard_users_cannot_submit_for_someone_else(user, org, queue):
    response = user.post(f"{API}/tickets", json={"Tickets": [
        {"hd_queue_id": queue["id"], "title": "x", "submitter": org.admin.id}]})
    assert response.status_code == 403
    assert response.json()["field"] == "submitter_id"


def test_owners_only_comments_are_hidden_from_submitters(admin, user, queue):
    ticket_id = create_ticket(user, hd_queue_id=queue["id"], title="Help")
    admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [
        {"change": {"comment": "user is on leave, wait", "owners_only": 1}}]})
    admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"change": {"comment": "we are on it"}}]})
    staff_view = admin.get(f"{API}/tickets/{ticket_id}/changes", params={"sorting": "id"}).json()
    assert [c["owners_only"] for c in staff_view["Changes"]] == [0, 1, 0]
    user_view = user.get(f"{API}/tickets/{ticket_id}/changes", params={"sorting": "id"}).json()
    assert [c["comment"] for c in user_view["Changes"]] == ["", "we are on it"]
    hidden = staff_view["Changes"][1]["id"]
    assert user.get(f"{API}/tickets/{ticket_id}/changes/{hidden}/attachments/1").status_code == 404
    own = user.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"change": {"comment": "x", "owners_only": 1}}]})
    assert own.status_code == 403
    # Staff can make the comment visible again; the submitter then sees it.
    toggle = admin.put(f"{API}/tickets/{ticket_id}/change/{hidden}", json={"Changes": [{"owners_only": 0}]})
    assert toggle.status_code == 200
    assert toggle.json() == {"Result": "Success"}
    assert user.get(f"{API}/tickets/{ticket_id}/changes").json()["Count"] == 3
    assert user.put(f"{API}/tickets/{ticket_id}/change/{hidden}",
                    json={"Changes": [{"owners_only": 1}]}).status_code == 403


def test_owners_only_toggle_checks_its_input(admin, queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Toggle")
    change_id = admin.get(f"{API}/tickets/{ticket_id}/changes").json()["Changes"][0]["id"]
    path = f"{API}/tickets/{ticket_id}/change/{change_id}"
    assert admin.put(path, json={"Changes": [{"comment": "rewrite"}]}).json()["field"] == "comment"
    assert admin.put(path, json={"Changes": []}).json()["field"] == "Changes"
    assert admin.put(path, json={"Changes": [{"owners_only": "maybe"}]}).json()["field"] == "owners_only"
    assert admin.put(f"{API}/tickets/{ticket_id}/change/999999", json={"Changes": [{"owners_only": 1}]}).status_code \
        == 404


def test_queues_closed_to_users_are_invisible_to_them(admin, user, queue, make_queue):
    staff_queue = make_queue("Staff only", allow_all_users=False)
    assert [q["id"] for q in user.get(f"{API}/queues/").json()["Queues"]] == [queue["id"]]
    assert user.get(f"{API}/queues/{staff_queue}").status_code == 404
    refused = user.post(f"{API}/tickets", json={"Tickets": [{"hd_queue_id": staff_queue, "title": "x"}]})
    assert refused.status_code == 404
    assert refused.json()["field"] == "hd_queue_id"
    assert admin.get(f"{API}/queues/{staff_queue}").status_code == 200


def test_organizations_are_walls(admin, other_admin, org, queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Ours")
    for path in (f"tickets/{ticket_id}", f"tickets/{ticket_id}/changes", f"tickets/{ticket_id}/work",
                 f"tickets/{ticket_id}/clone", f"queues/{queue['id']}", f"queues/{queue['id']}/fields"):
        assert other_admin.get(f"{API}/{path}").status_code == 404, path
    assert other_admin.delete(f"{API}/tickets/{ticket_id}").status_code == 404
    assert other_admin.get(f"{API}/tickets").json()["Count"] == 0
    theirs = other_admin.get(f"{API}/queues/").json()["Queues"][0]["id"]
    moved = admin.put(f"{API}/tickets/{ticket_id}/move_to_queue/{theirs}")
    assert moved.status_code == 404
    foreign_owner = admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"owner": 10**9}]})
    assert foreign_owner.status_code == 404
    assert foreign_owner.json()["field"] == "owner_id"
    status_of_theirs = other_admin.get(f"{API}/queues/{theirs}", params={"shaping": "statuses limited"})
    their_status = named(status_of_theirs.json()["Queues"][0]["statuses"], "Opened")["id"]
    response = admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"status": their_status}]})
    assert response.status_code == 404
    assert response.json()["field"] == "hd_status_id"
