"""What the PostgreSQL driver is given beyond its defaults. Imported only for a PostgreSQL engine:
a worker on SQLite never loads psycopg."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import psycopg
from psycopg.pq import ExecStatus

_ROWS = frozenset({ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK})


class _Columns(Sequence[psycopg.Column]):
    """A result's columns, described when first read."""

    __slots__ = ("_count", "_cursor", "_described", "_result")

    def __init__(self, cursor: psycopg.Cursor[Any], count: int) -> None:
        self._cursor, self._result, self._count = cursor, cursor.pgresult, count
        self._described: list[psycopg.Column] | None = None

    def _columns(self) -> list[psycopg.Column]:
        if self._described is None:
            if self._cursor.pgresult is not self._result:
                raise RuntimeError("the cursor's result changed before its description was read")
            self._described = [psycopg.Column(self._cursor, index) for index in range(self._count)]
        return self._described

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> psycopg.Column: ...

    @overload
    def __getitem__(self, index: slice) -> list[psycopg.Column]: ...

    def __getitem__(self, index: int | slice) -> psycopg.Column | list[psycopg.Column]:
        return self._columns()[index]

    def __iter__(self) -> Iterator[psycopg.Column]:
        return iter(self._columns())


class Cursor(psycopg.Cursor[Any]):
    """psycopg builds a Column for each column every time `description` is read, and SQLAlchemy
    reads it after every statement, if only to learn whether rows came back: its compiled
    statements keep their columns' metadata. For a page of ~100 columns that was ~0.6 ms of a
    6 ms request (docs/benchmarks.md, per-request cost). Here the columns are described when one
    of them is read."""

    @property
    def description(self) -> Sequence[psycopg.Column] | None:  # type: ignore[override]
        result = self.pgresult
        if result is None or not (result.nfields or result.status in _ROWS):
            return None
        return _Columns(self, result.nfields)
