"""Every GET route of the Inventory section: lists, /{id}/, /version/, counts, XML, walls, roles."""

from __future__ import annotations

import pytest
import xmltodict

from tests.inventory_reads.fleet import machine, store
from tests.kace_client import KaceClient

BASE = "/api/inventory"
MACHINES = f"{BASE}/machines/"
CATALOGS = {
    "software": ("Software", "Display_name", "Microsoft Word"),
    "softwares": ("Software", "Display_name", "Microsoft Word"),
    "processes": ("Processes", "Name", "winword.exe"),
    "services": ("Services", "Name", "Spooler"),
    "startup_programs": ("Startup_programs", "Name", "OneDrive"),
    "operating_systems": ("Operating_systems", "Name", "Microsoft Windows 10 Pro x64"),
}


@pytest.mark.parametrize("path", ["machines", "nodes", *CATALOGS])
def test_every_list_version_and_item_route_with_and_without_slash(admin, fleet, path):
    for suffix in ("/", ""):
        response = admin.get(f"{BASE}/{path}{suffix}")
        assert response.status_code == 200, (path, suffix, response.text)
        assert "Count" in response.json()
        version = admin.get(f"{BASE}/{path}/version{suffix}")
        assert version.status_code == 200
        assert version.json().isdigit()
        assert admin.get(f"{BASE}/{path}/999999999{suffix}").status_code == 404


@pytest.mark.parametrize("path", list(CATALOGS))
def test_catalog_lists_and_items(admin, fleet, path):
    plural, name_field, name = CATALOGS[path]
    body = admin.get(f"{BASE}/{path}/", params={"filtering": f"name eq {name}"}).json()
    assert body["Count"] == 1
    (item,) = body[plural]
    assert item[name_field] == name
    assert all(isinstance(value, str) for value in item.values())
    one = admin.get(f"{BASE}/{path}/{item['Id']}/").json()
    assert one == {"Count": 1, plural: [item]}
    limited = admin.get(f"{BASE}/{path}/{item['Id']}", params={"shaping": f"{path} limited"}).json()
    assert limited[plural] == [{"Id": item["Id"], name_field: name}]


def test_software_catalog_is_shared_between_machines(admin, fleet):
    body = admin.get(f"{BASE}/software/", params={"sorting": "display_name"}).json()
    assert [item["Display_name"] for item in body["Software"]] == ["Excel", "Microsoft Word", "zoo"]
    assert body["Count"] == 3


def test_machine_item_route_answers_the_envelope_with_one_element(admin, fleet):
    body = admin.get(f"{MACHINES}{fleet.gamma}/", params={"shaping": "machine limited,software limited"}).json()
    assert body["Count"] == 1
    (gamma,) = body["Machines"]
    assert gamma["Name"] == "gamma-srv"
    assert [item["Display_name"] for item in gamma["Software"]] == ["zoo"]
    bare = admin.get(f"{BASE}/machines/{fleet.gamma}", params={"use_count": "false"}).json()
    assert list(bare) == ["Machines"]
    assert admin.get(f"{MACHINES}{fleet.gamma}/", params={"use_count_only": "true"}).json() == {"Count": 1}
    assert admin.get(f"{MACHINES}{fleet.gamma}/", params={"shaping": "machine huge"}).status_code == 400


def test_counts(admin, fleet):
    assert admin.get(MACHINES, params={"use_count_only": "true"}).json() == {"Count": 5}
    assert admin.get(MACHINES, params={"use_count_only": "yes", "filtering": "name co -ws"}).json() == {"Count": 2}
    assert admin.get(MACHINES, params={"use_count_only": "", "paging": "limit ALL"}).json() == {"Count": 5}
    assert "Machines" in admin.get(MACHINES, params={"use_count_only": "false"}).json()
    without = admin.get(MACHINES, params={"use_count": "false"}).json()
    assert list(without) == ["Machines"]
    assert len(without["Machines"]) == 5
    assert admin.get(MACHINES, params={"paging": "limit 2"}).json()["Count"] == 5


def test_pretty_print(admin, fleet):
    response = admin.get(MACHINES, params={"use_pretty_print": "true", "shaping": "machine limited"})
    assert "\n  " in response.text
    assert response.json()["Count"] == 5
    streamed = admin.get(MACHINES, params={"use_pretty_print": "true", "paging": "limit ALL"})
    assert streamed.json()["Count"] == 5
    assert "\n" not in admin.get(MACHINES).text


def test_xml_when_the_client_asks(admin, fleet):
    headers = {"Accept": "application/xml"}
    response = admin.get(MACHINES, params={"shaping": "machine standard,software limited",
                                           "filtering": f"id eq {fleet.alpha}"}, headers=headers)
    assert response.headers["content-type"].startswith("application/xml")
    document = xmltodict.parse(response.text)["response"]
    assert document["Count"] == "1"
    alpha = document["Machines"]
    assert alpha["Name"] == "alpha-ws"
    assert alpha["Ram_Total"] == "2048 Bytes"  # element names cannot hold the space
    assert [item["Display_name"] for item in alpha["Software"]] == ["Microsoft Word", "Excel"]
    streamed = admin.get(MACHINES, params={"paging": "limit ALL", "shaping": "machine limited"}, headers=headers)
    everything = xmltodict.parse(streamed.text)["response"]
    assert everything["Count"] == "5"
    assert [item["Name"] for item in everything["Machines"]] == ["alpha-ws", "beta-ws", "gamma-srv", "delta_50%",
                                                                "Epsilon"]
    error = admin.get(MACHINES, params={"filtering": "nme eq x"}, headers=headers)
    assert error.status_code == 400
    assert "nme" in xmltodict.parse(error.text)["response"]["errorDescription"]


