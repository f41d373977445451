"""The Managed Install API over HTTP: lists through the query engine, compatible machines, targets,
what inventories decide, walls, rights and history."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from estate.distribution.models import ManagedInstallMachine
from estate.history.models import History
from estate.kace.versions import KACE_API_VERSION
from tests.distribution.helpers import (
    LINUX,
    MI,
    WINDOWS,
    create,
    machine,
    read,
    reinventory,
    statuses,
    title,
    upload,
)

ADD = "/api/managed_install/managed_installs/{}/add_to_machines"
REMOVE = "/api/mi/managed_installs/{}/remove_from_machines"


def ids_of(answer, key: str = "Machines") -> set[int]:
    assert answer.status_code == 200, answer.text
    return {int(row["Id"]) for row in answer.json()[key]}


def test_lists_answer_in_the_appliance_envelopes_under_both_prefixes(admin):
    first = create(admin, Name="Alpha tool", Notes="first one")
    second = create(admin, Name="Beta tool")
    listed = admin.get(MI, params={"use_count": "true", "sorting": "name desc"})
    assert listed.status_code == 200
    body = listed.json()
    assert body["Count"] == 2 and [row["Name"] for row in body["MIs"]] == ["Beta tool", "Alpha tool"]
    record = body["MIs"][1]
    assert record["Id"] == str(first) and record["Supported_operating_systems"] == "Linux"
    assert record["Full_command_line"] == "sh install.sh" and record["Max_attempt_count"] == "3"
    assert record["Enabled"] == "0" and record["Deploy_to_all"] == "0" and record["File_id"] == ""
    for path in (f"/api/managed_install/managed_installs/{second}/", f"{MI}/{second}", f"{MI}/{second}/"):
        assert admin.get(path).json()["MIs"][0]["Name"] == "Beta tool"
    assert ids_of(admin.get("/api/managed_install/managed_installs/", params={"filtering": "name co alpha"}),
                  "MIs") == {first}
    assert admin.get(MI, params={"filtering": "notes co first", "shaping": "mi limited"}).json()["MIs"] == [
        {"Id": str(first), "Name": "Alpha tool"}]
    assert admin.get(MI, params={"paging": "limit 1 offset 1", "sorting": "id"}).json()["MIs"][0]["Id"] == str(second)
    assert admin.get(MI, params={"use_count_only": "true"}).json() == {"Count": 2}
    shaped = read(admin, first, shaping="mi limited,software standard")
    assert shaped["Software"][0]["Display_version"] == "1.0.0"
    xml = admin.get(MI, headers={"Accept": "application/xml"})
    assert xml.status_code == 200 and b"<MIs>" in xml.content
    for prefix in ("/api/mi", "/api/managed_install"):
        for path in ("managed_installs", "machines", "compatible_machines", "files"):
            version = admin.get(f"{prefix}/{path}/version")
            assert version.status_code == 200 and version.json() == str(KACE_API_VERSION), (prefix, path)
    assert admin.get(MI, params={"filtering": "nonsense eq 1"}).json()["field"] == "filtering"


def test_compatible_machines_are_those_of_a_supported_system_without_the_title(admin):
    tool = title()
    plain = machine(admin, LINUX)
    has_it = machine(admin, LINUX, {**tool, "Display_name": tool["Display_name"].upper(), "Publisher": "Other Ltd"})
    older = machine(admin, LINUX, {**tool, "Display_version": "0.9"})
    windows = machine(admin, WINDOWS)
    managed_install = create(admin, Software=tool)
    compatible = admin.get(f"{MI}/{managed_install}/compatible_machines", params={"shaping": "machine limited"})
    assert ids_of(compatible) == {plain, older}
    assert has_it not in ids_of(admin.get("/api/mi/compatible_machines", params={"shaping": "machine limited"}))
    # By an operating system of the inventory's catalog: only machines running exactly that one.
    os_id = admin.get(f"/api/inventory/machines/{windows}", params={"shaping": "machine all"}).json()[
        "Machines"][0]["Os_id"]
    windows_only = create(admin, Software=title(), Supported_operating_systems=[{"id": int(os_id)}])
    assert read(admin, windows_only)["Supported_operating_systems"] == os_id
    assert ids_of(admin.get(f"{MI}/{windows_only}/compatible_machines")) == {windows}
    everything = ids_of(admin.get("/api/mi/compatible_machines", params={"shaping": "machine limited"}))
    assert {plain, older, windows} <= everything and has_it not in everything
    counted = admin.get(f"{MI}/{managed_install}/compatible_machines", params={"use_count_only": "true"})
    assert counted.json() == {"Count": 2}


def test_named_machines_become_targets_and_leave_again(admin):
    tool = title()
    linux, windows = machine(admin, LINUX), machine(admin, WINDOWS)
    already = machine(admin, LINUX, tool)
    managed_install = create(admin, Software=tool, Enabled=True)
    refused = admin.put(ADD.format(managed_install), json={"Machines": [str(linux), str(windows)]})
    assert refused.status_code == 400 and refused.json()["field"] == "Machines[1]"
    assert statuses(admin, linux) == {}  # nothing of a refused request is written
    missing = admin.put(ADD.format(managed_install), json={"Machines": [999_999]})
    assert missing.status_code == 404 and missing.json()["field"] == "Machines[0]"
    answer = admin.put(ADD.format(managed_install), json={"Machines": [str(linux), already]})
    assert answer.status_code == 200 and answer.content == b""
    pending = statuses(admin, linux)[managed_install]
    assert pending["Status"] == "pending" and pending["Selected"] == "1" and pending["Attempts"] == "0"
    assert statuses(admin, already)[managed_install]["Status"] == "installed"
    targets = read(admin, managed_install, shaping="mi limited,machines standard")["Machines"]
    assert {(int(row["Id"]), row["Status"]) for row in targets} == {(linux, "pending"), (already, "installed")}
    filtered = admin.get("/api/mi/machines", params={"filtering": f"managed_installs.id eq {managed_install}",
                                                     "shaping": "machine limited"})
    assert ids_of(filtered) == {linux, already}
    removed = admin.put(REMOVE.format(managed_install), json={"Machines": [linux]})
    assert removed.status_code == 200
    row = statuses(admin, linux)[managed_install]
    assert row["Status"] == "removed" and row["Removed"] == "1"
    assert admin.put(REMOVE.format(managed_install), json={"Machines": [linux], "Uninstall": True}).json()[
        "field"] == "Uninstall"  # no uninstall command
    admin.put(ADD.format(managed_install), json={"Machines": [linux]})
    assert statuses(admin, linux)[managed_install]["Status"] == "pending"


def test_every_compatible_machine_and_labelled_machines_are_targets_as_they_arrive(admin):
    everywhere = create(admin, Deploy_to_all=True, Enabled=True)
    early, windows = machine(admin, LINUX), machine(admin, WINDOWS)
    assert statuses(admin, early)[everywhere]["Status"] == "pending"  # its inventory made it a target
    assert everywhere not in statuses(admin, windows)
    label = f"lab-{uuid.uuid4().hex[:6]}"
    member = machine(admin, LINUX, Labels=[label])
    labelled = create(admin, Labels=[label])
    assert labelled in statuses(admin, member) and labelled not in statuses(admin, early)
    newcomer = machine(admin, LINUX, Labels=[{"Name": label}])
    assert {everywhere, labelled} <= set(statuses(admin, newcomer))
    assert read(admin, labelled, shaping="mi limited,label limited")["Label"][0]["Name"] == label
    unknown = admin.post(MI, json={"MIs": [{"Software": title(), "Full_command_line": "x",
                                            "Supported_operating_systems": "Linux", "Labels": ["no-such-label"]}]})
    assert unknown.status_code == 404 and unknown.json()["field"] == "Labels[0]"


def test_the_inventory_decides_what_is_installed(admin, sessions):
    tool = title()
    target = machine(admin, LINUX)
    managed_install = create(admin, Software=tool, Enabled=True, Machines=[target])
    assert statuses(admin, target)[managed_install]["Status"] == "pending"
    reinventory(admin, target, LINUX, tool)
    assert statuses(admin, target)[managed_install]["Status"] == "installed"
    assert target not in ids_of(admin.get(f"{MI}/{managed_install}/compatible_machines"))
    with sessions() as db:
        subject = db.scalar(select(ManagedInstallMachine.id).where(ManagedInstallMachine.machine_id == target))
    # The title left the machine: the managed install puts it back.
    reinventory(admin, target, LINUX)
    row = statuses(admin, target)[managed_install]
    assert row["Status"] == "pending" and row["Attempts"] == "0"
    with sessions() as db:
        from estate.agents.models import PENDING, Work

        waiting = db.scalars(select(Work.id).where(Work.kind == "mi", Work.subject_id == subject,
                                                   Work.state == PENDING)).all()
    assert len(waiting) == 1


def test_changes_are_checked_and_recorded(admin, sessions, org):
    managed_install = create(admin)
    file_id = upload(admin, "setup.sh", b"#!/bin/sh\necho setup\n")
    changed = admin.put(f"{MI}/{managed_install}", json={"MIs": [{
        "Name": "Renamed", "File_id": file_id, "Max_attempt_count": "5", "Deploy_window_start": "22:00",
        "Deploy_window_end": "05:30", "Run_as": 2, "Run_as_user": "deploy", "Supported_operating_systems": "Linux,Mac",
        "Uninstall_command_line": "sh uninstall.sh", "Enabled": "true"}]})
    assert changed.status_code == 200, changed.text
    record = read(admin, managed_install)
    assert (record["Name"], record["File_id"], record["Max_attempt_count"], record["Deploy_window_start"],
            record["Deploy_window_end"], record["Run_as_user"], record["Supported_operating_systems"],
            record["Enabled"]) == ("Renamed", str(file_id), "5", "22:00", "05:30", "deploy", "Linux,Mac", "1")
    # A record read back may be sent back as it is.
    again = admin.put(f"/api/managed_install/managed_installs/{managed_install}/", json=record)
    assert again.status_code == 200, again.text
    with sessions() as db:
        entries = db.scalars(select(History).where(History.organization_id == org.id,
                                                   History.entity_name.in_(("managed_install", "package_file")))
                             .order_by(History.id)).all()
    assert [(entry.entity_name, entry.action) for entry in entries] == [
        ("managed_install", 1), ("package_file", 1), ("managed_install", 2)]
    assert admin.delete(f"{MI}/{managed_install}").status_code == 200
    assert admin.get(f"{MI}/{managed_install}").status_code == 404


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"MIs": [{"Software": {"Display_name": "x"}, "Supported_operating_systems": ["Linux"]}]}, 400,
     "Full_command_line"),
    ({"MIs": [{"Full_command_line": "x", "Supported_operating_systems": ["Linux"]}]}, 400, "Software_id"),
    ({"MIs": [{"Full_command_line": "x", "Software": {"Display_name": "x"}}]}, 400, "Supported_operating_systems"),
    ({"MIs": [{"Full_command_line": "x", "Software": {"Display_name": "x"}, "Supported_operating_systems": ["Amiga"]}]},
     400, "Supported_operating_systems[0].family"),
    ({"MIs": [{"Full_command_line": "x", "Software": {"Version": "1"}, "Supported_operating_systems": ["Linux"]}]},
     400, "Software.Version"),
    ({"MIs": [{"Full_command_line": "x", "Software_id": 999999, "Supported_operating_systems": ["Linux"]}]},
     404, "Software_id"),
    ({"MIs": [{"Full_command_line": "x", "Software": {"Display_name": "x"}, "Supported_operating_systems": ["Linux"],
               "File_id": 999999}]}, 404, "File_id"),
    ({"MIs": [{"Full_command_line": "", "Software": {"Display_name": "x"}}]}, 400, "Full_command_line"),
    ({"MIs": [{"Full_command_line": "x", "Software": {"Display_name": "x"}, "Supported_operating_systems": ["Linux"],
               "Max_attempt_count": 0}]}, 400, "Max_attempt_count"),
    ({"MIs": [{"Full_command_line": "x", "Software": {"Display_name": "x"}, "Supported_operating_systems": ["Linux"],
               "Deploy_window_start": "25:00", "Deploy_window_end": "01:00"}]}, 400, "Deploy_window_start"),
    ({"MIs": [{"Full_command_line": "x", "Software": {"Display_name": "x"}, "Supported_operating_systems": ["Linux"],
               "Deploy_window_start": "22:00"}]}, 400, "Deploy_window_end"),
    ({"MIs": [{"Full_command_line": "x", "Software": {"Display_name": "x"}, "Supported_operating_systems": ["Linux"],
               "Run_as": 2}]}, 400, "Run_as_user"),
    ({"MIs": [{"Full_command_line": "x", "Software": {"Display_name": "x"}, "Supported_operating_systems": ["Linux"],
               "Enabled": "maybe"}]}, 400, "Enabled"),
    ({"MIs": [{"Full_command_line": "x", "Software": {"Display_name": "x"}, "Supported_operating_systems": ["Linux"],
               "Colour": "red"}]}, 400, "Colour"),
    ({"MIs": [{"Full_command_line": "x", "Software": {"Display_name": "x"}, "Supported_operating_systems": ["Linux"],
               "Machines": ["abc"]}]}, 400, "Machines[0]"),
    ({"MIs": "nope"}, 400, "MIs"),
    ([1, 2], 400, "body"),
])
def test_bad_input_is_a_4xx_naming_the_field(admin, body, status, field):
    answer = admin.post(MI, json=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["field"] == field, answer.text
    assert admin.get(MI, params={"use_count_only": "true"}).json() == {"Count": 0}


def test_bad_target_bodies_are_a_4xx_naming_the_field(admin):
    managed_install = create(admin)
    for body, field in (({}, "Machines"), ({"Machines": []}, "Machines"), ({"Machines": [0]}, "Machines[0]"),
                        ({"Machines": [1], "Extra": 1}, "Extra"), ([1], "Machines"),
                        ({"Machines": [1], "Uninstall": "perhaps"}, "Uninstall")):
        path = REMOVE if "Uninstall" in body else ADD
        answer = admin.put(path.format(managed_install), json=body)
        assert 400 <= answer.status_code < 500 and answer.json()["field"] == field, (body, answer.text)
    assert admin.put(ADD.format(999_999), json={"Machines": [1]}).status_code == 404


def test_organizations_are_walls(admin, base_url, other_org):
    from tests.kace_client import KaceClient

    tool = title()
    mine = machine(admin, LINUX)
    managed_install = create(admin, Software=tool, Machines=[mine])
    file_id = upload(admin, "mine.sh", b"mine")
    software_id = read(admin, managed_install)["Software_id"]
    with KaceClient(base_url) as other:
        other.login(other_org.admin.login, other_org.admin.password)
        theirs = machine(other, LINUX)
        assert other.get(f"{MI}/{managed_install}").status_code == 404
        assert other.get(MI).json()["MIs"] == [] and other.get("/api/mi/files").json()["Files"] == []
        assert other.get(f"/api/mi/machines/{mine}").status_code == 404
        assert other.put(ADD.format(managed_install), json={"Machines": [theirs]}).status_code == 404
        assert other.get(f"/api/mi/files/{file_id}/download").status_code == 404
        for fields, field in (({"File_id": file_id}, "File_id"), ({"Software_id": software_id}, "Software_id")):
            body = {"Full_command_line": "x", "Supported_operating_systems": ["Linux"], **fields}
            if "Software_id" not in fields:
                body["Software"] = title()
            answer = other.post(MI, json={"MIs": [body]})
            assert answer.status_code == 404 and answer.json()["field"] == field
    outsider = admin.put(ADD.format(managed_install), json={"Machines": [theirs]})
    assert outsider.status_code == 404 and outsider.json()["field"] == "Machines[0]"


def test_only_roles_with_the_right_change_managed_installs(admin, readonly, user):
    managed_install = create(admin)
    assert readonly.get(MI).status_code == 200
    assert readonly.get(f"{MI}/{managed_install}").status_code == 200
    body = {"MIs": [{"Full_command_line": "x", "Software": title(), "Supported_operating_systems": ["Linux"]}]}
    assert readonly.post(MI, json=body).status_code == 403
    assert readonly.put(f"{MI}/{managed_install}", json={"Name": "x"}).status_code == 403
    assert readonly.put(ADD.format(managed_install), json={"Machines": [1]}).status_code == 403
    assert readonly.delete(f"{MI}/{managed_install}").status_code == 403
    assert user.get(MI).status_code == 403
    assert user.get("/api/mi/machines").status_code == 403
