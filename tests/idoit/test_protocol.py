"""JSON-RPC as i-doit clients rely on it: envelopes, ids, notifications, batches, error codes."""

from __future__ import annotations

import httpx
import pytest

from tests.idoit.conftest import PATH, RpcClient


def post_raw(rpc: RpcClient, content: bytes | str, path: str = PATH, **headers: str) -> httpx.Response:
    response = rpc.post(path, content=content, headers=headers or None)
    assert response.status_code == 200, response.text
    return response


def assert_error(answer: dict, code: int, id_=None) -> dict:
    assert answer["jsonrpc"] == "2.0"
    assert "result" not in answer
    assert answer["error"]["code"] == code, answer
    assert "data" in answer["error"]
    assert answer["id"] == id_ and type(answer["id"]) is type(id_)
    return answer["error"]


def test_parse_error_is_http_200_with_code_32700(rpc):
    assert_error(post_raw(rpc, b"{not json").json(), -32700)


@pytest.mark.parametrize("request_id", [1, 0, "abc", "7", 2**40])
def test_ids_are_echoed_with_their_json_type(rpc, request_id):
    body = rpc.request_body("idoit.version")
    body["id"] = request_id
    answer = rpc.send(body).json()
    assert answer["id"] == request_id and type(answer["id"]) is type(request_id)
    assert answer["result"]["version"]


@pytest.mark.parametrize("bad_id", [True, 1.5, [1], {"a": 1}, None, ""])
def test_invalid_id_types_answer_32603_with_id_null(rpc, bad_id):
    body = rpc.request_body("idoit.version")
    body["id"] = bad_id
    assert_error(rpc.send(body).json(), -32603)


def test_jsonrpc_key_is_accepted_instead_of_version(rpc):
    body = rpc.request_body("idoit.version")
    del body["version"]
    body["jsonrpc"] = "2.0"
    assert rpc.send(body).json()["result"]["type"] == "PRO"


@pytest.mark.parametrize(
    "change",
    [
        {"version": "1.0"},
        {"version": None},
        {"method": 5},
        {"method": None},
    ],
)
def test_invalid_requests_answer_32600(rpc, change):
    body = rpc.request_body("idoit.version")
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    assert_error(rpc.send(body).json(), -32600, body["id"])


def test_unknown_method_answers_32601(rpc):
    body = rpc.request_body("cmdb.nothing.here")
    error = assert_error(rpc.send(body).json(), -32601, body["id"])
    assert "cmdb.nothing.here" in error["message"]


def test_missing_or_non_object_params_answer_32604(rpc):
    body = rpc.request_body("idoit.version")
    del body["params"]
    assert_error(rpc.send(body).json(), -32604, body["id"])
    body["params"] = [1, 2]
    assert_error(rpc.send(body).json(), -32604, body["id"])


def test_missing_and_wrong_api_key_answer_32604(rpc):
    body = rpc.request_body("idoit.version")
    del body["params"]["apikey"]
    assert_error(rpc.send(body).json(), -32604, body["id"])
    body["params"]["apikey"] = "not-a-key-at-all"
    error = assert_error(rpc.send(body).json(), -32604, body["id"])
    assert "API key" in error["message"]


def test_invalid_params_answer_32602_naming_the_parameter(rpc):
    error = rpc.error("cmdb.object.read", {"id": "abc"})
    assert error["code"] == -32602
    assert error["data"]["parameter"] == "id"
    error = rpc.error("cmdb.object.create", {"title": "no type"})
    assert error["code"] == -32602 and error["data"]["parameter"] == "type"


def test_optional_params_sent_as_null_count_as_absent(rpc):
    created = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__CLIENT", "title": "nulls", "sysid": None,
                                                 "cmdb_status": None, "description": None})
    read = rpc.result("cmdb.object.read", {"id": created["id"]})
    assert read["cmdb_status"] == 6 and read["sysid"]


