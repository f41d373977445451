"""The API v2 endpoints that system.endpoints.read.v2 lists (docs/decisions/0324, 0325).

v2 validates strictly, as i-doit's does: every parameter has its one JSON type (an integer id is
no numeric string) and a parameter no endpoint knows is refused (-32602 naming it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, StrictBool, StrictInt, StrictStr

from estate.cmdb import entries, external, objects, states, types
from estate.cmdb.catalog import ARCHIVED, CATALOG, DELETED, NORMAL, PURGED, ObjectType, ObjectTypeGroup
from estate.cmdb.values import stamp
from estate.idoit.methods.meta import report_rows
from estate.idoit.methods.objects import get_object, known_types, object_step, object_summaries
from estate.idoit.registry import MAX_RECORD_ID, METHODS, Access, Context, Params, rpc
from estate.reporting import service as report_service

ENDPOINTS = json.loads((Path(__file__).parent.parent / "v2-endpoints.json").read_text(encoding="utf-8"))["endpoints"]
Id = Field(gt=0, le=MAX_RECORD_ID)


class V2Params(Params):
    """Strict parameters: unknown ones are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    apikey: StrictStr | None = None
    language: StrictStr | None = None


@rpc("system.endpoints.read.v2", V2Params, access=Access.READ)
def endpoints(ctx: Context, params: V2Params) -> dict[str, Any]:
    return {name: described for name, described in ENDPOINTS.items() if name in METHODS}


# --- objects and category entries -------------------------------------------------------------------


class ObjectIdParams(V2Params):
    id: StrictInt = Id


@rpc("cmdb.object.archive.v2", ObjectIdParams, access=Access.WRITE)
def object_archive(ctx: Context, params: ObjectIdParams) -> dict[str, Any]:
    return object_step(ctx, params.id, ARCHIVED, "archived")


@rpc("cmdb.object.delete.v2", ObjectIdParams, access=Access.WRITE)
def object_delete(ctx: Context, params: ObjectIdParams) -> dict[str, Any]:
    return object_step(ctx, params.id, DELETED, "deleted")


@rpc("cmdb.object.purge.v2", ObjectIdParams, access=Access.WRITE)
def object_purge(ctx: Context, params: ObjectIdParams) -> dict[str, Any]:
    return object_step(ctx, params.id, PURGED, "purged")


@rpc("cmdb.object.restore.v2", ObjectIdParams, access=Access.WRITE)
def object_restore(ctx: Context, params: ObjectIdParams) -> dict[str, Any]:
    return object_step(ctx, params.id, NORMAL, "restored")


class EntryParams(V2Params):
    object: StrictInt = Id
    category: StrictStr
    entry: StrictInt = Id


def _entry_step(ctx: Context, params: EntryParams, target: int, done: str) -> dict[str, Any]:
    category = entries.category_of(params.category)
    obj = get_object(ctx, params.object)
    entry = entries.get_entry(ctx.db, obj, category, params.entry)
    if target == PURGED:
        entries.purge(ctx.db, ctx.actor, obj, category, entry)
    else:
        entries.change_state(ctx.db, ctx.actor, obj, category, entry, target)
    return {"success": True, "message": f"Entry {params.entry} of {params.category} has been {done}."}


@rpc("cmdb.category.archive.v2", EntryParams, access=Access.WRITE)
def category_archive(ctx: Context, params: EntryParams) -> dict[str, Any]:
    return _entry_step(ctx, params, ARCHIVED, "archived")


@rpc("cmdb.category.delete.v2", EntryParams, access=Access.WRITE)
def category_delete(ctx: Context, params: EntryParams) -> dict[str, Any]:
    return _entry_step(ctx, params, DELETED, "deleted")


@rpc("cmdb.category.purge.v2", EntryParams, access=Access.WRITE)
def category_purge(ctx: Context, params: EntryParams) -> dict[str, Any]:
    return _entry_step(ctx, params, PURGED, "purged")


# --- object type groups -------------------------------------------------------------------------------


def _group_shape(group: ObjectTypeGroup, language: str) -> dict[str, Any]:
    return {"id": group.id, "constant": group.const, "title": group.titles[language],
            "titleRaw": CATALOG.groups[group.id].titles["en"] if group.id in CATALOG.groups else group.titles["en"],
            "sort": group.sort, "status": NORMAL, "visible": group.visible, "deletable": group.custom}


def _wanted(value: Any) -> list[Any] | None:
    return None if value is None else value if isinstance(value, list) else [value]


class GroupRead(V2Params):
    id: StrictInt | list[StrictInt] | None = None
    constant: StrictStr | list[StrictStr] | None = None
    visible: StrictBool | None = None


