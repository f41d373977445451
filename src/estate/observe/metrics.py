"""Prometheus metrics (GET /metrics) through prometheus_client.

Requests and their latency are counted per KACE route template (never per raw path, so that ids do
not multiply the series), JSON-RPC calls per registered method and error code. The database pool
and the queues are read when scraped. Other parts add their queues with ``register_queue``.

With several worker processes (``estate serve --workers N``) the processes share their counters
through files in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode, which the
serve command sets up); the pool and queue gauges are those of the process that answers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import prometheus_client
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Connection, Engine

prometheus_client.disable_created_metrics()

CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED = "(unmatched)"  # the route label of a request no route answered
UNKNOWN_METHOD = "(unknown)"  # the method label of a JSON-RPC call naming no registered method
SUCCESS = "0"  # the code label of a JSON-RPC call that succeeded

HTTP_REQUESTS = Counter(
    "estate_http_requests", "HTTP requests answered, per method, route template and status",
    ("method", "route", "status"),
)
HTTP_SECONDS = Histogram(
    "estate_http_request_duration_seconds", "Time to answer an HTTP request, per method and route template",
    ("method", "route"),
)
RPC_CALLS = Counter(
    "estate_rpc_calls", "i-doit JSON-RPC calls, per method and error code (0: success)", ("method", "code")
)
RPC_SECONDS = Histogram(
    "estate_rpc_call_duration_seconds", "Time to answer one JSON-RPC call (a batch's time shared by its calls)",
    ("method",),
)
LOGIN_FAILURES = Counter("estate_login_failures", "Failed logins (wrong password or second factor), both faces")
MACHINES_INGESTED = Counter("estate_inventory_machines_ingested", "Machines stored from inventory reports")


# The labelled series by their labels: `labels()` checks and converts its arguments on every call,
# several times the cost of the update itself. The label values are bounded (route templates,
# registered method names, status and error codes), and so are these dicts.
_REQUEST_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}
_RPC_SERIES: dict[tuple[str, int | None], tuple[Any, Any]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    series = _REQUEST_SERIES.get((method, route, status))
    if series is None:
        series = _REQUEST_SERIES[(method, route, status)] = (
            HTTP_REQUESTS.labels(method, route, str(status)), HTTP_SECONDS.labels(method, route))
    series[0].inc()
    series[1].observe(seconds)


def observe_rpc_call(method: str, code: int | None, seconds: float) -> None:
    series = _RPC_SERIES.get((method, code))
    if series is None:
        series = _RPC_SERIES[(method, code)] = (
            RPC_CALLS.labels(method, SUCCESS if code is None else str(code)), RPC_SECONDS.labels(method))
    series[0].inc()
    series[1].observe(seconds)


# The depth of a queue, read from the database at scrape time: name → function of a connection.
QueueDepth = Callable[[Connection], int]
_QUEUES: dict[str, QueueDepth] = {}


def register_queue(name: str, depth: QueueDepth) -> None:
    """Make a queue's depth (work waiting, such as agent tasks or jobs) part of every scrape as
    ``estate_queue_depth{queue="name"}``. Registering a name again replaces its function."""
    _QUEUES[name] = depth


class _StateCollector(Collector):
    """What is read at scrape time: the engine's connection pool and the registered queues."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        pool = self.engine.pool
        for name, reading, text in (
            ("size", "size", "Connections the pool keeps"),
            ("checked_out", "checkedout", "Connections in use"),
            ("overflow", "overflow", "Connections opened beyond the pool's size"),
        ):
            read = getattr(pool, reading, None)
            if callable(read):
                yield GaugeMetricFamily(f"estate_db_pool_{name}", text, value=read())
        if _QUEUES:
            depth = GaugeMetricFamily("estate_queue_depth", "Work waiting in a queue", labels=("queue",))
            with self.engine.connect() as connection:
                for queue, read_depth in sorted(_QUEUES.items()):
                    depth.add_metric((queue,), read_depth(connection))
            yield depth


def exposition(engine: Engine) -> bytes:
    """The text a scrape gets: the counters (of every worker process in multiprocess mode), then the
    pool and queue gauges of this process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    state = CollectorRegistry()
    state.register(_StateCollector(engine))
    return generate_latest(registry) + generate_latest(state)
