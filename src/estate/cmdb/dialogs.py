"""Dialog lists (per organization): values of dialog attributes, with parents for dependent lists.

An entry is known to clients by its ``number``, counted per list as i-doit counts each of its
dialog tables: the rows i-doit ships carry i-doit's ids and constants (``net_type`` 1 is IPv4,
``C__FREQUENCY_UNIT__GHZ`` is GHz), entries made later follow the list's highest number."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from estate.cmdb.catalog import CATALOG, DIALOG, Attribute
from estate.cmdb.models import DIALOGS, DialogEntry
from estate.errors import InvalidInput, NotFound

# How a constant looks; a value of this form names an entry, it is never the title of a new one.
CONSTANT = re.compile(r"C__[A-Z0-9_]+")


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
    """The list's entries in id order, the newest last, as i-doit answers them."""
    query = select(DialogEntry).where(DialogEntry.organization_id == organization_id, DialogEntry.dialog == dialog)
    if parent_id is not None:
        query = query.where(DialogEntry.parent_id == parent_id)
    return list(db.scalars(query.order_by(DialogEntry.number)))


def parents_of(db: Session, rows: Iterable[DialogEntry]) -> dict[int, DialogEntry]:
    """The parent entries of ``rows``, by row id, in one query."""
    wanted = sorted({row.parent_id for row in rows if row.parent_id is not None})
    if not wanted:
        return {}
    return {row.id: row for row in db.scalars(select(DialogEntry).where(DialogEntry.id.in_(wanted)))}


def by_number(db: Session, organization_id: int, dialog: str, number: int) -> DialogEntry | None:
    return db.scalar(select(DialogEntry).where(
        DialogEntry.organization_id == organization_id, DialogEntry.dialog == dialog, DialogEntry.number == number))


def by_const(db: Session, organization_id: int, dialog: str, const: str) -> DialogEntry | None:
    return db.scalars(select(DialogEntry).where(
        DialogEntry.organization_id == organization_id, DialogEntry.dialog == dialog, DialogEntry.const == const,
    ).order_by(DialogEntry.number)).first()


def by_title(
    db: Session, organization_id: int, dialog: str, title: str, parent_id: int | None = None
) -> DialogEntry | None:
    """The entry titled ``title`` (case-insensitive), under ``parent_id`` when given."""
    query = select(DialogEntry).where(
        DialogEntry.organization_id == organization_id,
        DialogEntry.dialog == dialog,
        func.lower(DialogEntry.title) == title.strip().lower(),
    )
    if parent_id is not None:
        query = query.where(DialogEntry.parent_id == parent_id)
    return db.scalars(query.order_by(DialogEntry.number)).first()


def get(db: Session, organization_id: int, dialog: str, number: int, field: str = "entry_id") -> DialogEntry:
    entry = by_number(db, organization_id, dialog, number)
    if entry is None:
        raise NotFound(f"dialog entry {number} not found", field=field)
    return entry


def next_numbers(db: Session, organization_id: int, dialogs: Iterable[str]) -> dict[str, int]:
    """The number the next new entry of each list gets, in one query."""
    wanted = sorted(set(dialogs))
    found = dict(db.execute(
        select(DIALOGS.c.dialog, func.max(DIALOGS.c.number))
        .where(DIALOGS.c.organization_id == organization_id, DIALOGS.c.dialog.in_(wanted))
        .group_by(DIALOGS.c.dialog)
    ).all()) if wanted else {}
    return {dialog: (found.get(dialog) or 0) + 1 for dialog in wanted}


def _new(db: Session, organization_id: int, dialog: str, title: str, parent_id: int | None) -> DialogEntry:
    number = next_numbers(db, organization_id, [dialog])[dialog]
    entry = DialogEntry(organization_id=organization_id, dialog=dialog, title=title[:255], parent_id=parent_id,
                        number=number)
    db.add(entry)
    db.flush()
    return entry


def find_or_create(
    db: Session, organization_id: int, dialog: str, value: str, parent_id: int | None = None, field: str = "value"
) -> DialogEntry:
    """The entry whose constant is ``value``, else the one titled ``value`` (case-insensitive),
    created when missing as i-doit's dialog+ does. A constant that names no entry is refused: it
    would otherwise become an entry titled with the constant."""
    title = value.strip()
    if not title:
        raise InvalidInput("a dialog value needs a title", field=field)
    if CONSTANT.fullmatch(title):
        entry = by_const(db, organization_id, dialog, title)
        if entry is None:
            raise InvalidInput(f"no entry of this list has the constant {title}", field=field)
        return entry
    return by_title(db, organization_id, dialog, title, parent_id) or _new(db, organization_id, dialog, title,
                                                                           parent_id)


def create(db: Session, organization_id: int, dialog: str, title: str, parent_id: int | None = None) -> DialogEntry:
    title = title.strip()
    if not title:
        raise InvalidInput("value must not be empty", field="value")
    return _new(db, organization_id, dialog, title, parent_id)


def rename(db: Session, organization_id: int, dialog: str, number: int, title: str) -> DialogEntry:
    entry = get(db, organization_id, dialog, number)
    title = title.strip()[:255]
    if not title:
        raise InvalidInput("value must not be empty", field="value")
    entry.title = title
    return entry


def delete(db: Session, organization_id: int, dialog: str, number: int) -> None:
    db.delete(get(db, organization_id, dialog, number))
    db.flush()


def seed_defaults(db: Session, organization_id: int) -> None:
    """A new organization's lists: the rows i-doit ships, with its ids and constants."""
    db.execute(insert(DIALOGS), [
        {"organization_id": organization_id, "dialog": dialog, "title": row.title, "const": row.const or None,
         "number": row.number}
        for dialog, rows in CATALOG.dialog_seeds.items() for row in rows
    ])
