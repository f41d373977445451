"""Attachment files on disk, kept in step with the database transaction.

A file is stored under a name the server makes up (the client's file name is only metadata), so no
name can reach outside the folder. Files written by a transaction that rolls back are removed, and
files of deleted attachments are removed only once the deletion is committed."""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event
from sqlalchemy.orm import Session

from estate.errors import InvalidInput, PayloadTooLarge
from estate.settings import get_settings

FOLDER = "attachments"
_WRITTEN = "servicedesk.files_written"
_DOOMED = "servicedesk.files_doomed"
DATA_DIR = "estate.data_dir"
_CHUNK = 64 * 1024
_UNSAFE = re.compile(r"[^\w.\- ()+,@=\[\]]+")
_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


@dataclass(frozen=True)
class StoredFile:
    storage_key: str
    file_name: str
    content_type: str
    size: int
    sha256: str


def safe_file_name(name: str | None) -> str:
    """The last path segment of a client's file name, reduced to harmless characters."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/")).split("/")[-1]
    base = _UNSAFE.sub("_", base).strip(" .")
    return base[:200] or "attachment"


def content_type_of(declared: str | None, file_name: str) -> str:
    declared = (declared or "").split(";")[0].strip().lower()
    if declared and len(declared) <= 255 and _TYPE.match(declared) and declared != "application/octet-stream":
        return declared
    guessed, _ = mimetypes.guess_type(file_name)
    return guessed or "application/octet-stream"


def path_of(data_dir: Path, storage_key: str) -> Path:
    root = (data_dir / FOLDER).resolve()
    path = (root / storage_key).resolve()
    if root not in path.parents:
        raise InvalidInput("bad storage key", field="attachment")
    return path


def store(
    db: Session, data_dir: Path, organization_id: int, source: BinaryIO, *, file_name: str | None,
    content_type: str | None, max_bytes: int, field: str,
) -> StoredFile:
    """Copy an upload to the data folder, hashing it and enforcing the size limit."""
    storage_key = f"{organization_id}/{secrets.token_hex(16)}"
    path = path_of(data_dir, storage_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    db.info.setdefault(_WRITTEN, []).append(path)
    with open(path, "xb") as target:
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise PayloadTooLarge(f"the attachment exceeds {max_bytes} bytes", field=field)
            digest.update(chunk)
            target.write(chunk)
    name = safe_file_name(file_name)
    return StoredFile(storage_key, name, content_type_of(content_type, name), size, digest.hexdigest())


def data_dir_of(db: Session) -> Path:
    """The data folder of a session: the app's session factory names it (app.py), so rules that
    remove files deep inside a write need no settings handed down; other sessions use the
    configured one."""
    named = db.info.get(DATA_DIR)
    return Path(named) if named is not None else get_settings().data_dir


def remove_after_commit(db: Session, data_dir: Path, storage_keys: list[str]) -> None:
    db.info.setdefault(_DOOMED, []).extend(path_of(data_dir, key) for key in storage_keys)


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


@event.listens_for(Session, "after_commit")
def _after_commit(db: Session) -> None:
    db.info.pop(_WRITTEN, None)
    _unlink(db.info.pop(_DOOMED, []))


# The soft rollback fires on every Session.rollback(), even when no statement had run yet.
@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(db: Session, previous_transaction: object) -> None:
    db.info.pop(_DOOMED, None)
    _unlink(db.info.pop(_WRITTEN, []))
