"""Category entries that another domain keeps for the CMDB (docs/decisions/0520-0522).

Two kinds, each registered by the domain that owns the data, so that the CMDB imports nothing
above it (as object listeners are registered with estate.cmdb.objects):

- A **Feed** writes stored entries of some categories from reports (the inventory writes a
  machine's model, CPU, memory, drives, ports, addresses and operating system into its device
  object), as a bulk diff: one SELECT of the batch's fed entries, then a fixed number of bulk
  statements for only what changed (``sync``). Persons may save the same entries through the API.
- A **Derived** category answers, for some objects, rows of the owning domain instead of stored
  entries (an inventoried machine's software assignment is read from the inventory's links);
  those entries cannot be written through the CMDB.

Who set a fed value is kept in two reserved keys of an entry's values, which no read shape shows:
  _<source>    {"key": the entry's identity among its object's entries of that category,
                "seen": the values the source last reported for it}   (``_inventory``)
  _sources     attribute → the source's name or "person"
Precedence: a value a person saves owns its attribute and the source never overwrites it; a person
hands the attribute back by saving it empty (null or ""), and the next report fills it.

A source may fill an object attribute with a title where no CMDB object exists (a software title
reported by an agent): such values are shown as an object summary without an id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import TextualSelect, Update, bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from estate.cmdb import logbook, search
from estate.cmdb.catalog import CATALOG, DIALOG, NORMAL, OBJECT, PURGED, Category
from estate.cmdb.dialogs import next_numbers
from estate.cmdb.logbook import Actor
from estate.cmdb.models import DIALOGS, ENTRIES, LOGBOOK, OBJECTS
from estate.db.base import chunks
from estate.errors import Conflict

PERSON = "person"
SOURCES = "_sources"

# category → identity of the entry → attribute → value as reported (dialogs as titles).
Reported = dict[str, dict[str, dict[str, Any]]]


@dataclass(frozen=True)
class Feed:
    """A source that writes the stored entries of ``categories`` from its reports."""

    source: str  # the name the logbook and the provenance keys give it
    categories: frozenset[str]
    logbook_source: str = "C__LOGBOOK_SOURCE__IMPORT"

    @property
    def meta(self) -> str:
        return f"_{self.source}"


# Owner id → (entry id, values) rows of the owner's entries of a derived category.
DerivedRows = dict[int, list[tuple[int, dict[str, Any]]]]


@dataclass(frozen=True)
class Derived:
    """A category whose entries are read from another domain's rows for the objects it owns."""

    category: str
    # Object id → the id of the row that owns its entries (a machine id), for the owned objects
    # among the given ones; one query.
    owners: Callable[[Session, int, Sequence[int]], dict[int, int]]
    # Object id → its entries as (entry id, values), for objects given as object id → owner id.
    rows: Callable[[Session, int, Mapping[int, int]], DerivedRows]
    # Why a write is refused, after "<category> of object <id> ".
    refusal: str


@dataclass(frozen=True)
class Written:
    """An entry as written (or whose state changed): what a follower of entries is told."""

    entry_id: int
    object_id: int
    category_const: str
    status: int
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Follower:
    """Rows kept beside entries (the CMDB's relations), told of a feed's bulk writes as the
    single-entry writes tell them: entries written, and entries about to be purged."""

    written: Callable[[Session, Actor, Sequence[Written]], None]
    removing: Callable[[Session, Actor, Sequence[int]], None]


_feeds: dict[str, Feed] = {}
_reserved: set[str] = {SOURCES}
_derived: dict[str, Derived] = {}
_followers: list[Follower] = []


def register_follower(follower: Follower) -> Follower:
    _followers.append(follower)
    return follower


def register_feed(feed: Feed) -> Feed:
    for const in feed.categories:
        _feeds[const] = feed
    _reserved.add(feed.meta)
    return feed


def register_derived(derived: Derived) -> Derived:
    _derived[derived.category] = derived
    return derived


def derived(category_const: str) -> Derived | None:
    return _derived.get(category_const)


class DerivedEntries(Conflict):
    """A write to entries another domain derives: they change with that domain's data."""


def refuse_derived_writes(db: Session, obj: Any, category: Category) -> None:
    found = _derived.get(category.const)
    if found is not None and found.owners(db, obj.organization_id, [obj.id]):
        raise DerivedEntries(f"{category.const} of object {obj.id} {found.refusal}", field="category")


# --- provenance of a person's save --------------------------------------------------------------


