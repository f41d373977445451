"""Package files: stored once per content, streamed back with Range, size limits, deletion."""

from __future__ import annotations

import hashlib
import json

from tests.distribution.helpers import MI, create, multipart, read, title, upload


def stored_files(settings, organization_id: int) -> list[str]:
    folder = settings.data_dir / "packages" / str(organization_id)
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_the_same_content_is_stored_once_and_read_back_in_ranges(admin, settings, org):
    content = b"#!/bin/sh\necho installing\n" * 100
    first = upload(admin, "setup.sh", content)
    assert upload(admin, "renamed.sh", content) == first
    checksum = hashlib.sha256(content).hexdigest()
    assert stored_files(settings, org.id) == [checksum]
    listed = admin.get("/api/mi/files", params={"use_count": "true"}).json()
    assert listed["Count"] == 1
    record = listed["Files"][0]
    assert (record["Name"], record["Checksum"], record["Size"]) == ("setup.sh", checksum, str(len(content)))
    assert admin.get("/api/mi/files", params={"filtering": f"checksum eq {checksum}"}).json()["Files"] == [record]
    assert admin.get(f"/api/mi/files/{first}").json()["Files"] == [record]
    whole = admin.get(f"/api/mi/files/{first}/download")
    assert whole.status_code == 200 and whole.content == content and whole.headers["accept-ranges"] == "bytes"
    part = admin.get(f"/api/mi/files/{first}/download", headers={"Range": "bytes=100-"})
    assert part.status_code == 206 and part.content == content[100:]
    managed_install = create(admin, File_id=first)
    assert admin.get(f"{MI}/{managed_install}/file").json()["Files"][0]["Checksum"] == checksum
    raw = admin.get(f"/api/managed_install/managed_installs/{managed_install}/file",
                    headers={"Accept": "application/octet-stream", "Range": "bytes=0-9"})
    assert raw.status_code == 206 and raw.content == content[:10]
    without = create(admin)
    assert admin.get(f"{MI}/{without}/file").status_code == 404


def test_a_file_in_use_stays_and_an_unused_one_goes_with_its_bytes(admin, settings, org):
    used = upload(admin, "used.sh", b"used")
    unused = upload(admin, "unused.sh", b"unused")
    create(admin, File_id=used)
    refused = admin.delete(f"/api/mi/files/{used}")
    assert refused.status_code == 409 and refused.json()["field"] == "id"
    assert admin.delete(f"/api/mi/files/{unused}").status_code == 200
    assert stored_files(settings, org.id) == [hashlib.sha256(b"used").hexdigest()]
    assert admin.get(f"/api/mi/files/{unused}").status_code == 404
    again = upload(admin, "unused.sh", b"unused")  # uploaded again: stored again
    assert admin.get(f"/api/mi/files/{again}/download").content == b"unused"


def test_uploads_are_checked(admin, settings, org):
    empty = multipart(admin, "POST", "/api/mi/files", files={"file": ("empty.sh", b"")})
    assert empty.status_code == 400 and empty.json()["field"] == "file"
    large = multipart(admin, "POST", "/api/mi/files",
                      files={"file": ("big.bin", b"x" * (settings.max_package_bytes + 1))})
    assert large.status_code == 413 and large.json()["field"] == "file"
    not_multipart = admin.post("/api/mi/files", json={"file": "x"})
    assert not_multipart.status_code == 400 and not_multipart.json()["field"] == "file"
    assert stored_files(settings, org.id) == []
    assert not list((settings.data_dir / "packages" / ".incoming").iterdir())


def test_a_managed_install_and_its_package_in_one_multipart_request(admin, settings, org):
    record = {"Software": title(), "Supported_operating_systems": ["Linux"], "Full_command_line": "sh setup.sh",
              "File": {"attachmentSet": "pkg"}}
    answer = multipart(admin, "POST", MI, files={"MIs": (None, json.dumps({"MIs": [record]}), "application/json"),
                                                  "pkg": ("setup.sh", b"echo hi", "text/x-sh")})
    assert answer.status_code == 200, answer.text
    created = read(admin, answer.json()["IDs"][0], shaping="mi standard,file standard")
    assert created["File"][0]["Name"] == "setup.sh" and created["File_id"] == created["File"][0]["Id"]
    # A part no record names, or a record naming no part: nothing is written.
    for parts, field in (({"pkg": ("a.sh", b"a"), "other": ("b.sh", b"b")}, "other"),
                         ({"wrong": ("a.sh", b"a")}, "MIs[0].File")):
        files = {"MIs": (None, json.dumps({"MIs": [record]}), "application/json"), **parts}
        refused = multipart(admin, "POST", MI, files=files)
        assert refused.status_code == 400 and refused.json()["field"] == field, refused.text
    assert admin.get(MI, params={"use_count_only": "true"}).json() == {"Count": 1}
    assert len(stored_files(settings, org.id)) == 1
