"""Service desk at size: ticket list pages shaped with owner and submitter and filtered by status and
a wildcard term, and ticket create + update with a comment, through the real HTTP routes, each
beside its floor measured in the same run.

    python -m bench.servicedesk --tickets 2000                      # SQLite, var/bench/servicedesk-2000.db
    python -m bench.servicedesk --tickets 200000                    # the target: 2 000 000 changes
    python -m bench.servicedesk --tickets 200000 --reuse            # time again on the loaded database
    python -m bench.servicedesk --tickets 20000 \\
        --database-url postgresql+psycopg://estate:estate@127.0.0.1:5432/estate_bench_sd

Loading: an organization, its administrator and PEOPLE staff are made by the domain services; the
tickets and their `--changes` changes each are written with plain SQL (executemany on SQLite, COPY
on PostgreSQL) with the two tables' secondary indexes and the ticket search index dropped, which
are built once afterwards, then ANALYZE. `--sample` tickets then go through `POST /tickets`, and
the wildcard must find them and count every probe exactly as plain SQL counts it: the bulk load
and the index hold what the routes would have written.

Ticket text: titles of 3-8 and descriptions of 20-80 words drawn Zipf-wise from a vocabulary of
generated words, plus probe words put into a fixed share of titles (PROBES) so that the wildcard
is measured at known selectivities. Timed requests go to a uvicorn server in a child process on one
connection (5 warm-up requests each). The floors run in this process on the same database: the
same answers from hand-written SQL on the raw driver connection (page: count, page, owners and
submitters; write: the four statements of a create and an update, committed as two transactions).
Results go to var/bench/servicedesk-<db>-<size>.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, insert, select, text, update
from sqlalchemy.engine import make_url

from bench.fleet import Loader, fresh_database
from bench.measure import HEADER, Summary, database_size_mb, summarize
from bench.server import running_server
from estate.accounts import service as accounts
from estate.auth.permissions import ADMINISTRATOR, STANDARD_USER
from estate.db.engine import make_engine, make_session_factory
from estate.db.migrate import upgrade
from estate.orgs import service as orgs
from estate.servicedesk.models import Category, Impact, Priority, Queue, Status, Ticket, TicketChange

API = "/api/service_desk"
PEOPLE = 50
LIST_SHAPING = "hd_ticket regular,owner limited,submitter limited"
# Probe word → share of tickets whose title carries it. The generated vocabulary is made of
# syllables none of these words is built from, so each probe matches exactly its share.
PROBES = {"toner": 0.40, "docking": 0.10, "kerberos": 0.01, "yubikey": 0.001}
# A part of a word, to show that the wildcard is a "contains" match: inside "kerberos".
PARTIAL = "erbero"
_SYLLABLES = ("ba", "di", "fu", "ga", "hi", "lu", "ma", "ni", "pa", "ri", "sa", "ti", "va", "zu", "qua", "wen")
VOCABULARY = 4000
# Status name → share of tickets; most tickets of a desk that runs for years are closed.
STATUS_SHARES = {"Closed": 0.70, "Opened": 0.10, "New": 0.05, "Reopened": 0.02, "Need More Info": 0.04,
                 "Waiting on Customer": 0.05, "Waiting on Third Party": 0.03, "Waiting Overdue": 0.01}
PAGE_STATUSES = ("Opened", "New", "Closed")
TICKET_VALUES = ("id", "organization_id", "hd_queue_id", "title", "summary", "hd_status_id", "hd_priority_id",
                 "hd_category_id", "hd_impact_id", "owner_id", "submitter_id", "created", "version",
                 "time_opened", "time_closed")
CHANGE_VALUES = ("id", "organization_id", "hd_ticket_id", "user_id", "timestamp", "comment", "description")
COMMENTS = ("Looking into it.", "Could you send a screenshot?", "Restarted the service, please try again.",
            "Ordered a replacement.", "Escalated to the network team.", "Works again, closing.", "")


def default_url(size: int) -> str:
    Path("var/bench").mkdir(parents=True, exist_ok=True)
    return f"sqlite:///var/bench/servicedesk-{size}.db"


def info_path(url: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path(f"{parsed.database}.json")
    return Path("var/bench") / f"{parsed.database}.json"


@dataclass
class DeskInfo:
    """What the timing needs to know about a loaded database; saved next to it for --reuse."""

    url: str
    tickets: int
    changes: int
    organization_id: int
    login: str
    password: str
    queue_id: int
    statuses: dict[str, int]
    load_seconds: float = 0.0
    probe_counts: dict[str, int] = field(default_factory=dict)

    def save(self) -> None:
        info_path(self.url).write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, url: str) -> DeskInfo:
        return cls(**json.loads(info_path(url).read_text()))


# ------------------------------------------------------------------------------------------ loading

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


def queue_lists(engine: Engine, organization_id: int) -> dict[str, dict[str, int]]:
    """The default queue's id and its lists, name → id."""
    with engine.connect() as connection:
        queue_id = connection.scalar(select(Queue.id).where(Queue.organization_id == organization_id))
        lists = {"queue": {"id": queue_id}}
        for name, model in (("status", Status), ("priority", Priority), ("category", Category), ("impact", Impact)):
            rows = connection.execute(select(model.name, model.id).where(model.hd_queue_id == queue_id))
            lists[name] = {row_name: row_id for row_name, row_id in rows}
    return lists


