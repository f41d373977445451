"""Object types and object type groups as an organization sees them: the catalog's, with the
organization's own changes to them, and the ones it made (cmdb.object-type[-group].*.v2,
docs/decisions/0324). Objects keep their type's constant, so a type's number, title or group may
change without touching them."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from estate.cmdb import own
from estate.cmdb.catalog import CATALOG, ObjectType, ObjectTypeGroup
from estate.cmdb.models import CmdbObject, ObjectTypeGroupRow, ObjectTypeRow
from estate.errors import Conflict, InvalidInput, NotFound

# Types and groups an organization makes are numbered from here, clear of i-doit's and Estate's.
FIRST_OWN_TYPE, FIRST_OWN_GROUP = 1001, 1001
# What every type an organization makes shows, before its specific category.
OWN_TYPE_CATEGORIES = ("C__CATG__GLOBAL", "C__CATG__ACCOUNTING", "C__CATG__CONTACT", "C__CATG__LOGBOOK",
                       "C__CATG__FILE", "C__CATG__IMAGE", "C__CATG__RELATION", "C__CATG__PLANNING",
                       "C__CATG__LOCATION", "C__CATG__MODEL")
_CONSTANT = re.compile(r"C__[A-Z0-9_]{1,97}")
_NOT_A_CONSTANT = re.compile(r"[^A-Z0-9]+")


class TypeRefused(Conflict):
    """A change the catalog's types and groups, or types still in use, do not allow."""


def _cache_key(organization_id: int) -> tuple[str, int]:
    return ("cmdb_object_types", organization_id)


def forget_cached(db: Session, organization_id: int) -> None:
    db.info.pop(_cache_key(organization_id), None)
    own.forget(db, organization_id)


def _type_of(row: ObjectTypeRow, base: ObjectType | None) -> ObjectType:
    categories = base.categories if base else tuple(c for c in OWN_TYPE_CATEGORIES if c in CATALOG.categories)
    if row.specific_category and row.specific_category not in categories:
        categories = (*categories, row.specific_category)
    return ObjectType(
        id=row.number, const=row.const, titles={"en": row.title, "de": row.title}, group_id=row.group_number,
        icon=base.icon if base else "images/icons/silk/page_white.png",
        sysid_prefix=row.sysid_prefix or (base.sysid_prefix if base else "SYSID_"), categories=categories,
        sort=row.sort, description=row.description, color=row.color, container=row.container,
        positionable_in_rack=row.positionable_in_rack, visible=row.visible, relation_master=row.relation_master,
        overview_page=row.overview_page, specific_category=row.specific_category,
        default_template=row.default_template, custom=base is None,
    )


def _group_of(row: ObjectTypeGroupRow, base: ObjectTypeGroup | None) -> ObjectTypeGroup:
    return ObjectTypeGroup(row.number, row.const, {"en": row.title, "de": row.title}, sort=row.sort,
                           visible=row.visible, custom=base is None)


def _known(db: Session, organization_id: int) -> tuple[dict[str, ObjectType], dict[int, ObjectTypeGroup]]:
    """(const → type, number → group) the organization sees; read once per session (a request)."""
    key = _cache_key(organization_id)
    cached = db.info.get(key)
    if cached is None:
        rows = own.present(db, organization_id)
        found = dict(CATALOG.object_types)
        if rows.types:
            for type_row in db.scalars(select(ObjectTypeRow).where(ObjectTypeRow.organization_id == organization_id)):
                found[type_row.const] = _type_of(type_row, CATALOG.object_types.get(type_row.const))
        groups = dict(CATALOG.groups)
        if rows.groups:
            for group_row in db.scalars(select(ObjectTypeGroupRow)
                                        .where(ObjectTypeGroupRow.organization_id == organization_id)):
                groups[group_row.number] = _group_of(group_row, CATALOG.groups.get(group_row.number))
        cached = (found, groups)
        db.info[key] = cached
    return cached


def object_types(db: Session, organization_id: int) -> dict[str, ObjectType]:
    return _known(db, organization_id)[0]


