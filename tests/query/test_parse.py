"""The query parameters as the reference writes them, read without any entity."""

from __future__ import annotations

import pytest

from estate.errors import InvalidInput
from estate.query.parse import (
    DEFAULT_LIMIT,
    FilterTerm,
    ShapeTerm,
    SortTerm,
    parse_filtering,
    parse_paging,
    parse_query,
    parse_shaping,
    parse_sorting,
)


def test_filters_split_on_commas_with_optional_entity_and_values_with_spaces():
    terms = parse_filtering("name nc xxx,id gt 1000, software.name eq Microsoft Word ,created gt 2020-04-12 02:28:02")
    assert [(t.entity, t.field, t.operator, t.value) for t in terms] == [
        (None, "name", "nc", "xxx"),
        (None, "id", "gt", "1000"),
        ("software", "name", "eq", "Microsoft Word"),
        (None, "created", "gt", "2020-04-12 02:28:02"),
    ]


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("eq", "eq"), ("ne", "ne"), ("neq", "ne"), ("lt", "lt"), ("le", "le"), ("gt", "gt"), ("ge", "ge"),
        ("co", "co"), ("nc", "nc"), ("nco", "nc"), ("st", "st"), ("ns", "ns"), ("nst", "ns"), ("en", "en"),
        ("end", "en"), ("nen", "nen"), ("nend", "nen"), ("in", "in"), ("nin", "nin"), ("EQ", "eq"),
    ],
)
def test_every_operator_of_the_reference_and_its_aliases(written, canonical):
    (term,) = parse_filtering(f"name {written} x")
    assert term.operator == canonical


def test_existence_operators_take_no_value():
    assert parse_filtering("machine_location.id ex") == (
        FilterTerm("machine_location", "id", "ex", "", "machine_location.id ex"),
    )
    assert parse_filtering("machine_location.id nex")[0].operator == "nex"
    with pytest.raises(InvalidInput):
        parse_filtering("machine_location.id ex yes")


def test_in_keeps_its_semicolon_list_for_the_compiler():
    (term,) = parse_filtering("id in 100;101;108")
    assert term.value == "100;101;108"


def test_a_missing_value_is_the_empty_string():
    (_, term) = parse_filtering("id gt 100,software.name eq")
    assert (term.entity, term.field, term.operator, term.value) == ("software", "name", "eq", "")


def test_values_wrapped_onto_a_new_line_keep_their_text():
    (_, term) = parse_filtering("* co ABC,software.name eq\nDEF")
    assert term.value == "DEF"


@pytest.mark.parametrize("bad", ["name", "name like x", "id software.name eq zoo"])
def test_malformed_filters_name_the_problem(bad):
    with pytest.raises(InvalidInput) as caught:
        parse_filtering(bad)
    assert caught.value.field == "filtering"
    assert repr(" ".join(bad.split())) in caught.value.message


def test_sorting_left_to_right_with_optional_direction():
    assert parse_sorting("machine.id,software.name  \ndesc") == (
        SortTerm("machine", "id", False),
        SortTerm("software", "name", True),
    )
    assert parse_sorting(" software.name DESC") == (SortTerm("software", "name", True),)
    assert parse_sorting("name asc") == (SortTerm(None, "name", False),)
    with pytest.raises(InvalidInput):
        parse_sorting("name upwards")


def test_paging_defaults_either_order_and_all():
    assert parse_paging(None) == (DEFAULT_LIMIT, 0)
    assert parse_paging("limit 100") == (100, 0)
    assert parse_paging("offset 101") == (DEFAULT_LIMIT, 101)
    assert parse_paging("offset 101 limit 100") == (100, 101)
    assert parse_paging("limit 100 offset 101") == (100, 101)
    assert parse_paging("limit ALL") == (None, 0)
    assert parse_paging("limit all") == (None, 0)
    assert parse_paging("limit 0") == (None, 0)
    assert parse_paging(None, "7") == (DEFAULT_LIMIT, 7)


@pytest.mark.parametrize("bad", ["limit", "limit -1", "limit ten", "offset ALL", "page 2"])
def test_bad_paging_is_refused(bad):
    with pytest.raises(InvalidInput) as caught:
        parse_paging(bad)
    assert caught.value.field == "paging"


def test_shaping_pairs_tolerate_spaces_and_case():
    assert parse_shaping("  hd_ticket regular,owner limited,submitter LIMITED") == (
        ShapeTerm("hd_ticket", "regular"),
        ShapeTerm("owner", "limited"),
        ShapeTerm("submitter", "limited"),
    )
    assert parse_shaping("machine all,software\nlimited") == (
        ShapeTerm("machine", "all"),
        ShapeTerm("software", "limited"),
    )
    with pytest.raises(InvalidInput) as caught:
        parse_shaping("machine huge")
    assert "huge" in caught.value.message


def test_count_flags():
    assert parse_query({}).use_count is True
    assert parse_query({"use_count": "false"}).use_count is False
    assert parse_query({"use_count": "FALSE"}).use_count is False
    assert parse_query({}).count_only is False
    assert parse_query({"use_count_only": "true"}).count_only is True
    assert parse_query({"use_count_only": "1"}).count_only is True
    assert parse_query({"use_count_only": "false"}).count_only is False


def test_the_reference_query_example_reads_whole():
    terms = parse_query(
        {
            "shaping": "machine all,software\nlimited",
            "sorting": "software.name\ndesc",
            "use_count": "false",
            "filtering": "id lt 1000",
            "paging": "limit\n1",
        }
    )
    assert terms.shaping == (ShapeTerm("machine", "all"), ShapeTerm("software", "limited"))
    assert terms.sorts == (SortTerm("software", "name", True),)
    assert terms.use_count is False
    assert terms.filters[0].operator == "lt"
    assert (terms.limit, terms.offset) == (1, 0)
