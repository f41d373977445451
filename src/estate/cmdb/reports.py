"""Stored reports and the built-in queries behind them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from estate.cmdb import states
from estate.cmdb.catalog import CATALOG, NORMAL, State
from estate.cmdb.models import CmdbObject, Report
from estate.db.base import utcnow
from estate.errors import NotFound

RELATION_TYPES = ("C__OBJTYPE__RELATION", "C__OBJTYPE__PARALLEL_RELATION")


def list_reports(db: Session, organization_id: int) -> list[Report]:
    return list(db.scalars(select(Report).where(Report.organization_id == organization_id).order_by(Report.id)))


def get(db: Session, organization_id: int, report_id: int) -> Report:
    report = db.get(Report, report_id)
    if report is None or report.organization_id != organization_id:
        raise NotFound(f"Report {report_id} not found", field="id")
    return report


def _changed_since(hours: int | None) -> Callable[[Select], Select]:
    def narrow(query: Select) -> Select:
        if hours is None:
            start = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            start = utcnow() - timedelta(hours=hours)
        changed = func.coalesce(CmdbObject.updated, CmdbObject.created)
        return query.where(changed >= start, CmdbObject.type_const.not_in(RELATION_TYPES)).order_by(
            changed.desc(), CmdbObject.id
        )

    return narrow


def _servers(query: Select) -> Select:
    return query.where(CmdbObject.type_const == "C__OBJTYPE__SERVER").order_by(CmdbObject.title, CmdbObject.id)


QUERIES: dict[str, Callable[[Select], Select]] = {
    "changed_today": _changed_since(None),
    "changed_24h": _changed_since(24),
    "changed_7d": _changed_since(24 * 7),
    "servers": _servers,
}


def _row(kind: str, obj: CmdbObject, language: str, cmdb_states: dict[int, State]) -> dict[str, Any]:
    object_type = CATALOG.object_types.get(obj.type_const)
    type_title = object_type.titles[language] if object_type else obj.type_const
    if kind == "servers":
        state = cmdb_states.get(obj.cmdb_status)
        return {"Title": obj.title, "CMDB status": state.titles[language] if state else ""}
    changed = obj.updated or obj.created
    return {
        "Title": obj.title,
        "Object type": type_title,
        "Last change": changed.strftime("%Y-%m-%d %H:%M:%S"),
        "Last change by": obj.updated_by or obj.created_by,
    }


def run(db: Session, report: Report, *, offset: int = 0, limit: int | None = None, language: str = "en") -> list[dict]:
    query = select(CmdbObject).where(
        CmdbObject.organization_id == report.organization_id, CmdbObject.status == NORMAL
    )
    query = QUERIES[report.kind](query).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    cmdb_states = states.states_of(db, report.organization_id)
    return [_row(report.kind, obj, language, cmdb_states) for obj in db.scalars(query)]
