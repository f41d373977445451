"""Query-engine declaration of an organization's history, answered as the reference's History
Definition spells it: each change with its details, old → new."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from estate.history.models import History, HistoryDetail
from estate.query import ChildRows, Entity, Field, Kind, Level, Nesting, Style, SubEntity

_h, _d = History.__table__.c, HistoryDetail.__table__.c

DETAIL = Entity(
    name="detail",
    plural="Details",
    table=HistoryDetail.__table__,
    id_field="id",
    name_field="propertyName",
    # Walled by its history row.
    organization_column=None,
    style=Style.ISO,
    nesting=Nesting.NAMED,
    aliases=("details",),
    fields=(
        Field("id", _d.id, Kind.INT, Level.LIMITED),
        Field("historyId", _d.history_id, Kind.INT),
        Field("propertyName", _d.property_name, Kind.TEXT, Level.LIMITED),
        Field("type", _d.kind),
        Field("oldValue", _d.old_value),
        Field("newValue", _d.new_value),
        Field("refName", _d.ref_name),
    ),
)

HISTORY = Entity(
    name="history",
    plural="History",
    table=History.__table__,
    id_field="id",
    name_field="entityName",
    organization_column=_h.organization_id,
    style=Style.ISO,
    nesting=Nesting.NAMED,
    fields=(
        Field("id", _h.id, Kind.INT, Level.LIMITED),
        Field("accountId", _h.account_id, Kind.INT),
        Field("action", _h.action, Kind.INT),
        Field("creationDt", _h.creation_dt, Kind.DATETIME),
        Field("entityId", _h.entity_id, Kind.INT),
        Field("entityName", _h.entity_name, Kind.TEXT, Level.LIMITED),
        Field("parentEntityId", _h.parent_entity_id, Kind.INT),
        Field("parentEntityName", _h.parent_entity_name),
    ),
    # Every entry comes with its details.
    subentities=(SubEntity("details", lambda: DETAIL, ChildRows(_d.history_id), shown=Level.STANDARD),),
)


def chosen(*, accounts: list[int], entities: list[str], events: list[int]) -> tuple[ColumnElement[bool], ...]:
    """The entries of these accounts, entity names and actions (each list empty: any)."""
    conditions = []
    if accounts:
        conditions.append(_h.account_id.in_(accounts))
    if entities:
        conditions.append(_h.entity_name.in_(entities))
    if events:
        conditions.append(_h.action.in_(events))
    return tuple(conditions)
