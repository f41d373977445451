"""Package files: stored once per organization and content, below the data folder under their
SHA-256 (`packages/<organization>/<checksum>`), streamed in and out in chunks (decision 0702).

An upload is copied into an incoming folder beside them while it is hashed and measured; its row
is then inserted (or found: the same content uploaded again is the same file) and the
temporary file takes the checksum's name. A file placed by a transaction that rolls back is
removed again, and the file of a deleted row once the deletion is committed; each removal spares a
file another transaction placed at that name meanwhile (it checks the inode it placed or saw)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from estate.db.base import MAX_INT, utcnow
from estate.distribution.models import ManagedInstall, PackageFile
from estate.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from estate.history import service as history
from estate.servicedesk.storage import content_type_of, data_dir_of, safe_file_name

FOLDER = "packages"
INCOMING = ".incoming"
ENTITY = "package_file"
_CHUNK = 1024 * 1024
_PLACED = "distribution.packages_placed"
_DOOMED = "distribution.packages_doomed"


@dataclass(frozen=True)
class Received:
    """An upload copied to a temporary file beside the stored packages."""

    path: Path
    checksum: str
    size: int


def folder_of(data_dir: Path, organization_id: int) -> Path:
    return data_dir / FOLDER / str(organization_id)


def path_of(db: Session, package: PackageFile) -> Path:
    return folder_of(data_dir_of(db), package.organization_id) / package.checksum


def receive(data_dir: Path, *, source: BinaryIO, max_bytes: int, field: str) -> Received:
    """Copy an upload into the incoming folder beside the stored packages, hashing it and enforcing
    the size limit (before any transaction: a large upload holds no lock). The caller removes
    the file if it is not stored."""
    folder = data_dir / FOLDER / INCOMING
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / secrets.token_hex(16)
    digest, size = hashlib.sha256(), 0
    try:
        with open(temporary, "xb") as target:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(f"the package file exceeds {max_bytes} bytes", field=field)
                digest.update(chunk)
                target.write(chunk)
        if size == 0:
            raise InvalidInput("the package file is empty", field=field)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return Received(temporary, digest.hexdigest(), size)


def _insert(db: Session) -> object:
    module = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(PackageFile).on_conflict_do_nothing(index_elements=["organization_id", "checksum"])


def store(db: Session, *, organization_id: int, account_id: int | None, received: Received, file_name: str | None,
          content_type: str | None) -> tuple[PackageFile, bool]:
    """The file of this content: a new row (True) or the one uploaded before (False). A concurrent
    upload of the same content waits on the unique key until this transaction ends."""
    name = safe_file_name(file_name)
    row_id = db.execute(_insert(db).values(  # type: ignore[attr-defined]
        organization_id=organization_id, name=name, checksum=received.checksum, size=received.size,
        content_type=content_type_of(content_type, name), created=utcnow(), created_by=account_id,
    ).returning(PackageFile.id)).scalar()
    if row_id is None:
        received.path.unlink(missing_ok=True)
        existing = db.scalar(select(PackageFile).where(PackageFile.organization_id == organization_id,
                                                       PackageFile.checksum == received.checksum))
        if existing is None:  # deleted between the insert and this read
            raise Conflict("the same package file is being deleted; upload it again", field="file")
        return existing, False
    target = folder_of(data_dir_of(db), organization_id) / received.checksum
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(received.path, target)
    db.info.setdefault(_PLACED, []).append((target, os.stat(target).st_ino))
    package = db.get_one(PackageFile, row_id)
    history.record(db, organization_id=organization_id, account_id=account_id, action=history.CREATE,
                   entity_name=ENTITY, entity_id=package.id,
                   changes={"name": (None, package.name), "checksum": (None, package.checksum),
                            "size": (None, package.size)})
    return package, True


def get_file(db: Session, *, organization_id: int, file_id: int, field: str = "id") -> PackageFile:
    package = db.get(PackageFile, file_id) if 0 < file_id <= MAX_INT else None
    if package is None or package.organization_id != organization_id:
        raise NotFound(f"package file {file_id} not found", field=field)
    return package


def delete_file(db: Session, *, organization_id: int, account_id: int | None, file_id: int) -> None:
    """A file no managed install uses; its bytes go once the deletion is committed."""
    package = get_file(db, organization_id=organization_id, file_id=file_id)
    users = list(db.scalars(select(ManagedInstall.id).where(ManagedInstall.file_id == package.id).limit(5)))
    if users:
        raise Conflict(f"package file {file_id} is used by managed install(s) {', '.join(map(str, users))}",
                       field="id")
    path = path_of(db, package)
    with contextlib.suppress(FileNotFoundError):
        db.info.setdefault(_DOOMED, []).append((path, os.stat(path).st_ino))
    db.delete(package)
    history.record(db, organization_id=organization_id, account_id=account_id, action=history.DELETE,
                   entity_name=ENTITY, entity_id=file_id, changes={"name": (package.name, None)})


def readable(db: Session, package: PackageFile) -> Path:
    path = path_of(db, package)
    if not path.is_file():
        raise NotFound(f"the bytes of package file {package.id} are missing", field="file")
    return path


def _unlink(entries: list[tuple[Path, int]]) -> None:
    for path, inode in entries:
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_ino == inode:  # not a file another transaction placed since
                os.unlink(path)


@event.listens_for(Session, "after_commit")
def _after_commit(db: Session) -> None:
    db.info.pop(_PLACED, None)
    _unlink(db.info.pop(_DOOMED, []))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(db: Session, previous_transaction: object) -> None:
    db.info.pop(_DOOMED, None)
    _unlink(db.info.pop(_PLACED, []))
