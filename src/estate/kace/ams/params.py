"""Parameters of the account management routes that are not the query language (that is read by
estate.query): ids in paths and lists, names, and the free-text `filter`/`query` searches."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import Field as ModelField
from sqlalchemy import ColumnElement

from estate.db.base import MAX_INT
from estate.errors import InvalidInput
from estate.query import Entity, text_search

# Integer columns hold 32 bits on both databases; a larger number can name nothing and must not
# reach the driver (SQLite refuses it with an exception of its own).
Int32 = Annotated[int, ModelField(ge=-MAX_INT, le=MAX_INT)]
IdPath = Annotated[int, Path(ge=-MAX_INT, le=MAX_INT)]


def id_query(alias: str) -> Any:
    return Query(alias=alias, ge=-MAX_INT, le=MAX_INT)


def plain(value: str, field: str) -> str:
    """PostgreSQL text cannot hold NUL characters; they are refused before reaching it."""
    if "\x00" in value:
        raise InvalidInput(f"{field} must not contain NUL characters", field=field)
    return value


def parse_ids(values: list[str] | None, field: str = "ids") -> list[int]:
    """`ids` repeated (?ids=1&ids=2) or comma-separated (?ids=1,2), or both."""
    ids: list[int] = []
    for value in values or []:
        for part in value.split(","):
            if not part.strip():
                continue
            try:
                number = int(part)
            except ValueError:
                raise InvalidInput(f"{field} must be whole numbers, not {part.strip()!r}", field=field) from None
            if abs(number) > MAX_INT:
                raise InvalidInput(f"{field} holds a number out of range: {number}", field=field)
            ids.append(number)
    if not ids:
        raise InvalidInput(f"{field} is required", field=field)
    return list(dict.fromkeys(ids))


def parse_names(text: str | None, field: str) -> list[str]:
    return [plain(part.strip(), field) for part in (text or "").split(",") if part.strip()]


def free_text(entity: Entity, names: tuple[str, ...], text: str | None, *,
              parameter: str) -> tuple[ColumnElement[bool], ...]:
    """The free text of `filter` or a search's `query` as a condition: any of the named fields
    contains it; none when no text is given."""
    if not (text and text.strip()):
        return ()
    return (text_search(entity, names, text.strip(), parameter=parameter),)
