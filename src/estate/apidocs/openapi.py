"""The OpenAPI 3.1 document (GET /openapi.json): FastAPI's document of the served routes, completed
from the KACE reference (kace-reference.json: descriptions, query parameters, request bodies, the
reference's definitions as components) and from the query engine's entity declarations (what the
list and item routes answer). Route modules stay as they are: this is the one place that maps
routes to schemas.

Choices (docs/decisions/1001): the reference's definitions become components under their own names,
prefixed by their section where two sections define the same name (``Asset.asset``,
``Service_Desk.asset``); the list routes answer their envelope (``{"Count": n, "Machines": [...]}``)
whose records follow the entity declaration, since shaping and the answer style decide the fields
and their JSON types; every KACE operation lists the error answers Estate gives, in the KACE error
body; the JSON-RPC endpoint is one operation that points to the OpenRPC document."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from estate import __version__
from estate.assets import entities as assets
from estate.distribution import entities as distribution
from estate.inventory import entities as inventory
from estate.operations.routing import served_routes
from estate.query import Entity, Kind, Style
from estate.servicedesk import entities as servicedesk

REFERENCE_FILE = Path(__file__).with_name("kace-reference.json")
JSON_RPC_PATHS = ("/src/jsonrpc.php", "/i-doit/src/jsonrpc.php")
REF = "#/components/schemas/"

# The routes the query engine answers: the path (as FastAPI lists it, without the trailing slash)
# of the list, and the entity whose records it answers; the item route is the path plus /{id}.
LISTED: dict[str, Entity] = {
    "/api/inventory/machines": inventory.MACHINE,
    "/api/inventory/nodes": inventory.NODE,
    "/api/inventory/operating_systems": inventory.OPERATING_SYSTEM,
    "/api/inventory/processes": inventory.PROCESS,
    "/api/inventory/services": inventory.SERVICE,
    "/api/inventory/software": inventory.SOFTWARE,
    "/api/inventory/startup_programs": inventory.STARTUP_PROGRAM,
    "/api/service_desk/queues": servicedesk.QUEUE,
    "/api/service_desk/queues/{}/patterns": servicedesk.PATTERN,
    "/api/service_desk/tickets": servicedesk.TICKET,
    "/api/service_desk/tickets/{}/changes": servicedesk.CHANGE,
    "/api/service_desk/tickets/{}/work": servicedesk.WORK,
    "/api/asset/assets": assets.ASSET,
    "/api/asset/asset_status": assets.ASSET_STATUS,
    "/api/asset/barcodes": assets.BARCODE,
    "/api/mi/managed_installs": distribution.MANAGED_INSTALL,
    "/api/mi/files": distribution.PACKAGE_FILE,
    # The inventory's machines (their envelope is documented once, as /api/inventory/machines
    # answers it); /api/mi/machines adds each machine's Managed_installs.
    "/api/mi/machines": inventory.MACHINE,
    "/api/mi/compatible_machines": inventory.MACHINE,
    "/api/mi/managed_installs/{}/compatible_machines": inventory.MACHINE,
}
# Routes whose item answer has the envelope of another path's list.
ITEM_OF = {"/api/service_desk/tickets/{}/clone": "/api/service_desk/tickets",
           "/api/mi/managed_installs/{}/file": "/api/mi/files",
           "/api/service_desk/queues/{}/ticket_template": "/api/service_desk/tickets"}

# Bodies the reference shows only by example (its Appendix B): the list of records under its key.
BODIES: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/api/inventory/machines"): ("Machines", "Machine"),
    ("PUT", "/api/inventory/machines/{}"): ("Machines", "Machine"),
    ("POST", "/api/inventory/nodes"): ("Nodes", "Node"),
    ("POST", "/api/inventory/software"): ("Software", "Software"),
    ("POST", "/api/inventory/processes"): ("Processes", "Process"),
    ("POST", "/api/inventory/services"): ("Services", "Ntservice"),
    ("POST", "/api/inventory/startup_programs"): ("Startup_Programs", "Startupprogram"),
    ("POST", "/api/inventory/operating_systems"): ("Operating_Systems", "Operating_Systems"),
}

# What the reference uses without defining, as Estate answers or reads it (decisions 0100, 0101).
SUPPLEMENTS: dict[str, dict[str, Any]] = {
    "PagingResponse": {
        "type": "object",
        "description": "A page of a list: every matching row is counted, the page's rows are the items.",
        "properties": {"count": {"type": "integer"}, "items": {"type": "array", "items": {"type": "object"}}},
    },
    "Response": {"type": "object", "description": "A result object such as {\"Result\": \"Success\"}."},
    "IdList": {"type": "array", "items": {"type": "integer"}, "description": "Ids to act on."},
    "OrgAccSearch": {"type": "object", "description": "Search terms of organization accounts."},
    "ApiCredentials": {"type": "object", "description": "Credentials of a linked appliance."},
    "OrganizationRole": {"type": "object", "description": "A role of an organization."},
    "hd_ticket_template": {"type": "object", "description": "A ticket template (pattern) of a queue."},
    "KaceError": {
        "type": "object",
        "description": "Every error answer of the KACE face.",
        "required": ["errorCode", "errorDescription"],
        "properties": {
            "errorCode": {"type": "integer", "examples": [-1]},
            "errorDescription": {"type": "string"},
            "field": {"type": "string", "description": "The parameter or body field at fault, when one is"},
        },
    },
}
ERRORS = {
    "400": "Bad input: the answer names the parameter or field at fault",
    "401": "Not logged in, or the second factor is missing",
    "403": "The caller's role does not allow it",
    "404": "No such record in the caller's organization",
    "409": "The change conflicts with existing data",
    "413": "The body is larger than the server accepts",
    "429": "Too many failed logins for this account and source; see Retry-After",
}
PUBLIC = {"/ams/shared/api/security/login", "/ams/shared/api/security/supportedAuthTypes",
          "/ams/shared/api/security/samlLogin", "/ams/shared/api/security/authResult"}
OPERATIONS_TAG = "operations"


def shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path).rstrip("/") or "/"


@cache
def reference() -> dict[str, Any]:
    return json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))


def _section_prefix(section: str) -> str:
    return section.replace(" ", "_")


@cache
def component_names() -> dict[tuple[str, str], str]:
    """(section, definition) → component name: the definition's own name unless another section
    defines the same name."""
    definitions = reference()["definitions"]
    seen = Counter(name for defs in definitions.values() for name in defs)
    return {
        (section, name): name if seen[name] == 1 else f"{_section_prefix(section)}.{name}"
        for section, defs in definitions.items()
        for name in defs
    }


_SCALARS = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "integer(integer)": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "boolean(boolean)": {"type": "boolean"},
    "number": {"type": "number"},
    "object": {"type": "object"},
    "string(date-time)": {"type": "string", "format": "date-time"},
    "string(binary)": {"type": "string", "format": "binary"},
    "file": {"type": "string", "format": "binary"},
    "json": {"type": "object"},
}
_ARRAY = re.compile(r"^<\s*(.+?)\s*>\s*array$")


def schema_of(text: str, section: str, inline: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """A JSON Schema for one of the reference's schema words ("integer", "< Account > array",
    "Location", an inline table's name)."""
    text = text.strip()
    if text in _SCALARS:
        return dict(_SCALARS[text])
    if match := _ARRAY.match(text):
        return {"type": "array", "items": schema_of(match.group(1), section, inline)}
    if inline and text in inline:
        return _object(inline[text], section)
    names = component_names()
    if (section, text) in names:
        return {"$ref": REF + names[(section, text)]}
    if text in SUPPLEMENTS:
        return {"$ref": REF + text}
    owners = [name for (_, definition), name in names.items() if definition == text]
    if len(owners) == 1:
        return {"$ref": REF + owners[0]}
    return {"type": "object", "description": f"{text} (not defined by the reference)"}


