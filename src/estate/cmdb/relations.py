"""Relations as i-doit models them (docs/decisions/0322).

A relation is an object of type C__OBJTYPE__RELATION titled "<master> <text> <slave>", whose
C__CATG__RELATION entry names its master (object1), slave (object2), relation type and weighting;
the slave depends on the master. The categories that relate objects (location, contact
assignment, software assignment, cluster members, virtual host and guest, network connections,
host address ↔ net: ``relating_attributes`` of the catalog) make and remove relations in the
transaction that writes their entries: ``follow`` after entries are written or change state,
``forget`` before they are purged, in a fixed number of statements for any number of entries.
``cmdb_relations`` indexes the relation entries by master and slave; C__CATG__RELATION of any
object reads the relations it takes part in from there."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, delete, insert, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from estate.cmdb import feeds, logbook, objects, search, values
from estate.cmdb.catalog import CATALOG, NORMAL, PURGED, RelationType
from estate.cmdb.logbook import Actor
from estate.cmdb.models import DIALOGS, ENTRIES, LOGBOOK, OBJECTS, RELATIONS, CategoryEntry, CmdbObject
from estate.db.base import chunks, utcnow
from estate.errors import InvalidInput, NotFound

RELATION = "C__CATG__RELATION"
RELATION_OBJECT = "C__OBJTYPE__RELATION"
DEFAULT_TYPE = "C__RELATION_TYPE__DEFAULT"
TYPE_DIALOG, WEIGHTING_DIALOG = "isys_relation_type", "isys_weighting"


@dataclass(frozen=True)
class Link:
    master_id: int
    slave_id: int
    relation_type: RelationType


@dataclass(frozen=True)
class _New:
    source: feeds.Written | None
    link: Link
    weighting: int
    description: str = ""


def relates(category_const: str) -> bool:
    return category_const in CATALOG.relating


# --- what entries ask for -----------------------------------------------------------------------------


def _targets(value: Any) -> list[int]:
    items = value if isinstance(value, list) else [value]
    return [int(item) for item in items
            if (isinstance(item, int) and not isinstance(item, bool)) or (isinstance(item, str) and item.isdigit())]


def _role_consts(db: Session, organization_id: int, written: Sequence[feeds.Written]) -> dict[int, str | None]:
    """Dialog row id → constant of the roles the entries name (contact assignments), one query."""
    wanted = {role for w in written for rule in CATALOG.relating.get(w.category_const, {}).values()
              if rule.role_attribute for role in _targets(w.values.get(rule.role_attribute))}
    if not wanted:
        return {}
    return dict(db.execute(select(DIALOGS.c.id, DIALOGS.c.const).where(
        DIALOGS.c.organization_id == organization_id, DIALOGS.c.id.in_(sorted(wanted)))).all())


def _entry_owners(db: Session, organization_id: int, written: Sequence[feeds.Written]) -> dict[int, tuple[int, str]]:
    """Entry id → (object, category) of the entries the ``via`` attributes name, one query."""
    wanted = {entry for w in written for key, rule in CATALOG.relating.get(w.category_const, {}).items()
              if rule.via for entry in _targets(w.values.get(key))}
    if not wanted:
        return {}
    rows = db.execute(select(ENTRIES.c.id, ENTRIES.c.object_id, ENTRIES.c.category_const).where(
        ENTRIES.c.organization_id == organization_id, ENTRIES.c.id.in_(sorted(wanted)))).all()
    return {entry_id: (object_id, const) for entry_id, object_id, const in rows}


def _wanted(db: Session, organization_id: int, written: Sequence[feeds.Written]) -> dict[int, set[Link]]:
    roles = _role_consts(db, organization_id, written)
    owners = _entry_owners(db, organization_id, written)
    wanted: dict[int, set[Link]] = {}
    for w in written:
        links: set[Link] = set()
        for key, rule in CATALOG.relating.get(w.category_const, {}).items():
            role = next(iter(_targets(w.values.get(rule.role_attribute))), None) if rule.role_attribute else None
            type_const, owner = rule.for_role(roles.get(role) if role is not None else None)
            for target in _targets(w.values.get(key)):
                if rule.via:
                    found = owners.get(target)
                    if found is None or CATALOG.categories[found[1]] is not CATALOG.categories[rule.via]:
                        continue
                    target = found[0]
                if target == w.object_id:
                    continue
                master, slave = (w.object_id, target) if owner == "master" else (target, w.object_id)
                links.add(Link(master, slave, CATALOG.relation_type_of(type_const)))
        wanted[w.entry_id] = links
    return wanted


# --- writing relations ------------------------------------------------------------------------------


def _dialog_rows(db: Session, organization_id: int) -> dict[tuple[str, int], int]:
    """(list, i-doit id) → row id of the relation types and weightings of the organization."""
    rows = db.execute(select(DIALOGS.c.dialog, DIALOGS.c.number, DIALOGS.c.id).where(
        DIALOGS.c.organization_id == organization_id, DIALOGS.c.dialog.in_([TYPE_DIALOG, WEIGHTING_DIALOG]))).all()
    return {(dialog, number): row_id for dialog, number, row_id in rows}


def _create(db: Session, actor: Actor, new: Sequence[_New]) -> list[int]:
    """Relation objects with their global and relation entries, logbook lines, search documents and
    index rows, each kind in one statement for all of them; answers their relation entry ids."""
    if not new:
        return []
    organization_id = actor.organization_id
    titles = {row.id: row.title for row in objects.rows_by_id(
        db, organization_id, {n.link.master_id for n in new} | {n.link.slave_id for n in new}).values()}
    object_ids = objects.create_many(db, actor, object_type=CATALOG.object_types[RELATION_OBJECT], titles=[
        f"{titles.get(n.link.master_id, '?')} {n.link.relation_type.text} {titles.get(n.link.slave_id, '?')}"
        for n in new])
    dialog_rows = _dialog_rows(db, organization_id)
    now = utcnow()
    inserted = db.execute(insert(ENTRIES).returning(ENTRIES.c.object_id, ENTRIES.c.id), [
        {"organization_id": organization_id, "object_id": object_id, "category_const": RELATION, "status": NORMAL,
         "values": {"object1": n.link.master_id, "object2": n.link.slave_id,
                    "relation_type": dialog_rows.get((TYPE_DIALOG, n.link.relation_type.id)),
                    "weighting": dialog_rows.get((WEIGHTING_DIALOG, n.weighting)),
                    **({"description": n.description} if n.description else {})},
         "created": now}
        for object_id, n in zip(object_ids, new, strict=True)]).all()
    entry_ids: dict[int, int] = {object_id: entry_id for object_id, entry_id in inserted}
    db.execute(insert(RELATIONS), [
        {"organization_id": organization_id, "object_id": object_id, "entry_id": entry_ids[object_id],
         "master_id": n.link.master_id, "slave_id": n.link.slave_id, "relation_type": n.link.relation_type.id,
         "weighting": n.weighting, "source_entry_id": n.source.entry_id if n.source else None, "status": NORMAL}
        for object_id, n in zip(object_ids, new, strict=True)])
    following = [(object_id, n.source.status) for object_id, n in zip(object_ids, new, strict=True)
                 if n.source is not None and n.source.status != NORMAL]
    for status in {status for _, status in following}:
        _set_status(db, [object_id for object_id, s in following if s == status], status)
    return [entry_ids[object_id] for object_id in object_ids]


def _set_status(db: Session, relation_object_ids: Sequence[int], status: int) -> None:
    for part in chunks(relation_object_ids):
        db.execute(update(OBJECTS).where(OBJECTS.c.id.in_(list(part))).values(status=status))
        db.execute(update(RELATIONS).where(RELATIONS.c.object_id.in_(list(part))).values(status=status))


def purge(db: Session, actor: Actor, relation_object_ids: Iterable[int]) -> None:
    """Purge relation objects, their entries, documents and index rows, with a logbook line each."""
    ids = sorted(set(relation_object_ids))
    if not ids:
        return
    now = utcnow()
    for part in chunks(ids):
        wanted = list(part)
        entry_ids = list(db.scalars(select(ENTRIES.c.id).where(ENTRIES.c.object_id.in_(wanted))))
        search.remove_entries(db, entry_ids)
        gone = db.execute(select(OBJECTS.c.id, OBJECTS.c.title, OBJECTS.c.status).where(
            OBJECTS.c.organization_id == actor.organization_id, OBJECTS.c.id.in_(wanted))).all()
        if gone:
            db.execute(insert(LOGBOOK), [
                {"organization_id": actor.organization_id, "object_id": object_id, "object_title": title,
                 "object_status": status, "event": logbook.OBJECT_PURGED, "username": actor.username,
                 "account_id": actor.account_id, "changes": {"status": {"from": status, "to": PURGED}},
                 "created": now}
                for object_id, title, status in gone])
        db.execute(delete(RELATIONS).where(RELATIONS.c.object_id.in_(wanted)))
        db.execute(delete(ENTRIES).where(ENTRIES.c.object_id.in_(wanted)))
        db.execute(delete(OBJECTS).where(OBJECTS.c.id.in_(wanted)))


def follow(db: Session, actor: Actor, written: Sequence[feeds.Written]) -> None:
    """Bring the relations of written entries to what their values relate: a relation object made
    for each new link, purged for each link gone, its state following the entry's. Entries of
    categories that relate nothing cost nothing; others a fixed number of statements together."""
    written = [w for w in written if relates(w.category_const)]
    if not written:
        return
    db.flush()
    wanted = _wanted(db, actor.organization_id, written)
    existing: dict[int, list[Any]] = defaultdict(list)
    for part in chunks([w.entry_id for w in written]):
        for row in db.execute(select(RELATIONS).where(
                RELATIONS.c.organization_id == actor.organization_id, RELATIONS.c.source_entry_id.in_(list(part)))):
            existing[row.source_entry_id].append(row)
    new: list[_New] = []
    gone: list[int] = []
    restate: dict[int, list[int]] = defaultdict(list)
    for w in written:
        links = set(wanted[w.entry_id])
        for row in existing[w.entry_id]:
            link = Link(row.master_id, row.slave_id, CATALOG.relation_type(row.relation_type) or _default_type())
            if link in links:
                links.discard(link)
                if row.status != w.status:
                    restate[w.status].append(row.object_id)
            else:
                gone.append(row.object_id)
        new += [_New(w, link, link.relation_type.weighting) for link in sorted(links, key=_order)]
    purge(db, actor, gone)
    for status, ids in restate.items():
        _set_status(db, ids, status)
    _create(db, actor, new)


def _order(link: Link) -> tuple[int, int, int]:
    return link.master_id, link.slave_id, link.relation_type.id


def _default_type() -> RelationType:
    return CATALOG.relation_type_of(DEFAULT_TYPE)


def forget(db: Session, actor: Actor, entry_ids: Iterable[int]) -> None:
    """Before entries go: the relations they made go with them."""
    ids = sorted(set(entry_ids))
    if not ids:
        return
    found: list[int] = []
    for part in chunks(ids):
        found += db.scalars(select(RELATIONS.c.object_id).where(
            RELATIONS.c.organization_id == actor.organization_id, RELATIONS.c.source_entry_id.in_(list(part)))).all()
    purge(db, actor, found)


@objects.register_listener
def _follow_objects(db: Session, actor: Actor, obj: CmdbObject, event: str, category_const: str | None) -> None:
    """An object purged takes the relations it is master or slave of along."""
    if event != objects.PURGING or obj.type_const == RELATION_OBJECT:
        return
    involved = select(RELATIONS.c.object_id).where(
        RELATIONS.c.organization_id == obj.organization_id,
        or_(RELATIONS.c.master_id == obj.id, RELATIONS.c.slave_id == obj.id))
    purge(db, actor, db.scalars(involved).all())


# --- relations saved by hand (cmdb.category.save of C__CATG__RELATION) -----------------------------


def _number_of(db: Session, row_id: int | None) -> int | None:
    return db.scalar(select(DIALOGS.c.number).where(DIALOGS.c.id == row_id)) if row_id is not None else None


def save(db: Session, actor: Actor, obj: CmdbObject, data: Mapping[str, Any], entry_id: int | None) -> CategoryEntry:
    """A relation saved through C__CATG__RELATION of an object: ``object1`` (master) and
    ``object2`` (slave), ``relation_type`` (default: dependency) and ``weighting`` (default: the
    type's); a relation made by a category's entry changes only its weighting and description."""
    category = CATALOG.categories[RELATION]
    current = entry_of(db, obj, entry_id) if entry_id is not None else None
    stored = dict(current.values) if current is not None else {}
    after = values.coerce(db, actor.organization_id, category, dict(data), stored)
    master, slave = after.get("object1"), after.get("object2")
    if not isinstance(master, int) or not isinstance(slave, int):
        raise InvalidInput("a relation needs object1 (master) and object2 (slave)", field="data.object1")
    if master == slave:
        raise InvalidInput("a relation relates two different objects", field="data.object2")
    relation_type = CATALOG.relation_type(_number_of(db, after.get("relation_type"))) or _default_type()
    weighting = _number_of(db, after.get("weighting")) or relation_type.weighting
    if current is None:
        (created,) = _create(db, actor, [_New(None, Link(master, slave, relation_type), weighting,
                                              str(after.get("description") or ""))])
        entry = db.get(CategoryEntry, created)
        if entry is None:
            raise NotFound(f"relation entry {created} not found", field="entry")
        return entry
    row = db.execute(select(RELATIONS).where(RELATIONS.c.entry_id == current.id)).one()
    if row.source_entry_id is not None and (master, slave, relation_type.id) != (
            row.master_id, row.slave_id, row.relation_type):
        raise InvalidInput("a relation a category made changes with that category's entry", field="data.object1")
    current.values = after
    current.updated = utcnow()
    db.execute(update(RELATIONS).where(RELATIONS.c.entry_id == current.id).values(
        master_id=master, slave_id=slave, relation_type=relation_type.id, weighting=weighting))
    logbook.record(db, actor, obj, logbook.CATEGORY_CHANGED, category_const=RELATION, entry_id=current.id,
                   changes=logbook.changes_between(stored, after))
    return current


def entry_of(db: Session, obj: Any, entry_id: int) -> CategoryEntry:
    """The relation entry ``entry_id`` of a relation ``obj`` takes part in (or is)."""
    found = db.scalar(select(RELATIONS.c.entry_id).where(
        RELATIONS.c.organization_id == obj.organization_id, RELATIONS.c.entry_id == entry_id,
        or_(RELATIONS.c.master_id == obj.id, RELATIONS.c.slave_id == obj.id, RELATIONS.c.object_id == obj.id)))
    entry = db.get(CategoryEntry, found) if found is not None else None
    if entry is None:
        raise NotFound(f"Entry {entry_id} of {RELATION} not found for object {obj.id}", field="entry")
    return entry


def set_state(db: Session, actor: Actor, entry: CategoryEntry, status: int) -> None:
    """A relation entry's state is its relation object's."""
    relation_object = objects.get(db, actor.organization_id, entry.object_id)
    objects.change_state(db, actor, relation_object, status)
    db.execute(update(RELATIONS).where(RELATIONS.c.entry_id == entry.id).values(status=status))
    entry.status = status


# --- reading --------------------------------------------------------------------------------------------

_INVOLVED = (
    select(RELATIONS.c.entry_id, RELATIONS.c.object_id, RELATIONS.c.master_id, RELATIONS.c.slave_id,
           type_coerce(ENTRIES.c["values"], String).label("values"))
    .join(ENTRIES, ENTRIES.c.id == RELATIONS.c.entry_id)
    .where(RELATIONS.c.organization_id == bindparam("organization_id"), RELATIONS.c.status == NORMAL,
           or_(RELATIONS.c.object_id.in_(bindparam("ids", expanding=True)),
               RELATIONS.c.master_id.in_(bindparam("ids", expanding=True)),
               RELATIONS.c.slave_id.in_(bindparam("ids", expanding=True))))
    .order_by(RELATIONS.c.entry_id)
)


def _every_object(db: Session, organization_id: int, object_ids: Sequence[int]) -> dict[int, int]:
    return {object_id: object_id for object_id in object_ids}


def _rows(db: Session, organization_id: int, owners: Mapping[int, int]) -> feeds.DerivedRows:
    """Object id → the relation entries of the relations it takes part in (or is), one query."""
    found: feeds.DerivedRows = defaultdict(list)
    for part in chunks(sorted(owners)):
        wanted = set(part)
        for entry_id, object_id, master_id, slave_id, raw in db.execute(
                _INVOLVED, {"organization_id": organization_id, "ids": list(part)}):
            stored = values.parsed(raw)
            for involved in {object_id, master_id, slave_id} & wanted:
                found[involved].append((entry_id, stored))
    return found


feeds.register_follower(feeds.Follower(written=follow, removing=forget))
feeds.register_derived(feeds.Derived(
    category=RELATION, owners=_every_object, rows=_rows,
    refusal="lists the relations it takes part in: they change with the categories that relate objects",
))


# --- following relations ----------------------------------------------------------------------------

_COLUMNS = (RELATIONS.c.object_id, RELATIONS.c.master_id, RELATIONS.c.slave_id, RELATIONS.c.relation_type,
            RELATIONS.c.weighting, RELATIONS.c.status)


def involving(
    db: Session, organization_id: int, object_id: int, *, relation_types: Sequence[int] | None, status: int
) -> list[Any]:
    """The relations ``object_id`` is master or slave of, whose relation object is in ``status``,
    of the given types (all when None), in the relation objects' order: one query."""
    query = select(*_COLUMNS).join(OBJECTS, OBJECTS.c.id == RELATIONS.c.object_id).where(
        RELATIONS.c.organization_id == organization_id, OBJECTS.c.status == status,
        or_(RELATIONS.c.master_id == object_id, RELATIONS.c.slave_id == object_id))
    if relation_types is not None:
        query = query.where(RELATIONS.c.relation_type.in_(sorted(set(relation_types))))
    return list(db.execute(query.order_by(RELATIONS.c.object_id)).all())


@dataclass(frozen=True)
class Reached:
    level: int  # 1: depends on the object itself, 2: on one of those ...
    relation: Any  # the relation row (_COLUMNS) it was reached by


def impact(db: Session, organization_id: int, object_id: int, *, relation_types: Sequence[int] | None) -> list[Reached]:
    """What depends on ``object_id``, transitively: the slaves of its relations, their slaves and so
    on, each reached once (by its shortest path, the most important weighting first), through live
    relations of the given types. One query per level."""
    seen, frontier, level = {object_id}, [object_id], 0
    reached: list[Reached] = []
    while frontier:
        level += 1
        following: list[int] = []
        for part in chunks(frontier):
            query = select(*_COLUMNS).where(
                RELATIONS.c.organization_id == organization_id, RELATIONS.c.status == NORMAL,
                RELATIONS.c.master_id.in_(list(part)))
            if relation_types is not None:
                query = query.where(RELATIONS.c.relation_type.in_(sorted(set(relation_types))))
            for row in db.execute(query.order_by(RELATIONS.c.weighting, RELATIONS.c.object_id)).all():
                if row.slave_id not in seen:
                    seen.add(row.slave_id)
                    following.append(row.slave_id)
                    reached.append(Reached(level, row))
        frontier = following
    return reached


def linked(
    db: Session, organization_id: int, object_ids: Sequence[int], *, relation_type: int, from_master: bool
) -> dict[int, list[int]]:
    """Object → the slaves (``from_master``) or masters of its live relations of one type, in the
    relation objects' order: one query."""
    own, other = (RELATIONS.c.master_id, RELATIONS.c.slave_id) if from_master else (
        RELATIONS.c.slave_id, RELATIONS.c.master_id)
    found: dict[int, list[int]] = defaultdict(list)
    for part in chunks(sorted(set(object_ids))):
        for mine, theirs in db.execute(select(own, other).where(
                RELATIONS.c.organization_id == organization_id, RELATIONS.c.status == NORMAL,
                RELATIONS.c.relation_type == relation_type, own.in_(list(part))).order_by(RELATIONS.c.object_id)):
            if theirs not in found[mine]:
                found[mine].append(theirs)
    return found
