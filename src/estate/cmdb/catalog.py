"""The i-doit catalog as data, loaded once at import:
- categories and attributes: catalog/idoit-category-fields.tsv, and the categories and attributes
  of newer releases from the knowledge base's category pages (catalog/idoit-kb-categories.tsv);
- the attributes that hold ids of other entries (catalog/entry-references.tsv);
- i-doit's own rows of its fixed lists, object types, relation types and weightings, with their
  ids and constants (catalog/idoit-dialogs.tsv);
- what else a fresh i-doit holds and how Estate lays it out (catalog/idoit-base.json).

Validation, ``idoit.constants``, ``cmdb.category_info`` and search all read this one catalog:
adding a category is adding a line of data."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

DATA_DIR = Path(__file__).parent / "catalog"
FIELDS_FILE = DATA_DIR / "idoit-category-fields.tsv"
KB_FIELDS_FILE = DATA_DIR / "idoit-kb-categories.tsv"
DIALOGS_FILE = DATA_DIR / "idoit-dialogs.tsv"
BASE_FILE = DATA_DIR / "idoit-base.json"
ENTRY_REFERENCES_FILE = DATA_DIR / "entry-references.tsv"

# How an attribute's value is stored and shown.
PLAIN, DIALOG, OBJECT, OBJECT_TYPE, CMDB_STATUS = "plain", "dialog", "object", "object_type", "cmdb_status"

# How a read answers an attribute beside its kind (attribute_shapes in idoit-base.json).
CONVERT, YES_NO, ADDRESS = "convert", "yes_no", "address"

# Record states of objects and category entries.
BIRTH, NORMAL, ARCHIVED, DELETED, PURGED, TEMPLATE, MASS_CHANGE_TEMPLATE = 1, 2, 3, 4, 5, 6, 7
IN_OPERATION = 6

LANGUAGES = ("en", "de")


@dataclass(frozen=True)
class Attribute:
    key: str
    title: str
    data_type: str  # int, text, text_area, float, double, date, date_time
    reference: str  # the i-doit table the value points to ("" for plain values)
    kind: str  # PLAIN, DIALOG, OBJECT, OBJECT_TYPE or CMDB_STATUS
    dialog: str = ""  # the dialog list of a DIALOG attribute ("" for other kinds)
    parent_dialog: str | None = None  # for dependent lists (model under manufacturer)
    entry_category: str | None = None  # for a PLAIN id of an entry of another category (entry-references.tsv)
    shape: str = ""  # CONVERT, YES_NO or ADDRESS: answered in i-doit's shape for such values


@dataclass(frozen=True)
class Category:
    const: str
    id: int
    scope: str  # "g" global, "s" specific
    title: str
    multi_value: bool
    attributes: dict[str, Attribute] = field(default_factory=dict)
    # A view i-doit shows that holds no data of its own (cabling, vitality ...): not readable.
    virtual: bool = False


@dataclass(frozen=True)
class ObjectTypeGroup:
    id: int
    const: str
    titles: dict[str, str]
    sort: int = 65535
    visible: bool = True
    custom: bool = False  # made by the organization, not i-doit's


@dataclass(frozen=True)
class ObjectType:
    id: int
    const: str
    titles: dict[str, str]
    group_id: int
    icon: str
    sysid_prefix: str
    categories: tuple[str, ...]
    sort: int = 65535
    description: str = ""
    color: str = "#A2BCFA"
    container: bool = False
    positionable_in_rack: bool = False
    visible: bool = True
    relation_master: bool = False
    overview_page: bool = False
    specific_category: str | None = None
    default_template: str | None = None
    custom: bool = False  # made by the organization (cmdb.object-type.create.v2), not i-doit's


CONTAINERS = frozenset({"C__OBJTYPE__BUILDING", "C__OBJTYPE__ROOM", "C__OBJTYPE__ENCLOSURE",
                        "C__OBJTYPE__LOCATION_GENERIC", "C__OBJTYPE__CITY", "C__OBJTYPE__COUNTRY"})


@dataclass(frozen=True)
class DialogRow:
    """A row i-doit ships in one of its dialog tables: its id (``number``), title and constant."""

    number: int
    title: str
    const: str
    sort: int


@dataclass(frozen=True, eq=False)  # one instance per type: compared and hashed as itself
class RelationType:
    id: int
    const: str
    titles: dict[str, str]
    text: str  # how a relation of this type reads: "<master> <text> <slave>"
    weighting: int  # the weighting a new relation of this type gets (1 very important .. 10)


@dataclass(frozen=True)
class Relating:
    """How an attribute relates its entry's object to another (relating_attributes in the JSON)."""

    relation_type: str  # the relation type's constant
    owner: str  # "master" or "slave": the side the entry's own object takes
    via: str = ""  # the category whose entry the value names (the related object is that entry's)
    # The role attribute whose dialog constant picks another type and side (contact assignment).
    role_attribute: str = ""
    by_role: dict[str, tuple[str, str]] = field(default_factory=dict)  # role const → (type, owner)

    def for_role(self, role_const: str | None) -> tuple[str, str]:
        return self.by_role.get(role_const or "", (self.relation_type, self.owner))


