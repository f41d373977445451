"""Service desk over the real HTTP routes: ticket list pages shaped with owner and submitter and
filtered by status and wildcard, and ticket create + update with a comment.

    python -m bench.servicedesk --tickets 2000                  # SQLite under var/bench/
    python -m bench.servicedesk --tickets 200000 --changes 10   # the target size: 2 000 000 changes
    python -m bench.servicedesk --tickets 2000 --database-url postgresql+psycopg://estate:estate@127.0.0.1:5432/sd

The database is migrated, an organization with an administrator and a staff of owners and
submitters is created through the domain services, and tickets and their changes are written with
plain SQL in large batches (their lists come from the organization's default queue). Timed requests
go to a uvicorn server in a child process.
"""

from __future__ import annotations

import argparse
import random
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.engine import make_url

from bench.measure import HEADER, Summary, database_size_mb, summarize
from bench.server import running_server
from estate.accounts import service as accounts
from estate.auth.permissions import ADMINISTRATOR, STANDARD_USER
from estate.db.engine import make_engine, make_session_factory
from estate.db.migrate import upgrade
from estate.orgs import service as orgs
from estate.servicedesk.models import Category, Impact, Priority, Queue, Status, Ticket, TicketChange

API = "/api/service_desk"
BATCH = 5000
PEOPLE = 200
WORDS = ("printer", "laptop", "vpn", "email", "password", "monitor", "keyboard", "license", "wifi", "badge",
         "phone", "backup", "server", "share", "install", "update", "crash", "slow", "access", "account")
# A word no generated title contains, used as a rare wildcard term on the owner's name instead.
LIST_SHAPING = "hd_ticket regular,owner limited,submitter limited"


def default_url(size: int) -> str:
    Path("var/bench").mkdir(parents=True, exist_ok=True)
    return f"sqlite:///var/bench/servicedesk-{size}.db"


def fresh_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)


def create_people(engine: Engine) -> tuple[int, str, str, list[int]]:
    """An organization, its administrator and PEOPLE standard users, made by the services."""
    sessions = make_session_factory(engine)
    login, password = f"sd-admin-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
    with sessions.begin() as db:
        organization = orgs.create_organization(db, name=f"Service desk {secrets.token_hex(3)}",
                                                actor_account_id=None)
        admin, _ = accounts.create_account(db, login=login, password=password, actor_account_id=None,
                                           organization_id=organization.id, role_name=ADMINISTRATOR,
                                           values={"full_name": "Bench Admin"})
        people = [admin.id]
        for n in range(PEOPLE):
            person, _ = accounts.create_account(
                db, login=f"person-{n}-{secrets.token_hex(2)}", password=secrets.token_urlsafe(12),
                actor_account_id=None, organization_id=organization.id, role_name=STANDARD_USER,
                values={"full_name": f"{random.choice(('Ana', 'Ben', 'Cleo', 'Dev', 'Eli'))} {n} Person"},
            )
            people.append(person.id)
        return organization.id, login, password, people


def queue_lists(engine: Engine, organization_id: int) -> dict[str, list[int]]:
    with engine.connect() as connection:
        queue_id = connection.scalar(select(Queue.id).where(Queue.organization_id == organization_id))
        lists = {"queue": [queue_id]}
        for name, model in (("status", Status), ("priority", Priority), ("category", Category), ("impact", Impact)):
            lists[name] = list(connection.scalars(select(model.id).where(model.hd_queue_id == queue_id)))
    return lists


def _ticket_rows(organization_id: int, lists: dict[str, list[int]], people: list[int], start: datetime,
                 count: int) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        created = start + timedelta(seconds=n * 30)
        rows.append({
            "organization_id": organization_id, "hd_queue_id": lists["queue"][0],
            "title": " ".join(random.sample(WORDS, 3)), "summary": f"ticket {n}: " + " ".join(random.sample(WORDS, 6)),
            "hd_status_id": random.choice(lists["status"]), "hd_priority_id": random.choice(lists["priority"]),
            "hd_category_id": random.choice(lists["category"]), "hd_impact_id": random.choice(lists["impact"]),
            "owner_id": random.choice(people) if random.random() < 0.7 else None,
            "submitter_id": random.choice(people), "created": created, "version": created,
        })
    return rows


