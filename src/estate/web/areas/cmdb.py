"""CMDB: object types → objects → categories; category entries read as cmdb.category.read answers
them and edited through the same domain save (dialog lists, object links); the location tree; and
one search across the whole estate (machines, objects and assets, tickets)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from estate.assets.models import AssetLink
from estate.cmdb import dialogs, entries, objects, search
from estate.cmdb.catalog import CATALOG, CMDB_STATUS, DIALOG, OBJECT, OBJECT_TYPE, Attribute
from estate.cmdb.logbook import Actor
from estate.cmdb.models import CategoryEntry, CmdbObject
from estate.errors import DomainError, InvalidInput, NotFound
from estate.inventory.entities import MACHINE
from estate.orgs.location_objects import ROOT_LOCATION
from estate.web import forms, records, scopes
from estate.web.console import Console, Id, Page, redirect, rolled_back
from estate.web.lists import ListPage, ListRequest, column_fields, fetch_list
from estate.web.registry import area

router = area("cmdb", title="CMDB", path="/cmdb", right="cmdb", order=30)

PAGE_SIZE = 50
# Attributes a person does not type: the object's type, and the row's own keys.
NOT_EDITED = frozenset({"id", "objID"})


def _actor(page: Console) -> Actor:
    return Actor(page.caller.organization_id, page.caller.account_id, page.caller.login)


@router.get("/cmdb")
def object_types(page: Page) -> HTMLResponse:
    page.caller.require("cmdb")
    counts = objects.count_by_type(page.db, page.caller.organization_id)
    groups = []
    for group in sorted(CATALOG.groups.values(), key=lambda g: g.id):
        kinds = sorted((k for k in CATALOG.object_types.values() if k.group_id == group.id),
                       key=lambda k: k.titles["en"])
        groups.append((group, [(kind, counts.get(kind.const, 0)) for kind in kinds]))
    return page.render("cmdb/types.html", groups=groups, page_title="CMDB")


@router.get("/cmdb/types/{type_const}")
def objects_of_type(page: Page, type_const: str, title: str = "",
                    page_number: Annotated[int, Query(alias="page")] = 1) -> HTMLResponse:
    page.caller.require("cmdb")
    kind = CATALOG.object_type(type_const)
    if kind is None:
        raise InvalidInput(f"unknown object type {type_const!r}", field="type")
    number = max(page_number, 1)
    rows = objects.list_object_rows(
        page.db, page.caller.organization_id,
        objects.ObjectFilter(type_const=kind.const, title=title.strip() or None),
        offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1, order_by="id",
    )
    return page.render("cmdb/objects.html", kind=kind, rows=rows[:PAGE_SIZE], has_next=len(rows) > PAGE_SIZE,
                       number=number, title=title, states=CATALOG.cmdb_states, record_states=CATALOG.record_states,
                       page_title=kind.titles["en"])


@router.get("/cmdb/objects/{object_id}")
def object_page(page: Page, object_id: Id) -> HTMLResponse:
    page.caller.require("cmdb")
    obj = records.cmdb_object(page.db, page.caller, object_id)
    views = records.cmdb_categories(page.db, page.caller, object_id, only_filled=False)
    return page.render("cmdb/object.html", obj=obj, kind=CATALOG.object_types.get(obj.type_const), views=views,
                       history=records.object_history(page.db, page.caller, object_id, limit=20),
                       states=CATALOG.cmdb_states, page_title=obj.title)


def _category_page(page: Console, obj: CmdbObject, const: str, *, status: int = 200,
                   error: DomainError | None = None, notice: str | None = None) -> HTMLResponse:
    category = entries.category_of(const)
    view = records.cmdb_categories(page.db, page.caller, obj.id, only_filled=False, wanted=[category])[0]
    choices = {key: [entry.title for entry in dialogs.entries(page.db, page.caller.organization_id, attribute.dialog)]
               for key, attribute in category.attributes.items() if attribute.kind == DIALOG and attribute.dialog}
    editable = {key: attribute for key, attribute in category.attributes.items()
                if key not in NOT_EDITED and attribute.kind != OBJECT_TYPE}
    return page.render("cmdb/category.html", status=status, obj=obj, category=category, view=view,
                       editable=editable, choices=choices, error=error, notice=notice, value_of=form_value,
                       states=CATALOG.cmdb_states, page_title=f"{obj.title}: {category.title}")


@router.get("/cmdb/objects/{object_id}/categories/{const}")
def category_page(page: Page, object_id: Id, const: str, saved: str = "") -> HTMLResponse:
    page.caller.require("cmdb")
    obj = records.cmdb_object(page.db, page.caller, object_id)
    return _category_page(page, obj, const, notice="Saved." if saved else None)


def form_value(attribute: Attribute, shown: Any) -> str:
    """The text a form field shows for a value as cmdb.category.read renders it: a dialog by its
    title, an object link by the object id(s), a CMDB status by its id, anything else as text."""
    if shown is None or shown == "":
        return ""
    if attribute.kind == OBJECT:
        items = shown if isinstance(shown, list) else [shown]
        return ", ".join(str(item.get("id")) for item in items if isinstance(item, dict) and item.get("id"))
    if attribute.kind == CMDB_STATUS and isinstance(shown, dict):
        return str(shown.get("id") or "")
    return records.shown(shown)


def _typed(attribute: Attribute, text: str) -> Any:
    """A form's text as the category save takes it (empty: the value is cleared)."""
    if text == "":
        return None
    if attribute.kind == OBJECT:
        ids = [part.strip() for part in text.split(",") if part.strip()]
        return [int(i) if i.isdigit() else i for i in ids] if len(ids) > 1 else (int(ids[0]) if ids[0].isdigit()
                                                                                  else ids[0])
    return text