@dataclass(frozen=True)
class QualityProfile:
    """analysis.dataquality.read: the attributes objects of some types should have filled."""

    id: int
    title: str
    types: tuple[str, ...]
    attributes: tuple[tuple[str, str], ...]  # (category, attribute)


@dataclass(frozen=True)
class State:
    id: int
    const: str
    titles: dict[str, str]
    color: str = ""
    editable: bool = False


@dataclass(frozen=True)
class StaticObject:
    const: str
    title: str
    type_const: str
    sysid: str


@dataclass
class Catalog:
    categories: dict[str, Category]
    categories_by_id: dict[tuple[str, int], Category]
    object_types: dict[str, ObjectType]
    object_types_by_id: dict[int, ObjectType]
    groups: dict[int, ObjectTypeGroup]
    cmdb_states: dict[int, State]
    record_states: dict[int, State]
    relation_types: list[RelationType]
    weightings: dict[int, State]
    static_objects: list[StaticObject]
    # The rows each dialog list starts with in a new organization, with i-doit's ids.
    dialog_seeds: dict[str, tuple[DialogRow, ...]]
    dependent_dialogs: dict[str, str]
    # Other spellings of object types (an older Estate constant → i-doit's).
    object_type_aliases: dict[str, str]
    # Category → attribute → how its values relate the entry's object to others.
    relating: dict[str, dict[str, Relating]]
    quality_profiles: dict[int, QualityProfile]
    translations_de: dict[str, str]

    def translate(self, text: str, language: str) -> str:
        if language == "de":
            return self.translations_de.get(text, text)
        return text

    def object_type(self, value: object) -> ObjectType | None:
        """An object type by constant or by id (int or numeric string)."""
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return self.object_types_by_id.get(value)
        if isinstance(value, str):
            if value.isdigit():
                return self.object_types_by_id.get(int(value))
            return self.object_types.get(self.object_type_aliases.get(value, value))
        return None

    def relation_type_of(self, const: str) -> RelationType:
        """The relation type of a constant the catalog's data names (its first id, if two share it)."""
        found = self.relation_type(const)
        if found is None:
            raise KeyError(const)
        return found

    def relation_type(self, value: object) -> RelationType | None:
        """A relation type by constant or by id (int or numeric string)."""
        if isinstance(value, bool) or not isinstance(value, int | str):
            return None
        if isinstance(value, int) or value.isdigit():
            return next((r for r in self.relation_types if r.id == int(value)), None)
        return next((r for r in self.relation_types if r.const == value), None)

    def cmdb_state(self, value: object) -> State | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return self.cmdb_states.get(value)
        if isinstance(value, str):
            if value.isdigit():
                return self.cmdb_states.get(int(value))
            return next((s for s in self.cmdb_states.values() if s.const == value), None)
        return None

    def record_state(self, value: object) -> State | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return self.record_states.get(value)
        if isinstance(value, str):
            if value.isdigit():
                return self.record_states.get(int(value))
            # i-doit accepts both spellings of the archived constant.
            value = "C__RECORD_STATUS__ARCHIVED" if value == "C__RECORD_STATUS__ARCHIVE" else value
            return next((s for s in self.record_states.values() if s.const == value), None)
        return None


