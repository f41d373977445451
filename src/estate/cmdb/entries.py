"""Category entries: save (create or update), reads shaped as the catalog declares, and the
entry lifecycle (multi-value entries archive, delete, recycle; every entry can be purged)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import String, bindparam, select, type_coerce
from sqlalchemy.orm import Session

from estate.cmdb import feeds, logbook, objects, relations, search, values
from estate.cmdb.catalog import ARCHIVED, CATALOG, DELETED, NORMAL, OBJECT, PURGED, Category
from estate.cmdb.logbook import Actor
from estate.cmdb.models import ENTRIES, CategoryEntry, CmdbObject
from estate.db.base import utcnow
from estate.errors import Conflict, InvalidInput, NotFound

GLOBAL = objects.GLOBAL
# Attributes of the global category that live on the object row itself.
OBJECT_COLUMNS = {"title", "sysid", "cmdb_status", "type"}
READ_ONLY_GLOBAL = {"id", "status", "created", "created_by", "changed", "changed_by"}

ENTRY_TRANSITIONS: dict[int, frozenset[int]] = {
    ARCHIVED: frozenset({NORMAL, DELETED}),
    DELETED: frozenset({NORMAL, ARCHIVED}),
    NORMAL: frozenset({ARCHIVED, DELETED}),
}
ENTRY_EVENTS = {
    ARCHIVED: logbook.CATEGORY_ARCHIVED,
    DELETED: logbook.CATEGORY_DELETED,
    NORMAL: logbook.CATEGORY_RECYCLED,
}


class EntryStateRefused(Conflict):
    """A lifecycle step the entry's state or its category does not allow."""


class VirtualCategory(Conflict):
    """A category i-doit shows that holds no data of its own (a view, a folder): nothing to read."""


def _holding_data(category: Category, field_name: str) -> Category:
    if category.virtual:
        raise VirtualCategory(f"{category.const} is a virtual category: it holds no data of its own", field=field_name)
    return category


def category_of(const: object, field_name: str = "category") -> Category:
    """The category a client names by constant, in its current or its older spelling."""
    category = CATALOG.categories.get(const) if isinstance(const, str) else None
    if category is None:
        raise InvalidInput(f"unknown category {const!r}", field=field_name)
    return _holding_data(category, field_name)


def category_by_id(scope: str, category_id: object, field_name: str) -> Category:
    if isinstance(category_id, str) and category_id.isdigit():
        category_id = int(category_id)
    category = CATALOG.categories_by_id.get((scope, category_id)) if isinstance(category_id, int) else None
    if category is None:
        raise InvalidInput(f"unknown category id {category_id!r}", field=field_name)
    return _holding_data(category, field_name)


def get_entry(db: Session, obj: CmdbObject, category: Category, entry_id: int) -> CategoryEntry:
    """A stored entry, to change: a derived one is not (feeds.Derived); a relation entry is that of
    a relation the object takes part in."""
    if category.const == relations.RELATION:
        return relations.entry_of(db, obj, entry_id)
    feeds.refuse_derived_writes(db, obj, category)
    entry = db.get(CategoryEntry, entry_id)
    if entry is None or entry.object_id != obj.id or entry.category_const != category.const:
        raise NotFound(f"Entry {entry_id} of {category.const} not found for object {obj.id}", field="entry")
    return entry


def _single_entry(db: Session, obj: CmdbObject, category: Category) -> CategoryEntry | None:
    query = select(CategoryEntry).where(
        CategoryEntry.object_id == obj.id, CategoryEntry.category_const == category.const
    )
    return db.scalars(query.order_by(CategoryEntry.id)).first()


def single_entry_id(db: Session, obj: CmdbObject, category: Category) -> int | None:
    """The id of the entry a single-value category already has on the object, if any."""
    entry = _single_entry(db, obj, category)
    return entry.id if entry is not None else None


def _reindex(db: Session, obj: CmdbObject, category: Category, entry: CategoryEntry) -> None:
    if category.const == GLOBAL:
        objects.reindex_global(db, obj)
        return
    refs = values.load_references(db, obj.organization_id, [(category, entry.values)])
    texts = values.searchable_text(category, entry.values, refs) + feeds.title_texts(category, entry.values)
    body = search.document_text(texts)
    search.index_entry(db, organization_id=obj.organization_id, entry_id=entry.id, body=body)


