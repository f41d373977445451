"""The OpenRPC document of the JSON-RPC face (GET /openrpc.json, and the method rpc.discover),
generated from the method registry: every registered method with its parameters (from its
parameter model), its result (method-results.json, a file of this project) and the error codes the
dispatcher answers. A test keeps the registry and the results file in step."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from estate import __version__
from estate.idoit.registry import METHODS, Access, Method

RESULTS_FILE = Path(__file__).with_name("method-results.json")
OPENRPC_VERSION = "1.3.2"
ERROR_REF = "#/components/errors/"
# The error objects any call may answer (JSON-RPC 2.0 and i-doit's own codes).
ERRORS = {
    "ParseError": (-32700, "Parse error: the body is not valid JSON"),
    "InvalidRequest": (-32600, "Invalid request: the envelope is wrong (version, method, id, batch size)"),
    "MethodNotFound": (-32601, "Method not found"),
    "InvalidParams": (-32602, "Invalid parameters: data.parameter names the parameter at fault"),
    "InternalError": (-32603, "Internal error"),
    "AuthError": (-32604, "Missing or invalid API key, user name, password or session; or no params object"),
    "SystemError": (-32099, "i-doit system error: a record not found, a conflict, a right missing"),
}
COMMON_PARAMS = [
    {"name": "apikey", "required": True, "schema": {"type": "string"},
     "description": "The API key of the organization (estate apikey create)"},
    {"name": "language", "required": False, "schema": {"type": "string", "enum": ["en", "de"], "default": "en"}},
]


@cache
def results() -> dict[str, Any]:
    return json.loads(RESULTS_FILE.read_text(encoding="utf-8"))["methods"]


def registered() -> dict[str, tuple[Method, list[str]]]:
    """Each registered method by its name, with the other names it answers to."""
    methods: dict[str, tuple[Method, list[str]]] = {}
    for key, method in METHODS.items():
        methods.setdefault(method.name, (method, []))
        if key != method.name:
            methods[method.name][1].append(key)
    return dict(sorted(methods.items()))


def _rewrite_refs(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: (re.sub(r"^#/\$defs/", "#/components/schemas/", item) if key == "$ref" else _rewrite_refs(item))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_rewrite_refs(item) for item in value]
    return value


def _params(method: Method, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    model = method.params.model_json_schema()
    schemas.update(_rewrite_refs(model.get("$defs", {})))
    required = set(model.get("required", ()))
    described = [
        {"name": name, "required": name in required, "schema": _rewrite_refs(schema)}
        for name, schema in model.get("properties", {}).items()
    ]
    return [*COMMON_PARAMS, *described]


def _method(name: str, method: Method, aliases: list[str], schemas: dict[str, Any]) -> dict[str, Any]:
    known = results()[name]
    description = {Access.READ: "Reads the CMDB (the right to read it).",
                   Access.WRITE: "Changes the CMDB (the right to change it).",
                   Access.LOGIN: "Opens or ends the caller's session.",
                   Access.NO_AUTH: "Any caller of the tenant may call it."}[method.access]
    if aliases:
        description += " Also answers as " + ", ".join(sorted(aliases)) + "."
    return {
        "name": name,
        "summary": known["summary"],
        "description": description,
        "paramStructure": "by-name",
        "params": _params(method, schemas),
        "result": {"name": "result", "schema": known["result"]},
        "errors": [{"$ref": ERROR_REF + error} for error in ERRORS],
    }


@cache
def document() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    methods = [_method(name, method, aliases, schemas) for name, (method, aliases) in registered().items()]
    return {
        "openrpc": OPENRPC_VERSION,
        "info": {
            "title": "Estate: the i-doit JSON-RPC API",
            "version": __version__,
            "description": "POST /src/jsonrpc.php (also /i-doit/src/jsonrpc.php), JSON-RPC 2.0 as i-doit speaks "
                           "it: single calls and batches, every answer HTTP 200. The apikey parameter selects the "
                           "organization; the headers X-RPC-Auth-Username and X-RPC-Auth-Password (with "
                           "X-RPC-Auth-Otp, the current TOTP code, for an account enrolled in a second factor) "
                           "or X-RPC-Auth-Session (from idoit.login) act as one of its accounts.",
        },
        "servers": [{"name": "Estate", "url": "/src/jsonrpc.php"}],
        "methods": methods,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "errors": {key: {"code": code, "message": message} for key, (code, message) in ERRORS.items()},
        },
    }