def _attribute_kind(category: str, key: str, reference: str, base: dict) -> tuple[str, str]:
    table = reference.removesuffix("__id")
    if f"{category}.{key}" in base["object_attributes"] or reference in base["object_references"]:
        return OBJECT, ""
    if reference == "isys_obj_type__id":
        return OBJECT_TYPE, ""
    if reference == "isys_cmdb_status__id":
        return CMDB_STATUS, ""
    # References to other entries (isys_catg_ip_list__id ...) are stored as plain entry ids.
    if not reference or "_list" in reference or "__" in table:
        return PLAIN, ""
    return DIALOG, table


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t"))


def _load_categories(base: dict) -> dict[str, Category]:
    """The table's categories, then the knowledge base's (new categories, and attributes newer
    releases added to older ones), ids numbered in that order per scope."""
    multi = set(base["multi_value_categories"])
    entry_targets = {(row["category"], row["key"]): row["target"] for row in _rows(ENTRY_REFERENCES_FILE)}
    shapes = {name: shape for shape, names in base["attribute_shapes"].items() if shape != "_comment" for name in names}
    rows: dict[str, list[dict[str, str]]] = {}
    for row in _rows(FIELDS_FILE) + _rows(KB_FIELDS_FILE):
        rows.setdefault(row["category"], []).append(row)
    categories: dict[str, Category] = {}
    next_id = {"g": 1, "s": 1}
    for const, fields in rows.items():
        scope = fields[0]["scope"]
        attributes: dict[str, Attribute] = {}
        for row in fields:
            kind, dialog = _attribute_kind(const, row["key"], row["reference"], base)
            attributes.setdefault(row["key"], Attribute(
                key=row["key"],
                title=row["field_title"].replace("\\", ""),
                data_type=row["data_type"],
                reference=row["reference"],
                kind=kind,
                dialog=dialog,
                parent_dialog=base["dependent_dialogs"].get(dialog),
                entry_category=entry_targets.get((const, row["key"])),
                shape=shapes.get(f"{const}.{row['key']}", ""),
            ))
        categories[const] = Category(
            const=const,
            id=next_id[scope],
            scope=scope,
            title=fields[0]["category_title"],
            multi_value=const in multi,
            attributes=attributes,
            virtual=const in base["virtual_categories"],
        )
        next_id[scope] += 1
    for const, title in base["virtual_categories"].items():
        if const != "_comment" and const not in categories:
            scope = "s" if const.startswith("C__CATS__") else "g"
            categories[const] = Category(const, next_id[scope], scope, title, False, {}, virtual=True)
            next_id[scope] += 1
    return categories


def _titles(row: dict) -> dict[str, str]:
    return {"en": row["en"], "de": row.get("de", row["en"])}


def _shipped(rows: list[dict[str, str]], table: str) -> list[dict[str, str]]:
    return [row for row in rows if row["table"] == table]


def _object_types(base: dict, shipped: list[dict[str, str]], categories: dict[str, Category]) -> list[ObjectType]:
    """i-doit's object types with its ids and constants, laid out as idoit-base.json says."""
    by_const = {row["const"]: row for row in shipped if row["status"] == "2"}
    types = []
    for layout in base["object_types"]:
        row = by_const.get(layout["const"])
        title = layout.get("en") or (row["title_en"] if row else layout["const"])
        types.append(ObjectType(
            id=int(row["id"]) if row else layout["id"],
            const=layout["const"],
            titles={"en": title, "de": layout.get("de", title)},
            group_id=layout["group"],
            icon=layout["icon"],
            sysid_prefix=layout["sysid_prefix"],
            categories=tuple(c for c in layout["categories"] if c in categories),
            sort=int(row["sort"]) if row and row["sort"] else 65535,
            container=layout["const"] in CONTAINERS,
            specific_category=next((c for c in layout["categories"] if c.startswith("C__CATS__")), None),
        ))
    return types


