"""An inventoried machine as the categories of its CMDB object (docs/decisions/0520-0522).

Hardware, network and operating system are category entries of the machine's device object: the
inventory is a feed of the CMDB (estate.cmdb.feeds), and an ingest hands it what each machine's
report describes (reported_categories), which the CMDB writes as a bulk diff. Software assignment is
not copied: it is derived from the inventory's links when asked (software_rows), and idoit.search
reaches machines through the software titles' own index (machines_with_software).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, select, update
from sqlalchemy.orm import Session

from estate.assets.models import AssetLink
from estate.cmdb import feeds, objects, search
from estate.cmdb.catalog import NORMAL
from estate.cmdb.feeds import Reported
from estate.cmdb.logbook import Actor
from estate.cmdb.models import CmdbObject
from estate.db.base import chunks
from estate.inventory.models import Machine, MachineSoftware, Software

MODEL = "C__CATG__MODEL"
CPU = "C__CATG__CPU"
MEMORY = "C__CATG__MEMORY"
DRIVE = "C__CATG__DRIVE"
PORT = "C__CMDB__SUBCAT__NETWORK_PORT"
IP = "C__CATG__IP"
OPERATING_SYSTEM = "C__CATG__OPERATING_SYSTEM"
SOFTWARE = "C__CATG__APPLICATION"
FED = (MODEL, CPU, MEMORY, DRIVE, PORT, IP, OPERATING_SYSTEM)
MACHINES = cast(Table, Machine.__table__)

# Inventory writes show in the logbook as an import, under the name "inventory".
FEED = feeds.register_feed(feeds.Feed(source="inventory", categories=frozenset(FED)))


# --- what a report describes --------------------------------------------------------------------

_FREQUENCY = re.compile(r"(\d+(?:\.\d+)?)\s*(GHz|MHz)", re.IGNORECASE)
_SIZE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([KMGT]B)?\s*$", re.IGNORECASE)
_ADDRESSES = re.compile(r"[\s,;]+")


def _compact(raw: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in raw.items():
        if isinstance(value, str):
            value = value.strip()[:255]
        if value is not None and value != "":
            out[name] = value
    return out


def _one(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {"": raw} if raw else {}


def _unique(taken: Mapping[str, Any], key: str) -> str:
    number, candidate = 1, key
    while candidate in taken:
        number += 1
        candidate = f"{key}#{number}"
    return candidate


def _model(values: Mapping[str, Any]) -> dict[str, Any]:
    return _compact({
        "manufacturer": values.get("cs_manufacturer"), "title": values.get("cs_model"),
        "serial": values.get("bios_serial_number"), "firmware": values.get("bios_version"),
        "productid": values.get("manufacturer_product_number"),
    })


def _cpu(values: Mapping[str, Any]) -> dict[str, Any]:
    name = str(values.get("cpu_name") or "").strip()
    if not name and values.get("physical_cores") is None:
        return {}
    lowered = name.lower()
    raw: dict[str, Any] = {
        "title": name, "cores": values.get("physical_cores"),
        "manufacturer": "Intel" if "intel" in lowered else "AMD" if "amd" in lowered else None,
    }
    frequency = _FREQUENCY.search(name)
    if frequency:
        raw["frequency"] = float(frequency[1])
        raw["frequency_unit"] = "GHz" if frequency[2].lower() == "ghz" else "MHz"
    return _compact(raw)


def _memory(values: Mapping[str, Any]) -> dict[str, Any]:
    size = _SIZE.match(str(values.get("ram_total") or ""))
    if not size:
        return {}
    # Agents report megabytes when they name no unit.
    return {"quantity": 1, "capacity": float(size[1].replace(",", ".")), "unit": (size[2] or "MB").upper()}


def _operating_system(values: Mapping[str, Any], catalog_name: str | None) -> dict[str, Any]:
    name = values.get("os_name") or catalog_name
    version = values.get("os_version") or values.get("os_number") or values.get("os_build")
    return _compact({"application": name, "assigned_version": version}) if name else {}


def _size(key: str, unit_key: str, gigabytes: Any) -> dict[str, Any]:
    return {key: float(gigabytes), unit_key: "GB"} if isinstance(gigabytes, int | float) else {}


def _drives(disks: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for index, disk in enumerate(disks):
        name = disk.get("name")
        out[_unique(out, name or f"#{index + 1}")] = _compact({
            "title": name, "mount_point": name, "filesystem": disk.get("filesystem"),
            **_size("capacity", "unit", disk.get("disk_size")),
            **_size("free_space", "free_space_unit", disk.get("disk_free")),
            **_size("used_space", "used_space_unit", disk.get("disk_used")),
        })
    return out


def _nics(values: Mapping[str, Any], sent: Iterable[str], rows: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The machine's interfaces as this report tells them: its NIC list, else (a report with an
    address but no NICs) its own Ip and Mac; None when the report says nothing about the network."""
    if "nic" in rows:
        return list(rows["nic"])
    if {"ip", "mac"} & set(sent):
        return [{"nic": None, "ip": values.get("ip"), "mac": values.get("mac")}]
    return None


