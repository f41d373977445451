"""KACE locations are CMDB location objects (docs/decisions/0530).

The object is the record: its title is the location's name, its C__CATG__LOCATION parent is the
location's parent, its record state decides whether KACE lists it. The ``locations`` row keeps what
only KACE has (address, phone, web site ...) and a copy of name, parent, path and level, so that
KACE reads stay one table. One listener on object changes keeps that copy, whichever face wrote:
KACE writes (create_location, update_location, delete_location) go through estate.cmdb as i-doit
ones do, and the listener places the row.

Every change of a location leaves one history entry: a KACE write records the whole write; a
change of the object made otherwise (i-doit) records what it changed of the row (name, parent,
whether it is listed) when the listener mirrors it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from estate.accounts.models import OrganizationAccount
from estate.cmdb import entries, objects
from estate.cmdb.catalog import CATALOG, DELETED, NORMAL
from estate.cmdb.logbook import Actor
from estate.cmdb.models import CategoryEntry, CmdbObject
from estate.errors import InvalidInput, NotFound
from estate.history import service as history
from estate.orgs.models import Location

# The object types whose objects are KACE locations; racks and other containers are not.
LOCATION_TYPES = frozenset(
    {
        "C__OBJTYPE__COUNTRY",
        "C__OBJTYPE__CITY",
        "C__OBJTYPE__BUILDING",
        "C__OBJTYPE__ROOM",
        "C__OBJTYPE__LOCATION_GENERIC",
    }
)
# What a location made over KACE is: a building, which the stock "Location" asset type names too.
KACE_LOCATION_TYPE = "C__OBJTYPE__BUILDING"
LOCATION_CATEGORY = "C__CATG__LOCATION"
ROOT_LOCATION = "C__OBJ__ROOT_LOCATION"
# Session.info keys: the row that is getting its object (a row written around the service), and
# whether a KACE write is running (it records its own history entry).
_ADOPTING = "estate.location_adopting"
_KACE_WRITE = "estate.location_kace_write"
ENTITY = "location"
# The row's columns a KACE write takes; the others (id, path, level ...) are the server's.
WRITABLE = frozenset({
    "name", "description", "address", "phone_number", "web_site", "locale", "app_data", "parent_id",
    "primary_contact_id",
})
# What the object decides of its row, recorded when another face changes it.
MIRRORED = ("name", "parent_id", "is_deleted")


def is_location_object(obj: CmdbObject) -> bool:
    """Static objects (the Root location) are the tree's root, not a location of their own."""
    return obj.type_const in LOCATION_TYPES and obj.const is None


def location_of_object(db: Session, obj: CmdbObject) -> Location | None:
    return db.scalar(
        select(Location).where(Location.organization_id == obj.organization_id, Location.object_id == obj.id)
    )


# ----------------------------------------------------------------------------------- placement


def place(db: Session, location: Location) -> None:
    parent = db.get(Location, location.parent_id) if location.parent_id else None
    location.level = parent.level + 1 if parent else 0
    location.path = f"{parent.path if parent else ''}/{location.id}"


def replace_descendant_paths(db: Session, location: Location) -> None:
    """Re-place every location below ``location``; one query for the organization's tree."""
    rows = db.scalars(
        select(Location)
        .where(Location.organization_id == location.organization_id, Location.parent_id.is_not(None))
        .order_by(Location.level, Location.id)
    )
    placed = {location.id}
    children: dict[int, list[Location]] = {}
    for row in rows:
        if row.parent_id is not None:
            children.setdefault(row.parent_id, []).append(row)
    queue = [location.id]
    while queue:
        for child in children.get(queue.pop(), []):
            if child.id not in placed:
                place(db, child)
                placed.add(child.id)
                queue.append(child.id)


def is_below(candidate: Location, location: Location) -> bool:
    """Whether ``candidate`` is ``location`` or lies under it."""
    return candidate.id == location.id or f"/{location.id}/" in candidate.path + "/"


def _parent_object_id(db: Session, obj: CmdbObject) -> int | None:
    entry = db.scalar(
        select(CategoryEntry)
        .where(
            CategoryEntry.object_id == obj.id,
            CategoryEntry.category_const == LOCATION_CATEGORY,
            CategoryEntry.status == NORMAL,
        )
        .order_by(CategoryEntry.id)
        .limit(1)
    )
    parent = entry.values.get("parent") if entry is not None else None
    return parent if isinstance(parent, int) else None


