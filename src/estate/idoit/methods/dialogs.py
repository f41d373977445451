"""cmdb.dialog.*: the values of dialog attributes, with ``parent`` for dependent lists."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictInt, StrictStr

from estate.cmdb import dialogs
from estate.cmdb.catalog import Attribute
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


def _entry_id(value: int | str, parameter: str = "entry_id") -> int:
    if isinstance(value, str) and not value.isdigit():
        raise invalid(parameter, f"{parameter} must be an entry id")
    return int(value)


def _parent_id(ctx: Context, attribute: Attribute, parent: int | str | None) -> int | None:
    if parent is None:
        return None
    if attribute.parent_dialog is None:
        raise invalid("parent", f"{attribute.key} is not a dependent list")
    if isinstance(parent, str) and not parent.isdigit():
        return dialogs.find_or_create(ctx.db, ctx.organization_id, attribute.parent_dialog, parent).id
    return dialogs.get(ctx.db, ctx.organization_id, attribute.parent_dialog, int(parent)).id


@rpc("cmdb.dialog.read", DialogRead, access=Access.READ, aliases=("cmdb.dialog",))
def dialog_read(ctx: Context, params: DialogRead) -> list[dict[str, Any]]:
    attribute = dialogs.dialog_attribute(params.category, params.property)
    parent_id = None
    if params.parent is not None:
        if attribute.parent_dialog is None:
            raise invalid("parent", f"{attribute.key} is not a dependent list")
        parent_id = _entry_id(params.parent, "parent")
    rows = dialogs.entries(ctx.db, ctx.organization_id, attribute.dialog, parent_id)
    answer = []
    for row in rows:
        shaped: dict[str, Any] = {"id": str(row.id), "const": row.const or "", "title": row.title}
        if row.parent_id is not None:
            shaped["parent"] = str(row.parent_id)
        answer.append(shaped)
    return answer


@rpc("cmdb.dialog.create", DialogCreate, access=Access.WRITE)
def dialog_create(ctx: Context, params: DialogCreate) -> dict[str, Any]:
    attribute = dialogs.dialog_attribute(params.category, params.property)
    parent_id = _parent_id(ctx, attribute, params.parent)
    entry = dialogs.create(ctx.db, ctx.organization_id, attribute.dialog, params.value, parent_id)
    return {"success": True, "entry_id": entry.id}


@rpc("cmdb.dialog.update", DialogChange, access=Access.WRITE)
def dialog_update(ctx: Context, params: DialogChange) -> dict[str, Any]:
    attribute = dialogs.dialog_attribute(params.category, params.property)
    if params.value is None:
        raise invalid("value", "value is required")
    entry = dialogs.rename(ctx.db, ctx.organization_id, attribute.dialog, _entry_id(params.entry_id), params.value)
    return {"success": True, "entry_id": entry.id}


@rpc("cmdb.dialog.delete", DialogChange, access=Access.WRITE)
def dialog_delete(ctx: Context, params: DialogChange) -> dict[str, Any]:
    attribute = dialogs.dialog_attribute(params.category, params.property)
    entry_id = _entry_id(params.entry_id)
    dialogs.delete(ctx.db, ctx.organization_id, attribute.dialog, entry_id)
    return {"success": True, "entry_id": entry_id}
