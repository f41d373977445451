"""Mixed load: 32 clients for a while against one server, then every acknowledged write checked.

Each client loops over a weighted mix of what administrators and scripts do at once: machine pages,
ticket pages with a filter, i-doit object pages, inventory ingests (a new machine each time) and
ticket creations. Reported: p50 / p99 per kind, errors (any answer but 200, any transport error)
and lost writes (acknowledged ids that are not in the database afterwards).

    .venv/bin/python -m bench.load --clients 32 --seconds 60
    .venv/bin/python -m bench.load --database-url postgresql+psycopg://estate:estate@127.0.0.1:5432/estate_bench_load
"""

from __future__ import annotations

import argparse
import os
import random
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from bench.fleet import create_owner, fresh_database
from bench.measure import HEADER, summarize
from bench.server import kace_client, running_server
from estate.auth.apikeys import create_api_key
from estate.db.engine import make_engine, make_session_factory
from estate.db.migrate import upgrade
from estate.inventory.models import Machine
from estate.servicedesk.models import Queue, Ticket

# kind → weight in the mix
MIX = {"machine page": 40, "ticket page": 15, "idoit objects": 15, "ingest": 15, "ticket create": 15}


@dataclass
class Tally:
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    machines: dict[str, int] = field(default_factory=dict)  # acknowledged kuid → id
    tickets: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _machine(kuid: str) -> dict[str, Any]:
    software = [{"Display_Name": f"load-app-{n}", "Display_Version": "1.0"} for n in range(20)]
    return {"Kuid": kuid, "Name": f"load-{kuid[:8]}", "Os_name": "Ubuntu 24.04 LTS", "Ip": "10.1.2.3",
            "Software": software}


def _one(kind: str, client: httpx.Client, rpc: httpx.Client, apikey: str, queue_id: int,
         rng: random.Random) -> tuple[httpx.Response, Any]:
    if kind == "machine page":
        page = {"paging": f"limit 50 offset {rng.randrange(0, 200)}"}
        return client.get("/api/inventory/machines", params=page), None
    if kind == "ticket page":
        page = {"filtering": "title co load", "paging": "limit 50"}
        return client.get("/api/service_desk/tickets", params=page), None
    if kind == "idoit objects":
        body = {"version": "2.0", "method": "cmdb.objects.read", "id": 1,
                "params": {"apikey": apikey, "filter": {"type": "C__OBJTYPE__CLIENT"}, "limit": 50}}
        return rpc.post("/src/jsonrpc.php", json=body), None
    if kind == "ingest":
        kuid = str(uuid.uuid4())
        return client.post("/api/inventory/machines", json={"Machines": [_machine(kuid)]}), kuid
    ticket = {"hd_queue_id": queue_id, "title": f"load ticket {rng.randrange(10**6)}", "change": {"comment": "x"}}
    return client.post("/api/service_desk/tickets", json={"Tickets": [ticket]}), None


def _client_loop(base_url: str, login: str, password: str, apikey: str, queue_id: int, until: float,
                 seed: int, tally: Tally) -> None:
    rng = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    with kace_client(base_url, login, password) as client, httpx.Client(base_url=base_url, timeout=120) as rpc:
        while time.monotonic() < until:
            kind = rng.choices(kinds, weights)[0]
            started = time.perf_counter()
            try:
                response, kuid = _one(kind, client, rpc, apikey, queue_id, rng)
            except httpx.HTTPError:
                with tally.lock:
                    tally.errors[kind] += 1
                continue
            elapsed = time.perf_counter() - started
            ok = response.status_code == 200 and (kind != "idoit objects" or "error" not in response.json())
            with tally.lock:
                tally.samples[kind].append(elapsed)
                if not ok:
                    tally.errors[kind] += 1
                elif kind == "ingest":
                    tally.machines[kuid] = response.json()[0]
                elif kind == "ticket create":
                    tally.tickets.extend(response.json()["IDs"])


def _lost_writes(engine: Any, organization_id: int, tally: Tally) -> tuple[int, int]:
    with make_session_factory(engine)() as db:
        by_kuid = select(Machine.kuid, Machine.id).where(Machine.organization_id == organization_id)
        stored = {kuid: machine_id for kuid, machine_id in db.execute(by_kuid)}
        tickets = set(db.scalars(select(Ticket.id).where(Ticket.organization_id == organization_id)))
    lost_machines = sum(1 for kuid, machine_id in tally.machines.items() if stored.get(kuid) != machine_id)
    lost_tickets = sum(1 for ticket_id in tally.tickets if ticket_id not in tickets)
    return lost_machines, lost_tickets


def run(args: argparse.Namespace) -> int:
    url = args.database_url or "sqlite:///var/bench/load.db"
    os.makedirs("var/bench", exist_ok=True)
    fresh_database(url)
    engine = make_engine(url)
    upgrade(engine)
    organization_id, _name, login, password = create_owner(engine, args.seed)
    with make_session_factory(engine).begin() as db:
        apikey = create_api_key(db, organization_id=organization_id)
        queue_id = db.scalar(select(Queue.id).where(Queue.organization_id == organization_id))
    tally = Tally()
    with running_server(url, workers=args.workers) as server:
        with server.client(login, password) as warm:  # a few machines for the pages to show
            warm.post("/api/inventory/machines", json={"Machines": [_machine(str(uuid.uuid4())) for _ in range(60)]})
        until = time.monotonic() + args.seconds
        started = time.monotonic()
        threads = [threading.Thread(target=_client_loop, args=(server.base_url, login, password, apikey, queue_id,
                                                              until, args.seed + n, tally))
                   for n in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        rss = server.rss_mb()
    lost_machines, lost_tickets = _lost_writes(engine, organization_id, tally)
    print(f"\n{args.clients} clients, {args.seconds} s, {args.workers} worker(s), {url.split('://')[0]}, "
          f"load average {os.getloadavg()[0]:.2f}, server RSS {rss:.0f} MB\n")
    print(HEADER)
    for kind in MIX:
        print(summarize(kind, tally.samples[kind], elapsed).line())
    total = sum(len(samples) for samples in tally.samples.values())
    print(f"\nrequests {total} ({total / elapsed:.0f}/s), errors {dict(tally.errors) or 0}, acknowledged writes "
          f"{len(tally.machines)} machines + {len(tally.tickets)} tickets, lost {lost_machines} + {lost_tickets}")
    engine.dispose()
    return 1 if tally.errors or lost_machines or lost_tickets else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="a PostgreSQL database of the benchmark's own (dropped and created)")
    raise SystemExit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
