"""CMDB objects: creation (SYSID per type), title changes, the record-state lifecycle, lists."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from estate.cmdb import logbook, search
from estate.cmdb.catalog import (
    ARCHIVED,
    CATALOG,
    DELETED,
    IN_OPERATION,
    MASS_CHANGE_TEMPLATE,
    NORMAL,
    TEMPLATE,
    ObjectType,
)
from estate.cmdb.logbook import Actor
from estate.cmdb.models import ENTRIES, LOGBOOK, OBJECTS, CategoryEntry, CmdbObject
from estate.cmdb.values import coerce
from estate.db.base import driver_tuples, utcnow
from estate.errors import Conflict, InvalidInput, NotFound

GLOBAL = "C__CATG__GLOBAL"
PERSON_MASTER = "C__CATS__PERSON_MASTER"

# Lifecycle: target state → states it may be reached from (purge is allowed from any state).
TRANSITIONS: dict[int, frozenset[int]] = {
    ARCHIVED: frozenset({NORMAL, DELETED}),
    DELETED: frozenset({NORMAL, ARCHIVED}),
    NORMAL: frozenset({ARCHIVED, DELETED, TEMPLATE, MASS_CHANGE_TEMPLATE}),
    TEMPLATE: frozenset({NORMAL, MASS_CHANGE_TEMPLATE}),
    MASS_CHANGE_TEMPLATE: frozenset({NORMAL, TEMPLATE}),
}
EVENTS = {
    ARCHIVED: logbook.OBJECT_ARCHIVED,
    DELETED: logbook.OBJECT_DELETED,
    NORMAL: logbook.OBJECT_RECYCLED,
    TEMPLATE: logbook.OBJECT_CHANGED,
    MASS_CHANGE_TEMPLATE: logbook.OBJECT_CHANGED,
}


# Domains that keep their own row for objects of some types (a KACE location is a location object,
# docs/decisions/0530) hear of each change inside the writing transaction, whichever face wrote.
CREATED, CHANGED, STATE_CHANGED, PURGING, CATEGORY_CHANGED = "created", "changed", "state", "purging", "category"
ObjectListener = Callable[[Session, Actor, CmdbObject, str, str | None], None]
_listeners: list[ObjectListener] = []


def register_listener(listener: ObjectListener) -> ObjectListener:
    _listeners.append(listener)
    return listener


def notify(db: Session, actor: Actor, obj: CmdbObject, event: str, category_const: str | None = None) -> None:
    for listener in _listeners:
        listener(db, actor, obj, event, category_const)


class StateChangeRefused(Conflict):
    """A lifecycle step the object's current state does not allow."""


class ObjectNotFound(NotFound):
    def __init__(self, object_id: int) -> None:
        super().__init__(f"Object {object_id} not found", field="id")


def get(db: Session, organization_id: int, object_id: int) -> CmdbObject:
    obj = db.get(CmdbObject, object_id)
    if obj is None or obj.organization_id != organization_id:
        raise ObjectNotFound(object_id)
    return obj


def find(db: Session, organization_id: int, object_id: int) -> CmdbObject | None:
    obj = db.get(CmdbObject, object_id)
    return obj if obj is not None and obj.organization_id == organization_id else None


def _check_sysid_free(db: Session, organization_id: int, sysid: str, own_id: int | None = None) -> None:
    query = select(CmdbObject.id).where(CmdbObject.organization_id == organization_id, CmdbObject.sysid == sysid)
    found = db.scalar(query.limit(1))
    if found is not None and found != own_id:
        raise Conflict(f"SYSID {sysid!r} is already used by object {found}", field="sysid")


def sysid_of(object_type: ObjectType, object_id: int) -> str:
    """The SYSID an object gets when none is given: its type's prefix and its id."""
    return f"{object_type.sysid_prefix}{object_id:06d}"


def global_text(obj: Any, values: dict[str, Any]) -> str:
    """The search document of an object's global entry (``obj``: a CmdbObject or a row alike)."""
    return search.document_text([obj.title, obj.sysid, values.get("description")])


