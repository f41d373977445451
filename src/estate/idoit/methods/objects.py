"""cmdb.object.* and cmdb.objects.read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, StrictInt, field_validator

from estate.cmdb import entries, objects, states, types
from estate.cmdb.catalog import (
    ARCHIVED,
    BIRTH,
    CATALOG,
    DELETED,
    IN_OPERATION,
    MASS_CHANGE_TEMPLATE,
    NORMAL,
    PURGED,
    TEMPLATE,
    Category,
    ObjectType,
    ObjectTypeGroup,
    State,
)
from estate.cmdb.models import CmdbObject
from estate.cmdb.values import stamps
from estate.idoit.registry import MAX_RECORD_ID, Access, Context, Params, invalid, rpc

ObjectId = Field(gt=0, le=MAX_RECORD_ID)


# What the organization's object types and groups are (types.object_types, types.groups).
Known = tuple[Mapping[str, ObjectType], Mapping[int, ObjectTypeGroup]]


def known_types(ctx: Context) -> Known:
    return types.object_types(ctx.db, ctx.organization_id), types.groups(ctx.db, ctx.organization_id)


def _type_part(type_const: str, known: Known, language: str, type_key: str) -> tuple[int, str, str, Any, str]:
    """The type's part of an object summary, the same for every object of the type:
    (type id, type title, third key, its value, image)."""
    object_type = known[0].get(type_const)
    if type_key == "objecttype":
        third: tuple[str, Any] = ("type_icon", object_type.icon if object_type else "")
    else:
        group = known[1].get(object_type.group_id) if object_type else None
        third = ("type_group_title", group.titles[language] if group else None)
    return (
        object_type.id if object_type else 0,
        object_type.titles[language] if object_type else type_const,
        *third,
        f"images/objecttypes/{type_const.removeprefix('C__OBJTYPE__').lower()}.png",
    )


def object_summaries(
    rows: Sequence[Sequence[Any]], language: str, *, type_key: str, cmdb_states: dict[int, State], known: Known
) -> list[dict[str, Any]]:
    """The summaries of cmdb.object.read (type_key "objecttype") and cmdb.objects.read ("type").
    ``rows`` hold the columns of objects.SUMMARY_COLUMNS (id, title, sysid, type const, status,
    cmdb_status, created, updated); ``cmdb_states``: states.states_of(...); ``known``: the
    organization's types and groups (known_types)."""
    state_titles = {number: state.titles[language] for number, state in cmdb_states.items()}.get
    parts: dict[str, tuple[int, str, str, Any, str]] = {}
    created = stamps([row[6] for row in rows])
    updated = stamps([row[7] for row in rows])
    shaped: list[dict[str, Any]] = []
    append = shaped.append
    for (id_, title, sysid, type_const, status, cmdb_status, _, _), created_at, updated_at in zip(
        rows, created, updated, strict=True
    ):
        part = parts.get(type_const)
        if part is None:
            part = parts[type_const] = _type_part(type_const, known, language, type_key)
        type_id, type_title, third_key, third, image = part
        # One literal per case: "updated" only when set, and "image" last, as i-doit orders them.
        if updated_at:
            append({"id": id_, "title": title, "sysid": sysid, type_key: type_id, "type_title": type_title,
                    third_key: third, "status": status, "cmdb_status": cmdb_status,
                    "cmdb_status_title": state_titles(cmdb_status, ""), "created": created_at,
                    "updated": updated_at, "image": image})
        else:
            append({"id": id_, "title": title, "sysid": sysid, type_key: type_id, "type_title": type_title,
                    third_key: third, "status": status, "cmdb_status": cmdb_status,
                    "cmdb_status_title": state_titles(cmdb_status, ""), "created": created_at, "image": image})
    return shaped