def groups(db: Session, organization_id: int) -> dict[int, ObjectTypeGroup]:
    return _known(db, organization_id)[1]


def find(db: Session, organization_id: int, value: object) -> ObjectType | None:
    """A type by id (int or numeric string) or constant (an older spelling too)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    known = object_types(db, organization_id)
    if isinstance(value, int) or value.isdigit():
        return next((t for t in known.values() if t.id == int(value)), None)
    return known.get(CATALOG.object_type_aliases.get(value, value))


def find_group(db: Session, organization_id: int, value: object) -> ObjectTypeGroup | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    known = groups(db, organization_id)
    if isinstance(value, int) or value.isdigit():
        return known.get(int(value))
    return next((g for g in known.values() if g.const == value), None)


def title_of(db: Session, organization_id: int, type_const: str, language: str = "en") -> str:
    found = object_types(db, organization_id).get(type_const)
    return found.titles[language] if found else type_const


# --- writes ---------------------------------------------------------------------------------------------


def _constant(value: str | None, prefix: str, title: str, field: str) -> str:
    const = value if value is not None else prefix + _NOT_A_CONSTANT.sub("_", title.upper()).strip("_")
    if not _CONSTANT.fullmatch(const):
        raise InvalidInput(f"{field} must be C__ followed by upper-case letters, digits and underscores", field=field)
    return const


def _title(value: Any, field: str = "title") -> str:
    title = str(value).strip()
    if not title or len(title) > 255:
        raise InvalidInput(f"{field} must hold 1 to 255 characters", field=field)
    return title


def _next_number(db: Session, organization_id: int, model: Any, first: int) -> int:
    highest = db.scalar(select(func.max(model.number)).where(model.organization_id == organization_id))
    return max(first, (highest or 0) + 1)


TYPE_FIELDS = ("description", "specific_category", "container", "positionable_in_rack", "visible",
               "relation_master", "overview_page", "sort", "color", "default_template", "sysid_prefix")


def _apply_type(db: Session, organization_id: int, row: ObjectTypeRow, changes: dict[str, Any]) -> None:
    if "title" in changes:
        row.title = _title(changes["title"])
    if "group" in changes:
        group = find_group(db, organization_id, changes["group"])
        if group is None:
            raise InvalidInput(f"unknown object type group {changes['group']!r}", field="objectTypeGroup")
        row.group_number = group.id
    if changes.get("specific_category") is not None:
        category = CATALOG.categories.get(changes["specific_category"])
        if category is None or category.scope != "s":
            raise InvalidInput("specificCategory must name a specific category", field="specificCategory")
        changes = {**changes, "specific_category": category.const}
    for name in TYPE_FIELDS:
        if name in changes:
            setattr(row, name, changes[name])


def _row_for(db: Session, organization_id: int, object_type: ObjectType) -> ObjectTypeRow:
    """The organization's row of a type: its own, or a new one holding its changes to the catalog's."""
    row = db.scalar(select(ObjectTypeRow).where(ObjectTypeRow.organization_id == organization_id,
                                                ObjectTypeRow.const == object_type.const))
    if row is None:
        row = ObjectTypeRow(
            organization_id=organization_id, number=object_type.id, const=object_type.const,
            title=object_type.titles["en"], group_number=object_type.group_id, description=object_type.description,
            specific_category=object_type.specific_category, container=object_type.container,
            positionable_in_rack=object_type.positionable_in_rack, visible=object_type.visible,
            relation_master=object_type.relation_master, overview_page=object_type.overview_page,
            sort=object_type.sort, color=object_type.color, default_template=object_type.default_template,
            sysid_prefix=object_type.sysid_prefix)
        db.add(row)
    return row


def create_type(db: Session, organization_id: int, *, title: str, group: Any, const: str | None,
                changes: dict[str, Any]) -> ObjectType:
    title = _title(title)
    const = _constant(const, "C__OBJTYPE__SD_", title, "constant")
    if find(db, organization_id, const) is not None:
        raise TypeRefused(f"an object type with the constant {const} exists", field="constant")
    row = ObjectTypeRow(organization_id=organization_id, number=_next_number(db, organization_id, ObjectTypeRow,
                                                                               FIRST_OWN_TYPE),
                        const=const, title=title, group_number=0)
    _apply_type(db, organization_id, row, {"group": group, **changes})
    db.add(row)
    db.flush()
    forget_cached(db, organization_id)
    return _type_of(row, None)


def update_type(db: Session, organization_id: int, object_type: ObjectType, changes: dict[str, Any]) -> ObjectType:
    row = _row_for(db, organization_id, object_type)
    _apply_type(db, organization_id, row, changes)
    db.flush()
    forget_cached(db, organization_id)
    return _type_of(row, CATALOG.object_types.get(row.const))


def delete_type(db: Session, organization_id: int, object_type: ObjectType) -> None:
    if not object_type.custom:
        raise TypeRefused(f"{object_type.const} is one of i-doit's object types and cannot be deleted", field="id")
    used = db.scalar(select(func.count()).select_from(CmdbObject).where(
        CmdbObject.organization_id == organization_id, CmdbObject.type_const == object_type.const))
    if used:
        raise TypeRefused(f"{used} objects are of the type {object_type.const}", field="id")
    row = _row_for(db, organization_id, object_type)
    db.delete(row)
    db.flush()
    forget_cached(db, organization_id)


def get_type(db: Session, organization_id: int, value: object, field: str) -> ObjectType:
    found = find(db, organization_id, value)
    if found is None:
        raise NotFound(f"object type {value!r} not found", field=field)
    return found


def get_group(db: Session, organization_id: int, value: object, field: str) -> ObjectTypeGroup:
    found = find_group(db, organization_id, value)
    if found is None:
        raise NotFound(f"object type group {value!r} not found", field=field)
    return found


def _group_row(db: Session, organization_id: int, group: ObjectTypeGroup) -> ObjectTypeGroupRow:
    row = db.scalar(select(ObjectTypeGroupRow).where(ObjectTypeGroupRow.organization_id == organization_id,
                                                     ObjectTypeGroupRow.number == group.id))
    if row is None:
        row = ObjectTypeGroupRow(organization_id=organization_id, number=group.id, const=group.const,
                                 title=group.titles["en"], sort=group.sort, visible=group.visible)
        db.add(row)
    return row


def save_group(db: Session, organization_id: int, group: ObjectTypeGroup | None, *, title: str | None,
               const: str | None, sort: int | None, visible: bool | None) -> ObjectTypeGroup:
    """A new group (``group`` None), or the organization's changes to one."""
    if group is None:
        title = _title(title)
        const = _constant(const, "C__OBJTYPE_GROUP__SD_", title, "constant")
        if find_group(db, organization_id, const) is not None:
            raise TypeRefused(f"an object type group with the constant {const} exists", field="constant")
        row = ObjectTypeGroupRow(organization_id=organization_id, const=const, title=title,
                                 number=_next_number(db, organization_id, ObjectTypeGroupRow, FIRST_OWN_GROUP))
        db.add(row)
    else:
        row = _group_row(db, organization_id, group)
        if title is not None:
            row.title = _title(title)
    if sort is not None:
        row.sort = sort
    if visible is not None:
        row.visible = visible
    db.flush()
    forget_cached(db, organization_id)
    return _group_of(row, CATALOG.groups.get(row.number))


def delete_group(db: Session, organization_id: int, group: ObjectTypeGroup) -> None:
    if not group.custom:
        raise TypeRefused(f"{group.const} is one of i-doit's object type groups and cannot be deleted", field="id")
    members = [t.const for t in object_types(db, organization_id).values() if t.group_id == group.id]
    if members:
        raise TypeRefused(f"object types {', '.join(members)} are in the group {group.const}", field="id")
    db.delete(_group_row(db, organization_id, group))
    db.flush()
    forget_cached(db, organization_id)