@router.post("/cmdb/objects/{object_id}/categories/{const}")
async def save_entry(page: Page, object_id: Id, const: str) -> Response:
    page.caller.require("cmdb", "write")
    obj = records.cmdb_object(page.db, page.caller, object_id)
    category = entries.category_of(const)
    form = await page.form()
    entry_id = forms.optional_id(form, "entry")
    # Only what the person changed is saved: a value saved owns its attribute against inventory
    # runs (decision 0522), so untouched fields must not be sent back.
    data = {
        key: _typed(attribute, forms.text(form, key))
        for key, attribute in category.attributes.items()
        if key not in NOT_EDITED and attribute.kind != OBJECT_TYPE and key in form
        and forms.text(form, key) != forms.text(form, f"was__{key}")
    }
    try:
        if data or entry_id is None:
            entries.save(page.db, _actor(page), obj, category, data, entry_id)
    except DomainError as exc:
        rolled_back(page)
        return _category_page(page, obj, const, status=exc.status, error=exc)
    return redirect(f"/cmdb/objects/{object_id}/categories/{const}?saved=1", page.request)


@router.get("/cmdb/locations")
def locations(page: Page, parent: int | None = None) -> HTMLResponse:
    page.caller.require("cmdb")
    organization_id = page.caller.organization_id
    if parent is None:
        root = objects.static_object(page.db, organization_id, ROOT_LOCATION)
        if root is None:
            raise NotFound("this organization has no location root", field="parent")
        children = objects.children_in_location(page.db, organization_id, root.id)
        return page.render("cmdb/locations.html", root=root, children=children, page_title="Locations")
    records.cmdb_object(page.db, page.caller, parent)
    children = objects.children_in_location(page.db, organization_id, parent)
    return page.render("cmdb/location_children.html", children=children)


SEARCH_LIMIT = 30


@router.get("/search")
def search_everything(page: Page, q: str = "") -> HTMLResponse:
    """One search box for the estate, answered from the two search indexes: the CMDB's (objects,
    assets, and machines through their device objects: hostname, serial, addresses, software)
    and the tickets' (the ticket list's wildcard). Machines are listed within the caller's walls."""
    text = q.strip()
    machines, tickets = None, None
    found_objects: list[CmdbObject] = []
    if text:
        if page.can("cmdb") or page.can("assets") or page.can("inventory"):
            found_objects, machines = _objects_and_machines(page, text)
        if page.can("servicedesk"):
            tickets = records.tickets(page.db, page.caller, ListRequest(search=text.replace(",", " "), sort="-id"))
    return page.render("cmdb/search.html", q=text, search_text=text, machines=machines, tickets=tickets,
                       found_objects=found_objects if page.can("cmdb") or page.can("assets") else [],
                       page_title="Search")


def _objects_and_machines(page: Console, text: str) -> tuple[list[CmdbObject], ListPage | None]:
    """Objects whose entries match, and apart from them the machines some of them stand for."""
    organization_id = page.caller.organization_id
    entry_ids = search.matching_entries(page.db, organization_id=organization_id, query=text)
    if not entry_ids:
        return [], None
    owners = select(CategoryEntry.object_id).where(CategoryEntry.organization_id == organization_id,
                                                   CategoryEntry.id.in_(entry_ids))
    found = list(page.db.scalars(
        select(CmdbObject).where(CmdbObject.organization_id == organization_id, CmdbObject.id.in_(owners))
        .order_by(CmdbObject.title, CmdbObject.id).limit(SEARCH_LIMIT * 4)
    ))
    mapped = dict(page.db.execute(
        select(AssetLink.object_id, AssetLink.mapped_id)
        .where(AssetLink.object_id.in_([obj.id for obj in found]), AssetLink.mapped_id.is_not(None))
    ).all())
    machines = None
    if mapped and page.can("inventory"):
        ids = ";".join(str(machine_id) for machine_id in mapped.values())
        machines = fetch_list(page.db, MACHINE, ListRequest(sort="Name", filters=(f"Id in {ids}",)),
                              scope=scopes.machines(page.caller),
                              columns=column_fields(MACHINE, (), ("Name", "Ip", "Os_name", "User")))
    return [obj for obj in found if obj.id not in mapped][:SEARCH_LIMIT], machines
