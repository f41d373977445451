"""Catalog and reporting methods: object types and groups, categories of a type, category_info,
CMDB states, reports, condition queries, the location tree and the logbook."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field, StrictInt, StrictStr
from sqlalchemy import and_, func, or_, select

from estate.cmdb import entries, logbook, objects, reports
from estate.cmdb.catalog import CATALOG, CMDB_STATUS, DIALOG, NORMAL, OBJECT, OBJECT_TYPE, Attribute, Category
from estate.cmdb.models import CategoryEntry, CmdbObject, DialogEntry
from estate.idoit.methods.categories import _by_id_or_const
from estate.idoit.methods.objects import fmt, get_object, object_shape, parse_limit, record_state_param
from estate.idoit.registry import Context, Params, invalid, rpc

# --- object types ---------------------------------------------------------------------------------


class ObjectTypesParams(Params):
    filter: dict[str, Any] | None = None
    limit: StrictInt | str | None = None
    countobjects: bool = False
    raw: bool = False


def _matching_types(raw: dict[str, Any]) -> list:
    types = list(CATALOG.object_types.values())
    if "id" in raw:
        wanted = CATALOG.object_type(raw["id"])
        types = [t for t in types if wanted is not None and t.id == wanted.id]
    if "ids" in raw:
        ids = {CATALOG.object_type(v).id for v in raw["ids"] if CATALOG.object_type(v)}  # type: ignore[union-attr]
        types = [t for t in types if t.id in ids]
    titles = [raw["title"]] if "title" in raw else raw.get("titles")
    if titles:
        wanted_titles = {str(t).lower() for t in titles}
        types = [
            t
            for t in types
            if {
                f"lc__cmdb__objtype__{t.const.removeprefix('C__OBJTYPE__').lower()}",
                *map(str.lower, t.titles.values()),
            }
            & wanted_titles
        ]
    return types


@rpc("cmdb.object_types.read", ObjectTypesParams, aliases=("cmdb.object_types",))
def object_types(ctx: Context, params: ObjectTypesParams) -> list[dict[str, Any]]:
    offset, count = parse_limit(params.limit)
    found = _matching_types(params.filter or {})
    found = found[offset : offset + count if count is not None else None]
    counts = objects.count_by_type(ctx.db, ctx.organization_id) if params.countobjects else {}
    answer = []
    for object_type in found:
        group = CATALOG.groups[object_type.group_id]
        row = {
            "id": str(object_type.id),
            "title": object_type.titles[ctx.language],
            "container": "1" if object_type.const in ("C__OBJTYPE__BUILDING", "C__OBJTYPE__ROOM") else "0",
            "const": object_type.const,
            "color": "A2BCFA",
            "image": f"images/objecttypes/{object_type.const.removeprefix('C__OBJTYPE__').lower()}.png",
            "icon": object_type.icon,
            "tree_group": str(group.id),
            "status": "2",
            "type_group": str(group.id),
            "type_group_title": group.titles[ctx.language],
        }
        if params.countobjects:
            row["objectcount"] = str(counts.get(object_type.const, 0))
        answer.append(row)
    return answer


class GroupsParams(Params):
    filter: dict[str, Any] | None = None
    limit: StrictInt | str | None = None
    raw: bool = False


@rpc("cmdb.object_type_groups.read", GroupsParams, aliases=("cmdb.object_type_groups",))
def object_type_groups(ctx: Context, params: GroupsParams) -> list[dict[str, Any]]:
    raw = params.filter or {}
    groups = list(CATALOG.groups.values())
    if "id" in raw:
        groups = [g for g in groups if str(g.id) == str(raw["id"])]
    if "ids" in raw:
        groups = [g for g in groups if g.id in {int(v) for v in raw["ids"] if str(v).isdigit()}]
    titles = [raw["title"]] if "title" in raw else raw.get("titles")
    if titles:
        wanted = {str(t).lower() for t in titles}
        groups = [
            g for g in groups if {"lc__cmdb__" + g.const.removeprefix("C__").lower(), g.titles["en"].lower()} & wanted
        ]
    offset, count = parse_limit(params.limit)
    groups = groups[offset : offset + count if count is not None else None]
    return [{"id": str(g.id), "title": g.titles[ctx.language], "const": g.const, "status": "2"} for g in groups]


class TypeCategoriesParams(Params):
    type: StrictInt | StrictStr
    raw: bool = False


@rpc("cmdb.object_type_categories.read", TypeCategoriesParams, aliases=("cmdb.object_type_categories",))
def object_type_categories(ctx: Context, params: TypeCategoriesParams) -> dict[str, Any]:
    object_type = CATALOG.object_type(params.type)
    if object_type is None:
        raise invalid("type", f"unknown object type {params.type!r}")
    answer: dict[str, list[dict[str, Any]]] = {"catg": [], "cats": []}
    for const in object_type.categories:
        category = CATALOG.categories[const]
        answer["catg" if category.scope == "g" else "cats"].append(
            {
                "id": str(category.id),
                "title": CATALOG.translate(category.title, ctx.language),
                "const": category.const,
                "multi_value": "1" if category.multi_value else "0",
                "source_table": f"isys_cat{category.scope}_{const.split('__')[-1].lower()}",
            }
        )
    return {key: rows for key, rows in answer.items() if rows}


# --- cmdb.category_info ---------------------------------------------------------------------------

PLAIN_TYPES = {
    "text": ("text", "text", "text"),
    "text_area": ("text_area", "text_area", "textarea"),
    "int": ("int", "int", "text"),
    "float": ("float", "float", "text"),
    "double": ("double", "double", "text"),
    "date": ("date", "date", "datetime"),
    "date_time": ("datetime", "date_time", "datetime"),
}


def attribute_types(attribute: Attribute) -> tuple[str, str, str]:
    """(info.type, data.type, ui.type) — what cmdb.category.read returns for the attribute."""
    if attribute.kind == DIALOG:
        return "dialog_plus", "int", "popup"
    if attribute.kind == OBJECT:
        return "object_browser", "int", "popup"
    if attribute.kind in (OBJECT_TYPE, CMDB_STATUS):
        return "dialog", "int", "dialog"
    return PLAIN_TYPES.get(attribute.data_type, ("text", "text", "text"))


def attribute_info(category: Category, attribute: Attribute, language: str) -> dict[str, Any]:
    info_type, data_type, ui_type = attribute_types(attribute)
    title = CATALOG.translate(attribute.title, language)
    data: dict[str, Any] = {"type": data_type, "readonly": False, "index": False, "field": attribute.key}
    ui: dict[str, Any] = {"type": ui_type, "params": {}, "default": None, "id": f"{category.const}__{attribute.key}"}
    if attribute.reference:
        data["references"] = [attribute.reference.removesuffix("__id"), attribute.reference]
        data["source_table"] = attribute.reference.removesuffix("__id")
    if attribute.kind == DIALOG:
        ui["params"] = {"p_strPopupType": "dialog_plus", "p_strTable": attribute.dialog}
    elif attribute.kind == OBJECT:
        ui["params"] = {"p_strPopupType": "browser_object_ng"}
    return {
        "title": title,
        "check": {"mandatory": False},
        "info": {"primary_field": False, "type": info_type, "backward": False, "title": title, "description": title},
        "data": data,
        "ui": ui,
    }


class CategoryInfoParams(Params):
    category: StrictStr | None = None
    catgID: StrictInt | StrictStr | None = None  # noqa: N815 - the API's own name
    catsID: StrictInt | StrictStr | None = None  # noqa: N815


@rpc("cmdb.category_info.read", CategoryInfoParams, aliases=("cmdb.category_info",))
def category_info(ctx: Context, params: CategoryInfoParams) -> dict[str, Any]:
    if params.category is not None:
        category = entries.category_of(params.category)
    elif params.catgID is not None:
        category = _by_id_or_const("g", params.catgID, "catgID")
    elif params.catsID is not None:
        category = _by_id_or_const("s", params.catsID, "catsID")
    else:
        raise invalid("category", "category (or catgID / catsID) is required")
    return {key: attribute_info(category, a, ctx.language) for key, a in category.attributes.items()}


# --- cmdb.status ----------------------------------------------------------------------------------


@rpc("cmdb.status.read", aliases=("cmdb.status",))
def status_read(ctx: Context, params: Params) -> list[dict[str, Any]]:
    return [
        {"id": s.id, "title": s.titles[ctx.language], "constant": s.const, "color": s.color, "editable": s.editable}
        for s in CATALOG.cmdb_states.values()
    ]


# --- cmdb.reports ---------------------------------------------------------------------------------


class ReportsParams(Params):
    id: StrictInt | StrictStr | None = None
    limit: int | None = Field(default=None, ge=0)
    offset: int = Field(default=0, ge=0)


@rpc("cmdb.reports.read", ReportsParams, aliases=("cmdb.reports",))
def reports_read(ctx: Context, params: ReportsParams) -> list[dict[str, Any]]:
    if params.id is None:
        return [
            {
                "id": str(r.id),
                "category": r.category,
                "title": r.title,
                "description": r.description,
                "created": fmt(r.created),
            }
            for r in reports.list_reports(ctx.db, ctx.organization_id)
        ]
    if isinstance(params.id, str) and not params.id.isdigit():
        raise invalid("id", "id must be a report id")
    report = reports.get(ctx.db, ctx.organization_id, int(params.id))
    return reports.run(ctx.db, report, offset=params.offset, limit=params.limit, language=ctx.language)


# --- cmdb.condition -------------------------------------------------------------------------------

COMPARISONS = {
    "=": lambda c, v: c == v,
    "!=": lambda c, v: c != v,
    "<>": lambda c, v: c != v,
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
    "like": lambda c, v: c.like(v),
    "not like": lambda c, v: c.not_like(v),
}
OBJECT_COLUMNS = {"title": CmdbObject.title, "sysid": CmdbObject.sysid, "id": CmdbObject.id}


class Condition(Params):
    property: StrictStr
    comparison: StrictStr
    value: StrictStr | StrictInt | float


class ConditionParams(Params):
    conditions: list[Condition] = Field(min_length=1)
    operator: StrictStr = "AND"


def _pattern(comparison: str, value: Any) -> Any:
    return str(value).replace("*", "%") if "like" in comparison else value


def _condition(ctx: Context, index: int, condition: Condition):  # type: ignore[no-untyped-def]
    parameter = f"conditions.{index}"
    const, _, key = condition.property.partition("-")
    category = entries.category_of(const, f"{parameter}.property")
    attribute = category.attributes.get(key)
    if attribute is None:
        raise invalid(f"{parameter}.property", f"category {const} has no attribute {key!r}")
    compare = COMPARISONS.get(condition.comparison.lower())
    if compare is None:
        raise invalid(f"{parameter}.comparison", f"unknown comparison {condition.comparison!r}")
    value = _pattern(condition.comparison.lower(), condition.value)
    if category.const == objects.GLOBAL and key == "type":
        object_type = CATALOG.object_type(condition.value)
        return compare(CmdbObject.type_const, object_type.const if object_type else str(condition.value))
    if category.const == objects.GLOBAL and key in OBJECT_COLUMNS:
        return compare(OBJECT_COLUMNS[key], value)
    if category.const == objects.GLOBAL and key == "cmdb_status":
        state = CATALOG.cmdb_state(condition.value)
        return compare(CmdbObject.cmdb_status, state.id if state else -1)
    stored = CategoryEntry.values[key].as_string()
    if attribute.kind == DIALOG:
        titles = select(func.cast(DialogEntry.id, CategoryEntry.id.type)).where(
            DialogEntry.organization_id == ctx.organization_id,
            DialogEntry.dialog == attribute.dialog,
            compare(DialogEntry.title, value),
        )
        stored_id = CategoryEntry.values[key].as_integer()
        matching = stored_id.in_(titles)
    else:
        matching = compare(stored, str(value) if not isinstance(value, str) else value)
    return CmdbObject.id.in_(
        select(CategoryEntry.object_id).where(
            CategoryEntry.organization_id == ctx.organization_id,
            CategoryEntry.category_const == category.const,
            CategoryEntry.status == NORMAL,
            matching,
        )
    )


@rpc("cmdb.condition.read", ConditionParams, aliases=("cmdb.condition",))
def condition_read(ctx: Context, params: ConditionParams) -> list[dict[str, Any]]:
    operator = params.operator.upper()
    if operator not in ("AND", "OR"):
        raise invalid("operator", "operator must be AND or OR")
    clauses = [_condition(ctx, i, c) for i, c in enumerate(params.conditions)]
    joined = and_(*clauses) if operator == "AND" else or_(*clauses)
    query = (
        select(CmdbObject)
        .where(CmdbObject.organization_id == ctx.organization_id, CmdbObject.status == NORMAL, joined)
        .order_by(CmdbObject.id)
        .limit(10000)
    )
    return [object_shape(obj, ctx.language, type_key="type") for obj in ctx.db.scalars(query)]


# --- cmdb.location_tree ---------------------------------------------------------------------------


class LocationTreeParams(Params):
    id: int = Field(gt=0)


@rpc("cmdb.location_tree.read", LocationTreeParams, aliases=("cmdb.location_tree",))
def location_tree(ctx: Context, params: LocationTreeParams) -> list[dict[str, Any]]:
    get_object(ctx, params.id)
    answer = []
    for child in objects.children_in_location(ctx.db, ctx.organization_id, params.id):
        shaped = object_shape(child, ctx.language, type_key="type")
        answer.append(
            {
                key: shaped[key]
                for key in ("id", "title", "sysid", "type", "type_title", "status", "cmdb_status", "cmdb_status_title")
            }
        )
    return answer


# --- cmdb.logbook ---------------------------------------------------------------------------------


class LogbookParams(Params):
    id: int | None = Field(default=None, gt=0)
    object_id: int | None = Field(default=None, gt=0)
    catg_logbook_id: int | None = None
    since: StrictStr | StrictInt | None = None
    status: StrictInt | StrictStr | None = None
    limit: int = Field(default=1000, ge=1, le=10000)


def _since(value: str | int | None) -> datetime | None:
    if value is None:
        return None
    text = str(value).strip()
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise invalid("since", "since must be a unix timestamp or a date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@rpc("cmdb.logbook.read", LogbookParams, aliases=("cmdb.logbook",))
def logbook_read(ctx: Context, params: LogbookParams) -> list[dict[str, Any]]:
    status = record_state_param(params.status, "status") if params.status is not None else None
    rows = logbook.read(
        ctx.db,
        ctx.organization_id,
        entry_id=params.id,
        object_id=params.object_id,
        since=_since(params.since),
        status=status,
        limit=params.limit,
    )
    return [
        {
            "logbook_id": str(row.id),
            "logbook_catg_id": str(row.id),
            "comment": row.comment,
            "description": "",
            "changes": {f"{row.category_const or 'object'}::{key}": change for key, change in row.changes.items()},
            "date": fmt(row.created),
            "username": row.username,
            "event": row.event,
            "object_id": str(row.object_id) if row.object_id is not None else None,
            "object_title": row.object_title,
            "object_title_static": "",
            "source": "Internal",
            "source_constant": "C__LOGBOOK_SOURCE__INTERNAL",
            "level_id": "1",
        }
        for row in rows
    ]
