"""The i-doit catalog as data: categories and attributes (catalog/idoit-category-fields.tsv) and the
standard content of a fresh i-doit (catalog/idoit-base.json), with the attributes that hold ids of
other entries (catalog/entry-references.tsv), loaded once at import.

Validation, ``idoit.constants``, ``cmdb.category_info`` and search all read this one catalog:
adding a category is adding a line of data."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

DATA_DIR = Path(__file__).parent / "catalog"
FIELDS_FILE = DATA_DIR / "idoit-category-fields.tsv"
BASE_FILE = DATA_DIR / "idoit-base.json"
ENTRY_REFERENCES_FILE = DATA_DIR / "entry-references.tsv"

# How an attribute's value is stored and shown.
PLAIN, DIALOG, OBJECT, OBJECT_TYPE, CMDB_STATUS = "plain", "dialog", "object", "object_type", "cmdb_status"

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


@dataclass(frozen=True)
class Category:
    const: str
    id: int
    scope: str  # "g" global, "s" specific
    title: str
    multi_value: bool
    attributes: dict[str, Attribute] = field(default_factory=dict)


@dataclass(frozen=True)
class ObjectTypeGroup:
    id: int
    const: str
    titles: dict[str, str]


@dataclass(frozen=True)
class ObjectType:
    id: int
    const: str
    titles: dict[str, str]
    group_id: int
    icon: str
    sysid_prefix: str
    categories: tuple[str, ...]


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


@dataclass(frozen=True)
class StandardReport:
    kind: str
    category: str
    title: str
    description: str


@dataclass
class Catalog:
    categories: dict[str, Category]
    categories_by_id: dict[tuple[str, int], Category]
    object_types: dict[str, ObjectType]
    object_types_by_id: dict[int, ObjectType]
    groups: dict[int, ObjectTypeGroup]
    cmdb_states: dict[int, State]
    record_states: dict[int, State]
    relation_types: list[State]
    static_objects: list[StaticObject]
    dialog_defaults: dict[str, list[str]]
    dependent_dialogs: dict[str, str]
    standard_reports: list[StandardReport]
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
            return self.object_types.get(value)
        return None

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
    multi = set(base["multi_value_categories"])
    entry_targets = {(row["category"], row["key"]): row["target"] for row in _rows(ENTRY_REFERENCES_FILE)}
    rows: dict[str, list[dict[str, str]]] = {}
    for row in _rows(FIELDS_FILE):
        rows.setdefault(row["category"], []).append(row)
    categories: dict[str, Category] = {}
    next_id = {"g": 1, "s": 1}
    for const, fields in rows.items():
        scope = fields[0]["scope"]
        attributes: dict[str, Attribute] = {}
        for row in fields:
            kind, dialog = _attribute_kind(const, row["key"], row["reference"], base)
            attributes[row["key"]] = Attribute(
                key=row["key"],
                title=row["field_title"].replace("\\", ""),
                data_type=row["data_type"],
                reference=row["reference"],
                kind=kind,
                dialog=dialog,
                parent_dialog=base["dependent_dialogs"].get(dialog),
                entry_category=entry_targets.get((const, row["key"])),
            )
        categories[const] = Category(
            const=const,
            id=next_id[scope],
            scope=scope,
            title=fields[0]["category_title"],
            multi_value=const in multi,
            attributes=attributes,
        )
        next_id[scope] += 1
    return categories


def _titles(row: dict) -> dict[str, str]:
    return {"en": row["en"], "de": row.get("de", row["en"])}


def load() -> Catalog:
    base = json.loads(BASE_FILE.read_text(encoding="utf-8"))
    categories = _load_categories(base)
    types = [
        ObjectType(
            id=row["id"],
            const=row["const"],
            titles=_titles(row),
            group_id=row["group"],
            icon=row["icon"],
            sysid_prefix=row["sysid_prefix"],
            categories=tuple(c for c in row["categories"] if c in categories),
        )
        for row in base["object_types"]
    ]
    return Catalog(
        categories=categories,
        categories_by_id={(c.scope, c.id): c for c in categories.values()},
        object_types={t.const: t for t in types},
        object_types_by_id={t.id: t for t in types},
        groups={
            g["id"]: ObjectTypeGroup(g["id"], g["const"], _titles(g)) for g in base["object_type_groups"]
        },
        cmdb_states={
            s["id"]: State(id=s["id"], const=s["const"], titles=_titles(s), color=s["color"], editable=s["editable"])
            for s in base["cmdb_states"]
        },
        record_states={s["id"]: State(id=s["id"], const=s["const"], titles=_titles(s)) for s in base["record_states"]},
        relation_types=[State(id=s["id"], const=s["const"], titles=_titles(s)) for s in base["relation_types"]],
        static_objects=[StaticObject(s["const"], s["title"], s["type"], s["sysid"]) for s in base["static_objects"]],
        dialog_defaults=base["dialog_defaults"],
        dependent_dialogs=base["dependent_dialogs"],
        standard_reports=[
            StandardReport(r["kind"], r["category"], r["en"], r["description"]) for r in base["standard_reports"]
        ],
        translations_de=base["translations_de"],
    )


CATALOG = load()
