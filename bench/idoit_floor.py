"""The floor of each i-doit call bench/idoit.py times: the same answer made the most direct way,
in-process on the same database. Raw sqlite3 or psycopg, hand-written SQL, orjson, the catalog's
titles from a dict; no HTTP, no ORM, no validation beyond what the SQL needs. A write is one
transaction doing what cmdb.category.save does (entry, object stamp, search document, logbook row).

bench/idoit.py runs it after the server has stopped, on the inputs the API was timed with, and
first checks that the floor's answers equal the API's for the read cases (so the floor does the
whole work).

    python -m bench.idoit_floor --objects 2000        # alone, on a database bench.idoit built
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson
from sqlalchemy.engine import make_url

from bench.measure import summarize, timed
from estate.cmdb.catalog import CATALOG, DIALOG

if TYPE_CHECKING:
    from bench.idoit import Setup, Workload

_WORD = re.compile(r"[^\W_]+")
MAX_HITS = 200
RANKED_POOL = 1000  # the same bounded ranking as estate.cmdb.search


class Db:
    """One connection, SQL written with ``?`` for both drivers."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.postgres = parsed.get_backend_name() == "postgresql"
        if self.postgres:
            import psycopg

            self.connection: Any = psycopg.connect(
                host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password,
                dbname=parsed.database, autocommit=True)
        else:
            self.connection = sqlite3.connect(parsed.database, isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
                self.connection.execute(f"PRAGMA {pragma}")

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        if self.postgres:
            sql = sql.replace("?", "%s")
        return self.connection.execute(sql, tuple(params)).fetchall()

    def run(self, sql: str, params: Iterable[Any] = ()) -> None:
        self.connection.execute(sql.replace("?", "%s") if self.postgres else sql, tuple(params))

    def close(self) -> None:
        self.connection.close()


def _stamp(value: Any) -> str | None:
    if value is None:
        return None
    # PostgreSQL's driver hands over naive UTC datetimes (isoformat is done in C, strftime slower),
    # SQLite the stored text.
    return value.isoformat(" ", "seconds") if isinstance(value, datetime) else str(value)[:19]


def _values(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else orjson.loads(raw)


def _envelope(result: Any) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "result": result, "id": 1})


# --- cmdb.objects.read ----------------------------------------------------------------------------


def _object_columns(language: str = "en") -> dict[str, tuple[int, str, str | None]]:
    """type const → (type id, type title, group title)."""
    return {t.const: (t.id, t.titles[language], CATALOG.groups[t.group_id].titles[language]
                      if t.group_id in CATALOG.groups else None) for t in CATALOG.object_types.values()}


TYPE_COLUMNS = _object_columns()
CMDB_STATES = {s.id: s.titles["en"] for s in CATALOG.cmdb_states.values()}


def objects_read(db: Db, org: int, offset: int) -> bytes:
    rows = db.rows("SELECT id, title, sysid, type_const, status, cmdb_status, created, updated FROM cmdb_objects "
                   "WHERE organization_id = ? AND type_const = ? ORDER BY id LIMIT 1000 OFFSET ?",
                   (org, "C__OBJTYPE__SERVER", offset))
    result = []
    for object_id, title, sysid, type_const, status, cmdb_status, created, updated in rows:
        type_id, type_title, group_title = TYPE_COLUMNS[type_const]
        shaped = {"id": object_id, "title": title, "sysid": sysid, "type": type_id, "type_title": type_title,
                  "type_group_title": group_title, "status": status, "cmdb_status": cmdb_status,
                  "cmdb_status_title": CMDB_STATES.get(cmdb_status, ""), "created": _stamp(created)}
        if updated:
            shaped["updated"] = _stamp(updated)
        shaped["image"] = f"images/objecttypes/{type_const.removeprefix('C__OBJTYPE__').lower()}.png"
        result.append(shaped)
    return _envelope(result)


# --- cmdb.category.read ---------------------------------------------------------------------------

IP = CATALOG.categories["C__CATG__IP"]


YES_NO = {True: {"value": "1", "title": "Yes"}, False: {"value": "0", "title": "No"}}


def _plain(attribute: Any, value: Any) -> Any:
    if value is None:
        return "" if attribute.data_type in ("text", "text_area") and not attribute.shape else None
    if attribute.shape == "convert":
        return {"title": value}
    if attribute.shape == "yes_no":
        return YES_NO[str(value) not in ("0", "", "False")]
    if attribute.shape == "address":
        return {"ref_id": None, "ref_title": str(value), "ref_type": "C__CATS__NET_IP_ADDRESSES"}
    if isinstance(value, float) and value.is_integer() and attribute.data_type != "int":
        return f"{value:.2f}"
    return str(value)


