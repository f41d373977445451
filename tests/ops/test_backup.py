"""`estate backup` / `estate restore`: a round trip of the database and the uploaded files, the
backup taken from the suite's own database while its server runs and writes."""

from __future__ import annotations

import hashlib
import os
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from estate.db import backup
from estate.db.engine import make_engine
from estate.servicedesk.models import Attachment, Ticket
from estate.servicedesk.storage import path_of
from tests.conftest import _postgres_database
from tests.inventory.payloads import ingest, machine
from tests.servicedesk.conftest import create_ticket, queue  # noqa: F401 - queue is a fixture
from tests.servicedesk.test_attachments import _upload
from tests.test_cli import Ran, run

PHOTO = bytes(range(256)) * 40


@pytest.fixture
def target_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the suite's kind to restore into."""
    if server := os.environ.get("ESTATE_TEST_DATABASE_URL"):
        yield from _postgres_database(server)
    else:
        yield f"sqlite:///{tmp_path / 'restored.db'}"


def cli(database_url: str, data_dir: Path, *args: str) -> Ran:
    done = run({"ESTATE_DATABASE_URL": database_url, "ESTATE_DATA_DIR": str(data_dir)}, *args)
    assert done.returncode == 0, done.stderr
    return done


def test_backup_while_the_server_writes_then_restore_twice(settings, admin, queue, tmp_path, target_url):  # noqa: F811
    ticket_id = create_ticket(admin, hd_queue_id=queue["id"], title="Backed-up ticket")
    upload = {"change": {"comment": "photo", "attachmentSet": "f"}}
    assert _upload(admin, ticket_id, upload, [("f", ("photo.bin", PHOTO, "application/octet-stream"))]).is_success
    archive = tmp_path / "estate-backup.tar.gz"

    stop = threading.Event()

    def keep_writing() -> None:  # the server goes on taking inventory while the backup is made
        n = 0
        while not stop.is_set():
            n += 1
            ingest(admin, machine(f"during-backup-{n}"))

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        made = cli(settings.database_url, settings.data_dir, "backup", str(archive))
    finally:
        stop.set()
        writer.join()
    assert "uploaded files" in made.stdout
    with tarfile.open(archive) as content:
        names = content.getnames()
    assert "manifest.json" in names and any(name.startswith("data/attachments/") for name in names)

    restored_data = tmp_path / "restored-data"
    for _ in range(2):  # into an empty database, then over the restored one
        done = cli(target_url, restored_data, "restore", "--yes", str(archive))
        assert "restored" in done.stdout
        engine = make_engine(target_url)
        try:
            with engine.connect() as db:
                title = db.scalar(select(Ticket.title).where(Ticket.id == ticket_id))
                attachment = db.execute(select(Attachment).where(Attachment.hd_ticket_id == ticket_id)).one()
        finally:
            engine.dispose()
        assert title == "Backed-up ticket"
        stored = path_of(restored_data, attachment.storage_key).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == attachment.sha256 and stored == PHOTO


def test_restore_refuses_what_is_not_a_backup_and_leaves_the_database(tmp_path, target_url):
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as archive:
        archive.add(__file__, arcname="something.py")
    with pytest.raises(backup.BackupError, match="not an Estate backup"):
        backup.restore(database_url=target_url, data_dir=tmp_path / "data", source=bogus)
    assert not (tmp_path / "data").exists()
