"""The browser console's pages on a fleet: every page and panel a person opens, answered by the real
server (uvicorn in a child process on a loopback port), timed from request to the last byte.

The target is 100 ms per answer on the 100 000-machine fleet (`bench.fleet`). Before timing, a
handful of tickets are created through the Service Desk API (some about fleet machines) so that
the ticket pages have something to show. Each page is asked `--rounds` times on one logged-in
connection after 3 warm-up requests; the table gives p50 / p99 / mean and marks answers whose p50
misses the target.

    python -m bench.console --size 10000 --reuse         # on var/bench/fleet-10000.db
    python -m bench.console --size 100000 --reuse        # the target's fleet
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import httpx

from bench.fleet import PROBES, FleetInfo, default_url, fleet_parser
from bench.ingest import load_or_build
from bench.measure import HEADER, Summary, database_size_mb, summarize, timed
from bench.server import kace_client, running_server
from estate.db.engine import make_engine
from estate.db.migrate import upgrade

TARGET_MS = 100.0
TICKETS = 30


def console_client(base_url: str, login: str, password: str) -> httpx.Client:
    """Logged in as a browser logs in: the login form's token, then the session and CSRF cookies."""
    client = httpx.Client(base_url=base_url, timeout=120)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post("/login", data={"csrf_token": token.group(1), "username": login, "password": password})
    if answer.status_code != 303:
        raise RuntimeError(f"the console login failed: {answer.status_code}")
    return client


def seed_tickets(base_url: str, info: FleetInfo) -> dict[str, Any]:
    """A few tickets through the API, about fleet machines; the ids of one ticket, machine and asset."""
    with kace_client(base_url, info.login, info.password) as kace:
        queue = kace.get("/api/service_desk/queues").json()["Queues"][0]["id"]
        machines = kace.get("/api/inventory/machines", params={"sorting": "id desc", "paging": "limit 5",
                                                                "shaping": "machine limited,asset limited"})
        machine = machines.json()["Machines"][0]
        tickets = [{"title": f"Console bench ticket {n}", "summary": "printer toner", "hd_queue_id": queue,
                    "machine": {"id": int(machine["Id"])}} for n in range(TICKETS)]
        created = kace.post("/api/service_desk/tickets", json={"Tickets": tickets})
        created.raise_for_status()
        asset = (machine.get("Asset") or [{}])[0].get("id") or machine.get("asset", {}).get("id")
        return {"ticket": created.json()["IDs"][-1], "machine": int(machine["Id"]), "asset": int(asset or 0),
                "name": machine["Name"]}


def pages(ids: dict[str, Any]) -> list[tuple[str, str]]:
    probe = PROBES[1].title
    machine, asset, ticket = ids["machine"], ids["asset"], ids["ticket"]
    listed = [
        ("dashboard", "/"),
        ("dashboard: attention counts", "/dashboard/attention"),
        ("dashboard: operating systems", "/dashboard/operating-systems"),
        ("dashboard: inventory freshness", "/dashboard/freshness"),
        ("dashboard: ticket states", "/dashboard/ticket-states"),
        ("dashboard: recent changes", "/dashboard/changes"),
        ("machines", "/machines"),
        ("machines sorted by last inventory", "/machines?sort=-Last_inventory"),
        ("machines page 100", "/machines?page=100"),
        ("machines: a word on 5 %", "/machines?q=ubuntu"),
        ("machines: a word on one machine", f"/machines?q={ids['name']}"),
        ("machines: name eq <one machine>", f"/machines?q=name eq {ids['name']}"),
        ("machines: os_name like %Ubuntu%", "/machines?q=os_name like %Ubuntu%"),
        ("machines: a title on 5 %", f"/machines?q=software.display_name eq {probe}"),
        ("machines: count of a title on 5 %", f"/machines/count?q=software.display_name eq {probe}"),
        ("machines: count of os_name like", "/machines/count?q=os_name like %Ubuntu%"),
        ("machine page", f"/machines/{machine}"),
        ("machine page: software", f"/machines/{machine}/software"),
        ("machine page: services", f"/machines/{machine}/services"),
        ("machine page: CMDB categories", f"/machines/{machine}/cmdb"),
        ("assets", "/assets"),
        ("cmdb object types", "/cmdb"),
        ("cmdb clients", "/cmdb/types/C__OBJTYPE__CLIENT"),
        ("cmdb location tree", "/cmdb/locations"),
        ("search the estate", "/search?q=toner"),
        ("tickets", "/tickets"),
        ("ticket page", f"/tickets/{ticket}"),
        ("new ticket", "/tickets/new"),
        ("accounts", "/admin/accounts"),
        ("scripts", "/scripts"),
        ("managed installs", "/managed-installs"),
        ("reports", "/reports"),
    ]
    if asset:
        listed += [("asset page", f"/assets/{asset}"), ("cmdb object", f"/cmdb/objects/{asset}"),
                   ("cmdb category", f"/cmdb/objects/{asset}/categories/C__CATG__MODEL")]
    return listed


def measure(client: httpx.Client, listed: list[tuple[str, str]], rounds: int) -> list[Summary]:
    summaries = []
    for name, path in listed:
        for _ in range(3):
            answer = client.get(path)
            if answer.status_code != 200:
                raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text[-300:]}")
        summaries.append(summarize(name, timed(lambda p=path: client.get(p).raise_for_status()
                                               for _ in range(rounds))))
    return summaries


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = args.database_url or default_url(args.size)
    info = load_or_build(url, args.size, args.seed, args.reuse)
    engine = make_engine(url)
    upgrade(engine)  # a fleet built before the console's indexes gets them now
    engine.dispose()
    with running_server(url) as server:
        ids = seed_tickets(server.base_url, info)
        client = console_client(server.base_url, info.login, info.password)
        try:
            summaries = measure(client, pages(ids), args.rounds)
        finally:
            client.close()
        rss = server.rss_mb()
    engine = make_engine(url)
    size_mb = database_size_mb(engine)
    engine.dispose()
    missed = [summary.name for summary in summaries if summary.p50_ms > TARGET_MS]
    return {
        "database": engine.dialect.name,
        "machines": info.size,
        "summaries": [summary.__dict__ for summary in summaries],
        "table": "\n".join([HEADER, *(summary.line() + (" over 100 ms" if summary.name in missed else "")
                                      for summary in summaries)]),
        "missed": missed,
        "server_rss_mb": round(rss, 1),
        "database_mb": round(size_mb, 1),
    }


def main() -> None:
    parser = fleet_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=30, help="requests per page")
    args = parser.parse_args()
    result = run(args)
    print(f"{result['database']}, {result['machines']} machines; target {TARGET_MS:.0f} ms per answer")
    print(result["table"])
    print(f"missed: {', '.join(result['missed']) or 'none'}")
    print(f"server RSS {result['server_rss_mb']} MB, database {result['database_mb']} MB")
    out = Path("var/bench") / f"console-{result['database']}-{result['machines']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
