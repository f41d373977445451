"""`estate demo`: a realistic estate for one organization, of a chosen size.

``size`` is the number of inventoried machines; the rest follows from it: sites with buildings
and rooms (CMDB locations), servers and switches placed in the rooms and assigned to contacts
(CMDB relations), software titles and licenses as assets, and tickets about the machines. Each
part goes through its domain service (inventory ingest, assets, cmdb objects and entries, service
desk), in transactions of one batch each, so that a running server keeps answering meanwhile."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from estate.assets import service as assets
from estate.cmdb import entries, objects
from estate.cmdb.catalog import CATALOG
from estate.cmdb.models import CmdbObject
from estate.dataload.acting import actor_of, administrator
from estate.db.base import utcnow
from estate.db.engine import begin_for_writing
from estate.inventory import service as inventory
from estate.servicedesk import service as servicedesk
from estate.servicedesk.models import Priority, Queue, Status

BATCH = 50
SITES = ("Berlin", "Hamburg", "Munich", "Vienna", "Zurich", "Lyon")
FIRST = ("Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hannes", "Ida", "Jonas", "Lena", "Max",
         "Nora", "Oskar", "Paula", "Robin", "Sara", "Tim", "Ute", "Yusuf")
LAST = ("Berger", "Schmidt", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Koch", "Richter",
        "Klein", "Wolf", "Neumann", "Braun", "Zimmermann", "Kaya")
MODELS = (("Dell Inc.", "Latitude 7440"), ("Dell Inc.", "OptiPlex 7010"), ("LENOVO", "ThinkPad T14 Gen 4"),
          ("HP", "EliteBook 840 G10"), ("Apple Inc.", "MacBookPro18,3"), ("LENOVO", "ThinkCentre M90q"))
SYSTEMS = (("Microsoft Windows 11 Enterprise x64", "10.0.22631"), ("Microsoft Windows 10 Pro x64", "10.0.19045"),
           ("macOS Sonoma", "14.5"), ("Ubuntu 22.04.4 LTS", "22.04"))
CPUS = ("Intel(R) Core(TM) i7-1365U", "Intel(R) Core(TM) i5-13500", "AMD Ryzen 7 PRO 7840U", "Apple M2 Pro")
SOFTWARE = (("Mozilla Firefox", "Mozilla", "126.0"), ("Google Chrome", "Google LLC", "125.0.6422"),
            ("Microsoft Office Professional Plus 2021", "Microsoft Corporation", "16.0.14332"),
            ("7-Zip", "Igor Pavlov", "23.01"), ("Adobe Acrobat Reader", "Adobe", "24.002"),
            ("Microsoft Teams", "Microsoft Corporation", "24124.2315"), ("Zoom Workplace", "Zoom", "6.0.11"),
            ("Visual Studio Code", "Microsoft Corporation", "1.89.1"), ("Git", "The Git Development Community",
                                                                        "2.45.1"),
            ("Python 3.12", "Python Software Foundation", "3.12.3"), ("Slack", "Slack Technologies", "4.38.125"),
            ("Notepad++", "Notepad++ Team", "8.6.7"), ("VLC media player", "VideoLAN", "3.0.20"),
            ("KeePassXC", "KeePassXC Team", "2.7.8"), ("Cisco Secure Client", "Cisco Systems", "5.1.3.62"),
            ("CrowdStrike Falcon Sensor", "CrowdStrike", "7.14.18408"), ("LibreOffice", "The Document Foundation",
                                                                         "24.2.3"))
SERVICES = (("Spooler", "Print Spooler"), ("WinRM", "Windows Remote Management"), ("wuauserv", "Windows Update"),
            ("CSFalconService", "CrowdStrike Falcon Sensor Service"))
TICKETS = ("Laptop does not wake from sleep", "VPN drops every few minutes", "Outlook asks for the password again",
           "Printer on floor 2 prints blank pages", "New starter needs a laptop", "Screen flickers on the dock",
           "Cannot install the accounting update", "Wi-Fi slow in meeting room", "Request: second monitor",
           "Teams camera not detected", "Disk almost full", "Password reset for shared mailbox")


@dataclass
class Summary:
    machines: int = 0
    objects: int = 0
    relations: int = 0
    assets: int = 0
    tickets: int = 0


@dataclass(frozen=True)
class Plan:
    machines: int
    buildings: int
    rooms: int
    servers: int
    switches: int
    software_assets: int
    tickets: int

    @classmethod
    def of(cls, size: int) -> Plan:
        buildings = max(1, min(len(SITES), size // 200 + 1))
        return cls(machines=size, buildings=buildings, rooms=buildings * 3, servers=max(2, size // 25),
                   switches=max(1, size // 50), software_assets=min(len(SOFTWARE), max(3, size // 10)),
                   tickets=max(2, size // 3))

    @property
    def steps(self) -> int:
        return (self.machines + self.buildings + self.rooms + self.servers + self.switches + self.software_assets
                + self.tickets)


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _machine(rng: random.Random, number: int, site: str) -> dict[str, Any]:
    vendor, model = rng.choice(MODELS)
    system, version = rng.choice(SYSTEMS)
    person = _person(rng)
    titles = rng.sample(SOFTWARE, rng.randint(4, min(12, len(SOFTWARE))))
    return {
        "Kuid": str(uuid.UUID(int=rng.getrandbits(128))),
        "Name": f"{site[:3].upper()}-{'NB' if 'Book' in model or 'Pad' in model else 'WS'}-{number:05d}",
        "User": person.split()[0][0].lower() + "." + person.split()[1].lower(),
        "Ip": f"10.{SITES.index(site) + 10}.{number // 250 % 250}.{number % 250 + 2}",
        "Os_name": system,
        "Os_number": version,
        "Cpu_name": rng.choice(CPUS),
        "Ram_total": f"{rng.choice((8, 16, 16, 32, 64)) * 1024} MB",
        "Cs_manufacturer": vendor,
        "Cs_model": model,
        "Bios_serial_number": f"{vendor[:2].upper()}{rng.getrandbits(40):010X}",
        "Software": [{"Display_Name": title, "Publisher": publisher, "Display_Version": version}
                     for title, publisher, version in titles],
        "Services": [{"Name": name, "Display_Name": shown, "Status": "Running", "Startup_Type": "Automatic"}
                     for name, shown in SERVICES[: rng.randint(1, len(SERVICES))]],
    }


def _batches(total: int) -> Iterator[range]:
    for start in range(0, total, BATCH):
        yield range(start, min(total, start + BATCH))


def _located(db: Session, actor: Any, type_const: str, title: str, parent: int | None, summary: Summary,
             contact: int | None = None) -> CmdbObject:
    obj = objects.create(db, actor, object_type=CATALOG.object_types[type_const], title=title)
    summary.objects += 1
    if parent is not None:
        entries.save(db, actor, obj, entries.category_of("C__CATG__LOCATION"), {"parent": parent})
        summary.relations += 1
    if contact is not None:
        entries.save(db, actor, obj, entries.category_of("C__CATG__CONTACT"), {"contact": contact})
        summary.relations += 1
    return obj


def fill(sessions: sessionmaker[Session], *, organization_id: int, size: int, seed: int = 1,
         advance: Callable[[int], None] = lambda _: None) -> Summary:
    rng = random.Random(seed)
    plan = Plan.of(size)
    summary = Summary()
    sites = SITES[: plan.buildings]
    with sessions.begin() as db:
        begin_for_writing(db)
        caller = administrator(db, organization_id)
        actor = actor_of(caller)
        buildings = [_located(db, actor, "C__OBJTYPE__BUILDING", f"{site} office", None, summary) for site in sites]
        advance(plan.buildings)
        rooms = [_located(db, actor, "C__OBJTYPE__ROOM", f"{building.title}, {name}", building.id, summary)
                 for building in buildings for name in ("Server room", "Floor 1", "Floor 2")]
        advance(plan.rooms)
        people = [_located(db, actor, "C__OBJTYPE__PERSON", _person(rng), None, summary) for _ in range(3)]
        server_rooms = [room for room in rooms if room.title.endswith("Server room")]
        for n in range(plan.servers):
            _located(db, actor, "C__OBJTYPE__SERVER", f"srv-{rng.choice(('db', 'app', 'file', 'web'))}-{n + 1:02d}",
                     rng.choice(server_rooms).id, summary, contact=rng.choice(people).id)
        advance(plan.servers)
        for n in range(plan.switches):
            _located(db, actor, "C__OBJTYPE__SWITCH", f"sw-core-{n + 1:02d}", rng.choice(rooms).id, summary)
        advance(plan.switches)
        _software_assets(db, actor, organization_id, plan, summary)
        advance(plan.software_assets)
    machine_ids: list[int] = []
    for batch in _batches(plan.machines):
        with sessions.begin() as db:
            begin_for_writing(db)
            reported = [_machine(rng, n + 1, rng.choice(sites)) for n in batch]
            machine_ids += inventory.ingest_machines(db, organization_id=organization_id, machines=reported)
        summary.machines += len(batch)
        advance(len(batch))
    for batch in _batches(plan.tickets):
        with sessions.begin() as db:
            begin_for_writing(db)
            summary.tickets += _tickets(db, administrator(db, organization_id), rng, machine_ids, len(batch))
        advance(len(batch))
    summary.assets += summary.machines  # every machine is a device asset too
    return summary


def _software_assets(db: Session, actor: Any, organization_id: int, plan: Plan, summary: Summary) -> None:
    kind = next(kind for kind in assets.asset_types(db, organization_id) if kind.name == "Software")
    for title, publisher, version in SOFTWARE[: plan.software_assets]:
        assets.create_asset(db, actor, {"asset_type_id": kind.id, "name": title, "field_10010": publisher,
                                        "field_10011": version}, None)
        summary.assets += 1


def _tickets(db: Session, caller: Any, rng: random.Random, machine_ids: list[int], count: int) -> int:
    queue = db.scalars(select(Queue).where(Queue.organization_id == caller.organization_id).order_by(Queue.id)).first()
    if queue is None:
        return 0
    statuses = db.scalars(select(Status.id).where(Status.hd_queue_id == queue.id)).all()
    priorities = db.scalars(select(Priority.id).where(Priority.hd_queue_id == queue.id)).all()
    now = utcnow()
    for _ in range(count):
        values: dict[str, Any] = {"title": rng.choice(TICKETS), "submitter_id": caller.account_id,
                                  "hd_status_id": rng.choice(statuses), "hd_priority_id": rng.choice(priorities)}
        if machine_ids:
            values["machine_id"] = rng.choice(machine_ids)
        servicedesk.create_ticket(db, caller=caller, queue_id=queue.id, values=values,
                                  now=now - timedelta(hours=rng.randint(1, 24 * 60)))
    return count
