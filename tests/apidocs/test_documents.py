"""The OpenAPI and OpenRPC documents: valid, in step with the routes and the method registry, and
true to what the server answers; the documentation pages load nothing from elsewhere."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import jsonschema
import pytest
from fastapi.openapi.utils import get_openapi
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7, DRAFT202012

from estate.apidocs.openapi import JSON_RPC_PATHS, reference, shape
from estate.idoit.openrpc import registered, results
from estate.operations.routing import served_routes
from tests.idoit.conftest import RpcClient, new_key
from tests.inventory.payloads import ingest, machine, software
from tests.kace_client import TLS

META_SCHEMAS = Path(__file__).resolve().parents[1] / "idoit" / "openrpc-meta-schema.json"


@pytest.fixture(scope="module")
def openapi_document(base_url) -> dict:
    answer = httpx.get(f"{base_url}/openapi.json")
    assert answer.status_code == 200
    return answer.json()


@pytest.fixture(scope="module")
def openrpc_document(base_url) -> dict:
    return httpx.get(f"{base_url}/openrpc.json").json()


def test_openapi_document_is_valid_openapi_3_1(openapi_document):
    assert openapi_document["openapi"].startswith("3.1")
    validate(openapi_document)


def test_openapi_document_lists_exactly_the_served_routes(openapi_document, settings, engine):
    """FastAPI's own list of the routes in the schema, plus the JSON-RPC endpoint: nothing added,
    nothing lost by completing the document."""
    from estate.app import create_app

    served = get_openapi(title="", version="", routes=served_routes(create_app(settings, engine)))["paths"]
    expected = {(method, path) for path, item in served.items() for method in item}
    documented = {(method, path) for path, item in openapi_document["paths"].items() for method in item}
    assert documented == expected | {("post", JSON_RPC_PATHS[0])}


def test_every_documented_operation_is_served(openapi_document, admin):
    """No documented path answers "no route" or a wrong method (ids that name nothing; bodies empty)."""
    for path, item in openapi_document["paths"].items():
        concrete = re.sub(r"\{[^}]*\}", "2147483000", path)
        for method in item:
            if path.endswith(("/security/logout", "/organization/switch", "/switchto")):
                continue  # they would end the test's own login
            answer = admin.request(method.upper(), concrete, json={} if method in ("post", "put") else None)
            assert answer.status_code != 405, (method, path)
            assert not (answer.status_code == 404 and "no route" in answer.text), (method, path)


def test_every_kace_operation_has_the_reference_words_and_its_answers(openapi_document):
    known = {(entry["method"], shape(entry["path"])) for entry in reference()["paths"]}
    schemas = openapi_document["components"]["schemas"]
    for path, item in openapi_document["paths"].items():
        if not path.startswith(("/api/", "/ams/")):
            continue
        for method, operation in item.items():
            assert (method.upper(), shape(path)) in known, (method, path)
            assert operation["tags"], (method, path)
            assert "400" in operation["responses"] and "422" not in operation["responses"], (method, path)
            for answer in operation["responses"].values():
                for media in answer.get("content", {}).values():
                    ref = media["schema"].get("$ref")
                    assert ref is None or ref.rsplit("/", 1)[-1] in schemas, (method, path, ref)
    machines = openapi_document["paths"]["/api/inventory/machines/"]
    assert machines["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Machines")
    assert {"filtering", "sorting", "paging", "shaping"} <= {p["name"] for p in machines["get"]["parameters"]}
    body = machines["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["Machines"] and body["properties"]["Machines"]["items"]["$ref"].endswith("/Machine")
    assets = openapi_document["paths"]["/api/asset/assets"]["post"]["requestBody"]
    assert "Assets" in assets["content"]["application/json"]["schema"]["properties"]
    assert {"Account", "Organization", "PagingResponse", "Tickets", "Assets", "hd_ticket", "KaceError"} <= set(schemas)
    assert schemas["Asset.asset"] != schemas["Service_Desk.asset"]  # same name, two sections


def _validator(document: dict, schema: dict) -> jsonschema.Draft202012Validator:
    registry = Registry().with_resource("urn:estate", Resource.from_contents(document, DRAFT202012))
    rewritten = json.loads(json.dumps(schema).replace('"#/components', '"urn:estate#/components'))
    return jsonschema.Draft202012Validator(rewritten, registry=registry)


@pytest.mark.parametrize("path", [
    "/api/inventory/machines/?shaping=machine all,software standard",
    "/api/service_desk/tickets/?use_count=true",
    "/api/asset/assets/",
    "/ams/shared/api/organizations/list",
])
def test_answers_match_their_documented_schema(openapi_document, admin, path):
    """What the document promises is what a client gets."""
    ingest(admin, machine("documented", Software=[software("Documented Editor")]))
    answer = admin.get(path)
    assert answer.status_code == 200, answer.text
    paths = openapi_document["paths"]
    template = next(p for p in paths if shape(p) == shape(path.split("?")[0]) and "get" in paths[p])
    schema = openapi_document["paths"][template]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    _validator(openapi_document, schema).validate(answer.json())


def test_openrpc_document_is_valid_and_lists_every_registered_method(openrpc_document):
    meta = json.loads(META_SCHEMAS.read_text())
    registry = Registry().with_resource("https://meta.json-schema.tools",
                                        Resource.from_contents(meta["json_schema"], DRAFT7))
    jsonschema.Draft7Validator(meta["openrpc"], registry=registry).validate(openrpc_document)
    names = [method["name"] for method in openrpc_document["methods"]]
    assert names == sorted(registered()) and "rpc.discover" in names
    assert set(results()) == set(registered()), "src/estate/idoit/method-results.json: one entry per method"
    read = next(m for m in openrpc_document["methods"] if m["name"] == "cmdb.object.read")
    assert {"apikey", "id"} <= {p["name"] for p in read["params"] if p["required"]}
    codes = {error["code"] for error in openrpc_document["components"]["errors"].values()}
    assert {-32700, -32600, -32601, -32602, -32603, -32604, -32099} == codes


def test_rpc_discover_answers_the_openrpc_document(base_url, sessions, org, openrpc_document):
    with RpcClient(base_url, new_key(sessions, org.id)) as rpc:
        assert rpc.result("rpc.discover") == openrpc_document


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/docs/jsonrpc"])
def test_documentation_pages_load_only_what_estate_serves(base_url, page):
    answer = httpx.get(f"{base_url}{page}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    links = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", answer.text)
    assert links, answer.text[:500]
    for link in links:
        assert link.startswith(("/", "#")), f"{page} loads {link} from elsewhere"
        if link.startswith("/"):
            assert httpx.get(f"{base_url}{link}", verify=TLS).status_code == 200, link
    assert "https://" not in answer.text.replace("https://github.com", "")


def test_json_rpc_results_match_their_documented_schema(base_url, sessions, org, openrpc_document):
    results_of = {method["name"]: method["result"]["schema"] for method in openrpc_document["methods"]}
    with RpcClient(base_url, new_key(sessions, org.id)) as rpc:
        created = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "documented-1"})
        calls = {
            "cmdb.object.create": created,
            "idoit.version": rpc.result("idoit.version"),
            "cmdb.object.read": rpc.result("cmdb.object.read", {"id": created["id"]}),
            "cmdb.objects.read": rpc.result("cmdb.objects.read", {"filter": {"title": "documented-1"}}),
            "cmdb.category.read": rpc.result("cmdb.category.read", {"objID": created["id"],
                                                                     "category": "C__CATG__GLOBAL"}),
            "idoit.search": rpc.result("idoit.search", {"q": "documented-1"}),
            "cmdb.object_types.read": rpc.result("cmdb.object_types.read"),
        }
    for method, result in calls.items():
        jsonschema.Draft202012Validator(results_of[method]).validate(result)
