"""Attachments: multipart updates as the reference's examples send them, listed through the
changes, downloaded byte for byte; names sanitized; limits enforced with nothing half-written."""

from __future__ import annotations

import hashlib
import json
import os

from tests.servicedesk.conftest import API, create_ticket

BINARY = bytes(range(256)) * 64 + b"\x00\xff\x00"


def _multipart(client, method: str, path: str, **kwargs):
    # The JSON client sends Content-Type: application/json by default; a multipart request needs its own.
    json_type = client.headers.pop("Content-Type")
    try:
        return client.request(method, path, **kwargs)
    finally:
        client.headers["Content-Type"] = json_type


def _upload(client, ticket_id: int, ticket: dict, files: list[tuple[str, tuple]], method: str = "POST"):
    return _multipart(client, method, f"{API}/tickets/{ticket_id}",
                      data={"Tickets": json.dumps({"Tickets": [ticket]})}, files=files)


def _stored_files(settings) -> set[str]:
    root = settings.data_dir / "attachments"
    return {str(path) for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def test_upload_and_download_round_trip_of_a_binary_file(admin, queue, settings):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Broken screen")
    ticket = {"change": {"comment": "photos attached", "attachmentSet": "INVENTORY_FILE[]"}}
    files = [("INVENTORY_FILE[]", ("screen.bin", BINARY, "application/octet-stream")),
             ("INVENTORY_FILE[]", ("notes.txt", b"cracked in the corner\n", "text/plain"))]
    response = _upload(admin, ticket_id, ticket, files)
    assert response.status_code == 200, response.text
    assert response.json() == {"Result": "Success"}

    listed = admin.get(f"{API}/tickets/{ticket_id}/changes", params={"shaping": "attachments limited"})
    assert listed.status_code == 200
    change = next(c for c in listed.json()["Changes"] if c["attachments"])
    assert [a["file_name"] for a in change["attachments"]] == ["screen.bin", "notes.txt"]
    assert set(change["attachments"][0]) == {"id", "file_name"}

    example = admin.get(f"{API}/tickets/{ticket_id}/changes",
                        params={"shaping": "hd_ticket_change regular,attachments regular,user limited"})
    regular = next(c for c in example.json()["Changes"] if c["attachments"])
    screen = regular["attachments"][0]
    assert screen["file_size"] == len(BINARY)
    assert screen["sha256"] == hashlib.sha256(BINARY).hexdigest()
    assert regular["comment"] == "photos attached"
    assert regular["user"]["id"]

    download = admin.get(f"{API}/tickets/{ticket_id}/changes/{regular['id']}/attachments/{screen['id']}")
    assert download.status_code == 200
    assert download.content == BINARY
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith('attachment; filename="screen.bin"')
    text = admin.get(f"{API}/tickets/{ticket_id}/changes/{regular['id']}/attachments/"
                     f"{regular['attachments'][1]['id']}")
    assert text.headers["content-type"].startswith("text/plain")
    assert text.content == b"cracked in the corner\n"


def test_attachments_can_come_with_a_put_and_a_list_of_part_names(admin, queue):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Two parts")
    ticket = {"title": "Two parts, renamed", "change": {"comment": "see files", "attachmentSet": ["a", "b"]}}
    files = [("a", ("a.pdf", b"%PDF-1.4 a", "application/pdf")), ("b", ("b.png", b"\x89PNG b", "image/png"))]
    response = _upload(admin, ticket_id, ticket, files, method="PUT")
    assert response.status_code == 200, response.text
    changes = admin.get(f"{API}/tickets/{ticket_id}/changes",
                        params={"shaping": "hd_ticket_change all,attachments all", "sorting": "id desc"})
    latest = changes.json()["Changes"][0]
    assert 'Changed ticket Title from "Two parts" to "Two parts, renamed".' in latest["description"]
    assert [(a["file_name"], a["content_type"]) for a in latest["attachments"]] == [
        ("a.pdf", "application/pdf"), ("b.png", "image/png")]


def test_a_path_in_a_file_name_never_leaves_the_folder(admin, queue, settings):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Sneaky")
    ticket = {"change": {"comment": "x", "attachmentSet": "f"}}
    files = [("f", ("../../../etc/passwd", b"root:x:0:0", "text/plain"))]
    assert _upload(admin, ticket_id, ticket, files).status_code == 200
    changes = admin.get(f"{API}/tickets/{ticket_id}/changes", params={"shaping": "attachments all"}).json()
    [attachment] = [a for c in changes["Changes"] for a in c["attachments"]]
    assert attachment["file_name"] == "passwd"
    root = (settings.data_dir / "attachments").resolve()
    for stored in _stored_files(settings):
        assert os.path.realpath(stored).startswith(str(root) + os.sep)


def test_oversize_attachment_is_refused_and_nothing_is_written(admin, queue, settings):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Too big")
    before = _stored_files(settings)
    big = b"x" * (settings.max_attachment_bytes + 1)
    ticket = {"title": "should not change", "change": {"comment": "big", "attachmentSet": "f"}}
    response = _upload(admin, ticket_id, ticket, [("f", ("big.bin", big, "application/octet-stream"))])
    assert response.status_code == 413
    assert response.json()["field"] == "attachmentSet[0]"
    assert _stored_files(settings) == before
    assert admin.get(f"{API}/tickets/{ticket_id}").json()["Tickets"][0]["title"] == "Too big"
    assert admin.get(f"{API}/tickets/{ticket_id}/changes").json()["Count"] == 1


def test_a_later_error_removes_the_files_already_stored(admin, queue, settings):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Rollback")
    before = _stored_files(settings)
    ticket = {"status": 999999, "change": {"comment": "x", "attachmentSet": "f"}}
    response = _upload(admin, ticket_id, ticket, [("f", ("ok.txt", b"fine", "text/plain"))])
    assert response.status_code == 404
    assert response.json()["field"] == "hd_status_id"
    assert _stored_files(settings) == before
    assert admin.get(f"{API}/tickets/{ticket_id}/changes").json()["Count"] == 1


def test_malformed_and_inconsistent_multipart_bodies(admin, queue, settings):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Bad uploads")
    headers = {"Content-Type": "multipart/form-data; boundary=XYZ"}
    broken = admin.post(f"{API}/tickets/{ticket_id}", headers=headers, content=b"--XYZ\r\nnot a part header")
    assert broken.status_code == 400
    no_tickets = _multipart(admin, "POST", f"{API}/tickets/{ticket_id}", files=[("f", ("f.txt", b"f", "text/plain"))])
    assert no_tickets.status_code == 400
    assert no_tickets.json()["field"] == "Tickets"
    undeclared = _upload(admin, ticket_id, {"change": {"comment": "x", "attachmentSet": "a"}},
                         [("a", ("a.txt", b"a", "text/plain")), ("b", ("b.txt", b"b", "text/plain"))])
    assert undeclared.status_code == 400
    assert undeclared.json()["field"] == "attachmentSet"
    missing = _upload(admin, ticket_id, {"change": {"comment": "x", "attachmentSet": "zzz"}},
                      [("a", ("a.txt", b"a", "text/plain"))])
    assert missing.status_code == 400
    six = [("f", (f"{n}.txt", b"n", "text/plain")) for n in range(6)]
    too_many = _upload(admin, ticket_id, {"change": {"comment": "x", "attachmentSet": "f"}}, six)
    assert too_many.status_code == 400
    not_json = _multipart(admin, "POST", f"{API}/tickets/{ticket_id}", data={"Tickets": "{nope"},
                          files=[("f", ("f.txt", b"f", "text/plain"))])
    assert not_json.status_code == 400
    assert not_json.json()["field"] == "Tickets"
    assert admin.get(f"{API}/tickets/{ticket_id}/changes").json()["Count"] == 1


def test_attachment_routes_check_every_id(admin, queue, other_org):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Ids")
    _upload(admin, ticket_id, {"change": {"comment": "x", "attachmentSet": "f"}},
            [("f", ("f.txt", b"f", "text/plain"))])
    change = admin.get(f"{API}/tickets/{ticket_id}/changes", params={"sorting": "id desc",
                                                                    "shaping": "attachments limited"})
    latest = change.json()["Changes"][0]
    attachment_id = latest["attachments"][0]["id"]
    first_change = admin.get(f"{API}/tickets/{ticket_id}/changes", params={"sorting": "id"}).json()["Changes"][0]
    wrong_change = admin.get(f"{API}/tickets/{ticket_id}/changes/{first_change['id']}/attachments/{attachment_id}")
    assert wrong_change.status_code == 404
    assert wrong_change.json()["field"] == "attachmentID"
    other_ticket = create_ticket(admin, hd_queue_id=queue["id"], title="Other")
    wrong_ticket = admin.get(f"{API}/tickets/{other_ticket}/changes/{latest['id']}/attachments/{attachment_id}")
    assert wrong_ticket.status_code == 404


def test_deleting_a_ticket_removes_its_files_once_committed(admin, queue, settings):
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="With files")
    before = _stored_files(settings)
    _upload(admin, ticket_id, {"change": {"comment": "x", "attachmentSet": "f"}},
            [("f", ("f.bin", BINARY, "application/octet-stream"))])
    added = _stored_files(settings) - before
    assert len(added) == 1
    assert admin.delete(f"{API}/tickets/{ticket_id}").status_code == 200
    assert _stored_files(settings) == before


