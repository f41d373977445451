"""The ticket wildcard `*` answered from the ticket search index (decision 0410): a case-insensitive
"contains" over title, description, CC list and resolution, owner and submitter names as before,
current after every write, and never across organizations. Counts a page can tell are not counted
(decision 0411)."""

from __future__ import annotations

from sqlalchemy import text

from tests.servicedesk.conftest import API, create_ticket, named


def found(client, filtering: str, **params: str) -> list[int]:
    response = client.get(f"{API}/tickets", params={"filtering": filtering, "shaping": "hd_ticket limited",
                                                    "paging": "limit 0", **params})
    assert response.status_code == 200, response.text
    return sorted(ticket["id"] for ticket in response.json()["Tickets"])


def counted(client, filtering: str) -> int:
    response = client.get(f"{API}/tickets", params={"filtering": filtering, "use_count_only": "true"})
    assert response.status_code == 200, response.text
    return response.json()["Count"]


def test_words_parts_of_words_and_case(admin, queue):
    printer = create_ticket(admin, hd_queue_id=queue["id"], title="Printer on floor 3 jams",
                            summary="The LaserJet shows error 49.4C02")
    mail = create_ticket(admin, hd_queue_id=queue["id"], title="Mailbox full", cc_list="boss@example.org",
                         resolution="Archived old mail to the NAS")
    assert found(admin, "* co printer") == [printer]
    assert found(admin, "* co PRINTER") == [printer]
    assert found(admin, "* co rinte") == [printer]  # inside a word: "contains", not word search
    assert found(admin, "* co laserjet shows") == [printer]  # across words of the description
    assert found(admin, "* co 49.4c0") == [printer]
    assert found(admin, "* co @example.org") == [mail]  # CC list
    assert found(admin, "* co old mail") == [mail]  # resolution
    assert found(admin, "* co mail") == [mail]
    assert found(admin, "* co printer mailbox") == []  # a phrase is matched as written
    assert found(admin, "* co jams floor") == []
    assert found(admin, "* nc printer") == [mail]
    assert counted(admin, "* co floor 3") == 1


def test_other_operators_and_short_values(admin, queue):
    first = create_ticket(admin, hd_queue_id=queue["id"], title="VPN drops every hour", summary="ticket #7")
    second = create_ticket(admin, hd_queue_id=queue["id"], title="New VPN token", summary="")
    assert found(admin, "* st vpn") == [first]
    assert found(admin, "* en token") == [second]
    assert found(admin, "* eq new vpn token") == [second]
    assert found(admin, "* ns vpn") == [second]
    # Shorter than a trigram: matched field by field, with the same meaning.
    assert found(admin, "* co #7") == [first]
    assert found(admin, "* co n") == [first, second]


def test_values_are_text_never_query_syntax(admin, queue):
    quoted = create_ticket(admin, hd_queue_id=queue["id"], title='Error "0x80070005" on update')
    percent = create_ticket(admin, hd_queue_id=queue["id"], title="Disk 100% full_now")
    create_ticket(admin, hd_queue_id=queue["id"], title="Disk 1000 fullxnow")
    assert found(admin, '* co "0x80070005"') == [quoted]
    assert found(admin, "* co 0x8007 OR disk") == []
    assert found(admin, "* co 100%") == [percent]
    assert found(admin, "* co l_now") == [percent]
    assert found(admin, "* co disk*") == []
    assert found(admin, "* co NEAR(disk full)") == []


def test_owner_and_submitter_names_still_match(admin, org, queue):
    owned = create_ticket(admin, hd_queue_id=queue["id"], title="Keyboard", owner=org.readonly.id)
    create_ticket(admin, hd_queue_id=queue["id"], title="Mouse")
    login = org.readonly.login
    assert found(admin, f"* co {login}") == [owned]
    assert found(admin, f"* co {login.upper()},* co keyb") == [owned]


def test_another_organizations_tickets_never_match(admin, other_admin, queue):
    ours = create_ticket(admin, hd_queue_id=queue["id"], title="Projector flickers in room Zephyr")
    their_queue = other_admin.get(f"{API}/queues/").json()["Queues"][0]["id"]
    theirs = create_ticket(other_admin, hd_queue_id=their_queue, title="Projector flickers in room Zephyr")
    assert found(admin, "* co zephyr") == [ours]
    assert found(other_admin, "* co zephyr") == [theirs]
    assert counted(admin, "* co projector flickers") == 1
    assert found(admin, "* nc zephyr") == []


def test_the_index_follows_updates_moves_and_deletes(admin, queue, make_queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Badge reader broken", summary="lobby door")
    kept = create_ticket(admin, hd_queue_id=queue["id"], title="Badge printer", summary="lobby desk")
    assert found(admin, "* co reader") == [ticket_id]
    changed = admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [
        {"title": "Turnstile jammed", "summary": "garage gate", "change": {"comment": "reader was fine"}}]})
    assert changed.status_code == 200, changed.text
    assert found(admin, "* co reader") == []  # comments are changes, not ticket text
    assert found(admin, "* co turnstile") == [ticket_id]
    assert found(admin, "* co lobby") == [kept]
    resolved = admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"resolution": "Oiled the hinge"}]})
    assert resolved.status_code == 200, resolved.text
    assert found(admin, "* co hinge") == [ticket_id]
    other_queue = make_queue("Facilities")
    assert admin.put(f"{API}/tickets/{ticket_id}/move_to_queue/{other_queue}").status_code == 200
    assert found(admin, "* co turnstile") == [ticket_id]
    clone = admin.get(f"{API}/tickets/{ticket_id}/clone").json()["Tickets"][0]
    clone_id = create_ticket(admin, **clone)
    assert found(admin, "* co turnstile") == [ticket_id, clone_id]
    assert admin.delete(f"{API}/tickets/{ticket_id}").status_code == 200
    assert found(admin, "* co turnstile") == [clone_id]
    assert found(admin, "* co hinge") == []


