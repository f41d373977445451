"""Filter + count: a page of 50 machines with its Count, as the query engine builds and runs it, next
to the best hand-written count + page for the same filter, in this process on the same database.

Filters: `software.name eq <probe>` at the fleet's three probe selectivities (40 %, 5 %, 0.05 %) and
`name co <fragment>` for fragments of machine names found in about 25 %, 2.5 % and 0.5 % of the
fleet (counted first, printed). The engine's side is `estate.query.fetch_page` (count, page, records
as dicts) on a connection of Estate's own engine; the floor is raw `sqlite3` / `psycopg`: one
`count(*)` and one `SELECT *` page in id order, rows made dicts, keeping the faster of the two
straightforward forms of the title filter (EXISTS per machine, or IN over the title's links).

    python -m bench.counts --size 100000 --reuse
    python -m bench.counts --size 10000 --reuse --database-url postgresql+psycopg://estate:estate@127.0.0.1:5432/estate_bench_fleet
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from bench.fleet import FleetInfo, default_url, fleet_parser
from bench.ingest import load_or_build
from bench.measure import HEADER, Summary, summarize, timed
from estate.db.engine import make_engine
from estate.inventory.entities import MACHINE
from estate.query import Scope, fetch_page, parse_query, plan_query

PAGE = 50
WARM_UP = 5
NAME_FRAGMENTS = ("srv", "-a", "pc")
_LIVE = "m.organization_id = {mark} AND m.archived = {false}"
_TITLE_IDS = "SELECT id FROM software WHERE organization_id = {mark} AND lower(display_name) = lower({mark})"
_TITLE_WALK = ("EXISTS (SELECT 1 FROM machine_software ms WHERE ms.machine_id = m.id AND ms.software_id IN "
               f"({_TITLE_IDS}))")
_TITLE_LINKS = f"m.id IN (SELECT ms.machine_id FROM machine_software ms WHERE ms.software_id IN ({_TITLE_IDS}))"
_NAME = "m.name {like} {mark}"


class Floor:
    """Hand-written SQL on the database's own driver."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.postgresql = url.get_backend_name() == "postgresql"
        if self.postgresql:
            address = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.connection: Any = psycopg.connect(address)
            self.connection.autocommit = True
        else:
            self.connection = sqlite3.connect(url.database or "", check_same_thread=False)
            self.connection.execute("PRAGMA query_only = 1")

    def sql(self, template: str) -> str:
        return template.format(mark="%s" if self.postgresql else "?", false="false" if self.postgresql else "0",
                               like="ILIKE" if self.postgresql else "LIKE")

    def count_and_page(self, condition: str, values: tuple[Any, ...]) -> tuple[int, list[dict[str, Any]]]:
        where = f"{self.sql(_LIVE)} AND {self.sql(condition)}"
        cursor = self.connection.cursor()
        cursor.execute(f"SELECT count(*) FROM machines m WHERE {where}", values)  # noqa: S608 - bench's own SQL
        total = cursor.fetchone()[0]
        cursor.execute(f"SELECT m.* FROM machines m WHERE {where} ORDER BY m.id LIMIT {PAGE}", values)  # noqa: S608
        columns = [description[0] for description in cursor.description]
        return total, [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def close(self) -> None:
        self.connection.close()


def median(samples: list[float]) -> float:
    return sorted(samples)[len(samples) // 2]


def filters(info: FleetInfo, floor: Floor) -> Iterator[tuple[str, str, list[tuple[str, tuple[Any, ...]]], float]]:
    """(label, filtering, the floor's forms with their values, share of the fleet)."""
    org = info.organization_id
    for title, share in info.probes.items():
        values = (org, org, title)
        yield (f"software.name eq ({share:.2%})", f"software.name eq {title}",
               [(_TITLE_WALK, values), (_TITLE_LINKS, values)], share)
    for fragment in NAME_FRAGMENTS:
        values = (org, f"%{fragment}%")
        matched, _ = floor.count_and_page(_NAME, values)
        yield f"name co {fragment}", f"name co {fragment}", [(_NAME, values)], matched / info.size


def measure(info: FleetInfo, rounds: int) -> list[dict[str, Any]]:
    engine = make_engine(info.database_url)
    floor = Floor(info.database_url)
    scope = Scope(info.organization_id, None)
    results = []
    try:
        with engine.connect() as connection:
            for label, filtering, forms, share in filters(info, floor):
                plan = plan_query(MACHINE, parse_query({"filtering": filtering, "paging": f"limit {PAGE}",
                                                        "shaping": "machine all"}), scope=scope)

                def engine_page(plan: Any = plan) -> Any:
                    return fetch_page(connection, plan)

                expected = engine_page().count
                best: list[float] | None = None
                for condition, values in forms:
                    def floor_page(condition: str = condition, values: tuple[Any, ...] = values) -> Any:
                        return floor.count_and_page(condition, values)

                    if floor_page()[0] != expected:
                        raise RuntimeError(f"{label}: the floor counts {floor_page()[0]}, the engine {expected}")
                    samples = run_timed(floor_page, rounds)
                    best = samples if best is None or median(samples) < median(best) else best
                assert best is not None
                ours = run_timed(engine_page, rounds)
                connection.rollback()
                results.append({"filter": label, "share": share, "count": expected,
                                "engine": summarize(f"engine {label}", ours).__dict__,
                                "floor": summarize(f"floor {label}", best).__dict__,
                                "ratio": median(ours) / median(best)})
    finally:
        floor.close()
        engine.dispose()
    return results


def run_timed(call: Callable[[], Any], rounds: int) -> list[float]:
    for _ in range(WARM_UP):
        call()
    return timed(call for _ in range(rounds))


def main() -> None:
    parser = fleet_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    url = args.database_url or default_url(args.size)
    info = load_or_build(url, args.size, args.seed, args.reuse)
    load = os.getloadavg()
    results = measure(info, args.rounds)
    database = make_url(url).get_backend_name()
    print(f"{database}, {info.size} machines, load average {load[0]:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end")
    print(HEADER.replace("| operation |", "| filter + count of a page of 50 |"))
    for result in results:
        for side in ("engine", "floor"):
            print(Summary(**result[side]).line())
    print("\n| filter | share | Count | engine / floor (p50) |\n|---|---|---|---|")
    for result in results:
        print(f"| {result['filter']} | {result['share']:.2%} | {result['count']} | {result['ratio']:.2f} |")
    out = Path("var/bench") / f"counts-{database}-{info.size}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"load": [load, os.getloadavg()], "results": results}, indent=2))


if __name__ == "__main__":
    main()