def public(values: Mapping[str, Any]) -> dict[str, Any]:
    """An entry's attribute values without the provenance keys."""
    return {name: value for name, value in values.items() if name not in _reserved}


def handing_back(category: Category, data: Mapping[str, Any]) -> dict[str, Any]:
    """A person's save with "" read as null in fed categories: an empty value hands the attribute
    back (a dialog cannot hold "")."""
    if category.const not in _feeds:
        return dict(data)
    return {name: None if isinstance(value, str) and not value.strip() else value for name, value in data.items()}


def claim(category: Category, data: Mapping[str, Any], after: dict[str, Any]) -> None:
    """Record what a person saved: each value given owns its attribute, each null hands it back
    (and forgets what the source reported for it, so that the next report writes it again)."""
    feed = _feeds.get(category.const)
    if feed is None:
        return
    sources = dict(after.get(SOURCES) or {})
    meta = after.get(feed.meta)
    seen = dict(meta.get("seen") or {}) if isinstance(meta, dict) else None
    for name, value in data.items():
        if value is None:
            sources.pop(name, None)
            if seen is not None:
                seen.pop(name, None)
        else:
            sources[name] = PERSON
    after[SOURCES] = sources
    if isinstance(meta, dict):
        after[feed.meta] = {**meta, "seen": seen}


# --- titles in object attributes ----------------------------------------------------------------

# The object type an object attribute of these categories names (for titles shown as objects).
TITLED_TYPES = {"C__CATG__OPERATING_SYSTEM": "C__OBJTYPE__OPERATING_SYSTEM"}
DEFAULT_TITLED_TYPE = "C__OBJTYPE__APPLICATION"


def title_object(category_const: str, title: str, language: str) -> dict[str, Any]:
    """An object attribute filled with a title: shaped as an object summary without an id."""
    type_const = TITLED_TYPES.get(category_const, DEFAULT_TITLED_TYPE)
    object_type = CATALOG.object_types.get(type_const)
    return {"id": None, "title": title, "sysid": "", "type": type_const,
            "type_title": object_type.titles[language] if object_type else type_const}


def title_texts(category: Category, values: Mapping[str, Any]) -> list[str]:
    """The titles put into object attributes, for the search document."""
    return [value for name, value in values.items()
            if isinstance(value, str) and name in category.attributes and category.attributes[name].kind == OBJECT]


# --- a feed's bulk diff -----------------------------------------------------------------------------


@dataclass
class _Stored:
    id: int
    status: int
    values: dict[str, Any]


@dataclass
class _Change:
    object_id: int
    category: Category
    key: str
    entry_id: int | None  # None: a new entry
    before: dict[str, Any]
    reported: dict[str, Any] | None  # None: no longer reported, released to the person who owns part of it
    after: dict[str, Any] | None = None
    status: int = NORMAL


@cache
def _stored_statement(dialect: str) -> TextualSelect:
    # SQLite, without statistics or with stale ones, prefers an (organization_id, ...) index and
    # reads all of an organization's entries; a batch's entries are found by object.
    hint = " INDEXED BY ix_cmdb_category_entries_object_category" if dialect == "sqlite" else ""
    return text(
        f'SELECT id, object_id, category_const, status, "values" FROM cmdb_category_entries{hint}'  # noqa: S608
        " WHERE organization_id = :org AND object_id IN :object_ids AND category_const IN :consts ORDER BY id"
    ).bindparams(
        bindparam("object_ids", expanding=True), bindparam("consts", expanding=True)
    ).columns(ENTRIES.c.id, ENTRIES.c.object_id, ENTRIES.c.category_const, ENTRIES.c.status, ENTRIES.c["values"])


@cache
def _update_statement() -> Update:
    return update(ENTRIES).where(ENTRIES.c.id == bindparam("entry_id")).values(
        {ENTRIES.c["values"]: bindparam("new_values", type_=ENTRIES.c["values"].type),
         ENTRIES.c.updated: bindparam("now", type_=ENTRIES.c.updated.type)}
    )


