"""Reading the query parameters of a KACE request into plain values (no knowledge of entities).

The reference's syntax ("Query syntax"): `filtering=name eq xxx,id gt 1000`, `sorting=machine.name
desc,id`, `paging=offset 101 limit 100`, `shaping=machine all,software limited`, `use_count=false`,
`use_count_only=true`. Whitespace is forgiving (clients send `shaping= hd_ticket all` and values
with spaces inside); names are checked against the declarations later, in plan.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from estate.db.base import MAX_INT
from estate.errors import InvalidInput

DEFAULT_LIMIT = 50

# Operators as the reference lists them, mapped to the one spelling the compiler knows.
OPERATORS = {
    "eq": "eq",
    "ne": "ne",
    "neq": "ne",
    "lt": "lt",
    "le": "le",
    "gt": "gt",
    "ge": "ge",
    "co": "co",
    "nc": "nc",
    "nco": "nc",
    "st": "st",
    "ns": "ns",
    "nst": "ns",
    "en": "en",
    "end": "en",
    "nen": "nen",
    "nend": "nen",
    "in": "in",
    "nin": "nin",
    "ex": "ex",
    "nex": "nex",
}
WITHOUT_VALUE = {"ex", "nex"}
LEVEL_NAMES = ("none", "limited", "standard", "regular", "extended", "all")


@dataclass(frozen=True)
class FilterTerm:
    entity: str | None
    field: str
    operator: str  # canonical spelling
    value: str
    text: str  # the filter as sent, for error messages


@dataclass(frozen=True)
class SortTerm:
    entity: str | None
    field: str
    descending: bool


@dataclass(frozen=True)
class ShapeTerm:
    entity: str
    level: str  # one of LEVEL_NAMES


@dataclass(frozen=True)
class QueryTerms:
    filters: tuple[FilterTerm, ...] = ()
    sorts: tuple[SortTerm, ...] = ()
    shaping: tuple[ShapeTerm, ...] = ()
    limit: int | None = DEFAULT_LIMIT  # None: every record
    offset: int = 0
    use_count: bool = True
    count_only: bool = False
    filter_options: str = ""


def split_name(name: str) -> tuple[str | None, str]:
    """`software.name` → ("software", "name"); `name` → (None, "name")."""
    entity, dot, field = name.rpartition(".")
    return (entity or None) if dot else None, field


def parse_filtering(raw: str | None) -> tuple[FilterTerm, ...]:
    if raw is None or not raw.strip():
        return ()
    return tuple(parse_filter(part) for part in raw.split(",") if part.strip())


def parse_filter(text: str) -> FilterTerm:
    parts = text.split(None, 2)
    shown = " ".join(text.split())
    if "\x00" in text:
        # No database text holds one (PostgreSQL refuses it); it is refused here, by name.
        raise InvalidInput("filtering must not contain NUL characters", field="filtering")
    if len(parts) < 2:
        raise InvalidInput(f"filter {shown!r} needs a field, an operator and a value", field="filtering")
    name, operator = parts[0], parts[1].lower()
    if operator not in OPERATORS:
        raise InvalidInput(f"unknown operator {parts[1]!r} in filter {shown!r}", field="filtering")
    canonical = OPERATORS[operator]
    # A value may hold spaces (`created gt 2020-04-12 02:28:02`); a missing value is the empty string.
    value = parts[2].strip() if len(parts) > 2 else ""
    if canonical in WITHOUT_VALUE and value:
        raise InvalidInput(f"operator {operator!r} takes no value in filter {shown!r}", field="filtering")
    entity, field = split_name(name)
    if not field:
        raise InvalidInput(f"filter {shown!r} names no field", field="filtering")
    return FilterTerm(entity=entity, field=field, operator=canonical, value=value, text=shown)


def parse_sorting(raw: str | None) -> tuple[SortTerm, ...]:
    if raw is None or not raw.strip():
        return ()
    terms = []
    for part in raw.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise InvalidInput(f"sort {' '.join(words)!r} must be a field and optionally asc or desc", field="sorting")
        entity, field = split_name(words[0])
        if not field:
            raise InvalidInput(f"sort {words[0]!r} names no field", field="sorting")
        terms.append(SortTerm(entity=entity, field=field, descending=len(words) == 2 and words[1].lower() == "desc"))
    return tuple(terms)


def parse_shaping(raw: str | None) -> tuple[ShapeTerm, ...]:
    if raw is None or not raw.strip():
        return ()
    terms = []
    for part in raw.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2:
            raise InvalidInput(f"shaping {' '.join(words)!r} must be an entity and a level", field="shaping")
        level = words[1].lower() if len(words) == 2 else "standard"
        if level not in LEVEL_NAMES:
            raise InvalidInput(
                f"unknown shaping level {words[1]!r} for {words[0]!r}; use limited, standard, extended or all",
                field="shaping",
            )
        terms.append(ShapeTerm(entity=words[0], level=level))
    return tuple(terms)


# The largest limit or offset every database binds (PostgreSQL binds an offset as an integer).
MAX_PAGING = MAX_INT


def _count(raw: str, what: str, parameter: str) -> int:
    # isascii: str.isdigit also accepts digits int() cannot read (superscripts).
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_PAGING:
        raise InvalidInput(f"{what} must be a whole number from 0 to {MAX_PAGING}, not {raw!r}", field=parameter)
    return int(raw)


def parse_paging(
    raw: str | None, offset_parameter: str | None = None, *, default_limit: int | None = DEFAULT_LIMIT
) -> tuple[int | None, int]:
    """(limit, offset); limit None means every record (`limit 0` or `limit ALL`). The `offset`
    parameter some routes declare applies unless `paging` names an offset."""
    limit = default_limit
    offset = 0
    if offset_parameter is not None and offset_parameter.strip():
        offset = _count(offset_parameter.strip(), "offset", "offset")
    words = (raw or "").split()
    if len(words) % 2:
        raise InvalidInput(f"paging {' '.join(words)!r} must be pairs such as 'limit 100 offset 0'", field="paging")
    for key, value in zip(words[::2], words[1::2], strict=True):
        if key.lower() == "limit":
            limit = None if value.upper() == "ALL" else (_count(value, "paging limit", "paging") or None)
        elif key.lower() == "offset":
            offset = _count(value, "paging offset", "paging")
        else:
            raise InvalidInput(f"unknown paging keyword {key!r}; use limit and offset", field="paging")
    return limit, offset


def flag(raw: str | None, default: bool) -> bool:
    """The reference's flags: any value but `false` means yes."""
    if raw is None:
        return default
    return raw.strip().lower() != "false"


