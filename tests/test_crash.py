"""`kill -9` of the server in the middle of inventory ingests and ticket writes: every write it
acknowledged is there after the restart, and no machine or ticket is half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import httpx
from sqlalchemy import func, select

from estate.cmdb.models import CmdbObject
from estate.db.installation import INITIAL_DATA, record_fact
from estate.inventory.models import Machine, MachineSoftware
from estate.servicedesk.models import Ticket, TicketChange
from tests.kace_client import KaceClient
from tests.servers import free_port

SOFTWARE_PER_MACHINE = 6
ROUNDS = 2


def _start(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    # One process: the kill -9 is of the process that serves.
    return subprocess.Popen([sys.executable, "-m", "estate.cli", "serve", "--port", str(port), "--workers", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)


def _logged_in(base: str, login: str, password: str, server: subprocess.Popen[str]) -> KaceClient:
    deadline = time.monotonic() + 120  # a busy machine starts a process slowly
    while True:
        assert server.poll() is None, "the server exited"
        try:
            client = KaceClient(base)
            client.login(login, password)
            return client
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)


def _machine(kuid: str) -> dict:
    software = [{"Display_Name": f"crash-app-{n}", "Display_Version": "1"} for n in range(SOFTWARE_PER_MACHINE)]
    return {"Kuid": kuid, "Name": f"crash-{kuid[:8]}", "Os_name": "Debian GNU/Linux 12", "Software": software}


def _ingest_until(stop: threading.Event, client: KaceClient, acknowledged: dict[str, int]) -> None:
    while not stop.is_set():
        kuid = str(uuid.uuid4())
        try:
            answer = client.post("/api/inventory/machines", json={"Machines": [_machine(kuid)]})
        except httpx.TransportError:
            return
        if answer.status_code == 200:
            acknowledged[kuid] = answer.json()[0]


def _tickets_until(stop: threading.Event, client: KaceClient, queue_id: int, acknowledged: list[int]) -> None:
    while not stop.is_set():
        try:
            answer = client.post("/api/service_desk/tickets", json={"Tickets": [
                {"hd_queue_id": queue_id, "title": "written while the server dies",
                 "change": {"comment": "first words"}}]})
        except httpx.TransportError:
            return
        if answer.status_code == 200:
            acknowledged.extend(answer.json()["IDs"])


def _write_and_kill(env: dict[str, str], login: str, password: str) -> tuple[dict[str, int], list[int]]:
    port = free_port()
    server = _start(env, port)
    machines: dict[str, int] = {}
    tickets: list[int] = []
    try:
        base = f"http://127.0.0.1:{port}"
        clients = [_logged_in(base, login, password, server) for _ in range(3)]
        queue_id = clients[0].get("/api/service_desk/queues").json()["Queues"][0]["id"]
        stop = threading.Event()
        writers = [threading.Thread(target=_ingest_until, args=(stop, clients[0], machines)),
                   threading.Thread(target=_ingest_until, args=(stop, clients[1], machines)),
                   threading.Thread(target=_tickets_until, args=(stop, clients[2], queue_id, tickets))]
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 10
        while (len(machines) < 8 or len(tickets) < 4) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(server.pid, signal.SIGKILL)
        stop.set()
        for writer in writers:
            writer.join(timeout=30)
        for client in clients:
            client.close()
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)
    assert machines and tickets, "no write was acknowledged before the kill"
    return machines, tickets


def test_a_killed_server_keeps_every_acknowledged_write(database_url, org, sessions, tmp_path):
    with sessions.begin() as db:
        record_fact(db, INITIAL_DATA, "done")  # the test database is a set-up installation
    env = {key: value for key, value in os.environ.items() if not key.startswith("ESTATE_")}
    env.update(ESTATE_DATABASE_URL=database_url, ESTATE_DATA_DIR=str(tmp_path),
               ESTATE_TEST_CHEAP_PASSWORD_HASHES="1", ESTATE_LOG_LEVEL="warning")
    machines: dict[str, int] = {}
    tickets: list[int] = []
    for _ in range(ROUNDS):
        written_machines, written_tickets = _write_and_kill(env, org.admin.login, org.admin.password)
        machines.update(written_machines)
        tickets.extend(written_tickets)

    with sessions() as db:
        stored = dict(db.execute(select(Machine.kuid, Machine.id).where(Machine.organization_id == org.id)).all())
        assert {kuid: stored.get(kuid) for kuid in machines} == machines  # every acknowledged machine
        software = dict(db.execute(
            select(MachineSoftware.machine_id, func.count()).where(MachineSoftware.organization_id == org.id)
            .group_by(MachineSoftware.machine_id)).all())
        assert {software.get(machine_id) for machine_id in stored.values()} == {SOFTWARE_PER_MACHINE}
        device_titles = set(db.scalars(select(CmdbObject.title).where(CmdbObject.organization_id == org.id)))
        names = set(db.scalars(select(Machine.name).where(Machine.organization_id == org.id)))
        assert names <= device_titles  # every machine has its device object
        stored_tickets = set(db.scalars(select(Ticket.id).where(Ticket.organization_id == org.id)))
        assert set(tickets) <= stored_tickets
        commented = set(db.scalars(select(TicketChange.hd_ticket_id).where(
            TicketChange.organization_id == org.id, TicketChange.comment == "first words")))
        assert stored_tickets == commented  # no ticket without the change it was written with
