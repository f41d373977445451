"""`shaping`, `sorting` and `paging` over HTTP."""

from __future__ import annotations

import re

import pytest

from tests.inventory_reads.fleet import machine, store

MACHINES = "/api/inventory/machines/"

# The record a real appliance answers without shaping (recorded by a public integration).
APPLIANCE_STANDARD_KEYS = [
    "Id", "Modified", "Created", "User", "Name", "Ip", "Os_name", "Os_number", "Last_inventory", "Last_sync",
    "Ram Total", "Ram_used", "Ram_max", "Bios_identification_code", "Sound_devices", "Cdrom_devices",
    "Video_controllers", "Monitor", "Registry_size", "Registry_max_size", "Pagefile_size", "Pagefile_max_size",
    "Manual_entry",
]


def machines(client, **params: str) -> list[dict]:
    response = client.get(MACHINES, params=params)
    assert response.status_code == 200, response.text
    return response.json()["Machines"]


def test_standard_is_the_default_and_answers_as_the_appliance_does(admin, fleet):
    alpha = machines(admin, filtering=f"id eq {fleet.alpha}")[0]
    assert list(alpha) == APPLIANCE_STANDARD_KEYS
    assert alpha["Id"] == str(fleet.alpha)
    assert alpha["Name"] == "alpha-ws"
    assert alpha["Ram Total"] == "2048 Bytes"
    assert alpha["Os_name"] == "Microsoft Windows 10 Pro x64"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", alpha["Last_inventory"])
    assert alpha["Last_sync"] == "0000-00-00 00:00:00"  # never set: the appliance's zero date
    assert alpha["Manual_entry"] == "0"
    assert all(isinstance(value, str) for value in alpha.values())
    assert machines(admin, filtering=f"id eq {fleet.alpha}", shaping="machine standard")[0] == alpha


def test_each_level_adds_fields(admin, fleet):
    params = {"filtering": f"id eq {fleet.alpha}"}
    limited = machines(admin, shaping="machine limited", **params)[0]
    standard = machines(admin, shaping="MACHINE Standard", **params)[0]
    extended = machines(admin, shaping="machine extended", **params)[0]
    everything = machines(admin, shaping=" machine ALL", **params)[0]
    assert limited == {"Id": str(fleet.alpha), "Name": "alpha-ws"}
    assert set(limited) < set(standard) < set(extended) < set(everything)
    assert {"Kuid", "Mac", "Physical_cores", "Cs_model"} <= set(extended)
    assert extended["Physical_cores"] == "4"
    assert {"Os_id", "Force_inventory"} <= set(everything) - set(extended)
    assert machines(admin, shaping="machine regular", **params)[0] == standard


def test_sub_entities_appear_only_when_shaped_nested_as_lists(admin, fleet):
    params = {"filtering": f"id in {fleet.alpha};{fleet.delta}", "shaping": "machine limited,software limited"}
    alpha, delta = machines(admin, **params)
    assert alpha["Software"] == [
        {"Id": alpha["Software"][0]["Id"], "Display_name": "Microsoft Word"},
        {"Id": alpha["Software"][1]["Id"], "Display_name": "Excel"},
    ]
    assert delta["Software"] == []
    assert "Process" not in alpha


def test_every_machine_sub_entity_shapes_under_its_capitalised_name(admin, fleet):
    shaping = ",".join(
        ["machine limited", "software standard", "process standard", "ntservice standard", "startupprogram all",
         "os extended", "machine_nics standard", "machine_disks all", "machine_location standard", "label limited"]
    )
    (alpha,) = machines(admin, filtering=f"id eq {fleet.alpha}", shaping=shaping)
    assert [item["Display_name"] for item in alpha["Software"]] == ["Microsoft Word", "Excel"]
    assert alpha["Process"][0]["Name"] == "winword.exe"
    assert alpha["Service"][0]["Display_name"] == "Print Spooler"
    assert alpha["Service"][0]["Status"] == "Running"
    assert alpha["Startup_program"][0]["Command_exe"] == "onedrive.exe"
    assert alpha["Operating_system"][0]["Family"] == "Windows"
    assert alpha["Operating_system"][0]["Major_version"] == "10"
    assert alpha["Machine_nics"][0] == {
        "Id": alpha["Machine_nics"][0]["Id"], "Nic": "eth0", "Ip": "10.0.0.1", "Mac": "AA:BB:CC:00:00:01",
        "Netmask": "", "Dhcp_enabled": "", "Dnsdomain": "", "Dnshostname": "",
    }
    assert alpha["Machine_disks"][0]["Disk_size"] == "100.5"
    assert alpha["Machine_disks"][0]["Machine_id"] == str(fleet.alpha)
    assert alpha["Machine_location"][0]["Locality"] == "Oklahoma City"
    assert alpha["Label"] == []


def test_shaping_levels_apply_to_sub_entities(admin, fleet):
    params = {"filtering": f"id eq {fleet.alpha}"}
    limited = machines(admin, shaping="machine limited,software limited", **params)[0]["Software"][0]
    standard = machines(admin, shaping="machine limited,software standard", **params)[0]["Software"][0]
    extended = machines(admin, shaping="machine limited,software extended", **params)[0]["Software"][0]
    everything = machines(admin, shaping="machine limited,software all", **params)[0]["Software"][0]
    assert set(limited) == {"Id", "Display_name"}
    assert set(limited) < set(standard) < set(extended) < set(everything)
    assert standard["Display_version"] == "1.0"
    assert standard["Publisher"] == "Pub"


