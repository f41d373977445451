"""An i-doit JSON-RPC client as scripts write one, and API keys for the test organizations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from estate.auth.apikeys import create_api_key
from tests.factories import OrgFixture
from tests.kace_client import TLS

PATH = "/src/jsonrpc.php"


class RpcClient(httpx.Client):
    def __init__(self, base_url: str, apikey: str, **kwargs: Any) -> None:
        super().__init__(base_url=base_url, timeout=30, headers={"Content-Type": "application/json"},
                         verify=kwargs.pop("verify", TLS), **kwargs)
        self.apikey = apikey
        self._next_id = 0

    def send(self, payload: Any, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        if isinstance(payload, httpx.Request):
            return super().send(payload, **kwargs)
        response = self.post(PATH, json=payload, headers=kwargs.get("headers"))
        assert response.status_code == 200, response.text
        return response

    def request_body(self, method: str, params: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        self._next_id += 1
        body = {"version": "2.0", "method": method, "params": {"apikey": self.apikey, "language": "en",
                                                                 **(params or {})}, "id": self._next_id}
        body.update(extra)
        return body

    def call(self, method: str, params: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        """The whole answer of one call."""
        body = self.request_body(method, params)
        answer = self.send(body, **kwargs).json()
        assert answer["id"] == body["id"], answer
        return answer

    def result(self, method: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        answer = self.call(method, params, **kwargs)
        assert "error" not in answer, answer
        return answer["result"]

    def error(self, method: str, params: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        answer = self.call(method, params, **kwargs)
        assert "error" in answer and "result" not in answer, answer
        assert "data" in answer["error"], answer
        return answer["error"]


def new_key(sessions: sessionmaker[Session], organization_id: int) -> str:
    with sessions.begin() as db:
        return create_api_key(db, organization_id=organization_id)


@pytest.fixture
def apikey(sessions: sessionmaker[Session], org: OrgFixture) -> str:
    return new_key(sessions, org.id)


@pytest.fixture
def other_apikey(sessions: sessionmaker[Session], other_org: OrgFixture) -> str:
    return new_key(sessions, other_org.id)


@pytest.fixture
def rpc(base_url: str, apikey: str) -> Iterator[RpcClient]:
    with RpcClient(base_url, apikey) as client:
        yield client


@pytest.fixture
def other_rpc(base_url: str, other_apikey: str) -> Iterator[RpcClient]:
    with RpcClient(base_url, other_apikey) as client:
        yield client
