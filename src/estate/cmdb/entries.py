"""Category entries: save (create or update), reads shaped as the catalog declares, and the
entry lifecycle (multi-value entries archive, delete, recycle; every entry can be purged)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from estate.cmdb import logbook, objects, search, values
from estate.cmdb.catalog import ARCHIVED, CATALOG, DELETED, NORMAL, OBJECT, PURGED, Category
from estate.cmdb.logbook import Actor
from estate.cmdb.models import CategoryEntry, CmdbObject
from estate.db.base import utcnow
from estate.errors import Conflict, InvalidInput, NotFound
from estate.inventory import cmdb_view

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


def category_of(const: object, field_name: str = "category") -> Category:
    category = CATALOG.categories.get(const) if isinstance(const, str) else None
    if category is None:
        raise InvalidInput(f"unknown category {const!r}", field=field_name)
    return category


def category_by_id(scope: str, category_id: object, field_name: str) -> Category:
    if isinstance(category_id, str) and category_id.isdigit():
        category_id = int(category_id)
    category = CATALOG.categories_by_id.get((scope, category_id)) if isinstance(category_id, int) else None
    if category is None:
        raise InvalidInput(f"unknown category id {category_id!r}", field=field_name)
    return category


def get_entry(db: Session, obj: CmdbObject, category: Category, entry_id: int) -> CategoryEntry:
    """A stored entry, to change: an inventoried machine's software is not one (it is the inventory's)."""
    cmdb_view.refuse_software_writes(db, obj, category)
    entry = db.get(CategoryEntry, entry_id)
    if entry is None or entry.object_id != obj.id or entry.category_const != category.const:
        raise NotFound(f"Entry {entry_id} of {category.const} not found for object {obj.id}", field="entry")
    return entry


def _single_entry(db: Session, obj: CmdbObject, category: Category) -> CategoryEntry | None:
    query = select(CategoryEntry).where(
        CategoryEntry.object_id == obj.id, CategoryEntry.category_const == category.const
    )
    return db.scalars(query.order_by(CategoryEntry.id)).first()


def _reindex(db: Session, obj: CmdbObject, category: Category, entry: CategoryEntry) -> None:
    if category.const == GLOBAL:
        objects.reindex_global(db, obj)
        return
    refs = values.load_references(db, obj.organization_id, [(category, entry.values)])
    texts = values.searchable_text(category, entry.values, refs) + cmdb_view.title_texts(category, entry.values)
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
    data = cmdb_view.handing_back(category, data)
    after = values.coerce(db, obj.organization_id, category, data, before)
    # A person's value owns its attribute against inventory runs; an empty one hands it back (0522).
    cmdb_view.claim(category, data, after)
    diff = logbook.changes_between(cmdb_view.public(before), cmdb_view.public(after))
    if after == before and entry.values:
        return
    entry.values = after
    entry.updated = utcnow()
    objects.touch(obj, actor)
    db.flush()
    _reindex(db, obj, category, entry)
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
    cmdb_view.refuse_software_writes(db, obj, category)
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
    cmdb_view.refuse_software_writes(db, obj, category)
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
    entry.status = target
    entry.updated = utcnow()
    objects.touch(obj, actor)
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


def _global_shape(obj: CmdbObject, entry: CategoryEntry, refs: values.References, language: str) -> dict[str, Any]:
    category = CATALOG.categories[GLOBAL]
    status = CATALOG.record_states.get(obj.status)
    status_title = status.titles[language] if status else str(obj.status)
    shaped: dict[str, Any] = {
        "id": str(entry.id),
        "objID": str(obj.id),
        "title": obj.title,
        "status": {
            "id": str(obj.status),
            "title": status_title,
            "const": status.const if status else None,
            "title_lang": status_title,
        },
        "created": obj.created.strftime("%Y-%m-%d %H:%M:%S"),
        "created_by": obj.created_by,
        "changed": obj.updated.strftime("%Y-%m-%d %H:%M:%S") if obj.updated else None,
        "changed_by": obj.updated_by or "",
        "sysid": obj.sysid,
    }
    row = {**entry.values, "cmdb_status": obj.cmdb_status, "type": obj.type_const}
    for key, attribute in category.attributes.items():
        if key not in shaped:
            shaped[key] = values.render(attribute, row.get(key), refs, language)
    return shaped


def shape(
    obj: CmdbObject, category: Category, entry: CategoryEntry, refs: values.References, language: str
) -> dict[str, Any]:
    if category.const == GLOBAL:
        return _global_shape(obj, entry, refs, language)
    return _shape_values(obj, category, entry.id, entry.values, refs, language)


def _shape_values(
    obj: CmdbObject, category: Category, entry_id: int, stored: dict[str, Any], refs: values.References, language: str
) -> dict[str, Any]:
    shaped: dict[str, Any] = {"id": str(entry_id), "objID": str(obj.id)}
    for key, attribute in category.attributes.items():
        if key in shaped:
            continue
        value = stored.get(key)
        if attribute.kind == OBJECT and isinstance(value, str):  # a title the inventory reported
            shaped[key] = cmdb_view.title_object(category.const, value, language)
        else:
            shaped[key] = values.render(attribute, value, refs, language)
    return shaped


def read_many(
    db: Session,
    organization_id: int,
    objs: Sequence[CmdbObject],
    categories: Sequence[Category],
    *,
    status: int = NORMAL,
    language: str = "en",
) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """Entries of several objects and categories in two or three queries: object → category → rows."""
    result: dict[int, dict[str, list[dict[str, Any]]]] = {o.id: {c.const: [] for c in categories} for o in objs}
    if not objs or not categories:
        return result
    by_id = {o.id: o for o in objs}
    consts = {c.const: c for c in categories}
    # An inventoried machine's software is read from its inventory, not from stored entries.
    machines = cmdb_view.machines_of(db, organization_id, list(by_id)) if cmdb_view.SOFTWARE in consts else {}
    query = select(CategoryEntry).where(
        # "+ 0": without statistics SQLite would read all of the organization's entries through an
        # (organization_id, ...) index instead of these objects' through (object_id, category_const).
        CategoryEntry.organization_id + 0 == organization_id,
        CategoryEntry.object_id.in_(list(by_id)),
        CategoryEntry.category_const.in_(list(consts)),
    )
    # The global entry follows its object's state; other entries have their own.
    rows = [
        e
        for e in db.scalars(query.order_by(CategoryEntry.id))
        if (e.category_const == GLOBAL and by_id[e.object_id].status == status)
        or (e.category_const != GLOBAL and e.status == status)
        if not (e.category_const == cmdb_view.SOFTWARE and e.object_id in machines)
    ]
    refs = values.load_references(db, organization_id, [(consts[e.category_const], e.values) for e in rows])
    for entry in rows:
        category = consts[entry.category_const]
        result[entry.object_id][category.const].append(shape(by_id[entry.object_id], category, entry, refs, language))
    if machines and status == NORMAL:
        software = consts[cmdb_view.SOFTWARE]
        for object_id, rows_of_object in cmdb_view.software_rows(db, organization_id, machines).items():
            result[object_id][software.const] = [
                _shape_values(by_id[object_id], software, link_id, stored, refs, language)
                for link_id, stored in rows_of_object
            ]
    return result
