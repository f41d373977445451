"""POST /api/inventory/machines/ over real HTTP: the spec example, batches, KUIDs, re-ingest diffs."""

from __future__ import annotations

from sqlalchemy import func, select

from estate.inventory.models import (
    Machine,
    MachineOperatingSystem,
    MachineProcess,
    MachineService,
    MachineSoftware,
    OperatingSystem,
    Process,
    Service,
    Software,
)
from tests.inventory.payloads import MACHINES, ingest, links, machine, process, service, software
from tests.statements import statements

SPEC_EXAMPLE = {
    "Machines": [
        {
            "Name": "Workstation 123",
            "Ip": "192.168.101.110",
            "Os_number": "10.0.14393",
            "User": "user1",
            "Cdrom_devices": "NECVMMWar VMware SATA CD01",
            "Os_name": "Microsoft Windows 10 Pro x64",
            "Ram Total": "2048 Bytes",
            "Ram_used": "1324.1",
            "Pagefile_max_size": "385",
            "Ram_max": "33792",
            "Bios_identification_code": "",
            "Monitor": "Generic Non-PnP Monitor",
            "Sound_devices": "High Definition Audio Device",
            "Video_controllers": "VMware SVGA 3D:1024 MB",
            "Pagefile_size": "385",
        }
    ]
}


def test_the_spec_create_inventory_example_verbatim(admin, org, sessions):
    response = admin.post(
        "/api/inventory/machines", json=SPEC_EXAMPLE, headers={"x-dell-api-version": "5"}
    )
    assert response.status_code == 200, response.text
    ids = response.json()
    assert len(ids) == 1 and isinstance(ids[0], int)
    with sessions() as db:
        row = db.get(Machine, ids[0])
        assert row.organization_id == org.id
        assert (row.name, row.ip, row.os_number, row.user) == (
            "Workstation 123",
            "192.168.101.110",
            "10.0.14393",
            "user1",
        )
        assert row.ram_total == "2048 Bytes"
        assert row.ram_used == "1324.1"
        assert row.bios_identification_code == ""
        assert row.video_controllers == "VMware SVGA 3D:1024 MB"
        assert len(row.kuid) == 36
        assert row.last_inventory is not None
        assert row.force_inventory == 0
        assert row.owner_account_id is None  # no account logs in as user1
        os_row = db.get(OperatingSystem, row.os_id)
        assert os_row.name == "Microsoft Windows 10 Pro x64"
        assert links(db, MachineOperatingSystem, "operating_system_id", row.id).keys() == {row.os_id}


def test_several_machines_at_once_answer_their_ids_in_order_with_distinct_kuids(admin, org, sessions):
    ids = ingest(admin, machine("alpha"), machine("beta"), machine("gamma"))
    assert len(set(ids)) == 3
    with sessions() as db:
        names = [db.get(Machine, machine_id).name for machine_id in ids]
        kuids = {db.get(Machine, machine_id).kuid for machine_id in ids}
    assert names == ["alpha", "beta", "gamma"]
    assert len(kuids) == 3


def test_a_known_kuid_updates_that_machine(admin, org, sessions):
    [first] = ingest(admin, machine("before", Kuid="KUID-UPDATE-1", Cpu_name="Xeon"))
    [second] = ingest(admin, machine("after", Kuid="KUID-UPDATE-1"))
    assert second == first
    with sessions() as db:
        row = db.get(Machine, first)
        assert row.name == "after"
        assert row.cpu_name == "Xeon"  # fields not sent stay as they were
        same_kuid = Machine.organization_id == org.id, Machine.kuid == "KUID-UPDATE-1"
        count = db.scalar(select(func.count()).select_from(Machine).where(*same_kuid))
    assert count == 1


def test_keys_are_case_insensitive_and_tolerate_spaces(admin, sessions):
    body = {
        "machines": [
            {
                "NAME": "loud",
                "ram total": "4096 MB",
                "OS Name": "Ubuntu 24.04",
                "physical cores": "8",
                "SOFTWARE": [{"display name": "Firefox", "DISPLAY_VERSION": "128.0", "publisher": "Mozilla"}],
                "NtServices": [{"name": "sshd", "STATUS": "Running", "startup type": "Automatic"}],
                "startup programs": [{"Name": "tray", "Command Exe": "/usr/bin/tray"}],
            }
        ]
    }
    response = admin.post(MACHINES, json=body)
    assert response.status_code == 200, response.text
    [machine_id] = response.json()
    with sessions() as db:
        row = db.get(Machine, machine_id)
        assert (row.name, row.ram_total, row.os_name, row.physical_cores) == ("loud", "4096 MB", "Ubuntu 24.04", 8)
        [software_id] = links(db, MachineSoftware, "software_id", machine_id)
        title = db.get(Software, software_id)
        assert (title.display_name, title.display_version, title.publisher) == ("Firefox", "128.0", "Mozilla")
        [service_id] = links(db, MachineService, "service_id", machine_id)
        assert db.get(Service, service_id).startup_type == "Automatic"


