"""Which of an organization's own lists hold rows: object types and type groups it made or changed
(estate.cmdb.types) and CMDB states (estate.cmdb.states). Most organizations use the catalog's
as they are: one statement a session tells so, and the lists that are empty are not read
(docs/decisions/1111)."""

from __future__ import annotations

from typing import NamedTuple, cast

from sqlalchemy import Exists, Table, bindparam, exists, select
from sqlalchemy.orm import Session

from estate.cmdb.models import CmdbState, ObjectTypeGroupRow, ObjectTypeRow


class OwnRows(NamedTuple):
    types: bool
    groups: bool
    states: bool


def _any_row_of(table: Table) -> Exists:
    return exists().where(table.c.organization_id == bindparam("organization_id"))


# Built once: every request that reads objects asks it.
_PRESENT = select(
    _any_row_of(cast(Table, ObjectTypeRow.__table__)).label("types"),
    _any_row_of(cast(Table, ObjectTypeGroupRow.__table__)).label("groups"),
    _any_row_of(cast(Table, CmdbState.__table__)).label("states"),
)


def _cache_key(organization_id: int) -> tuple[str, int]:
    return ("cmdb_own_rows", organization_id)


def present(db: Session, organization_id: int) -> OwnRows:
    """Which lists hold rows of the organization; asked once per session (a request)."""
    key = _cache_key(organization_id)
    cached = db.info.get(key)
    if cached is None:
        db.flush()  # a Core statement does not autoflush
        row = db.execute(_PRESENT, {"organization_id": organization_id}).one()
        cached = db.info[key] = OwnRows(bool(row.types), bool(row.groups), bool(row.states))
    return cast(OwnRows, cached)


def forget(db: Session, organization_id: int) -> None:
    """After a change to one of the lists: the next read asks again."""
    db.info.pop(_cache_key(organization_id), None)