def object_shape(obj: CmdbObject, ctx: Context, *, type_key: str, cmdb_states: dict[int, State]) -> dict[str, Any]:
    """The summary of one ORM object (see object_summaries)."""
    row = (obj.id, obj.title, obj.sysid, obj.type_const, obj.status, obj.cmdb_status, obj.created, obj.updated)
    return object_summaries([row], ctx.language, type_key=type_key, cmdb_states=cmdb_states,
                            known=known_types(ctx))[0]


def record_state_param(value: Any, parameter: str) -> int:
    state = CATALOG.record_state(value)
    if state is None:
        raise invalid(parameter, f"unknown record status {value!r}")
    return state.id


def cmdb_state_param(ctx: Context, value: Any, parameter: str = "cmdb_status") -> int:
    state = states.find(ctx.db, ctx.organization_id, value)
    if state is None:
        raise invalid(parameter, f"unknown CMDB status {value!r}")
    return state.id


def get_object(ctx: Context, object_id: int) -> CmdbObject:
    return objects.get(ctx.db, ctx.organization_id, object_id)


# --- cmdb.object.create ---------------------------------------------------------------------------


class ObjectCreate(Params):
    type: StrictInt | str
    title: str = Field(min_length=1, max_length=255)
    sysid: str | None = Field(default=None, max_length=255)
    status: StrictInt | str | None = None
    cmdb_status: StrictInt | str | None = None
    category: StrictInt | str | None = None
    purpose: StrictInt | str | None = None
    description: str | None = None
    categories: dict[str, list[dict[str, Any]] | dict[str, Any]] | None = None

    @field_validator("title")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("title must not be empty")
        return value


def _created_state(params: ObjectCreate) -> int:
    if params.status is None:
        return NORMAL
    state = record_state_param(params.status, "status")
    if state not in (BIRTH, NORMAL, ARCHIVED, DELETED, TEMPLATE, MASS_CHANGE_TEMPLATE):
        raise invalid("status", f"an object cannot be created with status {params.status!r}")
    return state


@rpc("cmdb.object.create", ObjectCreate, access=Access.WRITE)
def object_create(ctx: Context, params: ObjectCreate) -> dict[str, Any]:
    object_type = types.find(ctx.db, ctx.organization_id, params.type)
    if object_type is None:
        raise invalid("type", f"unknown object type {params.type!r}")
    status = _created_state(params)
    cmdb_status = cmdb_state_param(ctx, params.cmdb_status) if params.cmdb_status is not None else IN_OPERATION
    planned = {const: rows if isinstance(rows, list) else [rows] for const, rows in (params.categories or {}).items()}
    categories = {const: entries.category_of(const, f"categories.{const}") for const in planned}
    global_data = {
        k: v
        for k, v in {"category": params.category, "purpose": params.purpose, "description": params.description}.items()
        if v is not None
    }
    obj = objects.create(
        ctx.db,
        ctx.actor,
        object_type=object_type,
        title=params.title,
        sysid=params.sysid,
        status=status,
        cmdb_status=cmdb_status,
        global_data=global_data,
    )
    created: dict[str, list[int]] = {}
    for const, rows in planned.items():
        created[const] = [entries.save(ctx.db, ctx.actor, obj, categories[const], row).id for row in rows]
    answer: dict[str, Any] = {"id": obj.id, "message": "Object was successfully created", "success": True}
    if created:
        answer["categories"] = created
    return answer


# --- cmdb.object.read / update --------------------------------------------------------------------


class ObjectRef(Params):
    id: int = ObjectId


@rpc("cmdb.object.read", ObjectRef, access=Access.READ)
def object_read(ctx: Context, params: ObjectRef) -> Any:
    obj = objects.find(ctx.db, ctx.organization_id, params.id)
    if obj is None:
        return []
    return object_shape(obj, ctx, type_key="objecttype", cmdb_states=states.states_of(ctx.db, ctx.organization_id))


class ObjectUpdate(Params):
    id: int = ObjectId
    title: str | None = Field(default=None, max_length=255)
    sysid: str | None = Field(default=None, max_length=255)
    cmdb_status: StrictInt | str | None = None