class Words:
    """Zipf-distributed generated words; the probes go into titles by ticket number."""

    def __init__(self, rng: random.Random) -> None:
        self.words = sorted({"".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))) for _ in range(VOCABULARY)})
        rng.shuffle(self.words)
        self.cumulative = list(itertools.accumulate(1.0 / (rank + 1) ** 1.05 for rank in range(len(self.words))))

    def some(self, rng: random.Random, low: int, high: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=rng.randint(low, high))


def probes_of(number: int) -> list[str]:
    """The probe words of ticket `number`: a probe of share s is in the tickets whose number falls
    in a fixed 1/s-periodic slot, so the counts are exact and spread over the whole id range."""
    return [word for word, share in PROBES.items() if number % round(1 / share * 10) < 10]


def with_defaults(table: Table, given: Sequence[str]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """The columns a bulk row writes: the given ones, then every other column with a scalar default
    (the tables have no server defaults), with those defaults."""
    rest = [column for column in table.columns if column.name not in given and column.default is not None
            and column.default.is_scalar]
    return (*given, *(column.name for column in rest)), tuple(column.default.arg for column in rest)


TICKET_COLUMNS, TICKET_DEFAULTS = with_defaults(Ticket.__table__, TICKET_VALUES)
CHANGE_COLUMNS, CHANGE_DEFAULTS = with_defaults(TicketChange.__table__, CHANGE_VALUES)


def _stamp(moment: datetime, postgres: bool) -> Any:
    # As SQLAlchemy writes datetimes into SQLite: always with microseconds.
    return moment if postgres else moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _ticket_row(rng: random.Random, words: Words, number: int, ids: dict[str, Any]) -> tuple[Any, ...]:
    title_words = words.some(rng, 3, 8)
    for probe in probes_of(number):
        title_words.insert(rng.randint(0, len(title_words)), probe)
    stamp = _stamp(ids["start"] + timedelta(seconds=number * 150), ids["postgres"])
    status_id = rng.choices(ids["status_ids"], cum_weights=ids["status_cumulative"])[0]
    closed = stamp if status_id == ids["closed"] else None
    return (
        ids["first"] + number, ids["organization_id"], ids["queue_id"], " ".join(title_words).capitalize(),
        " ".join(words.some(rng, 20, 80)), status_id, rng.choice(ids["priorities"]), rng.choice(ids["categories"]),
        rng.choice(ids["impacts"]), rng.choice(ids["people"]) if rng.random() < 0.8 else None,
        rng.choice(ids["people"]), stamp, stamp, stamp, closed, *TICKET_DEFAULTS,
    )


def _change_rows(rng: random.Random, ticket: Sequence[Any], count: int, first_id: int,
                 people: list[int]) -> list[tuple[Any, ...]]:
    rows = []
    for n in range(count):
        description = "Ticket Created" if n == 0 else 'Changed ticket Status from "New" to "Opened".'
        comment = "" if n == 0 else rng.choice(COMMENTS)
        rows.append((first_id + n, ticket[1], ticket[0], rng.choice(people), ticket[11], comment, description,
                     *CHANGE_DEFAULTS))
    return rows


@contextmanager
def indexes_built_after(engine: Engine, tables: Sequence[str]) -> Iterator[None]:
    """Drop the secondary indexes (and on SQLite the search index's triggers) of `tables`, and
    build them again from their own definitions when the block ends; the search index is rebuilt
    from the tickets in one pass."""
    postgres = engine.dialect.name == "postgresql"
    names = ", ".join(f"'{table}'" for table in tables)
    with engine.begin() as connection:
        if postgres:
            definitions = connection.execute(text(
                f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ({names})"  # noqa: S608 - our names
                " AND indexname NOT IN (SELECT conname FROM pg_constraint)")).all()
        else:
            definitions = connection.execute(text(
                f"SELECT name, sql FROM sqlite_master WHERE tbl_name IN ({names})"  # noqa: S608 - our names
                " AND type IN ('index', 'trigger') AND sql IS NOT NULL")).all()
        for name, _ in definitions:
            kind = "TRIGGER" if name.startswith("hd_ticket_search_") else "INDEX"
            connection.execute(text(f'DROP {kind} "{name}"'))
    yield
    with engine.begin() as connection:
        if not postgres:
            connection.execute(text("INSERT INTO hd_ticket_search (hd_ticket_search) VALUES ('rebuild')"))
        for _, definition in definitions:
            connection.execute(text(definition))


def bulk_load(url: str, tickets: int, changes: int, seed: int, batch: int = 5000) -> DeskInfo:
    started = time.perf_counter()
    fresh_database(url)
    engine = make_engine(url)
    upgrade(engine)
    organization_id, login, password, people = create_people(engine)
    lists = queue_lists(engine, organization_id)
    rng = random.Random(seed)
    words = Words(rng)
    loader = Loader(engine, organization_id, batch)
    status_ids = [lists["status"][name] for name in STATUS_SHARES]
    ids: dict[str, Any] = {
        "first": loader.next_id("hd_tickets"), "organization_id": organization_id,
        "queue_id": lists["queue"]["id"], "postgres": loader.postgres,
        "start": datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=tickets * 150),
        "status_ids": status_ids, "status_cumulative": list(itertools.accumulate(STATUS_SHARES.values())),
        "closed": lists["status"]["Closed"], "priorities": list(lists["priority"].values()),
        "categories": list(lists["category"].values()), "impacts": list(lists["impact"].values()),
        "people": people,
    }
    next_change = loader.next_id("hd_ticket_changes")
    loader.connection.commit()  # PostgreSQL: the reads above must not hold locks the index drops wait for
    with indexes_built_after(engine, ("hd_tickets", "hd_ticket_changes")):
        if not loader.postgres:
            loader.connection.cursor().execute("PRAGMA synchronous=OFF")
        for offset in range(0, tickets, batch):
            loader.begin()
            numbers = range(offset, min(tickets, offset + batch))
            ticket_rows = [_ticket_row(rng, words, number, ids) for number in numbers]
            loader.write("hd_tickets", TICKET_COLUMNS, ticket_rows)
            change_rows = []
            for row in ticket_rows:
                change_rows.extend(_change_rows(rng, row, changes, next_change, people))
                next_change += changes
            loader.write("hd_ticket_changes", CHANGE_COLUMNS, change_rows)
            loader.connection.commit()
            print(f"\r{offset + len(ticket_rows)} tickets", end="", flush=True)
        print()
    loader.finish(["hd_tickets", "hd_ticket_changes"])
    info = DeskInfo(url, tickets, changes, organization_id, login, password, lists["queue"]["id"],
                    lists["status"], round(time.perf_counter() - started, 1))
    engine.dispose()
    return info


