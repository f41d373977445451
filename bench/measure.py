"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    position = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[position]


@dataclass
class Summary:
    name: str
    count: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    per_second: float

    def line(self) -> str:
        return (f"| {self.name} | {self.count} | {self.p50_ms:.2f} | {self.p99_ms:.2f} | {self.mean_ms:.2f} "
                f"| {self.per_second:.0f} |")


HEADER = "| operation | n | p50 ms | p99 ms | mean ms | per s |\n|---|---|---|---|---|---|"


def summarize(name: str, samples: list[float], elapsed: float | None = None) -> Summary:
    """Samples in seconds; ``elapsed`` is the wall time of the run (for concurrent runs)."""
    wall = elapsed if elapsed is not None else sum(samples)
    return Summary(
        name,
        len(samples),
        percentile(samples, 0.50) * 1000,
        percentile(samples, 0.99) * 1000,
        statistics.fmean(samples) * 1000 if samples else float("nan"),
        len(samples) / wall if wall else float("nan"),
    )


def timed(calls: Iterable[Callable[[], object]]) -> list[float]:
    samples = []
    for call in calls:
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def database_size_mb(engine: Engine) -> float:
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            return connection.scalar(text("SELECT pg_database_size(current_database())")) / 2**20
    database = engine.url.database or ""
    files = (Path(f"{database}{suffix}") for suffix in ("", "-wal"))
    return sum(path.stat().st_size for path in files if path.exists()) / 2**20