@rpc("cmdb.object.update", ObjectUpdate, access=Access.WRITE)
def object_update(ctx: Context, params: ObjectUpdate) -> dict[str, Any]:
    if params.title is None and params.sysid is None and params.cmdb_status is None:
        raise invalid("title", "title is required")
    obj = get_object(ctx, params.id)
    changes: dict[str, Any] = {}
    if params.title is not None:
        changes["title"] = params.title
    if params.sysid is not None:
        changes["sysid"] = params.sysid
    if params.cmdb_status is not None:
        changes["cmdb_status"] = cmdb_state_param(ctx, params.cmdb_status)
    objects.update(ctx.db, ctx.actor, obj, changes)
    return {"message": "Object title was successfully updated", "success": True}


# --- lifecycle ------------------------------------------------------------------------------------


class ObjectStep(Params):
    object: int | None = Field(default=None, gt=0, le=MAX_RECORD_ID)
    id: int | None = Field(default=None, gt=0, le=MAX_RECORD_ID)  # what clients of quickpurge send

    def object_id(self) -> int:
        found = self.object or self.id
        if found is None:
            raise invalid("object", "object is required")
        return found


def object_step(ctx: Context, object_id: int, target: int, done: str) -> dict[str, Any]:
    """One lifecycle step of an object (a purge is its end), as the object methods answer it."""
    obj = get_object(ctx, object_id)
    if target == PURGED:
        objects.purge(ctx.db, ctx.actor, obj)
    else:
        objects.change_state(ctx.db, ctx.actor, obj, target)
    return {"success": True, "message": f"Object {object_id} has been {done}."}


@rpc("cmdb.object.archive", ObjectStep, access=Access.WRITE)
def object_archive(ctx: Context, params: ObjectStep) -> dict[str, Any]:
    return object_step(ctx, params.object_id(), ARCHIVED, "archived")


@rpc("cmdb.object.recycle", ObjectStep, access=Access.WRITE)
def object_recycle(ctx: Context, params: ObjectStep) -> dict[str, Any]:
    return object_step(ctx, params.object_id(), NORMAL, "recycled")


@rpc("cmdb.object.purge", ObjectStep, access=Access.WRITE, aliases=("cmdb.object.quickpurge",))
def object_purge(ctx: Context, params: ObjectStep) -> dict[str, Any]:
    return object_step(ctx, params.object_id(), PURGED, "purged")


@rpc("cmdb.object.markAsTemplate", ObjectStep, access=Access.WRITE)
def object_mark_template(ctx: Context, params: ObjectStep) -> dict[str, Any]:
    return object_step(ctx, params.object_id(), TEMPLATE, "marked as template")


@rpc("cmdb.object.markAsMassChangeTemplate", ObjectStep, access=Access.WRITE)
def object_mark_mass_change_template(ctx: Context, params: ObjectStep) -> dict[str, Any]:
    return object_step(ctx, params.object_id(), MASS_CHANGE_TEMPLATE, "marked as mass change template")


class ObjectDelete(Params):
    id: int | None = Field(default=None, gt=0, le=MAX_RECORD_ID)
    object: int | None = Field(default=None, gt=0, le=MAX_RECORD_ID)
    status: str = "C__RECORD_STATUS__DELETED"


DELETE_TARGETS = {ARCHIVED: "archived", DELETED: "deleted", PURGED: "purged"}


@rpc("cmdb.object.delete", ObjectDelete, access=Access.WRITE)
def object_delete(ctx: Context, params: ObjectDelete) -> dict[str, Any]:
    object_id = params.id or params.object
    if object_id is None:
        raise invalid("id", "id is required")
    target = record_state_param(params.status, "status")
    if target not in DELETE_TARGETS:
        raise invalid("status", "status must be C__RECORD_STATUS__ARCHIVED, __DELETED or __PURGE")
    return object_step(ctx, object_id, target, DELETE_TARGETS[target])