class _Diff:
    """The diff of one batch of one feed's reports against the stored entries."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed

    def seen(self, values: Mapping[str, Any]) -> dict[str, Any] | None:
        meta = values.get(self.feed.meta)
        return meta.get("seen") if isinstance(meta, dict) else None

    def stored(self, db: Session, organization_id: int, object_ids: list[int]) -> dict[tuple[int, str], list[_Stored]]:
        stored: dict[tuple[int, str], list[_Stored]] = defaultdict(list)
        statement = _stored_statement(db.get_bind().dialect.name)
        consts = sorted(self.feed.categories)
        for part in chunks(object_ids):
            rows = db.connection().execute(
                statement, {"org": organization_id, "object_ids": list(part), "consts": consts}
            )
            for entry_id, object_id, const, status, values in rows:
                stored[(object_id, const)].append(_Stored(entry_id, status, values or {}))
        return stored

    def differs(self, values: Mapping[str, Any], reported: Mapping[str, Any]) -> bool:
        """Whether a report changes an entry: compared with what the source last reported, on the
        attributes no person owns. Nothing is looked up when nothing changed."""
        seen = self.seen(values)
        if seen is None:
            return True
        sources = values.get(SOURCES) or {}
        for name in set(seen) | set(reported):
            if sources.get(name) == PERSON:
                continue
            if reported.get(name) != seen.get(name) or (name in reported and name not in values):
                return True
        return False

    def plan(
        self, stored: Mapping[tuple[int, str], list[_Stored]], reported: Mapping[int, Reported]
    ) -> tuple[list[_Change], list[tuple[int, str, _Stored]]]:
        changes: list[_Change] = []
        removals: list[tuple[int, str, _Stored]] = []
        meta = self.feed.meta
        for object_id, categories in reported.items():
            for const, wanted in categories.items():
                category = CATALOG.categories[const]
                have = stored.get((object_id, const), [])
                if category.multi_value:
                    ours = {cast(dict, e.values[meta])["key"]: e for e in have if isinstance(e.values.get(meta), dict)}
                else:  # the object's one entry, whoever wrote it
                    ours = {"": have[0]} if have else {}
                for key, raw in wanted.items():
                    entry = ours.pop(key, None)
                    if entry is None:
                        changes.append(_Change(object_id, category, key, None, {}, raw))
                    elif self.differs(entry.values, raw):
                        changes.append(_Change(object_id, category, key, entry.id, entry.values, raw,
                                               status=entry.status))
                for key, entry in ours.items():
                    if self.seen(entry.values) is None:
                        continue  # a person's entry the source never wrote
                    if PERSON in (entry.values.get(SOURCES) or {}).values():
                        changes.append(_Change(object_id, category, key, entry.id, entry.values, None,
                                               status=entry.status))
                    else:
                        removals.append((object_id, const, entry))
        return changes, removals

    def names(self, change: _Change) -> set[str]:
        """The attributes a change may write: reported or formerly reported, and no person's."""
        sources = change.before.get(SOURCES) or {}
        names = set(self.seen(change.before) or {}) | set(change.reported or {})
        return {name for name in names if sources.get(name) != PERSON}

    def needs(self, changes: Sequence[_Change]) -> set[tuple[str, str, tuple[str, str] | None]]:
        needs = set()
        for change in changes:
            reported = change.reported or {}
            for name in self.names(change):
                if name in reported and change.category.attributes[name].kind == DIALOG:
                    needs.add(_dialog_need(change.category, name, reported))
        return needs

    def after(self, change: _Change, dialogs: _Dialogs) -> dict[str, Any]:
        reported = change.reported or {}
        sources = dict(change.before.get(SOURCES) or {})
        after = public(change.before)
        for name in self.names(change):
            if name in reported:
                value = reported[name]
                if change.category.attributes[name].kind == DIALOG:
                    value = dialogs.id_of(*_dialog_need(change.category, name, reported))
                after[name] = value
                sources[name] = self.feed.source
            else:
                after.pop(name, None)
                sources.pop(name, None)
        after[SOURCES] = sources
        if change.reported is not None:
            after[self.feed.meta] = {"key": change.key, "seen": reported}
        return after


def _parent_title(category: Category, attribute_dialog: str, reported: Mapping[str, Any]) -> str | None:
    parent = CATALOG.dependent_dialogs.get(attribute_dialog)
    if parent is None:
        return None
    for name, attribute in category.attributes.items():
        if attribute.dialog == parent and isinstance(reported.get(name), str):
            return cast(str, reported[name])
    return None