def probe_counts_by_sql(engine: Engine, organization_id: int) -> dict[str, int]:
    """How many tickets hold each probe, counted by plain substring matching over every ticket."""
    counts = {}
    with engine.connect() as connection:
        for word in (*PROBES, PARTIAL):
            counts[word] = connection.scalar(text(
                "SELECT count(*) FROM hd_tickets WHERE organization_id = :org AND (lower(title) LIKE :p"
                " OR lower(summary) LIKE :p OR lower(cc_list) LIKE :p OR lower(resolution) LIKE :p)"),
                {"org": organization_id, "p": f"%{word}%"})
    return counts


def check_sample(client: Any, info: DeskInfo, engine: Engine, sample: int) -> None:
    """Tickets written through the route are found by the wildcard at once, and every probe is
    counted through the route as plain SQL counts it."""
    marker = f"sample{secrets.token_hex(4)}"
    for n in range(sample):
        created = client.post(f"{API}/tickets", json={"Tickets": [{
            "hd_queue_id": info.queue_id, "title": f"{marker} {n} kerberos", "summary": "written by the route"}]})
        created.raise_for_status()
    found = client.get(f"{API}/tickets", params={"filtering": f"* co {marker}", "use_count_only": "true"}).json()
    if found["Count"] != sample:
        raise RuntimeError(f"the wildcard found {found['Count']} of {sample} tickets written by the route")
    info.probe_counts = probe_counts_by_sql(engine, info.organization_id)
    for word, expected in info.probe_counts.items():
        counted = client.get(f"{API}/tickets", params={"filtering": f"* co {word}", "use_count_only": "true"})
        if counted.json()["Count"] != expected:
            raise RuntimeError(f"the wildcard counts {counted.json()['Count']} tickets holding {word!r}, "
                               f"plain SQL {expected}")


