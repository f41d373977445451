"""The KACE query language as one engine: parse → plan (declared entities) → SQL → shaped envelope.

A list route declares its entity (estate.query.declare) and calls `list_response`; the engine is
written once, the entities are data."""

from estate.query.declare import ChildRows, Entity, Field, Kind, Level, LinkTable, ParentRow, Style, SubEntity
from estate.query.plan import Scope
from estate.query.response import item_response, list_response

__all__ = [
    "ChildRows",
    "Entity",
    "Field",
    "Kind",
    "Level",
    "LinkTable",
    "ParentRow",
    "Scope",
    "Style",
    "SubEntity",
    "item_response",
    "list_response",
]
