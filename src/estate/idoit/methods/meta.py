"""Catalog and reporting methods: object types and groups, categories of a type, category_info,
CMDB states, reports, condition queries, the location tree and the logbook."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from itertools import islice
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictInt, StrictStr
from sqlalchemy import ColumnElement, and_, func, or_, select

from estate.auth.permissions import Caller
from estate.cmdb import entries, logbook, objects, states, types, values
from estate.cmdb.catalog import (
    CATALOG,
    CMDB_STATUS,
    CONVERT,
    DIALOG,
    NORMAL,
    OBJECT,
    OBJECT_TYPE,
    YES_NO,
    Attribute,
    Category,
)
from estate.cmdb.models import CategoryEntry, CmdbObject, DialogEntry
from estate.idoit.methods.categories import category_by_id_or_const
from estate.idoit.methods.objects import get_object, object_shape, parse_limit, record_state_param
from estate.idoit.registry import MAX_RECORD_ID, Access, Context, Params, invalid, rpc
from estate.reporting import formats as report_formats
from estate.reporting import service as report_service
from estate.reporting.engine import tabulate

# --- object types ---------------------------------------------------------------------------------


class TypeFilter(Params):
    """`filter` of the object type and group lists: an id or constant, several, a title or several."""

    id: StrictInt | StrictStr | None = None
    ids: list[StrictInt | StrictStr] | None = None
    title: StrictStr | None = None
    titles: list[StrictStr] | None = None

    def wanted_titles(self) -> list[str] | None:
        return [self.title] if self.title is not None else self.titles


def _no_filter_as_none(value: Any) -> Any:
    """PHP clients send an empty filter as `[]` (PHP's empty array)."""
    return None if value == [] else value


NoFilter = BeforeValidator(_no_filter_as_none)


class ObjectTypesParams(Params):
    filter: Annotated[TypeFilter | None, NoFilter] = None
    limit: StrictInt | str | None = None
    countobjects: bool = False
    raw: bool = False


def _matching_types(ctx: Context, raw: TypeFilter) -> list:
    found_types = list(types.object_types(ctx.db, ctx.organization_id).values())
    if raw.id is not None:
        wanted = types.find(ctx.db, ctx.organization_id, raw.id)
        found_types = [t for t in found_types if wanted is not None and t.id == wanted.id]
    if raw.ids is not None:
        ids = {found.id for found in (types.find(ctx.db, ctx.organization_id, v) for v in raw.ids) if found}
        found_types = [t for t in found_types if t.id in ids]
    titles = raw.wanted_titles()
    if titles:
        wanted_titles = {str(t).lower() for t in titles}
        found_types = [
            t
            for t in found_types
            if {
                f"lc__cmdb__objtype__{t.const.removeprefix('C__OBJTYPE__').lower()}",
                *map(str.lower, t.titles.values()),
            }
            & wanted_titles
        ]
    return found_types


@rpc("cmdb.object_types.read", ObjectTypesParams, access=Access.READ, aliases=("cmdb.object_types",))
def object_types(ctx: Context, params: ObjectTypesParams) -> list[dict[str, Any]]:
    offset, count = parse_limit(params.limit)
    found = _matching_types(ctx, params.filter or TypeFilter())
    found = found[offset : offset + count if count is not None else None]
    counts = objects.count_by_type(ctx.db, ctx.organization_id) if params.countobjects else {}
    known_groups = types.groups(ctx.db, ctx.organization_id)
    answer = []
    for object_type in found:
        group = known_groups.get(object_type.group_id) or CATALOG.groups[3]
        row = {
            "id": str(object_type.id),
            "title": object_type.titles[ctx.language],
            "container": "1" if object_type.container else "0",
            "const": object_type.const,
            "color": object_type.color.removeprefix("#").upper(),
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
    filter: Annotated[TypeFilter | None, NoFilter] = None
    limit: StrictInt | str | None = None
    raw: bool = False


@rpc("cmdb.object_type_groups.read", GroupsParams, access=Access.READ, aliases=("cmdb.object_type_groups",))
def object_type_groups(ctx: Context, params: GroupsParams) -> list[dict[str, Any]]:
    raw = params.filter or TypeFilter()
    groups = list(types.groups(ctx.db, ctx.organization_id).values())
    if raw.id is not None:
        groups = [g for g in groups if str(g.id) == str(raw.id)]
    if raw.ids is not None:
        groups = [g for g in groups if g.id in {int(v) for v in raw.ids if str(v).isdigit()}]
    titles = raw.wanted_titles()
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


@rpc("cmdb.object_type_categories.read", TypeCategoriesParams, access=Access.READ,
     aliases=("cmdb.object_type_categories",))
def object_type_categories(ctx: Context, params: TypeCategoriesParams) -> dict[str, Any]:
    object_type = types.find(ctx.db, ctx.organization_id, params.type)
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
    "date": ("date", "date_time", "datetime"),
    "date_time": ("datetime", "date_time", "datetime"),
}


def attribute_types(attribute: Attribute) -> tuple[str, str, str]:
    """(info.type, data.type, ui.type) — what cmdb.category.read returns for the attribute."""
    if attribute.shape == YES_NO:
        return "dialog", "int", "dialog"
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
    answer = {
        "title": title,
        "check": {"mandatory": False},
        "info": {"primary_field": False, "type": info_type, "backward": False, "title": title, "description": title},
        "data": data,
        "ui": ui,
    }
    if attribute.shape == CONVERT:
        answer["format"] = {"callback": ["isys_export_helper", "convert", [attribute.key]]}
    elif attribute.shape == YES_NO:
        answer["format"] = {"callback": ["isys_export_helper", "get_yes_or_no"]}
    return answer


class CategoryInfoParams(Params):
    category: StrictStr | None = None
    catgID: StrictInt | StrictStr | None = None  # noqa: N815 - the API's own name
    catsID: StrictInt | StrictStr | None = None  # noqa: N815


@rpc("cmdb.category_info.read", CategoryInfoParams, access=Access.READ, aliases=("cmdb.category_info",))
def category_info(ctx: Context, params: CategoryInfoParams) -> dict[str, Any]:
    if params.category is not None:
        category = entries.category_of(params.category)
    elif params.catgID is not None:
        category = category_by_id_or_const("g", params.catgID, "catgID")
    elif params.catsID is not None:
        category = category_by_id_or_const("s", params.catsID, "catsID")
    else:
        raise invalid("category", "category (or catgID / catsID) is required")
    return {key: attribute_info(category, a, ctx.language) for key, a in category.attributes.items()}


# --- cmdb.status ----------------------------------------------------------------------------------


@rpc("cmdb.status.read", access=Access.READ, aliases=("cmdb.status",))
def status_read(ctx: Context, params: Params) -> list[dict[str, Any]]:
    return [
        {"id": s.id, "title": s.titles[ctx.language], "constant": s.const, "color": s.color, "editable": s.editable}
        for s in states.states_of(ctx.db, ctx.organization_id).values()
    ]


class StatusSave(Params):
    id: StrictInt | None = Field(default=None, gt=0, le=MAX_RECORD_ID)
    title: StrictStr
    constant: StrictStr
    color: StrictStr


@rpc("cmdb.status.save", StatusSave, access=Access.WRITE)
def status_save(ctx: Context, params: StatusSave) -> dict[str, Any]:
    number, created = states.save(
        ctx.db, ctx.organization_id, number=params.id, title=params.title, const=params.constant, color=params.color
    )
    return {"success": True, "message": "Status created" if created else "Status saved", "id": number}


class StatusDelete(Params):
    id: StrictInt = Field(gt=0, le=MAX_RECORD_ID)


@rpc("cmdb.status.delete", StatusDelete, access=Access.WRITE)
def status_delete(ctx: Context, params: StatusDelete) -> dict[str, Any]:
    states.delete(ctx.db, ctx.organization_id, params.id)
    return {"success": True, "message": "Status purged"}


# --- cmdb.reports ---------------------------------------------------------------------------------


class ReportsParams(Params):
    id: StrictInt | StrictStr | None = None
    limit: int | None = Field(default=None, ge=0)
    offset: int = Field(default=0, ge=0)


@rpc("cmdb.reports.read", ReportsParams, access=Access.READ, aliases=("cmdb.reports",))
def reports_read(ctx: Context, params: ReportsParams) -> list[dict[str, Any]]:
    """The report definitions both faces share (estate.reporting); with `id`, that report's rows as
    i-doit answers them: one object per row keyed by column title, values as text."""
    if params.id is None:
        return [
            {
                "id": str(row.id),
                "category": row.category,
                "title": row.title,
                "description": row.description,
                "created": values.stamp(row.created),
            }
            for row in report_service.definitions_of(ctx.db, organization_id=ctx.organization_id)
        ]
    if isinstance(params.id, str) and not params.id.isdigit():
        raise invalid("id", "id must be a report id")
    return report_rows(ctx, int(params.id), offset=params.offset, limit=params.limit)


def report_rows(ctx: Context, report_id: int, *, offset: int, limit: int | None) -> list[dict[str, Any]]:
    """A report's rows as i-doit answers them (cmdb.reports.read, cmdb.report.read.v2)."""
    row = report_service.find(ctx.db, organization_id=ctx.organization_id, key=report_id)
    table = tabulate(ctx.db, report_service.definition_of(row), _caller(ctx))
    chosen = islice(table.rows, offset, None if limit is None else offset + limit)
    return [{column: _text(value) for column, value in zip(table.columns, item, strict=True)} for item in chosen]


def _caller(ctx: Context) -> Caller:
    """The RPC caller as the report engine's walls see it: the API key alone sees everything."""
    identity = ctx.identity
    if identity is None or identity.grants is None or identity.account is None:
        return report_service.administrator(ctx.organization_id)
    return Caller(account_id=identity.account.id, organization_id=ctx.organization_id, org_account_id=0,
                  login=identity.account.login, grants=identity.grants)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    plain = report_formats.plain(value)
    return plain if isinstance(plain, str) else str(plain)


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


def condition_clause(ctx: Context, index: int, condition: Condition) -> ColumnElement[bool]:
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
        object_type = types.find(ctx.db, ctx.organization_id, condition.value)
        return compare(CmdbObject.type_const, object_type.const if object_type else str(condition.value))
    if category.const == objects.GLOBAL and key in OBJECT_COLUMNS:
        return compare(OBJECT_COLUMNS[key], value)
    if category.const == objects.GLOBAL and key == "cmdb_status":
        state = states.find(ctx.db, ctx.organization_id, condition.value)
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


@rpc("cmdb.condition.read", ConditionParams, access=Access.READ, aliases=("cmdb.condition",))
def condition_read(ctx: Context, params: ConditionParams) -> list[dict[str, Any]]:
    operator = params.operator.upper()
    if operator not in ("AND", "OR"):
        raise invalid("operator", "operator must be AND or OR")
    clauses = [condition_clause(ctx, i, c) for i, c in enumerate(params.conditions)]
    joined = and_(*clauses) if operator == "AND" else or_(*clauses)
    query = (
        select(CmdbObject)
        .where(CmdbObject.organization_id == ctx.organization_id, CmdbObject.status == NORMAL, joined)
        .order_by(CmdbObject.id)
        .limit(10000)
    )
    known = states.states_of(ctx.db, ctx.organization_id)
    return [object_shape(obj, ctx, type_key="type", cmdb_states=known) for obj in ctx.db.scalars(query)]


# --- cmdb.location_tree ---------------------------------------------------------------------------


class LocationTreeParams(Params):
    id: int = Field(gt=0, le=MAX_RECORD_ID)


@rpc("cmdb.location_tree.read", LocationTreeParams, access=Access.READ, aliases=("cmdb.location_tree",))
def location_tree(ctx: Context, params: LocationTreeParams) -> list[dict[str, Any]]:
    get_object(ctx, params.id)
    known = states.states_of(ctx.db, ctx.organization_id)
    answer = []
    for child in objects.children_in_location(ctx.db, ctx.organization_id, params.id):
        shaped = object_shape(child, ctx, type_key="type", cmdb_states=known)
        answer.append(
            {
                key: shaped[key]
                for key in ("id", "title", "sysid", "type", "type_title", "status", "cmdb_status", "cmdb_status_title")
            }
        )
    return answer


# --- cmdb.logbook ---------------------------------------------------------------------------------


class LogbookParams(Params):
    id: int | None = Field(default=None, gt=0, le=MAX_RECORD_ID)
    object_id: int | None = Field(default=None, gt=0, le=MAX_RECORD_ID)
    catg_logbook_id: int | None = None
    since: StrictStr | StrictInt | None = None
    status: StrictInt | StrictStr | None = None
    limit: int = Field(default=1000, ge=1, le=10000)


def since(value: str | int | None, parameter: str = "since") -> datetime | None:
    """A moment given as a unix timestamp or a date (time), in UTC."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise invalid(parameter, f"{parameter} must be a unix timestamp or a date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@rpc("cmdb.logbook.read", LogbookParams, access=Access.READ, aliases=("cmdb.logbook",))
def logbook_read(ctx: Context, params: LogbookParams) -> list[dict[str, Any]]:
    status = record_state_param(params.status, "status") if params.status is not None else None
    rows = logbook.read(
        ctx.db,
        ctx.organization_id,
        entry_id=params.id,
        object_id=params.object_id,
        since=since(params.since),
        status=status,
        limit=params.limit,
    )
    return [
        {
            "logbook_id": str(row.id),
            "logbook_catg_id": str(row.id),
            "comment": row.comment,
            "description": row.description,
            "message": row.message,
            "changes": {f"{row.category_const or 'object'}::{key}": change for key, change in row.changes.items()},
            "date": values.stamp(row.created),
            "username": row.username,
            "event": row.event,
            "object_id": str(row.object_id) if row.object_id is not None else None,
            "object_title": row.object_title,
            "object_title_static": "",
            "source": LOGBOOK_SOURCES.get(row.source, (0, row.source))[1],
            "source_constant": row.source,
            "level_id": str(row.alert_level),
        }
        for row in rows
    ]


LOGBOOK_SOURCES = {
    "C__LOGBOOK_SOURCE__INTERNAL": (1, "Internal"),
    "C__LOGBOOK_SOURCE__EXTERNAL": (2, "External"),
    "C__LOGBOOK_SOURCE__USER": (3, "Manual entries"),
    "C__LOGBOOK_SOURCE__ALL": (4, "All!"),
    "C__LOGBOOK_SOURCE__RT": (1001, "RT Ticket"),
    "C__LOGBOOK_SOURCE__JDISC": (1004, "JDisc Import"),
    "C__LOGBOOK_SOURCE__IMPORT": (1005, "Import"),
}
ALERT_LEVELS = {f"C__LOGBOOK__ALERT_LEVEL__{n}": n + 1 for n in range(4)}


class LogbookCreateParams(Params):
    object_id: int = Field(gt=0, le=MAX_RECORD_ID)
    object_ids: list[int] | StrictStr | None = None
    message: StrictStr = Field(min_length=1)
    description: StrictStr = ""
    comment: StrictStr = ""
    source: StrictStr | StrictInt = "C__LOGBOOK_SOURCE__USER"
    alert_level: StrictStr | StrictInt = 1


def _logbook_source(value: str | int) -> str:
    for const, (number, _) in LOGBOOK_SOURCES.items():
        if value in (const, number, str(number)):
            return const
    raise invalid("source", f"unknown logbook source {value!r}")


def _alert_level(value: str | int) -> int:
    if isinstance(value, int) and value in ALERT_LEVELS.values():
        return value
    if isinstance(value, str) and (value in ALERT_LEVELS or value.isdigit() and int(value) in ALERT_LEVELS.values()):
        return ALERT_LEVELS.get(value) or int(value)
    raise invalid("alert_level", f"unknown alert level {value!r}")


def _object_ids(params: LogbookCreateParams) -> list[int]:
    extra = params.object_ids or []
    if isinstance(extra, str):
        parts = [part.strip() for part in extra.split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            raise invalid("object_ids", "object_ids must be object ids")
        extra = [int(part) for part in parts]
    return list(dict.fromkeys([params.object_id, *extra]))


@rpc("cmdb.logbook.create", LogbookCreateParams, access=Access.WRITE)
def logbook_create(ctx: Context, params: LogbookCreateParams) -> dict[str, Any]:
    objs = [get_object(ctx, object_id) for object_id in _object_ids(params)]
    written = logbook.write_manual(
        ctx.db,
        ctx.actor,
        objs,
        message=params.message,
        description=params.description,
        comment=params.comment,
        source=_logbook_source(params.source),
        alert_level=_alert_level(params.alert_level),
    )
    return {"success": True, "id": written[0].id, "message": "Logbook entry/entries successfully created."}


# --- cmdb.categories.read -------------------------------------------------------------------------


class CategoriesParams(Params):
    objID: int = Field(gt=0, le=MAX_RECORD_ID)  # noqa: N815 - the API's own name
    catgID: StrictInt | StrictStr | list[StrictInt | StrictStr] | None = None  # noqa: N815
    catsID: StrictInt | StrictStr | list[StrictInt | StrictStr] | None = None  # noqa: N815


@rpc("cmdb.categories.read", CategoriesParams, access=Access.READ, aliases=("cmdb.categories",))
def categories_read(ctx: Context, params: CategoriesParams) -> dict[str, Any]:
    obj = get_object(ctx, params.objID)
    wanted: dict[str, list[tuple[str, Category]]] = {}
    for key, scope, value in (("catgID", "g", params.catgID), ("catsID", "s", params.catsID)):
        if value is not None:
            items = value if isinstance(value, list) else [value]
            found = [category_by_id_or_const(scope, item, key) for item in items]
            # Answered under the client's own spelling of each constant (ids under the constant).
            wanted[key] = [(item if isinstance(item, str) and not item.isdigit() else c.const, c)
                           for item, c in zip(items, found, strict=True)]
    if not wanted:
        raise invalid("catgID", "catgID or catsID is required")
    everything = [c for categories in wanted.values() for _, c in categories]
    rows = entries.read_many(ctx.db, ctx.organization_id, [obj], everything, language=ctx.language)[obj.id]
    return {
        key: {
            name: rows[c.const] if c.multi_value else (rows[c.const][0] if rows[c.const] else None)
            for name, c in categories
        }
        for key, categories in wanted.items()
    }


# --- cmdb.contact.read ----------------------------------------------------------------------------


class ContactParams(Params):
    method: StrictStr = "assigned_objects_by_contact"
    filter: dict[str, Any]


def _contact_id(ctx: Context, raw: dict[str, Any]) -> int | None:
    if "id" in raw:
        value = raw["id"]
        if isinstance(value, bool) or not str(value).isdigit():
            raise invalid("filter.id", "id must be an object id")
        return int(value)
    if "email" in raw:
        found = objects.list_objects(
            ctx.db, ctx.organization_id, objects.ObjectFilter(email=str(raw["email"])), limit=1
        )
        return found[0].id if found else None
    raise invalid("filter", "filter needs id or email")


@rpc("cmdb.contact.read", ContactParams, access=Access.READ, aliases=("cmdb.contact",))
def contact_read(ctx: Context, params: ContactParams) -> dict[str, Any]:
    if params.method != "assigned_objects_by_contact":
        raise invalid("method", "only assigned_objects_by_contact is available")
    contact_id = _contact_id(ctx, params.filter)
    if contact_id is None:
        return {}
    assignments = list(
        ctx.db.scalars(
            select(CategoryEntry)
            .where(
                CategoryEntry.organization_id == ctx.organization_id,
                CategoryEntry.category_const == "C__CATG__CONTACT",
                CategoryEntry.status == NORMAL,
                or_(
                    CategoryEntry.values["contact"].as_integer() == contact_id,
                    CategoryEntry.values["contact_object"].as_integer() == contact_id,
                ),
            )
            .order_by(CategoryEntry.id)
        )
    )
    category = CATALOG.categories["C__CATG__CONTACT"]
    refs = values.load_references(ctx.db, ctx.organization_id, [(category, e.values) for e in assignments])
    owners = {
        o.id: o
        for o in ctx.db.scalars(
            select(CmdbObject).where(
                CmdbObject.organization_id == ctx.organization_id, CmdbObject.id.in_({e.object_id for e in assignments})
            )
        )
    }
    answer = {}
    for entry in assignments:
        owner = owners[entry.object_id]
        object_type = types.find(ctx.db, ctx.organization_id, owner.type_const)
        role_id = entry.values.get("role")
        role = values.dialog_shape(refs.dialog_entries.get(role_id) if isinstance(role_id, int) else None, ctx.language)
        answer[str(entry.id)] = {
            "id": str(owner.id),
            "title": owner.title,
            "sysid": owner.sysid,
            "type": str(object_type.id) if object_type else "0",
            "type_title": object_type.titles[ctx.language] if object_type else owner.type_const,
            "primary": "Yes" if str(entry.values.get("primary")) in ("1", "True") else "No",
            "role": role["title"] if role else "",
        }
    return answer


# --- cmdb.ip_search -------------------------------------------------------------------------------


class IpSearchParams(Params):
    ip: StrictStr


def _network_of(net: dict[str, Any]) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    address = net.get("address") or net.get("address_v6")
    suffix = net.get("cidr_suffix") or net.get("netmask")
    if not address or suffix in (None, ""):
        return None
    try:
        return ipaddress.ip_network(f"{address}/{suffix}", strict=False)
    except ValueError:
        return None


def _in_range(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, net: dict[str, Any]) -> bool:
    try:
        low, high = ipaddress.ip_address(net.get("range_from", "")), ipaddress.ip_address(net.get("range_to", ""))
    except ValueError:
        return False
    return low.version == ip.version == high.version and int(low) <= int(ip) <= int(high)


@rpc("cmdb.ip_search.read", IpSearchParams, access=Access.READ, aliases=("cmdb.ip_search",))
def ip_search(ctx: Context, params: IpSearchParams) -> list[dict[str, Any]]:
    """Layer-3 nets (except Global v4/v6) whose range holds the address."""
    try:
        ip = ipaddress.ip_address(params.ip.strip())
    except ValueError:
        raise invalid("ip", f"{params.ip!r} is not an IP address") from None
    rows = ctx.db.execute(
        select(CmdbObject, CategoryEntry)
        .join(CategoryEntry, CategoryEntry.object_id == CmdbObject.id)
        .where(
            CmdbObject.organization_id == ctx.organization_id,
            CmdbObject.type_const == "C__OBJTYPE__LAYER3_NET",
            CmdbObject.status == NORMAL,
            CmdbObject.const.is_(None),
            CategoryEntry.category_const == "C__CATS__NET",
            CategoryEntry.status == NORMAL,
        )
        .order_by(CmdbObject.id)
    ).all()
    known = states.states_of(ctx.db, ctx.organization_id)
    found = []
    for obj, entry in rows:
        network = _network_of(entry.values)
        if (network is not None and ip.version == network.version and ip in network) or _in_range(ip, entry.values):
            found.append(object_shape(obj, ctx, type_key="type", cmdb_states=known))
    return found