def _object(fields: list[dict[str, Any]], section: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in fields:
        prop = schema_of(field["schema"], section)
        if description := field.get("description"):
            prop = {**prop, "description": description} if "$ref" not in prop else {"allOf": [prop],
                                                                                      "description": description}
        if field.get("flag") == "read-only":
            prop = {**prop, "readOnly": True}
        elif field.get("flag") == "required":
            required.append(field["name"])
        properties[field["name"]] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def components() -> dict[str, Any]:
    schemas = {
        name: _object(reference()["definitions"][section][definition]["fields"], section)
        for (section, definition), name in component_names().items()
    }
    schemas.update(SUPPLEMENTS)
    return schemas


# --- What the query engine answers ----------------------------------------------------------------

_NATIVE = {Kind.TEXT: "string", Kind.INT: "integer", Kind.NUMBER: "number", Kind.BOOL: "boolean",
           Kind.DATETIME: "string"}


def record_schema(entity: Entity, depth: int = 0) -> dict[str, Any]:
    """The record of an entity: its declared fields (each at the shaping level it appears at) and
    its sub-entities, nested as arrays when shaped. In the text style every value is a string."""
    properties: dict[str, Any] = {}
    for field in entity.fields:
        if entity.style is Style.TEXT:
            prop: dict[str, Any] = {"type": "string"}
        else:
            prop = {"type": [_NATIVE[field.kind], "null"]}
        if field.kind is Kind.DATETIME:
            prop["description"] = "a date and time"
        properties[field.name] = prop
    if depth < 1:
        for sub in entity.subentities:
            properties[sub.key] = {"type": "array", "items": record_schema(sub.entity(), depth + 1),
                                   "description": f"with shaping={sub.name}"}
    return {"type": "object", "properties": properties, "additionalProperties": True}


def envelope_schema(entity: Entity) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "Count": {"type": "integer", "description": "with use_count=true or use_count_only=true"},
            entity.plural: {"type": "array", "items": {"$ref": REF + _record_name(entity)}},
        },
    }


