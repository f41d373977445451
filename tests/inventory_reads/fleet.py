"""Test machines, sent as agents send them: POST /api/inventory/machines/ with {"Machines": [...]}."""

from __future__ import annotations

from typing import Any

import httpx

MACHINES = "/api/inventory/machines/"
BATCH = 100


def machine(name: str, *, software: list[str] | tuple[str, ...] = (), **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"Name": name, **fields}
    body["Software"] = [{"Display_Name": title, "Display_Version": "1.0", "Publisher": "Pub"} for title in software]
    return body


def store(client: httpx.Client, bodies: list[dict[str, Any]]) -> list[int]:
    """The ids of the machines, in the order sent."""
    ids: list[int] = []
    for start in range(0, len(bodies), BATCH):
        response = client.post(MACHINES, json={"Machines": bodies[start : start + BATCH]})
        assert response.status_code == 200, response.text
        ids.extend(response.json())
    return ids