def test_the_references_upload_shape_an_array_of_one_ticket_and_five_bracketed_parts(admin, queue):
    """"Upload an attachment as a ticket change": the Tickets part holds the array of one ticket; the
    brackets of INVENTORY_FILE[] let the name repeat, up to five attachments in one change."""
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Five files")
    files = [("INVENTORY_FILE[]", (f"file-{n}.txt", f"content {n}".encode(), "text/plain")) for n in range(5)]
    for declared in ("INVENTORY_FILE[]", "INVENTORY_FILE", ["INVENTORY_FILE"]):
        tickets = [{"change": {"comment": f"as {declared}", "attachmentSet": declared}}]
        response = _multipart(admin, "POST", f"{API}/tickets/{ticket_id}", data={"Tickets": json.dumps(tickets)},
                              files=files)
        assert response.status_code == 200, response.text
    listed = admin.get(f"{API}/tickets/{ticket_id}/changes", params={"shaping": "attachments limited"})
    uploads = [c["attachments"] for c in listed.json()["Changes"] if c["attachments"]]
    assert [[a["file_name"] for a in change] for change in uploads] == [[f"file-{n}.txt" for n in range(5)]] * 3
    six = files + [("INVENTORY_FILE[]", ("file-6.txt", b"six", "text/plain"))]
    too_many = _multipart(admin, "POST", f"{API}/tickets/{ticket_id}",
                          data={"Tickets": json.dumps([{"change": {"attachmentSet": "INVENTORY_FILE"}}])}, files=six)
    assert too_many.status_code == 400 and too_many.json()["field"] in ("attachmentSet", "body")