def _ports(nics: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for nic in nics:
        title = nic.get("nic") or nic.get("mac")
        if title:
            out[_unique(out, str(nic.get("mac") or title).upper())] = _compact(
                {"title": title, "mac": nic.get("mac"), "active": 1}
            )
    return out


def _addresses(nics: Sequence[Mapping[str, Any]], values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for nic in nics:
        for address in _ADDRESSES.split(str(nic.get("ip") or "")):
            if not address or address in out:
                continue
            family = "ipv6_address" if ":" in address else "ipv4_address"
            out[address] = _compact({
                family: address, "hostname": nic.get("dnshostname") or values.get("name"),
                "domain": nic.get("dnsdomain") or values.get("domain"),
                "primary": 1 if address == values.get("ip") else 0, "active": 1,
            })
    return out


def reported_categories(
    values: Mapping[str, Any], sent: Iterable[str], rows: Mapping[str, Any], catalog_os: str | None = None
) -> Reported:
    """The entries a machine's report describes. ``values`` are the machine's fields after the
    report, ``sent`` the fields it carried, ``rows`` its NIC and disk lists when it carried them.
    A category the report says nothing about is left out, so its entries stay as they are."""
    reported: Reported = {
        MODEL: _one(_model(values)), CPU: _one(_cpu(values)), MEMORY: _one(_memory(values)),
        OPERATING_SYSTEM: _one(_operating_system(values, catalog_os)),
    }
    if "disk" in rows:
        reported[DRIVE] = _drives(rows["disk"])
    nics = _nics(values, sent, rows)
    if nics is not None:
        reported[PORT] = _ports(nics)
        reported[IP] = _addresses(nics, values)
    return reported


@objects.register_listener
def follow_device_asset(db: Session, actor: Actor, obj: CmdbObject, event: str, category_const: str | None) -> None:
    """A device asset's machine follows the asset's record state, whichever face changed it: out of
    inventory while the asset is not live, deleted when it is purged; its rows cascade and the
    asset's link forgets it (docs/decisions/0510). Through Core: the machine row is never loaded."""
    if event not in (objects.STATE_CHANGED, objects.PURGING):
        return
    mapped = select(AssetLink.mapped_id).where(AssetLink.object_id == obj.id).scalar_subquery()
    machine = and_(MACHINES.c.organization_id == obj.organization_id, MACHINES.c.id == mapped)
    if event == objects.STATE_CHANGED:
        db.execute(update(MACHINES).where(machine).values(archived=obj.status != NORMAL))
    else:
        db.execute(delete(MACHINES).where(machine))


def sync_machine_categories(
    db: Session, *, organization_id: int, device_objects: Mapping[int, int], reported: Mapping[int, Reported],
    now: datetime,
) -> None:
    """Bring the inventory-fed entries of a batch's device objects (machine id → object id) to what
    the machines reported (machine id → reported_categories)."""
    by_object = {device_objects[machine_id]: categories
                 for machine_id, categories in reported.items() if machine_id in device_objects}
    feeds.sync(db, FEED, organization_id=organization_id, reported=by_object, now=now)


# --- software, read from the inventory ----------------------------------------------------------


def machines_of(db: Session, organization_id: int, object_ids: Sequence[int]) -> dict[int, int]:
    """Object id → machine id, for the objects of ``object_ids`` that are an inventoried machine."""
    if not object_ids:
        return {}
    statement = (
        select(AssetLink.object_id, AssetLink.mapped_id)
        .join(Machine, and_(Machine.id == AssetLink.mapped_id, Machine.organization_id == organization_id))
        # "+ 0": SQLite, without statistics, would otherwise walk all of the organization's links
        # in (organization_id, mapped_id) order instead of looking the objects up by key.
        .where(AssetLink.organization_id + 0 == organization_id, AssetLink.object_id.in_(sorted(set(object_ids))))
    )
    return {object_id: machine_id for object_id, machine_id in db.execute(statement) if machine_id is not None}


def software_rows(
    db: Session, organization_id: int, machines: Mapping[int, int]
) -> dict[int, list[tuple[int, dict[str, Any]]]]:
    """Object id → its software assignment entries as (id, values), read from the inventory's links
    (the link's id is the entry's id), in one query."""
    objects_by_machine = {machine_id: object_id for object_id, machine_id in machines.items()}
    out: dict[int, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    statement = (
        select(MachineSoftware.id, MachineSoftware.machine_id, Software.display_name, Software.display_version)
        .join(Software, Software.id == MachineSoftware.software_id)
        .where(MachineSoftware.organization_id == organization_id,
               MachineSoftware.machine_id.in_(bindparam("machine_ids", expanding=True)))
        .order_by(MachineSoftware.id)
    )
    for part in chunks(sorted(objects_by_machine)):
        for link_id, machine_id, title, version in db.execute(statement, {"machine_ids": list(part)}):
            values = _compact({"application": title, "assigned_version": version})
            out[objects_by_machine[machine_id]].append((link_id, values))
    return out


feeds.register_derived(feeds.Derived(
    category=SOFTWARE, owners=machines_of, rows=software_rows,
    refusal="lists the software the inventory found on its machine: it changes with the machine's next inventory,"
            " not through this API",
))


@dataclass(frozen=True)
class SoftwareHit:
    link_id: int
    object_id: int
    title: str


def machines_with_software(db: Session, *, organization_id: int, query: str, limit: int) -> list[SoftwareHit]:
    """The machines' objects that have a software title matching ``query``: titles from their own
    index, links through their (software, machine) index, objects through (organization, mapped
    machine); at most ``limit``, in the titles' rank order. Three short indexed reads, so that no
    planner starts from all of an organization's links."""
    ranked = search.matching_software(db, organization_id=organization_id, query=query)
    if not ranked:
        return []
    links = db.execute(
        select(MachineSoftware.id, MachineSoftware.machine_id, MachineSoftware.software_id)
        .where(MachineSoftware.organization_id == organization_id, MachineSoftware.software_id.in_(ranked))
        .limit(limit)
    ).all()
    if not links:
        return []
    objects = dict(db.execute(
        select(AssetLink.mapped_id, AssetLink.object_id).where(
            AssetLink.organization_id == organization_id,
            AssetLink.mapped_id.in_(sorted({machine_id for _, machine_id, _ in links})))
    ).all())
    titles = {software_id: " ".join(part for part in (title, version) if part) for software_id, title, version in
              db.execute(select(Software.id, Software.display_name, Software.display_version)
                         .where(Software.id.in_(sorted({software_id for _, _, software_id in links}))))}
    rank = {software_id: position for position, software_id in enumerate(ranked)}
    return [SoftwareHit(link_id, objects[machine_id], titles[software_id])
            for link_id, machine_id, software_id in sorted(links, key=lambda link: (rank[link[2]], link[0]))
            if machine_id in objects]
