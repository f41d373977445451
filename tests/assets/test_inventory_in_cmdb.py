"""An inventoried machine in its CMDB object: machines are ingested over KACE, their categories read
and changed over i-doit (docs/decisions/0520-0522)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from estate.assets.models import AssetLink
from tests.idoit.conftest import RpcClient
from tests.inventory.payloads import ingest, software


def laptop(name: str = "LAPTOP-7Q2", **changes: Any) -> dict[str, Any]:
    reported: dict[str, Any] = {
        "Kuid": f"KUID-{name}", "Name": name, "Ip": "10.20.30.40", "Mac": "AA:BB:CC:00:11:22",
        "Domain": "corp.example.com", "Os_Name": "Microsoft Windows 11 Pro", "Os_Version": "10.0.22631",
        "Cs_Manufacturer": "Dell Inc.", "Cs_Model": "Latitude 7440", "Bios_Serial_Number": "SNX7Q2QQ",
        "Bios_Version": "1.12.0", "Cpu_Name": "Intel(R) Core(TM) i7-1365U @ 1.80GHz", "Physical_Cores": 10,
        "Ram_Total": "32768 MB",
        "Nics": [
            {"Nic": "Ethernet", "Ip": "10.20.30.40", "Mac": "AA:BB:CC:00:11:22", "Dnshostname": name},
            {"Nic": "Wi-Fi", "Ip": "192.168.7.23", "Mac": "AA:BB:CC:00:11:33"},
        ],
        "Disks": [
            {"Name": "C:", "Filesystem": "NTFS", "Disk_Size": 476.0, "Disk_Used": 120.5, "Disk_Free": 355.5},
            {"Name": "D:", "Filesystem": "exFAT", "Disk_Size": 953.0, "Disk_Used": 10.0, "Disk_Free": 943.0},
        ],
        "Software": [software("Mozilla Firefox", "128.0.3", "Mozilla"), software("Zebra Designer Pro", "3.2")],
    }
    return {**reported, **changes}


@pytest.fixture
def object_of(sessions) -> Callable[[int], int]:
    """The device object of a machine (its asset: asset_links.mapped_id)."""

    def lookup(machine_id: int) -> int:
        with sessions() as db:
            return db.scalars(select(AssetLink.object_id).where(AssetLink.mapped_id == machine_id)).one()

    return lookup


def read(rpc: RpcClient, object_id: int, category: str) -> list[dict[str, Any]]:
    return rpc.result("cmdb.category.read", {"objID": object_id, "category": category})


def title(value: Any) -> Any:
    return value["title"] if isinstance(value, dict) else value


def found(rpc: RpcClient, query: str) -> set[str]:
    return {hit["documentId"] for hit in rpc.result("idoit.search", {"q": query})}


def test_an_ingested_machine_shows_its_hardware_network_system_and_software(admin, object_of, rpc):
    (machine_id,) = ingest(admin, laptop())
    object_id = object_of(machine_id)

    (model,) = read(rpc, object_id, "C__CATG__MODEL")
    assert title(model["manufacturer"]) == "Dell Inc." and title(model["title"]) == "Latitude 7440"
    assert model["serial"] == "SNX7Q2QQ" and model["firmware"] == "1.12.0"
    (cpu,) = read(rpc, object_id, "C__CATG__CPU")
    assert cpu["title"].startswith("Intel(R) Core(TM) i7") and cpu["cores"] == "10"
    assert title(cpu["manufacturer"]) == "Intel" and cpu["frequency"] == {"title": 1.8}
    assert title(cpu["frequency_unit"]) == "GHz"
    (memory,) = read(rpc, object_id, "C__CATG__MEMORY")
    assert memory["capacity"] == {"title": 32768.0} and title(memory["unit"]) == "MB"
    drives = {drive["mount_point"]: drive for drive in read(rpc, object_id, "C__CATG__DRIVE")}
    assert set(drives) == {"C:", "D:"}
    assert drives["C:"]["capacity"] == {"title": 476.0} and title(drives["C:"]["unit"]) == "GB"
    assert title(drives["D:"]["filesystem"]) == "exFAT" and drives["D:"]["free_space"] == {"title": 943.0}
    ports = {port["mac"]: port["title"] for port in read(rpc, object_id, "C__CMDB__SUBCAT__NETWORK_PORT")}
    assert ports == {"AA:BB:CC:00:11:22": "Ethernet", "AA:BB:CC:00:11:33": "Wi-Fi"}
    addresses = {ip["ipv4_address"]["ref_title"]: ip for ip in read(rpc, object_id, "C__CATG__IP")}
    assert set(addresses) == {"10.20.30.40", "192.168.7.23"}
    assert addresses["10.20.30.40"]["primary"]["value"] == "1" and addresses["192.168.7.23"]["primary"]["value"] == "0"
    assert addresses["10.20.30.40"]["hostname"] == "LAPTOP-7Q2"
    (system,) = read(rpc, object_id, "C__CATG__OPERATING_SYSTEM")
    assert system["application"]["title"] == "Microsoft Windows 11 Pro"
    assert system["application"]["type"] == "C__OBJTYPE__OPERATING_SYSTEM" and system["application"]["id"] is None
    assert system["assigned_version"] == "10.0.22631"
    installed = read(rpc, object_id, "C__CATG__APPLICATION")
    assert {(row["application"]["title"], row["assigned_version"]) for row in installed} == {
        ("Mozilla Firefox", "128.0.3"), ("Zebra Designer Pro", "3.2")}
    assert all(row["objID"] == str(object_id) and row["id"].isdigit() for row in installed)

    # The same categories come with the object as a whole.
    whole = rpc.result("cmdb.object.read", {"id": object_id})
    assert whole["title"] == "LAPTOP-7Q2"
    listed = rpc.result("cmdb.objects.read", {"filter": {"ids": [object_id]},
                                              "categories": ["C__CATG__MODEL", "C__CATG__APPLICATION"]})
    assert listed[0]["categories"]["C__CATG__MODEL"][0]["serial"] == "SNX7Q2QQ"
    assert len(listed[0]["categories"]["C__CATG__APPLICATION"]) == 2

    log = rpc.result("cmdb.logbook", {"object_id": object_id})
    ours = [row for row in log if row["event"] == "C__LOGBOOK_EVENT__CATEGORY_CHANGED"]
    assert ours and all(row["username"] == "inventory" and row["source_constant"] == "C__LOGBOOK_SOURCE__IMPORT"
                        for row in ours)


def test_a_new_inventory_updates_the_categories(admin, object_of, rpc):
    (machine_id,) = ingest(admin, laptop("WS-UPD"))
    object_id = object_of(machine_id)
    (before,) = read(rpc, object_id, "C__CATG__MODEL")

    ingest(admin, laptop(
        "WS-UPD", Bios_Version="1.13.2", Ram_Total="64 GB", Os_Version="10.0.26100",
        Nics=[{"Nic": "Ethernet", "Ip": "10.20.30.41", "Mac": "AA:BB:CC:00:11:22"}],
        Disks=[{"Name": "C:", "Filesystem": "NTFS", "Disk_Size": 476.0, "Disk_Used": 300.0, "Disk_Free": 176.0}],
        Software=[software("Mozilla Firefox", "129.0"), software("7-Zip", "24.08")],
    ))

    (model,) = read(rpc, object_id, "C__CATG__MODEL")
    assert model["id"] == before["id"] and model["firmware"] == "1.13.2"
    (memory,) = read(rpc, object_id, "C__CATG__MEMORY")
    assert memory["capacity"] == {"title": 64.0} and title(memory["unit"]) == "GB"
    (drive,) = read(rpc, object_id, "C__CATG__DRIVE")
    assert drive["mount_point"] == "C:" and drive["used_space"] == {"title": 300.0}
    assert [port["title"] for port in read(rpc, object_id, "C__CMDB__SUBCAT__NETWORK_PORT")] == ["Ethernet"]
    assert [ip["ipv4_address"]["ref_title"] for ip in read(rpc, object_id, "C__CATG__IP")] == ["10.20.30.41"]
    assert read(rpc, object_id, "C__CATG__OPERATING_SYSTEM")[0]["assigned_version"] == "10.0.26100"
    installed = {(row["application"]["title"], row["assigned_version"])
                 for row in read(rpc, object_id, "C__CATG__APPLICATION")}
    assert installed == {("Mozilla Firefox", "129.0"), ("7-Zip", "24.08")}

    log = rpc.result("cmdb.logbook", {"object_id": object_id})
    purged = [row for row in log if row["event"] == "C__LOGBOOK_EVENT__CATEGORY_PURGED"]
    assert {row["username"] for row in purged} == {"inventory"} and len(purged) == 4  # D:, a port, an address ×2
    firmware = [row["changes"]["C__CATG__MODEL::firmware"] for row in log
                if "C__CATG__MODEL::firmware" in row["changes"]]
    assert firmware[0] == {"from": "1.12.0", "to": "1.13.2"}


def test_an_unchanged_inventory_writes_nothing_to_the_object(admin, object_of, rpc):
    (machine_id,) = ingest(admin, laptop("WS-SAME"))
    object_id = object_of(machine_id)
    before = rpc.result("cmdb.object.read", {"id": object_id})
    log = rpc.result("cmdb.logbook", {"object_id": object_id})
    entries = read(rpc, object_id, "C__CATG__DRIVE")

    ingest(admin, laptop("WS-SAME", Ram_Used="1234.5", Uptime="3 days"))

    assert rpc.result("cmdb.logbook", {"object_id": object_id}) == log
    assert rpc.result("cmdb.object.read", {"id": object_id})["updated"] == before["updated"]
    assert read(rpc, object_id, "C__CATG__DRIVE") == entries


def test_idoit_search_finds_a_machine_by_hostname_serial_address_and_installed_title(admin, object_of, rpc):
    (machine_id,) = ingest(admin, laptop("SRV-FIND-01", Bios_Serial_Number="QQZ91X7", Ip="10.77.1.9", Nics=[
        {"Nic": "Ethernet", "Ip": "10.77.1.9", "Mac": "DE:AD:BE:EF:00:01"}],
        Software=[software("Quuxly Accounting Suite", "7.1")]))
    object_id = str(object_of(machine_id))

    assert object_id in found(rpc, "SRV-FIND-01")
    assert found(rpc, "QQZ91X7") == {object_id}
    assert found(rpc, "10.77.1.9") == {object_id}
    assert found(rpc, "DE:AD:BE:EF:00:01") == {object_id}
    assert found(rpc, "Quuxly Accounting") == {object_id}
    assert found(rpc, "quuxly 7.1") == {object_id}

    (hit,) = [hit for hit in rpc.result("idoit.search", {"q": "Quuxly"})]
    assert hit["key"] == "Client > Software assignment > Application" and hit["value"] == "Quuxly Accounting Suite 7.1"
    installed = read(rpc, int(object_id), "C__CATG__APPLICATION")
    assert f"cateID={installed[0]['id']}" in hit["link"]
    (serial,) = [hit for hit in rpc.result("idoit.search", {"q": "QQZ91X7"})]
    assert serial["key"] == "Client > Model > Serial number"

    # A title no machine has any more finds nothing; the machine that has it now is found.
    ingest(admin, laptop("SRV-FIND-01", Software=[software("Frobnicator Studio", "2")]))
    assert found(rpc, "Quuxly") == set()
    assert found(rpc, "Frobnicator") == {object_id}


def test_a_persons_value_survives_inventory_runs_until_handed_back(admin, object_of, rpc):
    (machine_id,) = ingest(admin, laptop("WS-OWN"))
    object_id = object_of(machine_id)
    rpc.result("cmdb.category.save", {"object": object_id, "category": "C__CATG__MODEL",
                                      "data": {"title": "Latitude 7440 (refurbished)", "serial": "ASSET-0042"}})

    ingest(admin, laptop("WS-OWN", Cs_Model="Latitude 7450", Bios_Serial_Number="SNNEW", Bios_Version="2.0.1"))
    (model,) = read(rpc, object_id, "C__CATG__MODEL")
    assert title(model["title"]) == "Latitude 7440 (refurbished)" and model["serial"] == "ASSET-0042"
    assert model["firmware"] == "2.0.1" and title(model["manufacturer"]) == "Dell Inc."

    # Saving it empty hands the serial back: the next run fills it, the model title stays the person's.
    rpc.result("cmdb.category.save", {"object": object_id, "category": "C__CATG__MODEL", "data": {"serial": ""}})
    assert read(rpc, object_id, "C__CATG__MODEL")[0]["serial"] == ""
    ingest(admin, laptop("WS-OWN", Cs_Model="Latitude 7450", Bios_Serial_Number="SNNEW", Bios_Version="2.0.1"))
    (model,) = read(rpc, object_id, "C__CATG__MODEL")
    assert model["serial"] == "SNNEW" and title(model["title"]) == "Latitude 7440 (refurbished)"

    rpc.result("cmdb.category.save", {"object": object_id, "category": "C__CATG__MODEL", "data": {"title": None}})
    ingest(admin, laptop("WS-OWN", Cs_Model="Latitude 7450", Bios_Serial_Number="SNNEW", Bios_Version="2.0.1"))
    assert title(read(rpc, object_id, "C__CATG__MODEL")[0]["title"]) == "Latitude 7450"

    changes = [(row["username"], row["changes"].get("C__CATG__MODEL::serial"))
               for row in reversed(rpc.result("cmdb.logbook", {"object_id": object_id}))
               if "C__CATG__MODEL::serial" in row["changes"]]
    who = [name for name, _ in changes]
    assert who[0] == who[-1] == "inventory" and len(who) == 4 and "inventory" not in who[1:3]
    assert [change for _, change in changes] == [
        {"from": None, "to": "SNX7Q2QQ"}, {"from": "SNX7Q2QQ", "to": "ASSET-0042"},
        {"from": "ASSET-0042", "to": None}, {"from": None, "to": "SNNEW"}]


def test_a_persons_drive_entry_stays_when_the_disk_goes(admin, object_of, rpc):
    (machine_id,) = ingest(admin, laptop("WS-DRV"))
    object_id = object_of(machine_id)
    drives = {drive["mount_point"]: drive for drive in read(rpc, object_id, "C__CATG__DRIVE")}
    rpc.result("cmdb.category.save", {"object": object_id, "category": "C__CATG__DRIVE",
                                      "entry": int(drives["D:"]["id"]), "data": {"description": "archive disk"}})
    own = rpc.result("cmdb.category.save", {"object": object_id, "category": "C__CATG__DRIVE",
                                            "data": {"title": "USB stick", "mount_point": "F:"}})["entry"]

    ingest(admin, laptop("WS-DRV", Disks=[{"Name": "C:", "Filesystem": "NTFS", "Disk_Size": 476.0}]))
    after = {drive["id"]: drive for drive in read(rpc, object_id, "C__CATG__DRIVE")}
    assert set(after) == {drives["C:"]["id"], drives["D:"]["id"], str(own)}
    assert after[drives["D:"]["id"]]["description"] == "archive disk"
    assert after[drives["D:"]["id"]]["capacity"] is None  # what the inventory had put there went with the disk
    assert after[str(own)]["mount_point"] == "F:"
    assert after[drives["C:"]["id"]]["free_space"] is None


def test_the_software_assignment_of_a_machine_is_the_inventorys(admin, object_of, rpc):
    (machine_id,) = ingest(admin, laptop("WS-SW"))
    object_id = object_of(machine_id)
    entry = int(read(rpc, object_id, "C__CATG__APPLICATION")[0]["id"])

    saved = rpc.error("cmdb.category.save", {"object": object_id, "category": "C__CATG__APPLICATION",
                                             "data": {"description": "x"}})
    assert "inventory" in saved["message"] and "C__CATG__APPLICATION" in saved["message"]
    for method in ("cmdb.category.delete", "cmdb.category.purge", "cmdb.category.archive"):
        refused = rpc.error(method, {"object": object_id, "category": "C__CATG__APPLICATION", "entry": entry})
        assert "inventory" in refused["message"], method
    update = rpc.error("cmdb.category.update", {"objID": object_id, "category": "C__CATG__APPLICATION",
                                                "data": {"category_id": entry, "description": "x"}})
    assert "inventory" in update["message"]
    assert len(read(rpc, object_id, "C__CATG__APPLICATION")) == 2
    # Another object's software assignment is written as before.
    other = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__CLIENT", "title": "not inventoried"})["id"]
    app = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__APPLICATION", "title": "Office"})["id"]
    rpc.result("cmdb.category.save", {"object": other, "category": "C__CATG__APPLICATION",
                                      "data": {"application": app}})
    assert read(rpc, other, "C__CATG__APPLICATION")[0]["application"]["id"] == str(app)


def test_another_organization_sees_none_of_it(admin, object_of, rpc, other_rpc):
    (machine_id,) = ingest(admin, laptop("WS-WALL", Bios_Serial_Number="WALLSN01",
                                         Software=[software("Wallflower Tool", "1")]))
    object_id = object_of(machine_id)
    assert found(rpc, "WALLSN01") == {str(object_id)}

    assert found(other_rpc, "WALLSN01") == set()
    assert found(other_rpc, "Wallflower") == set()
    assert found(other_rpc, "WS-WALL") == set()
    for category in ("C__CATG__MODEL", "C__CATG__APPLICATION"):
        other_rpc.error("cmdb.category.read", {"objID": object_id, "category": category})
    other_rpc.error("cmdb.category.save", {"object": object_id, "category": "C__CATG__MODEL",
                                           "data": {"serial": "stolen"}})
    assert read(rpc, object_id, "C__CATG__MODEL")[0]["serial"] == "WALLSN01"
