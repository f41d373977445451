"""Tables of software distribution (every one organization-scoped).

  package_files             uploaded installer files, one row per content (SHA-256) and organization;
                            the bytes lie below the data folder under their checksum
  supported_systems         the operating systems a software title of the inventory is meant for
  managed_installs          a title, its package file, the install (and uninstall) command, run-as,
                            attempts, deployment window, enabled, and whether every compatible
                            machine is a target
  managed_install_labels    labels whose machines are targets
  managed_install_machines  one row per machine a managed install targets (or was taken off): why
                            it is a target, and its status there (pending, downloading, installing,
                            installed, failed, removing, removed) with attempts, exit code, reason
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from estate.db.base import Base, OrgScoped, UTCDateTime, utcnow

# managed_install_machines.status
PENDING, DOWNLOADING, INSTALLING, INSTALLED, FAILED = "pending", "downloading", "installing", "installed", "failed"
REMOVING, REMOVED = "removing", "removed"
STATUSES = (PENDING, DOWNLOADING, INSTALLING, INSTALLED, FAILED, REMOVING, REMOVED)
# managed_install_machines.action: what the machine's agent is asked to do
INSTALL, UNINSTALL = "install", "uninstall"


def _account_fk() -> Mapped[int | None]:
    return mapped_column(Integer, ForeignKey("accounts.id", ondelete="SET NULL"), index=True)


class PackageFile(OrgScoped, Base):
    __tablename__ = "package_files"
    __table_args__ = (UniqueConstraint("organization_id", "checksum", name="uq_package_files_org_checksum"),
                      Index("ix_package_files_org_name", "organization_id", "name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # The file name it was uploaded with (only metadata: the bytes are stored under the checksum).
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    checksum: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    content_type: Mapped[str] = mapped_column(String(255), nullable=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by: Mapped[int | None] = _account_fk()


class SupportedSystems(OrgScoped, Base):
    """Which operating systems a title of the software catalog runs on (decision 0701)."""

    __tablename__ = "supported_systems"

    software_id: Mapped[int] = mapped_column(Integer, ForeignKey("software.id", ondelete="CASCADE"),
                                             primary_key=True)
    # Families and operating system ids of the inventory's catalog, comma-separated ("Linux,7"), as
    # the answers show them.
    systems: Mapped[str] = mapped_column(String(2000), nullable=False, default="")


class ManagedInstall(OrgScoped, Base):
    __tablename__ = "managed_installs"
    __table_args__ = (Index("ix_managed_installs_org_name", "organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    software_id: Mapped[int] = mapped_column(Integer, ForeignKey("software.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    file_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("package_files.id", ondelete="RESTRICT"),
                                                index=True)
    full_command_line: Mapped[str] = mapped_column(Text, nullable=False)
    uninstall_command_line: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # 0: the agent's account (root / SYSTEM), 1: the user at the console, 2: run_as_user (as scripts).
    run_as: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    run_as_user: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    max_attempt_count: Mapped[int] = mapped_column(Integer, nullable=False, default=3)
    # Minutes one attempt may take before its processes are killed.
    timeout: Mapped[int] = mapped_column(Integer, nullable=False, default=60)
    # "HH:MM" in the organization's time zone; both empty: any time.
    window_start: Mapped[str] = mapped_column(String(5), nullable=False, default="")
    window_end: Mapped[str] = mapped_column(String(5), nullable=False, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    deploy_to_all: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by: Mapped[int | None] = _account_fk()


class ManagedInstallLabel(OrgScoped, Base):
    __tablename__ = "managed_install_labels"
    __table_args__ = (UniqueConstraint("managed_install_id", "label_id", name="uq_managed_install_labels_mi_label"),
                      Index("ix_managed_install_labels_label", "label_id", "managed_install_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    managed_install_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("managed_installs.id", ondelete="CASCADE"), nullable=False)
    label_id: Mapped[int] = mapped_column(Integer, ForeignKey("labels.id", ondelete="CASCADE"), nullable=False)


class ManagedInstallMachine(OrgScoped, Base):
    """A machine of a managed install; its id is the subject of the machine's `agent_work` rows."""

    __tablename__ = "managed_install_machines"
    __table_args__ = (
        UniqueConstraint("managed_install_id", "machine_id", name="uq_managed_install_machines_mi_machine"),
        Index("ix_managed_install_machines_machine", "machine_id", "managed_install_id"),
        Index("ix_managed_install_machines_mi_status", "managed_install_id", "status"),
        # The installs that failed lately, across managed installs (the console's dashboard).
        Index("ix_managed_install_machines_org_status_finished", "organization_id", "status", "finished"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    managed_install_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("managed_installs.id", ondelete="CASCADE"), nullable=False)
    machine_id: Mapped[int] = mapped_column(Integer, ForeignKey("machines.id", ondelete="CASCADE"), nullable=False)
    # Named by add_to_machines (not only reached through a label or "every compatible machine").
    selected: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    # Taken off by remove_from_machines: not a target any more, whatever its labels say.
    removed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    action: Mapped[str] = mapped_column(String(16), nullable=False, default="install")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    output: Mapped[str] = mapped_column(Text, nullable=False, default="")
    requested: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_attempt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the agent reported the attempt's exit code; the next inventory decides the outcome.
    reported: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the status became installed, failed or removed.
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime)