def _dialog_seeds(base: dict, shipped: list[dict[str, str]], categories: dict[str, Category]) -> dict:
    """The rows each dialog list of the catalog starts with: i-doit's (ids and constants as shipped),
    then Estate's defaults of lists i-doit ships empty or shorter, numbered after them."""
    used = {a.dialog for c in categories.values() for a in c.attributes.values() if a.kind == DIALOG}
    seeds: dict[str, list[DialogRow]] = {}
    for row in shipped:
        if row["table"] in used and row["status"] != "1":
            seeds.setdefault(row["table"], []).append(
                DialogRow(int(row["id"]), row["title_en"], row["const"], int(row["sort"] or 0)))
    for table, titles in base["dialog_defaults"].items():
        rows = seeds.setdefault(table, [])
        known = {row.title.lower() for row in rows}
        for title in titles:
            if title.lower() not in known:
                rows.append(DialogRow(max((r.number for r in rows), default=0) + 1, title, "", 0))
    return {table: tuple(sorted(rows, key=lambda r: r.number)) for table, rows in seeds.items()}


def _relating(base: dict) -> dict[str, dict[str, Relating]]:
    found: dict[str, dict[str, Relating]] = {}
    for name, rule in base["relating_attributes"].items():
        if name == "_comment":
            continue
        category, _, key = name.partition(".")
        if "by_role" in rule:
            roles = dict(rule["by_role"])
            role_attribute, default = roles.pop("role"), roles.pop("default")
            relating = Relating(default["type"], default["owner"], role_attribute=role_attribute,
                                by_role={const: (r["type"], r["owner"]) for const, r in roles.items()})
        else:
            relating = Relating(rule["type"], rule["owner"], via=rule.get("via", ""))
        found.setdefault(category, {})[key] = relating
    return found


def load() -> Catalog:
    base = json.loads(BASE_FILE.read_text(encoding="utf-8"))
    categories = _load_categories(base)
    for alias, stored in base["category_aliases"].items():
        categories.setdefault(alias, categories[stored])
    shipped = _rows(DIALOGS_FILE)
    types = _object_types(base, _shipped(shipped, "isys_obj_type"), categories)
    behaviour = base["relation_types"]
    relation_types = [
        RelationType(
            id=int(row["id"]), const=row["const"], titles={"en": row["title_en"], "de": row["title_en"]},
            text=behaviour.get(row["const"], behaviour["default"])["text"],
            weighting=behaviour.get(row["const"], behaviour["default"])["weighting"],
        )
        for row in _shipped(shipped, "isys_relation_type")
    ]
    for relation in relation_types:
        german = base["translations_de"].get(relation.titles["en"])
        if german:
            relation.titles["de"] = german
    return Catalog(
        categories=categories,
        categories_by_id={(c.scope, c.id): c for c in categories.values()},
        object_types={t.const: t for t in types},
        object_types_by_id={t.id: t for t in types},
        groups={
            g["id"]: ObjectTypeGroup(g["id"], g["const"], _titles(g), sort=n)
            for n, g in enumerate(base["object_type_groups"], start=1)
        },
        cmdb_states={
            s["id"]: State(id=s["id"], const=s["const"], titles=_titles(s), color=s["color"], editable=s["editable"])
            for s in base["cmdb_states"]
        },
        record_states={s["id"]: State(id=s["id"], const=s["const"], titles=_titles(s)) for s in base["record_states"]},
        relation_types=relation_types,
        weightings={int(row["id"]): State(int(row["id"]), row["const"], {"en": row["title_en"], "de": row["title_en"]})
                    for row in _shipped(shipped, "isys_weighting")},
        static_objects=[StaticObject(s["const"], s["title"], s["type"], s["sysid"]) for s in base["static_objects"]],
        dialog_seeds=_dialog_seeds(base, shipped, categories),
        dependent_dialogs=base["dependent_dialogs"],
        object_type_aliases=base["object_type_aliases"],
        relating=_relating(base),
        quality_profiles={
            int(number): QualityProfile(int(number), p["title"], tuple(p["types"]),
                                        tuple((a.partition(".")[0], a.partition(".")[2]) for a in p["attributes"]))
            for number, p in base["dataquality_profiles"].items() if number != "_comment"
        },
        translations_de=base["translations_de"],
    )


CATALOG = load()
