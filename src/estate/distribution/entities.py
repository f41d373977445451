"""The Managed Install API's entities as the query engine sees them (decision 0704).

Answers write values as strings, as the appliance's inventory answers do (Style.TEXT), with the
column name capitalised (`Id`, `Name`, `Full_command_line`). Lists: managed installs (`MIs`),
package files (`Files`), and machines (`Machines`: the inventory's machines, each with the managed
installs it is a target of and its status for each)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import ColumnElement, func, select

from estate.distribution.models import (
    ManagedInstall,
    ManagedInstallLabel,
    ManagedInstallMachine,
    PackageFile,
    SupportedSystems,
)
from estate.inventory.entities import LABEL, MACHINE, SOFTWARE, field, fields
from estate.inventory.models import Machine
from estate.query import ChildRows, Entity, Field, Kind, Level, LinkTable, ParentRow, Style, SubEntity

L, S, E, A = Level.LIMITED, Level.STANDARD, Level.EXTENDED, Level.ALL

_files = PackageFile.__table__
PACKAGE_FILE = Entity(
    name="file",
    plural="Files",
    table=_files,
    id_field="Id",
    name_field="Name",
    organization_column=_files.c.organization_id,
    style=Style.TEXT,
    aliases=("files", "package_file"),
    fields=(
        field(_files.c.id, L, kind=Kind.INT),
        field(_files.c.name, L, wildcard=True),
        field(_files.c.checksum, S, wildcard=True),
        field(_files.c.size, S, kind=Kind.INT),
        field(_files.c.content_type, S),
        field(_files.c.created, S, kind=Kind.DATETIME),
        field(_files.c.created_by, A, kind=Kind.INT),
    ),
)

# The status of one machine for one managed install, with the names the answers show beside it.
_mi = ManagedInstall.__table__
_targets = ManagedInstallMachine.__table__
_status = (
    select(_targets, _mi.c.name.label("managed_install_name"), Machine.__table__.c.name.label("machine_name"))
    .join(_mi, _mi.c.id == _targets.c.managed_install_id)
    .join(Machine.__table__, Machine.__table__.c.id == _targets.c.machine_id)
    .subquery("managed_install_status")
)


def _status_fields() -> tuple[Field, ...]:
    return (
        field(_status.c.status, S, wildcard=True),
        field(_status.c.action, S),
        field(_status.c.attempts, S, kind=Kind.INT),
        field(_status.c.exit_code, S, kind=Kind.INT),
        field(_status.c.reason, S, wildcard=True),
        field(_status.c.selected, S, kind=Kind.BOOL),
        field(_status.c.removed, S, kind=Kind.BOOL),
        *fields(_status, S, "requested last_attempt finished", kind=Kind.DATETIME),
        field(_status.c.output, E),
    )




def _status_entity(name: str, plural: str, aliases: tuple[str, ...], identity: str, title: str) -> Entity:
    """Target rows seen from one side: `Id` and `Name` are the other side's (the machine's, for a
    managed install's machines; the managed install's, for a machine's managed installs)."""
    return Entity(
        name=name,
        plural=plural,
        table=_status,
        id_field="Id",
        name_field="Name",
        organization_column=_status.c.organization_id,
        style=Style.TEXT,
        aliases=aliases,
        fields=(
            field(_status.c[identity], L, name="Id", kind=Kind.INT),
            field(_status.c[title], L, name="Name", wildcard=True),
            *_status_fields(),
            field(_status.c.id, A, name="Target_id", kind=Kind.INT),
        ),
    )


def targets_of(managed_install_id: int) -> ColumnElement[bool]:
    """The rows of TARGET that are one managed install's machines."""
    return _status.c.managed_install_id == managed_install_id


TARGET = _status_entity("machines", "Machines", ("machine",), "machine_id", "machine_name")
MACHINE_STATUS = _status_entity("managed_installs", "Managed_installs", ("managed_install", "mi", "mis"),
                                "managed_install_id", "managed_install_name")

# Managed installs with the supported systems of their title.
_systems = SupportedSystems.__table__
_managed = (
    select(_mi, func.coalesce(_systems.c.systems, "").label("supported_operating_systems"))
    .outerjoin(_systems, _systems.c.software_id == _mi.c.software_id)
    .subquery("managed_install_list")
)
_mi_labels = ManagedInstallLabel.__table__
MANAGED_INSTALL = Entity(
    name="managed_install",
    plural="MIs",
    table=_managed,
    id_field="Id",
    name_field="Name",
    organization_column=_managed.c.organization_id,
    style=Style.TEXT,
    aliases=("mi", "mis", "managed_installs"),
    fields=(
        field(_managed.c.id, L, kind=Kind.INT),
        field(_managed.c.name, L, wildcard=True),
        field(_managed.c.software_id, S, kind=Kind.INT),
        field(_managed.c.supported_operating_systems, S),
        field(_managed.c.file_id, S, kind=Kind.INT),
        field(_managed.c.full_command_line, S, wildcard=True),
        field(_managed.c.uninstall_command_line, S),
        field(_managed.c.run_as, S, kind=Kind.INT),
        field(_managed.c.run_as_user, S),
        field(_managed.c.max_attempt_count, S, kind=Kind.INT),
        field(_managed.c.timeout, S, kind=Kind.INT),
        field(_managed.c.window_start, S, name="Deploy_window_start"),
        field(_managed.c.window_end, S, name="Deploy_window_end"),
        field(_managed.c.enabled, S, kind=Kind.BOOL),
        field(_managed.c.deploy_to_all, S, kind=Kind.BOOL),
        field(_managed.c.notes, S, wildcard=True),
        *fields(_managed, S, "created modified", kind=Kind.DATETIME),
        field(_managed.c.created_by, A, kind=Kind.INT),
    ),
    subentities=(
        SubEntity("software", lambda: SOFTWARE, ParentRow(_managed, _managed.c.id, _managed.c.software_id),
                  aliases=("softwares", "title")),
        SubEntity("file", lambda: PACKAGE_FILE, ParentRow(_managed, _managed.c.id, _managed.c.file_id),
                  aliases=("files",)),
        SubEntity("label", lambda: LABEL, LinkTable(_mi_labels, _mi_labels.c.managed_install_id,
                                                    _mi_labels.c.label_id), aliases=("labels",)),
        SubEntity("machines", lambda: TARGET, ChildRows(_status.c.managed_install_id), aliases=("machine",)),
    ),
)

# /api/mi/machines: the inventory's machines, each answered with its managed installs.
MI_MACHINE = replace(
    MACHINE,
    subentities=(*MACHINE.subentities,
                 SubEntity("managed_installs", lambda: MACHINE_STATUS, ChildRows(_status.c.machine_id),
                           aliases=("managed_install", "mi", "mis"), shown=Level.STANDARD)),
)
