"""CMDB states (an object's cmdb_status): the catalog's built-in states, and per organization the
states made with cmdb.status.save, either new ones (numbered from 15, as each i-doit tenant counts
its own) or a new title and colour for an editable built-in state (docs/decisions/0311)."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from estate.cmdb import own
from estate.cmdb.catalog import CATALOG, State
from estate.cmdb.models import CmdbObject, CmdbState
from estate.errors import Conflict, InvalidInput, NotFound

FIRST_CUSTOM = max(CATALOG.cmdb_states) + 1
_COLOR = re.compile(r"[0-9A-Fa-f]{6}")
_CONSTANT = re.compile(r"[A-Z][A-Z0-9_]{0,99}")


class StateRefused(Conflict):
    """A change the built-in states do not allow, or a purge of a state still in use."""


def _cache_key(organization_id: int) -> tuple[str, int]:
    return ("cmdb_states", organization_id)


def _as_state(row: CmdbState) -> State:
    return State(id=row.number, const=row.const, titles={"en": row.title, "de": row.title}, color=row.color,
                 editable=True)


def states_of(db: Session, organization_id: int) -> dict[int, State]:
    """Every state the organization sees, by number; read once per session (a request)."""
    key = _cache_key(organization_id)
    cached = db.info.get(key)
    if cached is None:
        cached = dict(CATALOG.cmdb_states)
        if own.present(db, organization_id).states:
            rows = db.scalars(select(CmdbState).where(CmdbState.organization_id == organization_id))
            cached.update({row.number: _as_state(row) for row in rows})
            cached = dict(sorted(cached.items()))
        db.info[key] = cached
    return cached


def find(db: Session, organization_id: int, value: object) -> State | None:
    """A state by number (int or numeric string) or by constant."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    known = states_of(db, organization_id)
    if isinstance(value, int):
        return known.get(value)
    if isinstance(value, str):
        return next((state for state in known.values() if state.const == value), None)
    return None


def _checked(title: str, const: str, color: str) -> tuple[str, str, str]:
    title = title.strip()
    if not title or len(title) > 255:
        raise InvalidInput("title must hold 1 to 255 characters", field="title")
    if not _CONSTANT.fullmatch(const):
        raise InvalidInput("constant must be upper-case letters, digits and underscores", field="constant")
    color = color.removeprefix("#")
    if not _COLOR.fullmatch(color):
        raise InvalidInput("color must be six hex digits, like FF0000", field="color")
    return title, const, color


def _row(db: Session, organization_id: int, number: int) -> CmdbState | None:
    return db.scalar(
        select(CmdbState).where(CmdbState.organization_id == organization_id, CmdbState.number == number)
    )


def _check_constant_free(db: Session, organization_id: int, const: str, number: int | None) -> None:
    owner = find(db, organization_id, const)
    if owner is not None and owner.id != number:
        raise Conflict(f"constant {const} is already used by state {owner.id}", field="constant")


def save(
    db: Session, organization_id: int, *, number: int | None, title: str, const: str, color: str
) -> tuple[int, bool]:
    """Create a state (``number`` None) or change one; answers (number, created)."""
    title, const, color = _checked(title, const, color)
    if number is None:
        _check_constant_free(db, organization_id, const, None)
        highest = db.scalar(
            select(func.max(CmdbState.number)).where(CmdbState.organization_id == organization_id)
        )
        number = max(highest or 0, FIRST_CUSTOM - 1) + 1
        db.add(CmdbState(organization_id=organization_id, number=number, const=const, title=title, color=color))
        created = True
    else:
        built_in = CATALOG.cmdb_states.get(number)
        row = _row(db, organization_id, number)
        if built_in is None and row is None:
            raise NotFound(f"CMDB status {number} not found", field="id")
        if built_in is not None:
            if not built_in.editable:
                raise StateRefused(f"the built-in CMDB status {built_in.const} cannot be changed", field="id")
            if const != built_in.const:
                raise InvalidInput(f"the constant of built-in state {number} is {built_in.const}", field="constant")
        _check_constant_free(db, organization_id, const, number)
        if row is None:
            row = CmdbState(organization_id=organization_id, number=number)
            db.add(row)
        row.const, row.title, row.color = const, title, color
        created = False
    db.flush()
    db.info.pop(_cache_key(organization_id), None)
    own.forget(db, organization_id)
    return number, created


def delete(db: Session, organization_id: int, number: int) -> None:
    """Purge a state of the organization; built-in states and states objects still carry stay."""
    if number in CATALOG.cmdb_states:
        raise StateRefused(f"the built-in CMDB status {number} cannot be purged", field="id")
    row = _row(db, organization_id, number)
    if row is None:
        raise NotFound(f"CMDB status {number} not found", field="id")
    in_use = db.scalar(
        select(func.count())
        .select_from(CmdbObject)
        .where(CmdbObject.organization_id == organization_id, CmdbObject.cmdb_status == number)
    )
    if in_use:
        raise StateRefused(f"CMDB status {number} is the status of {in_use} object(s)", field="id")
    db.delete(row)
    db.flush()
    db.info.pop(_cache_key(organization_id), None)
    own.forget(db, organization_id)
