"""The SQL each query-language input compiles to, on SQLite and on PostgreSQL: a table to read
the language's meaning off (as Datasette tests its filters), with every value a bound parameter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, Column, Float, Integer, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from estate.db.base import UTCDateTime
from estate.errors import InvalidInput
from estate.query import ChildRows, Entity, Field, Kind, Level, Scope, SubEntity, parse_query, plan_query

_metadata = MetaData()
_things = Table(
    "things", _metadata,
    Column("id", Integer, primary_key=True), Column("organization_id", Integer, nullable=False),
    Column("name", String), Column("size", Float), Column("seen", UTCDateTime), Column("active", Boolean),
    Column("data", JSON),
)
_parts = Table(
    "parts", _metadata,
    Column("id", Integer, primary_key=True), Column("organization_id", Integer, nullable=False),
    Column("thing_id", Integer), Column("label", String),
)
PART = Entity(
    name="part", plural="Parts", table=_parts, id_field="id", name_field="label",
    organization_column=_parts.c.organization_id,
    fields=(Field("id", _parts.c.id, Kind.INT, Level.LIMITED),
            Field("label", _parts.c.label, Kind.TEXT, Level.LIMITED, wildcard=True)),
)
THING = Entity(
    name="thing", plural="Things", table=_things, id_field="id", name_field="name",
    organization_column=_things.c.organization_id,
    fields=(
        Field("id", _things.c.id, Kind.INT, Level.LIMITED),
        Field("name", _things.c.name, Kind.TEXT, Level.LIMITED, wildcard=True),
        Field("size", _things.c.size, Kind.NUMBER),
        Field("seen", _things.c.seen, Kind.DATETIME),
        Field("active", _things.c.active, Kind.BOOL),
        Field("data", _things.c.data, Kind.JSON),
    ),
    subentities=(SubEntity("part", lambda: PART, ChildRows(_parts.c.thing_id), in_wildcard=True),),
)
ORGANIZATION = 7
# The wall every statement starts with, left out of the table below.
WALLS = {
    "sqlite": "things.organization_id = ? AND ",
    "postgresql": "things.organization_id = %(organization_id_1)s::INTEGER AND ",
}


def compiled(filtering: str, dialect: Dialect, semi_joined: frozenset[int] = frozenset(),
             few_as_array: bool = False) -> tuple[str, list[Any]]:
    """The WHERE clause of a base query with this filter (without its wall), and the values bound."""
    plan = plan_query(THING, parse_query({"filtering": filtering}), scope=Scope(ORGANIZATION, None))
    statement = select(THING.id_column).where(*plan.where(semi_joined, few_as_array=few_as_array))
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    text = " ".join(str(compiled).split()).removeprefix("SELECT things.id FROM things WHERE ")
    assert text.startswith(WALLS[dialect.name]), text
    values = [compiled.params[key] for key in compiled.positiontup] if compiled.positiontup else list(
        compiled.params.values()
    )
    assert values[0] == ORGANIZATION
    return text.removeprefix(WALLS[dialect.name]), values[1:]


CASES = [
    (
        'name eq Word',
        'lower(things.name) = ?',
        'lower(things.name) = %(lower_1)s::VARCHAR',
        ['word'],
    ),
    (
        'name ne Word',
        '(things.name IS NULL OR lower(things.name) != ?)',
        '(things.name IS NULL OR lower(things.name) != %(lower_1)s::VARCHAR)',
        ['word'],
    ),
    (
        'name co 5%_',
        "(things.name LIKE '%' || ? || '%' ESCAPE '/')",
        "(things.name ILIKE '%%' || %(name_1)s::VARCHAR || '%%' ESCAPE '/')",
        ['5/%/_'],
    ),
    (
        'name nc x',
        "(things.name IS NULL OR NOT (things.name LIKE '%' || ? || '%' ESCAPE '/'))",
        "(things.name IS NULL OR NOT (things.name ILIKE '%%' || %(name_1)s::VARCHAR || '%%' ESCAPE '/'))",
        ['x'],
    ),
    (
        'name st a',
        "(things.name LIKE ? || '%' ESCAPE '/')",
        "(things.name ILIKE %(name_1)s::VARCHAR || '%%' ESCAPE '/')",
        ['a'],
    ),
    (
        'name en z',
        "(things.name LIKE '%' || ? ESCAPE '/')",
        "(things.name ILIKE '%%' || %(name_1)s::VARCHAR ESCAPE '/')",
        ['z'],
    ),
    (
        'name in A;b',
        'lower(things.name) IN (?, ?)',
        'lower(things.name) IN (%(lower_1_1)s::VARCHAR, %(lower_1_2)s::VARCHAR)',
        ['a', 'b'],
    ),
    (
        'name nin a',
        '(things.name IS NULL OR (lower(things.name) NOT IN (?)))',
        '(things.name IS NULL OR (lower(things.name) NOT IN (%(lower_1_1)s::VARCHAR)))',
        ['a'],
    ),
    (
        'name eq',
        'NOT (things.name IS NOT NULL AND things.name != ?)',
        'NOT (things.name IS NOT NULL AND things.name != %(name_1)s::VARCHAR)',
        [''],
    ),
    (
        'name ex',
        'things.name IS NOT NULL AND things.name != ?',
        'things.name IS NOT NULL AND things.name != %(name_1)s::VARCHAR',
        [''],
    ),
    (
        'name nex',
        'NOT (things.name IS NOT NULL AND things.name != ?)',
        'NOT (things.name IS NOT NULL AND things.name != %(name_1)s::VARCHAR)',
        [''],
    ),
    (
        'id gt 5',
        'things.id > ?',
        'things.id > %(id_1)s::INTEGER',
        [5],
    ),
    (
        'id in 1;2',
        'things.id IN (?, ?)',
        'things.id IN (%(id_1_1)s::INTEGER, %(id_1_2)s::INTEGER)',
        [1, 2],
    ),
    (
        'size le 2.5',
        'things.size <= ?',
        'things.size <= %(size_1)s',
        [2.5],
    ),
    (
        'seen eq 2024-01-02',
        'things.seen >= ? AND things.seen < ?',
        'things.seen >= %(seen_1)s::TIMESTAMP WITHOUT TIME ZONE AND things.seen < %(seen_2)s::TIMESTAMP WITHOUT '
        'TIME ZONE',
        [datetime(2024, 1, 2, 0, 0, tzinfo=UTC), datetime(2024, 1, 3, 0, 0, tzinfo=UTC)],
    ),
    (
        'seen gt 2024-01-02 10:00:00',
        'things.seen >= ?',
        'things.seen >= %(seen_1)s::TIMESTAMP WITHOUT TIME ZONE',
        [datetime(2024, 1, 2, 10, 0, 1, tzinfo=UTC)],
    ),
    (
        'seen le 2024-01-02T10:00',
        'things.seen < ?',
        'things.seen < %(seen_1)s::TIMESTAMP WITHOUT TIME ZONE',
        [datetime(2024, 1, 2, 10, 1, tzinfo=UTC)],
    ),
    (
        'active eq yes',
        'things.active = 1',
        'things.active = true',
        [],
    ),
    (
        'active ne 0',
        '(things.active IS NULL OR things.active != 0)',
        '(things.active IS NULL OR things.active != false)',
        [],
    ),
    (
        'part.label eq x',
        '(EXISTS (SELECT * FROM parts WHERE parts.thing_id = things.id AND parts.organization_id = ? AND '
        'lower(parts.label) = ?))',
        '(EXISTS (SELECT * FROM parts WHERE parts.thing_id = things.id AND parts.organization_id = '
        '%(organization_id_2)s::INTEGER AND lower(parts.label) = %(lower_1)s::VARCHAR))',
        [7, 'x'],
    ),
    (
        'part.id nex',
        'NOT (EXISTS (SELECT * FROM parts WHERE parts.thing_id = things.id AND parts.organization_id = ? AND '
        'parts.id IS NOT NULL))',
        'NOT (EXISTS (SELECT * FROM parts WHERE parts.thing_id = things.id AND parts.organization_id = '
        '%(organization_id_2)s::INTEGER AND parts.id IS NOT NULL))',
        [7],
    ),
    (
        '* co ab',
        "((things.name LIKE '%' || ? || '%' ESCAPE '/') OR (EXISTS (SELECT * FROM parts WHERE "
        "parts.thing_id = things.id AND parts.organization_id = ? AND (parts.label LIKE '%' || ? || "
        "'%' ESCAPE '/'))))",
        "((things.name ILIKE '%%' || %(name_1)s::VARCHAR || '%%' ESCAPE '/') OR (EXISTS (SELECT * FROM parts WHERE "
        "parts.thing_id = things.id AND parts.organization_id = %(organization_id_2)s::INTEGER AND (parts.label "
        "ILIKE '%%' || %(label_1)s::VARCHAR || '%%' ESCAPE '/'))))",
        ['ab', 7, 'ab'],
    ),
    (
        '* nc ab',
        "coalesce((things.name LIKE '%' || ? || '%' ESCAPE '/') OR (EXISTS (SELECT * FROM parts WHERE "
        "parts.thing_id = things.id AND parts.organization_id = ? AND (parts.label LIKE '%' || ? || "
        "'%' ESCAPE '/'))), 0) = 0",
        "NOT coalesce((things.name ILIKE '%%' || %(name_1)s::VARCHAR || '%%' ESCAPE '/') OR (EXISTS (SELECT * FROM "
        "parts WHERE parts.thing_id = things.id AND parts.organization_id = %(organization_id_2)s::INTEGER AND "
        "(parts.label ILIKE '%%' || %(label_1)s::VARCHAR || '%%' ESCAPE '/'))), false)",
        ['ab', 7, 'ab'],
    ),
    (
        'id ge 3,name st x',
        "things.id >= ? AND (things.name LIKE ? || '%' ESCAPE '/')",
        "things.id >= %(id_1)s::INTEGER AND (things.name ILIKE %(name_1)s::VARCHAR || '%%' ESCAPE '/')",
        [3, 'x'],
    ),
    (
        'thing.id lt 9',
        'things.id < ?',
        'things.id < %(id_1)s::INTEGER',
        [9],
    ),
]


@pytest.mark.parametrize(("filtering", "on_sqlite", "on_postgresql", "values"), CASES)
def test_a_filter_compiles_to_this_sql_on_both_databases(filtering, on_sqlite, on_postgresql, values):
    assert compiled(filtering, sqlite.dialect()) == (on_sqlite, values)
    assert compiled(filtering, postgresql.psycopg.dialect()) == (on_postgresql, values)


def test_a_sub_entity_filter_as_a_semi_join_and_as_an_array_of_ids():
    assert compiled("part.label eq x", sqlite.dialect(), frozenset({0})) == (
        "things.id IN (SELECT parts.thing_id FROM parts WHERE parts.organization_id = ? AND lower(parts.label) = ?)",
        [ORGANIZATION, "x"],
    )
    assert compiled("part.label eq x", postgresql.psycopg.dialect(), frozenset({0}), few_as_array=True) == (
        "things.id = ANY (array((SELECT parts.thing_id FROM parts WHERE parts.organization_id = "
        "%(organization_id_2)s::INTEGER AND lower(parts.label) = %(lower_1)s::VARCHAR)))",
        [ORGANIZATION, "x"],
    )


@pytest.mark.parametrize(
    ("filtering", "named"),
    [
        ("id co 1", "'co' does not fit the int field 'id'"),
        ("id eq one", "'one' is not a valid int"),
        ("id eq 99999999999999999999999", "out of range for the int field 'id'"),
        ("id in 1;2147483648", "out of range for the int field 'id'"),
        ("size gt nan", "'nan' is not a valid number"),
        ("seen gt 2020-13-45", "is not a valid datetime"),
        ("active eq maybe", "'maybe' is not a valid bool"),
        ("data eq x", "'eq' does not fit the json field 'data'"),
        ("colour eq red", "unknown field 'colour'"),
        ("nope.label eq x", "unknown entity 'nope'"),
        ("part.colour eq x", "unknown field 'colour' of part"),
        ("name xx a", "unknown operator 'xx'"),
        ("name", "needs a field, an operator and a value"),
        ("name ex yes", "takes no value"),
        ("* ex", "does not fit the wildcard"),
        ("part.* co a", "the wildcard '*' applies to the base entity only"),
        ("name eq a\x00b", "NUL"),
    ],
)
def test_a_filter_the_declaration_cannot_answer_is_refused_naming_filtering(filtering, named):
    with pytest.raises(InvalidInput) as refused:
        compiled(filtering, sqlite.dialect())
    assert refused.value.field == "filtering"
    assert named in refused.value.message


def test_sorting_on_a_stored_json_value_is_refused():
    with pytest.raises(InvalidInput) as refused:
        plan_query(THING, parse_query({"sorting": "data"}), scope=Scope(ORGANIZATION, None))
    assert refused.value.field == "sorting"


def test_a_plan_is_remembered_for_the_same_query_of_the_same_organization():
    from estate.query import planned

    asked = {"filtering": "name eq web", "paging": "limit 5", "unrelated": "1"}
    first = planned(THING, asked, scope=Scope(7, None))
    assert planned(THING, {**asked, "unrelated": "2"}, scope=Scope(7, None)) is first
    assert planned(THING, asked, scope=Scope(8, None)) is not first
    assert planned(THING, {**asked, "paging": "limit 6"}, scope=Scope(7, None)).limit == 6
    own_only = Scope(7, _things.c.name == "mine")
    assert planned(THING, asked, scope=own_only) is not planned(THING, asked, scope=own_only)
    with pytest.raises(InvalidInput):
        planned(THING, {"filtering": "nope eq 1"}, scope=Scope(7, None))
