"""A seeded, realistic fleet: machines as an agent reports them, from shared catalogs with a common
core and a long tail, plus three probe titles on 40 %, 5 % and 0.05 % of the machines.

    python -m bench.fleet --size 1000                       # SQLite under var/bench/
    python -m bench.fleet --size 100000 --sample 200        # bulk SQL load, 200 through the route
    python -m bench.fleet --size 10000 --database-url postgresql+psycopg://estate:estate@127.0.0.1:5432/fleet

The database is migrated, an organization with an administrator is created through the domain
services, and the machines are written with plain SQL in large executemany batches (COPY on
PostgreSQL). The last ``--sample`` machines go through POST /api/inventory/machines/ instead, and
one bulk-loaded machine is sent again through the route to show that the bulk load stored exactly
what the route stores (the route must find nothing to change). ``<database>.json`` records the
organization, the login and the probe titles for the other benchmarks.

Names are drawn at random, so neither machine names nor catalog names follow the ids, and catalog
rows are inserted in shuffled order so that ids do not follow popularity either.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import secrets
import string
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from estate.accounts import service as accounts
from estate.auth.permissions import ADMINISTRATOR
from estate.db.engine import make_engine, make_session_factory
from estate.db.migrate import upgrade
from estate.inventory.catalog import identity_key
from estate.inventory.models import (
    Machine,
    MachineOperatingSystem,
    MachineProcess,
    MachineService,
    MachineSoftware,
    OperatingSystem,
    Process,
    Service,
    Software,
)
from estate.inventory.service import reported_os
from estate.orgs import service as orgs

SOFTWARE_TITLES, PROCESS_NAMES, SERVICE_NAMES = 20_000, 5_000, 2_000


@dataclass(frozen=True)
class Probe:
    title: str
    share: float


# Ordinary-looking titles (neither first nor last by name), on a known share of the machines.
PROBES = (
    Probe("Northwind Telemetry Agent", 0.40),
    Probe("Fabrikam Secure Shell", 0.05),
    Probe("Tailspin Legacy Viewer", 0.0005),
)
PROBE_PUBLISHER = "Probe Software Ltd"
PROBE_VERSION = "4.2.1"

_SYLLABLES = ("ar", "bel", "cor", "dra", "en", "fal", "gri", "hal", "is", "jor", "ka", "lum", "mor", "nex", "or",
              "pra", "qui", "ros", "sil", "tor", "um", "vel", "wen", "xan", "yor", "zel")
_WORDS = ("Studio", "Manager", "Viewer", "Client", "Agent", "Runtime", "Toolkit", "Suite", "Editor", "Player",
          "Driver", "Update", "Service", "Helper", "Connector", "Monitor", "Assistant", "Server", "Console", "SDK")
_OPERATING_SYSTEMS = (
    # name, number, build, family, arch, major, minor, share
    ("Microsoft Windows 11 Pro x64", "10.0.22631", "22631", "Windows", "x64", "10", "0", 0.38),
    ("Microsoft Windows 10 Pro x64", "10.0.19045", "19045", "Windows", "x64", "10", "0", 0.30),
    ("Microsoft Windows 10 Enterprise x64", "10.0.19044", "19044", "Windows", "x64", "10", "0", 0.10),
    ("Microsoft Windows Server 2022 Standard x64", "10.0.20348", "20348", "Windows", "x64", "10", "0", 0.08),
    ("Microsoft Windows Server 2019 Standard x64", "10.0.17763", "17763", "Windows", "x64", "10", "0", 0.05),
    ("Ubuntu 22.04.4 LTS", "22.04", "5.15.0-105", "Linux", "x86_64", "22", "04", 0.05),
    ("macOS Sonoma", "14.4.1", "23E224", "Mac", "arm64", "14", "4", 0.04),
)
_MODELS = (("Dell Inc.", "Latitude 7440"), ("Dell Inc.", "OptiPlex 7010"), ("LENOVO", "ThinkPad T14 Gen 4"),
           ("HP", "EliteBook 840 G10"), ("VMware, Inc.", "VMware Virtual Platform"), ("Apple Inc.", "MacBookPro18,3"))
_CPUS = ("Intel(R) Core(TM) i7-1365U", "Intel(R) Core(TM) i5-13500", "AMD Ryzen 7 PRO 7840U",
         "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", "Apple M2 Pro")


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(syllables)).capitalize()


def _code(rng: random.Random, length: int) -> str:
    return "".join(rng.choices(string.ascii_uppercase + string.digits, k=length))


def _version(rng: random.Random) -> str:
    return f"{rng.randint(1, 24)}.{rng.randint(0, 9)}.{rng.randint(0, 9999)}"


def _zipf_cumulative(count: int, exponent: float) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank + 1) ** exponent for rank in range(count)))


@dataclass(frozen=True)
class Popularity:
    """Which catalog entries a machine has: the core (on most machines) and a Zipf-shaped tail."""

    core: int
    core_share: float
    tail_exponent: float
    minimum: int
    maximum: int

    def pick(self, rng: random.Random, catalog_size: int, cumulative: list[float]) -> list[int]:
        chosen = {rank for rank in range(self.core) if rng.random() < self.core_share}
        wanted = rng.randint(self.minimum, self.maximum)
        total = cumulative[-1]
        while len(chosen) < wanted:
            for _ in range(wanted - len(chosen)):
                chosen.add(self.core + bisect.bisect(cumulative, rng.random() * total))
        return sorted(chosen)


# Probe titles come on top, so the most a machine has is 400.
SOFTWARE_POPULARITY = Popularity(core=90, core_share=0.92, tail_exponent=0.9, minimum=120, maximum=400 - len(PROBES))
PROCESS_POPULARITY = Popularity(core=70, core_share=0.95, tail_exponent=1.0, minimum=120, maximum=180)
SERVICE_POPULARITY = Popularity(core=150, core_share=0.97, tail_exponent=1.0, minimum=185, maximum=215)


@dataclass
class Catalogs:
    """The shared catalogs, by popularity rank (rank 0 is on nearly every machine)."""

    seed: int
    software: list[dict[str, Any]] = field(default_factory=list)
    processes: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        rng = random.Random(f"catalogs-{self.seed}")
        publishers = [f"{_word(rng, 2)} {rng.choice(('Inc.', 'Ltd', 'GmbH', 'Corporation', 'Software'))}"
                      for _ in range(600)]
        taken = {probe.title for probe in PROBES}
        while len(self.software) < SOFTWARE_TITLES - len(PROBES):
            title = f"{_word(rng, rng.randint(2, 3))} {rng.choice(_WORDS)}"
            if rng.random() < 0.3:
                title += f" {rng.randint(2010, 2026)}"
            if title in taken:
                continue
            taken.add(title)
            self.software.append({"display_name": title, "display_version": _version(rng),
                                  "publisher": publishers[min(int(rng.paretovariate(1.2)) - 1, 599)]})
        self.software += [{"display_name": probe.title, "display_version": PROBE_VERSION, "publisher": PROBE_PUBLISHER}
                          for probe in PROBES]
        names: set[str] = set()
        while len(self.processes) < PROCESS_NAMES:
            name = f"{_word(rng, rng.randint(1, 3)).lower()}.exe"
            if name not in names:
                names.add(name)
                folder = f"C:\\Program Files\\{_word(rng, 2)}"
                self.processes.append({"name": name, "command_exe": f"{folder}\\{name}", "file_version": _version(rng)})
        names.clear()
        while len(self.services) < SERVICE_NAMES:
            name = _word(rng, rng.randint(2, 3))
            if name not in names:
                names.add(name)
                self.services.append({
                    "name": name,
                    "display_name": f"{name} {rng.choice(_WORDS)}",
                    "command_exe": f"C:\\Windows\\System32\\{name.lower()}.exe",
                    "status": "Running" if rng.random() < 0.7 else "Stopped",
                    "startup_type": rng.choice(("Automatic", "Automatic", "Manual", "Disabled")),
                })

    @cached_property
    def cumulative(self) -> dict[str, list[float]]:
        probes = len(PROBES)
        return {
            "software": _zipf_cumulative(SOFTWARE_TITLES - probes - SOFTWARE_POPULARITY.core,
                                         SOFTWARE_POPULARITY.tail_exponent),
            "processes": _zipf_cumulative(PROCESS_NAMES - PROCESS_POPULARITY.core, PROCESS_POPULARITY.tail_exponent),
            "services": _zipf_cumulative(SERVICE_NAMES - SERVICE_POPULARITY.core, SERVICE_POPULARITY.tail_exponent),
        }


@dataclass
class Inventory:
    """One machine: its fields (column → value) and the catalog ranks it has."""

    index: int
    values: dict[str, Any]
    software: list[int]
    processes: list[int]
    services: list[int]
    nics: list[dict[str, Any]]
    disks: list[dict[str, Any]]


def _machine_values(rng: random.Random, index: int, seed: int) -> dict[str, Any]:
    os_row = rng.choices(_OPERATING_SYSTEMS, weights=[row[-1] for row in _OPERATING_SYSTEMS])[0]
    maker, model = rng.choice(_MODELS)
    ram = rng.choice((8192, 16384, 16384, 32768, 65536))
    user = f"{rng.choice(string.ascii_lowercase)}{_word(rng, 2).lower()}{rng.randint(1, 99)}"
    booted = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 30 * 24 * 60))
    return {
        "kuid": str(uuid.UUID(int=random.Random(f"kuid-{seed}-{index}").getrandbits(128))).upper(),
        "name": f"{rng.choice(('DESKTOP', 'LAPTOP', 'SRV', 'WS'))}-{_code(rng, 7)}",
        "ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "mac": ":".join(f"{rng.randint(0, 255):02X}" for _ in range(6)),
        "os_name": os_row[0], "os_number": os_row[1], "os_build": os_row[2], "os_family": os_row[3],
        "os_arch": os_row[4], "os_major": os_row[5], "os_minor": os_row[6],
        "user": user, "user_name": user, "user_logged": user, "last_user": user, "user_domain": "CORP",
        "user_fullname": f"{_word(rng, 2)} {_word(rng, 3)}",
        "domain": "corp.example.com", "cs_domain": "corp.example.com",
        "cs_manufacturer": maker, "cs_model": model, "bios_manufacturer": maker,
        "bios_version": f"{rng.randint(1, 3)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
        "bios_serial_number": _code(rng, 10),
        "chassis_type": rng.choice(("laptop", "desktop", "server", "virtual")),
        "cpu_name": rng.choice(_CPUS), "physical_cores": rng.choice((4, 6, 8, 12, 16)), "physical_processors": 1,
        "ram_total": f"{ram} MB", "ram_used": f"{rng.uniform(0.2, 0.9) * ram:.1f}", "ram_max": str(ram * 2),
        "pagefile_size": str(rng.choice((2048, 4096, 8192))), "pagefile_max_size": "16384",
        "client_version": "14.1.2", "uptime": f"{rng.randint(0, 40)} days",
        "last_reboot": booted.strftime("%Y-%m-%d %H:%M:%S"),
        "sound_devices": "High Definition Audio Device", "video_controllers": "Intel(R) Iris(R) Xe Graphics",
        "monitor": "Generic PnP Monitor", "virtual": "1" if model.startswith("VMware") else "0",
    }


def _rng_for(seed: int, index: int, what: str) -> random.Random:
    return random.Random(f"{what}-{seed}-{index}")


def inventory_of(catalogs: Catalogs, index: int) -> Inventory:
    """The inventory of machine ``index``, the same on every call (seeded by the index)."""
    seed = catalogs.seed
    rng = _rng_for(seed, index, "machine")
    software = SOFTWARE_POPULARITY.pick(rng, SOFTWARE_TITLES, catalogs.cumulative["software"])
    probe_rng = _rng_for(seed, index, "probe")
    for offset, probe in enumerate(PROBES):
        if probe_rng.random() < probe.share:
            software.append(SOFTWARE_TITLES - len(PROBES) + offset)
    processes = PROCESS_POPULARITY.pick(rng, PROCESS_NAMES, catalogs.cumulative["processes"])
    services = SERVICE_POPULARITY.pick(rng, SERVICE_NAMES, catalogs.cumulative["services"])
    values = _machine_values(rng, index, seed)
    nics = [{"nic": "Ethernet", "ip": values["ip"], "mac": values["mac"], "dhcp_enabled": "Yes"}]
    if rng.random() < 0.4:
        nics.append({"nic": "Wi-Fi", "ip": f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                     "mac": ":".join(f"{rng.randint(0, 255):02X}" for _ in range(6)), "dhcp_enabled": "Yes"})
    disks = []
    for letter in "CDE"[: rng.randint(1, 3)]:
        size = float(rng.choice((237, 476, 953, 1862)))
        used = round(size * rng.uniform(0.1, 0.95), 1)
        disks.append({"name": f"{letter}:", "filesystem": "NTFS", "disk_size": size, "disk_used": used,
                      "disk_free": round(size - used, 1), "percent_used": round(100 * used / size, 1)})
    return Inventory(index, values, software, processes, services, nics, disks)


def _definition(record: dict[str, Any]) -> dict[str, Any]:
    return {"_".join(part.capitalize() for part in key.split("_")): value for key, value in record.items()}


def payload_of(catalogs: Catalogs, inventory: Inventory) -> dict[str, Any]:
    """The machine as an agent posts it: Definition spellings, nested lists."""
    machine = _definition(inventory.values)
    machine["Software"] = [_definition(catalogs.software[rank]) for rank in inventory.software]
    machine["Processes"] = [_definition(catalogs.processes[rank]) for rank in inventory.processes]
    machine["Services"] = [_definition(catalogs.services[rank]) for rank in inventory.services]
    machine["Nics"] = [_definition(nic) for nic in inventory.nics]
    machine["Disks"] = [_definition(disk) for disk in inventory.disks]
    return machine


def changed(catalogs: Catalogs, inventory: Inventory, share: float, rng: random.Random) -> Inventory:
    """The same machine a while later: ``share`` of its software, processes and services replaced."""

    def churn(ranks: list[int], size: int) -> list[int]:
        kept = list(ranks)
        replaced = max(1, round(len(ranks) * share))
        for _ in range(replaced):
            kept.pop(rng.randrange(len(kept)))
        present = set(ranks)
        while len(kept) < len(ranks):
            rank = rng.randrange(size)
            if rank not in present:
                present.add(rank)
                kept.append(rank)
        return kept

    return Inventory(
        inventory.index,
        {**inventory.values, "ram_used": f"{rng.uniform(1000, 8000):.1f}", "uptime": f"{rng.randint(0, 40)} days"},
        churn(inventory.software, SOFTWARE_TITLES - len(PROBES)),
        churn(inventory.processes, PROCESS_NAMES),
        churn(inventory.services, SERVICE_NAMES),
        inventory.nics,
        inventory.disks,
    )


# --- bulk load ----------------------------------------------------------------------------------


@dataclass
class FleetInfo:
    database_url: str
    size: int
    seed: int
    organization_id: int
    organization: str
    login: str
    password: str
    probes: dict[str, float]
    sample: int = 0
    seconds: float = 0.0

    def save(self) -> Path:
        path = info_path(self.database_url)
        path.write_text(json.dumps(asdict(self), indent=2))
        return path


def info_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return Path(f"{url.database}.json")
    Path("var/bench").mkdir(parents=True, exist_ok=True)
    return Path("var/bench") / f"{url.database}.json"


def fleet_parser(description: str | None) -> argparse.ArgumentParser:
    """The options every benchmark on a fleet takes: its size, seed, database and --reuse."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url")
    parser.add_argument("--reuse", action="store_true", help="use the fleet already built for this database")
    return parser


