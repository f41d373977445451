"""Inventory: what agents report about machines, and the agentless devices found on the network.

Column names are the KACE Definition field names lower-cased (``Os_Name`` → ``os_name``), so the
query declarations map them one to one. Every table is organization-scoped.

Tables
  machines                 one row per inventoried machine (Definition ``Machine``, plus the fields
                           the appliance answers with: ram_total, ram_used, last_inventory, last_sync,
                           created, modified) and owner_account_id, the account the machine belongs to
                           (standard users see only their own machines)
  nodes                    agentless devices (Definition ``Node``)
  software                 catalog (Definition ``Software``), shared by the machines that have it
  processes                catalog (Definition ``Process``)
  services                 catalog (Definition ``Ntservice``)
  startup_programs         catalog (Definition ``Startupprogram``)
  operating_systems        catalog (Definition ``Operating_Systems``)
  machine_software, machine_processes, machine_services, machine_startup_programs,
  machine_operating_systems
                           links machine ↔ catalog row, unique (machine_id, item_id), indexed both ways
  machine_nics             per-machine rows (Definition ``Machine_Nics``)
  machine_disks            per-machine rows (Definition ``Machine_Disks`` plus the sizes agents report)
  machine_locations        at most one per machine (Definition ``Machine_Location``)
  labels, machine_labels   labels (Definition ``Label``) and their links to machines

A catalog row is identified within its organization by ``identity_key``, a digest of the fields
listed in the class's ``IDENTITY`` (see estate.inventory.catalog); the other fields keep the values
first reported.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, func
from sqlalchemy.orm import Mapped, mapped_column

from estate.db.base import Base, OrgScoped, UTCDateTime, utcnow

# Short text that is indexed or compared often; longer reported text is Text.
NAME = 255


def _machine_fk(index: bool = False) -> Mapped[int]:
    return mapped_column(Integer, ForeignKey("machines.id", ondelete="CASCADE"), nullable=False, index=index)


class Machine(OrgScoped, Base):
    __tablename__ = "machines"
    __table_args__ = (
        UniqueConstraint("organization_id", "kuid"),
        Index("ix_machines_org_name", "organization_id", "name"),
        Index("ix_machines_org_ip", "organization_id", "ip"),
        Index("ix_machines_org_mac", "organization_id", "mac"),
        # With the archived flag, the console's dashboard counts by operating system and by last
        # inventory from the index alone (migration 0900).
        Index("ix_machines_org_os_name", "organization_id", "os_name", "archived"),
        Index("ix_machines_org_user", "organization_id", "user"),
        Index("ix_machines_org_owner", "organization_id", "owner_account_id"),
        Index("ix_machines_org_last_inventory", "organization_id", "last_inventory", "archived"),
        Index("ix_machines_org_created", "organization_id", "created"),
        Index("ix_machines_org_modified", "organization_id", "modified"),
        Index("ix_machines_org_force_inventory", "organization_id", "force_inventory"),
        # Lists read the machines in inventory in id order: (organization, archived, id) serves them;
        # with the name as well, a count of a name filter reads this index alone, never the
        # ~100-column rows (docs/decisions/1100).
        Index("ix_machines_org_archived_id_name", "organization_id", "archived", "id", "name"),
        # Machines of given operating systems (a title's supported systems), in id order.
        Index("ix_machines_org_os_archived", "organization_id", "os_id", "archived", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kuid: Mapped[str] = mapped_column(String(64), nullable=False)
    owner_account_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    os_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("operating_systems.id", ondelete="SET NULL"), index=True
    )
    force_inventory: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    manual_entry: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Out of inventory while its device asset is archived or deleted (docs/decisions/0510); not a
    # reported field (ingest reads only text and number columns).
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    last_inventory: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sync: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    name: Mapped[str | None] = mapped_column(String(NAME))
    ip: Mapped[str | None] = mapped_column(String(NAME))
    ipv6: Mapped[str | None] = mapped_column(Text)
    mac: Mapped[str | None] = mapped_column(String(NAME))
    netmask: Mapped[str | None] = mapped_column(String(NAME))
    prefix_len: Mapped[int | None] = mapped_column(Integer)
    user: Mapped[str | None] = mapped_column(String(NAME))
    user_domain: Mapped[str | None] = mapped_column(String(NAME))
    user_fullname: Mapped[str | None] = mapped_column(String(NAME))
    user_logged: Mapped[str | None] = mapped_column(String(NAME))
    user_name: Mapped[str | None] = mapped_column(String(NAME))
    last_user: Mapped[str | None] = mapped_column(String(NAME))
    domain: Mapped[str | None] = mapped_column(String(NAME))
    cs_domain: Mapped[str | None] = mapped_column(String(NAME))
    cs_manufacturer: Mapped[str | None] = mapped_column(String(NAME))
    cs_model: Mapped[str | None] = mapped_column(String(NAME))
    csp_id_number: Mapped[str | None] = mapped_column(String(NAME))
    asset_tag: Mapped[str | None] = mapped_column(String(NAME))
    chassis_type: Mapped[str | None] = mapped_column(String(NAME))
    client_version: Mapped[str | None] = mapped_column(String(NAME))
    manufacturer_product_number: Mapped[str | None] = mapped_column(String(NAME))
    ownership: Mapped[str | None] = mapped_column(String(NAME))
    virtual: Mapped[str | None] = mapped_column(String(NAME))
    wmi_status: Mapped[str | None] = mapped_column(String(NAME))
    tz_agent: Mapped[str | None] = mapped_column(String(NAME))
    uptime: Mapped[str | None] = mapped_column(String(NAME))
    last_reboot: Mapped[str | None] = mapped_column(String(NAME))
    last_shutdown: Mapped[str | None] = mapped_column(String(NAME))
    kpatch_language_id: Mapped[str | None] = mapped_column(String(NAME))
    notes: Mapped[str | None] = mapped_column(Text)
    system_description: Mapped[str | None] = mapped_column(Text)
    system_directory: Mapped[str | None] = mapped_column(Text)

    os_name: Mapped[str | None] = mapped_column(String(NAME))
    os_number: Mapped[str | None] = mapped_column(String(NAME))
    os_arch: Mapped[str | None] = mapped_column(String(NAME))
    os_build: Mapped[str | None] = mapped_column(String(NAME))
    os_family: Mapped[str | None] = mapped_column(String(NAME))
    os_installed_date: Mapped[str | None] = mapped_column(String(NAME))
    os_major: Mapped[str | None] = mapped_column(String(NAME))
    os_minor: Mapped[str | None] = mapped_column(String(NAME))
    os_minor2: Mapped[str | None] = mapped_column(String(NAME))
    os_release: Mapped[str | None] = mapped_column(String(NAME))
    os_version: Mapped[str | None] = mapped_column(String(NAME))
    service_pack: Mapped[str | None] = mapped_column(String(NAME))
    sys_arch: Mapped[str | None] = mapped_column(String(NAME))
    ie_version: Mapped[str | None] = mapped_column(String(NAME))
    dot_net_versions: Mapped[str | None] = mapped_column(Text)

    bios_description: Mapped[str | None] = mapped_column(Text)
    bios_identification_code: Mapped[str | None] = mapped_column(String(NAME))
    bios_manufacturer: Mapped[str | None] = mapped_column(String(NAME))
    bios_name: Mapped[str | None] = mapped_column(String(NAME))
    bios_serial_number: Mapped[str | None] = mapped_column(String(NAME))
    bios_version: Mapped[str | None] = mapped_column(String(NAME))
    motherboard_primary_bus: Mapped[str | None] = mapped_column(String(NAME))
    motherboard_secondary_bus: Mapped[str | None] = mapped_column(String(NAME))
    cpu_name: Mapped[str | None] = mapped_column(String(NAME))
    processors: Mapped[str | None] = mapped_column(Text)
    physical_cores: Mapped[int | None] = mapped_column(Integer)
    physical_processors: Mapped[int | None] = mapped_column(Integer)
    ram_total: Mapped[str | None] = mapped_column(String(NAME))
    ram_used: Mapped[str | None] = mapped_column(String(NAME))
    ram_max: Mapped[str | None] = mapped_column(String(NAME))
    pagefile_size: Mapped[str | None] = mapped_column(String(NAME))
    pagefile_max_size: Mapped[str | None] = mapped_column(String(NAME))
    registry_size: Mapped[str | None] = mapped_column(String(NAME))
    registry_max_size: Mapped[str | None] = mapped_column(String(NAME))
    cdrom_devices: Mapped[str | None] = mapped_column(Text)
    sound_devices: Mapped[str | None] = mapped_column(Text)
    video_controllers: Mapped[str | None] = mapped_column(Text)
    monitor: Mapped[str | None] = mapped_column(Text)
    printers: Mapped[str | None] = mapped_column(Text)

    sda_deployment_name: Mapped[str | None] = mapped_column(String(NAME))
    sda_deployment_time: Mapped[str | None] = mapped_column(String(NAME))
    sda_deployment_type: Mapped[str | None] = mapped_column(String(NAME))
    sda_deployment_url: Mapped[str | None] = mapped_column(Text)
    sda_installation_id: Mapped[str | None] = mapped_column(String(NAME))
    sda_name: Mapped[str | None] = mapped_column(String(NAME))
    sda_url: Mapped[str | None] = mapped_column(Text)

    custom_field_value0: Mapped[str | None] = mapped_column(Text)
    custom_field_value1: Mapped[str | None] = mapped_column(Text)
    custom_field_value2: Mapped[str | None] = mapped_column(Text)
    custom_field_value3: Mapped[str | None] = mapped_column(Text)
    custom_field_value4: Mapped[str | None] = mapped_column(Text)
    custom_field_value5: Mapped[str | None] = mapped_column(Text)


class Node(OrgScoped, Base):
    """A device found on the network without an agent (discovery scans)."""

    __tablename__ = "nodes"
    __table_args__ = (
        Index("ix_nodes_org_host_name", "organization_id", "host_name"),
        Index("ix_nodes_org_ip", "organization_id", "ip"),
        Index("ix_nodes_org_mac", "organization_id", "mac"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("machines.id", ondelete="SET NULL"), index=True
    )
    relay_machine_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("machines.id", ondelete="SET NULL"), index=True
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    host_name: Mapped[str | None] = mapped_column(String(NAME))
    real_name: Mapped[str | None] = mapped_column(String(NAME))
    ip: Mapped[str | None] = mapped_column(String(NAME))
    mac: Mapped[str | None] = mapped_column(String(NAME))
    os_type: Mapped[str | None] = mapped_column(String(NAME))
    scan_settings_id: Mapped[int | None] = mapped_column(Integer)
    aw_id: Mapped[str | None] = mapped_column(String(NAME))
    aw_status: Mapped[int | None] = mapped_column(Integer)
    chromeos_id: Mapped[str | None] = mapped_column(String(NAME))
    chromeos_status: Mapped[int | None] = mapped_column(Integer)
    cli_status: Mapped[int | None] = mapped_column(Integer)
    dmm_id: Mapped[str | None] = mapped_column(String(NAME))
    dmm_status: Mapped[int | None] = mapped_column(Integer)
    g_mobile_id: Mapped[str | None] = mapped_column(String(NAME))
    g_mobile_status: Mapped[int | None] = mapped_column(Integer)
    kmm_id: Mapped[str | None] = mapped_column(String(NAME))
    kmm_status: Mapped[int | None] = mapped_column(Integer)
    ldap_status: Mapped[int | None] = mapped_column(Integer)
    nmap_status: Mapped[int | None] = mapped_column(Integer)
    ping_status: Mapped[int | None] = mapped_column(Integer)
    snmp_contact: Mapped[str | None] = mapped_column(String(NAME))
    snmp_status: Mapped[int | None] = mapped_column(Integer)
    snmp_sysdescr: Mapped[str | None] = mapped_column(Text)
    snmp_uptime: Mapped[str | None] = mapped_column(String(NAME))
    snmp_version: Mapped[int | None] = mapped_column(Integer)
    snmp_walk_data: Mapped[str | None] = mapped_column(Text)
    socket_status: Mapped[int | None] = mapped_column(Integer)
    vmware_status: Mapped[int | None] = mapped_column(Integer)
    vmware_type: Mapped[int | None] = mapped_column(Integer)
    winrm_status: Mapped[int | None] = mapped_column(Integer)


class CatalogItem(OrgScoped):
    """What every catalog table shares: its id, its identity within the organization, timestamps."""

    IDENTITY: ClassVar[tuple[str, ...]] = ()
    # The field every item must carry (the one `name` means for the entity).
    REQUIRED: ClassVar[str] = "name"

    id: Mapped[int] = mapped_column(primary_key=True)
    identity_key: Mapped[str] = mapped_column(String(40), nullable=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Software(CatalogItem, Base):
    __tablename__ = "software"
    __table_args__ = (
        UniqueConstraint("organization_id", "identity_key"),
        Index("ix_software_org_display_name", "organization_id", "display_name"),
        Index("ix_software_org_publisher", "organization_id", "publisher"),
    )
    IDENTITY = ("display_name", "display_version", "publisher")
    REQUIRED = "display_name"

    display_name: Mapped[str] = mapped_column(String(NAME), nullable=False)
    display_version: Mapped[str | None] = mapped_column(String(NAME))
    publisher: Mapped[str | None] = mapped_column(String(NAME))
    version: Mapped[str | None] = mapped_column(String(NAME))
    category: Mapped[str | None] = mapped_column(String(NAME))
    checksum: Mapped[str | None] = mapped_column(String(NAME))
    comments: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(NAME))
    file_name: Mapped[str | None] = mapped_column(Text)
    file_size: Mapped[int | None] = mapped_column(Integer)
    help_link: Mapped[str | None] = mapped_column(Text)
    help_telephone: Mapped[str | None] = mapped_column(String(NAME))
    install_date: Mapped[str | None] = mapped_column(String(NAME))
    inventory_rule: Mapped[str | None] = mapped_column(Text)
    is_manual: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    is_patch: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    dont_replicate: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    quiet_uninstall_string: Mapped[str | None] = mapped_column(Text)
    readme: Mapped[str | None] = mapped_column(Text)
    rule_data_type: Mapped[int | None] = mapped_column(Integer)
    rule_flag: Mapped[int | None] = mapped_column(Integer)
    threat: Mapped[int | None] = mapped_column(Integer)
    uninstall_string: Mapped[str | None] = mapped_column(Text)
    urlinfo_about: Mapped[str | None] = mapped_column(Text)
    custom_field_value0: Mapped[str | None] = mapped_column(Text)
    custom_field_value1: Mapped[str | None] = mapped_column(Text)
    custom_field_value2: Mapped[str | None] = mapped_column(Text)
    custom_field_value3: Mapped[str | None] = mapped_column(Text)
    custom_field_value4: Mapped[str | None] = mapped_column(Text)
    custom_field_value5: Mapped[str | None] = mapped_column(Text)


class _ExecutableFields:
    """The fields Process, Ntservice and Startupprogram share."""

    name: Mapped[str] = mapped_column(String(NAME), nullable=False)
    category: Mapped[str | None] = mapped_column(String(NAME))
    command_args: Mapped[str | None] = mapped_column(Text)
    command_exe: Mapped[str | None] = mapped_column(Text)
    company_name: Mapped[str | None] = mapped_column(String(NAME))
    file_description: Mapped[str | None] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(Text)
    file_version: Mapped[str | None] = mapped_column(String(NAME))
    notes: Mapped[str | None] = mapped_column(Text)
    product_name: Mapped[str | None] = mapped_column(String(NAME))
    product_version: Mapped[str | None] = mapped_column(String(NAME))
    threat: Mapped[int | None] = mapped_column(Integer)


class Process(_ExecutableFields, CatalogItem, Base):
    __tablename__ = "processes"
    __table_args__ = (
        UniqueConstraint("organization_id", "identity_key"),
        Index("ix_processes_org_name", "organization_id", "name"),
    )
    IDENTITY = ("name", "command_exe", "file_version")


class Service(_ExecutableFields, CatalogItem, Base):
    """An NT service. Status and startup type are part of what identifies a catalog row, so that
    "machines where service X is stopped" is a plain catalog filter."""

    __tablename__ = "services"
    __table_args__ = (
        UniqueConstraint("organization_id", "identity_key"),
        Index("ix_services_org_name", "organization_id", "name"),
        Index("ix_services_org_display_name", "organization_id", "display_name"),
    )
    IDENTITY = ("name", "display_name", "command_exe", "status", "startup_type")

    display_name: Mapped[str | None] = mapped_column(String(NAME))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(64))
    startup_type: Mapped[str | None] = mapped_column(String(64))
    logon_as_user: Mapped[str | None] = mapped_column(String(NAME))
    can_interact_with_desktop: Mapped[str | None] = mapped_column(String(64))


class StartupProgram(_ExecutableFields, CatalogItem, Base):
    __tablename__ = "startup_programs"
    __table_args__ = (
        UniqueConstraint("organization_id", "identity_key"),
        Index("ix_startup_programs_org_name", "organization_id", "name"),
    )
    IDENTITY = ("name", "command_exe", "command_args")


class OperatingSystem(CatalogItem, Base):
    __tablename__ = "operating_systems"
    __table_args__ = (
        UniqueConstraint("organization_id", "identity_key"),
        Index("ix_operating_systems_org_name", "organization_id", "name"),
    )
    IDENTITY = ("name", "family", "arch", "build", "major_version", "minor_version", "minor2_version", "sp")

    name: Mapped[str] = mapped_column(String(NAME), nullable=False)
    common_name: Mapped[str | None] = mapped_column(String(NAME))
    description: Mapped[str | None] = mapped_column(Text)
    family: Mapped[str | None] = mapped_column(String(NAME))
    arch: Mapped[str | None] = mapped_column(String(64))
    build: Mapped[str | None] = mapped_column(String(NAME))
    major_version: Mapped[int | None] = mapped_column(Integer)
    minor_version: Mapped[int | None] = mapped_column(Integer)
    minor2_version: Mapped[int | None] = mapped_column(Integer)
    sp: Mapped[int | None] = mapped_column(Integer)
    managed: Mapped[int | None] = mapped_column(Integer)
    os_family_id: Mapped[int | None] = mapped_column(Integer)
    os_product_id: Mapped[int | None] = mapped_column(Integer)
    patch_package_code: Mapped[str | None] = mapped_column(String(NAME))


def _link_table_args(table: str, item_column: str) -> tuple[object, ...]:
    return (
        UniqueConstraint("machine_id", item_column, name=f"uq_{table}_machine_item"),
        Index(f"ix_{table}_item_machine", item_column, "machine_id"),
    )


class MachineSoftware(OrgScoped, Base):
    __tablename__ = "machine_software"
    __table_args__ = _link_table_args("machine_software", "software_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = _machine_fk()
    software_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("software.id", ondelete="CASCADE"), nullable=False
    )


class MachineProcess(OrgScoped, Base):
    __tablename__ = "machine_processes"
    __table_args__ = _link_table_args("machine_processes", "process_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = _machine_fk()
    process_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("processes.id", ondelete="CASCADE"), nullable=False
    )


class MachineService(OrgScoped, Base):
    __tablename__ = "machine_services"
    __table_args__ = _link_table_args("machine_services", "service_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = _machine_fk()
    service_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("services.id", ondelete="CASCADE"), nullable=False
    )


class MachineStartupProgram(OrgScoped, Base):
    __tablename__ = "machine_startup_programs"
    __table_args__ = _link_table_args("machine_startup_programs", "startup_program_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = _machine_fk()
    startup_program_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("startup_programs.id", ondelete="CASCADE"), nullable=False
    )


class MachineOperatingSystem(OrgScoped, Base):
    __tablename__ = "machine_operating_systems"
    __table_args__ = _link_table_args("machine_operating_systems", "operating_system_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = _machine_fk()
    operating_system_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("operating_systems.id", ondelete="CASCADE"), nullable=False
    )


class MachineNic(OrgScoped, Base):
    __tablename__ = "machine_nics"
    __table_args__ = (
        Index("ix_machine_nics_org_ip", "organization_id", "ip"),
        Index("ix_machine_nics_org_mac", "organization_id", "mac"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = _machine_fk(index=True)
    nic_id: Mapped[int | None] = mapped_column(Integer)
    nic: Mapped[str | None] = mapped_column(String(NAME))
    ip: Mapped[str | None] = mapped_column(String(NAME))
    ipv6_config: Mapped[str | None] = mapped_column(Text)
    mac: Mapped[str | None] = mapped_column(String(NAME))
    netmask: Mapped[str | None] = mapped_column(String(NAME))
    dhcp_enabled: Mapped[str | None] = mapped_column(String(64))
    dnsdomain: Mapped[str | None] = mapped_column(String(NAME))
    dnshostname: Mapped[str | None] = mapped_column(String(NAME))


class MachineDisk(OrgScoped, Base):
    __tablename__ = "machine_disks"
    __table_args__ = (
        Index("ix_machine_disks_org_name", "organization_id", "name"),
        # Machines with a disk fuller than a share (the console's dashboard).
        Index("ix_machine_disks_org_percent_used", "organization_id", "percent_used", "machine_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = _machine_fk(index=True)
    name: Mapped[str | None] = mapped_column(String(NAME))
    filesystem: Mapped[str | None] = mapped_column(String(64))
    # Sizes in gigabytes, as agents report them.
    disk_size: Mapped[float | None] = mapped_column(Float)
    disk_used: Mapped[float | None] = mapped_column(Float)
    disk_free: Mapped[float | None] = mapped_column(Float)
    percent_used: Mapped[float | None] = mapped_column(Float)


class MachineLocation(OrgScoped, Base):
    __tablename__ = "machine_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("machines.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    machine_location_id: Mapped[int | None] = mapped_column(Integer)
    street_address: Mapped[str | None] = mapped_column(Text)
    locality: Mapped[str | None] = mapped_column(String(NAME))
    region: Mapped[str | None] = mapped_column(String(NAME))
    postal_code: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(NAME))
    country_code: Mapped[str | None] = mapped_column(String(16))


class Label(OrgScoped, Base):
    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), nullable=False)
    type: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    app_ctrl_enabled: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    meter_enabled: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    kace_alt_location: Mapped[str | None] = mapped_column(Text)
    kace_alt_location_user: Mapped[str | None] = mapped_column(String(NAME))
    kace_alt_location_password_enc: Mapped[str | None] = mapped_column(Text)
    scope_user_role_id: Mapped[int | None] = mapped_column(Integer)
    usage_all: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    usage_catalog: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    usage_dell: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    usage_label: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    usage_machine: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    usage_node: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    usage_patch: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    usage_process: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    usage_software: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    usage_user: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class MachineLabel(OrgScoped, Base):
    __tablename__ = "machine_labels"
    __table_args__ = _link_table_args("machine_labels", "label_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = _machine_fk()
    label_id: Mapped[int] = mapped_column(Integer, ForeignKey("labels.id", ondelete="CASCADE"), nullable=False)


# Text equality in KACE filters ignores case (decision 0251): the lookups clients make most often
# compare lower(...) and find it in these expression indexes.
CASE_INSENSITIVE_LOOKUPS = (
    Index("ix_machines_org_name_ci", Machine.organization_id, func.lower(Machine.name)),
    Index("ix_software_org_display_name_ci", Software.organization_id, func.lower(Software.display_name)),
    Index("ix_processes_org_name_ci", Process.organization_id, func.lower(Process.name)),
    Index("ix_services_org_name_ci", Service.organization_id, func.lower(Service.name)),
    Index("ix_services_org_display_name_ci", Service.organization_id, func.lower(Service.display_name)),
    Index("ix_startup_programs_org_name_ci", StartupProgram.organization_id, func.lower(StartupProgram.name)),
    Index("ix_operating_systems_org_name_ci", OperatingSystem.organization_id, func.lower(OperatingSystem.name)),
)