# --- cmdb.objects.read ----------------------------------------------------------------------------

ORDER_ALIASES = {
    "isys_obj_type__id": "type",
    "isys_obj__isys_obj_type__id": "type",
    "type": "type",
    "isys_obj__title": "title",
    "title": "title",
    "isys_obj_type__title": "type_title",
    "type_title": "type_title",
    "isys_obj__sysid": "sysid",
    "sysid": "sysid",
    "isys_cats_person_list__first_name": "title",
    "first_name": "title",
    "isys_cats_person_list__last_name": "title",
    "last_name": "title",
    "isys_cats_person_list__mail_address": "title",
    "email": "title",
    "isys_obj__id": "id",
    "id": "id",
    "created": "created",
    "updated": "updated",
    "status": "status",
}
FILTER_KEYS = {
    "ids",
    "id",
    "type",
    "title",
    "type_title",
    "sysid",
    "first_name",
    "last_name",
    "email",
    "type_group",
    "status",
    "cmdb_status",
    "cmdb_status_title",
}


class ObjectsRead(Params):
    filter: dict[str, Any] | None = None
    limit: StrictInt | str | None = None
    order_by: str | None = None
    sort: str | None = None
    categories: bool | list[str] | None = None


def parse_limit(value: int | str | None) -> tuple[int, int | None]:
    """``1000`` or ``"offset,count"`` → (offset, count)."""
    if value is None:
        return 0, None
    if isinstance(value, int):
        if value < 0:
            raise invalid("limit", "limit must not be negative")
        return 0, value
    parts = [part.strip() for part in value.split(",")]
    if not all(part.isdigit() for part in parts) or len(parts) > 2:
        raise invalid("limit", 'limit must be a number or "offset,count"')
    return (0, int(parts[0])) if len(parts) == 1 else (int(parts[0]), int(parts[1]))


def _type_consts_by_title(ctx: Context, title: str) -> list[str]:
    wanted = title.strip().lower()
    return [t.const for t in types.object_types(ctx.db, ctx.organization_id).values()
            if wanted in (t.titles["en"].lower(), t.titles["de"].lower())]


def _type_group_consts(ctx: Context, value: Any) -> list[str]:
    group = types.find_group(ctx.db, ctx.organization_id, value)
    if group is None:
        raise invalid("filter.type_group", f"unknown object type group {value!r}")
    return [t.const for t in types.object_types(ctx.db, ctx.organization_id).values() if t.group_id == group.id]


def _ids(value: Any) -> list[int]:
    items = value if isinstance(value, list) else [value]
    try:
        return [int(item) for item in items if not isinstance(item, bool)]
    except (TypeError, ValueError):
        raise invalid("filter.ids", "ids must be a list of object ids") from None


def _object_type_const(ctx: Context, value: Any) -> str:
    object_type = types.find(ctx.db, ctx.organization_id, value)
    if object_type is None:
        raise invalid("filter.type", f"unknown object type {value!r}")
    return object_type.const


def build_filter(ctx: Context, raw: dict[str, Any]) -> objects.ObjectFilter:
    unknown = sorted(set(raw) - FILTER_KEYS)
    if unknown:
        raise invalid(f"filter.{unknown[0]}", f"unknown filter {unknown[0]!r}")
    found = objects.ObjectFilter()
    if "ids" in raw or "id" in raw:
        found.ids = _ids(raw.get("ids", raw.get("id")))
    consts: set[str] | None = None
    if "type" in raw:
        consts = {
            _object_type_const(ctx, item) for item in (raw["type"] if isinstance(raw["type"], list) else [raw["type"]])
        }
    if "type_title" in raw:
        titled = set(_type_consts_by_title(ctx, str(raw["type_title"])))
        consts = titled if consts is None else consts & titled
    if "type_group" in raw:
        group_consts = set(_type_group_consts(ctx, raw["type_group"]))
        consts = group_consts if consts is None else consts & group_consts
    if consts is not None:
        found.type_consts = sorted(consts)
    for key in ("title", "sysid", "first_name", "last_name", "email"):
        if key in raw:
            setattr(found, key, str(raw[key]))
    if "status" in raw:
        found.status = record_state_param(raw["status"], "filter.status")
    if "cmdb_status" in raw:
        found.cmdb_status = cmdb_state_param(ctx, raw["cmdb_status"], "filter.cmdb_status")
    if "cmdb_status_title" in raw:
        title = str(raw["cmdb_status_title"]).lower()
        known = states.states_of(ctx.db, ctx.organization_id).values()
        state = next((s for s in known if title in (t.lower() for t in s.titles.values())), None)
        if state is None:
            raise invalid("filter.cmdb_status_title", f"unknown CMDB status {raw['cmdb_status_title']!r}")
        found.cmdb_status = state.id
    return found


