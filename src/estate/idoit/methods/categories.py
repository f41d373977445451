"""cmdb.category.*: save, create, read, update and the entry lifecycle, with the legacy parameter
names clients still send (objID, catgID/catsID, cateID, data.category_id)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field, StrictInt

from estate.cmdb import entries, objects
from estate.cmdb.catalog import ARCHIVED, DELETED, NORMAL, Category
from estate.cmdb.models import CategoryEntry, CmdbObject
from estate.errors import DomainError
from estate.idoit.methods.objects import get_object
from estate.idoit.registry import (
    MAX_RECORD_ID,
    Access,
    Context,
    Params,
    RpcError,
    invalid,
    rpc,
    rpc_group,
)

READABLE_STATES = (NORMAL, ARCHIVED, DELETED)


class CategoryParams(Params):
    object: int | None = Field(default=None, gt=0, le=MAX_RECORD_ID)
    objID: int | None = Field(default=None, gt=0, le=MAX_RECORD_ID)  # noqa: N815 - the API's own name
    category: str | None = None
    catgID: StrictInt | str | None = None  # noqa: N815
    catsID: StrictInt | str | None = None  # noqa: N815
    entry: int | None = Field(default=None, gt=0, le=MAX_RECORD_ID)
    cateID: int | None = Field(default=None, gt=0, le=MAX_RECORD_ID)  # noqa: N815
    id: int | None = Field(default=None, gt=0, le=MAX_RECORD_ID)

    def object_id(self) -> int:
        found = self.object or self.objID
        if found is None:
            raise invalid("object", "object (or objID) is required")
        return found

    def resolve_category(self) -> Category:
        if self.category is not None:
            return entries.category_of(self.category)
        if self.catgID is not None:
            return category_by_id_or_const("g", self.catgID, "catgID")
        if self.catsID is not None:
            return category_by_id_or_const("s", self.catsID, "catsID")
        raise invalid("category", "category is required")

    def entry_id(self) -> int | None:
        return self.entry or self.cateID or self.id


def category_by_id_or_const(scope: str, value: int | str, parameter: str) -> Category:
    if isinstance(value, str) and not value.isdigit():
        return entries.category_of(value, parameter)
    return entries.category_by_id(scope, value, parameter)


def _target(ctx: Context, params: CategoryParams) -> tuple[CmdbObject, Category]:
    category = params.resolve_category()
    return get_object(ctx, params.object_id()), category


def _entry(ctx: Context, obj: CmdbObject, category: Category, entry_id: int | None) -> CategoryEntry:
    if entry_id is None:
        raise invalid("entry", "entry is required")
    return entries.get_entry(ctx.db, obj, category, entry_id)


# Current i-doit appends this to the answers of the two methods that cmdb.category.save replaced.
DEPRECATED = " [This method is deprecated and will be removed in a future release. Use 'cmdb.category.save' instead.]"


class SaveParams(CategoryParams):
    data: dict[str, Any]


@rpc("cmdb.category.save", SaveParams, access=Access.WRITE)
def category_save(ctx: Context, params: SaveParams) -> dict[str, Any]:
    obj, category = _target(ctx, params)
    entry = entries.save(ctx.db, ctx.actor, obj, category, params.data, params.entry_id())
    return {"success": True, "message": "Category entry successfully saved", "entry": entry.id}


@rpc("cmdb.category.create", SaveParams, access=Access.WRITE)
def category_create(ctx: Context, params: SaveParams) -> dict[str, Any]:
    obj, category = _target(ctx, params)
    data = {k: v for k, v in params.data.items() if k != "category_id"}
    entry = entries.save(ctx.db, ctx.actor, obj, category, data)
    return {"id": entry.id, "entry": entry.id, "message": "Category entry successfully created." + DEPRECATED,
            "success": True}


@rpc("cmdb.category.update", SaveParams, access=Access.WRITE)
def category_update(ctx: Context, params: SaveParams) -> dict[str, Any]:
    obj, category = _target(ctx, params)
    data = dict(params.data)
    raw_entry = data.pop("category_id", None) or params.entry_id()
    if raw_entry is not None and (isinstance(raw_entry, bool) or not str(raw_entry).isdigit()):
        raise invalid("data.category_id", "category_id must be an entry id")
    entries.update_existing(ctx.db, ctx.actor, obj, category, data, int(raw_entry) if raw_entry else None)
    return {"success": True, "message": "Category entry successfully saved" + DEPRECATED}


class ReadParams(CategoryParams):
    status: StrictInt | None = None


@dataclass(frozen=True)
class _Read:
    position: int
    ctx: Context
    params: ReadParams
    category: Category
    object_id: int


@rpc_group("cmdb.category.read", ReadParams, aliases=("cmdb.category",))
def category_reads(calls: Sequence[tuple[Context, ReadParams]]) -> list[Any]:
    """cmdb.category.read of one call, or of a batch's consecutive calls together: their objects
    in one query, their entries in one more (entries.read_lists); each call's answer, or error, is
    the one it gets alone."""
    outcomes: list[Any] = [None] * len(calls)
    by_organization: dict[int, list[_Read]] = {}
    for position, (ctx, params) in enumerate(calls):
        try:
            read = _Read(position, ctx, params, params.resolve_category(), params.object_id())
        except (DomainError, RpcError) as exc:
            outcomes[position] = exc
            continue
        by_organization.setdefault(ctx.organization_id, []).append(read)
    for organization_id, reads in by_organization.items():
        _answer_reads(organization_id, reads, outcomes)
    return outcomes


def _answer_reads(organization_id: int, reads: list[_Read], outcomes: list[Any]) -> None:
    db = reads[0].ctx.db
    found = objects.rows_by_id(db, organization_id, [read.object_id for read in reads])
    listed: list[tuple[_Read, entries.Wanted]] = []
    for read in reads:
        obj = found.get(read.object_id)
        status = NORMAL if read.params.status is None else read.params.status
        if obj is None:
            outcomes[read.position] = objects.ObjectNotFound(read.object_id)
        elif status not in READABLE_STATES:
            outcomes[read.position] = invalid("status", "status must be 2 (normal), 3 (archived) or 4 (deleted)")
        else:
            listed.append((read, entries.Wanted(obj, read.category, status, read.ctx.language)))
    lists = entries.read_lists(db, organization_id, [wanted for _, wanted in listed])
    for (read, _), rows in zip(listed, lists, strict=True):
        entry_id = read.params.entry_id()
        outcomes[read.position] = rows if entry_id is None else [row for row in rows if row["id"] == str(entry_id)]


def _change(ctx: Context, params: CategoryParams, target: int, verb: str) -> dict[str, Any]:
    obj, category = _target(ctx, params)
    entry = _entry(ctx, obj, category, params.entry_id())
    previous = entries.change_state(ctx.db, ctx.actor, obj, category, entry, target)
    return {"success": True, "message": f"Entry {entry.id} has been successfully {verb} from {previous} to {target}."}


@rpc("cmdb.category.archive", CategoryParams, access=Access.WRITE)
def category_archive(ctx: Context, params: CategoryParams) -> dict[str, Any]:
    return _change(ctx, params, ARCHIVED, "archived")


@rpc("cmdb.category.recycle", CategoryParams, access=Access.WRITE)
def category_recycle(ctx: Context, params: CategoryParams) -> dict[str, Any]:
    return _change(ctx, params, NORMAL, "recycled")


@rpc("cmdb.category.purge", CategoryParams, access=Access.WRITE)
def category_purge(ctx: Context, params: CategoryParams) -> dict[str, Any]:
    obj, category = _target(ctx, params)
    entry = _entry(ctx, obj, category, params.entry_id())
    entry_id = entry.id
    previous = entries.purge(ctx.db, ctx.actor, obj, category, entry)
    return {"success": True, "message": f"Entry {entry_id} has been successfully purged from {previous} to 5."}


@rpc("cmdb.category.quickpurge", CategoryParams, access=Access.WRITE)
def category_quickpurge(ctx: Context, params: CategoryParams) -> dict[str, Any]:
    obj, category = _target(ctx, params)
    entry = _entry(ctx, obj, category, params.entry_id())
    entry_id = entry.id
    entries.purge(ctx.db, ctx.actor, obj, category, entry)
    return {"success": True, "message": f"Category entry '{entry_id}' successfully purged"}


@rpc("cmdb.category.delete", CategoryParams, access=Access.WRITE)
def category_delete(ctx: Context, params: CategoryParams) -> dict[str, Any]:
    obj, category = _target(ctx, params)
    entry = _entry(ctx, obj, category, params.entry_id())
    entry_id = entry.id
    entries.step_down(ctx.db, ctx.actor, obj, category, entry)
    # i-doit answers the same words whichever step (archive, delete, purge) the call took.
    return {"success": True, "message": f"Category entry '{entry_id}' successfully deleted"}