def _dialogs(db: Db, org: int, ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = db.rows(f"SELECT id, number, title, const FROM cmdb_dialog_entries WHERE organization_id = ? "  # noqa: S608
                   f"AND id IN ({marks})", (org, *ids))
    return {i: {"id": str(n), "title": t, "const": c, "title_lang": t} for i, n, t, c in rows}


def category_rows(db: Db, org: int, object_id: int) -> list[dict[str, Any]]:
    if not db.rows("SELECT 1 FROM cmdb_objects WHERE id = ? AND organization_id = ?", (object_id, org)):
        raise LookupError(object_id)
    entries = [(entry_id, _values(raw)) for entry_id, raw in db.rows(
        'SELECT id, "values" FROM cmdb_category_entries WHERE object_id = ? AND category_const = ? AND status = 2 '
        "AND organization_id = ? ORDER BY id", (object_id, IP.const, org))]
    wanted = {v for _, values in entries for k, v in values.items()
              if isinstance(v, int) and k in IP.attributes and IP.attributes[k].kind == DIALOG}
    dialogs = _dialogs(db, org, wanted)
    rows = []
    for entry_id, values in entries:
        row: dict[str, Any] = {"id": str(entry_id), "objID": str(object_id)}
        for key, attribute in IP.attributes.items():
            value = values.get(key)
            if key in row:
                continue
            if attribute.kind == DIALOG:
                row[key] = dialogs.get(value) if isinstance(value, int) else None
            elif attribute.kind == "plain":
                row[key] = _plain(attribute, value)
            else:  # object links, object types, CMDB states: the bench data leaves them empty
                row[key] = [] if isinstance(value, list) else None
        rows.append(row)
    return rows


def category_read(db: Db, org: int, object_id: int) -> bytes:
    return _envelope(category_rows(db, org, object_id))


def batch(db: Db, org: int, object_ids: list[int]) -> bytes:
    return orjson.dumps([{"jsonrpc": "2.0", "result": category_rows(db, org, object_id), "id": n}
                         for n, object_id in enumerate(object_ids)])


# --- cmdb.category.save ---------------------------------------------------------------------------


def category_save(db: Db, org: int, object_id: int, serial: str) -> bytes:
    now = datetime.now(UTC).replace(tzinfo=None)
    stamp: Any = now if db.postgres else now.isoformat(sep=" ")
    db.run("BEGIN" if db.postgres else "BEGIN IMMEDIATE")
    try:
        title, status = db.rows("SELECT title, status FROM cmdb_objects WHERE id = ? AND organization_id = ?",
                                (object_id, org))[0]
        entry_id, raw = db.rows('SELECT id, "values" FROM cmdb_category_entries WHERE object_id = ? '
                                "AND category_const = 'C__CATG__MODEL' ORDER BY id LIMIT 1", (object_id,))[0]
        values = _values(raw)
        before = values.get("serial")
        values["serial"] = serial
        db.run('UPDATE cmdb_category_entries SET "values" = ?, updated = ? WHERE id = ?',
               (orjson.dumps(values).decode(), stamp, entry_id))
        db.run("UPDATE cmdb_objects SET updated = ?, updated_by = 'api' WHERE id = ?", (stamp, object_id))
        maker = db.rows("SELECT title FROM cmdb_dialog_entries WHERE id = ?", (values["manufacturer"],))[0][0]
        body = f"{maker} {serial}"
        if db.postgres:
            db.run("DELETE FROM cmdb_search WHERE entry_id = ?", (entry_id,))
            db.run("INSERT INTO cmdb_search (entry_id, organization_id, body) VALUES (?, ?, ?)", (entry_id, org, body))
        else:
            db.run("DELETE FROM cmdb_search WHERE rowid = ?", (entry_id,))
            db.run("INSERT INTO cmdb_search (rowid, org, body) VALUES (?, ?, ?)", (entry_id, f"o{org}", body))
        changes = orjson.dumps({"serial": {"from": before, "to": serial}}).decode()
        db.run("INSERT INTO cmdb_logbook (organization_id, object_id, object_title, object_status, category_const, "
               "entry_id, event, username, changes, message, description, comment, source, alert_level, created) "
               "VALUES (?, ?, ?, ?, 'C__CATG__MODEL', ?, 'C__LOGBOOK_EVENT__CATEGORY_CHANGED', 'api', ?, '', '', "
               "'', 'C__LOGBOOK_SOURCE__INTERNAL', 1, ?)", (org, object_id, title, status, entry_id, changes, stamp))
        db.run("COMMIT")
    except Exception:
        db.run("ROLLBACK")
        raise
    return _envelope({"success": True, "message": "Category entry successfully saved", "entry": entry_id})


# --- idoit.search ---------------------------------------------------------------------------------

GLOBAL = CATALOG.categories["C__CATG__GLOBAL"]
RECORD_STATES = {s.id: s.titles["en"] for s in CATALOG.record_states.values()}


def _matching(db: Db, org: int, terms: list[str]) -> list[int]:
    if db.postgres:
        tsquery = " & ".join([*terms[:-1], f"{terms[-1]}:*"])
        rows = db.rows("SELECT hit FROM (SELECT entry_id AS hit, document FROM cmdb_search "
                       "WHERE document @@ to_tsquery('simple', ?) AND organization_id = ? LIMIT ?) AS hits "
                       "ORDER BY ts_rank(hits.document, to_tsquery('simple', ?)) DESC LIMIT ?",
                       (tsquery, org, RANKED_POOL, tsquery, MAX_HITS))
    else:
        words = " ".join(f'"{t}"' for t in terms[:-1])
        match = f'body : ({words} "{terms[-1]}"*)'
        rows = db.rows("SELECT rowid FROM (SELECT rowid, rank FROM cmdb_search WHERE cmdb_search MATCH ? "
                       "AND org = ? LIMIT ?) ORDER BY rank LIMIT ?", (match, f"o{org}", RANKED_POOL, MAX_HITS))
    return [row[0] for row in rows]


def search(db: Db, org: int, q: str) -> bytes:
    terms = [word.lower() for word in _WORD.findall(q)][:10]
    ids = _matching(db, org, terms)
    if not ids:
        return _envelope([])
    marks = ",".join("?" * len(ids))
    rows = db.rows(
        'SELECT e.id, e.category_const, e."values", o.id, o.title, o.sysid, o.type_const, o.status '  # noqa: S608
        "FROM cmdb_category_entries e JOIN cmdb_objects o ON o.id = e.object_id "
        f"WHERE e.organization_id = ? AND e.id IN ({marks})", (org, *ids))
    rank = {entry_id: n for n, entry_id in enumerate(ids)}
    rows.sort(key=lambda row: rank[row[0]])
    parsed = [(row, _values(row[2])) for row in rows]
    dialog_ids = {v for row, values in parsed for k, v in values.items() if isinstance(v, int)
                  and (a := CATALOG.categories[row[1]].attributes.get(k)) is not None and a.kind == DIALOG}
    dialogs = _dialogs(db, org, dialog_ids)
    quoted = quote(q)
    results = []
    for (entry_id, category_const, _, object_id, title, sysid, type_const, status), values in parsed:
        category = CATALOG.categories[category_const]
        texts = [(GLOBAL.attributes["title"], title), (GLOBAL.attributes["sysid"], sysid)] if category is GLOBAL else []
        for key, value in values.items():
            attribute = category.attributes.get(key)
            if attribute is None:
                continue
            if attribute.kind == DIALOG and isinstance(value, int) and value in dialogs:
                texts.append((attribute, dialogs[value]["title"]))
            elif isinstance(value, str):
                texts.append((attribute, value))
        for attribute, found in texts:
            words = [word.lower() for word in _WORD.findall(found)]
            if not any(word.startswith(term) for term in terms for word in words):
                continue
            scope = "catgID" if category.scope == "g" else "catsID"
            results.append({
                "documentId": str(object_id),
                "key": f"{TYPE_COLUMNS[type_const][1]} > {category.title} > {attribute.title}",
                "value": found, "type": "cmdb",
                "link": f"/?objID={object_id}&{scope}={category.id}&cateID={entry_id}&highlight={quoted}",
                "score": str(max(100 - rank[entry_id], 1)), "status": RECORD_STATES.get(status, str(status)),
            })
    return _envelope(results)


# --- measuring ------------------------------------------------------------------------------------


def cases(db: Db, org: int, work: Workload) -> dict[str, list[Callable[[], bytes]]]:
    return {
        "objects_read": [lambda o=o: objects_read(db, org, o) for o in work.objects_offsets],
        "category_read": [lambda o=o: category_read(db, org, o) for o in work.read_objects],
        "category_save": [lambda o=o, s=s: category_save(db, org, o, s)
                          for o, s in zip(work.save_objects, work.serials, strict=True)],
        "search_selective": [lambda t=t: search(db, org, t) for t in work.selective],
        "search_common": [lambda t=t: search(db, org, t) for t in work.common],
        "batch": [lambda ids=ids: batch(db, org, ids) for ids in work.batches],
    }


def measure(url: str, setup: Setup, work: Workload, warm: int = 3) -> dict[str, list[float]]:
    db = Db(url)
    try:
        samples = {}
        for case, calls in cases(db, setup.organization_id, work).items():
            for call in calls[:warm]:
                call()
            samples[case] = timed(calls)
        return samples
    finally:
        db.close()


def answers(url: str, setup: Setup, work: Workload) -> dict[str, Any]:
    """The first answer of each read case, for comparing with the API's."""
    db = Db(url)
    try:
        org = setup.organization_id
        return {"objects_read": orjson.loads(objects_read(db, org, work.objects_offsets[0]))["result"],
                "category_read": orjson.loads(category_read(db, org, work.read_objects[0]))["result"],
                "search_selective": orjson.loads(search(db, org, work.selective[0]))["result"],
                "search_common": orjson.loads(search(db, org, work.common[0]))["result"],
                "batch": [answer["result"] for answer in orjson.loads(batch(db, org, work.batches[0]))]}
    finally:
        db.close()


def main() -> None:
    from bench.idoit import default_url, load_setup, workload

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or default_url(args.objects)
    setup = load_setup(url)
    started = time.perf_counter()
    for case, samples in measure(url, setup, workload(setup, args.rounds)).items():
        print(summarize(case, samples).line())
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