def _save_global(db: Session, actor: Actor, obj: CmdbObject, data: dict[str, Any]) -> CategoryEntry:
    category = CATALOG.categories[GLOBAL]
    writable = {k: v for k, v in data.items() if k not in READ_ONLY_GLOBAL}
    own = {k: v for k, v in writable.items() if k not in OBJECT_COLUMNS}
    columns = values.coerce(
        db, obj.organization_id, category, {k: v for k, v in writable.items() if k in OBJECT_COLUMNS}, {}
    )
    objects.update(db, actor, obj, columns)
    entry = _single_entry(db, obj, category)
    if entry is None:
        entry = CategoryEntry(organization_id=obj.organization_id, object_id=obj.id, category_const=GLOBAL, values={})
        db.add(entry)
        db.flush()
    _apply(db, actor, obj, category, entry, own)
    return entry


def _apply(
    db: Session, actor: Actor, obj: CmdbObject, category: Category, entry: CategoryEntry, data: dict[str, Any]
) -> None:
    before = dict(entry.values)
    data = feeds.handing_back(category, data)
    after = values.coerce(db, obj.organization_id, category, data, before)
    # A person's value owns its attribute against a feed's reports; an empty one hands it back (0522).
    feeds.claim(category, data, after)
    diff = logbook.changes_between(feeds.public(before), feeds.public(after))
    if after == before and entry.values:
        return
    entry.values = after
    entry.updated = utcnow()
    objects.touch(obj, actor)
    db.flush()
    _reindex(db, obj, category, entry)
    relations.follow(db, actor, [feeds.Written(entry.id, obj.id, category.const, entry.status, after)])
    if diff:
        logbook.record(
            db, actor, obj, logbook.CATEGORY_CHANGED, category_const=category.const, entry_id=entry.id, changes=diff
        )
        objects.notify(db, actor, obj, objects.CATEGORY_CHANGED, category.const)


def save(
    db: Session,
    actor: Actor,
    obj: CmdbObject,
    category: Category,
    data: dict[str, Any],
    entry_id: int | None = None,
) -> CategoryEntry:
    """Create or update one entry. A single-value category saved again updates its one entry."""
    if category.const == GLOBAL:
        return _save_global(db, actor, obj, data)
    if category.const == relations.RELATION:
        return relations.save(db, actor, obj, data, entry_id)
    feeds.refuse_derived_writes(db, obj, category)
    if entry_id is not None:
        entry = get_entry(db, obj, category, entry_id)
    elif not category.multi_value:
        entry = _single_entry(db, obj, category) or _new_entry(db, obj, category)
    else:
        entry = _new_entry(db, obj, category)
    _apply(db, actor, obj, category, entry, data)
    return entry


def _new_entry(db: Session, obj: CmdbObject, category: Category) -> CategoryEntry:
    entry = CategoryEntry(
        organization_id=obj.organization_id, object_id=obj.id, category_const=category.const, values={}
    )
    db.add(entry)
    db.flush()
    return entry


def update_existing(
    db: Session, actor: Actor, obj: CmdbObject, category: Category, data: dict[str, Any], entry_id: int | None
) -> CategoryEntry:
    """The legacy update: multi-value categories name the entry, single-value ones update theirs."""
    if category.const == GLOBAL:
        return _save_global(db, actor, obj, data)
    feeds.refuse_derived_writes(db, obj, category)
    if entry_id is None:
        if category.multi_value:
            raise InvalidInput(
                f"{category.const} is multi-value: name the entry in data.category_id", field="data.category_id"
            )
        entry = _single_entry(db, obj, category)
        if entry is None:
            raise NotFound(f"object {obj.id} has no {category.const} entry to update", field="category")
    else:
        entry = get_entry(db, obj, category, entry_id)
    _apply(db, actor, obj, category, entry, data)
    return entry


def change_state(
    db: Session, actor: Actor, obj: CmdbObject, category: Category, entry: CategoryEntry, target: int
) -> int:
    if not category.multi_value:
        raise EntryStateRefused(
            f"{category.const} is a single-value category: its entry can only be purged", field="category"
        )
    if entry.status not in ENTRY_TRANSITIONS[target]:
        raise EntryStateRefused(
            f"Entry {entry.id} has status {entry.status} and cannot change to {target}", field="entry"
        )
    previous = entry.status
    if category.const == relations.RELATION:
        relations.set_state(db, actor, entry, target)
        return previous
    entry.status = target
    entry.updated = utcnow()
    objects.touch(obj, actor)
    relations.follow(db, actor, [feeds.Written(entry.id, obj.id, category.const, target, entry.values)])
    logbook.record(
        db,
        actor,
        obj,
        ENTRY_EVENTS[target],
        category_const=category.const,
        entry_id=entry.id,
        changes={"status": {"from": previous, "to": target}},
    )
    return previous


