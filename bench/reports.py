"""Reports through the real HTTP routes, on a fleet built by bench.fleet:

1. the software-by-machine report as csv, streamed: rows per second and the server's RSS growth;
2. an html report of 10 000 machine rows; 3. a pdf of 1 000;
4. a page of 50 machines alone, then while ten asynchronous reports run in the server's worker.

    python -m bench.reports --size 1000                     # builds var/bench/fleet-1000.db first
    python -m bench.reports --size 100000 --reuse           # an existing fleet
    python -m bench.reports --size 100000 --reuse --csv-limit 2000000

The fleet's database is migrated first (a fleet built before reports gets their tables and its
organization the stock library).
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from bench.fleet import default_url
from bench.ingest import load_or_build
from bench.server import running_server
from estate.db.engine import make_engine
from estate.db.migrate import upgrade

REPORTS = "/api/reporting/reports/"
MACHINES = "/api/inventory/machines/"
COLUMNS = ["Name", "Os_name", "Ip", "User", "Last_sync", "Cs_manufacturer", "Cs_model"]


def machine_rows(limit: int) -> dict[str, Any]:
    return {"title": f"{limit} machines", "entity": "machine", "fields": COLUMNS, "sorting": "Name", "limit": limit}


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def stream_csv(client: Any, server: Any, limit: int | None) -> dict[str, Any]:
    """The software-by-machine csv read to its end, the server's RSS sampled meanwhile."""
    if limit is None:
        path, params = f"{REPORTS}software_by_machine/", {"format": "csv"}
    else:
        definition = {"title": "Software by machine", "entity": "machine", "sorting": "Name", "limit": limit,
                      "fields": ["Name", "Software.Display_name", "Software.Display_version", "Software.Publisher"]}
        path, params = f"{REPORTS}GetByDefinition/", {"format": "csv", "definitionData": json.dumps(definition)}
    before = server.rss_mb()
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            peak[0] = max(peak[0], server.rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rows = size = 0
    started = time.perf_counter()
    with client.stream("GET", path, params=params, timeout=3600) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_bytes():
            rows += chunk.count(b"\r\n")
            size += len(chunk)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    rows -= 1  # the header
    return {"rows": rows, "mb": round(size / 1e6, 1), "seconds": round(elapsed, 2),
            "rows_per_second": round(rows / elapsed), "rss_before_mb": round(before, 1),
            "rss_growth_mb": round(peak[0] - before, 1), "load": load_average()}


def timed_report(client: Any, definition: dict[str, Any], format: str, rounds: int) -> dict[str, Any]:  # noqa: A002
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = client.get(f"{REPORTS}GetByDefinition/",
                            params={"format": format, "definitionData": json.dumps(definition)})
        samples.append(time.perf_counter() - started)
        answer.raise_for_status()
    params = {"format": "json", "definitionData": json.dumps(definition)}
    rows = client.get(f"{REPORTS}GetByDefinition/", params=params).json()["Report"]["Count"]
    return {"format": format, "rows": rows, "median_s": round(statistics.median(samples), 3),
            "best_s": round(min(samples), 3), "bytes": len(answer.content), "load": load_average()}


def page_times(client: Any, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        client.get(MACHINES, params={"paging": "limit 50", "shaping": "machine standard",
                                     "use_count": "false"}).raise_for_status()
        samples.append(time.perf_counter() - started)
    return samples


def pages_beside_jobs(client: Any, rounds: int) -> dict[str, Any]:
    alone = statistics.median(page_times(client, rounds))
    handles = [client.get(f"{REPORTS}software_titles/", params={"format": "csv", "async": "true"}).json()["uniqueID"]
               for _ in range(10)]
    time.sleep(3)  # the worker has taken the first job
    during = statistics.median(page_times(client, rounds))
    for handle in handles:
        client.put(f"{REPORTS}cancel/{handle}/")
    return {"page_alone_ms": round(alone * 1000, 1), "page_beside_jobs_ms": round(during * 1000, 1),
            "ratio": round(during / alone, 2), "load": load_average()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--csv-limit", type=int, help="at most this many csv rows (default: the whole report)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    url = args.database_url or default_url(args.size)
    info = load_or_build(url, args.size, args.seed, args.reuse)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    results: dict[str, Any] = {"size": info.size, "database": url.split(":")[0]}
    with running_server(url) as server, server.client(info.login, info.password) as client:
        results["html_10000"] = timed_report(client, machine_rows(10_000), "html", args.rounds)
        print("html", results["html_10000"], flush=True)
        results["pdf_1000"] = timed_report(client, machine_rows(1_000), "pdf", args.rounds)
        print("pdf", results["pdf_1000"], flush=True)
        results["pages_beside_jobs"] = pages_beside_jobs(client, 30)
        print("pages", results["pages_beside_jobs"], flush=True)
        results["csv"] = stream_csv(client, server, args.csv_limit)
        print("csv", results["csv"], flush=True)
    out = Path("var/bench") / f"reports-{results['database']}-{info.size}.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