# ------------------------------------------------------------------------------------------ timing

def page_params(word: str, status: str, use_count: bool = True) -> dict[str, str]:
    params = {"shaping": LIST_SHAPING, "paging": "limit 50", "filtering": f"hd_status.name eq {status},* co {word}"}
    if not use_count:
        params["use_count"] = "false"
    return params


def time_calls(call: Callable[[int], None], rounds: int, warmup: int = 5) -> list[float]:
    for n in range(warmup):
        call(n)
    samples = []
    for n in range(rounds):
        started = time.perf_counter()
        call(n)
        samples.append(time.perf_counter() - started)
    return samples


def list_pages(client: Any, word: str, rounds: int, use_count: bool = True) -> list[float]:
    def call(n: int) -> None:
        response = client.get(f"{API}/tickets", params=page_params(word, PAGE_STATUSES[n % 3], use_count))
        if response.status_code != 200:
            raise RuntimeError(f"list failed: {response.status_code} {response.text[:300]}")

    return time_calls(call, rounds)


def create_and_update(client: Any, queue_id: int, rounds: int) -> list[float]:
    def call(n: int) -> None:
        created = client.post(f"{API}/tickets", json={"Tickets": [
            {"hd_queue_id": queue_id, "title": f"bench {n} printer jam", "summary": "paper stuck in tray 2"}]})
        if created.status_code != 200:
            raise RuntimeError(f"create failed: {created.text[:300]}")
        ticket_id = created.json()["IDs"][0]
        updated = client.post(f"{API}/tickets/{ticket_id}", json={"Tickets": [
            {"title": f"bench {n} printer jam (tray 2)", "change": {"comment": "looking into it"}}]})
        if updated.status_code != 200:
            raise RuntimeError(f"update failed: {updated.text[:300]}")

    return time_calls(call, rounds)


def two_plain_requests(client: Any, rounds: int) -> list[float]:
    """What any two requests cost before the service desk does anything: HTTP, the login check,
    one transaction each (`GET /tickets/version` is an authenticated route that reads nothing)."""
    def call(n: int) -> None:
        for _ in range(2):
            client.get(f"{API}/tickets/version").raise_for_status()

    return time_calls(call, rounds)