def test_filter_options_accepts_nothing_unknown(admin, fleet):
    assert admin.get(MACHINES, params={"filterOptions": ""}).status_code == 200
    response = admin.get(MACHINES, params={"filterOptions": "mystery"})
    assert response.status_code == 400
    assert response.json()["field"] == "filterOptions"


def test_organizations_are_walls(admin, fleet, other_org, base_url):
    with KaceClient(base_url) as other:
        other.login(other_org.admin.login, other_org.admin.password)
        (stranger,) = store(other, [machine("stranger", software=["Microsoft Word", "Secret"])])
    assert admin.get(f"{MACHINES}{stranger}/").status_code == 404
    assert admin.get(f"{BASE}/machines/{stranger}").status_code == 404
    names = [m["Name"] for m in admin.get(MACHINES, params={"paging": "limit ALL"}).json()["Machines"]]
    assert "stranger" not in names
    assert admin.get(MACHINES, params={"filtering": "software.name eq Secret"}).json()["Count"] == 0
    catalog = admin.get(f"{BASE}/software/", params={"paging": "limit ALL"}).json()["Software"]
    titles = [item["Display_name"] for item in catalog]
    assert "Secret" not in titles
    word = admin.get(f"{BASE}/software/", params={"filtering": "name eq Microsoft Word"}).json()["Software"][0]
    with KaceClient(base_url) as other:
        other.login(other_org.admin.login, other_org.admin.password)
        assert other.get(f"{BASE}/software/{word['Id']}/").status_code == 404
        assert other.get(f"{MACHINES}{fleet.alpha}/").status_code == 404
        assert [m["Name"] for m in other.get(MACHINES).json()["Machines"]] == ["stranger"]


def test_standard_users_see_only_their_own_machines_and_what_is_on_them(user, admin, org, fleet):
    # The machine is the user's because the agent reports them as its user.
    (own,) = store(admin, [machine("users-laptop", software=["Own Tool"], User=f"CORP\\{org.user.login}")])
    body = user.get(MACHINES).json()
    assert body["Count"] == 1
    assert [m["Name"] for m in body["Machines"]] == ["users-laptop"]
    assert user.get(f"{MACHINES}{own}/").status_code == 200
    assert user.get(f"{MACHINES}{fleet.alpha}/").status_code == 404
    assert user.get(MACHINES, params={"filtering": "name eq alpha-ws"}).json()["Count"] == 0
    assert user.get(MACHINES, params={"paging": "limit ALL"}).json()["Count"] == 1
    titles = [s["Display_name"] for s in user.get(f"{BASE}/software/").json()["Software"]]
    assert titles == ["Own Tool"]
    assert user.get(f"{BASE}/processes/").json()["Count"] == 0
    assert user.get(f"{BASE}/nodes/").json()["Count"] == 0
    assert admin.get(MACHINES).json()["Count"] == 6


def test_read_only_administrators_read_everything(readonly, fleet):
    assert readonly.get(MACHINES).json()["Count"] == 5
    assert readonly.get(f"{BASE}/software/").json()["Count"] == 3


def test_reads_need_a_session(client, fleet):
    assert client.get(MACHINES).status_code == 401
    assert client.get(f"{BASE}/software/version/").status_code == 401


def test_nodes_list_filter_and_shape_their_machine(admin, user, org, fleet):
    nodes = [
        {"Host_Name": "printer-1", "Ip": "10.0.9.1", "Mac": "00:11:22:33:44:01", "Os_Type": "printer",
         "Ping_Status": 1},
        {"Host_Name": "switch-1", "Ip": "10.0.9.2", "Mac": "00:11:22:33:44:02", "Machine_Id": fleet.gamma},
    ]
    response = admin.post(f"{BASE}/nodes/", json={"Nodes": nodes})
    assert response.status_code == 200, response.text
    printer, switch = response.json()
    body = admin.get(f"{BASE}/nodes/", params={"filtering": "ping_status eq 1"}).json()
    assert body["Count"] == 1
    assert body["Nodes"][0]["Host_name"] == "printer-1"
    assert body["Nodes"][0]["Id"] == str(printer)
    assert admin.get(f"{BASE}/nodes", params={"filtering": "* co switch"}).json()["Nodes"][0]["Id"] == str(switch)
    linked = admin.get(f"{BASE}/nodes/{switch}/", params={"shaping": "node limited,machine limited"}).json()
    assert linked["Nodes"] == [{"Id": str(switch), "Host_name": "switch-1",
                                "Machine": [{"Id": str(fleet.gamma), "Name": "gamma-srv"}]}]
    assert admin.get(f"{BASE}/nodes/", params={"filtering": "machine.name eq gamma-srv"}).json()["Count"] == 1
    assert admin.get(f"{BASE}/nodes/", params={"filtering": "machine.id nex"}).json()["Count"] == 1
    assert admin.get(f"{BASE}/nodes/", params={"filtering": "ping_status co 1"}).status_code == 400
    assert user.get(f"{BASE}/nodes/{printer}/").status_code == 404