# The names parse_query reads: what makes two requests' queries the same.
QUERY_PARAMETERS = ("paging", "offset", "filtering", "sorting", "shaping", "use_count", "use_count_only",
                    "filterOptions", "filteroptions")


def parse_query(params: Mapping[str, str], *, default_limit: int | None = DEFAULT_LIMIT) -> QueryTerms:
    """Every query parameter of the language, from the request's query string (or a body that
    carries the same names). `default_limit`: the page size when `paging` names no limit."""
    limit, offset = parse_paging(params.get("paging"), params.get("offset"), default_limit=default_limit)
    return QueryTerms(
        filters=parse_filtering(params.get("filtering")),
        sorts=parse_sorting(params.get("sorting")),
        shaping=parse_shaping(params.get("shaping")),
        limit=limit,
        offset=offset,
        use_count=flag(params.get("use_count"), True),
        count_only=flag(params.get("use_count_only"), False),
        filter_options=(params.get("filterOptions") or params.get("filteroptions") or "").strip(),
    )


def single(terms: QueryTerms) -> QueryTerms:
    """What a single-record read (`/{id}`) honours: shaping, sorting of its sub-entities and the
    count flags; filtering and paging do not apply there."""
    return QueryTerms(sorts=terms.sorts, shaping=terms.shaping, limit=1, use_count=terms.use_count,
                      count_only=terms.count_only)