def bulk_load(engine: Engine, organization_id: int, people: list[int], tickets: int, changes: int) -> None:
    lists = queue_lists(engine, organization_id)
    start = datetime.now(UTC) - timedelta(seconds=tickets * 30)
    loaded = 0
    while loaded < tickets:
        size = min(BATCH, tickets - loaded)
        rows = _ticket_rows(organization_id, lists, people, start + timedelta(seconds=loaded * 30), size)
        with engine.begin() as connection:
            first = connection.scalar(select(Ticket.id).order_by(Ticket.id.desc()).limit(1)) or 0
            connection.execute(insert(Ticket), rows)
            ids = list(connection.scalars(select(Ticket.id).where(Ticket.id > first).order_by(Ticket.id)))
            change_rows = [
                {"organization_id": organization_id, "hd_ticket_id": ticket_id, "user_id": random.choice(people),
                 "timestamp": start, "comment": random.choice(WORDS) if n else "",
                 "description": "Ticket Created" if n == 0 else 'Changed ticket Status from "New" to "Opened".'}
                for ticket_id in ids for n in range(changes)
            ]
            for offset in range(0, len(change_rows), BATCH):
                connection.execute(insert(TicketChange), change_rows[offset:offset + BATCH])
        loaded += size


def list_pages(client: Any, status_names: list[str], rounds: int) -> list[float]:
    samples = []
    for n in range(rounds):
        status = status_names[n % len(status_names)]
        params = {"shaping": LIST_SHAPING, "paging": "limit 50",
                  "filtering": f"hd_status.name eq {status},* co {WORDS[n % len(WORDS)]}"}
        started = time.perf_counter()
        response = client.get(f"{API}/tickets", params=params)
        samples.append(time.perf_counter() - started)
        if response.status_code != 200 or len(response.json()["Tickets"]) == 0:
            raise RuntimeError(f"list failed: {response.status_code} {response.text[:300]}")
    return samples


def create_and_update(client: Any, queue_id: int, rounds: int) -> list[float]:
    samples = []
    for n in range(rounds):
        started = time.perf_counter()
        created = client.post(f"{API}/tickets", json={"Tickets": [{"hd_queue_id": queue_id, "title": f"bench {n}"}]})
        ticket_id = created.json()["IDs"][0]
        updated = client.post(f"{API}/tickets/{ticket_id}", json={"Tickets": [
            {"title": f"bench {n} updated", "change": {"comment": "looking into it"}}]})
        samples.append(time.perf_counter() - started)
        if created.status_code != 200 or updated.status_code != 200:
            raise RuntimeError(f"write failed: {created.text[:200]} {updated.text[:200]}")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=10, help="changes per ticket")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--database-url")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    random.seed(args.seed)
    url = args.database_url or default_url(args.tickets)
    fresh_database(url)
    engine = make_engine(url)
    upgrade(engine)
    organization_id, login, password, people = create_people(engine)
    began = time.perf_counter()
    bulk_load(engine, organization_id, people, args.tickets, args.changes)
    load_seconds = time.perf_counter() - began
    lists = queue_lists(engine, organization_id)
    with engine.connect() as connection:
        names = list(connection.scalars(select(Status.name).where(Status.id.in_(lists["status"]))))
    results: list[Summary] = []
    with running_server(url) as server, server.client(login, password) as client:
        list_pages(client, names, 5)  # warm the caches
        results.append(summarize("ticket page of 50, owner+submitter, status + wildcard filter",
                                 list_pages(client, names, args.rounds)))
        results.append(summarize("ticket create + update with a comment",
                                 create_and_update(client, lists["queue"][0], args.rounds)))
    print(f"{args.tickets} tickets, {args.tickets * args.changes} changes on {engine.dialect.name}; "
          f"loaded in {load_seconds:.1f} s; database {database_size_mb(engine):.0f} MB")
    print(HEADER)
    for summary in results:
        print(summary.line())
    engine.dispose()


if __name__ == "__main__":
    main()
