"""Relations: cmdb.objects_by_relation.read, cmdb.impact.read and cmdb.cabling.read, over the
relation objects the relating categories make (docs/decisions/0322)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictInt, StrictStr

from estate.cmdb import cabling, objects, relations, states, types
from estate.cmdb.catalog import CATALOG, NORMAL, State
from estate.idoit.methods.objects import get_object, record_state_param
from estate.idoit.registry import MAX_RECORD_ID, Access, Context, Params, invalid, rpc

RelationTypeParam = StrictInt | StrictStr | list[StrictInt | StrictStr]
RELATION_OBJECT_TYPE = CATALOG.object_types[relations.RELATION_OBJECT]


def relation_type_ids(value: RelationTypeParam | None, parameter: str = "relation_type") -> list[int] | None:
    """The relation types a call names by id or constant (one or a list); None: every type."""
    if value is None:
        return None
    found = []
    for item in value if isinstance(value, list) else [value]:
        relation_type = CATALOG.relation_type(item)
        if relation_type is None:
            raise invalid(parameter, f"unknown relation type {item!r}")
        # A constant i-doit gives two ids (organization, layer 2 transport) names both.
        found += [r.id for r in CATALOG.relation_types if r.const == relation_type.const]
    return found


def _type(ctx: Context, type_const: str) -> tuple[int, str]:
    object_type = types.find(ctx.db, ctx.organization_id, type_const)
    return (object_type.id, object_type.titles[ctx.language]) if object_type else (0, type_const)


def _state_title(known: dict[int, State], number: int, language: str) -> str:
    state = known.get(number)
    return state.titles[language] if state else ""


class ObjectsByRelationParams(Params):
    id: int = Field(gt=0, le=MAX_RECORD_ID)
    relation_type: RelationTypeParam | None = None
    status: StrictInt | StrictStr | None = None
    raw: bool = False


@rpc("cmdb.objects_by_relation.read", ObjectsByRelationParams, access=Access.READ,
     aliases=("cmdb.objects_by_relation",))
def objects_by_relation(ctx: Context, params: ObjectsByRelationParams) -> Any:
    obj = get_object(ctx, params.id)
    status = NORMAL if params.status is None else record_state_param(params.status, "status")
    found = relations.involving(ctx.db, ctx.organization_id, obj.id, relation_types=relation_type_ids(
        params.relation_type), status=status)
    rows = objects.rows_by_id(ctx.db, ctx.organization_id, {r.object_id for r in found}
                              | {r.master_id for r in found} | {r.slave_id for r in found})
    known = states.states_of(ctx.db, ctx.organization_id)
    answer: dict[str, Any] = {}
    for relation in found:
        relation_object = rows[relation.object_id]
        other = rows[relation.slave_id if relation.master_id == obj.id else relation.master_id]
        other_type, other_type_title = _type(ctx, other.type_const)
        answer[str(relation.object_id)] = {"data": {
            "id": relation.object_id,
            "title": relation_object.title,
            "cmdb_status_title": "",
            "related_object": other.id,
            "related_title": other.title,
            "related_type": other_type,
            "related_type_title": other_type_title,
            "related_cmdb_status_title": _state_title(known, other.cmdb_status, ctx.language),
            "master": relation.master_id,
            "slave": relation.slave_id,
            "type": RELATION_OBJECT_TYPE.id,
            "type_title": RELATION_OBJECT_TYPE.titles[ctx.language],
        }, "children": False}
    # PHP answers an empty list, not an empty object, when nothing is related.
    return answer or []


class ImpactParams(Params):
    id: int = Field(gt=0, le=MAX_RECORD_ID)
    relation_type: RelationTypeParam


@rpc("cmdb.impact.read", ImpactParams, access=Access.READ, aliases=("cmdb.impact",))
def impact(ctx: Context, params: ImpactParams) -> list[dict[str, Any]]:
    """What depends on the object, through relations of the types named, level by level."""
    obj = get_object(ctx, params.id)
    reached = relations.impact(ctx.db, ctx.organization_id, obj.id,
                               relation_types=relation_type_ids(params.relation_type))
    rows = objects.rows_by_id(ctx.db, ctx.organization_id, [r.relation.slave_id for r in reached])
    known = states.states_of(ctx.db, ctx.organization_id)
    answer = []
    for found in reached:
        row = rows[found.relation.slave_id]
        relation_type = CATALOG.relation_type(found.relation.relation_type)
        weighting = CATALOG.weightings.get(found.relation.weighting)
        type_id, type_title = _type(ctx, row.type_const)
        state = known.get(row.cmdb_status)
        answer.append({
            "id": found.relation.object_id,
            "name": row.title,
            "data": {
                "relation": {
                    "type": relation_type.titles[ctx.language] if relation_type else "",
                    "text": relation_type.text if relation_type else "",
                    "weighting": weighting.titles[ctx.language] if weighting else "",
                },
                "level": found.level,
                "color": "A2BCFA",
                "statusColor": state.color if state else "",
                "objTypeID": type_id,
                "objectType": type_title,
                "objID": row.id,
            },
        })
    return answer


class CablingParams(Params):
    objID: int = Field(gt=0, le=MAX_RECORD_ID)  # noqa: N815 - the API's own name


def _end(ctx: Context, end: cabling.End | None) -> dict[str, Any] | None:
    if end is None:
        return None
    _, type_title = _type(ctx, end.object["type_const"])
    return {
        "presentation": f"{end.object['title']} > {end.title}",
        "connector": {"id": end.entry_id, "title": end.title, "type": end.category, "inOutput": end.direction},
        "ciObject": {"id": end.object["id"], "title": end.object["title"], "type": type_title,
                     "typeConstant": end.object["type_const"]},
    }


@rpc("cmdb.cabling.read", CablingParams, access=Access.READ, aliases=("cmdb.cabling",))
def cabling_read(ctx: Context, params: CablingParams) -> dict[str, Any]:
    cable = get_object(ctx, params.objID)
    start, end = cabling.ends(ctx.db, ctx.organization_id, cable.id)
    return {"start": _end(ctx, start), "end": _end(ctx, end)}