def create(
    db: Session,
    actor: Actor,
    *,
    object_type: ObjectType,
    title: str,
    sysid: str | None = None,
    status: int = NORMAL,
    cmdb_status: int = IN_OPERATION,
    const: str | None = None,
    global_data: dict[str, Any] | None = None,
) -> CmdbObject:
    """An object with its global entry; ``global_data``: attributes of the global category other
    than the object's own columns (category, purpose, description ...), written with it."""
    title = title.strip()
    if not title:
        raise InvalidInput("title must not be empty", field="title")
    values = coerce(db, actor.organization_id, CATALOG.categories[GLOBAL], global_data, {}) if global_data else {}
    if sysid:
        _check_sysid_free(db, actor.organization_id, sysid)
    obj = CmdbObject(
        organization_id=actor.organization_id,
        type_const=object_type.const,
        title=title[:255],
        # A placeholder until the id is known; replaced right after the insert.
        sysid=sysid or "",
        status=status,
        cmdb_status=cmdb_status,
        const=const,
        created_by=actor.username,
    )
    db.add(obj)
    db.flush()
    if not sysid:
        obj.sysid = sysid_of(object_type, obj.id)
    entry = CategoryEntry(organization_id=obj.organization_id, object_id=obj.id, category_const=GLOBAL, values=values)
    db.add(entry)
    db.flush()
    search.index_entry(db, organization_id=obj.organization_id, entry_id=entry.id, body=global_text(obj, values))
    logbook.record(db, actor, obj, logbook.OBJECT_CREATED, changes={"title": {"from": None, "to": obj.title}})
    notify(db, actor, obj, CREATED)
    return obj


def create_many(db: Session, actor: Actor, *, object_type: ObjectType, titles: Sequence[str]) -> list[int]:
    """Objects of one type, titled ``titles`` (each non-blank), with their generated SYSIDs, global
    entries, logbook lines and search documents: the rows create writes, each kind in one statement
    for the whole batch. Answers their ids in the order of ``titles``.

    Listeners are not told: this is for objects of types no listener keeps rows for (device
    assets); create is the way for any other."""
    if not titles:
        return []
    organization_id = actor.organization_id
    titles = [title[:255] for title in titles]
    now = utcnow()
    # Rows come back in any order from one multi-row INSERT: a placeholder SYSID matches them.
    batch = secrets.token_hex(8)
    inserted = db.execute(
        insert(OBJECTS).returning(OBJECTS.c.sysid, OBJECTS.c.id),
        [{"organization_id": organization_id, "type_const": object_type.const, "title": title,
          "sysid": f"{batch}-{index}", "status": NORMAL, "cmdb_status": IN_OPERATION, "created": now,
          "created_by": actor.username} for index, title in enumerate(titles)],
    )
    by_sysid = {placeholder: object_id for placeholder, object_id in inserted}
    object_ids = [by_sysid[f"{batch}-{index}"] for index in range(len(titles))]
    sysids = [sysid_of(object_type, object_id) for object_id in object_ids]
    db.execute(OBJECTS.update().where(OBJECTS.c.id == bindparam("object_id")).values(sysid=bindparam("new_sysid")),
               [{"object_id": object_id, "new_sysid": sysid}
                for object_id, sysid in zip(object_ids, sysids, strict=True)])
    entries = db.execute(
        insert(ENTRIES).returning(ENTRIES.c.object_id, ENTRIES.c.id),
        [{"organization_id": organization_id, "object_id": object_id, "category_const": GLOBAL, "status": NORMAL,
          "values": {}, "created": now} for object_id in object_ids],
    )
    entry_of = {object_id: entry_id for object_id, entry_id in entries}
    db.execute(insert(LOGBOOK), [
        {"organization_id": organization_id, "object_id": object_id, "object_title": title, "object_status": NORMAL,
         "event": logbook.OBJECT_CREATED, "username": actor.username, "account_id": actor.account_id,
         "changes": {"title": {"from": None, "to": title}}, "created": now}
        for object_id, title in zip(object_ids, titles, strict=True)
    ])
    search.index_entries(db, organization_id=organization_id, documents={
        entry_of[object_id]: search.document_text([title, sysid])
        for object_id, title, sysid in zip(object_ids, titles, sysids, strict=True)
    })
    return object_ids


