"""External identifiers (cmdb.external.*.v2, docs/decisions/0325): a data source's own ids of
objects ("datasource-1" / "windows-server100") and of their category entries ("intel-1" under
"datasource-1/windows-server100/C__CATG__CPU"), so that a discovery tool can push what it finds
again and again without knowing Estate's ids and without making anything twice.

Writes go through estate.cmdb.objects and entries: validation, dialog values by title or
constant, the logbook, search and relations work as for any other write."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from estate.cmdb import entries, objects, types
from estate.cmdb.catalog import NORMAL, OBJECT, Category
from estate.cmdb.logbook import Actor
from estate.cmdb.models import ExternalId
from estate.errors import Conflict, InvalidInput, NotFound

CREATE, UPDATE, OVERWRITE = "create", "update", "overwrite"
STRATEGIES = (CREATE, UPDATE, OVERWRITE)
INFO, DEBUG = 200, 100


class LinkRefused(Conflict):
    """An object may belong to one data source identifier, and an identifier to one object."""


@dataclass
class Messages:
    """What a push did, as i-doit reports it: a message, its level and when."""

    lines: list[dict[str, Any]]

    def say(self, message: str, level: int = INFO) -> None:
        self.lines.append({"message": message, "level": level, "datetime": datetime.now(UTC).isoformat()})


def _mapping(db: Session, organization_id: int, ext_type: str, ext_id: str) -> ExternalId | None:
    return db.scalar(select(ExternalId).where(ExternalId.organization_id == organization_id,
                                              ExternalId.ext_type == ext_type, ExternalId.ext_id == ext_id))


def _checked(value: str, field: str) -> str:
    value = value.strip()
    if not value or len(value) > 255:
        raise InvalidInput(f"{field} must hold 1 to 255 characters", field=field)
    return value


def link(db: Session, actor: Actor, *, ext_type: str, ext_id: str, object_id: int) -> str | None:
    """Tie an existing object to an identifier; answers a note when it already was."""
    ext_type, ext_id = _checked(ext_type, "extType"), _checked(ext_id, "extId")
    obj = objects.get(db, actor.organization_id, object_id)
    found = _mapping(db, actor.organization_id, ext_type, ext_id)
    if found is not None:
        if found.object_id == obj.id and found.entry_id is None:
            return "External identifier is already linked to given object."
        raise LinkRefused(f"{ext_type}/{ext_id} is linked to object {found.object_id}", field="extId")
    other = db.scalar(select(ExternalId).where(ExternalId.organization_id == actor.organization_id,
                                               ExternalId.object_id == obj.id, ExternalId.entry_id.is_(None)))
    if other is not None:
        raise LinkRefused(f"object {obj.id} is linked to {other.ext_type}/{other.ext_id}", field="objectId")
    db.add(ExternalId(organization_id=actor.organization_id, ext_type=ext_type, ext_id=ext_id, object_id=obj.id))
    db.flush()
    return None


def _object(db: Session, actor: Actor, ext_type: str, ext_id: str, title: str, type_value: Any,
            messages: Messages, field: str) -> int:
    """The object of an identifier, made (of ``type_value``, titled ``title``) when missing."""
    found = _mapping(db, actor.organization_id, ext_type, ext_id)
    if found is not None:
        if found.entry_id is not None:
            raise LinkRefused(f"{ext_type}/{ext_id} names a category entry, not an object", field=field)
        messages.say(f"Object for external id {ext_type}/{ext_id} found: {found.object_id}")
        obj = objects.get(db, actor.organization_id, found.object_id)
        if title and obj.title != title:
            objects.update(db, actor, obj, {"title": title})
        return found.object_id
    object_type = types.find(db, actor.organization_id, type_value)
    if object_type is None:
        raise InvalidInput(f"unknown object type {type_value!r}", field=f"{field}.class")
    obj = objects.create(db, actor, object_type=object_type, title=_checked(title, f"{field}.title"))
    db.add(ExternalId(organization_id=actor.organization_id, ext_type=ext_type, ext_id=ext_id, object_id=obj.id))
    db.flush()
    messages.say(f"External id {ext_type}/{ext_id} not found. Object with id {obj.id} created.")
    return obj.id


def _resolved(db: Session, actor: Actor, category: Category, values: Mapping[str, Any], messages: Messages,
              field: str) -> dict[str, Any]:
    """Object links given as another identifier ({"extType", "extId", "title", "class"}) become
    that object's id, made when missing; other values go to the category as they are."""
    resolved = dict(values)
    for key, value in values.items():
        attribute = category.attributes.get(key)
        if attribute is None or attribute.kind != OBJECT or not isinstance(value, dict) or "extId" not in value:
            continue
        if not all(isinstance(value.get(part), str) for part in ("extType", "extId")):
            raise InvalidInput("an object link by identifier needs extType and extId", field=f"{field}.{key}")
        resolved[key] = _object(db, actor, value["extType"], value["extId"], str(value.get("title") or ""),
                                value.get("class"), messages, f"{field}.{key}")
    return resolved


