"""The KACE query language as one engine: parse → plan (declared entities) → SQL → records.

An entity is declared once (estate.query.declare); a face reads a request's parameters
(`parse_query`), plans them against the entity within the caller's walls (`plan_query`, `Scope`)
and runs the plan (`fetch_page`, or `stream_batches` for every record), then writes the records in
its own envelope. The engine knows SQL and records, nothing of HTTP."""

from estate.query.declare import (
    ChildRows,
    Counting,
    Entity,
    Field,
    Kind,
    Level,
    LinkTable,
    Nesting,
    ParentRow,
    Path,
    Style,
    SubEntity,
)
from estate.query.parse import FilterTerm, QueryTerms, parse_query, single
from estate.query.plan import Plan, Scope, plan_query, planned, text_search
from estate.query.run import Page, count, fetch_page, stream_batches

__all__ = [
    "ChildRows",
    "Counting",
    "Entity",
    "Field",
    "FilterTerm",
    "Kind",
    "Level",
    "LinkTable",
    "Nesting",
    "Page",
    "ParentRow",
    "Path",
    "Plan",
    "QueryTerms",
    "Scope",
    "Style",
    "SubEntity",
    "count",
    "fetch_page",
    "parse_query",
    "plan_query",
    "planned",
    "single",
    "stream_batches",
    "text_search",
]
