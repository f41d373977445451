"""Entity declarations: what the query engine knows about an entity, and all it knows.

A declaration names the table, the fields (the name they are answered and filtered by, the column,
the type, the shaping level they appear at, whether `*` searches them), the sub-entities with the
path that reaches them, and how its answers are written (value style, nesting, how the Count is
found). Field and table names in SQL come only from here, never from a request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any, Protocol

from sqlalchemy import Column, ColumnElement, FromClause, Select, and_, exists, select
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.util import ClauseAdapter

# A column as declarations name it: a table's column, a mapped attribute or a SQL expression.
ColumnLike = ColumnElement[Any] | QueryableAttribute[Any]
Condition = ColumnElement[bool]


def as_column(value: ColumnLike) -> ColumnElement[Any]:
    """A mapped attribute becomes the table column it maps, so that the engine's statements stay
    Core statements (an ORM-annotated column would route each through the ORM's compile step)."""
    if not isinstance(value, QueryableAttribute):
        return value
    columns: list[Any] = list(getattr(value.property, "columns", ()))
    if len(columns) == 1 and isinstance(columns[0], Column):
        return columns[0]
    return value.expression


class Level(IntEnum):
    """Shaping levels; a field declared at a level appears at that level and every higher one."""

    NONE = 0
    LIMITED = 1
    STANDARD = 2
    EXTENDED = 3
    ALL = 4


class Kind(Enum):
    TEXT = "text"
    INT = "int"
    NUMBER = "number"
    DATETIME = "datetime"
    BOOL = "bool"
    JSON = "json"  # a stored JSON value (a role's grants): answered as stored, never filtered or sorted


class Style(Enum):
    """How values are written in answers.

    TEXT: every value a string, nulls as empty strings, as the appliance's inventory answers
    (`"Id": "1"`). NATIVE: JSON numbers, booleans and nulls. In both, datetimes are written
    `YYYY-MM-DD HH:MM:SS` and an unset one as the appliance's zero date. ISO: JSON values, datetimes
    in ISO 8601 with their offset and null when unset, as the account management Definitions."""

    TEXT = "text"
    NATIVE = "native"
    ISO = "iso"


class Nesting(Enum):
    """Where a shaped sub-entity's records go in its base record.

    LISTS: under the capitalised name, always a list (inventory: `"Software": [...]`). NAMED: under
    the sub-entity's own name; a many-to-one sub-entity as one object, null when there is none
    (service desk: `"submitter": {...}`, `"owner": null`, `"categories": [...]`). Fields with a dotted name nest in
    every style: `account.login` is `login` in the record's `account` object, which is null when
    its first field is (a reference to nothing)."""

    LISTS = "lists"
    NAMED = "named"


class Counting(Enum):
    """How a list's Count is found.

    FIRST: counted before the page, with sub-entity filters as semi-joins; the count then tells
    which plan fits the page. AFTER_PAGE: the page is read first and a page shorter than its limit
    tells the Count by itself; otherwise it is counted testing sub-entity filters row by row
    (decision 0411)."""

    FIRST = "first"
    AFTER_PAGE = "after_page"


def normalize(name: str) -> str:
    """The form names are compared in: case-insensitive, and a space counts as an underscore
    (the appliance answers `Ram Total` and clients filter on `ram_total`)."""
    return name.strip().lower().replace(" ", "_")


@dataclass(frozen=True, eq=False, init=False)
class Field:
    name: str
    column: ColumnElement[Any]
    kind: Kind
    level: Level
    wildcard: bool
    aliases: tuple[str, ...]
    # Answered as a string whatever the entity's style: the Product Definition spells its id so.
    as_text: bool

    def __init__(self, name: str, column: ColumnLike, kind: Kind = Kind.TEXT, level: Level = Level.STANDARD, *,
                 wildcard: bool = False, aliases: tuple[str, ...] = (), as_text: bool = False) -> None:
        for attribute, value in (("name", name), ("column", as_column(column)), ("kind", kind), ("level", level),
                                 ("wildcard", wildcard), ("aliases", aliases), ("as_text", as_text)):
            object.__setattr__(self, attribute, value)

    @property
    def keys(self) -> tuple[str, ...]:
        return (normalize(self.name), *(normalize(alias) for alias in self.aliases))


# --- Paths from a base row to its sub-entity rows -------------------------------------------------
# Each path can (1) test for related rows inside the base query (an EXISTS or an IN), (2) list the
# base ids that have related rows (a semi-join, used when few base rows match), and (3) load the
# related rows of a set of base ids in one query, labelled with the base id they belong to, and (4)
# join the related rows to a statement over the base (flat rows, query.tabulate), under aliases of
# their own, as one table may be reached by several paths (a ticket's owner and its submitter).

BASE_ID = "__base_id"


class Related:
    """A sub-entity's table under an alias (`name`), with the entity's expressions moved onto it."""

    def __init__(self, name: str, target: Entity) -> None:
        self.name = name
        self.target = target
        self.table: FromClause = target.table.alias(name)
        self._adapter = ClauseAdapter(self.table)

    def column(self, expression: ColumnLike) -> ColumnElement[Any]:
        """An expression over the target's table, read from the alias."""
        return self._adapter.traverse(as_column(expression))

    def link(self, table: FromClause) -> tuple[FromClause, ClauseAdapter]:
        """A link table on the way, under an alias of its own."""
        alias = table.alias(f"{self.name}_link")
        return alias, ClauseAdapter(alias)


class Path(Protocol):
    @property
    def single(self) -> bool:
        """At most one related row per base row (many-to-one)."""
        ...

    def exists(self, base_id: ColumnElement[int], target: Entity, condition: Condition) -> Condition:
        ...

    def base_ids(self, target: Entity, condition: Condition) -> Select[Any]:
        ...

    def load(self, target: Entity, columns: list[ColumnElement[Any]], base_ids: list[int]) -> Select[Any]:
        ...

    def join(self, source: FromClause, base_id: ColumnElement[int], related: Related) -> FromClause:
        """`source` (over the base) joined to the related rows: outer for a many-to-one path (the
        base row stays when it names none), inner otherwise (a row per related row)."""
        ...


@dataclass(frozen=True, eq=False, init=False)
class LinkTable:
    """Many-to-many through a link table (machine ↔ software)."""

    link: FromClause
    base_key: ColumnElement[int]  # link column holding the base id
    target_key: ColumnElement[int]  # link column holding the sub-entity id
    single = False

    def __init__(self, link: FromClause, base_key: ColumnLike, target_key: ColumnLike) -> None:
        object.__setattr__(self, "link", link)
        object.__setattr__(self, "base_key", as_column(base_key))
        object.__setattr__(self, "target_key", as_column(target_key))

    def exists(self, base_id: ColumnElement[int], target: Entity, condition: Condition) -> Condition:
        matching = select(target.id_column).where(condition)
        return exists().where(self.base_key == base_id, self.target_key.in_(matching))

    def base_ids(self, target: Entity, condition: Condition) -> Select[Any]:
        matching = select(target.id_column).where(condition)
        return select(self.base_key).where(self.target_key.in_(matching))

    def load(self, target: Entity, columns: list[ColumnElement[Any]], base_ids: list[int]) -> Select[Any]:
        return (
            select(self.base_key.label(BASE_ID), *columns)
            .select_from(self.link.join(target.table, self.target_key == target.id_column))
            .where(self.base_key.in_(base_ids))
        )

    def join(self, source: FromClause, base_id: ColumnElement[int], related: Related) -> FromClause:
        link, on_link = related.link(self.link)
        return source.join(link, on_link.traverse(self.base_key) == base_id).join(
            related.table, on_link.traverse(self.target_key) == related.column(related.target.id_column))


@dataclass(frozen=True, eq=False, init=False)
class ChildRows:
    """One-to-many: the sub-entity's rows carry the base id (machine → NICs)."""

    base_key: ColumnElement[int]  # sub-entity column holding the base id
    single = False

    def __init__(self, base_key: ColumnLike) -> None:
        object.__setattr__(self, "base_key", as_column(base_key))

    def exists(self, base_id: ColumnElement[int], target: Entity, condition: Condition) -> Condition:
        return exists().where(self.base_key == base_id, condition)

    def base_ids(self, target: Entity, condition: Condition) -> Select[Any]:
        return select(self.base_key).where(condition)

    def load(self, target: Entity, columns: list[ColumnElement[Any]], base_ids: list[int]) -> Select[Any]:
        return select(self.base_key.label(BASE_ID), *columns).where(self.base_key.in_(base_ids))

    def join(self, source: FromClause, base_id: ColumnElement[int], related: Related) -> FromClause:
        return source.join(related.table, related.column(self.base_key) == base_id)


@dataclass(frozen=True, eq=False, init=False)
class ParentRow:
    """Many-to-one: the base row carries the sub-entity's id (node → its machine, ticket → its status).

    A filter on it is the base column being one of the matching related ids: the related rows are
    found once, not probed per base row, and an (organization, column) index of the base answers
    the rest. The null test keeps a negated filter true for base rows that name no related row.
    `organization`: the base's organization column, for related rows that are not the base's own
    (accounts, machines); loading then also requires the related row to be of the base row's."""

    base_table: FromClause
    base_id: ColumnElement[int]
    foreign_key: ColumnElement[int]  # base column holding the sub-entity id
    organization: ColumnElement[int] | None
    single = True

    def __init__(self, base_table: FromClause, base_id: ColumnLike, foreign_key: ColumnLike, *,
                 organization: ColumnLike | None = None) -> None:
        object.__setattr__(self, "base_table", base_table)
        object.__setattr__(self, "base_id", as_column(base_id))
        object.__setattr__(self, "foreign_key", as_column(foreign_key))
        object.__setattr__(self, "organization", None if organization is None else as_column(organization))

    def exists(self, base_id: ColumnElement[int], target: Entity, condition: Condition) -> Condition:
        matching = select(target.id_column).where(condition)
        return and_(self.foreign_key.is_not(None), self.foreign_key.in_(matching))

    def base_ids(self, target: Entity, condition: Condition) -> Select[Any]:
        matching = select(target.id_column).where(condition)
        return select(self.base_id).where(self.foreign_key.in_(matching))

    def load(self, target: Entity, columns: list[ColumnElement[Any]], base_ids: list[int]) -> Select[Any]:
        on = self.foreign_key == target.id_column
        if self.organization is not None and target.organization_column is not None:
            on = and_(on, self.organization == target.organization_column)
        joined = self.base_table.join(target.table, on)
        return select(self.base_id.label(BASE_ID), *columns).select_from(joined).where(self.base_id.in_(base_ids))

    def join(self, source: FromClause, base_id: ColumnElement[int], related: Related) -> FromClause:
        target = related.target
        on = self.foreign_key == related.column(target.id_column)
        if self.organization is not None and target.organization_column is not None:
            on = and_(on, self.organization == related.column(target.organization_column))
        return source.outerjoin(related.table, on)


@dataclass(frozen=True)
class SubEntity:
    name: str
    # The entity is given lazily so that declarations may refer to each other.
    entity: Callable[[], Entity]
    path: Path
    aliases: tuple[str, ...] = ()
    # Whether the wildcard filter `*` of the base entity also searches this sub-entity's wildcard fields.
    in_wildcard: bool = False
    # The level it comes at when shaping does not name it: NONE leaves it out (the reference's default).
    shown: Level = Level.NONE

    @property
    def key(self) -> str:
        """The name a shaped sub-entity is nested under with Nesting.LISTS: capitalised (`Software`)."""
        return self.name[:1].upper() + self.name[1:]

    @property
    def keys(self) -> tuple[str, ...]:
        return (normalize(self.name), *(normalize(alias) for alias in self.aliases))


@dataclass(frozen=True)
class Entity:
    name: str
    plural: str  # the envelope key: "Machines"
    table: FromClause
    id_field: str
    name_field: str  # what `name` means in filters and sorts; with the id it is declared at LIMITED
    fields: tuple[Field, ...]
    # The organization wall; None for installation-wide rows (products, organizations themselves),
    # whose list routes say in their Scope which rows a caller sees.
    organization_column: ColumnLike | None
    style: Style = Style.TEXT
    nesting: Nesting = Nesting.LISTS
    counting: Counting = Counting.FIRST
    aliases: tuple[str, ...] = ()
    subentities: tuple[SubEntity, ...] = ()
    # Named predicates a client may add with `filterOptions` ("join sets" in the reference).
    filter_options: dict[str, Callable[[], ColumnElement[bool]]] = field(default_factory=dict)
    # An index the entity keeps over its own wildcard fields: (positive operator, value, selects of
    # the base ids whose wildcard sub-entities match) → the condition "the wildcard matches",
    # answered by the index together with those ids; None when the index cannot answer the term
    # (the engine then matches the fields one by one).
    wildcard_search: Callable[[str, str, tuple[Select[Any], ...]], ColumnElement[bool] | None] | None = None
    # The order of a list the client does not sort ("name", "path desc"); the id breaks ties always.
    default_order: tuple[str, ...] = ()
    _by_key: dict[str, Field] = field(init=False, repr=False, compare=False)
    _subs: dict[str, SubEntity] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.organization_column is not None:
            object.__setattr__(self, "organization_column", as_column(self.organization_column))
        by_key: dict[str, Field] = {}
        for item in self.fields:
            for key in item.keys:
                if key in by_key:
                    raise ValueError(f"{self.name}: field name {key!r} declared twice")
                by_key[key] = item
        object.__setattr__(self, "_by_key", by_key)
        for required in (self.id_field, self.name_field):
            declared = by_key.get(normalize(required))
            if declared is None:
                raise ValueError(f"{self.name}: {required!r} is not a declared field")
            if declared.level > Level.LIMITED:
                raise ValueError(f"{self.name}: {required!r} must be declared at Level.LIMITED")
        for order in self.default_order:
            if normalize(order.split()[0]) not in by_key:
                raise ValueError(f"{self.name}: default order {order!r} names no declared field")
        subs: dict[str, SubEntity] = {}
        for sub in self.subentities:
            for key in sub.keys:
                subs[key] = sub
        object.__setattr__(self, "_subs", subs)

    @property
    def keys(self) -> tuple[str, ...]:
        return (normalize(self.name), *(normalize(alias) for alias in self.aliases))

    def field(self, name: str) -> Field | None:
        key = normalize(name)
        if key == "name":
            key = normalize(self.name_field)
        return self._by_key.get(key)

    def subentity(self, name: str) -> SubEntity | None:
        return self._subs.get(normalize(name))

    @property
    def id_column(self) -> ColumnElement[int]:
        return self._by_key[normalize(self.id_field)].column

    def fields_at(self, level: Level) -> tuple[Field, ...]:
        """The fields a record shaped at `level` carries, in declaration order. LIMITED is what the
        declaration puts there: the id and name, and more where the appliance answers more."""
        return tuple(item for item in self.fields if item.level <= level)

    @property
    def wildcard_fields(self) -> tuple[Field, ...]:
        return tuple(item for item in self.fields if item.wildcard)
