"""Helpers of the Asset API tests: the organization's stock types and assets made over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.idoit.conftest import RpcClient, new_key
from tests.kace_client import KaceClient


def stock_types(kace: KaceClient) -> dict[str, dict[str, Any]]:
    response = kace.get("/api/asset/assets/types")
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()["AssetTypes"]}


def field_key(asset_type: dict[str, Any], label: str) -> str:
    return next(item["name"] for item in asset_type["fields"] if item["label"] == label)


def create_asset(kace: KaceClient, **values: Any) -> int:
    response = kace.post("/api/asset/assets", json={"Assets": [values]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["Result"] == "Success"
    return int(body["IDs"][0])


def read_asset(kace: KaceClient, asset_id: int) -> dict[str, Any]:
    response = kace.get(f"/api/asset/assets/{asset_id}")
    assert response.status_code == 200, response.text
    return response.json()["Assets"][0]


@pytest.fixture
def types(admin: KaceClient) -> dict[str, dict[str, Any]]:
    return stock_types(admin)


@pytest.fixture
def computer(types: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return types["Device"]


@pytest.fixture
def rpc(base_url, sessions, org) -> Iterator[RpcClient]:
    """An i-doit client with an API key of `org`, beside the KACE clients of the same organization."""
    with RpcClient(base_url, new_key(sessions, org.id)) as client:
        yield client


@pytest.fixture
def other_rpc(base_url, sessions, other_org) -> Iterator[RpcClient]:
    with RpcClient(base_url, new_key(sessions, other_org.id)) as client:
        yield client