def _parent_location(db: Session, obj: CmdbObject) -> Location | None:
    parent_object_id = _parent_object_id(db, obj)
    if parent_object_id is None:
        return None
    return db.scalar(
        select(Location).where(
            Location.organization_id == obj.organization_id, Location.object_id == parent_object_id
        )
    )


# ------------------------------------------------------------------------------ object → row


def _row_for(db: Session, obj: CmdbObject) -> tuple[Location | None, bool]:
    """The object's row, and whether it was made now."""
    location = location_of_object(db, obj)
    if location is not None:
        return location, False
    adopting = db.info.get(_ADOPTING)
    if isinstance(adopting, Location):
        adopting.object_id = obj.id
        return adopting, False
    if not is_location_object(obj):
        return None, False
    location = Location(organization_id=obj.organization_id, object_id=obj.id, name=obj.title, path="")
    db.add(location)
    db.flush()
    return location, True


def _mirrored(location: Location) -> dict[str, Any]:
    return {name: getattr(location, name) for name in MIRRORED}


def _record(db: Session, actor: Actor, action: int, location: Location, changes: dict[str, tuple[Any, Any]]) -> None:
    history.record(db, organization_id=location.organization_id, account_id=actor.account_id, action=action,
                   entity_name=ENTITY, entity_id=location.id, changes=changes)


def _record_mirrored(db: Session, actor: Actor, location: Location, before: dict[str, Any] | None) -> None:
    """History of a change another face made through the object (a KACE write records its own)."""
    if db.info.get(_KACE_WRITE):
        return
    after = _mirrored(location)
    if before is None:
        _record(db, actor, history.CREATE, location,
                {name: (None, value) for name, value in after.items() if value not in (None, False)})
        return
    changes = {name: (before[name], after[name]) for name in MIRRORED if before[name] != after[name]}
    if changes:
        _record(db, actor, history.UPDATE, location, changes)


def _mirror(db: Session, actor: Actor, obj: CmdbObject) -> None:
    location, made = _row_for(db, obj)
    if location is None:
        return
    before = None if made else _mirrored(location)
    location.name = obj.title
    location.is_deleted = not (is_location_object(obj) and obj.status == NORMAL)
    parent = _parent_location(db, obj)
    if parent is not None and is_below(parent, location):
        raise InvalidInput("a location cannot be placed below itself", field="data.parent")
    location.parent_id = parent.id if parent else None
    path = location.path
    place(db, location)
    if location.path != path:
        replace_descendant_paths(db, location)
    db.flush()
    _record_mirrored(db, actor, location, before)


def _forget(db: Session, actor: Actor, obj: CmdbObject) -> None:
    """The object is purged: its children move up to its parent, and its row goes."""
    location = location_of_object(db, obj)
    if location is None:
        return
    lift_children(db, actor, location, obj)
    if not db.info.get(_KACE_WRITE):
        _record(db, actor, history.DELETE, location, {"name": (location.name, None)})
    db.delete(location)
    db.flush()


@objects.register_listener
def follow_object(db: Session, actor: Actor, obj: CmdbObject, event: str, category_const: str | None) -> None:
    if event == objects.CATEGORY_CHANGED and category_const != LOCATION_CATEGORY:
        return
    if obj.type_const not in LOCATION_TYPES and (event == objects.CREATED or location_of_object(db, obj) is None):
        return
    if event == objects.PURGING:
        _forget(db, actor, obj)
    else:
        _mirror(db, actor, obj)


# ------------------------------------------------------------------------------ KACE writes


def _root_object_id(db: Session, organization_id: int) -> int | None:
    root = objects.static_object(db, organization_id, ROOT_LOCATION)
    return root.id if root is not None else None


def _set_parent(db: Session, actor: Actor, obj: CmdbObject, parent_object_id: int | None) -> None:
    """Hang ``obj`` below the parent's object, or below the Root location when it has none."""
    target = parent_object_id or _root_object_id(db, obj.organization_id)
    entries.save(db, actor, obj, CATALOG.categories[LOCATION_CATEGORY], {"parent": target})
    # Saving the same parent again changes nothing and tells no listener: place the row anyway.
    _mirror(db, actor, obj)