def test_a_refused_write_leaves_the_index_as_it_was(admin, queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Scanner offline")
    refused = admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"title": "Scanner fixed", "owner": 10**9}]})
    assert refused.status_code == 404
    assert found(admin, "* co offline") == [ticket_id]
    assert found(admin, "* co fixed") == []


def test_the_sqlite_index_matches_the_tickets(admin, queue, engine):
    """FTS5's own check that the external-content index holds exactly the tickets' text."""
    if engine.dialect.name != "sqlite":
        with engine.connect() as connection:
            indexes = set(connection.scalars(text(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'hd_tickets' AND indexdef LIKE '%gin_trgm_ops%'")))
        assert indexes == {f"ix_hd_tickets_{column}_trgm" for column in ("title", "summary", "cc_list", "resolution")}
        return
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Check me")
    admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"summary": "checked"}]})
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO hd_ticket_search (hd_ticket_search) VALUES ('integrity-check')"))


def test_the_count_of_a_page_is_read_off_the_page_or_counted(admin, queue):
    for n in range(3):
        create_ticket(admin, hd_queue_id=queue["id"], title=f"Monitor flicker {n}")
    create_ticket(admin, hd_queue_id=queue["id"], title="Something else")

    def page(paging: str) -> dict:
        response = admin.get(f"{API}/tickets", params={"filtering": "* co flicker", "paging": paging})
        assert response.status_code == 200, response.text
        return response.json()

    assert page("limit 50")["Count"] == 3
    assert page("limit 2")["Count"] == 3
    assert len(page("limit 2")["Tickets"]) == 2
    assert page("limit 2 offset 2")["Count"] == 3
    assert page("limit 3")["Count"] == 3
    assert page("limit 2 offset 5") == {"Count": 3, "Tickets": []}
    without = admin.get(f"{API}/tickets", params={"filtering": "* co flicker", "use_count": "false"}).json()
    assert "Count" not in without
    assert len(without["Tickets"]) == 3


def test_pages_started_from_the_index_keep_order_paging_and_count(admin, org, queue, engine):
    """On SQLite a page and its count start from the index (decision 0412) unless a person's name
    matches too; either way the answer is the tickets a plain filter gives, in the asked order."""
    from tests.servicedesk.test_query_counts import counting

    closed = named(queue["statuses"], "Closed")["id"]
    scanners = [create_ticket(admin, hd_queue_id=queue["id"], title=f"Scanner jam {n}",
                              status=closed if n % 3 == 0 else named(queue["statuses"], "New")["id"])
                for n in range(7)]
    create_ticket(admin, hd_queue_id=queue["id"], title="Stapler empty", status=closed)

    def page(filtering: str, **params: str) -> dict:
        response = admin.get(f"{API}/tickets", params={"filtering": filtering, "shaping": "hd_ticket limited",
                                                       **params})
        assert response.status_code == 200, response.text
        return response.json()

    def ids(answer: dict) -> list[int]:
        return [ticket["id"] for ticket in answer["Tickets"]]

    def page_and_count(statements: list[str]) -> list[str]:
        return [statement for statement in statements
                if " AS base_id" in statement or statement.startswith("SELECT count(*) AS count_1 \nFROM hd_ticket")]

    with counting(engine) as statements:
        first = page("* co scanner", paging="limit 3")
    assert ids(first) == scanners[:3] and first["Count"] == 7
    answered_by_the_index = page_and_count(statements)
    assert len(answered_by_the_index) == 2
    for statement in answered_by_the_index:
        assert "UNION" not in statement
        assert ("CROSS JOIN" in statement) == (engine.dialect.name == "sqlite")
    assert ids(page("* co scanner", paging="limit 3 offset 3")) == scanners[3:6]
    assert ids(page("* co scanner", paging="limit 3", sorting="id desc")) == scanners[::-1][:3]
    assert ids(page("* co scanner", sorting="title desc")) == scanners[::-1]
    in_closed = page("hd_status.name eq closed,* co scanner", paging="limit 2")
    assert ids(in_closed) == [scanners[0], scanners[3]] and in_closed["Count"] == 3
    both = page("* co scanner,* co jam 4", paging="limit 1")
    assert ids(both) == [scanners[4]] and both["Count"] == 1
    assert ids(page("* co scanner,* nc jam 4,* co jam")) == scanners[:4] + scanners[5:]

    # A person whose login holds the term: the index alone would miss the ticket they own.
    owned = create_ticket(admin, hd_queue_id=queue["id"], title="Toner low", owner=org.readonly.id)
    term = org.readonly.login[1:]
    create_ticket(admin, hd_queue_id=queue["id"], title=f"About {term}")
    with counting(engine) as statements:
        answer = page(f"* co {term}", paging="limit 1")
    assert ids(answer) == [owned] and answer["Count"] == 2
    with_people = page_and_count(statements)
    assert len(with_people) == 2
    assert all("UNION" in statement and "CROSS JOIN" not in statement for statement in with_people)
    assert sum(statement.startswith("SELECT EXISTS") for statement in statements) == 1  # asked once per page
