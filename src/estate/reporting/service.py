"""Report definitions: the stock library every organization starts with, the administrators' own,
and finding one by id or name within the caller's organization."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from estate.auth.permissions import SEE_ALL_DATA, Caller
from estate.errors import Conflict, InvalidInput, NotFound
from estate.orgs.models import Organization
from estate.orgs.service import register_seed
from estate.reporting.definition import Definition, parse_definition
from estate.reporting.engine import check
from estate.reporting.models import ReportDefinition

LIBRARY = Path(__file__).with_name("library.json")


@cache
def stock_library() -> tuple[Definition, ...]:
    """The stock reports (library.json), each checked as any definition is."""
    documents = orjson.loads(LIBRARY.read_bytes())
    return tuple(parse_definition(document, parameter=f"library.{index}") for index, document in enumerate(documents))


def document_of(definition: Definition) -> dict[str, Any]:
    return definition.model_dump(mode="json", exclude_defaults=True)


def _row(organization_id: int, definition: Definition, *, stock: bool) -> ReportDefinition:
    return ReportDefinition(organization_id=organization_id, name=definition.name, title=definition.title,
                            category=definition.category, description=definition.description,
                            entity=definition.entity, document=document_of(definition), stock=stock)


@register_seed
def seed_library(db: Session, organization: Organization) -> None:
    """A new organization's stock reports."""
    add_stock_reports(db, organization_id=organization.id)


def add_stock_reports(db: Session, *, organization_id: int) -> int:
    """The stock reports an organization does not have yet (by name); how many were added."""
    present = set(db.scalars(select(ReportDefinition.name).where(ReportDefinition.organization_id == organization_id)))
    added = [_row(organization_id, item, stock=True) for item in stock_library() if item.name not in present]
    db.add_all(added)
    db.flush()
    return len(added)


def administrator(organization_id: int) -> Caller:
    """Who runs reports for the command line and the i-doit API key alone: every right, every
    user's data, within one organization."""
    return Caller(account_id=0, organization_id=organization_id, org_account_id=0, login="",
                  grants=frozenset({"*:write", SEE_ALL_DATA}))


def definitions_of(db: Session, *, organization_id: int) -> list[ReportDefinition]:
    return list(db.scalars(select(ReportDefinition).where(ReportDefinition.organization_id == organization_id)
                           .order_by(ReportDefinition.id)))


def find(db: Session, *, organization_id: int, key: str | int, field: str = "id") -> ReportDefinition:
    """A definition by id (a number) or by name; 404 naming `field` when absent or walled off."""
    statement = select(ReportDefinition).where(ReportDefinition.organization_id == organization_id)
    text = str(key)
    if text.isdigit():
        statement = statement.where(ReportDefinition.id == int(text))
    else:
        statement = statement.where(ReportDefinition.name == text)
    found = db.scalar(statement)
    if found is None:
        raise NotFound(f"report {text} not found", field=field)
    return found


def definition_of(row: ReportDefinition) -> Definition:
    return parse_definition(row.document)


def _slug(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:200] or "report"
    return f"report_{slug}" if slug.isdigit() else slug


def _checked(data: Any, organization_id: int) -> Definition:
    definition = parse_definition(data, parameter="definitionData")
    check(definition, organization_id=organization_id)
    return definition


def create(db: Session, *, caller: Caller, data: Any) -> ReportDefinition:
    definition = _checked(data, caller.organization_id)
    if not definition.name:
        definition = definition.model_copy(update={"name": _slug(definition.title)})
    _unique_name(db, caller.organization_id, definition.name, None)
    row = _row(caller.organization_id, definition, stock=False)
    db.add(row)
    db.flush()
    return row


def update(db: Session, *, caller: Caller, key: str | int, data: Any) -> ReportDefinition:
    """A definition replaced by a new document (its name kept unless the document names another)."""
    row = find(db, organization_id=caller.organization_id, key=key)
    if not isinstance(data, dict):
        raise InvalidInput("definitionData must be a JSON object", field="definitionData")
    definition = _checked({"name": row.name, **data}, caller.organization_id)
    _unique_name(db, caller.organization_id, definition.name, row.id)
    row.name, row.title, row.category = definition.name, definition.title, definition.category
    row.description, row.entity, row.document = definition.description, definition.entity, document_of(definition)
    row.stock = False
    db.flush()
    return row


def delete(db: Session, *, caller: Caller, key: str | int) -> None:
    db.delete(find(db, organization_id=caller.organization_id, key=key))
    db.flush()


def _unique_name(db: Session, organization_id: int, name: str, own_id: int | None) -> None:
    taken = db.scalar(select(ReportDefinition.id).where(ReportDefinition.organization_id == organization_id,
                                                        ReportDefinition.name == name))
    if taken is not None and taken != own_id:
        raise Conflict(f"a report named {name!r} exists", field="definitionData.name")
