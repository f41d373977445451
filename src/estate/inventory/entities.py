"""The Inventory API's entities as the query engine sees them.

Answer names follow what the appliance itself answers (recorded in a public integration's test
data: `Id`, `Name`, `Os_name`, `Last_inventory`, `Ram Total`): the column name with its first letter
capitalised. The Definitions of the reference capitalise every word (`Os_Name`); names compare
case-insensitively, so both spellings filter, sort and shape alike. Every inventory answer writes
its values as strings (`"Id": "1"`), as the appliance does (Style.TEXT)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, and_, exists, false, select
from sqlalchemy.sql.elements import KeyedColumnElement

from estate.assets.models import AssetLink
from estate.auth.permissions import Caller
from estate.db.base import Base
from estate.inventory.models import (
    Label,
    Machine,
    MachineDisk,
    MachineLabel,
    MachineLocation,
    MachineNic,
    MachineOperatingSystem,
    MachineProcess,
    MachineService,
    MachineSoftware,
    MachineStartupProgram,
    Node,
    OperatingSystem,
    Process,
    Service,
    Software,
    StartupProgram,
)
from estate.query import ChildRows, Entity, Field, Kind, Level, LinkTable, ParentRow, Scope, Style, SubEntity
from estate.query.declare import BASE_ID, Condition, Related

L, S, E, A = Level.LIMITED, Level.STANDARD, Level.EXTENDED, Level.ALL


def answer_name(column: str) -> str:
    return column[:1].upper() + column[1:]


def fields(
    table: FromClause, level: Level, names: str, *, kind: Kind = Kind.TEXT, wildcard: bool = False
) -> tuple[Field, ...]:
    """Fields for the space-separated column names, answered as `answer_name` spells them."""
    return tuple(
        Field(answer_name(name), table.c[name], kind=kind, level=level, wildcard=wildcard) for name in names.split()
    )


def field(column: KeyedColumnElement[Any], level: Level, *, name: str | None = None, kind: Kind = Kind.TEXT,
          wildcard: bool = False) -> Field:
    return Field(name or answer_name(column.name), column, kind=kind, level=level, wildcard=wildcard)


# --- Catalogs ---------------------------------------------------------------------------------------

_soft = Software.__table__
SOFTWARE = Entity(
    name="software",
    plural="Software",
    table=_soft,
    id_field="Id",
    name_field="Display_name",
    organization_column=_soft.c.organization_id,
    style=Style.TEXT,
    aliases=("softwares",),
    fields=(
        field(_soft.c.id, L, kind=Kind.INT),
        field(_soft.c.display_name, L, wildcard=True),
        *fields(_soft, S, "display_version publisher", wildcard=True),
        *fields(_soft, S, "install_date category"),
        *fields(_soft, E, "version file_name help_link help_telephone contact comments notes uninstall_string "
                "quiet_uninstall_string urlinfo_about readme checksum inventory_rule"),
        *fields(_soft, E, "file_size is_manual is_patch dont_replicate threat rule_data_type rule_flag", kind=Kind.INT),
        *fields(_soft, E, " ".join(f"custom_field_value{n}" for n in range(6))),
        *fields(_soft, A, "created modified", kind=Kind.DATETIME),
    ),
)

_EXECUTABLE_TEXT = "category command_args command_exe company_name file_description file_name file_version notes"


def _executable(model: type[Base], name: str, plural: str, extra_standard: str = "", extra_extended: str = "",
                aliases: tuple[str, ...] = ()) -> Entity:
    table = model.__table__
    return Entity(
        name=name,
        plural=plural,
        table=table,
        id_field="Id",
        name_field="Name",
        organization_column=table.c.organization_id,
        style=Style.TEXT,
        aliases=aliases,
        fields=(
            field(table.c.id, L, kind=Kind.INT),
            field(table.c.name, L, wildcard=True),
            *fields(table, S, f"product_name product_version {extra_standard}".strip(), wildcard=True),
            *fields(table, E, f"{_EXECUTABLE_TEXT} {extra_extended}".strip()),
            field(table.c.threat, E, kind=Kind.INT),
            *fields(table, A, "created modified", kind=Kind.DATETIME),
        ),
    )


PROCESS = _executable(Process, "process", "Processes", aliases=("processes",))
SERVICE = _executable(
    Service, "service", "Services",
    extra_standard="display_name status startup_type",
    extra_extended="description logon_as_user can_interact_with_desktop",
    aliases=("services", "ntservice"),
)
STARTUP_PROGRAM = _executable(
    StartupProgram, "startup_program", "Startup_programs", aliases=("startup_programs", "startupprogram")
)

_os = OperatingSystem.__table__
OPERATING_SYSTEM = Entity(
    name="operating_system",
    plural="Operating_systems",
    table=_os,
    id_field="Id",
    name_field="Name",
    organization_column=_os.c.organization_id,
    style=Style.TEXT,
    aliases=("operating_systems", "os"),
    fields=(
        field(_os.c.id, L, kind=Kind.INT),
        field(_os.c.name, L, wildcard=True),
        *fields(_os, S, "common_name family arch build", wildcard=True),
        *fields(_os, S, "major_version minor_version minor2_version sp", kind=Kind.INT),
        *fields(_os, E, "description patch_package_code"),
        *fields(_os, E, "managed", kind=Kind.INT),
        *fields(_os, A, "os_family_id os_product_id", kind=Kind.INT),
        *fields(_os, A, "created modified", kind=Kind.DATETIME),
    ),
)

# --- Per-machine rows -------------------------------------------------------------------------------

_nic = MachineNic.__table__
MACHINE_NIC = Entity(
    name="machine_nics",
    plural="Machine_nics",
    table=_nic,
    id_field="Id",
    name_field="Nic",
    organization_column=_nic.c.organization_id,
    fields=(
        field(_nic.c.id, L, kind=Kind.INT),
        field(_nic.c.nic, L, wildcard=True),
        *fields(_nic, S, "ip mac", wildcard=True),
        *fields(_nic, S, "netmask dhcp_enabled dnsdomain dnshostname"),
        *fields(_nic, E, "ipv6_config"),
        *fields(_nic, E, "nic_id", kind=Kind.INT),
        *fields(_nic, A, "machine_id", kind=Kind.INT),
    ),
)

_disk = MachineDisk.__table__
MACHINE_DISK = Entity(
    name="machine_disks",
    plural="Machine_disks",
    table=_disk,
    id_field="Id",
    name_field="Name",
    organization_column=_disk.c.organization_id,
    fields=(
        field(_disk.c.id, L, kind=Kind.INT),
        field(_disk.c.name, L, wildcard=True),
        *fields(_disk, S, "filesystem"),
        *fields(_disk, S, "disk_size disk_used disk_free percent_used", kind=Kind.NUMBER),
        *fields(_disk, A, "machine_id", kind=Kind.INT),
    ),
)

_loc = MachineLocation.__table__
MACHINE_LOCATION = Entity(
    name="machine_location",
    plural="Machine_locations",
    table=_loc,
    id_field="Id",
    name_field="Locality",
    organization_column=_loc.c.organization_id,
    fields=(
        field(_loc.c.id, L, kind=Kind.INT),
        field(_loc.c.locality, L, wildcard=True),
        *fields(_loc, S, "street_address region postal_code country country_code", wildcard=True),
        *fields(_loc, A, "machine_location_id machine_id", kind=Kind.INT),
    ),
)

_label = Label.__table__
LABEL = Entity(
    name="label",
    plural="Labels",
    table=_label,
    id_field="Id",
    name_field="Name",
    organization_column=_label.c.organization_id,
    fields=(
        field(_label.c.id, L, kind=Kind.INT),
        field(_label.c.name, L, wildcard=True),
        *fields(_label, S, "type notes"),
        *fields(_label, E, "kace_alt_location kace_alt_location_user"),
        *fields(_label, E, "app_ctrl_enabled meter_enabled usage_all usage_catalog usage_dell usage_label "
                "usage_machine usage_node usage_patch usage_process usage_software usage_user", kind=Kind.INT),
        *fields(_label, A, "scope_user_role_id", kind=Kind.INT),
    ),
)

# --- Machines ---------------------------------------------------------------------------------------

# Machines whose device asset is archived or deleted are out of inventory (docs/decisions/0510):
# every read of the entity (lists, single records, the joins of other entities) sees only the others.
_m = select(Machine.__table__).where(Machine.__table__.c.archived == false()).subquery("inventory_machines")

# The record the appliance answers without shaping, in its order (the recorded answer of a real
# appliance lists exactly these).
_MACHINE_STANDARD = (
    field(_m.c.id, L, kind=Kind.INT),
    field(_m.c.modified, S, kind=Kind.DATETIME),
    field(_m.c.created, S, kind=Kind.DATETIME),
    field(_m.c.user, S, wildcard=True),
    field(_m.c.name, L, wildcard=True),
    field(_m.c.ip, S, wildcard=True),
    field(_m.c.os_name, S, wildcard=True),
    field(_m.c.os_number, S),
    field(_m.c.last_inventory, S, kind=Kind.DATETIME),
    field(_m.c.last_sync, S, kind=Kind.DATETIME),
    field(_m.c.ram_total, S, name="Ram Total"),
    *fields(_m, S, "ram_used ram_max bios_identification_code sound_devices cdrom_devices video_controllers monitor "
            "registry_size registry_max_size pagefile_size pagefile_max_size"),
    field(_m.c.manual_entry, S, kind=Kind.INT),
)

_MACHINE_EXTENDED_TEXT = (
    "ipv6 netmask user_domain user_fullname user_logged user_name last_user domain cs_domain cs_manufacturer "
    "cs_model csp_id_number asset_tag chassis_type client_version manufacturer_product_number ownership virtual "
    "wmi_status tz_agent uptime last_reboot last_shutdown kpatch_language_id notes system_description "
    "system_directory os_arch os_build os_family os_installed_date os_major os_minor os_minor2 os_release "
    "os_version service_pack sys_arch ie_version dot_net_versions bios_description bios_manufacturer bios_name "
    "bios_version motherboard_primary_bus motherboard_secondary_bus cpu_name processors printers "
    "sda_deployment_name sda_deployment_time sda_deployment_type sda_deployment_url sda_installation_id sda_name "
    "sda_url " + " ".join(f"custom_field_value{n}" for n in range(6))
)


_links = AssetLink.__table__


@dataclass(frozen=True)
class DeviceAsset:
    """Machine → its device asset: the asset whose link names the machine (`mapped_id`), one per
    machine and organization (every ingest makes it). A path of the engine (query.declare.Path)."""

    single = False  # answered as a list, as the inventory answers every sub-entity

    def exists(self, base_id: ColumnElement[int], target: Entity, condition: Condition) -> Condition:
        matching = select(target.id_column).where(condition)
        return exists().where(
            _links.c.organization_id == _m.c.organization_id,
            _links.c.mapped_id == base_id,
            _links.c.object_id.in_(matching),
        )

    def base_ids(self, target: Entity, condition: Condition) -> Select[Any]:
        matching = select(target.id_column).where(condition)
        return select(_links.c.mapped_id).where(_links.c.object_id.in_(matching))

    def load(self, target: Entity, columns: list[ColumnElement[Any]], base_ids: list[int]) -> Select[Any]:
        joined = _links.join(
            target.table,
            and_(_links.c.object_id == target.id_column, _links.c.organization_id == target.organization_column),
        )
        return select(_links.c.mapped_id.label(BASE_ID), *columns).select_from(joined).where(
            _links.c.mapped_id.in_(base_ids)
        )

    def join(self, source: FromClause, base_id: ColumnElement[int], related: Related) -> FromClause:
        # One device asset per machine: outer, so that a machine without one keeps its row.
        link, on_link = related.link(_links)
        target = related.target
        on = on_link.traverse(_links.c.object_id) == related.column(target.id_column)
        if target.organization_column is not None:
            on = and_(on, on_link.traverse(_links.c.organization_id) == related.column(target.organization_column))
        return source.outerjoin(link, on_link.traverse(_links.c.mapped_id) == base_id).outerjoin(related.table, on)


def _asset() -> Entity:
    # Imported when first used: the asset declarations are built on MACHINE.
    from estate.assets.entities import ASSET

    return ASSET


MACHINE = Entity(
    name="machine",
    plural="Machines",
    table=_m,
    id_field="Id",
    name_field="Name",
    organization_column=_m.c.organization_id,
    style=Style.TEXT,
    aliases=("machines",),
    fields=(
        *_MACHINE_STANDARD,
        field(_m.c.kuid, E, wildcard=True),
        *fields(_m, E, "mac bios_serial_number", wildcard=True),
        *fields(_m, E, _MACHINE_EXTENDED_TEXT),
        *fields(_m, E, "prefix_len physical_cores physical_processors", kind=Kind.INT),
        *fields(_m, A, "os_id force_inventory", kind=Kind.INT),
    ),
    subentities=(
        SubEntity(
            "software",
            lambda: SOFTWARE,
            LinkTable(MachineSoftware.__table__, MachineSoftware.__table__.c.machine_id,
                      MachineSoftware.__table__.c.software_id),
            aliases=("softwares",),
        ),
        SubEntity(
            "process",
            lambda: PROCESS,
            LinkTable(MachineProcess.__table__, MachineProcess.__table__.c.machine_id,
                      MachineProcess.__table__.c.process_id),
            aliases=("processes",),
        ),
        SubEntity(
            "service",
            lambda: SERVICE,
            LinkTable(MachineService.__table__, MachineService.__table__.c.machine_id,
                      MachineService.__table__.c.service_id),
            aliases=("ntservice", "services"),
        ),
        SubEntity(
            "startup_program",
            lambda: STARTUP_PROGRAM,
            LinkTable(MachineStartupProgram.__table__, MachineStartupProgram.__table__.c.machine_id,
                      MachineStartupProgram.__table__.c.startup_program_id),
            aliases=("startupprogram", "startup_programs"),
        ),
        SubEntity(
            "operating_system",
            lambda: OPERATING_SYSTEM,
            LinkTable(MachineOperatingSystem.__table__, MachineOperatingSystem.__table__.c.machine_id,
                      MachineOperatingSystem.__table__.c.operating_system_id),
            aliases=("os", "operating_systems"),
        ),
        SubEntity("machine_nics", lambda: MACHINE_NIC, ChildRows(_nic.c.machine_id), aliases=("nics", "machine_nic"),
                  in_wildcard=True),
        SubEntity("machine_disks", lambda: MACHINE_DISK, ChildRows(_disk.c.machine_id),
                  aliases=("disks", "machine_disk")),
        SubEntity("machine_location", lambda: MACHINE_LOCATION, ChildRows(_loc.c.machine_id),
                  aliases=("machine_locations",)),
        SubEntity(
            "label",
            lambda: LABEL,
            LinkTable(MachineLabel.__table__, MachineLabel.__table__.c.machine_id, MachineLabel.__table__.c.label_id),
            aliases=("labels",),
        ),
        SubEntity("asset", _asset, DeviceAsset(), aliases=("assets",)),
    ),
)

# --- Agentless nodes --------------------------------------------------------------------------------

_n = Node.__table__
NODE = Entity(
    name="node",
    plural="Nodes",
    table=_n,
    id_field="Id",
    name_field="Host_name",
    organization_column=_n.c.organization_id,
    style=Style.TEXT,
    aliases=("nodes",),
    fields=(
        field(_n.c.id, L, kind=Kind.INT),
        field(_n.c.host_name, L, wildcard=True),
        *fields(_n, S, "ip mac real_name os_type", wildcard=True),
        *fields(_n, S, "created modified", kind=Kind.DATETIME),
        *fields(_n, E, "aw_id chromeos_id dmm_id g_mobile_id kmm_id snmp_contact snmp_sysdescr snmp_uptime "
                "snmp_walk_data"),
        *fields(_n, E, "aw_status chromeos_status cli_status dmm_status g_mobile_status kmm_status ldap_status "
                "nmap_status ping_status snmp_status snmp_version socket_status vmware_status vmware_type "
                "winrm_status", kind=Kind.INT),
        *fields(_n, A, "machine_id relay_machine_id scan_settings_id", kind=Kind.INT),
    ),
    subentities=(
        SubEntity("machine", lambda: MACHINE, ParentRow(_n, _n.c.id, _n.c.machine_id), aliases=("machines",)),
    ),
)


# --- Who sees what ----------------------------------------------------------------------------------

def _own_machine_ids(caller: Caller) -> Select[int]:
    return select(_m.c.id).where(
        _m.c.organization_id == caller.organization_id, _m.c.owner_account_id == caller.account_id
    )


def _visible(entity: Entity, caller: Caller) -> ColumnElement[bool] | None:
    """Standard users see their own machines and what is reported for them; others see everything."""
    if caller.sees_all_data:
        return None
    if entity is MACHINE:
        return _m.c.owner_account_id == caller.account_id
    if entity is NODE:
        return _n.c.machine_id.in_(_own_machine_ids(caller))
    link = _CATALOG_LINKS.get(entity.name)
    if link is None:
        return false()
    return exists().where(link.target_key == entity.id_column, link.base_key.in_(_own_machine_ids(caller)))


_CATALOG_LINKS: dict[str, LinkTable] = {
    sub.name: sub.path for sub in MACHINE.subentities if isinstance(sub.path, LinkTable) and sub.name != "label"
}


def scope_for(entity: Entity, caller: Caller) -> Scope:
    return Scope(organization_id=caller.organization_id, visible=_visible(entity, caller))