@rpc("cmdb.object-type-group.read.v2", GroupRead, access=Access.READ)
def group_read(ctx: Context, params: GroupRead) -> list[dict[str, Any]]:
    ids, consts = _wanted(params.id), _wanted(params.constant)
    found = sorted(types.groups(ctx.db, ctx.organization_id).values(), key=lambda g: (g.sort, g.id))
    return [_group_shape(g, ctx.language) for g in found
            if (ids is None or g.id in ids) and (consts is None or g.const in consts)
            and (params.visible is None or g.visible == params.visible)]


class GroupCreate(V2Params):
    title: StrictStr
    constant: StrictStr | None = None
    sort: StrictInt | None = None
    visible: StrictBool | None = None


@rpc("cmdb.object-type-group.create.v2", GroupCreate, access=Access.WRITE)
def group_create(ctx: Context, params: GroupCreate) -> dict[str, Any]:
    group = types.save_group(ctx.db, ctx.organization_id, None, title=params.title, const=params.constant,
                             sort=params.sort, visible=params.visible)
    return {"success": True, "id": group.id,
            "message": f"Object type group '{group.titles['en']}' (#{group.id}) successfully created."}


class GroupChange(V2Params):
    title: StrictStr | None = None
    sort: StrictInt | None = None
    visible: StrictBool | None = None


class GroupUpdate(GroupChange):
    id: StrictInt = Id


class GroupUpdateByConstant(GroupChange):
    constant: StrictStr


def _group_update(ctx: Context, group: ObjectTypeGroup, params: GroupChange) -> ObjectTypeGroup:
    return types.save_group(ctx.db, ctx.organization_id, group, title=params.title, const=None, sort=params.sort,
                            visible=params.visible)


@rpc("cmdb.object-type-group.update.v2", GroupUpdate, access=Access.WRITE)
def group_update(ctx: Context, params: GroupUpdate) -> dict[str, Any]:
    group = _group_update(ctx, types.get_group(ctx.db, ctx.organization_id, params.id, "id"), params)
    return {"success": True, "id": group.id, "message": f"Object type group #{group.id} successfully updated."}


@rpc("cmdb.object-type-group.update-by-constant.v2", GroupUpdateByConstant, access=Access.WRITE)
def group_update_by_constant(ctx: Context, params: GroupUpdateByConstant) -> dict[str, Any]:
    group = _group_update(ctx, types.get_group(ctx.db, ctx.organization_id, params.constant, "constant"), params)
    return {"success": True, "id": group.id, "constant": group.const,
            "message": f"Object type group #{group.id} successfully updated."}


class ConstantParams(V2Params):
    constant: StrictStr


@rpc("cmdb.object-type-group.delete.v2", ObjectIdParams, access=Access.WRITE)
def group_delete(ctx: Context, params: ObjectIdParams) -> dict[str, Any]:
    types.delete_group(ctx.db, ctx.organization_id, types.get_group(ctx.db, ctx.organization_id, params.id, "id"))
    return {"success": True, "id": params.id, "message": f"Object type group #{params.id} has been deleted."}


@rpc("cmdb.object-type-group.delete-by-constant.v2", ConstantParams, access=Access.WRITE)
def group_delete_by_constant(ctx: Context, params: ConstantParams) -> dict[str, Any]:
    group = types.get_group(ctx.db, ctx.organization_id, params.constant, "constant")
    types.delete_group(ctx.db, ctx.organization_id, group)
    return {"success": True, "id": group.id, "constant": group.const,
            "message": f"Object type group #{group.id} has been deleted."}


# --- object types ---------------------------------------------------------------------------------------


def _type_shape(ctx: Context, object_type: ObjectType, with_categories: bool) -> dict[str, Any]:
    group = types.groups(ctx.db, ctx.organization_id).get(object_type.group_id)
    shaped: dict[str, Any] = {
        "id": object_type.id, "constant": object_type.const, "title": object_type.titles[ctx.language],
        "description": object_type.description,
        "objectTypeGroup": {"id": group.id, "constant": group.const, "title": group.titles[ctx.language]}
        if group else None,
        "specificCategory": object_type.specific_category, "isContainer": object_type.container,
        "isPositionableInRack": object_type.positionable_in_rack, "isVisible": object_type.visible,
        "isRelationMaster": object_type.relation_master, "hasOverviewPage": object_type.overview_page,
        "sort": object_type.sort, "color": object_type.color, "defaultTemplate": object_type.default_template,
        "sysidPrefix": object_type.sysid_prefix, "status": NORMAL, "deletable": object_type.custom,
    }
    if with_categories:
        listed = [CATALOG.categories[c] for c in object_type.categories if c in CATALOG.categories]
        shaped["categories"] = {"global": [c.const for c in listed if c.scope == "g"],
                                "specific": [c.const for c in listed if c.scope == "s"]}
    return shaped


