"""Managed installs on the agent channel (decision 0703): what an agent receives for a target, what
its start and report change, and what the machine's next inventory decides.

- A waiting target's work row is handed out inside the deployment window only; outside it the
  claim hands the row back until the window opens.
- Start: one more attempt; the target is downloading (a file to fetch) or installing / removing.
- Report: the downloaded file moves the target to installing; the result's exit code is stored.
  A failed attempt waits for the next one (new work) or, after the allowed attempts, is failed.
- The inventory decides: a target whose machine shows the title is installed (whatever the exit
  code); an attempt that exited 0 without the title appearing is a failed attempt; an uninstall is
  done when the title is gone. A new machine of a label or of "every compatible machine" becomes a
  target when its inventory arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, or_, select, true, update
from sqlalchemy.orm import Session

from estate.agents import service as agents
from estate.agents.models import Work
from estate.agents.reports import read_report
from estate.db.base import utcnow
from estate.distribution import compatibility, files
from estate.distribution.models import (
    DOWNLOADING,
    FAILED,
    INSTALL,
    INSTALLED,
    INSTALLING,
    PENDING,
    REMOVED,
    REMOVING,
    UNINSTALL,
    ManagedInstall,
    ManagedInstallLabel,
    ManagedInstallMachine,
    PackageFile,
)
from estate.distribution.service import (
    MACHINES,
    WORK_KIND,
    insert_targets,
    queue_work,
    targeted_through_labels,
    window_opens,
)
from estate.errors import Conflict, NotFound
from estate.inventory.models import Software
from estate.inventory.service import on_inventory

OUTPUT_KEPT = 16 * 1024
ACTIVE = (PENDING, DOWNLOADING, INSTALLING, REMOVING)


# --- what agents receive -----------------------------------------------------------------------


def _payload(work: Work, target: ManagedInstallMachine, managed_install: ManagedInstall,
             package: PackageFile | None, software: Software) -> dict[str, Any]:
    """The work as the agent runs it: a shell definition (the command line, in a fresh work folder
    holding the package file) as scripts are run."""
    installing = target.action == INSTALL
    command = managed_install.full_command_line if installing else managed_install.uninstall_command_line
    dependencies = ([{"name": package.name, "checksum": package.checksum, "size": package.size}]
                    if installing and package is not None else [])
    return {
        "workId": work.id, "kind": WORK_KIND, "managedInstallId": managed_install.id, "action": target.action,
        "attempt": target.attempts + 1, "maxAttempts": managed_install.max_attempt_count,
        "title": {"name": software.display_name, "version": software.display_version},
        "definition": {"type": "shell", "name": managed_install.name, "scriptText": command, "fileName": "",
                       "timeout": managed_install.timeout, "runAs": managed_install.run_as,
                       "runAsUsr": managed_install.run_as_user, "removeFiles": True, "dependencies": dependencies},
    }


def work_payloads(db: Session, *, claimed: Sequence[Work]) -> list[dict[str, Any]]:
    """The managed installs among claimed rows. A row whose target no longer waits, or whose
    managed install is disabled, is dropped; one outside its window is handed back until it opens."""
    by_subject = {row.subject_id: row for row in claimed if row.kind == WORK_KIND}
    if not by_subject:
        return []
    rows = db.execute(
        select(ManagedInstallMachine, ManagedInstall, PackageFile, Software)
        .join(ManagedInstall, ManagedInstall.id == ManagedInstallMachine.managed_install_id)
        .join(Software, Software.id == ManagedInstall.software_id)
        .outerjoin(PackageFile, PackageFile.id == ManagedInstall.file_id)
        .where(ManagedInstallMachine.id.in_(list(by_subject)))).all()
    found = {target.id for target, *_ in rows}
    for subject_id, work in by_subject.items():
        if subject_id not in found:
            agents.finish(db, work=work)
    payloads = []
    for target, managed_install, package, software in rows:
        work = by_subject[target.id]
        if not managed_install.enabled or target.status not in (PENDING, REMOVING):
            agents.finish(db, work=work)
            continue
        opens = window_opens(db, managed_install)
        if opens is not None:
            agents.defer(db, work=work, until=opens)
            continue
        payloads.append(_payload(work, target, managed_install, package, software))
    return payloads


def target_of_work(db: Session, work: Work) -> ManagedInstallMachine:
    target = db.get(ManagedInstallMachine, work.subject_id) if work.kind == WORK_KIND else None
    if target is None:
        raise NotFound(f"work {work.id} is not a managed install", field="workId")
    return target


def package_of_work(db: Session, *, work: Work, name: str) -> tuple[Path, str]:
    """The package file of the work's managed install, by the name the payload gave it."""
    target = target_of_work(db, work)
    managed_install = db.get_one(ManagedInstall, target.managed_install_id)
    package = db.get(PackageFile, managed_install.file_id) if managed_install.file_id else None
    if package is None or package.name != name or target.action != INSTALL:
        raise NotFound(f"the managed install has no file {name!r}", field="name")
    return files.readable(db, package), package.name


