"""Inventory as an agent reports it, and reading back what was stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from estate.inventory.models import Machine

MACHINES = "/api/inventory/machines/"


def software(name: str, version: str = "1.0", publisher: str = "Contoso") -> dict[str, str]:
    return {"Display_Name": name, "Display_Version": version, "Publisher": publisher}


def process(name: str) -> dict[str, str]:
    return {"Name": name, "Command_Exe": f"C:\\Program Files\\{name}", "File_Version": "2.1"}


def service(name: str, status: str = "Running") -> dict[str, str]:
    return {"Name": name, "Display_Name": name.title(), "Status": status, "Startup_Type": "Automatic"}


def machine(name: str, **extra: Any) -> dict[str, Any]:
    return {"Name": name, "Ip": "10.0.0.7", "Os_name": "Microsoft Windows 11 Pro x64", "Ram_total": "16384 MB", **extra}


def ingest(client, *machines: dict[str, Any]) -> list[int]:
    response = client.post(MACHINES, json={"Machines": list(machines)})
    assert response.status_code == 200, response.text
    ids = response.json()
    assert isinstance(ids, list) and all(isinstance(item, int) for item in ids)
    return ids


def machine_count(db: Session, organization_id: int) -> int:
    return db.scalar(select(func.count()).select_from(Machine).where(Machine.organization_id == organization_id))


def links(db: Session, link: Any, item_column: str, machine_id: int) -> dict[int, int]:
    """item id → link row id for one machine."""
    rows = db.execute(select(getattr(link, item_column), link.id).where(link.machine_id == machine_id))
    return dict(rows.all())