def _push_category(db: Session, actor: Actor, obj_id: int, scope: str, name: str, raw: Any,
                   messages: Messages) -> None:
    field = f"data.{name}"
    category = entries.category_of(name, field)
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), dict):
        raise InvalidInput(f"{name} needs a strategy and data keyed by your entry ids", field=field)
    strategy = raw.get("strategy", UPDATE)
    if strategy not in STRATEGIES:
        raise InvalidInput(f"strategy must be one of {', '.join(STRATEGIES)}", field=f"{field}.strategy")
    messages.say(f"Preparing data for category '{category.title}' using strategy {strategy}.")
    messages.say(f"Handling {'multi' if category.multi_value else 'single'} value category.", DEBUG)
    ext_type = f"{scope}/{name}"
    mapped = {m.ext_id: m for m in db.scalars(select(ExternalId).where(
        ExternalId.organization_id == actor.organization_id, ExternalId.ext_type == ext_type))}
    obj = objects.get(db, actor.organization_id, obj_id)
    for custom_id, values in raw["data"].items():
        if not isinstance(values, dict):
            raise InvalidInput(f"the data of {custom_id!r} must be an object", field=f"{field}.data.{custom_id}")
        values = _resolved(db, actor, category, values, messages, f"{field}.data.{custom_id}")
        known = mapped.get(custom_id)
        if known is not None:
            if strategy == CREATE:
                messages.say(f"Category entry {known.entry_id} exists for custom id {custom_id}: skipped.")
                continue
            entries.save(db, actor, obj, category, values, known.entry_id)
            messages.say(f"Category entry {known.entry_id} updated for custom id {custom_id}.")
            continue
        existed = None if category.multi_value else entries.single_entry_id(db, obj, category)
        entry = entries.save(db, actor, obj, category, values)
        db.add(ExternalId(organization_id=actor.organization_id, ext_type=ext_type, ext_id=_checked(
            str(custom_id), f"{field}.data"), object_id=obj.id, entry_id=entry.id))
        db.flush()
        if existed is not None:
            messages.say(f"New external id {custom_id} reference created for category entry id {entry.id}.")
        else:
            messages.say(f"New category entry {entry.id} created for custom id {custom_id}.")
    if strategy == OVERWRITE and category.multi_value:
        for custom_id, gone in mapped.items():
            if custom_id not in raw["data"] and gone.entry_id is not None:
                entry = entries.get_entry(db, obj, category, gone.entry_id)
                entries.purge(db, actor, obj, category, entry)
                messages.say(f"Category entry {gone.entry_id} of custom id {custom_id} purged: not pushed again.")
    messages.say(f"Sync {name} in object {obj_id} with import status {NORMAL}.")


def push(db: Session, actor: Actor, *, ext_type: str, ext_id: str, title: str, type_value: Any,
         data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Create or find the identifier's object, then create, update or overwrite its category
    entries by the pusher's own entry ids; the same push again changes nothing and makes nothing."""
    ext_type, ext_id = _checked(ext_type, "extType"), _checked(ext_id, "extId")
    messages = Messages([])
    object_id = _object(db, actor, ext_type, ext_id, title, type_value, messages, "params")
    for name, raw in data.items():
        _push_category(db, actor, object_id, f"{ext_type}/{ext_id}", name, raw, messages)
    return messages.lines


@dataclass(frozen=True)
class Pulled:
    ext_type: str
    ext_id: str
    object_id: int
    # category name → entry id → its identifier (only what the source pushed or linked).
    entries: dict[str, dict[int, tuple[str, str]]]


def pull(db: Session, organization_id: int, *, ext_type: str, ext_id: str | None) -> list[Pulled]:
    """What an identifier names: a source's objects, one object, or one category (and entry) of it."""
    parts = ext_type.split("/")
    source, category, entry_ext = parts[0], None, None
    if len(parts) == 3:
        source, ext_id, category, entry_ext = parts[0], parts[1], parts[2], ext_id
    elif len(parts) != 1:
        raise InvalidInput("extType is a data source, or <source>/<object id>/<category>", field="extType")
    query = select(ExternalId).where(ExternalId.organization_id == organization_id, ExternalId.ext_type == source,
                                     ExternalId.entry_id.is_(None))
    if ext_id is not None:
        query = query.where(ExternalId.ext_id == ext_id)
    found = list(db.scalars(query.order_by(ExternalId.object_id)))
    if ext_id is not None and not found:
        raise NotFound(f"external id {source}/{ext_id} not found", field="extId")
    answer = []
    for mapping in found:
        scope = f"{source}/{mapping.ext_id}/"
        rows = db.scalars(select(ExternalId).where(
            ExternalId.organization_id == organization_id, ExternalId.object_id == mapping.object_id,
            ExternalId.entry_id.is_not(None), ExternalId.ext_type.startswith(scope, autoescape=True)))
        by_category: dict[str, dict[int, tuple[str, str]]] = {}
        for row in rows:
            name = row.ext_type.removeprefix(scope)
            if (category is None or name == category) and (entry_ext is None or row.ext_id == entry_ext):
                by_category.setdefault(name, {})[row.entry_id or 0] = (row.ext_type, row.ext_id)
        answer.append(Pulled(source, mapping.ext_id, mapping.object_id, by_category))
    return answer
