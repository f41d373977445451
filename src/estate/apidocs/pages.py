"""The API documentation, served by Estate itself with no CDN: Swagger UI (/docs) and ReDoc
(/redoc) over /openapi.json from the assets the fastapi-offline package ships, the OpenRPC
document (/openrpc.json) and a page of every JSON-RPC method rendered from it (/docs/jsonrpc)."""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from estate.apidocs import openapi
from estate.idoit import openrpc

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs/assets"
router = APIRouter(include_in_schema=False)


FAVICON = f"{ASSETS_URL}/favicon.png"
TITLE = "Estate API"


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    js, css = f"{ASSETS_URL}/swagger-ui-bundle.js", f"{ASSETS_URL}/swagger-ui.css"
    return get_swagger_ui_html(openapi_url="/openapi.json", title=TITLE, swagger_js_url=js, swagger_css_url=css,
                               swagger_favicon_url=FAVICON)


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    js = f"{ASSETS_URL}/redoc.standalone.js"
    return get_redoc_html(openapi_url="/openapi.json", title=TITLE, redoc_js_url=js, redoc_favicon_url=FAVICON,
                          with_google_fonts=False)


@router.get("/openrpc.json")
async def openrpc_document() -> JSONResponse:
    return JSONResponse(openrpc.document())


@router.get("/docs/jsonrpc")
async def jsonrpc_page() -> HTMLResponse:
    return HTMLResponse(_jsonrpc_html())


def _type(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " | ".join(_type(part) for part in schema["anyOf"] if part.get("type") != "null")
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    return " | ".join(kind) if isinstance(kind, list) else str(kind)


def _method_html(method: dict[str, Any]) -> str:
    name = html.escape(method["name"])
    rows = "".join(
        f"<tr><td><code>{html.escape(p['name'])}</code></td><td>{'yes' if p.get('required') else ''}</td>"
        f"<td>{html.escape(_type(p['schema']))}</td><td>{html.escape(p.get('description', ''))}</td></tr>"
        for p in method["params"]
    )
    result = html.escape(json.dumps(method["result"]["schema"], indent=2))
    return (
        f'<section id="{name}"><h2><code>{name}</code></h2><p>{html.escape(method["summary"])}. '
        f'{html.escape(method.get("description", ""))}</p>'
        f"<table><tr><th>parameter</th><th>required</th><th>type</th><th></th></tr>{rows}</table>"
        f"<details><summary>result</summary><pre>{result}</pre></details></section>"
    )


@cache
def _jsonrpc_html() -> str:
    document = openrpc.document()
    methods = document["methods"]
    errors = "".join(
        f"<tr><td>{error['code']}</td><td>{html.escape(error['message'])}</td></tr>"
        for error in document["components"]["errors"].values()
    )
    index = "".join(f'<li><a href="#{html.escape(m["name"])}">{html.escape(m["name"])}</a></li>' for m in methods)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Estate: i-doit JSON-RPC API</title>"
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}"
        "ul.index{columns:3;column-gap:2rem}ul.index li{overflow-wrap:anywhere}"
        "pre{background:#f6f6f6;padding:.5rem;overflow:auto}</style></head><body>"
        f"<h1>{html.escape(document['info']['title'])}</h1><p>{html.escape(document['info']['description'])} "
        'The machine-readable description: <a href="/openrpc.json">/openrpc.json</a> (also the method '
        '<code>rpc.discover</code>). The KACE REST API: <a href="/docs">/docs</a>.</p>'
        f"<h2>Errors every call may answer</h2><table><tr><th>code</th><th>meaning</th></tr>{errors}</table>"
        f'<h2>Methods</h2><ul class="index">{index}</ul>'
        + "".join(_method_html(m) for m in methods)
        + "</body></html>"
    )


def install(app: FastAPI) -> None:
    openapi.install(app)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")
    app.router.routes.extend(router.routes)