def purge(db: Session, actor: Actor, obj: CmdbObject, category: Category, entry: CategoryEntry) -> int:
    if category.const == GLOBAL:
        raise EntryStateRefused("the global category of an object cannot be purged", field="category")
    previous = entry.status
    if category.const == relations.RELATION:
        relations.purge(db, actor, [entry.object_id])
        return previous
    relations.forget(db, actor, [entry.id])
    search.remove_entries(db, [entry.id])
    logbook.record(
        db,
        actor,
        obj,
        logbook.CATEGORY_PURGED,
        category_const=category.const,
        entry_id=entry.id,
        changes={"status": {"from": previous, "to": PURGED}},
    )
    objects.touch(obj, actor)
    db.delete(entry)
    db.flush()
    objects.notify(db, actor, obj, objects.CATEGORY_CHANGED, category.const)
    return previous


def step_down(db: Session, actor: Actor, obj: CmdbObject, category: Category, entry: CategoryEntry) -> str:
    """The legacy delete: normal → archived → deleted → purged, one step per call."""
    if not category.multi_value or entry.status == DELETED:
        purge(db, actor, obj, category, entry)
        return "purged"
    if entry.status == NORMAL:
        change_state(db, actor, obj, category, entry, ARCHIVED)
        return "archived"
    change_state(db, actor, obj, category, entry, DELETED)
    return "deleted"


# --- reads ----------------------------------------------------------------------------------------
# Reads go by rows of a few columns (Core), not ORM objects, and shape each entry with a shaper
# made once per category and language. One call's read and a batch's reads take the same path:
# a batch gives read_lists all its calls' lists at once (docs/decisions/0313).


@dataclass(frozen=True)
class Wanted:
    """One list of entries to read: ``obj`` (an objects.ROW_COLUMNS row or a CmdbObject) in
    ``category``, of record state ``status``, shaped in ``language``."""

    obj: Any
    category: Category
    status: int
    language: str


class _Shaper:
    """Shapes the entries of one category in one language: a copy of the entry with every
    attribute at its empty value, then the stored values rendered over it."""

    def __init__(self, category: Category, language: str) -> None:
        self.language = language
        self.const = category.const
        self.attributes = {k: a for k, a in category.attributes.items() if k not in ("id", "objID")}
        empty = values.References({}, {})
        self.empty: dict[str, Any] = {"id": None, "objID": None}
        self.empty.update({k: values.render(a, None, empty, language) for k, a in self.attributes.items()})

    def __call__(self, obj: Any, entry_id: int, stored: dict[str, Any], refs: values.References) -> dict[str, Any]:
        shaped = self.empty.copy()
        shaped["id"] = str(entry_id)
        shaped["objID"] = str(obj.id)
        for key, value in stored.items():
            attribute = self.attributes.get(key)
            if attribute is None or value is None:
                continue
            if attribute.kind == OBJECT and isinstance(value, str):  # a title a feed reported
                shaped[key] = feeds.title_object(self.const, value, self.language)
            else:
                shaped[key] = values.render(attribute, value, refs, self.language)
        return shaped