class TypeRead(V2Params):
    id: StrictInt | list[StrictInt] | None = None
    constant: StrictStr | list[StrictStr] | None = None
    visible: StrictBool | None = None
    with_categories: StrictBool = Field(default=False, alias="with-categories")


@rpc("cmdb.object-type.read.v2", TypeRead, access=Access.READ)
def type_read(ctx: Context, params: TypeRead) -> list[dict[str, Any]]:
    ids, consts = _wanted(params.id), _wanted(params.constant)
    found = sorted(types.object_types(ctx.db, ctx.organization_id).values(), key=lambda t: t.id)
    return [_type_shape(ctx, t, params.with_categories) for t in found
            if (ids is None or t.id in ids) and (consts is None or t.const in consts)
            and (params.visible is None or t.visible == params.visible)]


class TypeChange(V2Params):
    title: StrictStr | None = None
    objectTypeGroup: StrictInt | StrictStr | None = None  # noqa: N815 - the API's own names
    description: StrictStr | None = None
    specificCategory: StrictStr | None = None  # noqa: N815
    isContainer: StrictBool | None = None  # noqa: N815
    isPositionableInRack: StrictBool | None = None  # noqa: N815
    isVisible: StrictBool | None = None  # noqa: N815
    isRelationMaster: StrictBool | None = None  # noqa: N815
    hasOverviewPage: StrictBool | None = None  # noqa: N815
    sort: StrictInt | None = None
    color: StrictStr | None = Field(default=None, max_length=7)
    defaultTemplate: StrictInt | StrictStr | None = None  # noqa: N815
    sysidPrefix: StrictStr | None = Field(default=None, max_length=20)  # noqa: N815

    def changes(self) -> dict[str, Any]:
        given = {
            "title": self.title, "group": self.objectTypeGroup, "description": self.description,
            "specific_category": self.specificCategory, "container": self.isContainer,
            "positionable_in_rack": self.isPositionableInRack, "visible": self.isVisible,
            "relation_master": self.isRelationMaster, "overview_page": self.hasOverviewPage, "sort": self.sort,
            "color": self.color, "sysid_prefix": self.sysidPrefix,
            "default_template": None if self.defaultTemplate is None else str(self.defaultTemplate),
        }
        return {name: value for name, value in given.items() if value is not None}


class TypeCreate(TypeChange):
    title: StrictStr
    objectTypeGroup: StrictInt | StrictStr  # noqa: N815
    constant: StrictStr | None = None


@rpc("cmdb.object-type.create.v2", TypeCreate, access=Access.WRITE)
def type_create(ctx: Context, params: TypeCreate) -> dict[str, Any]:
    changes = params.changes()
    created = types.create_type(ctx.db, ctx.organization_id, title=changes.pop("title"), group=changes.pop("group"),
                                const=params.constant, changes=changes)
    return {"success": True, "id": created.id,
            "message": f"Object type '{created.titles['en']}' (#{created.id}) successfully created."}


class TypeUpdate(TypeChange):
    id: StrictInt = Id


class TypeUpdateByConstant(TypeChange):
    constant: StrictStr


@rpc("cmdb.object-type.update.v2", TypeUpdate, access=Access.WRITE)
def type_update(ctx: Context, params: TypeUpdate) -> dict[str, Any]:
    object_type = types.get_type(ctx.db, ctx.organization_id, params.id, "id")
    updated = types.update_type(ctx.db, ctx.organization_id, object_type, params.changes())
    return {"success": True, "id": updated.id, "message": f"Object type #{updated.id} successfully updated."}


@rpc("cmdb.object-type.update-by-constant.v2", TypeUpdateByConstant, access=Access.WRITE)
def type_update_by_constant(ctx: Context, params: TypeUpdateByConstant) -> dict[str, Any]:
    object_type = types.get_type(ctx.db, ctx.organization_id, params.constant, "constant")
    updated = types.update_type(ctx.db, ctx.organization_id, object_type, params.changes())
    return {"success": True, "id": updated.id, "constant": updated.const,
            "message": f"Object type #{updated.id} successfully updated."}


@rpc("cmdb.object-type.delete.v2", ObjectIdParams, access=Access.WRITE)
def type_delete(ctx: Context, params: ObjectIdParams) -> dict[str, Any]:
    types.delete_type(ctx.db, ctx.organization_id, types.get_type(ctx.db, ctx.organization_id, params.id, "id"))
    return {"success": True, "id": params.id, "message": f"Object type #{params.id} has been deleted."}


