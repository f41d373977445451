"""Tables of the scripting domain (every one organization-scoped).

  scripts                 a script: kind, texts, run-as, schedule, alert options
  script_os_types         which operating systems a script fits (a family, or one catalog entry)
  script_machines         the machines that keep an offline script
  script_tasks            a script's tasks, ordered, their steps as JSON
  script_dependencies     files a script needs on the machine (stored below the data folder)
  script_runs             one run of a script, with the definition as it was when it started
  script_run_machines     one machine of a run; its id is the run's `kbotLogId` for that machine
  script_run_steps        what each step did on that machine
  script_run_files        files a machine uploaded during a run
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from estate.db.base import Base, OrgScoped, UTCDateTime, utcnow

ONLINE, OFFLINE, SHELL = "online", "offline", "shell"
KINDS = (ONLINE, OFFLINE, SHELL)
# script_run_machines.status
PENDING, RUNNING, SUCCESS, FAILED = "pending", "running", "success", "failed"


class Script(OrgScoped, Base):
    __tablename__ = "scripts"
    __table_args__ = (Index("ix_scripts_org_name", "organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(32), nullable=False, default="Draft")
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    os_types: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    schedule_type: Mapped[str] = mapped_column(String(32), nullable=False, default="none")
    schedule: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    run_as: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    run_as_user: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    run_as_password: Mapped[str] = mapped_column(Text, nullable=False, default="")
    script_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    file_name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    # Minutes, as the appliance counts them.
    timeout: Mapped[int] = mapped_column(Integer, nullable=False, default=60)
    remove_files: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    upload_file: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    upload_file_name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    upload_file_path: Mapped[str] = mapped_column(Text, nullable=False, default="")
    alert: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("accounts.id", ondelete="SET NULL"),
                                                   index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


def _script_fk() -> Mapped[int]:
    return mapped_column(Integer, ForeignKey("scripts.id", ondelete="CASCADE"), nullable=False, index=True)


class ScriptOsType(OrgScoped, Base):
    __tablename__ = "script_os_types"
    __table_args__ = (Index("ix_script_os_types_family", "organization_id", "family", "script_id"),
                      Index("ix_script_os_types_os", "operating_system_id", "script_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = _script_fk()
    family: Mapped[str | None] = mapped_column(String(32))
    operating_system_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("operating_systems.id", ondelete="CASCADE"))


class ScriptMachine(OrgScoped, Base):
    __tablename__ = "script_machines"
    __table_args__ = (UniqueConstraint("script_id", "machine_id", name="uq_script_machines_script_machine"),
                      Index("ix_script_machines_machine", "machine_id", "script_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(Integer, ForeignKey("scripts.id", ondelete="CASCADE"), nullable=False)
    machine_id: Mapped[int] = mapped_column(Integer, ForeignKey("machines.id", ondelete="CASCADE"), nullable=False)


class ScriptTask(OrgScoped, Base):
    __tablename__ = "script_tasks"
    __table_args__ = (UniqueConstraint("script_id", "ordinal", name="uq_script_tasks_script_ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(Integer, ForeignKey("scripts.id", ondelete="CASCADE"), nullable=False)
    ordinal: Mapped[int] = mapped_column(Integer, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    on_failure: Mapped[str] = mapped_column(String(16), nullable=False, default="break")
    # Each a list of steps {"id": <step type>, "params": {...}} (docs/scripting-steps.md).
    steps: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class ScriptDependency(OrgScoped, Base):
    __tablename__ = "script_dependencies"
    __table_args__ = (UniqueConstraint("script_id", "name", name="uq_script_dependencies_script_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(Integer, ForeignKey("scripts.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(255), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    checksum: Mapped[str] = mapped_column(String(64), nullable=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ScriptRun(OrgScoped, Base):
    __tablename__ = "script_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = _script_fk()
    # "run" (actions/run) or "offline" (an offline script the agent ran on its schedule)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="run")
    # The script as it was when the run started: what every machine of the run executes.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("accounts.id", ondelete="SET NULL"),
                                                   index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ScriptRunMachine(OrgScoped, Base):
    """One machine of a run; its id is the `kbotLogId` of the run on that machine."""

    __tablename__ = "script_run_machines"
    __table_args__ = (
        UniqueConstraint("run_id", "machine_id", name="uq_script_run_machines_run_machine"),
        Index("ix_script_run_machines_machine", "machine_id", "id"),
        UniqueConstraint("machine_id", "result_key", name="uq_script_run_machines_machine_result"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer, ForeignKey("script_runs.id", ondelete="CASCADE"), nullable=False)
    machine_id: Mapped[int] = mapped_column(Integer, ForeignKey("machines.id", ondelete="CASCADE"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=PENDING)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    requested: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    started: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Offline results carry the agent's own id for them, so a resent result is stored once.
    result_key: Mapped[str | None] = mapped_column(String(64))


class ScriptRunStep(OrgScoped, Base):
    __tablename__ = "script_run_steps"
    __table_args__ = (UniqueConstraint("run_machine_id", "seq", name="uq_script_run_steps_run_machine_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_machine_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("script_run_machines.id", ondelete="CASCADE"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    task: Mapped[int | None] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    step_id: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    output: Mapped[str] = mapped_column(Text, nullable=False, default="")
    started: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScriptRunFile(OrgScoped, Base):
    __tablename__ = "script_run_files"
    __table_args__ = (UniqueConstraint("run_machine_id", "name", name="uq_script_run_files_run_machine_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_machine_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("script_run_machines.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(255), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    checksum: Mapped[str] = mapped_column(String(64), nullable=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
