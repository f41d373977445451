"""The full-text index of category entries: one document per entry (its text values), in an
SQLite FTS5 table or a PostgreSQL tsvector column with a GIN index. Queries always go through the
index, and every document carries its organization so the wall holds inside the index too."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from estate.db.base import chunks

# Words are runs of letters and digits: "XK-4242" is "xk" and "4242", "web-01.example" three
# words, as SQLite's unicode61 tokenizer and the PostgreSQL document (migration 0310) split them.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_HITS = 200
# Relevance is computed for at most this many matches (the first in index order): ranking every
# match of a common word costs time in proportion to the organization's size.
RANKED_POOL = 1000


def _is_sqlite(db: Session) -> bool:
    return db.get_bind().dialect.name == "sqlite"


def _org_token(organization_id: int) -> str:
    return f"o{organization_id}"


def document_text(values: Iterable[object]) -> str:
    return " ".join(str(v) for v in values if v not in (None, "") and not isinstance(v, dict | list))


def index_entry(db: Session, *, organization_id: int, entry_id: int, body: str) -> None:
    index_entries(db, organization_id=organization_id, documents={entry_id: body})


def index_entries(db: Session, *, organization_id: int, documents: dict[int, str], fresh: bool = False) -> None:
    """(Re)write the documents of many entries, given as entry id → text, in a fixed number of
    statements; an entry whose text is blank leaves the index. ``fresh``: the entries have no
    document yet (the caller removed them), so nothing is deleted first."""
    if not fresh:
        remove_entries(db, list(documents))
    # Stored as the words queries look for: PostgreSQL's parser would keep an address, a MAC or a
    # hyphenated serial as one token ("10.0.0.7"), where a query splits it (SQLite's FTS5 splits too).
    rows = [{"id": entry_id, "body": " ".join(_WORD.findall(body))} for entry_id, body in documents.items()]
    rows = [row for row in rows if row["body"]]
    if not rows:
        return
    if _is_sqlite(db):
        statement = "INSERT INTO cmdb_search (rowid, org, body) VALUES (:id, :org, :body)"
        org: object = _org_token(organization_id)
    else:
        statement = "INSERT INTO cmdb_search (entry_id, organization_id, body) VALUES (:id, :org, :body)"
        org = organization_id
    db.execute(text(statement), [{**row, "org": org} for row in rows])


def remove_entries(db: Session, entry_ids: list[int]) -> None:
    if not entry_ids:
        return
    column = "rowid" if _is_sqlite(db) else "entry_id"
    for chunk in chunks(entry_ids, 500):
        params = {f"p{i}": value for i, value in enumerate(chunk)}
        placeholders = ", ".join(f":p{i}" for i in range(len(chunk)))
        db.execute(text(f"DELETE FROM cmdb_search WHERE {column} IN ({placeholders})"), params)  # noqa: S608


def terms_of(query: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(query)][:10]


@dataclass(frozen=True)
class _Index:
    """An index table and its id column: fixed names, never from the client."""

    table: str
    id_column: str


_ENTRIES = _Index("cmdb_search", "entry_id")
_SOFTWARE = _Index("cmdb_search_software", "software_id")


def matching_entries(db: Session, *, organization_id: int, query: str, limit: int = MAX_HITS) -> list[int]:
    """Ids of the entries whose text holds every word of the query (the last word as a prefix)."""
    return _matching(db, _ENTRIES, organization_id, query, limit)


def matching_software(db: Session, *, organization_id: int, query: str, limit: int = MAX_HITS) -> list[int]:
    """Ids of the software titles (inventory catalog rows) whose title and version hold every word
    of the query. Their index is kept by triggers on the catalog (migration 0008_inventory_in_cmdb)."""
    return _matching(db, _SOFTWARE, organization_id, query, limit)


def _matching(db: Session, index: _Index, organization_id: int, query: str, limit: int) -> list[int]:
    table, id_column = index.table, index.id_column
    terms = terms_of(query)
    if not terms:
        return []
    if _is_sqlite(db):
        words = " ".join(f'"{t}"' for t in terms[:-1])
        # The organization is a column filter, not part of the match: a term matching every row of
        # a large organization would otherwise be read and ranked on every search.
        match = f'body : ({words} "{terms[-1]}"*)'
        rows = db.execute(
            text(
                f"SELECT rowid FROM (SELECT rowid, rank FROM {table} WHERE {table} MATCH :match"  # noqa: S608
                " AND org = :org LIMIT :pool) ORDER BY rank LIMIT :limit"
            ),
            {"match": match, "org": _org_token(organization_id), "pool": RANKED_POOL, "limit": limit},
        )
    else:
        tsquery = " & ".join([*terms[:-1], f"{terms[-1]}:*"])
        rows = db.execute(
            text(
                f"SELECT hit FROM (SELECT {id_column} AS hit, document FROM {table}"  # noqa: S608
                " WHERE document @@ to_tsquery('simple', :q) AND organization_id = :org LIMIT :pool) AS hits"
                " ORDER BY ts_rank(hits.document, to_tsquery('simple', :q)) DESC LIMIT :limit"
            ),
            {"q": tsquery, "org": organization_id, "pool": RANKED_POOL, "limit": limit},
        )
    return [row[0] for row in rows]