def _record_name(entity: Entity) -> str:
    return f"{entity.plural}.record"


def _listed(path_shape: str) -> Entity | None:
    if path_shape in ITEM_OF:
        return LISTED[ITEM_OF[path_shape]]
    if path_shape in LISTED:
        return LISTED[path_shape]
    parent = path_shape.removesuffix("/{}")
    return LISTED.get(parent) if parent != path_shape else None


# --- The document ---------------------------------------------------------------------------------

@cache
def _reference_operations() -> dict[tuple[str, str], dict[str, Any]]:
    return {(entry["method"], shape(entry["path"])): entry for entry in reference()["paths"]}


def _media(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}, "application/xml": {"schema": schema}}


def _parameters(operation: dict[str, Any], entry: dict[str, Any]) -> list[dict[str, Any]]:
    """FastAPI's parameters (names as served, constraints as checked), then the reference's query
    and header parameters the route reads itself; path parameters take the reference's words."""
    served = list(operation.get("parameters", []))
    in_path = [p for p in served if p["in"] == "path"]
    documented = [p for p in entry["parameters"] if p["in"] == "path"]
    for served_parameter, described in zip(in_path, documented, strict=False):
        words = described.get("description") or f"{described['name']} in the reference"
        served_parameter.setdefault("description", words)
    names = {(p["in"], p["name"]) for p in served}
    for described in entry["parameters"]:
        if described["in"] not in ("query", "header") or (described["in"], described["name"]) in names:
            continue
        parameter: dict[str, Any] = {
            "name": described["name"],
            "in": described["in"],
            "required": False,  # Estate gives every such parameter a default; the reference marks some required
            "schema": schema_of(described["schema"], entry["section"]),
        }
        if "description" in described:
            parameter["description"] = described["description"]
        served.append(parameter)
    return served


def _request_body(entry: dict[str, Any]) -> dict[str, Any] | None:
    if listed := BODIES.get((entry["method"], shape(entry["path"]))):
        key, definition = listed
        records = {"type": "array", "items": schema_of(definition, entry["section"])}
        schema = {"type": "object", "required": [key], "properties": {key: records}}
        return {"required": True, "content": _media(schema), "description": f"{{\"{key}\": [records]}}"}
    bodies = [p for p in entry["parameters"] if p["in"] in ("body", "formData")]
    if not bodies:
        return None
    body = bodies[0]
    schema = schema_of(body["schema"], entry["section"], entry.get("inline"))
    content = _media(schema)
    if body["in"] == "formData" or body["schema"] == "file":
        content = {"multipart/form-data": {"schema": {"type": "object"}}}
    return {"required": bool(body["required"]), "content": content,
            "description": body.get("description") or body["name"]}


def _success(method: str, path_shape: str, entry: dict[str, Any] | None) -> dict[str, Any]:
    entity = _listed(path_shape) if method == "GET" else None
    if entity is not None:
        return {"description": f"{entity.plural} as shaped", "content": _media({"$ref": REF + entity.plural})}
    text = (entry or {}).get("responses", {}).get("200", "")
    if not text or text == "No Content":
        return {"description": "Done"}
    if text in ("string(binary)", "file"):
        return {"description": "The file", "content": {"application/octet-stream": {"schema": _SCALARS["file"]}}}
    schema = schema_of(text, entry["section"], entry.get("inline")) if entry else {}
    return {"description": "Success", "content": _media(schema)}


def _errors(method: str, path: str, public: bool) -> dict[str, Any]:
    codes = ["400"]
    if not public:
        codes += ["401", "403"]
    if "{" in path:
        codes.append("404")
    if method in ("POST", "PUT", "DELETE"):
        codes += ["409", "413"]
    if path.endswith("/security/login"):
        codes += ["401", "429"]
    error = _media({"$ref": REF + "KaceError"})
    return {code: {"description": ERRORS[code], "content": error} for code in dict.fromkeys(codes)}