def touch(obj: CmdbObject, actor: Actor) -> None:
    obj.updated = utcnow()
    obj.updated_by = actor.username


def reindex_global(db: Session, obj: CmdbObject) -> None:
    entry = db.scalar(
        select(CategoryEntry).where(CategoryEntry.object_id == obj.id, CategoryEntry.category_const == GLOBAL)
    )
    if entry is not None:
        search.index_entry(
            db, organization_id=obj.organization_id, entry_id=entry.id, body=global_text(obj, entry.values)
        )


def update(db: Session, actor: Actor, obj: CmdbObject, changes: dict[str, Any]) -> None:
    """Change the object's own columns (title, sysid, cmdb_status, type const)."""
    before = {"title": obj.title, "sysid": obj.sysid, "cmdb_status": obj.cmdb_status, "type": obj.type_const}
    if "title" in changes:
        title = str(changes["title"]).strip()
        if not title:
            raise InvalidInput("title must not be empty", field="title")
        obj.title = title[:255]
    if "sysid" in changes and changes["sysid"]:
        _check_sysid_free(db, obj.organization_id, str(changes["sysid"]), obj.id)
        obj.sysid = str(changes["sysid"])[:255]
    if "cmdb_status" in changes:
        obj.cmdb_status = changes["cmdb_status"]
    if "type" in changes:
        obj.type_const = changes["type"]
    after = {"title": obj.title, "sysid": obj.sysid, "cmdb_status": obj.cmdb_status, "type": obj.type_const}
    diff = logbook.changes_between(before, after)
    if not diff:
        return
    touch(obj, actor)
    if "title" in diff or "sysid" in diff:
        reindex_global(db, obj)
    logbook.record(db, actor, obj, logbook.OBJECT_CHANGED, category_const=GLOBAL, changes=diff)
    notify(db, actor, obj, CHANGED)


def change_state(db: Session, actor: Actor, obj: CmdbObject, target: int) -> int:
    allowed = TRANSITIONS[target]
    if obj.status not in allowed:
        current = CATALOG.record_states[obj.status].titles["en"]
        wanted = CATALOG.record_states[target].titles["en"]
        raise StateChangeRefused(
            f"Object {obj.id} is {current.lower()} and cannot become {wanted.lower()}", field="status"
        )
    previous = obj.status
    obj.status = target
    touch(obj, actor)
    logbook.record(db, actor, obj, EVENTS[target], changes={"status": {"from": previous, "to": target}})
    notify(db, actor, obj, STATE_CHANGED)
    return previous


def purge(db: Session, actor: Actor, obj: CmdbObject) -> None:
    notify(db, actor, obj, PURGING)
    entry_ids = list(db.scalars(select(CategoryEntry.id).where(CategoryEntry.object_id == obj.id)))
    search.remove_entries(db, entry_ids)
    logbook.record(db, actor, obj, logbook.OBJECT_PURGED, changes={"status": {"from": obj.status, "to": 5}})
    db.execute(delete(CategoryEntry).where(CategoryEntry.object_id == obj.id))
    db.delete(obj)
    db.flush()


@dataclass
class ObjectFilter:
    ids: list[int] | None = None
    type_const: str | None = None
    type_consts: list[str] | None = None
    title: str | None = None
    sysid: str | None = None
    status: int | None = None
    cmdb_status: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None


COLUMNS = OBJECTS.c
ORDER_COLUMNS = {
    "id": COLUMNS.id,
    "title": COLUMNS.title,
    "type": COLUMNS.type_const,
    "type_title": COLUMNS.type_const,
    "sysid": COLUMNS.sysid,
    "created": COLUMNS.created,
    "updated": COLUMNS.updated,
    "status": COLUMNS.status,
}


def _as_stored(column: ColumnElement[Any]) -> ColumnElement[Any]:
    # The stored form, unparsed: SQLite's text (values.stamp answers its first 19 characters),
    # PostgreSQL's naive UTC datetime.
    return type_coerce(column, String).label(column.key)


