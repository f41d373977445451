"""Reads of single records for the console's pages, each from its domain: a machine through the
query engine, its device asset through estate.assets, the CMDB categories of an object as
cmdb.category.read shapes them, and the logbook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from estate.assets import service as assets
from estate.auth.permissions import Caller
from estate.cmdb import entries, logbook, objects
from estate.cmdb.catalog import CATALOG, NORMAL, Category
from estate.cmdb.models import CmdbObject, LogbookEntry
from estate.errors import NotFound
from estate.inventory.entities import MACHINE
from estate.query import Scope
from estate.servicedesk.entities import TICKET
from estate.web import scopes
from estate.web.lists import ListPage, ListRequest, column_fields, fetch_list, fetch_one

LANGUAGE = "en"
TICKET_COLUMNS = ("id", "title", "created", "modified", "due_date")
TICKET_SHAPING = "hd_ticket standard,status standard,owner standard,submitter standard,priority limited,queue limited"


def machine(db: Session, machine_id: int, *, scope: Scope, shaping: str) -> dict[str, Any] | None:
    return fetch_one(db, MACHINE, machine_id, scope=scope, shaping=shaping)


def device_asset_id(record: dict[str, Any]) -> int | None:
    linked = record.get("Asset") or []
    return int(linked[0]["id"]) if linked else None


def tickets(db: Session, caller: Caller, request: ListRequest) -> ListPage:
    columns = column_fields(TICKET, (), TICKET_COLUMNS)
    return fetch_list(db, TICKET, request, scope=scopes.tickets(caller), columns=columns, shaping=TICKET_SHAPING)


def tickets_of_machine(db: Session, caller: Caller, machine_id: int) -> ListPage:
    return tickets(db, caller, ListRequest(sort="-id", filters=(f"machine_id eq {machine_id}",)))


@dataclass(frozen=True)
class AssetView:
    record: dict[str, Any]  # the asset as the Asset API answers it
    fields: list[Any]  # its type's fields (AssetField rows), in order
    type_name: str


def asset(db: Session, caller: Caller, asset_id: int, *, status: int = NORMAL) -> AssetView:
    obj = assets.get_asset(db, caller.organization_id, asset_id, status=status)
    record = assets.describe(db, caller.organization_id, [obj])[0]
    fields = assets.fields_by_type(db, caller.organization_id).get(record["asset_type_id"], [])
    return AssetView(record, fields, record["asset_type_name"])


@dataclass(frozen=True)
class CategoryView:
    category: Category
    entries: list[dict[str, Any]]  # as cmdb.category.read answers them


def cmdb_object(db: Session, caller: Caller, object_id: int) -> CmdbObject:
    obj = objects.find(db, caller.organization_id, object_id) if 0 < object_id < 2**31 else None
    if obj is None:
        raise NotFound(f"object {object_id} not found", field="id")
    return obj


def categories_of(obj: CmdbObject) -> list[Category]:
    kind = CATALOG.object_types.get(obj.type_const)
    consts = kind.categories if kind else ()
    return [CATALOG.categories[const] for const in consts if const in CATALOG.categories]


def cmdb_categories(db: Session, caller: Caller, object_id: int, *, only_filled: bool = True,
                    wanted: list[Category] | None = None, leave_out: tuple[str, ...] = ()) -> list[CategoryView]:
    """The object's categories with their entries, read in one go as a batch of cmdb.category.read."""
    obj = cmdb_object(db, caller, object_id)
    categories = [category for category in (wanted if wanted is not None else categories_of(obj))
                  if category.const not in leave_out]
    lists = entries.read_lists(db, caller.organization_id,
                               [entries.Wanted(obj, category, NORMAL, LANGUAGE) for category in categories])
    views = [CategoryView(category, rows) for category, rows in zip(categories, lists, strict=True)]
    return [view for view in views if view.entries or not only_filled]


def object_history(db: Session, caller: Caller, object_id: int, limit: int = 50) -> list[LogbookEntry]:
    return logbook.read(db, caller.organization_id, object_id=object_id, limit=limit)


def shown(value: Any) -> str:
    """A value of a category entry as text: dialogs and object links by title, lists joined."""
    if value is None:
        return ""
    if isinstance(value, dict):
        for key in ("title", "title_lang", "ref_title", "value"):
            if value.get(key) not in (None, ""):
                return str(value[key])
        return ""
    if isinstance(value, list):
        return ", ".join(part for part in (shown(item) for item in value) if part)
    return str(value)