class _Dialogs:
    """Dialog entries named by a batch's changes, found or created in a fixed number of statements."""

    def __init__(self, db: Session, organization_id: int) -> None:
        self.db = db
        self.organization_id = organization_id
        self.ids: dict[tuple[str, str, int | None], int] = {}
        self.titles: dict[int, str] = {}

    def _load(self, dialogs: set[str], titles: set[str]) -> None:
        statement = select(DIALOGS.c.id, DIALOGS.c.dialog, DIALOGS.c.title, DIALOGS.c.parent_id).where(
            DIALOGS.c.organization_id == self.organization_id, DIALOGS.c.dialog.in_(sorted(dialogs)),
            func.lower(DIALOGS.c.title).in_(sorted(titles)),
        ).order_by(DIALOGS.c.id)
        for entry_id, dialog, title, parent_id in self.db.connection().execute(statement):
            self._remember(entry_id, dialog, title, parent_id)

    def _remember(self, entry_id: int, dialog: str, title: str, parent_id: int | None) -> None:
        self.ids.setdefault((dialog, title.lower(), parent_id), entry_id)
        self.titles[entry_id] = title

    def _create(self, wanted: Iterable[tuple[str, str, int | None]]) -> None:
        rows: dict[tuple[str, str, int | None], dict[str, Any]] = {}
        for dialog, title, parent_id in wanted:
            if (dialog, title.lower(), parent_id) not in self.ids:
                rows.setdefault((dialog, title.lower(), parent_id), {
                    "organization_id": self.organization_id, "dialog": dialog, "title": title, "parent_id": parent_id,
                })
        if rows:
            numbers = next_numbers(self.db, self.organization_id, [row["dialog"] for row in rows.values()])
            for row in rows.values():
                row["number"] = numbers[row["dialog"]]
                numbers[row["dialog"]] += 1
            statement = insert(DIALOGS).returning(DIALOGS.c.id, DIALOGS.c.dialog, DIALOGS.c.title, DIALOGS.c.parent_id)
            for entry_id, dialog, title, parent_id in self.db.connection().execute(statement, list(rows.values())):
                self._remember(entry_id, dialog, title, parent_id)

    def resolve(self, needs: set[tuple[str, str, tuple[str, str] | None]]) -> None:
        """Every (dialog, title, parent) of ``needs``; parents (dialog, title) come first."""
        if not needs:
            return
        parents = {parent for _, _, parent in needs if parent is not None}
        dialogs = {dialog for dialog, _, _ in needs} | {dialog for dialog, _ in parents}
        self._load(dialogs, {title.lower() for _, title, _ in needs} | {title.lower() for _, title in parents})
        self._create([(dialog, title, None) for dialog, title, parent in needs if parent is None]
                     + [(dialog, title, None) for dialog, title in parents])
        self._create([(dialog, title, self.ids[(parent[0], parent[1].lower(), None)])
                      for dialog, title, parent in needs if parent is not None])

    def id_of(self, dialog: str, title: str, parent: tuple[str, str] | None) -> int:
        parent_id = self.ids[(parent[0], parent[1].lower(), None)] if parent else None
        return self.ids[(dialog, title.lower(), parent_id)]

    def learn_titles(self, changes: Sequence[_Change]) -> None:
        """Titles of the dialog values persons chose in the changed entries, for their documents."""
        unknown = {
            value
            for change in changes
            for name, value in public(change.after or {}).items()
            if name in change.category.attributes and change.category.attributes[name].kind == DIALOG
            and isinstance(value, int) and value not in self.titles
        }
        if unknown:
            statement = select(DIALOGS.c.id, DIALOGS.c.title).where(
                DIALOGS.c.organization_id == self.organization_id, DIALOGS.c.id.in_(sorted(unknown)))
            self.titles.update({entry_id: title for entry_id, title in self.db.connection().execute(statement)})


def _dialog_need(category: Category, name: str, reported: Mapping[str, Any]) -> tuple[str, str, tuple[str, str] | None]:
    dialog = category.attributes[name].dialog
    parent_title = _parent_title(category, dialog, reported)
    parent_dialog = CATALOG.dependent_dialogs.get(dialog)
    parent = (parent_dialog, parent_title) if parent_dialog and parent_title else None
    return dialog, str(reported[name]), parent


def _document(category: Category, values: Mapping[str, Any], titles: Mapping[int, str]) -> str:
    parts = []
    for name, value in public(values).items():
        attribute = category.attributes.get(name)
        if attribute is None or value in (None, ""):
            continue
        if attribute.kind == DIALOG:
            parts.append(titles.get(value, "") if isinstance(value, int) else "")
        elif attribute.kind == OBJECT or attribute.data_type in ("text", "text_area"):
            parts.append(value if isinstance(value, str) else "")
    return search.document_text(parts)