def test_reingest_is_a_diff_that_keeps_unchanged_links(admin, org, sessions):
    first = machine(
        "diff-me",
        Kuid="KUID-DIFF",
        Software=[software("Word"), software("Excel"), software("Paint")],
        Processes=[process("explorer.exe"), process("svchost.exe")],
        Services=[service("spooler"), service("wuauserv")],
    )
    [machine_id] = ingest(admin, first)
    with sessions() as db:
        before_software = links(db, MachineSoftware, "software_id", machine_id)
        before_processes = links(db, MachineProcess, "process_id", machine_id)
        before_services = links(db, MachineService, "service_id", machine_id)
        titles = {db.get(Software, item).display_name: item for item in before_software}
        modified = db.get(Machine, machine_id).modified
    second = machine(
        "diff-me",
        Kuid="KUID-DIFF",
        Software=[software("Word"), software("Paint"), software("Teams")],
        Processes=[process("explorer.exe"), process("svchost.exe")],
        # The spooler stopped: a different catalog row; wuauserv is unchanged.
        Services=[service("spooler", status="Stopped"), service("wuauserv")],
    )
    assert ingest(admin, second) == [machine_id]
    with sessions() as db:
        after_software = links(db, MachineSoftware, "software_id", machine_id)
        after_titles = {db.get(Software, item).display_name: item for item in after_software}
        assert set(after_titles) == {"Word", "Paint", "Teams"}
        for kept in ("Word", "Paint"):
            assert after_software[titles[kept]] == before_software[titles[kept]], kept
        assert titles["Excel"] not in after_software
        # The catalog keeps Excel: other machines may have it, and the title stays listed.
        assert db.get(Software, titles["Excel"]) is not None
        assert links(db, MachineProcess, "process_id", machine_id) == before_processes
        after_services = links(db, MachineService, "service_id", machine_id)
        kept_services = set(after_services) & set(before_services)
        assert len(kept_services) == 1
        [kept_service] = kept_services
        assert db.get(Service, kept_service).name == "wuauserv"
        assert after_services[kept_service] == before_services[kept_service]
        assert db.get(Machine, machine_id).modified > modified


def test_an_unchanged_inventory_rewrites_nothing_but_the_inventory_time(admin, sessions):
    payload = machine("steady", Kuid="KUID-STEADY", Software=[software("Word")], Processes=[process("a.exe")])
    [machine_id] = ingest(admin, payload)
    with sessions() as db:
        before = db.get(Machine, machine_id)
        link_ids = links(db, MachineSoftware, "software_id", machine_id)
    ingest(admin, payload)
    with sessions() as db:
        after = db.get(Machine, machine_id)
        assert after.modified == before.modified
        assert after.last_inventory > before.last_inventory
        assert links(db, MachineSoftware, "software_id", machine_id) == link_ids


def test_catalog_rows_are_shared_between_machines_and_unique_per_organization(admin, org, sessions):
    office = [software("Microsoft Word", "16.0", "Microsoft Corporation"), software("Notepad++", "8.6")]
    first, second = ingest(admin, machine("one", Software=office), machine("two", Software=office[:1]))
    [third] = ingest(admin, machine("three", Software=office, Processes=[process("winword.exe")]))
    with sessions() as db:
        word_ids = {
            machine_id: next(
                item for item in links(db, MachineSoftware, "software_id", machine_id)
                if db.get(Software, item).display_name == "Microsoft Word"
            )
            for machine_id in (first, second, third)
        }
        assert len(set(word_ids.values())) == 1
        word_rows = db.scalar(
            select(func.count()).select_from(Software).where(
                Software.organization_id == org.id, Software.display_name == "Microsoft Word"
            )
        )
        assert word_rows == 1
        machines_with_word = db.scalar(
            select(func.count()).select_from(MachineSoftware).where(
                MachineSoftware.software_id == next(iter(word_ids.values()))
            )
        )
        assert machines_with_word == 3
        assert db.scalar(select(func.count()).select_from(Process).where(Process.organization_id == org.id)) == 1