# The columns of an object row; the first eight are those of its summary (cmdb.objects.read),
# in this order. Timestamps come as stored (see values.stamp).
ROW_COLUMNS = (
    COLUMNS.id,
    COLUMNS.title,
    COLUMNS.sysid,
    COLUMNS.type_const,
    COLUMNS.status,
    COLUMNS.cmdb_status,
    _as_stored(COLUMNS.created),
    _as_stored(COLUMNS.updated),
    COLUMNS.created_by,
    COLUMNS.updated_by,
)
SUMMARY_COLUMNS = ROW_COLUMNS[:8]
_SELECTED: dict[str, tuple[Any, ...]] = {"objects": (CmdbObject,), "rows": ROW_COLUMNS, "summary": SUMMARY_COLUMNS}


# Person filters: the ObjectFilter field → the key of C__CATS__PERSON_MASTER's values it compares.
_PERSON_KEYS = (("first_name", "first_name"), ("last_name", "last_name"), ("email", "mail"))
# Filters that compare one object column with the value given.
_EQUALS = ("type_const", "title", "sysid", "status", "cmdb_status")


def _person_filter(query: Select, key: str, parameter: str) -> Select:
    entry = select(ENTRIES.c.object_id).where(
        ENTRIES.c.organization_id == bindparam("organization_id"),
        ENTRIES.c.category_const == PERSON_MASTER,
        ENTRIES.c["values"][key].as_string() == bindparam(parameter),
    )
    return query.where(COLUMNS.id.in_(entry))


def _bound_values(filters: ObjectFilter, organization_id: int, offset: int, limit: int | None) -> dict[str, Any]:
    """The values a list query binds, by parameter name; which names are present is its shape."""
    values: dict[str, Any] = {"organization_id": organization_id}
    if filters.ids is not None:
        values["ids"] = filters.ids
    for name in _EQUALS:
        if getattr(filters, name) is not None:
            values[name] = getattr(filters, name)
    if filters.type_consts is not None:
        # One type is an equality, so pages of one type in id order walk ix_cmdb_objects_org_type_id.
        if len(filters.type_consts) == 1:
            values["one_type"] = filters.type_consts[0]
        else:
            values["type_consts"] = filters.type_consts
    for name, _ in _PERSON_KEYS:
        if getattr(filters, name) is not None:
            values[name] = getattr(filters, name)
    if offset:
        values["offset"] = offset
    if limit is not None:
        values["limit"] = limit
    return values


@functools.lru_cache(maxsize=512)
def _object_query(selected: str, bound: frozenset[str], order_by: str, descending: bool) -> Select:
    """The list query of _SELECTED[selected] for filters binding the parameters ``bound``
    (_bound_values), built once per shape: building a statement and its cache key cost more than
    running it."""
    # Table columns, not ORM attributes (unless asked for the ORM entity): a statement of rows stays Core.
    query = select(*_SELECTED[selected]).where(COLUMNS.organization_id == bindparam("organization_id"))
    if "ids" in bound:
        query = query.where(COLUMNS.id.in_(bindparam("ids", expanding=True)))
    for name in _EQUALS:
        if name in bound:
            query = query.where(COLUMNS[name] == bindparam(name))
    if "one_type" in bound:
        query = query.where(COLUMNS.type_const == bindparam("one_type"))
    if "type_consts" in bound:
        query = query.where(COLUMNS.type_const.in_(bindparam("type_consts", expanding=True)))
    for name, key in _PERSON_KEYS:
        if name in bound:
            query = _person_filter(query, key, name)
    column = ORDER_COLUMNS[order_by]
    query = query.order_by(column.desc() if descending else column.asc(), COLUMNS.id)
    if "offset" in bound:
        query = query.offset(bindparam("offset", type_=Integer))
    if "limit" in bound:
        query = query.limit(bindparam("limit", type_=Integer))
    return query


def _list_query(
    selected: str,
    organization_id: int,
    filters: ObjectFilter,
    *,
    offset: int,
    limit: int | None,
    order_by: str,
    descending: bool,
) -> tuple[Select, dict[str, Any]]:
    values = _bound_values(filters, organization_id, offset, limit)
    return _object_query(selected, frozenset(values), order_by, descending), values