def object_of(db: Session, actor: Actor, location: Location) -> CmdbObject:
    """The location's object; a row written around this service gets one now."""
    if location.object_id is not None:
        return objects.get(db, location.organization_id, location.object_id)
    db.info[_ADOPTING] = location
    try:
        obj = objects.create(
            db, actor, object_type=CATALOG.object_types[KACE_LOCATION_TYPE], title=location.name or f"{location.id}"
        )
    finally:
        db.info.pop(_ADOPTING, None)
    parent = db.get(Location, location.parent_id) if location.parent_id else None
    _set_parent(db, actor, obj, object_of(db, actor, parent).id if parent else None)
    return obj


@contextmanager
def _kace_write(db: Session) -> Iterator[None]:
    """A KACE write: it records one history entry of its own for all it changes."""
    previous = db.info.get(_KACE_WRITE)
    db.info[_KACE_WRITE] = True
    try:
        yield
    finally:
        db.info[_KACE_WRITE] = previous


def _checked(db: Session, organization_id: int, values: Mapping[str, Any], location: Location | None) -> None:
    unknown = sorted(set(values) - WRITABLE)
    if unknown:
        raise InvalidInput(f"unknown location field {unknown[0]!r}", field=unknown[0])
    if "name" in values and not str(values["name"] or "").strip():
        raise InvalidInput("name must not be empty", field="name")
    parent_id = values.get("parent_id")
    if parent_id is not None:
        parent = db.get(Location, parent_id)
        if parent is None or parent.organization_id != organization_id or parent.is_deleted:
            raise NotFound(f"parent location {parent_id} not found", field="parent")
        if location is not None and is_below(parent, location):
            raise InvalidInput("a location cannot be placed below itself", field="parent")
    contact_id = values.get("primary_contact_id")
    if contact_id is not None:
        member = db.get(OrganizationAccount, contact_id)
        if member is None or member.organization_id != organization_id:
            raise NotFound(f"organization account {contact_id} not found", field="primaryContact")


def create_location(db: Session, *, actor: Actor, values: Mapping[str, Any]) -> Location:
    """A KACE location from its columns (WRITABLE): a building object, with the KACE-only fields on
    its row."""
    _checked(db, actor.organization_id, values, None)
    if not values.get("name"):
        raise InvalidInput("name is required", field="name")
    with _kace_write(db):
        obj = objects.create(db, actor, object_type=CATALOG.object_types[KACE_LOCATION_TYPE], title=str(values["name"]))
        location = location_of_object(db, obj)
        if location is None:
            raise RuntimeError(f"object {obj.id} of a location type got no location row")
        for key, value in values.items():
            if key not in ("name", "parent_id"):
                setattr(location, key, value)
        parent = db.get(Location, values["parent_id"]) if values.get("parent_id") else None
        _set_parent(db, actor, obj, object_of(db, actor, parent).id if parent else None)
        _record(db, actor, history.CREATE, location,
                {key: (None, value) for key, value in values.items() if value is not None})
    return location


def update_location(db: Session, *, actor: Actor, location: Location, values: Mapping[str, Any]) -> None:
    """Change the columns of ``values`` (WRITABLE); name and parent are carried over to the object."""
    _checked(db, location.organization_id, values, location)
    with _kace_write(db):
        changes = history.diff(location, dict(values))
        # Each step below re-mirrors the row from the object: take the wanted values first.
        name, parent_id = location.name, location.parent_id
        obj = object_of(db, actor, location)
        if "name" in changes:
            objects.update(db, actor, obj, {"title": name})
        if "parent_id" in changes:
            parent = db.get(Location, parent_id) if parent_id else None
            _set_parent(db, actor, obj, object_of(db, actor, parent).id if parent else None)
        if changes:
            _record(db, actor, history.UPDATE, location, changes)
        db.flush()


def lift_children(db: Session, actor: Actor, location: Location, obj: CmdbObject) -> None:
    """Hang the location's children where the location hangs, on both faces."""
    children = list(
        db.scalars(
            select(Location)
            .where(Location.organization_id == location.organization_id, Location.parent_id == location.id)
            .order_by(Location.id)
        )
    )
    grandparent = _parent_object_id(db, obj)
    for child in children:
        _set_parent(db, actor, object_of(db, actor, child), grandparent)


def delete_location(db: Session, *, actor: Actor, location: Location) -> None:
    """KACE's delete is i-doit's "deleted" state, as for assets: recyclable, kept in the logbook.
    Its children move up, so that no listed location hangs below one that is not listed."""
    with _kace_write(db):
        _record(db, actor, history.DELETE, location, {"name": (location.name, None)})
        obj = object_of(db, actor, location)
        lift_children(db, actor, location, obj)
        objects.change_state(db, actor, obj, DELETED)
