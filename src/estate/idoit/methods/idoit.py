"""The idoit namespace: version, constants, login/logout, search, add-ons and license."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import Field, StrictStr
from sqlalchemy import func, select

from estate import __version__
from estate.cmdb import search, types, values
from estate.cmdb.catalog import CATALOG, DIALOG, Category
from estate.cmdb.models import CategoryEntry, CmdbObject
from estate.idoit import auth
from estate.idoit.registry import Access, Context, Params, rpc
from estate.inventory import cmdb_view

API_VERSION = "1.14.1"
CUSTOM_PREFIX = "C__CATG__CUSTOM_FIELDS_"
PRODUCT_VERSION = "25"


def _login(ctx: Context) -> dict[str, Any]:
    login = ctx.login
    return {
        "userid": login["userid"],
        "name": login["name"],
        "mail": login["mail"],
        "username": login["username"],
        "mandator": login["tenant"],
        "tenant": login["tenant"],
        "language": ctx.language,
    }


@rpc("idoit.version", access=Access.NO_AUTH)
def version(ctx: Context, params: Params) -> dict[str, Any]:
    return {"login": _login(ctx), "version": PRODUCT_VERSION, "step": "", "type": "PRO", "estate": __version__}


@rpc("idoit.constants", access=Access.NO_AUTH)
def constants(ctx: Context, params: Params) -> dict[str, Any]:
    language = ctx.language
    categories: dict[str, dict[str, str]] = {"g": {}, "s": {}, "g_custom": {}}
    # Every spelling clients use: the current constants beside the older ones the table keeps.
    for const, category in CATALOG.categories.items():
        # Categories defined for this installation (asset fields ...) are i-doit's custom categories.
        group = "g_custom" if const.startswith(CUSTOM_PREFIX) else category.scope
        categories[group][const] = CATALOG.translate(category.title, language)
    return {
        "objectTypes": {t.const: t.titles[language] for t in types.object_types(ctx.db, ctx.organization_id).values()},
        "categories": categories,
        "recordStates": {s.const: s.titles[language] for s in CATALOG.record_states.values()},
        "relationTypes": {r.const: r.titles[language] for r in CATALOG.relation_types},
        "staticObjects": {s.const: s.title for s in CATALOG.static_objects},
    }


@rpc("idoit.login", access=Access.LOGIN)
def login(ctx: Context, params: Params) -> dict[str, Any]:
    token = auth.open_session(ctx.db, ctx.identity)
    ctx.new_session_token = token
    return {
        "result": True,
        "userid": ctx.login["userid"],
        "name": ctx.login["name"],
        "mail": ctx.login["mail"],
        "username": ctx.login["username"],
        "session-id": token,
        "client-id": str(ctx.login["tenant_id"]),
        "client-name": ctx.login["tenant"],
    }


@rpc("idoit.logout", access=Access.LOGIN)
def logout(ctx: Context, params: Params) -> dict[str, Any]:
    auth.close_session(ctx.db, ctx.identity)
    return {"message": "Logout successfull", "result": True}


@rpc("idoit.addons", access=Access.NO_AUTH, aliases=("idoit.addons.read",))
def addons(ctx: Context, params: Params) -> dict[str, Any]:
    author = {"name": "synetics GmbH"}
    listed = [
        {"title": "Api", "key": "api", "version": API_VERSION, "author": author},
        {"title": "PRO", "key": "pro", "version": PRODUCT_VERSION, "author": author},
    ]
    return {
        "success": True,
        "result": [{**addon, "licensed": True, "active": True, "installed": True} for addon in listed],
    }


@rpc("idoit.license", access=Access.READ, aliases=("idoit.license.read",))
def license_(ctx: Context, params: Params) -> dict[str, Any]:
    in_use = ctx.db.scalar(
        select(func.count()).select_from(CmdbObject).where(CmdbObject.organization_id == ctx.organization_id)
    )
    return {
        "objectCapacity": {"total": 0, "inUse": in_use or 0},
        "addons": {"api": {"licensed": True, "label": "API"}},
        "licenses": [],
    }


# --- idoit.search ---------------------------------------------------------------------------------


class SearchParams(Params):
    q: StrictStr = Field(min_length=1, max_length=255)
    mode: StrictStr | None = None  # normal, deep or auto; every mode searches the same index


def _hits(category: Category, obj: CmdbObject, entry: CategoryEntry, refs: values.References):
    """(attribute, text) pairs of one entry that a search may show."""
    if category.const == "C__CATG__GLOBAL":
        yield category.attributes["title"], obj.title
        yield category.attributes["sysid"], obj.sysid
    for key, value in entry.values.items():
        attribute = category.attributes.get(key)
        if attribute is None:
            continue
        if attribute.kind == DIALOG and isinstance(value, int):
            dialog_entry = refs.dialog_entries.get(value)
            if dialog_entry is not None:
                yield attribute, dialog_entry.title
        elif isinstance(value, str):
            yield attribute, value


def _matches(text: str, terms: list[str]) -> bool:
    # The index matched the whole entry; an attribute is shown when it holds one of the words.
    words = search.terms_of(text)
    return any(word.startswith(term) for term in terms for word in words)


def _hit(ctx: Context, obj: CmdbObject, category: Category, attribute_title: str, value: str, entry_id: int,
         score: int, query: str) -> dict[str, Any]:
    type_title = types.title_of(ctx.db, ctx.organization_id, obj.type_const, ctx.language)
    state = CATALOG.record_states.get(obj.status)
    scope_key = "catgID" if category.scope == "g" else "catsID"
    return {
        "documentId": str(obj.id),
        "key": " > ".join((
            type_title,
            CATALOG.translate(category.title, ctx.language),
            CATALOG.translate(attribute_title, ctx.language),
        )),
        "value": value,
        "type": "cmdb",
        "link": f"/?objID={obj.id}&{scope_key}={category.id}&cateID={entry_id}&highlight={quote(query)}",
        "score": str(max(score, 1)),
        "status": state.titles[ctx.language] if state else str(obj.status),
    }


def _entry_hits(ctx: Context, params: SearchParams) -> list[dict[str, Any]]:
    terms = search.terms_of(params.q)
    ids = search.matching_entries(ctx.db, organization_id=ctx.organization_id, query=params.q)
    if not ids:
        return []
    order = {entry_id: rank for rank, entry_id in enumerate(ids)}
    rows = sorted(
        ctx.db.execute(
            select(CategoryEntry, CmdbObject)
            .join(CmdbObject, CmdbObject.id == CategoryEntry.object_id)
            .where(CategoryEntry.organization_id == ctx.organization_id, CategoryEntry.id.in_(ids))
        ).all(),
        key=lambda row: order[row[0].id],
    )
    refs = values.load_references(
        ctx.db, ctx.organization_id, [(CATALOG.categories[e.category_const], e.values) for e, _ in rows]
    )
    results = []
    for entry, obj in rows:
        category = CATALOG.categories[entry.category_const]
        for attribute, text in _hits(category, obj, entry, refs):
            if _matches(text, terms):
                score = 100 - order[entry.id]
                results.append(_hit(ctx, obj, category, attribute.title, text, entry.id, score, params.q))
    return results


def _software_hits(ctx: Context, params: SearchParams) -> list[dict[str, Any]]:
    """Machines that have an installed title matching the query (their software assignment)."""
    found = cmdb_view.machines_with_software(
        ctx.db, organization_id=ctx.organization_id, query=params.q, limit=search.MAX_HITS
    )
    if not found:
        return []
    ids = {hit.object_id for hit in found}
    objs = {obj.id: obj for obj in ctx.db.scalars(
        select(CmdbObject).where(CmdbObject.organization_id == ctx.organization_id, CmdbObject.id.in_(ids)))}
    category = CATALOG.categories[cmdb_view.SOFTWARE]
    title = category.attributes["application"].title
    return [_hit(ctx, objs[hit.object_id], category, title, hit.title, hit.link_id, 100 - rank, params.q)
            for rank, hit in enumerate(found) if hit.object_id in objs]


@rpc("idoit.search", SearchParams, access=Access.READ)
def search_(ctx: Context, params: SearchParams) -> list[dict[str, Any]]:
    return _entry_hits(ctx, params) + _software_hits(ctx, params)
