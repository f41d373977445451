"""The console's search box: a plain word searches every wildcard field of a list (the query
language's `*` filter); anything that reads as conditions is the KACE query language, with SQL's
`like` patterns and comparison signs understood as its operators (docs/decisions/0901).

    ubuntu                                  → * co ubuntu
    os_name like %Ubuntu%                   → os_name co Ubuntu
    os_name like Win%, ram_total > 8000     → os_name st Win,ram_total gt 8000
    name not like %test                     → name nen test
    software.name eq Firefox and ip co 10.  → software.name eq Firefox,ip co 10."""

from __future__ import annotations

import re

from estate.query.parse import OPERATORS

_SIGNS = {"=": "eq", "==": "eq", "!=": "ne", "<>": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_CONDITION = re.compile(
    r"^\s*(?P<field>[\w.*]+)\s*(?P<op>\s(?:not\s+like|like)\s|[=!<>]{1,2}|\s\w+)(?:\s*(?P<value>.*))?$",
    re.IGNORECASE | re.DOTALL,
)


def _like(value: str, negated: bool) -> tuple[str, str]:
    starts, ends = value.startswith("%"), value.endswith("%") and len(value) > 1
    core = value.strip("%")
    if starts and ends:
        operator = "co"
    elif ends:
        operator = "st"
    elif starts:
        operator = "en"
    else:
        operator = "eq"
    negative = {"co": "nc", "st": "ns", "en": "nen", "eq": "ne"}
    return (negative[operator] if negated else operator), core


def _condition(text: str) -> str | None:
    """One condition in the engine's syntax, or None when the text is no condition."""
    found = _CONDITION.match(text)
    if found is None:
        return None
    name, operator, value = found["field"], " ".join(found["op"].lower().split()), (found["value"] or "").strip()
    if operator in _SIGNS:
        operator = _SIGNS[operator]
    elif operator == "not like":
        operator, value = _like(value, negated=True)
    elif operator == "like":
        operator, value = _like(value, negated=False)
    elif operator not in OPERATORS:
        return None
    return f"{name} {operator} {value}".strip()


def filtering_of(text: str) -> str:
    """The `filtering` parameter of a search box's text (names are checked by the engine later)."""
    text = text.strip()
    if not text:
        return ""
    parts = [part for chunk in text.split(",") for part in _AND.split(chunk) if part.strip()]
    conditions = [_condition(part) for part in parts]
    if conditions and all(conditions):
        return ",".join(item for item in conditions if item)
    # A plain word (or words): every wildcard field; commas would start a new condition.
    return f"* co {text.replace(',', ' ').strip()}"
