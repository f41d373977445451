"""`estate backup FILE` and `estate restore FILE`: the database and the uploaded files in one
archive (a tar file: manifest.json, the database, data/).

SQLite is copied with its online backup API, so a running server keeps serving (and writing)
while the copy is made; PostgreSQL with pg_dump (custom format), which reads one consistent
snapshot. The uploaded files are copied after the database: every file the copied database
names is on disk by then (files are written before the transaction that names them commits).

A restore replaces the database and the uploaded files with the archive's, then brings the schema
to the newest revision. Stop the servers first: a restore under running servers would mix old
sessions with new data."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url

from estate import __version__
from estate.db.engine import make_engine
from estate.db.migrate import upgrade

FORMAT = "estate-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "estate.db"
PG_DUMP_FILE = "estate.pgdump"
DATA = "data"


class BackupError(Exception):
    """A backup or restore that cannot be done, with a message for the operator."""


@dataclass(frozen=True)
class Summary:
    database: str  # "sqlite" or "postgresql"
    revision: str
    files: int


def _revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return ", ".join(sorted(connection.scalars(text("SELECT version_num FROM alembic_version"))))


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """The connection options of pg_dump / pg_restore; the password goes through the environment,
    never the command line (which other users of the machine can read)."""
    options = ["--host", url.host or "localhost", "--port", str(url.port or 5432), "--dbname", url.database or ""]
    if url.username:
        options += ["--username", url.username]
    environment = {**os.environ, "PGPASSWORD": url.password or ""} if url.password else dict(os.environ)
    return options, environment


def _run(command: list[str], environment: dict[str, str]) -> None:
    try:
        done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client)") from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()}")


def _copy_database(url: URL, folder: Path) -> str:
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(folder / SQLITE_FILE)
        try:
            with target:
                source.backup(target)  # page by page; writers of the running server go on
        finally:
            target.close()
            source.close()
        return SQLITE_FILE
    options, environment = _libpq(url)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(folder / PG_DUMP_FILE),
          *options], environment)
    return PG_DUMP_FILE


def backup(*, database_url: str, data_dir: Path, target: Path) -> Summary:
    url = make_url(database_url)
    engine = make_engine(database_url)
    try:
        revision = _revision(engine)
    finally:
        engine.dispose()
    with tempfile.TemporaryDirectory(prefix="estate-backup-") as work:
        folder = Path(work)
        database_file = _copy_database(url, folder)
        files = 0
        if data_dir.is_dir():
            shutil.copytree(data_dir, folder / DATA)
            files = sum(1 for path in (folder / DATA).rglob("*") if path.is_file())
        manifest = {"format": FORMAT, "database": url.get_backend_name(), "revision": revision,
                    "estate": __version__, "created": datetime.now(UTC).isoformat(timespec="seconds"),
                    "files": files}
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=1))
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            for name in (MANIFEST, database_file, DATA):
                if (folder / name).exists():
                    archive.add(folder / name, arcname=name)
        partial.replace(target)  # a backup file is whole or absent
    return Summary(url.get_backend_name(), revision, files)


def _read_manifest(archive: tarfile.TarFile) -> dict[str, object]:
    try:
        member = archive.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise BackupError("not an Estate backup: the archive has no manifest.json")
    manifest = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def _restore_database(url: URL, folder: Path) -> None:
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(folder / SQLITE_FILE)
        target = sqlite3.connect(path)
        try:
            with target:
                source.backup(target)  # through SQLite, so the WAL and its index stay consistent
        finally:
            target.close()
            source.close()
        return
    options, environment = _libpq(url)
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          *options, str(folder / PG_DUMP_FILE)], environment)


def restore(*, database_url: str, data_dir: Path, source: Path) -> Summary:
    url = make_url(database_url)
    if not source.is_file():
        raise BackupError(f"no backup file {source}")
    with tempfile.TemporaryDirectory(prefix="estate-restore-") as work, tarfile.open(source, "r:*") as archive:
        manifest = _read_manifest(archive)
        if manifest["database"] != url.get_backend_name():
            raise BackupError(f"the backup holds a {manifest['database']} database; ESTATE_DATABASE_URL names "
                              f"{url.get_backend_name()} (use the same kind of database)")
        archive.extractall(work, filter="data")
        folder = Path(work)
        _restore_database(url, folder)
        if data_dir.resolve() == Path(data_dir.resolve().anchor):
            raise BackupError(f"ESTATE_DATA_DIR is {data_dir}: refusing to replace a filesystem root")
        if data_dir.exists():
            shutil.rmtree(data_dir)
        if (folder / DATA).is_dir():
            shutil.copytree(folder / DATA, data_dir)
    engine = make_engine(database_url)
    try:
        upgrade(engine)  # a backup of an older Estate is brought to this one's schema
        revision = _revision(engine)
    finally:
        engine.dispose()
    return Summary(url.get_backend_name(), revision, int(str(manifest.get("files", 0))))
