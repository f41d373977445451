"""/healthz, /readyz, /metrics and the request log line, over HTTP against the running server."""

from __future__ import annotations

import logging

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from estate.app import create_app
from estate.db.engine import make_engine
from estate.observe.logs import FIELDS, REQUEST_LOGGER, JsonFormatter, TextFormatter
from tests.idoit.conftest import RpcClient, new_key
from tests.servers import serve_in_thread


@pytest.fixture
def apikey(sessions, org) -> str:
    return new_key(sessions, org.id)


def scrape(base_url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = httpx.get(f"{base_url}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict]:
    return [getattr(r, FIELDS) for r in caplog.records if r.name == REQUEST_LOGGER and hasattr(r, FIELDS)]


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["revision"]


def test_readyz_refuses_a_database_behind_the_newest_revision(settings, tmp_path):
    """A database nobody migrated: the process is alive, but not ready for traffic."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with serve_in_thread(create_app(settings, engine)) as url:
            assert httpx.get(f"{url}/healthz").status_code == 200
            answer = httpx.get(f"{url}/readyz")
    finally:
        engine.dispose()
    assert answer.status_code == 503
    assert answer.json()["status"] == "not ready"


def test_metrics_count_a_request_per_route_template(base_url, admin):
    route = "/api/inventory/machines/{item_id}/"
    before = scrape(base_url)
    assert admin.get("/api/inventory/machines/2147483000/").status_code == 404
    after = scrape(base_url)
    labels = {"method": "GET", "route": route, "status": "404"}
    total = "estate_http_requests_total"
    assert value(after, total, **labels) == value(before, total, **labels) + 1
    seconds = {"method": "GET", "route": route}
    count = "estate_http_request_duration_seconds_count"
    assert value(after, count, **seconds) == value(before, count, **seconds) + 1
    assert value(after, "estate_db_pool_checked_out") >= 0
    assert ("estate_db_pool_size", frozenset()) in after


def test_metrics_count_json_rpc_calls_per_method_and_error_code(base_url, apikey):
    before = scrape(base_url)
    with RpcClient(base_url, apikey) as rpc:
        rpc.result("idoit.version")
        rpc.send([rpc.request_body("cmdb.object.read", {"id": "not a number"}), rpc.request_body("no.such.method")])
    after = scrape(base_url)
    for method, code in (("idoit.version", "0"), ("cmdb.object.read", "-32602"), ("(unknown)", "-32601")):
        labels = {"method": method, "code": code}
        assert value(after, "estate_rpc_calls_total", **labels) == value(before, "estate_rpc_calls_total", **labels) + 1


def test_log_line_of_a_failed_json_rpc_call_carries_its_method_and_error_code(base_url, apikey, caplog):
    with caplog.at_level(logging.INFO, logger=REQUEST_LOGGER):
        with RpcClient(base_url, "not-a-key") as rpc:
            rpc.error("cmdb.object.read", {"id": 1})
        with RpcClient(base_url, apikey) as rpc:
            rpc.error("cmdb.objects.frobnicate")
            rpc.error("cmdb.object.read", {"id": "not a number"})
    refused, unknown, invalid = request_lines(caplog)[-3:]
    assert refused["rpc"] == [{"method": "cmdb.object.read", "error": -32604}]
    assert refused["route"] == "/src/jsonrpc.php" and refused["status"] == 200
    assert refused["apikey"] is None  # the key named nothing
    assert unknown["rpc"] == [{"method": "cmdb.objects.frobnicate", "error": -32601}]
    assert invalid["rpc"] == [{"method": "cmdb.object.read", "error": -32602}]
    assert isinstance(invalid["apikey"], int) and isinstance(invalid["organization"], int)
    record = [r for r in caplog.records if r.name == REQUEST_LOGGER][-3]
    line = orjson.loads(JsonFormatter().format(record))
    assert line["rpc"] == [{"method": "cmdb.object.read", "error": -32604}] and line["message"] == "request"
    assert "not-a-key" not in JsonFormatter().format(record) + TextFormatter().format(record)
    assert "rpc=cmdb.object.read(-32604)" in TextFormatter().format(record)


def test_log_line_of_a_failed_login_names_the_user_and_no_password(base_url, org, admin, caplog):
    before = scrape(base_url)
    with caplog.at_level(logging.INFO, logger=REQUEST_LOGGER):
        refused = httpx.post(f"{base_url}/ams/shared/api/security/login",
                             json={"userName": org.user.login, "password": "wrong-password-123"})
        listed = admin.get("/api/inventory/machines/")
    assert refused.status_code == 401 and listed.status_code == 200
    failed, kace = request_lines(caplog)[-2:]
    assert failed["failed_login"] == org.user.login.lower() and failed["status"] == 401
    assert kace["route"] == "/api/inventory/machines/" and kace["organization"] == org.id
    assert kace["account"] == org.admin.id and kace["duration_ms"] >= 0
    records = [r for r in caplog.records if r.name == REQUEST_LOGGER]
    assert all("wrong-password-123" not in JsonFormatter().format(r) for r in records)
    after = scrape(base_url)
    assert value(after, "estate_login_failures_total") >= value(before, "estate_login_failures_total") + 1