# --- what agents report ------------------------------------------------------------------------


def start_work(db: Session, *, work: Work) -> None:
    """The agent begins an attempt; 409 when the target no longer waits for one (not to be run)."""
    target = target_of_work(db, work)
    if target.status not in (PENDING, REMOVING) or not agents.start(db, work=work):
        agents.finish(db, work=work)
        raise Conflict("this managed install no longer waits for this machine", field="workId")
    managed_install = db.get_one(ManagedInstall, target.managed_install_id)
    target.attempts += 1
    target.last_attempt, target.reported, target.exit_code = utcnow(), None, None
    if target.action == INSTALL:
        target.status = DOWNLOADING if managed_install.file_id else INSTALLING


def record_report(db: Session, *, work: Work, body: Any) -> None:
    """Steps (a downloaded file moves the target on to installing) and, at the end, the result.
    Resending changes nothing: only a target in the middle of an attempt takes a result."""
    report = read_report(body)
    target = target_of_work(db, work)
    if target.status == DOWNLOADING and any(step["phase"] == "dependencies" and step["status"] == "success"
                                            for step in report.steps):
        target.status = INSTALLING
    if report.result is None or target.reported is not None or target.status not in (DOWNLOADING, INSTALLING,
                                                                                    REMOVING):
        return
    agents.finish(db, work=work)
    output = "\n".join(step["output"] for step in report.steps if step["output"])
    target.exit_code, target.output = report.result["exit_code"], output[-OUTPUT_KEPT:]
    if report.result["status"] == "success":
        target.status = INSTALLING if target.action == INSTALL else REMOVING
        target.reported = utcnow()
        return
    exit_code = target.exit_code
    reason = report.result["message"] or (f"the {'installer' if target.action == INSTALL else 'uninstaller'} "
                                          f"exited with code {exit_code}" if exit_code is not None
                                          else "the attempt failed")
    attempt_failed(db, target, reason)


def attempt_failed(db: Session, target: ManagedInstallMachine, reason: str) -> None:
    """Another attempt when the managed install allows one, else failed."""
    managed_install = db.get_one(ManagedInstall, target.managed_install_id)
    target.reason, target.reported = reason[:4096], None
    if target.attempts < managed_install.max_attempt_count:
        target.status = PENDING if target.action == INSTALL else REMOVING
        db.flush()
        queue_work(db, managed_install, rows=ManagedInstallMachine.id == target.id)
        return
    target.status, target.finished = FAILED, utcnow()


# --- what inventories decide -------------------------------------------------------------------


def _title_shown() -> ColumnElement[bool]:
    """The target's machine shows its managed install's title (a condition on a target row)."""
    return compatibility.has_title(ManagedInstallMachine.machine_id, ManagedInstall.software_id,
                                   ManagedInstall.id == ManagedInstallMachine.managed_install_id)


def _targets_of(db: Session, machine_ids: Sequence[int], *conditions: ColumnElement[bool]) -> list[Any]:
    return list(db.scalars(select(ManagedInstallMachine).where(
        ManagedInstallMachine.machine_id.in_(list(machine_ids)), *conditions)))


