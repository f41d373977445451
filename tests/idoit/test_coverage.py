"""The coverage table in docs/ must match the methods the server answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from estate.idoit import router  # noqa: F401 - registers the methods
from estate.idoit.registry import METHODS, lookup

DOC = Path(__file__).resolve().parents[2] / "docs" / "api" / "idoit-coverage.md"


def _cells() -> list[list[str]]:
    found = []
    for line in DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[3] in ("done", "not yet", "add-on"):
            found.append(cells)
    return found


def rows() -> list[tuple[str, str]]:
    return [(cells[0], cells[3]) for cells in _cells()]


def test_the_table_states_match_the_registry():
    for method, state in rows():
        assert (lookup(method) is not None) == (state == "done"), method


def test_every_method_is_done_or_an_add_on_with_its_reason():
    for method, state in rows():
        assert state in ("done", "add-on"), method
    assert all(cells[4] for cells in _cells() if cells[3] == "add-on")


def test_every_served_method_is_in_the_table():
    documented = {lookup(method).name for method, state in rows() if state == "done"}  # type: ignore[union-attr]
    assert {m.name for m in METHODS.values()} == documented


@pytest.mark.parametrize("method", ["cmdb.object.read", "cmdb.objects", "cmdb.location_tree"])
def test_served_methods_answer_over_http(rpc, method):
    answer = rpc.call(method, {"id": 1})
    assert answer.get("error", {}).get("code") != -32601
