"""`filtering` over HTTP: every operator on each field type, sub-entities, existence, wildcards, 400s."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.factories import OrgFixture, make_org
from tests.inventory_reads.conftest import Fleet, store_fleet
from tests.kace_client import KaceClient

MACHINES = "/api/inventory/machines/"


# Every test here only reads the fleet: one organization and one fleet serve the whole module.
@pytest.fixture(scope="module")
def org(sessions) -> OrgFixture:
    return make_org(sessions)


@pytest.fixture(scope="module")
def admin(base_url: str, org: OrgFixture) -> Iterator[KaceClient]:
    with KaceClient(base_url) as kace:
        kace.login(org.admin.login, org.admin.password)
        yield kace


@pytest.fixture(scope="module")
def fleet(admin: KaceClient) -> Fleet:
    return store_fleet(admin)


def names(client, filtering: str, **params: str) -> list[str]:
    response = client.get(MACHINES, params={"filtering": filtering, "shaping": "machine limited", **params})
    assert response.status_code == 200, response.text
    return [item["Name"] for item in response.json()["Machines"]]


@pytest.mark.parametrize(
    ("filtering", "expected"),
    [
        ("name eq beta-ws", ["beta-ws"]),
        ("name eq BETA-WS", ["beta-ws"]),
        ("name in ALPHA-ws;epsilon", ["alpha-ws", "Epsilon"]),
        ("name ne EPSILON", ["alpha-ws", "beta-ws", "gamma-srv", "delta_50%"]),
        ("name ne beta-ws", ["alpha-ws", "gamma-srv", "delta_50%", "Epsilon"]),
        ("name neq beta-ws", ["alpha-ws", "gamma-srv", "delta_50%", "Epsilon"]),
        ("name co -ws", ["alpha-ws", "beta-ws"]),
        ("name co _50%", ["delta_50%"]),
        ("name co WS", ["alpha-ws", "beta-ws"]),
        ("name nc -ws", ["gamma-srv", "delta_50%", "Epsilon"]),
        ("name nco -ws", ["gamma-srv", "delta_50%", "Epsilon"]),
        ("name st gam", ["gamma-srv"]),
        ("name ns gam", ["alpha-ws", "beta-ws", "delta_50%", "Epsilon"]),
        ("name nst gam", ["alpha-ws", "beta-ws", "delta_50%", "Epsilon"]),
        ("name en -srv", ["gamma-srv"]),
        ("name end -srv", ["gamma-srv"]),
        ("name nen -ws", ["gamma-srv", "delta_50%", "Epsilon"]),
        ("name nend -ws", ["gamma-srv", "delta_50%", "Epsilon"]),
        ("name in beta-ws;Epsilon;nothing", ["beta-ws", "Epsilon"]),
        ("name nin beta-ws;Epsilon", ["alpha-ws", "gamma-srv", "delta_50%"]),
        ("name lt beta", ["Epsilon", "alpha-ws"]),
        ("os_name co windows", ["alpha-ws", "beta-ws"]),
        ("os_name ex", ["alpha-ws", "beta-ws", "gamma-srv", "delta_50%"]),
        ("os_name nex", ["Epsilon"]),
        ("user eq", ["delta_50%", "Epsilon"]),
        ("Os_Name eq Ubuntu 22.04", ["gamma-srv"]),
        ("MACHINE.NAME eq alpha-ws", ["alpha-ws"]),
        ("machines.name eq alpha-ws", ["alpha-ws"]),
    ],
)
def test_text_operators(admin, fleet, filtering, expected):
    assert sorted(names(admin, filtering)) == sorted(expected)


@pytest.mark.parametrize(
    ("filtering", "expected"),
    [
        ("physical_cores eq 8", ["beta-ws"]),
        ("physical_cores ne 8", ["alpha-ws", "gamma-srv", "delta_50%", "Epsilon"]),
        ("physical_cores lt 8", ["alpha-ws", "delta_50%"]),
        ("physical_cores le 8", ["alpha-ws", "beta-ws", "delta_50%"]),
        ("physical_cores gt 8", ["gamma-srv"]),
        ("physical_cores ge 8", ["beta-ws", "gamma-srv"]),
        ("physical_cores in 2;16", ["gamma-srv", "delta_50%"]),
        ("physical_cores nin 2;16", ["alpha-ws", "beta-ws", "Epsilon"]),
        ("physical_cores ex", ["alpha-ws", "beta-ws", "gamma-srv", "delta_50%"]),
        ("physical_cores nex", ["Epsilon"]),
    ],
)
def test_integer_operators(admin, fleet, filtering, expected):
    assert sorted(names(admin, filtering)) == sorted(expected)


def test_ids_in_and_ranges(admin, fleet):
    assert names(admin, f"id in {fleet.alpha};{fleet.gamma};999999") == ["alpha-ws", "gamma-srv"]
    assert names(admin, f"id gt {fleet.gamma}") == ["delta_50%", "Epsilon"]
    assert names(admin, f"name nc xxx,id gt {fleet.gamma}") == ["delta_50%", "Epsilon"]


def test_datetime_operators_take_the_appliance_format_with_a_space(admin, fleet):
    assert len(names(admin, "created gt 2020-04-12 02:28:02")) == 5
    assert names(admin, "created lt 2020-04-12 02:28:02") == []
    assert len(names(admin, "created ge 2020-04-12")) == 5
    assert len(names(admin, "created gt 2020-04-12T02:28:02Z")) == 5
    stamp = admin.get(f"{MACHINES}{fleet.beta}/").json()["Machines"][0]["Created"]
    assert "beta-ws" in names(admin, f"created le {stamp}")
    assert len(names(admin, "last_inventory ex")) == 5
    assert names(admin, "last_inventory nex") == []


def test_sub_entity_filters_restrict_without_adding_the_sub_entity(admin, fleet):
    response = admin.get(MACHINES, params={"filtering": "software.name eq Microsoft Word"})
    machines = response.json()["Machines"]
    assert [item["Name"] for item in machines] == ["alpha-ws", "beta-ws"]
    assert all("Software" not in item for item in machines)
    assert names(admin, "software.name eq zoo") == ["gamma-srv"]
    assert names(admin, "software.display_name co excel") == ["alpha-ws", "Epsilon"]
    assert names(admin, "software.name eq Excel,software.name eq Microsoft Word") == ["alpha-ws"]
    assert names(admin, "softwares.publisher eq Pub,name st e") == ["Epsilon"]
    assert names(admin, "process.name eq winword.exe") == ["alpha-ws"]
    assert names(admin, "ntservice.status eq Running") == ["alpha-ws"]
    assert names(admin, "service.display_name co spooler") == ["alpha-ws"]
    assert names(admin, "startupprogram.name eq OneDrive") == ["alpha-ws"]
    assert names(admin, "startup_program.command_exe en .exe") == ["alpha-ws"]
    assert names(admin, "os.family eq Windows") == ["alpha-ws"]
    assert names(admin, "operating_system.major_version ge 10") == ["alpha-ws"]
    assert names(admin, "machine_nics.ip st 192.168.") == ["gamma-srv"]
    assert names(admin, "machine_disks.disk_size gt 100") == ["alpha-ws"]
    assert names(admin, "label.name eq nothing") == []


def test_existence_of_related_rows(admin, fleet):
    assert names(admin, "machine_location.id ex") == ["alpha-ws"]
    assert names(admin, "machine_location.id nex") == ["beta-ws", "gamma-srv", "delta_50%", "Epsilon"]
    assert names(admin, "software.id nex") == ["delta_50%"]
    assert names(admin, "machine_nics.mac ex") == ["alpha-ws", "gamma-srv"]


def test_wildcard_matches_any_declared_field_and_named_sub_entities(admin, fleet):
    assert names(admin, "* co gamma") == ["gamma-srv"]
    assert names(admin, "* co ubuntu") == ["gamma-srv"]
    assert names(admin, "* eq alice") == ["alpha-ws", "gamma-srv"]
    # 192.168.7.7 is only a NIC's address: the machine declaration searches its NICs too.
    assert names(admin, "* co 192.168.7") == ["gamma-srv"]
    assert names(admin, "* nc windows") == ["gamma-srv", "delta_50%", "Epsilon"]
    assert names(admin, "* co Windows,software.name eq Excel") == ["alpha-ws"]


def test_filters_combine_with_shaping_and_count(admin, fleet):
    response = admin.get(MACHINES, params={"filtering": "software.name eq Microsoft Word", "paging": "limit 1"})
    body = response.json()
    assert body["Count"] == 2
    assert len(body["Machines"]) == 1


@pytest.mark.parametrize(
    ("filtering", "named"),
    [
        ("nme eq x", "'nme'"),
        ("software.titel eq x", "'titel'"),
        ("softwre.name eq x", "'softwre'"),
        ("name like x", "'like'"),
        ("id co 5", "'co'"),
        ("physical_cores st 1", "'st'"),
        ("created co 2020", "'co'"),
        ("id eq five", "'five'"),
        ("created gt yesterday", "'yesterday'"),
        ("physical_cores in 1;two", "'two'"),
        ("* ex", "'*'"),
        ("software.* co x", "'*'"),
        ("name", "'name'"),
        ("id software.name eq zoo", "'software.name'"),
    ],
)
def test_unknown_names_and_unfit_operators_answer_400_naming_them(admin, fleet, filtering, named):
    response = admin.get(MACHINES, params={"filtering": filtering})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["errorCode"] == -1
    assert named in body["errorDescription"]
    assert body["field"] == "filtering"


def test_values_are_bound_not_spliced(admin, fleet):
    assert names(admin, "name eq x' OR '1'='1") == []
    assert names(admin, "name co %") == ["delta_50%"]
    assert names(admin, "name co _") == ["delta_50%"]
