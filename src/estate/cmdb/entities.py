"""CMDB objects as the query engine reads them, for reports (estate.reporting): the i-doit
standard reports (changed objects, servers) are definitions over this declaration."""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, and_, case, cast, func

from estate.cmdb.catalog import CATALOG, NORMAL
from estate.cmdb.models import CmdbObject
from estate.query import Entity, Field, Kind, Level, Nesting, Style

RELATION_TYPES = ("C__OBJTYPE__RELATION", "C__OBJTYPE__PARALLEL_RELATION")

_o = CmdbObject.__table__.c


def _titled(column: ColumnElement[object], titles: dict[object, str]) -> ColumnElement[object]:
    """A catalog constant or id as its English title (the value itself when the catalog lacks it)."""
    return case(titles, value=column, else_=cast(column, String)) if titles else column


_TYPE_TITLES: dict[object, str] = {item.const: item.titles["en"] for item in CATALOG.object_types.values()}
_STATE_TITLES: dict[object, str] = {item.id: item.titles["en"] for item in CATALOG.cmdb_states.values()}

CMDB_OBJECT = Entity(
    name="cmdb_object",
    plural="Objects",
    table=CmdbObject.__table__,
    id_field="id",
    name_field="title",
    organization_column=_o.organization_id,
    style=Style.ISO,
    nesting=Nesting.NAMED,
    aliases=("object", "objects"),
    fields=(
        Field("id", _o.id, Kind.INT, Level.LIMITED),
        Field("title", _o.title, Kind.TEXT, Level.LIMITED, wildcard=True),
        Field("type", _o.type_const),
        Field("type_title", _titled(_o.type_const, _TYPE_TITLES)),
        Field("sysid", _o.sysid, wildcard=True),
        Field("cmdb_status", _o.cmdb_status, Kind.INT),
        Field("cmdb_status_title", _titled(_o.cmdb_status, _STATE_TITLES)),
        Field("created", _o.created, Kind.DATETIME),
        Field("created_by", _o.created_by),
        Field("updated", _o.updated, Kind.DATETIME),
        Field("updated_by", _o.updated_by),
        Field("changed", func.coalesce(_o.updated, _o.created), Kind.DATETIME),
        Field("changed_by", func.coalesce(_o.updated_by, _o.created_by)),
    ),
)


def live_objects() -> ColumnElement[bool]:
    """What reports read: objects in the normal record state, relation objects left out."""
    return and_(_o.status == NORMAL, _o.type_const.not_in(RELATION_TYPES))
