"""PUT a machine, force an inventory, agentless nodes, per-machine rows, rights and walls."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from estate.inventory.models import (
    Label,
    Machine,
    MachineDisk,
    MachineLabel,
    MachineLocation,
    MachineNic,
    MachineSoftware,
    Node,
    Software,
)
from tests.inventory.payloads import MACHINES, ingest, links, machine, machine_count, software
from tests.kace_client import KaceClient


def test_put_updates_the_machine_of_the_path(admin, sessions):
    [machine_id] = ingest(admin, machine("put-me", Kuid="KUID-PUT", Software=[software("Word")]))
    response = admin.put(
        f"{MACHINES}{machine_id}/",
        json={"Machines": [{"Kuid": "KUID-PUT", "Name": "renamed", "Software": [software("Word"), software("Vim")]}]},
    )
    assert response.status_code == 200, response.text
    assert response.json() == [machine_id]
    bare = admin.put(f"{MACHINES}{machine_id}", json={"Cpu_name": "Ryzen"})
    assert bare.status_code == 200, bare.text
    with sessions() as db:
        row = db.get(Machine, machine_id)
        assert (row.name, row.cpu_name, row.kuid) == ("renamed", "Ryzen", "KUID-PUT")
        assert len(links(db, MachineSoftware, "software_id", machine_id)) == 2


def test_put_with_another_kuid_or_id_is_400_and_changes_nothing(admin, sessions):
    [machine_id] = ingest(admin, machine("kuid-rule", Kuid="KUID-RULE"))
    wrong_kuid = admin.put(f"{MACHINES}{machine_id}/", json={"Machines": [{"Kuid": "KUID-OTHER", "Name": "changed"}]})
    assert wrong_kuid.status_code == 400
    assert wrong_kuid.json()["field"] == "Kuid"
    wrong_id = admin.put(f"{MACHINES}{machine_id}/", json={"Id": machine_id + 1, "Name": "changed"})
    assert wrong_id.status_code == 400
    assert wrong_id.json()["field"] == "Id"
    two = admin.put(f"{MACHINES}{machine_id}/", json={"Machines": [{"Name": "a"}, {"Name": "b"}]})
    assert two.status_code == 400
    assert two.json()["field"] == "Machines"
    with sessions() as db:
        assert db.get(Machine, machine_id).name == "kuid-rule"


def test_put_of_an_unknown_machine_is_404(admin):
    response = admin.put(f"{MACHINES}987654321/", json={"Name": "ghost"})
    assert response.status_code == 404
    not_a_number = admin.put(f"{MACHINES}abc/", json={"Name": "ghost"})
    assert not_a_number.status_code == 400
    beyond_any_id = admin.put(f"{MACHINES}{2**40}/", json={"Name": "ghost"})
    assert beyond_any_id.status_code == 404
    assert admin.post(f"{MACHINES}{2**40}/force/").status_code == 404


def test_force_marks_the_machine_and_the_next_inventory_clears_it(admin, sessions):
    [machine_id] = ingest(admin, machine("force-me", Kuid="KUID-FORCE"))
    response = admin.post(f"{MACHINES}{machine_id}/force/")
    assert response.status_code == 200, response.text
    assert response.json() == {"Result": "Success"}
    assert admin.post(f"{MACHINES}{machine_id}/force").status_code == 200
    with sessions() as db:
        assert db.get(Machine, machine_id).force_inventory == 1
    ingest(admin, machine("force-me", Kuid="KUID-FORCE"))
    with sessions() as db:
        assert db.get(Machine, machine_id).force_inventory == 0
    assert admin.post(f"{MACHINES}987654321/force/").status_code == 404


def test_nics_disks_location_and_labels_are_kept_when_unchanged(admin, org, sessions):
    nics = [
        {"Nic": "Ethernet", "Ip": "10.0.0.7", "Mac": "00:11:22:33:44:55", "Dhcp_Enabled": "Yes"},
        {"Nic": "Wi-Fi", "Ip": "10.0.1.7", "Mac": "00:11:22:33:44:66"},
    ]
    disks = [{"Name": "C:", "Filesystem": "NTFS", "Disk_Size": 476.3, "Disk_Free": "120.5"}]
    location = {"Country": "Germany", "Country_Code": "DE", "Locality": "Berlin"}
    first = machine("rows", Kuid="KUID-ROWS", Nics=nics, Disks=disks, Machine_Location=location, Labels=["Laptops"])
    [machine_id] = ingest(admin, first)
    with sessions() as db:
        nic_ids = {row.nic: row.id for row in db.scalars(select(MachineNic).where(MachineNic.machine_id == machine_id))}
        disk = db.scalar(select(MachineDisk).where(MachineDisk.machine_id == machine_id))
        assert (disk.disk_size, disk.disk_free) == (476.3, 120.5)
        located = db.scalar(select(MachineLocation).where(MachineLocation.machine_id == machine_id))
        assert located.locality == "Berlin"
    changed_nics = [nics[0], {**nics[1], "Ip": "10.0.2.9"}]
    second = machine(
        "rows",
        Kuid="KUID-ROWS",
        Nics=changed_nics,
        Disks=disks,
        Machine_Location=location,
        Labels=[{"Name": "Laptops"}, "Finance"],
    )
    ingest(admin, second)
    with sessions() as db:
        after = {row.nic: row for row in db.scalars(select(MachineNic).where(MachineNic.machine_id == machine_id))}
        assert after["Ethernet"].id == nic_ids["Ethernet"]
        assert after["Wi-Fi"].ip == "10.0.2.9"
        assert db.scalar(select(MachineDisk.id).where(MachineDisk.machine_id == machine_id)) == disk.id
        assert db.scalar(select(MachineLocation.id).where(MachineLocation.machine_id == machine_id)) == located.id
        names = db.scalars(
            select(Label.name).join(MachineLabel, MachineLabel.label_id == Label.id).where(
                MachineLabel.machine_id == machine_id
            )
        ).all()
        assert sorted(names) == ["Finance", "Laptops"]
        assert db.scalar(select(func.count()).select_from(Label).where(Label.organization_id == org.id)) == 2
    ingest(admin, machine("rows", Kuid="KUID-ROWS", Machine_Location=None, Nics=[]))
    with sessions() as db:
        assert db.scalar(select(MachineLocation.id).where(MachineLocation.machine_id == machine_id)) is None
        assert db.scalar(select(MachineNic.id).where(MachineNic.machine_id == machine_id)) is None


def test_nodes_are_recorded_and_found_again_by_id_or_mac(admin, org, sessions):
    [machine_id] = ingest(admin, machine("relay"))
    body = {
        "Nodes": [
            {"Host_Name": "printer-1", "Ip": "10.0.5.20", "Mac": "AA:BB:CC:00:00:01", "Snmp_Status": 1},
            {"Host_Name": "switch-1", "Ip": "10.0.5.1", "Relay_Machine_Id": machine_id, "Os_Type": "IOS"},
        ]
    }
    response = admin.post("/api/inventory/nodes/", json=body)
    assert response.status_code == 200, response.text
    printer, switch = response.json()
    again = admin.post(
        "/api/inventory/nodes",
        json={"nodes": [{"mac": "AA:BB:CC:00:00:01", "ping status": "1"}, {"Id": switch, "Host_Name": "core-switch"}]},
    )
    assert again.status_code == 200, again.text
    assert again.json() == [printer, switch]
    with sessions() as db:
        first = db.get(Node, printer)
        assert (first.host_name, first.snmp_status, first.ping_status) == ("printer-1", 1, 1)
        second = db.get(Node, switch)
        assert (second.host_name, second.relay_machine_id) == ("core-switch", machine_id)
        assert second.organization_id == org.id


@pytest.mark.parametrize(
    ("node", "status", "field"),
    [
        ({"Host_Name": "x", "Colour": "red"}, 400, "Nodes[0].Colour"),
        ({"Host_Name": "x", "Ping_Status": "up"}, 400, "Nodes[0].Ping_Status"),
        ({"Host_Name": "x", "Machine_Id": 987654321}, 404, "Nodes[0].Machine_Id"),
        ({"Id": 987654321, "Host_Name": "x"}, 404, "Nodes[0].Id"),
        ({"Id": 2**40, "Host_Name": "x"}, 404, "Nodes[0].Id"),
    ],
)
def test_bad_nodes_name_the_field(admin, org, sessions, node, status, field):
    response = admin.post("/api/inventory/nodes/", json={"Nodes": [node]})
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(Node).where(Node.organization_id == org.id)) == 0


def test_read_only_administrators_and_standard_users_cannot_write(readonly, user, admin, org, sessions):
    [machine_id] = ingest(admin, machine("guarded", Kuid="KUID-GUARD"))
    for client in (readonly, user):
        assert client.post(MACHINES, json={"Machines": [machine("nope")]}).status_code == 403
        assert client.put(f"{MACHINES}{machine_id}/", json={"Name": "nope"}).status_code == 403
        assert client.post(f"{MACHINES}{machine_id}/force/").status_code == 403
        assert client.post("/api/inventory/nodes/", json={"Nodes": [{"Host_Name": "nope"}]}).status_code == 403
    with sessions() as db:
        assert machine_count(db, org.id) == 1
        assert db.get(Machine, machine_id).name == "guarded"
        assert db.get(Machine, machine_id).force_inventory == 0


def test_another_organization_cannot_touch_our_machines_or_nodes(admin, other_org, base_url, sessions):
    [machine_id] = ingest(admin, machine("walled", Kuid="KUID-WALLED"))
    node_id = admin.post("/api/inventory/nodes/", json={"Nodes": [{"Host_Name": "ours"}]}).json()[0]
    with KaceClient(base_url) as other:
        other.login(other_org.admin.login, other_org.admin.password)
        assert other.put(f"{MACHINES}{machine_id}/", json={"Name": "stolen"}).status_code == 404
        assert other.post(f"{MACHINES}{machine_id}/force/").status_code == 404
        taken = other.post("/api/inventory/nodes/", json={"Nodes": [{"Id": node_id, "Host_Name": "stolen"}]})
        assert taken.status_code == 404
        relay = other.post("/api/inventory/nodes/", json={"Nodes": [{"Host_Name": "x", "Machine_Id": machine_id}]})
        assert relay.status_code == 404
    with sessions() as db:
        assert db.get(Machine, machine_id).name == "walled"
        assert db.get(Machine, machine_id).force_inventory == 0
        assert db.get(Node, node_id).host_name == "ours"


def test_concurrent_first_inventories_share_new_catalog_rows(base_url, org, sessions):
    """Eight agents report the same new titles at once: every ingest succeeds, each title is one row."""
    titles = [software(f"Race Title {index}") for index in range(40)]
    results: list[int] = []
    failures: list[str] = []

    agents = [KaceClient(base_url) for _ in range(8)]
    for agent in agents:
        agent.login(org.admin.login, org.admin.password)

    def report(number: int) -> None:
        response = agents[number].post(MACHINES, json={"Machines": [machine(f"racer-{number}", Software=titles)]})
        if response.status_code == 200:
            results.extend(response.json())
        else:
            failures.append(response.text)

    threads = [threading.Thread(target=report, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for agent in agents:
        agent.close()
    assert failures == []
    assert len(set(results)) == 8
    with sessions() as db:
        count = db.scalar(select(func.count()).select_from(Software).where(Software.organization_id == org.id))
        assert count == 40
        per_machine = {machine_id: len(links(db, MachineSoftware, "software_id", machine_id)) for machine_id in results}
        assert set(per_machine.values()) == {40}
