"""Lists cost a fixed number of statements, whatever the number of rows: no N+1."""

from __future__ import annotations

from tests.servicedesk.conftest import API, create_ticket
from tests.statements import statements as counting

SHAPED = {"shaping": "hd_ticket all,owner limited,submitter limited,status limited,priority limited,"
                     "category limited,impact limited,queue limited,related_tickets limited",
          "filtering": "hd_status.name eq New,* co t"}


def _statements_for(admin, engine, path: str, params: dict[str, str]) -> int:
    with counting(engine) as statements:
        response = admin.get(path, params=params)
        assert response.status_code == 200, response.text
    return len(statements)


def test_ticket_list_statements_do_not_grow_with_rows(admin, org, engine, queue):
    for n in range(2):
        create_ticket(admin, hd_queue_id=queue["id"], title=f"t{n}", owner=org.admin.id)
    # The first read warms what the server keeps per process.
    _statements_for(admin, engine, f"{API}/tickets", SHAPED)
    few = _statements_for(admin, engine, f"{API}/tickets", SHAPED)
    for n in range(8):
        create_ticket(admin, hd_queue_id=queue["id"], title=f"t{n}", owner=org.readonly.id)
    many = _statements_for(admin, engine, f"{API}/tickets", SHAPED)
    assert many == few
    # Session and caller lookups, the count, the page, one per shaped sub-entity.
    assert many <= 20


def test_change_and_queue_lists_do_not_grow_with_rows(admin, engine, queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Busy")
    params = {"shaping": "hd_ticket_change all,attachments all,user limited"}
    few = _statements_for(admin, engine, f"{API}/tickets/{ticket_id}/changes", params)
    for n in range(6):
        admin.put(f"{API}/tickets/{ticket_id}", json={"Tickets": [{"title": f"Busy {n}"}]})
    assert _statements_for(admin, engine, f"{API}/tickets/{ticket_id}/changes", params) == few
    queue_params = {"shaping": "hd_queue all,categories all,priorities all,impacts all,statuses all,fields all"}
    assert _statements_for(admin, engine, f"{API}/queues/", queue_params) <= 15