# Asked on every inventory that arrives; built once.
_ANY_MANAGED_INSTALL = select(ManagedInstall.id).where(
    ManagedInstall.organization_id == bindparam("organization_id")).limit(1)


@on_inventory
def decide_from_inventory(db: Session, *, organization_id: int, machine_ids: Sequence[int]) -> None:
    """What the machines' inventory says about their managed installs (see the module's doc)."""
    if not machine_ids or db.scalar(_ANY_MANAGED_INSTALL, {"organization_id": organization_id}) is None:
        return
    now = utcnow()
    shown = _title_shown()
    mine = and_(ManagedInstallMachine.organization_id == organization_id,
                ManagedInstallMachine.machine_id.in_(list(machine_ids)))
    # Installed: the title is there (a later report of a running attempt changes nothing).
    done = select(ManagedInstallMachine.id).where(mine, ManagedInstallMachine.action == INSTALL,
                                                  ManagedInstallMachine.removed == false(),
                                                  ManagedInstallMachine.status.in_((*ACTIVE, FAILED)), shown)
    agents.drop_work(db, kind=WORK_KIND, subject_ids=done)
    db.execute(update(ManagedInstallMachine).where(ManagedInstallMachine.id.in_(done.scalar_subquery()))
               .values(status=INSTALLED, finished=now, reason="", reported=None))
    for target in _targets_of(db, machine_ids, ManagedInstallMachine.status == INSTALLING,
                              ManagedInstallMachine.reported.is_not(None), ~shown):
        software = db.get_one(Software, db.get_one(ManagedInstall, target.managed_install_id).software_id)
        attempt_failed(db, target, f"the installer exited with {target.exit_code}, but the inventory does not show "
                                   f"{software.display_name} {software.display_version or ''}".rstrip())
    db.execute(update(ManagedInstallMachine).where(
        mine, ManagedInstallMachine.action == UNINSTALL, ManagedInstallMachine.status == REMOVING,
        ManagedInstallMachine.reported.is_not(None), ~shown).values(status=REMOVED, finished=now, reported=None))
    for target in _targets_of(db, machine_ids, ManagedInstallMachine.status == REMOVING,
                              ManagedInstallMachine.reported.is_not(None), shown):
        attempt_failed(db, target, "the uninstaller finished, but the inventory still shows the title")
    _start_over_where_gone(db, mine, ~shown)
    _new_targets(db, organization_id, machine_ids)


def _start_over_where_gone(db: Session, mine: ColumnElement[bool], missing: ColumnElement[bool]) -> None:
    """An installed title that left the inventory is installed again (the managed install keeps
    machines as it describes them)."""
    gone = list(db.scalars(select(ManagedInstallMachine).where(
        mine, ManagedInstallMachine.status == INSTALLED, ManagedInstallMachine.removed == false(), missing)))
    for target in gone:
        target.status, target.attempts, target.finished, target.reason = PENDING, 0, None, ""
    db.flush()
    for managed_install_id in {target.managed_install_id for target in gone}:
        queue_work(db, db.get_one(ManagedInstall, managed_install_id), rows=ManagedInstallMachine.id.in_(
            [target.id for target in gone if target.managed_install_id == managed_install_id]))


def _new_targets(db: Session, organization_id: int, machine_ids: Sequence[int]) -> None:
    """Machines of the inventory that a label or "every compatible machine" makes targets."""
    candidates = list(db.scalars(select(ManagedInstall).where(
        ManagedInstall.organization_id == organization_id,
        or_(ManagedInstall.deploy_to_all, ManagedInstall.id.in_(select(ManagedInstallLabel.managed_install_id))))))
    titles = compatibility.titles_of(db, [managed_install.software_id for managed_install in candidates])
    for managed_install in candidates:
        through = true() if managed_install.deploy_to_all else targeted_through_labels(managed_install.id,
                                                                                     MACHINES.c.id)
        added = insert_targets(db, managed_install, titles[managed_install.software_id],
                               machines=and_(MACHINES.c.id.in_(list(machine_ids)), through))
        if added:
            queue_work(db, managed_install, rows=ManagedInstallMachine.machine_id.in_(list(machine_ids)))

