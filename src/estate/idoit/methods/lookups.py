"""cmdb.filter.read (objects by attribute values and a time of change), cmdb.workstation_components.read
(a person's workplaces and what they hold) and analysis.dataquality.read (docs/decisions/0326)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictInt, StrictStr
from sqlalchemy import and_, func, select

from estate.cmdb import entries, objects, quality, relations, states, types
from estate.cmdb.catalog import CATALOG, NORMAL
from estate.cmdb.models import CmdbObject
from estate.cmdb.values import stamp
from estate.errors import NotFound
from estate.idoit.methods.meta import Condition, condition_clause, since
from estate.idoit.methods.objects import object_shape
from estate.idoit.registry import MAX_RECORD_ID, Access, Context, Params, invalid, rpc

PERSON, WORKSTATION, PERSON_MASTER = "C__OBJTYPE__PERSON", "C__OBJTYPE__WORKSTATION", "C__CATS__PERSON_MASTER"
LOGICAL_UNIT = CATALOG.relation_type_of("C__RELATION_TYPE__LOGICAL_UNIT").id


# --- cmdb.filter.read -----------------------------------------------------------------------------------


class FilterParams(Params):
    filter: dict[str, StrictStr | StrictInt | float] | None = None
    changed_from: StrictStr | StrictInt | None = None
    changed_to: StrictStr | StrictInt | None = None
    limit: int = Field(default=1000, ge=1, le=10000)


@rpc("cmdb.filter.read", FilterParams, access=Access.READ, aliases=("cmdb.filter",))
def filter_read(ctx: Context, params: FilterParams) -> list[dict[str, Any]]:
    """Objects whose attributes ("<category>-<attribute>": value, "*" as a wildcard) all match and
    that changed in the time frame; one row per object and attribute asked (key, value). Nothing
    asked, nothing answered."""
    wanted = params.filter or {}
    if not wanted and params.changed_from is None and params.changed_to is None:
        return []
    clauses = [condition_clause(ctx, n, Condition(property=key, value=value,
                                                  comparison="like" if "*" in str(value) else "="))
               for n, (key, value) in enumerate(wanted.items())]
    changed = func.coalesce(CmdbObject.updated, CmdbObject.created)
    after, before = since(params.changed_from, "changed_from"), since(params.changed_to, "changed_to")
    if after is not None:
        clauses.append(changed >= after)
    if before is not None:
        clauses.append(changed <= before)
    found = list(ctx.db.scalars(select(CmdbObject).where(
        CmdbObject.organization_id == ctx.organization_id, CmdbObject.status == NORMAL, and_(*clauses))
        .order_by(CmdbObject.id).limit(params.limit)))
    asked = [(key, entries.category_of(key.partition("-")[0], f"filter.{key}"), key.partition("-")[2])
             for key in wanted]
    data = entries.read_many(ctx.db, ctx.organization_id, found, [c for _, c, _ in asked], language=ctx.language)
    known = states.states_of(ctx.db, ctx.organization_id)
    answer = []
    for obj in found:
        shaped = object_shape(obj, ctx, type_key="type", cmdb_states=known)
        summary = {k: shaped[k] for k in ("id", "title", "sysid", "type", "type_title")}
        summary["changed"] = stamp(obj.updated or obj.created)
        for key, category, attribute in asked:
            for row in data[obj.id][category.const] or [{}]:
                answer.append({**summary, "key": key, "value": row.get(attribute)})
        if not asked:
            answer.append({**summary, "key": "changed", "value": summary["changed"]})
    return answer


# --- cmdb.workstation_components.read -------------------------------------------------------------------


class WorkstationFilter(Params):
    id: StrictInt | None = Field(default=None, gt=0, le=MAX_RECORD_ID)
    ids: list[StrictInt] | None = None
    email: StrictStr | None = None
    emails: list[StrictStr] | StrictStr | None = None


class WorkstationParams(WorkstationFilter):
    filter: WorkstationFilter | None = None


def _person_ids(ctx: Context, wanted: WorkstationFilter) -> list[int]:
    ids = [*([wanted.id] if wanted.id else []), *(wanted.ids or [])]
    mails = [*([wanted.email] if wanted.email else []),
             *([wanted.emails] if isinstance(wanted.emails, str) else wanted.emails or [])]
    if not ids and not mails:
        raise invalid("filter", "filter needs id, ids, email or emails")
    found = objects.rows_by_id(ctx.db, ctx.organization_id, ids)
    people = [object_id for object_id in ids if object_id in found and found[object_id].type_const == PERSON]
    for mail in mails:
        people += [row.id for row in objects.list_object_rows(ctx.db, ctx.organization_id, objects.ObjectFilter(
            email=mail, type_consts=[PERSON]))]
    return list(dict.fromkeys(people))


def _node(ctx: Context, row: Any, children: Any, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    object_type = types.find(ctx.db, ctx.organization_id, row.type_const)
    data = {"id": str(row.id), "title": row.title, "sysid": row.sysid,
            "type": str(object_type.id if object_type else 0),
            "type_title": object_type.titles[ctx.language] if object_type else row.type_const,
            "status": str(row.status), **(extra or {})}
    return {"data": data, "children": children or False}


@rpc("cmdb.workstation_components.read", WorkstationParams, access=Access.READ,
     aliases=("cmdb.workstation_components",))
def workstation_components(ctx: Context, params: WorkstationParams) -> Any:
    """Each person's workplaces (logical units: the person's C__CATG__LOGICAL_UNIT or assigned
    workstations) and the objects each workplace holds (their logical unit / assigned workstation)."""
    people = _person_ids(ctx, params.filter or params)
    places = relations.linked(ctx.db, ctx.organization_id, people, relation_type=LOGICAL_UNIT, from_master=True)
    place_ids = sorted({p for found in places.values() for p in found})
    parts = relations.linked(ctx.db, ctx.organization_id, place_ids, relation_type=LOGICAL_UNIT, from_master=False)
    rows = objects.rows_by_id(ctx.db, ctx.organization_id, [*people, *place_ids,
                                                            *(c for found in parts.values() for c in found)])
    masters = entries.read_many(ctx.db, ctx.organization_id, [rows[p] for p in people],
                                [CATALOG.categories[PERSON_MASTER]], language=ctx.language)
    answer: dict[str, Any] = {}
    for person in people:
        master = (masters[person][PERSON_MASTER] or [{}])[0]
        workplaces = {}
        for place in places.get(person, []):
            if rows[place].type_const != WORKSTATION:
                continue
            held = {str(c): _node(ctx, rows[c], None) for c in parts.get(place, [])
                    if rows[c].type_const != PERSON}
            workplaces[str(place)] = _node(ctx, rows[place], held)
        answer[str(person)] = _node(ctx, rows[person], workplaces, {
            "email": master.get("mail") or "", "first_name": master.get("first_name") or "",
            "last_name": master.get("last_name") or ""})
    return answer or []


# --- analysis.dataquality.read ----------------------------------------------------------------------------


class QualityParams(Params):
    profileId: StrictInt  # noqa: N815 - the API's own name


@rpc("analysis.dataquality.read", QualityParams, access=Access.READ)
def dataquality(ctx: Context, params: QualityParams) -> dict[str, Any]:
    profile = CATALOG.quality_profiles.get(params.profileId)
    if profile is None:
        raise NotFound(f"data quality profile {params.profileId} not found", field="profileId")
    assessed = quality.assess(ctx.db, ctx.organization_id, profile)
    listed = [{"id": q.object.id, "title": q.object.title,
               "type": q.object.type_const, "type_title": types.title_of(ctx.db, ctx.organization_id,
                                                                         q.object.type_const, ctx.language),
               "percent": q.percent, "missing": list(q.missing)} for q in assessed]
    average = round(sum(q.percent for q in assessed) / len(assessed)) if assessed else 0
    return {"objects": listed, "averagePercent": average, "profile": {"id": profile.id, "title": profile.title}}
