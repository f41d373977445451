"""Dialog lists (per organization): values of dialog attributes, with parents for dependent lists."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from estate.cmdb.catalog import CATALOG, DIALOG, Attribute
from estate.cmdb.models import DialogEntry
from estate.errors import InvalidInput, NotFound


def dialog_attribute(category_const: str, key: str) -> Attribute:
    category = CATALOG.categories.get(category_const)
    if category is None:
        raise InvalidInput(f"unknown category {category_const!r}", field="category")
    attribute = category.attributes.get(key)
    if attribute is None:
        raise InvalidInput(f"category {category_const} has no attribute {key!r}", field="property")
    if attribute.kind != DIALOG:
        raise InvalidInput(f"attribute {key!r} of {category_const} is not a dialog", field="property")
    return attribute


def entries(db: Session, organization_id: int, dialog: str, parent_id: int | None = None) -> list[DialogEntry]:
    query = select(DialogEntry).where(DialogEntry.organization_id == organization_id, DialogEntry.dialog == dialog)
    if parent_id is not None:
        query = query.where(DialogEntry.parent_id == parent_id)
    return list(db.scalars(query.order_by(DialogEntry.title, DialogEntry.id)))


def get(db: Session, organization_id: int, dialog: str, entry_id: int) -> DialogEntry:
    entry = db.get(DialogEntry, entry_id)
    if entry is None or entry.organization_id != organization_id or entry.dialog != dialog:
        raise NotFound(f"dialog entry {entry_id} not found", field="entry_id")
    return entry


def find_or_create(
    db: Session, organization_id: int, dialog: str, title: str, parent_id: int | None = None
) -> DialogEntry:
    """The entry titled ``title`` (case-insensitive), created when missing as i-doit's dialog+ does."""
    title = title.strip()
    if not title:
        raise InvalidInput("a dialog value needs a title", field="value")
    query = select(DialogEntry).where(
        DialogEntry.organization_id == organization_id,
        DialogEntry.dialog == dialog,
        func.lower(DialogEntry.title) == title.lower(),
    )
    if parent_id is not None:
        query = query.where(DialogEntry.parent_id == parent_id)
    entry = db.scalars(query.order_by(DialogEntry.id)).first()
    if entry is None:
        entry = DialogEntry(organization_id=organization_id, dialog=dialog, title=title[:255], parent_id=parent_id)
        db.add(entry)
        db.flush()
    return entry


def create(db: Session, organization_id: int, dialog: str, title: str, parent_id: int | None = None) -> DialogEntry:
    if parent_id is not None:
        parent = db.get(DialogEntry, parent_id)
        if parent is None or parent.organization_id != organization_id:
            raise NotFound(f"parent dialog entry {parent_id} not found", field="parent")
    entry = DialogEntry(organization_id=organization_id, dialog=dialog, title=title.strip()[:255], parent_id=parent_id)
    if not entry.title:
        raise InvalidInput("value must not be empty", field="value")
    db.add(entry)
    db.flush()
    return entry


def rename(db: Session, organization_id: int, dialog: str, entry_id: int, title: str) -> DialogEntry:
    entry = get(db, organization_id, dialog, entry_id)
    title = title.strip()[:255]
    if not title:
        raise InvalidInput("value must not be empty", field="value")
    entry.title = title
    return entry


def delete(db: Session, organization_id: int, dialog: str, entry_id: int) -> None:
    db.delete(get(db, organization_id, dialog, entry_id))
    db.flush()


def seed_defaults(db: Session, organization_id: int) -> None:
    for dialog, titles in CATALOG.dialog_defaults.items():
        for title in titles:
            db.add(DialogEntry(organization_id=organization_id, dialog=dialog, title=title))