@pytest.mark.parametrize(
    ("shaping", "named"),
    [("machine huge", "'huge'"), ("softwar limited", "'softwar'"), ("machine none", "none"), ("a b c", "'a b c'")],
)
def test_bad_shaping_answers_400(admin, fleet, shaping, named):
    response = admin.get(MACHINES, params={"shaping": shaping})
    assert response.status_code == 400
    assert named in response.json()["errorDescription"]
    assert response.json()["field"] == "shaping"


def test_sorting_on_base_fields_left_to_right(admin, fleet):
    by_cores = machines(admin, sorting="physical_cores desc", filtering="physical_cores ex", shaping="machine limited")
    assert [m["Name"] for m in by_cores] == ["gamma-srv", "beta-ws", "alpha-ws", "delta_50%"]
    by_user = machines(admin, sorting="machine.user DESC,name", shaping="machine standard")
    assert [(m["User"], m["Name"]) for m in by_user][:3] == [("bob", "beta-ws"), ("alice", "alpha-ws"),
                                                             ("alice", "gamma-srv")]
    ids = [m["Id"] for m in machines(admin, sorting="machine.id desc", shaping="machine limited")]
    assert ids == [str(i) for i in sorted(fleet.all, reverse=True)]


def test_ties_are_broken_by_id(admin, fleet):
    by_user = machines(admin, sorting="user", shaping="machine limited")
    alices = [m["Id"] for m in by_user if m["Name"] in ("alpha-ws", "gamma-srv")]
    assert alices == [str(fleet.alpha), str(fleet.gamma)]


def test_sorting_on_a_sub_entity_orders_it_and_includes_it_at_standard(admin, fleet):
    (alpha,) = machines(admin, filtering=f"id eq {fleet.alpha}", sorting="machine.id,software.name desc")
    assert [item["Display_name"] for item in alpha["Software"]] == ["Microsoft Word", "Excel"]
    assert "Publisher" in alpha["Software"][0]  # standard level
    (alpha,) = machines(admin, filtering=f"id eq {fleet.alpha}", sorting=" software.name\ndesc",
                        shaping="software all")
    assert "Created" in alpha["Software"][0]
    (alpha,) = machines(admin, filtering=f"id eq {fleet.alpha}", sorting="software.name asc")
    assert [item["Display_name"] for item in alpha["Software"]] == ["Excel", "Microsoft Word"]
    (alpha,) = machines(admin, filtering=f"id eq {fleet.alpha}", sorting="software.name", shaping="software none")
    assert "Software" not in alpha


def test_bad_sorting_answers_400(admin, fleet):
    for sorting, named in (("nme", "'nme'"), ("software.nme", "'nme'"), ("name sideways", "sideways"),
                           ("softwar.name", "'softwar'")):
        response = admin.get(MACHINES, params={"sorting": sorting})
        assert response.status_code == 400, sorting
        assert named in response.json()["errorDescription"]
        assert response.json()["field"] == "sorting"


@pytest.fixture
def sixty(admin) -> list[int]:
    return store(admin, [machine(f"host-{n:02d}", software=["Common"]) for n in range(60)])


def test_paging_defaults_to_50_and_counts_everything(admin, sixty):
    body = admin.get(MACHINES, params={"shaping": "machine limited"}).json()
    assert body["Count"] == 60
    assert [m["Id"] for m in body["Machines"]] == [str(i) for i in sixty[:50]]


def test_limit_and_offset_in_either_order(admin, sixty):
    first = machines(admin, paging="limit 10", shaping="machine limited")
    assert [m["Name"] for m in first] == [f"host-{n:02d}" for n in range(10)]
    page = machines(admin, paging="offset 20 limit 5", shaping="machine limited")
    assert [m["Name"] for m in page] == [f"host-{n:02d}" for n in range(20, 25)]
    assert machines(admin, paging="limit 5 offset 20", shaping="machine limited") == page
    assert len(machines(admin, paging="offset 55", shaping="machine limited")) == 5
    assert machines(admin, paging="offset 100", shaping="machine limited") == []
    assert machines(admin, paging="limit 5", offset="20", shaping="machine limited") == page


@pytest.mark.parametrize("paging", ["limit ALL", "limit all", "limit 0"])
def test_limit_all_streams_every_record(admin, sixty, paging):
    response = admin.get(MACHINES, params={"paging": paging, "shaping": "machine limited,software limited"})
    assert response.status_code == 200
    assert "content-length" not in response.headers  # streamed in chunks
    body = response.json()
    assert body["Count"] == 60
    assert [m["Id"] for m in body["Machines"]] == [str(i) for i in sixty]
    assert all(m["Software"][0]["Display_name"] == "Common" for m in body["Machines"])


def test_limit_all_with_filters_sorting_and_no_count(admin, sixty):
    body = admin.get(MACHINES, params={"paging": "limit ALL", "use_count": "false", "sorting": "name desc",
                                       "filtering": "software.name eq Common,name st host-0",
                                       "shaping": "machine limited"}).json()
    assert "Count" not in body
    assert [m["Name"] for m in body["Machines"]] == [f"host-{n:02d}" for n in range(9, -1, -1)]
    empty = admin.get(MACHINES, params={"paging": "limit 0", "filtering": "name eq nobody"}).json()
    assert empty == {"Count": 0, "Machines": []}


@pytest.mark.parametrize("paging", ["limit", "limit -1", "limit many", "offset x", "size 5"])
def test_bad_paging_answers_400(admin, fleet, paging):
    response = admin.get(MACHINES, params={"paging": paging})
    assert response.status_code == 400
    assert response.json()["field"] == "paging"