# -------------------------------------------------------------------------------------------- floors

# The best hand-written shape (decision 0412): owners and submitters whose name holds the term are
# looked up first; without any, the term's matches alone. SQLite: the FTS5 table starts the
# statement, each match checked in the narrow probe index, rows in rowid (= id) order.
# PostgreSQL: the trigram condition on the row, which the GIN indexes answer.
FLOOR_PEOPLE = ("SELECT oa.account_id FROM organization_accounts oa JOIN accounts a ON a.id = oa.account_id"
                " WHERE oa.organization_id = :org AND ({name})")
FLOOR_NAME = {"sqlite": "lower(a.full_name) LIKE :like OR lower(a.login) LIKE :like OR lower(a.email) LIKE :like",
              "postgresql": "a.full_name ILIKE :like OR a.login ILIKE :like OR a.email ILIKE :like"}
FLOOR_FROM = {
    "sqlite": "hd_ticket_search s CROSS JOIN hd_tickets t INDEXED BY ix_hd_tickets_search_probe ON t.id = s.rowid",
    "postgresql": "hd_tickets t",
}
FLOOR_MATCH = {
    "sqlite": "hd_ticket_search MATCH :phrase",
    "postgresql": "(t.title ILIKE :like OR t.summary ILIKE :like OR t.cc_list ILIKE :like OR t.resolution ILIKE :like)",
}
FLOOR_ORDER = {"sqlite": "s.rowid", "postgresql": "t.id"}
FLOOR_COLUMNS = ("t.id, t.title, t.summary, t.version, t.created, t.hd_queue_id, t.cc_list, t.due_date,"
                 " t.is_manual_due_date, t.resolution, t.owner_id, t.submitter_id")
FLOOR_USERS = "SELECT a.id, a.login, a.email, a.full_name FROM accounts a WHERE a.id IN ({ids})"


def floor_page(engine: Engine, info: DeskInfo, word: str, rounds: int, use_count: bool = True) -> list[float]:
    """The page's answer from hand-written SQL on one connection, in this process: the people whose
    name holds the term, the count, the page, and the owners and submitters of the page. The probe
    words are no one's name, so the page is the term's matches alone (checked)."""
    dialect = engine.dialect.name
    where = (f"t.organization_id = :org AND t.hd_status_id = :status AND {FLOOR_MATCH[dialect]}")
    people_sql = text(FLOOR_PEOPLE.format(name=FLOOR_NAME[dialect]))  # noqa: S608 - constant SQL
    count_sql = text(f"SELECT count(*) FROM {FLOOR_FROM[dialect]} WHERE {where}")  # noqa: S608 - constant SQL
    page_sql = text(f"SELECT {FLOOR_COLUMNS} FROM {FLOOR_FROM[dialect]} WHERE {where}"  # noqa: S608 - constant SQL
                    f" ORDER BY {FLOOR_ORDER[dialect]} LIMIT 50")
    with engine.connect() as connection:
        def call(n: int) -> None:
            params = {"org": info.organization_id, "status": info.statuses[PAGE_STATUSES[n % 3]],
                      "phrase": f'"{word}"', "like": f"%{word}%"}
            if connection.execute(people_sql, params).first() is not None:
                raise RuntimeError(f"someone's name holds the probe {word!r}: the floor no longer fits")
            if use_count:
                connection.execute(count_sql, params).scalar_one()
            rows = connection.execute(page_sql, params).all()
            people = {row.owner_id for row in rows} | {row.submitter_id for row in rows}
            people.discard(None)
            if people:
                connection.execute(text(FLOOR_USERS.format(ids=", ".join(str(int(i)) for i in people)))).all()

        return time_calls(call, rounds)