def test_notification_is_executed_and_answered_with_nothing(rpc):
    body = rpc.request_body("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "notified-srv"})
    del body["id"]
    response = rpc.send(body)
    assert response.content == b""
    found = rpc.result("cmdb.objects.read", {"filter": {"title": "notified-srv"}})
    assert len(found) == 1


def test_batch_answers_in_order_with_mixed_results(rpc):
    calls = [
        rpc.request_body("idoit.version"),
        rpc.request_body("cmdb.nothing"),
        rpc.request_body("cmdb.object.read", {"id": "x"}),
        {**rpc.request_body("idoit.constants"), "id": "text-id"},
    ]
    notification = rpc.request_body("idoit.version")
    del notification["id"]
    answers = rpc.send([*calls[:2], notification, *calls[2:]]).json()
    assert [a["id"] for a in answers] == [calls[0]["id"], calls[1]["id"], calls[2]["id"], "text-id"]
    assert "result" in answers[0]
    assert answers[1]["error"]["code"] == -32601
    assert answers[2]["error"]["code"] == -32602
    assert answers[3]["result"]["objectTypes"]


def test_batch_of_only_notifications_answers_an_empty_body(rpc):
    calls = [rpc.request_body("idoit.version") for _ in range(3)]
    for call in calls:
        del call["id"]
    assert rpc.send(calls).content == b""


def test_empty_batch_is_an_invalid_request(rpc):
    assert_error(post_raw(rpc, b"[]").json(), -32600)


def test_batch_elements_that_are_not_objects_answer_32604_with_id_null(rpc):
    answers = post_raw(rpc, b"[1, \"x\"]").json()
    assert len(answers) == 2
    for answer in answers:
        assert_error(answer, -32604)


def test_batch_repeating_an_id_answers_one_32603_with_id_null(rpc):
    first = rpc.request_body("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "never made"})
    again = {**rpc.request_body("idoit.version"), "id": first["id"]}
    answer = rpc.send([first, again]).json()
    assert_error(answer, -32603)
    assert answer["id"] is None
    assert rpc.result("cmdb.objects.read", {"filter": {"title": "never made"}}) == []


def test_batch_mixing_api_keys_answers_one_32602_with_id_null(rpc, other_apikey):
    first = rpc.request_body("idoit.version")
    second = rpc.request_body("idoit.version")
    second["params"]["apikey"] = other_apikey
    answer = rpc.send([first, second]).json()
    assert_error(answer, -32602)
    assert answer["id"] is None and answer["error"]["data"]["parameter"] == "apikey"


def test_batch_larger_than_the_maximum_is_refused(rpc, settings):
    calls = [rpc.request_body("idoit.version") for _ in range(settings.rpc_max_batch + 1)]
    answer = rpc.send(calls).json()
    assert_error(answer, -32600)


def test_batch_runs_in_one_session_and_failed_calls_leave_nothing(rpc):
    calls = [
        rpc.request_body("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "batch-one"}),
        rpc.request_body("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "batch-bad",
                                                "categories": {"C__CATG__MODEL": [{"nope": 1}]}}),
        rpc.request_body("cmdb.objects.read", {"filter": {"title": "batch-one"}}),
    ]
    answers = rpc.send(calls).json()
    assert isinstance(answers[0]["result"]["id"], int)
    assert answers[1]["error"]["code"] == -32602
    assert [o["id"] for o in answers[2]["result"]] == [answers[0]["result"]["id"]]
    assert rpc.result("cmdb.objects.read", {"filter": {"title": "batch-bad"}}) == []


def test_second_path_and_basic_auth_header_do_not_change_anything(rpc):
    body = rpc.request_body("idoit.version")
    response = rpc.post("/i-doit/src/jsonrpc.php", json=body, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 200 and response.json()["result"]["type"] == "PRO"


@pytest.mark.parametrize(
    "alias, params",
    [
        ("cmdb.objects", {}),
        ("cmdb.object_types", {}),
        ("cmdb.object_type_groups", {}),
        ("cmdb.reports", {}),
        ("cmdb.status", {}),
        ("cmdb.category_info", {"category": "C__CATG__MODEL"}),
        ("cmdb.object_type_categories", {"type": "C__OBJTYPE__SERVER"}),
        ("idoit.addons.read", {}),
        ("idoit.license.read", {}),
    ],
)
def test_namespaces_without_a_verb_mean_read(rpc, alias, params):
    assert rpc.result(alias, params) is not None


def test_errors_never_leak_internals(rpc):
    error = rpc.error("cmdb.object.read", {"id": -5})
    assert error["code"] == -32602
    assert "Traceback" not in error["message"]


def test_oversize_body_is_refused_with_an_error_object(rpc, settings):
    body = rpc.request_body("idoit.search", {"q": "x" * (settings.max_body_bytes + 10)})
    response = rpc.post(PATH, json=body)
    assert response.status_code == 200
    assert_error(response.json(), -32600)


def test_failing_notifications_are_not_answered_and_change_nothing(rpc):
    body = rpc.request_body("cmdb.object.create", {"type": "C__OBJTYPE__NOPE", "title": "silent failure"})
    del body["id"]
    assert rpc.send(body).content == b""
    unknown = {"version": "2.0", "method": "cmdb.nothing", "params": {"apikey": rpc.apikey}}
    assert rpc.send(unknown).content == b""
    assert rpc.result("cmdb.objects.read", {"filter": {"title": "silent failure"}}) == []


def test_a_request_that_is_not_an_object_is_invalid(rpc):
    assert_error(post_raw(rpc, b"42").json(), -32600)
    assert_error(post_raw(rpc, b"\"text\"").json(), -32600)


def test_api_keys_of_the_wrong_type_are_refused_with_32604(rpc):
    first = rpc.request_body("idoit.version")
    first["params"]["apikey"] = {"not": "a key"}
    second = rpc.request_body("idoit.version")
    second["params"]["apikey"] = ["x"]
    third = rpc.request_body("idoit.version")
    answers = rpc.send([first, second, third]).json()
    assert [a.get("error", {}).get("code") for a in answers] == [-32604, -32604, None]


@pytest.mark.parametrize(("method", "params", "parameter"), [
    ("cmdb.category.read", {"objID": 2**40, "category": "C__CATG__GLOBAL"}, "objID"),
    ("cmdb.category.read", {"object": 2**31, "category": "C__CATG__GLOBAL"}, "object"),
    ("cmdb.object.read", {"id": 2**40}, "id"),
    ("cmdb.object.update", {"id": 2**63, "title": "x"}, "id"),
])
def test_ids_beyond_the_columns_answer_32602_naming_the_parameter(rpc, method, params, parameter):
    error = rpc.error(method, params)
    assert error["code"] == -32602 and parameter in str(error["data"])
