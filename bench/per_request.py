"""The fixed cost of a request, through uvicorn on a loopback port, systems alternating round by
round in one run:

- an unknown path's 404: Estate against a bare FastAPI app (bench/bare.py) on the same server stack;
- an authenticated request that does nothing (`GET /api/users/version/`: session, CSRF, caller,
  activity) against an unauthenticated trivial one (`GET /healthz`) on the same Estate server;
- a page of 50 machines (`machine all`, `software.name eq <5 % probe>`, no count) against one
  trivial exchange plus twice the page's in-process floor (bench/queries_floor.py), the floor
  timed in the same rounds.

Requests go over plain `http.client` connections (one per system, kept alive): a general HTTP
client's own cost per request is of the order of what is measured here.

    python -m bench.per_request --size 10000 --reuse
"""

from __future__ import annotations

import http.client
import json
import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench import queries_floor
from bench.fleet import default_url, fleet_parser
from bench.ingest import load_or_build
from bench.measure import percentile
from bench.server import running_server

PAGE = "/api/inventory/machines/"
WARM_UP = 20


class Connection:
    """One kept-alive connection sending GETs with fixed headers."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        address = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(address.hostname or "", address.port)
        self.headers = {"Accept": "application/json", **(headers or {})}

    def get(self, path: str, expected: int = 200) -> bytes:
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != expected:
            raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
        return body

    def close(self) -> None:
        self.connection.close()


def logged_in(base_url: str, login: str, password: str) -> Connection:
    """A connection carrying the session cookie and CSRF token a KACE login answers."""
    connection = Connection(base_url, {"x-dell-api-version": "5"})
    body = json.dumps({"userName": login, "password": password})
    connection.connection.request("POST", "/ams/shared/api/security/login", body=body,
                                  headers={"Content-Type": "application/json", "Accept": "application/json"})
    response = connection.connection.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"login failed: {response.status}")
    cookies = [header.split(";", 1)[0] for name, header in response.getheaders() if name.lower() == "set-cookie"]
    connection.headers["Cookie"] = "; ".join(cookies)
    connection.headers["x-dell-csrf-token"] = response.getheader("x-dell-csrf-token") or ""
    return connection


def alternating(cases: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    """Each case once per round, in turn, so that a change in the machine's load reaches all alike."""
    for call in cases.values():
        for _ in range(WARM_UP):
            call()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, call in cases.items():
            started = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - started)
    return samples


def p50_ms(samples: list[float]) -> float:
    return percentile(samples, 0.5) * 1000


def main() -> None:
    parser = fleet_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    url = args.database_url or default_url(args.size)
    info = load_or_build(url, args.size, args.seed, args.reuse)
    title = next(title for title, share in info.probes.items() if 0.01 < share < 0.2)
    query = urlencode({"filtering": f"software.name eq {title}", "shaping": "machine all",
                       "paging": "limit 50", "use_count": "false"})
    load = os.getloadavg()
    with ExitStack() as stack:
        estate = stack.enter_context(running_server(url))
        bare = stack.enter_context(running_server(url, app="bench.bare:create_app"))
        anonymous = Connection(estate.base_url)
        caller = logged_in(estate.base_url, info.login, info.password)
        plain = Connection(bare.base_url)
        for connection in (anonymous, caller, plain):
            stack.callback(connection.close)
        floor = queries_floor.connect(info.database_url)
        stack.callback(floor.close)
        samples = alternating({
            "bare FastAPI 404": lambda: plain.get("/no/such/path", 404),
            "Estate 404": lambda: anonymous.get("/no/such/path", 404),
            "Estate /healthz (trivial, anonymous)": lambda: anonymous.get("/healthz"),
            "Estate /api/users/version/ (authenticated, does nothing)": lambda: caller.get("/api/users/version/"),
            "Estate page of 50 (`machine all`, 5 % probe)": lambda: caller.get(f"{PAGE}?{query}"),
            # The floor's two forms of the title filter, in the same rounds: timed after the server
            # instead, it moved by a third from one run to the next while the server's page did not.
            **{f"floor {form}": lambda sql=sql: queries_floor.page(floor, sql, info.organization_id, title, False)
               for form, sql in (("EXISTS", queries_floor.WALK), ("IN", queries_floor.FROM_LINKS))},
        }, args.rounds)
        rss = estate.rss_mb()
    figures = {name: p50_ms(values) for name, values in samples.items() if not name.startswith("floor ")}
    figures["page floor (in-process)"] = min(p50_ms(samples["floor EXISTS"]), p50_ms(samples["floor IN"]))
    report(figures, load, rss, info.size)


def report(figures: dict[str, float], load: tuple[float, float, float], rss: float, size: int) -> None:
    print(f"{size} machines; load average {load[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; "
          f"Estate RSS {rss:.1f} MB")
    print("| request | p50 ms |\n|---|---|")
    for name, value in figures.items():
        print(f"| {name} | {value:.3f} |")
    names = list(figures)
    ratio_404 = figures[names[1]] / figures[names[0]]
    ratio_auth = figures[names[3]] / figures[names[2]]
    page_limit = figures[names[2]] + 2 * figures["page floor (in-process)"]
    print(f"\nEstate 404 / bare 404: {ratio_404:.2f} (target <= 2)")
    print(f"authenticated nothing / anonymous trivial: {ratio_auth:.2f} (target <= 1.5)")
    print(f"page / (trivial + 2 x floor): {figures[names[4]] / page_limit:.2f} (target <= 1)")
    out = Path("var/bench") / f"per-request-{size}.json"
    out.write_text(json.dumps({"load": load, "p50_ms": figures, "rss_mb": rss}, indent=2))


if __name__ == "__main__":
    main()