class _GlobalShaper:
    """The global category: the object's own columns first, then its attributes."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.category = CATALOG.categories[GLOBAL]

    def __call__(self, obj: Any, entry_id: int, stored: dict[str, Any], refs: values.References) -> dict[str, Any]:
        language = self.language
        status = CATALOG.record_states.get(obj.status)
        status_title = status.titles[language] if status else str(obj.status)
        shaped: dict[str, Any] = {
            "id": str(entry_id),
            "objID": str(obj.id),
            "title": obj.title,
            "status": {
                "id": str(obj.status),
                "title": status_title,
                "const": status.const if status else None,
                "title_lang": status_title,
            },
            "created": values.stamp(obj.created),
            "created_by": obj.created_by,
            "changed": values.stamp(obj.updated),
            "changed_by": obj.updated_by or "",
            "sysid": obj.sysid,
        }
        row = {**stored, "cmdb_status": obj.cmdb_status, "type": obj.type_const}
        for key, attribute in self.category.attributes.items():
            if key not in shaped:
                shaped[key] = values.render(attribute, row.get(key), refs, language)
        return shaped


@cache
def shaper(category_const: str, language: str) -> _Shaper | _GlobalShaper:
    if category_const == GLOBAL:
        return _GlobalShaper(language)
    return _Shaper(CATALOG.categories[category_const], language)


_STORED_ENTRIES = (
    select(ENTRIES.c.id, ENTRIES.c.object_id, ENTRIES.c.category_const, ENTRIES.c.status,
           type_coerce(ENTRIES.c["values"], String).label("values"))
    # "+ 0": without statistics SQLite would read all of the organization's entries through an
    # (organization_id, ...) index instead of these objects' through (object_id, category_const).
    .where(ENTRIES.c.organization_id + 0 == bindparam("organization_id"),
           ENTRIES.c.object_id.in_(bindparam("object_ids", expanding=True)),
           ENTRIES.c.category_const.in_(bindparam("consts", expanding=True)))
    .order_by(ENTRIES.c.id)
)


# A stored entry as read: (id, record state, stored values as the driver hands them over).
_Entry = tuple[int, int, Any]


def _stored(db: Session, organization_id: int, wanted: Sequence[Wanted]) -> dict[tuple[int, str], list[_Entry]]:
    """(object id, category) → its stored entries of every state, in id order, in one query."""
    found: dict[tuple[int, str], list[_Entry]] = {}
    parameters = {"organization_id": organization_id,
                  "object_ids": sorted({w.obj.id for w in wanted}),
                  "consts": sorted({w.category.const for w in wanted})}
    for entry_id, object_id, const, status, raw in db.execute(_STORED_ENTRIES, parameters).all():
        found.setdefault((object_id, const), []).append((entry_id, status, raw))
    return found


# An entry as listed: (id, values).
_Row = tuple[int, dict[str, Any]]


def _listed(entries_of: list[_Entry], wanted: Wanted) -> list[_Row]:
    # The global entry follows its object's state; other entries have their own.
    if wanted.category.const == GLOBAL:
        shown = entries_of if wanted.obj.status == wanted.status else []
    else:
        shown = [entry for entry in entries_of if entry[1] == wanted.status]
    return [(entry_id, values.parsed(raw)) for entry_id, _, raw in shown]


def _derived_rows(db: Session, organization_id: int, wanted: Sequence[Wanted]) -> dict[tuple[int, str], list[_Row]]:
    """(object id, category) → the entries another domain derives for the object (feeds.Derived),
    for the wanted lists of derived categories, listed in the normal state only: two queries each."""
    found: dict[tuple[int, str], list[_Row]] = {}
    for const in sorted({w.category.const for w in wanted}):
        derived = feeds.derived(const)
        if derived is None:
            continue
        lists = [w for w in wanted if w.category.const == const]
        owners = derived.owners(db, organization_id, [w.obj.id for w in lists])
        listed = {w.obj.id: owners[w.obj.id] for w in lists if w.status == NORMAL and w.obj.id in owners}
        rows = derived.rows(db, organization_id, listed) if listed else {}
        for object_id in owners:
            found[(object_id, const)] = rows.get(object_id, []) if object_id in listed else []
    return found


def read_lists(db: Session, organization_id: int, wanted: Sequence[Wanted]) -> list[list[dict[str, Any]]]:
    """The shaped entries of each wanted list, in a fixed number of queries for all of them."""
    if not wanted:
        return []
    db.flush()  # Core statements do not autoflush
    derived = _derived_rows(db, organization_id, wanted)
    stored = _stored(db, organization_id, wanted)
    lists = [[] if (w.obj.id, w.category.const) in derived else _listed(stored.get((w.obj.id, w.category.const), []), w)
             for w in wanted]
    lists = [derived.get((w.obj.id, w.category.const), rows) for w, rows in zip(wanted, lists, strict=True)]
    refs = values.load_references(
        db, organization_id, [(w.category, stored_values) for w, rows in zip(wanted, lists, strict=True)
                              for _, stored_values in rows]
    )
    answers = []
    for w, rows in zip(wanted, lists, strict=True):
        shape = shaper(w.category.const, w.language)
        answers.append([shape(w.obj, entry_id, stored_values, refs) for entry_id, stored_values in rows])
    return answers


def read_many(
    db: Session,
    organization_id: int,
    objs: Sequence[Any],
    categories: Sequence[Category],
    *,
    status: int = NORMAL,
    language: str = "en",
) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """Entries of several objects (rows or CmdbObjects) and categories: object → category → rows."""
    wanted = [Wanted(obj, category, status, language) for obj in objs for category in categories]
    result: dict[int, dict[str, list[dict[str, Any]]]] = {o.id: {} for o in objs}
    for w, rows in zip(wanted, read_lists(db, organization_id, wanted), strict=True):
        result[w.obj.id][w.category.const] = rows
    return result