def floor_write(engine: Engine, info: DeskInfo, rounds: int) -> list[float]:
    """Create + update with a comment as the four statements they must write (SQLAlchemy Core,
    column defaults filled in), committed as two transactions like the two requests."""
    tickets, changes = Ticket.__table__, TicketChange.__table__
    with engine.connect() as connection:
        def call(n: int) -> None:
            now = datetime.now(UTC)
            with connection.begin():
                ticket_id = connection.execute(insert(tickets).values(
                    organization_id=info.organization_id, hd_queue_id=info.queue_id, title=f"floor {n} printer jam",
                    summary="paper stuck in tray 2", hd_status_id=info.statuses["New"], created=now, version=now,
                ).returning(tickets.c.id)).scalar_one()
                connection.execute(insert(changes).values(
                    organization_id=info.organization_id, hd_ticket_id=ticket_id, timestamp=now,
                    description="Ticket Created"))
            with connection.begin():
                connection.execute(update(tickets).where(tickets.c.id == ticket_id).values(
                    title=f"floor {n} printer jam (tray 2)", version=now))
                connection.execute(insert(changes).values(
                    organization_id=info.organization_id, hd_ticket_id=ticket_id, timestamp=now,
                    comment="looking into it", description='Changed ticket Title from "a" to "b".'))

        return time_calls(call, rounds)


# ---------------------------------------------------------------------------------------------- main

def run(info: DeskInfo, rounds: int, sample: int) -> dict[str, Any]:
    engine = make_engine(info.url)
    results: list[tuple[Summary, Summary | None]] = []
    with running_server(info.url) as server, server.client(info.login, info.password) as client:
        if sample:
            check_sample(client, info, engine, sample)
            info.save()
        for word in (*PROBES, PARTIAL):
            share = info.probe_counts.get(word, 0) / max(info.tickets, 1)
            name = f"page of 50, status + `* co {word}` ({share:.1%} of tickets), Count"
            results.append((summarize(name, list_pages(client, word, rounds)),
                            summarize(f"floor: {name}", floor_page(engine, info, word, rounds))))
        word = next(iter(PROBES))
        results.append((summarize(f"page of 50, status + `* co {word}`, use_count=false",
                                  list_pages(client, word, rounds, use_count=False)),
                        summarize("floor: the same without the count",
                                  floor_page(engine, info, word, rounds, use_count=False))))
        results.append((summarize("ticket create + update with a comment",
                                  create_and_update(client, info.queue_id, rounds)),
                        summarize("floor: create + update", floor_write(engine, info, rounds))))
        results.append((summarize("two authenticated requests that do nothing (GET /tickets/version)",
                                  two_plain_requests(client, rounds)), None))
        rss = server.rss_mb()
    report = {
        "database": engine.dialect.name, "tickets": info.tickets, "changes": info.tickets * info.changes,
        "load_seconds": info.load_seconds, "database_mb": round(database_size_mb(engine)),
        "server_rss_mb": round(rss), "load_average": os.getloadavg(), "probe_counts": info.probe_counts,
        "results": [asdict(summary) for pair in results for summary in pair if summary is not None],
    }
    engine.dispose()
    print(f"{info.tickets} tickets, {info.tickets * info.changes} changes on {report['database']}; loaded in "
          f"{info.load_seconds:.0f} s; database {report['database_mb']} MB; load average "
          + " ".join(f"{value:.2f}" for value in report["load_average"]))
    print(HEADER)
    for pair in results:
        for summary in pair:
            if summary is not None:
                print(summary.line())
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=10, help="changes per ticket")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--sample", type=int, default=20, help="tickets written through the route and checked")
    parser.add_argument("--database-url")
    parser.add_argument("--reuse", action="store_true", help="time again on a database loaded before")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = args.database_url or default_url(args.tickets)
    if args.reuse:
        info = DeskInfo.load(url)
        sample = 0
    else:
        info = bulk_load(url, args.tickets, args.changes, args.seed)
        info.save()
        sample = args.sample
    report = run(info, args.rounds, sample)
    Path("var/bench").mkdir(parents=True, exist_ok=True)
    out = Path("var/bench") / f"servicedesk-{report['database']}-{info.tickets}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
