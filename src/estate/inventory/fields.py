"""Reading inventory as clients send it: keys in any case and with spaces, values checked against
the column they land in. Everything here is pure data handling; errors name the field by its path
in the request (``Machines[0].Software[3].Display_Name``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Float, Integer, String

from estate.db.base import MAX_INT
from estate.errors import InvalidInput

_SEPARATORS = re.compile(r"[\s_\-]+")
_INTEGER = re.compile(r"^[+-]?\d+$")
INT_MIN, INT_MAX = -(MAX_INT + 1), MAX_INT


@lru_cache(maxsize=2048)  # a handful of distinct keys arrive hundreds of times per report
def normalize_key(key: str) -> str:
    """"Ram Total", "ram_total" and "RAM_TOTAL" all name the column ram_total."""
    return _SEPARATORS.sub("_", key.strip()).lower()


@dataclass(frozen=True)
class Field:
    column: str
    kind: str  # "str", "int" or "float"
    max_length: int | None = None


def fields_of(model: Any, *, exclude: tuple[str, ...]) -> dict[str, Field]:
    """The writable fields of a table, read from its columns, keyed by column name."""
    skipped = set(exclude)
    fields = {}
    for column in model.__table__.columns:
        if column.name in skipped:
            continue
        if isinstance(column.type, Integer):
            fields[column.name] = Field(column.name, "int")
        elif isinstance(column.type, Float):
            fields[column.name] = Field(column.name, "float")
        elif isinstance(column.type, String):
            fields[column.name] = Field(column.name, "str", column.type.length)
    return fields


def _as_str(value: Any, field: Field, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidInput(f"{where} must be a string", field=where)
    text = value.strip() if isinstance(value, str) else str(value)
    if field.max_length is not None and len(text) > field.max_length:
        raise InvalidInput(f"{where} must be at most {field.max_length} characters", field=where)
    if "\x00" in text:  # PostgreSQL refuses it in text; no agent reports it
        raise InvalidInput(f"{where} must not contain NUL characters", field=where)
    return text


def _as_int(value: Any, where: str) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        if not value.strip():
            return None
        if not _INTEGER.match(value.strip()):
            raise InvalidInput(f"{where} must be an integer", field=where)
        value = int(value)
    if not isinstance(value, int):
        raise InvalidInput(f"{where} must be an integer", field=where)
    if not INT_MIN <= value <= INT_MAX:
        raise InvalidInput(f"{where} is out of range", field=where)
    return value


def _as_float(value: Any, where: str) -> float | None:
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return float(value)
        except ValueError:
            raise InvalidInput(f"{where} must be a number", field=where) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"{where} must be a number", field=where)
    return float(value)


def coerce(value: Any, field: Field, where: str) -> Any:
    if value is None:
        return None
    if field.kind == "int":
        return _as_int(value, where)
    if field.kind == "float":
        return _as_float(value, where)
    return _as_str(value, field, where)


def require_object(value: Any, where: str) -> Mapping[str, Any]:
    if type(value) is not dict and not isinstance(value, Mapping):
        raise InvalidInput(f"{where} must be an object", field=where)
    return value


def require_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(f"{where} must be a list", field=where)
    return value


_IGNORED = Field("", "ignored")


class RecordReader:
    """Reads flat records into column values: every key must name a field (or an ignored read-only
    one); values are coerced to the column's kind. Agents send the same few keys on hundreds of
    items per report, so what each spelling resolves to is remembered."""

    _MEMORY = 512

    def __init__(
        self,
        fields: Mapping[str, Field],
        *,
        aliases: Mapping[str, str] | None = None,
        ignored: Iterable[str] = (),
        empty_is_none: bool = False,
    ) -> None:
        self.fields = fields
        # Catalog identity compares values: there an empty string and an absent value are the same.
        self.empty_is_none = empty_is_none
        self.aliases = dict(aliases or {})
        self.ignored = frozenset(ignored)
        self._resolved: dict[str, Field] = {}

    def _resolve(self, key: Any, where: str) -> Field:
        name = normalize_key(str(key))
        name = self.aliases.get(name, name)
        field = _IGNORED if name in self.ignored else self.fields.get(name)
        if field is None:
            raise InvalidInput(f"{where}.{key}: unknown field", field=f"{where}.{key}")
        if len(self._resolved) < self._MEMORY:
            self._resolved[key] = field
        return field

    def read(self, data: Mapping[str, Any], where: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, value in data.items():
            field = self._resolved.get(key) or self._resolve(key, where)
            if field is _IGNORED:
                continue
            if type(value) is str and field.kind == "str":  # the common case, checked inline
                text = value.strip()
                if (field.max_length is None or len(text) <= field.max_length) and "\x00" not in text:
                    values[field.column] = None if self.empty_is_none and not text else text
                    continue
            values[field.column] = coerce(value, field, f"{where}.{key}")
        return values