@rpc("cmdb.object-type.delete-by-constant.v2", ConstantParams, access=Access.WRITE)
def type_delete_by_constant(ctx: Context, params: ConstantParams) -> dict[str, Any]:
    object_type = types.get_type(ctx.db, ctx.organization_id, params.constant, "constant")
    types.delete_type(ctx.db, ctx.organization_id, object_type)
    return {"success": True, "id": object_type.id, "constant": object_type.const,
            "message": f"Object type #{object_type.id} has been deleted."}


# --- reports: the report definitions cmdb.reports.read and the Reporting API share ---------------------


@rpc("cmdb.report.list.v2", V2Params, access=Access.READ)
def report_list(ctx: Context, params: V2Params) -> list[dict[str, Any]]:
    return [{"id": r.id, "category": r.category, "title": r.title, "description": r.description,
             # A stock report as shipped was never modified (i-doit answers null for its own).
             "created": stamp(r.created), "modified": None if r.stock else stamp(r.modified)}
            for r in report_service.definitions_of(ctx.db, organization_id=ctx.organization_id)]


class ReportRead(V2Params):
    id: StrictInt = Id
    offset: StrictInt = Field(default=0, ge=0)
    limit: StrictInt | None = Field(default=None, ge=0)


@rpc("cmdb.report.read.v2", ReportRead, access=Access.READ)
def report_read(ctx: Context, params: ReportRead) -> list[dict[str, Any]]:
    return report_rows(ctx, params.id, offset=params.offset, limit=params.limit)


# --- external identifiers -------------------------------------------------------------------------------


class ExternalLink(V2Params):
    extType: StrictStr  # noqa: N815 - the API's own names
    extId: StrictStr  # noqa: N815
    objectId: StrictInt = Id  # noqa: N815


@rpc("cmdb.external.link.v2", ExternalLink, access=Access.WRITE)
def external_link(ctx: Context, params: ExternalLink) -> dict[str, Any]:
    note = external.link(ctx.db, ctx.actor, ext_type=params.extType, ext_id=params.extId, object_id=params.objectId)
    return {"success": True, "message": note} if note else {"success": True}


class ExternalPush(V2Params):
    extType: StrictStr  # noqa: N815
    extId: StrictStr  # noqa: N815
    title: StrictStr
    class_: StrictStr = Field(alias="class")
    data: dict[str, Any]


@rpc("cmdb.external.push.v2", ExternalPush, access=Access.WRITE)
def external_push(ctx: Context, params: ExternalPush) -> dict[str, Any]:
    messages = external.push(ctx.db, ctx.actor, ext_type=params.extType, ext_id=params.extId, title=params.title,
                             type_value=params.class_, data=params.data)
    return {"messages": messages, "success": True}


class ExternalPull(V2Params):
    extType: StrictStr  # noqa: N815
    extId: StrictStr | None = None  # noqa: N815


@rpc("cmdb.external.pull.v2", ExternalPull, access=Access.READ)
def external_pull(ctx: Context, params: ExternalPull) -> list[dict[str, Any]]:
    pulled = external.pull(ctx.db, ctx.organization_id, ext_type=params.extType, ext_id=params.extId)
    rows = objects.rows_by_id(ctx.db, ctx.organization_id, [p.object_id for p in pulled])
    summaries = {s["id"]: s for s in object_summaries(
        [rows[p.object_id][:8] for p in pulled], ctx.language, type_key="objecttype",
        cmdb_states=states.states_of(ctx.db, ctx.organization_id), known=known_types(ctx))}
    categories = {name: entries.category_of(name, "extType") for p in pulled for name in p.entries}
    data = entries.read_many(ctx.db, ctx.organization_id, [rows[p.object_id] for p in pulled],
                             list({c.const: c for c in categories.values()}.values()), language=ctx.language)
    answer = []
    for p in pulled:
        summary = summaries[p.object_id]
        shaped: dict[str, Any] = {"extId": p.ext_id, "extType": p.ext_type,
                                  **{k: summary[k] for k in ("id", "title", "sysid", "objecttype", "type_title",
                                                             "type_icon", "status", "cmdb_status")}}
        shaped["data"] = {
            name: [{"extId": ids[int(row["id"])][1], "extType": ids[int(row["id"])][0], **row}
                   for row in data[p.object_id][categories[name].const] if int(row["id"]) in ids]
            for name, ids in p.entries.items()
        }
        answer.append(shaped)
    return answer