def test_a_sub_entity_left_out_stays_and_an_empty_list_empties_it(admin, sessions):
    [machine_id] = ingest(admin, machine("keep", Kuid="KUID-KEEP", Software=[software("Word")]))
    ingest(admin, machine("keep", Kuid="KUID-KEEP"))
    with sessions() as db:
        assert len(links(db, MachineSoftware, "software_id", machine_id)) == 1
    ingest(admin, machine("keep", Kuid="KUID-KEEP", Software=[]))
    with sessions() as db:
        assert links(db, MachineSoftware, "software_id", machine_id) == {}


def test_an_item_read_before_is_the_same_entry_however_it_is_spelled(admin, org, sessions):
    """Items already read are remembered by what was sent; other spellings and values that are not
    all text are read field by field and still land on the same entry."""
    title = {"Display_Name": "Remembered Suite", "Display_Version": "2.0", "Publisher": "Estate Tests"}
    spelled = {"display name": " Remembered Suite ", "DISPLAY_VERSION": "2.0", "publisher": "Estate Tests"}
    with_number = {"Display_Name": "Remembered Suite", "Display_Version": 2.0, "Publisher": "Estate Tests"}
    ids = [ingest(admin, machine(name, Software=[item]))[0]
           for name, item in (("one", title), ("two", title), ("three", spelled), ("four", with_number))]
    with sessions() as db:
        entries = {frozenset(links(db, MachineSoftware, "software_id", machine_id)) for machine_id in ids}
        assert len(entries) == 1 and len(next(iter(entries))) == 1
        assert db.scalar(select(func.count()).select_from(Software).where(
            Software.organization_id == org.id, Software.display_name == "Remembered Suite")) == 1
    refused = admin.post(MACHINES, json={"Machines": [machine("five", Software=[{**title, "Vendor": "x"}])]})
    assert refused.status_code == 400 and refused.json()["field"] == "Machines[0].Software[0].Vendor"


def test_the_same_item_twice_in_one_report_is_one_link(admin, sessions):
    [machine_id] = ingest(admin, machine("twice", Software=[software("Word"), software("Word")]))
    with sessions() as db:
        assert len(links(db, MachineSoftware, "software_id", machine_id)) == 1


def test_the_reported_user_owns_the_machine(admin, org, sessions):
    ids = ingest(
        admin,
        machine("own", User=org.user.login.upper()),
        machine("domain", User=f"CORP\\{org.user.login}"),
        machine("nobody", User="someone-else"),
    )
    with sessions() as db:
        owners = [db.get(Machine, machine_id).owner_account_id for machine_id in ids]
    assert owners == [org.user.id, org.user.id, None]


def test_another_organizations_kuid_makes_a_machine_of_our_own(admin, org, other_org, base_url, sessions):
    from tests.kace_client import KaceClient

    [ours] = ingest(admin, machine("shared-kuid", Kuid="KUID-WALL"))
    with KaceClient(base_url) as other:
        other.login(other_org.admin.login, other_org.admin.password)
        [theirs] = ingest(other, machine("theirs", Kuid="KUID-WALL"))
    assert theirs != ours
    with sessions() as db:
        assert db.get(Machine, ours).name == "shared-kuid"
        assert db.get(Machine, ours).organization_id == org.id
        assert db.get(Machine, theirs).organization_id == other_org.id


def test_the_statements_of_an_ingest_do_not_grow_with_the_batch(admin, engine):
    """Catalog rows are found and created in bulk, links written in bulk: a batch of six machines
    with sixty titles, processes and services each costs the statements of one small machine."""
    def ingest_counting(*machines: dict) -> int:
        with statements(engine) as seen:
            ingest(admin, *machines)
        return len(seen)

    def full(name: str, width: int) -> dict:
        return machine(
            name,
            Software=[software(f"{name} title {index}") for index in range(width)],
            Processes=[process(f"{name}-{index}.exe") for index in range(width)],
            Services=[service(f"{name}svc{index}") for index in range(width)],
        )

    ingest(admin, machine("first"))  # the organization's operating system row exists from here on
    small = ingest_counting(full("small", 3))
    large = ingest_counting(*(full(f"large{number}", 60) for number in range(6)))
    assert large == small