def default_url(size: int) -> str:
    Path("var/bench").mkdir(parents=True, exist_ok=True)
    return f"sqlite:///var/bench/fleet-{size}.db"


def fresh_database(url: str) -> None:
    """An empty database at ``url``: the SQLite file is deleted, the PostgreSQL database dropped
    and created again. Point it only at a database of its own."""
    parsed = make_url(url)
    info_path(url).unlink(missing_ok=True)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    name = parsed.database
    if not name or not name.replace("_", "").isalnum() or name == "postgres":
        raise SystemExit(f"refusing to recreate the database {name!r}: name a benchmark database of its own")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def create_owner(engine: Engine, seed: int) -> tuple[int, str, str, str]:
    """An organization with an administrator, made as the application makes them."""
    sessions = make_session_factory(engine)
    name = f"Fleet {seed}-{secrets.token_hex(3)}"
    login, password = f"fleet-admin-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
    with sessions.begin() as db:
        organization = orgs.create_organization(db, name=name, actor_account_id=None)
        accounts.create_account(db, login=login, password=password, actor_account_id=None,
                                organization_id=organization.id, role_name=ADMINISTRATOR)
        return organization.id, name, login, password


class Loader:
    """Plain SQL into the migrated tables: executemany in large batches, COPY on PostgreSQL."""

    def __init__(self, engine: Engine, organization_id: int, batch: int) -> None:
        self.engine = engine
        self.organization_id = organization_id
        self.batch = batch
        self.postgres = engine.dialect.name == "postgresql"
        self.connection = engine.raw_connection()
        self.now = datetime.now(UTC).replace(tzinfo=None)
        self.stamp: Any = self.now if self.postgres else self.now.isoformat(sep=" ")

    def begin(self) -> None:
        """The pool hands out SQLite connections in autocommit mode; a batch is one transaction."""
        if not self.postgres:
            self.connection.cursor().execute("BEGIN")

    def next_id(self, table: str) -> int:
        cursor = self.connection.cursor()
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
        return cursor.fetchone()[0]

    def write(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        cursor = self.connection.cursor()
        names = ", ".join(f'"{column}"' for column in columns)
        if self.postgres:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" for _ in columns)
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def finish(self, tables: Sequence[str]) -> None:
        cursor = self.connection.cursor()
        if self.postgres:
            for table in tables:  # explicit ids bypassed the sequences
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
        self.connection.commit()
        cursor.execute("ANALYZE")
        self.connection.commit()
        self.connection.close()


def _item_indexes(engine: Engine, links: Sequence[Any]) -> list[Any]:
    """The (item, machine) indexes of the link tables: built once after the load, not row by row."""
    return [index for link in links for index in link.__table__.indexes if index.name.endswith("_item_machine")]


def _catalog_rows(loader: Loader, model: Any, records: list[dict[str, Any]], extra: dict[str, Any],
                  rng: random.Random) -> tuple[list[str], list[tuple[Any, ...]], list[int]]:
    """Rows with explicit ids in shuffled order; returns the id of each rank."""
    first = loader.next_id(model.__tablename__)
    order = list(range(len(records)))
    rng.shuffle(order)
    ids = [0] * len(records)
    for position, rank in enumerate(order):
        ids[rank] = first + position
    columns = ["id", "organization_id", "identity_key", "created", "modified", *records[0].keys(), *extra.keys()]
    rows = [
        (ids[rank], loader.organization_id, identity_key(model, records[rank]), loader.stamp, loader.stamp,
         *records[rank].values(), *extra.values())
        for rank in order
    ]
    return columns, rows, ids


def load_catalogs(loader: Loader, catalogs: Catalogs) -> tuple[dict[str, list[int]], dict[str, int]]:
    """The software, process and service catalogs, and the fleet's operating systems (by name)."""
    rng = random.Random(f"shuffle-{catalogs.seed}")
    ids = {}
    for name, model, records, extra in (
        ("software", Software, catalogs.software, {"is_manual": 0, "is_patch": 0, "dont_replicate": 0}),
        ("processes", Process, catalogs.processes, {}),
        ("services", Service, catalogs.services, {}),
    ):
        columns, rows, ids[name] = _catalog_rows(loader, model, records, extra, rng)
        loader.write(model.__tablename__, columns, rows)
    return ids, _os_ids(loader)


MACHINE_COLUMNS = ("id", "organization_id", "force_inventory", "manual_entry", "last_inventory", "created",
                   "modified", "os_id")


def _os_ids(loader: Loader) -> dict[str, int]:
    """One operating-system row per OS of the fleet, found by the service's own identity."""
    first = loader.next_id(OperatingSystem.__tablename__)
    ids, rows = {}, []
    for offset, row in enumerate(_OPERATING_SYSTEMS):
        values = dict(zip(("os_name", "os_number", "os_build", "os_family", "os_arch", "os_major", "os_minor"),
                          row, strict=False))
        [(key, record)] = reported_os(values).items()
        ids[row[0]] = first + offset
        rows.append((first + offset, loader.organization_id, key, loader.stamp, loader.stamp, *record.values()))
    loader.write(OperatingSystem.__tablename__,
                 ["id", "organization_id", "identity_key", "created", "modified", *record.keys()], rows)
    return ids


def load_machines(loader: Loader, catalogs: Catalogs, indexes: range, catalog_ids: dict[str, list[int]],
                  os_ids: dict[str, int], progress: bool) -> None:
    next_machine = loader.next_id("machines")
    value_columns = list(inventory_of(catalogs, 0).values)
    links = (("machine_software", "software_id", "software"), ("machine_processes", "process_id", "processes"),
             ("machine_services", "service_id", "services"))
    started = time.monotonic()
    for chunk_start in range(indexes.start, indexes.stop, loader.batch):
        loader.begin()
        machines, link_rows, os_links, nics, disks = [], {table: [] for table, _, _ in links}, [], [], []
        for index in range(chunk_start, min(chunk_start + loader.batch, indexes.stop)):
            inventory = inventory_of(catalogs, index)
            machine_id = next_machine + index - indexes.start
            os_id = os_ids[inventory.values["os_name"]]
            machines.append((machine_id, loader.organization_id, 0, 0, loader.stamp, loader.stamp, loader.stamp, os_id,
                             *inventory.values.values()))
            os_links.append((loader.organization_id, machine_id, os_id))
            for table, _, catalog in links:
                ids = catalog_ids[catalog]
                link_rows[table] += [(loader.organization_id, machine_id, ids[rank])
                                     for rank in sorted(getattr(inventory, catalog), key=ids.__getitem__)]
            nics += [(loader.organization_id, machine_id, *nic.values()) for nic in inventory.nics]
            disks += [(loader.organization_id, machine_id, *disk.values()) for disk in inventory.disks]
        loader.write("machines", [*MACHINE_COLUMNS, *value_columns], machines)
        loader.write("machine_operating_systems", ["organization_id", "machine_id", "operating_system_id"], os_links)
        for table, column, _ in links:
            loader.write(table, ["organization_id", "machine_id", column], link_rows[table])
        loader.write("machine_nics", ["organization_id", "machine_id", *inventory.nics[0].keys()], nics)
        loader.write("machine_disks", ["organization_id", "machine_id", *inventory.disks[0].keys()], disks)
        loader.connection.commit()
        if progress:
            done = min(chunk_start + loader.batch, indexes.stop) - indexes.start
            print(f"  {done} machines loaded ({time.monotonic() - started:.0f} s)", flush=True)


def bulk_load(
    url: str, size: int, seed: int, *, sample: int = 0, batch: int = 2000, progress: bool = True
) -> FleetInfo:
    """A migrated database holding a fleet of ``size`` machines; the last ``sample`` through the route."""
    started = time.monotonic()
    engine = make_engine(url)
    upgrade(engine)
    organization_id, organization, login, password = create_owner(engine, seed)
    catalogs = Catalogs(seed)
    item_indexes = _item_indexes(engine, (MachineSoftware, MachineProcess, MachineService, MachineOperatingSystem))
    with engine.begin() as connection:
        for index in item_indexes:
            index.drop(connection)
    loader = Loader(engine, organization_id, batch)
    if engine.dialect.name == "sqlite":
        loader.connection.cursor().execute("PRAGMA synchronous=OFF")
    loader.begin()
    catalog_ids, os_ids = load_catalogs(loader, catalogs)
    loader.connection.commit()
    load_machines(loader, catalogs, range(0, size - sample), catalog_ids, os_ids, progress)
    with engine.begin() as connection:
        for index in item_indexes:
            index.create(connection)
    loader.finish(["software", "processes", "services", "operating_systems", "machines"])
    info = FleetInfo(url, size, seed, organization_id, organization, login, password,
                     {probe.title: probe.share for probe in PROBES}, sample)
    if sample:
        from bench.server import running_server

        with running_server(url) as server, server.client(login, password) as client:
            send_through_route(client, catalogs, range(size - sample, size))
            check_route_agrees(client, engine, catalogs, organization_id)
    info.seconds = round(time.monotonic() - started, 1)
    engine.dispose()
    return info


def send_through_route(client: Any, catalogs: Catalogs, indexes: range, per_request: int = 10) -> None:
    for start in range(indexes.start, indexes.stop, per_request):
        batch = [payload_of(catalogs, inventory_of(catalogs, index))
                 for index in range(start, min(start + per_request, indexes.stop))]
        response = client.post("/api/inventory/machines/", json={"Machines": batch})
        response.raise_for_status()


def check_route_agrees(client: Any, engine: Engine, catalogs: Catalogs, organization_id: int) -> None:
    """Send the first bulk-loaded machine through the route: it must find nothing to change."""
    first = inventory_of(catalogs, 0)
    with engine.connect() as connection:
        before = connection.execute(
            select(Machine.id, Machine.modified).where(Machine.organization_id == organization_id,
                                                      Machine.kuid == first.values["kuid"])
        ).one()
    response = client.post("/api/inventory/machines/", json={"Machines": [payload_of(catalogs, first)]})
    response.raise_for_status()
    if response.json() != [before.id]:
        raise RuntimeError(f"the route did not recognise bulk-loaded machine {before.id}: {response.text}")
    with engine.connect() as connection:
        after = connection.scalar(select(Machine.modified).where(Machine.id == before.id))
    if after != before.modified:
        raise RuntimeError("the route found differences in a bulk-loaded machine: the bulk load is wrong")


def iter_payloads(catalogs: Catalogs, indexes: range) -> Iterator[dict[str, Any]]:
    for index in indexes:
        yield payload_of(catalogs, inventory_of(catalogs, index))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000, help="machines (1000, 10000, 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=20, help="machines sent through the real route")
    parser.add_argument("--batch", type=int, default=2000, help="machines per executemany batch")
    parser.add_argument("--database-url", help="default: sqlite:///var/bench/fleet-<size>.db (recreated)")
    args = parser.parse_args()
    url = args.database_url or default_url(args.size)
    fresh_database(url)
    info = bulk_load(url, args.size, args.seed, sample=min(args.sample, args.size), batch=args.batch)
    print(f"fleet of {info.size} machines in {info.seconds} s; details in {info.save()}")


if __name__ == "__main__":
    main()
