"""Every example of the reference's "Query syntax" and "Query examples" sections, sent as written
(line breaks of the printed page included) against machines made for them."""

from __future__ import annotations

import pytest

from tests.inventory_reads.fleet import machine, store

MACHINES = "/api/inventory/machines"


@pytest.fixture
def examples(admin) -> dict[str, int]:
    names = ["xxx", "has-xxx-inside", "ABC-box", "plain", "zoo-keeper"]
    bodies = [
        machine("xxx", software=["zoo"]),
        machine("has-xxx-inside", software=["zoo", "DEF"]),
        machine("ABC-box", software=["DEF"], Location={"Locality": "Tulsa"}),
        machine("plain", software=["other"]),
        machine("zoo-keeper", software=["zoo"], User="abc-user"),
    ]
    # A machine sent without a KUID gets a random one, whose hex digits would now and then hold
    # "abc" and answer the wildcard examples: each gets one of digits only.
    for number, body in enumerate(bodies):
        body["Kuid"] = f"00000000-0000-4000-8000-{number:012d}"
    return dict(zip(names, store(admin, bodies), strict=True))


def get(client, query: str):
    """The query as printed; a line break of the page travels as %0A."""
    return client.get(f"{MACHINES}?{query}".replace("\n", "%0A"))


def names(client, query: str) -> list[str]:
    response = get(client, query)
    assert response.status_code == 200, response.text
    return [item["Name"] for item in response.json()["Machines"]]


def test_all_machines_named_xxx(admin, examples):
    assert names(admin, "filtering=name eq xxx") == ["xxx"]


def test_all_machines_whose_name_contains_xxx(admin, examples):
    assert names(admin, "filtering=machine.name co xxx") == ["xxx", "has-xxx-inside"]


def test_name_does_not_contain_xxx_and_id_above(admin, examples):
    above = examples["has-xxx-inside"]
    assert names(admin, f"filtering=name nc xxx,id gt {above}") == ["ABC-box", "plain", "zoo-keeper"]
    assert names(admin, f"filtering=name nc xxx,id gt {examples['plain']}") == ["zoo-keeper"]


def test_name_does_not_contain_xxx(admin, examples):
    assert names(admin, "filtering=name nc xxx") == ["ABC-box", "plain", "zoo-keeper"]


def test_machines_by_id_set(admin, examples):
    wanted = f"{examples['xxx']};{examples['plain']};999999999"
    assert names(admin, f"filtering=id in {wanted}") == ["xxx", "plain"]


def test_software_title_zoo_as_printed_has_a_stray_token_and_is_refused(admin, examples):
    # The reference prints `filtering=id software.name eq zoo`: the operator place holds
    # `software.name`, so the answer names it (docs/decisions/0252).
    response = admin.get(f"{MACHINES}?filtering=id software.name eq zoo")
    assert response.status_code == 400
    assert "'software.name'" in response.json()["errorDescription"]
    assert names(admin, "filtering=software.name eq zoo") == ["xxx", "has-xxx-inside", "zoo-keeper"]


def test_id_above_and_software_title(admin, examples):
    # As printed, the value is cut off: an empty title, which no software has.
    assert names(admin, f"filtering=id gt {examples['xxx']},software.name eq") == []
    assert names(admin, f"filtering=id gt {examples['xxx']},software.name eq zoo") == ["has-xxx-inside", "zoo-keeper"]


def test_existence_of_a_recorded_location(admin, examples):
    assert names(admin, "filtering=machine_location.id ex") == ["ABC-box"]
    assert names(admin, "filtering=machine_location.id nex") == ["xxx", "has-xxx-inside", "plain", "zoo-keeper"]


def test_filter_on_related_data_does_not_add_it(admin, examples):
    body = admin.get(f"{MACHINES}?filtering=software.name eq zoo").json()
    assert all("Software" not in item for item in body["Machines"])


def test_wildcard_any_field_contains_abc(admin, examples):
    assert names(admin, "filtering=* co ABC") == ["ABC-box", "zoo-keeper"]


def test_wildcard_combined_with_a_software_title(admin, examples):
    assert names(admin, "filtering=* co ABC,software.name eq\nDEF") == ["ABC-box"]


def test_sort_by_id_and_software_name_descending(admin, examples):
    body = get(admin, "sorting=machine.id,software.name  \ndesc").json()
    machines = body["Machines"]
    assert [item["Name"] for item in machines] == ["xxx", "has-xxx-inside", "ABC-box", "plain", "zoo-keeper"]
    assert [item["Display_name"] for item in machines[1]["Software"]] == ["zoo", "DEF"]
    assert "Publisher" in machines[1]["Software"][0]


def test_sort_by_software_name_with_shaping(admin, examples):
    machines = get(admin, "sorting= software.name  \ndesc&shaping=software all").json()["Machines"]
    assert [item["Display_name"] for item in machines[1]["Software"]] == ["zoo", "DEF"]
    assert "Created" in machines[1]["Software"][0]


def test_sort_by_name_then_id(admin, examples):
    assert names(admin, "sorting=machine.name,machine.id") == sorted(examples, key=lambda n: n.encode())


def test_paging_examples(admin, examples):
    store(admin, [machine(f"bulk-{n:03d}") for n in range(200)])
    assert len(names(admin, "paging=limit 100")) == 100
    after = names(admin, "paging=offset 101")
    assert len(after) == 50
    assert after[0] == "bulk-096"  # the 102nd machine: 5 examples, then bulk-000...
    page = names(admin, "paging=offset 101 limit 100")
    assert len(page) == 100
    assert page[0] == "bulk-096"
    everything = admin.get(f"{MACHINES}?paging=limit ALL").json()
    assert len(everything["Machines"]) == everything["Count"] == 205


def test_shaping_full_machine_and_limited_software(admin, examples):
    machines = admin.get(f"{MACHINES}?shaping=machine all,software limited").json()["Machines"]
    assert "Kuid" in machines[0]
    assert machines[0]["Software"] == [{"Id": machines[0]["Software"][0]["Id"], "Display_name": "zoo"}]


def test_counts_examples(admin, examples):
    assert list(admin.get(f"{MACHINES}?use_count=false").json()) == ["Machines"]
    assert admin.get(f"{MACHINES}?use_count_only=true").json() == {"Count": 5}


def test_the_query_example_using_most_parameters(admin, examples):
    response = get(
        admin,
        "shaping=machine all,software\nlimited&sorting=software.name\n"
        f"desc&use_count=false&filtering=id lt {examples['ABC-box']}&paging=limit\n1",
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["Machines"]
    (first,) = body["Machines"]
    assert first["Name"] == "xxx"
    assert "Kuid" in first
    assert first["Software"] == [{"Id": first["Software"][0]["Id"], "Display_name": "zoo"}]


def test_clients_shape_with_a_leading_space_and_filter_values_with_spaces(admin, examples):
    body = admin.get(f"{MACHINES}?shaping= machine limited&filtering=created gt 2020-04-12 02:28:02").json()
    assert body["Count"] == 5
    assert set(body["Machines"][0]) == {"Id", "Name"}
