"""The SQL a list costs: a fixed number of statements whatever the page size, sub-entity filters as
subqueries (never JOIN + DISTINCT), and the same answer from either plan a filter can take."""

from __future__ import annotations

import pytest

from estate.query import run
from tests.inventory_reads.fleet import machine, store
from tests.statements import statements

MACHINES = "/api/inventory/machines/"
SHAPED = "machine all,software limited,process standard,service standard,startup_program standard,os standard," \
         "machine_nics standard,machine_disks standard,machine_location standard,label standard"


def rich(name: str) -> dict:
    return machine(
        name,
        software=["Word", "Excel", f"Tool {name}"],
        Processes=[{"Name": "a.exe"}, {"Name": "b.exe"}],
        Services=[{"Name": "Spooler"}],
        Startup_Programs=[{"Name": "OneDrive"}],
        Operating_Systems=[{"Name": "Windows 11"}],
        Nics=[{"Nic": "eth0", "Ip": "10.1.1.1"}],
        Disks=[{"Name": "C:"}],
        Location={"Locality": "Here"},
    )


def _count_for(admin, engine, page_size: int) -> tuple[int, list[str]]:
    with statements(engine) as seen:
        response = admin.get(MACHINES, params={"shaping": SHAPED, "paging": f"limit {page_size}"})
    assert response.status_code == 200
    assert len(response.json()["Machines"]) == page_size
    return len(seen), seen


def test_a_shaped_list_costs_the_same_statements_for_5_and_50_rows(admin, engine):
    store(admin, [rich(f"m{n:02d}") for n in range(50)])
    small, _ = _count_for(admin, engine, 5)
    large, seen = _count_for(admin, engine, 50)
    assert small == large
    # Login check, the count, the page, and one query per shaped sub-entity (9).
    queries = [s for s in seen if "machines" in s or "machine_" in s]
    assert len(queries) == 1 + 1 + 9


def test_a_streamed_list_loads_sub_entities_per_batch_not_per_row(admin, engine):
    store(admin, [rich(f"m{n:02d}") for n in range(30)])
    with statements(engine) as seen:
        body = admin.get(MACHINES, params={"shaping": "machine limited,software limited", "paging": "limit ALL"}).json()
    assert len(body["Machines"]) == 30
    assert len([s for s in seen if "machine_software" in s]) == 1


def _filtered(admin, engine, params: dict[str, str]) -> tuple[dict, list[str]]:
    with statements(engine) as seen:
        response = admin.get(MACHINES, params={"shaping": "machine limited", **params})
    assert response.status_code == 200, response.text
    return response.json(), [s for s in seen if "machine_software" in s]


@pytest.mark.parametrize("count", ["true", "false"])
def test_both_plans_of_a_sub_entity_filter_give_the_same_page(admin, engine, monkeypatch, count):
    store(admin, [machine(f"m{n:02d}", software=["Word"] if n % 3 else ["Other"]) for n in range(30)])
    params = {"filtering": "software.name eq Word,name ne m05", "paging": "limit 7 offset 2", "use_count": count}
    few, few_sql = _filtered(admin, engine, params)
    # Pretend every selectivity is high: the engine then walks machines in page order with EXISTS.
    monkeypatch.setattr(run, "SEMI_JOIN_FLOOR", 0)
    monkeypatch.setattr(run, "SEMI_JOIN_ROWS_PER_PAGE_ROW", 0)
    many, many_sql = _filtered(admin, engine, params)
    assert few == many
    assert [m["Name"] for m in few["Machines"]] == ["m04", "m07", "m08", "m10", "m11", "m13", "m14"]
    for statement in few_sql + many_sql:
        assert "DISTINCT" not in statement.upper()
        assert " JOIN " not in statement.upper()
    page_few, page_many = few_sql[-1], many_sql[-1]
    assert "EXISTS" not in page_few.upper() and "IN (SELECT" in page_few.upper()
    assert "EXISTS" in page_many.upper()


def test_a_name_count_reads_the_machines_table_from_an_index_alone(admin, engine):
    """The count is over the machines table, not the ~100-column inventory subquery, and the
    (organization, archived, name) index answers it without reading a row (decision 1100)."""
    store(admin, [machine(f"web-{n}") for n in range(3)] + [machine("db-1")])
    with statements(engine) as seen:
        body = admin.get(MACHINES, params={"filtering": "name co WEB", "paging": "limit 2"}).json()
    assert body["Count"] == 3 and len(body["Machines"]) == 2
    counted = next(s for s in seen if s.lstrip().upper().startswith("SELECT COUNT(*)") and "machines" in s)
    assert counted.upper().count("SELECT") == 1, counted
    assert "kuid" not in counted
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            plan = " ".join(row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + counted, (1, "web")))
        assert "COVERING INDEX ix_machines_org_archived_id_name" in plan, plan


def test_the_same_query_again_is_not_probed_again(admin, engine):
    """Which plan a sub-entity filter takes is probed once per query and kept with the query's
    plan for a while (docs/decisions/1103): the same page asked again runs its page statement only."""
    store(admin, [machine(f"p{n:02d}", software=["Word"] if n % 2 else ["Other"]) for n in range(12)])
    params = {"filtering": "software.name eq Word", "paging": "limit 3", "use_count": "false"}
    first, first_sql = _filtered(admin, engine, params)
    again, again_sql = _filtered(admin, engine, params)
    assert first == again
    assert [m["Name"] for m in first["Machines"]] == ["p01", "p03", "p05"]
    assert len(first_sql) == 2  # the probe, then the page
    assert again_sql == first_sql[1:]
