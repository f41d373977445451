"""Managed installs made over HTTP, as administrators make them, and machines as inventories report them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.kace_client import KaceClient

MI = "/api/mi/managed_installs"
LINUX = {"Os_name": "Debian GNU/Linux 12 (bookworm)", "Os_family": "Linux", "Os_version": "12"}
WINDOWS = {"Os_name": "Microsoft Windows 11 Pro x64", "Os_family": "Windows", "Os_version": "10.0.22631"}


def title(name: str | None = None, version: str = "1.0.0") -> dict[str, str]:
    return {"Display_name": name or f"Tool {uuid.uuid4().hex[:8]}", "Display_version": version,
            "Publisher": "Estate Tests"}


def machine(kace: KaceClient, system: dict[str, str], *software: dict[str, str], **extra: Any) -> int:
    """A machine as an inventory reports it (a new KUID each time), with its software."""
    body = {"Kuid": str(uuid.uuid4()).upper(), "Name": f"host-{uuid.uuid4().hex[:6]}", **system,
            "Software": [{"Display_Name": item["Display_name"], "Display_Version": item["Display_version"],
                          "Publisher": item.get("Publisher", "")} for item in software], **extra}
    answer = kace.post("/api/inventory/machines/", json={"Machines": [body]})
    assert answer.status_code == 200, answer.text
    return answer.json()[0]


def reinventory(kace: KaceClient, machine_id: int, system: dict[str, str], *software: dict[str, str]) -> None:
    body = {**system, "Software": [{"Display_Name": item["Display_name"], "Display_Version": item["Display_version"],
                                    "Publisher": item.get("Publisher", "")} for item in software]}
    answer = kace.put(f"/api/inventory/machines/{machine_id}", json={"Machines": [body]})
    assert answer.status_code == 200, answer.text


def create(kace: KaceClient, **fields: Any) -> int:
    body = {"Full_command_line": "sh install.sh", "Supported_operating_systems": ["Linux"], **fields}
    if "Software_id" not in body:
        body.setdefault("Software", title())
    answer = kace.post(MI, json={"MIs": [body]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["Result"] == "Success"
    return answer.json()["IDs"][0]


def read(kace: KaceClient, managed_install_id: int, **params: str) -> dict[str, Any]:
    answer = kace.get(f"{MI}/{managed_install_id}", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["MIs"][0]


def statuses(kace: KaceClient, machine_id: int) -> dict[int, dict[str, Any]]:
    """Managed install id → the machine's status for it, as /api/mi/machines/{id} answers it."""
    answer = kace.get(f"/api/mi/machines/{machine_id}")
    assert answer.status_code == 200, answer.text
    return {int(row["Id"]): row for row in answer.json()["Machines"][0]["Managed_installs"]}


def multipart(kace: KaceClient, method: str, path: str, **parts: Any) -> httpx.Response:
    """A multipart/form-data request (the client's JSON content type would hide the boundary)."""
    json_type = kace.headers.pop("Content-Type")
    try:
        return kace.request(method, path, **parts)
    finally:
        kace.headers["Content-Type"] = json_type


def upload(kace: KaceClient, name: str, content: bytes) -> int:
    answer = multipart(kace, "POST", "/api/mi/files", files={"file": (name, content, "application/octet-stream")})
    assert answer.status_code == 200, answer.text
    return answer.json()["IDs"][0]


def field_of(answer: httpx.Response) -> str | None:
    return answer.json().get("field")