def list_objects(
    db: Session,
    organization_id: int,
    filters: ObjectFilter,
    *,
    offset: int = 0,
    limit: int | None = None,
    order_by: str = "id",
    descending: bool = False,
) -> list[CmdbObject]:
    query, values = _list_query(
        "objects", organization_id, filters, offset=offset, limit=limit, order_by=order_by, descending=descending
    )
    return list(db.scalars(query, values))


def _settled(db: Session) -> Session:
    """The session with its pending ORM changes written: Core statements do not autoflush."""
    db.flush()
    return db


def list_object_rows(
    db: Session,
    organization_id: int,
    filters: ObjectFilter,
    *,
    offset: int = 0,
    limit: int | None = None,
    order_by: str = "id",
    descending: bool = False,
) -> list[Row[Any]]:
    """As list_objects, as read-only rows of ROW_COLUMNS (attribute access alike): building ORM
    objects is most of the time of a page of 1 000."""
    query, values = _list_query(
        "rows", organization_id, filters, offset=offset, limit=limit, order_by=order_by, descending=descending
    )
    return list(_settled(db).execute(query, values).all())  # fetchall: iterating fetches row by row


def list_summary_tuples(
    db: Session,
    organization_id: int,
    filters: ObjectFilter,
    *,
    offset: int = 0,
    limit: int | None = None,
    order_by: str = "id",
    descending: bool = False,
) -> list[tuple[Any, ...]]:
    """As list_object_rows, the columns of SUMMARY_COLUMNS, as the driver's own tuples: a Row per
    object was a sixth of a page of 1 000 (docs/decisions/1110). None of these columns has a
    result processor on either dialect (timestamps come as stored), so the driver's values are
    the ones a Row would hold."""
    query, values = _list_query(
        "summary", organization_id, filters, offset=offset, limit=limit, order_by=order_by,
        descending=descending,
    )
    return driver_tuples(_settled(db).connection().execute(query, values))


# Built once: an IN list of literals is coerced value by value each time it is built.
_ROWS_BY_ID = select(*ROW_COLUMNS).where(
    COLUMNS.organization_id == bindparam("organization_id"), COLUMNS.id.in_(bindparam("ids", expanding=True))
)


def rows_by_id(db: Session, organization_id: int, object_ids: Iterable[int]) -> dict[int, Any]:
    """Rows of ROW_COLUMNS of the organization's objects among ``object_ids``, by id, in one query."""
    wanted = sorted(set(object_ids))
    if not wanted:
        return {}
    parameters = {"organization_id": organization_id, "ids": wanted}
    return {row.id: row for row in _settled(db).execute(_ROWS_BY_ID, parameters).all()}


def static_object(db: Session, organization_id: int, const: str) -> CmdbObject | None:
    return db.scalar(select(CmdbObject).where(CmdbObject.organization_id == organization_id, CmdbObject.const == const))


def count_by_type(db: Session, organization_id: int) -> dict[str, int]:
    rows = db.execute(
        select(CmdbObject.type_const, func.count())
        .where(CmdbObject.organization_id == organization_id)
        .group_by(CmdbObject.type_const)
    )
    return {const: count for const, count in rows}


def children_in_location(db: Session, organization_id: int, parent_id: int) -> list[CmdbObject]:
    """Objects whose location (C__CATG__LOCATION.parent) is ``parent_id``: one level of the tree."""
    located = select(CategoryEntry.object_id).where(
        and_(
            CategoryEntry.organization_id == organization_id,
            CategoryEntry.category_const == "C__CATG__LOCATION",
            CategoryEntry.status == NORMAL,
            CategoryEntry.values["parent"].as_integer() == parent_id,
        )
    )
    query = select(CmdbObject).where(
        CmdbObject.organization_id == organization_id, CmdbObject.id.in_(located), CmdbObject.status == NORMAL
    )
    return list(db.scalars(query.order_by(CmdbObject.title, CmdbObject.id)))