def _categories_of(known: Known, type_const: str) -> tuple[str, ...]:
    object_type = known[0].get(type_const)
    return object_type.categories if object_type else ()


def _wanted_categories(
    value: bool | list[str] | None, objs: list[Any], known: Known
) -> list[tuple[str, Category]]:
    """(the name the answer keys it by, category): the client's own spelling of each category."""
    if not value:
        return []
    if value is True:
        consts = {c for obj in objs for c in _categories_of(known, obj.type_const)}
        return [(c, CATALOG.categories[c]) for c in sorted(consts) if not CATALOG.categories[c].virtual]
    return [(const, entries.category_of(const, "categories")) for const in value]


@rpc("cmdb.objects.read", ObjectsRead, access=Access.READ, aliases=("cmdb.objects",))
def objects_read(ctx: Context, params: ObjectsRead) -> list[dict[str, Any]]:
    filters = build_filter(ctx, params.filter or {})
    offset, count = parse_limit(params.limit)
    order = ORDER_ALIASES.get(params.order_by or "id")
    if order is None:
        raise invalid("order_by", f"cannot order by {params.order_by!r}")
    sort = (params.sort or "ASC").upper()
    if sort not in ("ASC", "DESC"):
        raise invalid("sort", "sort must be ASC or DESC")
    if filters.ids == [] or filters.type_consts == []:
        return []
    lookup = known_types(ctx)
    cmdb_states = states.states_of(ctx.db, ctx.organization_id)
    descending = sort == "DESC"
    if not params.categories:
        # The driver's tuples, not ORM objects or Rows: a page of 1 000 is shaped straight from them.
        found = objects.list_summary_tuples(ctx.db, ctx.organization_id, filters, offset=offset, limit=count,
                                            order_by=order, descending=descending)
        return object_summaries(found, ctx.language, type_key="type", cmdb_states=cmdb_states, known=lookup)
    rows: list[Any] = objects.list_object_rows(  # rows stand in for CmdbObjects (same attributes)
        ctx.db, ctx.organization_id, filters, offset=offset, limit=count, order_by=order, descending=descending
    )
    shaped = object_summaries([row[:8] for row in rows], ctx.language, type_key="type", cmdb_states=cmdb_states,
                              known=lookup)
    return _with_categories(ctx, params, rows, shaped, lookup)


def _with_categories(
    ctx: Context, params: ObjectsRead, found: list[Any], shaped: list[dict[str, Any]], lookup: Known
) -> list[dict[str, Any]]:
    """The summaries with the entries of the categories asked (params.categories), each object's
    own only when all are asked (True)."""
    categories = _wanted_categories(params.categories, found, lookup)
    if categories:
        data = entries.read_many(ctx.db, ctx.organization_id, found, [c for _, c in categories],
                                 language=ctx.language)
        for row, obj in zip(shaped, found, strict=True):
            shown = _categories_of(lookup, obj.type_const) if params.categories is True else None
            row["categories"] = {name: data[obj.id][category.const] for name, category in categories
                                 if shown is None or name in shown}
    return shaped
