"""Test machines: bodies as agents send them to POST /api/inventory/machines/."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from estate.inventory import models as inv

MACHINES = "/api/inventory/machines/"


def machine(name: str, *, software: list[str] = (), user: str | None = None, **fields: Any) -> dict[str, Any]:  # type: ignore[assignment]
    body: dict[str, Any] = {"Name": name, **fields}
    if user is not None:
        body["User"] = user
    body["Software"] = [{"Display_Name": title, "Display_Version": "1.0", "Publisher": "Pub"} for title in software]
    return body


def _identity(*parts: Any) -> str:
    return hashlib.blake2b("\x1f".join(str(part) for part in parts).encode(), digest_size=20).hexdigest()


def _catalog(db: Session, model: Any, org_id: int, cache: dict[Any, int], values: dict[str, Any]) -> int:
    key = (model, _identity(*(values.get(name) for name in model.IDENTITY)))
    if key not in cache:
        row = model(organization_id=org_id, identity_key=key[1], **values)
        db.add(row)
        db.flush()
        cache[key] = row.id
    return cache[key]


_LISTS = {
    "software": (inv.Software, inv.MachineSoftware, "software_id"),
    "processes": (inv.Process, inv.MachineProcess, "process_id"),
    "services": (inv.Service, inv.MachineService, "service_id"),
    "startup_programs": (inv.StartupProgram, inv.MachineStartupProgram, "startup_program_id"),
    "operating_systems": (inv.OperatingSystem, inv.MachineOperatingSystem, "operating_system_id"),
}
_CHILDREN = {"nics": inv.MachineNic, "disks": inv.MachineDisk}


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    return {key.lower().replace(" ", "_"): value for key, value in values.items()}


def store(sessions: sessionmaker[Session], org_id: int, bodies: list[dict[str, Any]],
          owner_account_id: int | None = None) -> list[int]:
    ids = []
    cache: dict[Any, int] = {}
    with sessions.begin() as db:
        for body in bodies:
            values = _columns(body)
            lists = {name: values.pop(name, []) for name in (*_LISTS, *_CHILDREN, "location", "labels")}
            row = inv.Machine(organization_id=org_id, kuid=_identity(org_id, values.get("name"), len(ids)),
                              owner_account_id=owner_account_id, **values)
            db.add(row)
            db.flush()
            for name, (model, link, key) in _LISTS.items():
                for item in lists[name]:
                    item_id = _catalog(db, model, org_id, cache, _columns(item))
                    db.add(link(organization_id=org_id, machine_id=row.id, **{key: item_id}))
            for name, model in _CHILDREN.items():
                for item in lists[name]:
                    db.add(model(organization_id=org_id, machine_id=row.id, **_columns(item)))
            if lists["location"]:
                db.add(inv.MachineLocation(organization_id=org_id, machine_id=row.id, **_columns(lists["location"])))
            db.flush()
            ids.append(row.id)
    return ids