def _insert_entries(db: Session, organization_id: int, feed: Feed, new: Sequence[_Change], now: datetime) -> None:
    if not new:
        return
    statement = insert(ENTRIES).returning(
        ENTRIES.c.id, ENTRIES.c.object_id, ENTRIES.c.category_const, ENTRIES.c["values"]
    )
    rows = [{"organization_id": organization_id, "object_id": change.object_id,
             "category_const": change.category.const, "status": NORMAL, "values": change.after,
             "created": now, "updated": now} for change in new]
    # Rows come back in any order from one multi-row INSERT: matched by object, category and key.
    by_identity = {(change.object_id, change.category.const, change.key): change for change in new}
    for entry_id, object_id, const, values in db.connection().execute(statement, rows):
        by_identity[(object_id, const, values[feed.meta]["key"])].entry_id = entry_id


def _touch_objects(db: Session, feed: Feed, object_ids: set[int], now: datetime) -> dict[int, tuple[str, int]]:
    """Mark the changed objects as changed by the source; answers id → (title, status)."""
    statement = (
        update(OBJECTS).where(OBJECTS.c.id.in_(sorted(object_ids)))
        .values(updated=now, updated_by=feed.source).returning(OBJECTS.c.id, OBJECTS.c.title, OBJECTS.c.status)
    )
    return {object_id: (title, status) for object_id, title, status in db.connection().execute(statement)}


def _log(
    db: Session,
    organization_id: int,
    feed: Feed,
    objects: Mapping[int, tuple[str, int]],
    lines: Sequence[tuple[int, str, int, str, dict[str, Any]]],
    now: datetime,
) -> None:
    rows = [
        {"organization_id": organization_id, "object_id": object_id, "object_title": objects[object_id][0],
         "object_status": objects[object_id][1], "category_const": const, "entry_id": entry_id, "event": event,
         "username": feed.source, "changes": changes, "source": feed.logbook_source, "created": now}
        for object_id, const, entry_id, event, changes in lines
    ]
    if rows:
        db.connection().execute(insert(LOGBOOK), rows)


def sync(
    db: Session, feed: Feed, *, organization_id: int, reported: Mapping[int, Reported], now: datetime
) -> None:
    """Bring the fed entries of objects (object id → what the source reports for it, by category)
    to their report. A category a report leaves out keeps its entries. Unchanged objects cost one
    SELECT for the whole batch; changes are a fixed number of bulk statements, logged as the source."""
    if not reported:
        return
    planner = _Diff(feed)
    stored = planner.stored(db, organization_id, sorted(reported))
    changes, removals = planner.plan(stored, reported)
    if not changes and not removals:
        return
    dialogs = _Dialogs(db, organization_id)
    dialogs.resolve(planner.needs(changes))
    for change in changes:
        change.after = planner.after(change, dialogs)
    dialogs.learn_titles(changes)
    changed_ids = [change.entry_id for change in changes if change.entry_id is not None]
    updates = [{"entry_id": change.entry_id, "new_values": change.after, "now": now}
               for change in changes if change.entry_id is not None]
    _insert_entries(db, organization_id, feed, [change for change in changes if change.entry_id is None], now)
    if updates:
        db.connection().execute(_update_statement(), updates)
    gone = [entry.id for _, _, entry in removals]
    actor = Actor(organization_id, None, feed.source)
    for follower in _followers:
        follower.removing(db, actor, gone)
    for part in chunks(gone):
        db.connection().execute(delete(ENTRIES).where(ENTRIES.c.id.in_(list(part))))
    # Documents of new entries are only written; those of changed and removed ones go first.
    search.remove_entries(db, changed_ids + gone)
    search.index_entries(db, organization_id=organization_id, fresh=True, documents={
        cast(int, change.entry_id): _document(change.category, change.after or {}, dialogs.titles) for change in changes
    })
    written = [Written(cast(int, change.entry_id), change.object_id, change.category.const, change.status,
                       public(change.after or {})) for change in changes]
    for follower in _followers:
        follower.written(db, actor, written)
    lines = [(change.object_id, change.category.const, cast(int, change.entry_id), logbook.CATEGORY_CHANGED, diff)
             for change in changes
             if (diff := logbook.changes_between(public(change.before), public(change.after or {})))]
    lines += [(object_id, const, entry.id, logbook.CATEGORY_PURGED, {"status": {"from": entry.status, "to": PURGED}})
              for object_id, const, entry in removals]
    touched = {line[0] for line in lines}
    if touched:
        _log(db, organization_id, feed, _touch_objects(db, feed, touched, now), lines, now)
