"""Entity declarations: what the query engine knows about an entity, and all it knows.

A declaration names the table, the fields (the name they are answered and filtered by, the column,
the type, the shaping level they appear at, whether `*` searches them) and the sub-entities with
the path that reaches them. Field and table names in SQL come only from here, never from a request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any

from sqlalchemy import ColumnElement, Exists, FromClause, Select, exists, select
from sqlalchemy.sql.elements import KeyedColumnElement


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


class Style(Enum):
    """How values are written in answers.

    TEXT: every value a string, nulls as empty strings (datetimes as the appliance's zero date), as
    the appliance's inventory answers (`"Id": "1"`). NATIVE: JSON numbers, booleans and nulls."""

    TEXT = "text"
    NATIVE = "native"


def normalize(name: str) -> str:
    """The form names are compared in: case-insensitive, and a space counts as an underscore
    (the appliance answers `Ram Total` and clients filter on `ram_total`)."""
    return name.strip().lower().replace(" ", "_")


@dataclass(frozen=True)
class Field:
    name: str
    column: KeyedColumnElement[Any]
    kind: Kind = Kind.TEXT
    level: Level = Level.STANDARD
    wildcard: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return (normalize(self.name), *(normalize(alias) for alias in self.aliases))


# --- Paths from a base row to its sub-entity rows -------------------------------------------------
# Each path can (1) test for related rows inside the base query as a correlated EXISTS, (2) list the
# base ids that have related rows (a semi-join, used when few base rows match), and (3) load the
# related rows of a set of base ids in one query, labelled with the base id they belong to.

BASE_ID = "__base_id"


@dataclass(frozen=True)
class LinkTable:
    """Many-to-many through a link table (machine ↔ software)."""

    link: FromClause
    base_key: KeyedColumnElement[int]  # link column holding the base id
    target_key: KeyedColumnElement[int]  # link column holding the sub-entity id

    def exists(self, base_id: ColumnElement[int], target: Entity, condition: ColumnElement[bool]) -> Exists:
        matching = select(target.id_column).where(condition)
        return exists().where(self.base_key == base_id, self.target_key.in_(matching))

    def base_ids(self, target: Entity, condition: ColumnElement[bool]) -> Select[Any]:
        matching = select(target.id_column).where(condition)
        return select(self.base_key).where(self.target_key.in_(matching))

    def load(self, target: Entity, columns: list[ColumnElement[Any]], base_ids: list[int]) -> Select[Any]:
        return (
            select(self.base_key.label(BASE_ID), *columns)
            .select_from(self.link.join(target.table, self.target_key == target.id_column))
            .where(self.base_key.in_(base_ids))
        )

    def base_key_column(self) -> ColumnElement[int]:
        return self.base_key


@dataclass(frozen=True)
class ChildRows:
    """One-to-many: the sub-entity's rows carry the base id (machine → NICs)."""

    base_key: KeyedColumnElement[int]  # sub-entity column holding the base id

    def exists(self, base_id: ColumnElement[int], target: Entity, condition: ColumnElement[bool]) -> Exists:
        return exists().where(self.base_key == base_id, condition)

    def base_ids(self, target: Entity, condition: ColumnElement[bool]) -> Select[Any]:
        return select(self.base_key).where(condition)

    def load(self, target: Entity, columns: list[ColumnElement[Any]], base_ids: list[int]) -> Select[Any]:
        return select(self.base_key.label(BASE_ID), *columns).where(self.base_key.in_(base_ids))


@dataclass(frozen=True)
class ParentRow:
    """Many-to-one: the base row carries the sub-entity's id (node → its machine)."""

    base_table: FromClause
    base_id: KeyedColumnElement[int]
    foreign_key: KeyedColumnElement[int]  # base column holding the sub-entity id

    def exists(self, base_id: ColumnElement[int], target: Entity, condition: ColumnElement[bool]) -> Exists:
        return exists().where(target.id_column == self.foreign_key, condition)

    def base_ids(self, target: Entity, condition: ColumnElement[bool]) -> Select[Any]:
        matching = select(target.id_column).where(condition)
        return select(self.base_id).where(self.foreign_key.in_(matching))

    def load(self, target: Entity, columns: list[ColumnElement[Any]], base_ids: list[int]) -> Select[Any]:
        return (
            select(self.base_id.label(BASE_ID), *columns)
            .select_from(self.base_table.join(target.table, self.foreign_key == target.id_column))
            .where(self.base_id.in_(base_ids))
        )


Path = LinkTable | ChildRows | ParentRow


@dataclass(frozen=True)
class SubEntity:
    name: str
    # The entity is given lazily so that declarations may refer to each other.
    entity: Callable[[], Entity]
    path: Path
    aliases: tuple[str, ...] = ()
    # Whether the wildcard filter `*` of the base entity also searches this sub-entity's wildcard fields.
    in_wildcard: bool = False

    @property
    def key(self) -> str:
        """The name a shaped sub-entity is nested under: the capitalised name (`Software`)."""
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
    name_field: str  # the field LIMITED shows besides the id, and the one `name` means
    fields: tuple[Field, ...]
    organization_column: KeyedColumnElement[int]
    style: Style = Style.TEXT
    aliases: tuple[str, ...] = ()
    subentities: tuple[SubEntity, ...] = ()
    # Named predicates a client may add with `filterOptions` ("join sets" in the reference).
    filter_options: dict[str, Callable[[], ColumnElement[bool]]] = field(default_factory=dict)
    # An index the entity keeps over its own wildcard fields: (positive operator, value, selects of
    # the base ids whose wildcard sub-entities match) → the condition "the wildcard matches",
    # answered by the index together with those ids; None when the index cannot answer the term
    # (the engine then matches the fields one by one).
    wildcard_search: Callable[[str, str, tuple[Select[Any], ...]], ColumnElement[bool] | None] | None = None

    def __post_init__(self) -> None:
        by_key: dict[str, Field] = {}
        for item in self.fields:
            for key in item.keys:
                if key in by_key:
                    raise ValueError(f"{self.name}: field name {key!r} declared twice")
                by_key[key] = item
        for required in (self.id_field, self.name_field):
            if normalize(required) not in by_key:
                raise ValueError(f"{self.name}: {required!r} is not a declared field")
        object.__setattr__(self, "_by_key", by_key)
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
        return self._by_key.get(key)  # type: ignore[attr-defined, no-any-return]

    def subentity(self, name: str) -> SubEntity | None:
        return self._subs.get(normalize(name))  # type: ignore[attr-defined, no-any-return]

    @property
    def id_column(self) -> KeyedColumnElement[int]:
        return self._by_key[normalize(self.id_field)].column  # type: ignore[attr-defined, no-any-return]

    def fields_at(self, level: Level) -> tuple[Field, ...]:
        """The fields a record shaped at `level` carries, in declaration order."""
        if level == Level.LIMITED:
            wanted = {normalize(self.id_field), normalize(self.name_field)}
            return tuple(item for item in self.fields if normalize(item.name) in wanted)
        return tuple(item for item in self.fields if item.level <= level)

    @property
    def wildcard_fields(self) -> tuple[Field, ...]:
        return tuple(item for item in self.fields if item.wildcard)