def _complete(path: str, method: str, operation: dict[str, Any]) -> None:
    path_shape = shape(path)
    entry = _reference_operations().get((method.upper(), path_shape))
    if entry is not None:
        description = entry["description"]
        operation["summary"] = description.split(". ")[0].rstrip(".") if description else operation.get("summary")
        operation["description"] = description or operation.get("description", "")
        operation["tags"] = [entry["section"]]
        operation["parameters"] = _parameters(operation, entry)
        if body := _request_body(entry):
            operation["requestBody"] = body
    if not operation.get("parameters"):
        operation.pop("parameters", None)
    public = path in PUBLIC or OPERATIONS_TAG in operation.get("tags", [])
    responses = {"200": _success(method.upper(), path_shape, entry)}
    if OPERATIONS_TAG not in operation.get("tags", []):
        responses.update(_errors(method.upper(), path, public))
        if not public:
            operation["security"] = [{"kaceSession": [], "kaceCsrf": []}]
    else:
        responses["200"] = operation["responses"].get("200", responses["200"])
        responses.update({code: answer for code, answer in operation["responses"].items() if code != "422"})
    operation["responses"] = responses


def _json_rpc_operation() -> dict[str, Any]:
    return {
        "tags": ["i-doit JSON-RPC"],
        "summary": "The i-doit JSON-RPC 2.0 endpoint",
        "description": "One call or a batch of calls. Every method, its parameters, result and error codes "
                       "are described by the OpenRPC document at /openrpc.json (also answered by the "
                       "method rpc.discover). Every answer is HTTP 200; errors are JSON-RPC error objects.",
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": {"$ref": REF + "JsonRpcRequest"}}}},
        "responses": {"200": {"description": "The answer (an empty body for notifications)",
                              "content": {"application/json": {"schema": {"$ref": REF + "JsonRpcResponse"}}}}},
    }


_JSON_RPC_SCHEMAS: dict[str, Any] = {
    "JsonRpcCall": {
        "type": "object",
        "required": ["method", "params"],
        "properties": {
            "jsonrpc": {"const": "2.0"}, "version": {"const": "2.0"},
            "method": {"type": "string", "examples": ["cmdb.object.read"]},
            "params": {"type": "object", "properties": {"apikey": {"type": "string"},
                                                        "language": {"type": "string", "enum": ["en", "de"]}}},
            "id": {"type": ["string", "integer", "null"]},
        },
    },
    "JsonRpcRequest": {"oneOf": [{"$ref": REF + "JsonRpcCall"},
                                 {"type": "array", "items": {"$ref": REF + "JsonRpcCall"}, "minItems": 1}]},
    "JsonRpcAnswer": {
        "type": "object",
        "properties": {
            "jsonrpc": {"const": "2.0"}, "result": {}, "id": {"type": ["string", "integer", "null"]},
            "error": {"type": "object", "properties": {"code": {"type": "integer"}, "message": {"type": "string"},
                                                        "data": {}}},
        },
    },
    "JsonRpcResponse": {"oneOf": [{"$ref": REF + "JsonRpcAnswer"},
                                  {"type": "array", "items": {"$ref": REF + "JsonRpcAnswer"}}]},
}


def build(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title="Estate",
        version=__version__,
        openapi_version="3.1.0",
        summary="The KACE SMA 10.2 REST API and the i-doit JSON-RPC API over one IT-estate store",
        description="KACE paths follow the KACE SMA 10.2 API reference; log in with POST "
                    "/ams/shared/api/security/login and send the x-dell-csrf-token it answers. The i-doit "
                    "JSON-RPC face is described method by method in /openrpc.json.",
        routes=served_routes(app),
    )
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            _complete(path, method, operation)
    for path in JSON_RPC_PATHS[:1]:
        document["paths"][path] = {"post": _json_rpc_operation()}
    schemas = components()
    listed = {id(entity): entity for entity in LISTED.values()}.values()
    for entity in listed:
        schemas[entity.plural] = envelope_schema(entity)
        schemas[_record_name(entity)] = record_schema(entity)
    schemas.update(_JSON_RPC_SCHEMAS)
    document["components"] = {
        "schemas": dict(sorted(schemas.items())),
        "securitySchemes": {
            "kaceSession": {"type": "apiKey", "in": "cookie", "name": "kboxid",
                            "description": "The session cookie POST /ams/shared/api/security/login sets"},
            "kaceCsrf": {"type": "apiKey", "in": "header", "name": "x-dell-csrf-token",
                         "description": "The token the login answers in its x-dell-csrf-token header"},
        },
    }
    return document


def install(app: FastAPI) -> None:
    """Serve the completed document at the app's openapi_url, built once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
