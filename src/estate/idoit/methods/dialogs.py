"""cmdb.dialog.*: the values of dialog attributes, with ``parent`` for dependent lists.

Entries are answered in id order with i-doit's ids as numeric strings and their constants; in a
dependent list (a model under its manufacturer) each entry carries its parent as an object. A
``parent`` given as an integer is the parent entry's id, given as a string its title."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictInt, StrictStr

from estate.cmdb import dialogs
from estate.cmdb.catalog import Attribute
from estate.cmdb.models import DialogEntry
from estate.db.base import MAX_INT
from estate.idoit.registry import Access, Context, Params, invalid, rpc


class DialogParams(Params):
    category: StrictStr
    property: StrictStr


class DialogRead(DialogParams):
    parent: StrictInt | StrictStr | None = None


class DialogCreate(DialogParams):
    value: StrictStr = Field(min_length=1, max_length=255)
    parent: StrictInt | StrictStr | None = None


class DialogChange(DialogParams):
    entry_id: StrictInt | StrictStr
    value: StrictStr | None = Field(default=None, min_length=1, max_length=255)


def _entry_number(value: int | str, parameter: str = "entry_id") -> int:
    if isinstance(value, str) and not value.isdigit():
        raise invalid(parameter, f"{parameter} must be an entry id")
    if not 0 < int(value) <= MAX_INT:
        raise invalid(parameter, f"{parameter} must be an entry id")
    return int(value)


def _parent(ctx: Context, attribute: Attribute, parent: int | str | None) -> DialogEntry | None:
    """The parent entry a call names: an integer is its id, a string its title; unknown is an error."""
    if parent is None:
        return None
    if attribute.parent_dialog is None:
        raise invalid("parent", f"{attribute.key} is not a dependent list")
    parent_dialog = attribute.parent_dialog
    if isinstance(parent, int):
        found = dialogs.by_number(ctx.db, ctx.organization_id, parent_dialog, _entry_number(parent, "parent"))
    else:
        found = dialogs.by_title(ctx.db, ctx.organization_id, parent_dialog, parent) if parent.strip() else None
    if found is None:
        raise invalid("parent", f"parent {parent!r} is no entry of the parent list")
    return found


def _parent_shape(parent: DialogEntry | None) -> dict[str, Any]:
    if parent is None:
        return {"id": None, "const": "", "title": ""}
    return {"id": str(parent.number), "const": parent.const or "", "title": parent.title}


@rpc("cmdb.dialog.read", DialogRead, access=Access.READ, aliases=("cmdb.dialog",))
def dialog_read(ctx: Context, params: DialogRead) -> list[dict[str, Any]]:
    attribute = dialogs.dialog_attribute(params.category, params.property)
    parent = _parent(ctx, attribute, params.parent)
    rows = dialogs.entries(ctx.db, ctx.organization_id, attribute.dialog, parent.id if parent else None)
    parents = dialogs.parents_of(ctx.db, rows) if attribute.parent_dialog else {}
    answer = []
    for row in rows:
        shaped: dict[str, Any] = {"id": str(row.number), "const": row.const or "", "title": row.title}
        if attribute.parent_dialog is not None:
            shaped["parent"] = _parent_shape(parents.get(row.parent_id) if row.parent_id else None)
        answer.append(shaped)
    return answer


@rpc("cmdb.dialog.create", DialogCreate, access=Access.WRITE)
def dialog_create(ctx: Context, params: DialogCreate) -> dict[str, Any]:
    attribute = dialogs.dialog_attribute(params.category, params.property)
    parent = _parent(ctx, attribute, params.parent)
    entry = dialogs.create(ctx.db, ctx.organization_id, attribute.dialog, params.value, parent.id if parent else None)
    return {"success": True, "entry_id": entry.number}


@rpc("cmdb.dialog.update", DialogChange, access=Access.WRITE)
def dialog_update(ctx: Context, params: DialogChange) -> dict[str, Any]:
    attribute = dialogs.dialog_attribute(params.category, params.property)
    if params.value is None:
        raise invalid("value", "value is required")
    number = _entry_number(params.entry_id)
    entry = dialogs.rename(ctx.db, ctx.organization_id, attribute.dialog, number, params.value)
    return {"success": True, "entry_id": entry.number}


@rpc("cmdb.dialog.delete", DialogChange, access=Access.WRITE)
def dialog_delete(ctx: Context, params: DialogChange) -> dict[str, Any]:
    attribute = dialogs.dialog_attribute(params.category, params.property)
    number = _entry_number(params.entry_id)
    dialogs.delete(ctx.db, ctx.organization_id, attribute.dialog, number)
    return {"success": True, "entry_id": number}
