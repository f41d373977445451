"""The CMDB object store: objects, their category entries, dialog lists, the logbook, reports and
the i-doit RPC login sessions. The full-text search index is created by the migration per
dialect (SQLite FTS5 / PostgreSQL tsvector) and maintained by estate.cmdb.search."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from estate.db.base import Base, OrgScoped, UTCDateTime, utcnow


class CmdbObject(OrgScoped, Base):
    """One configuration item. The KACE face's assets are meant to be these same rows: an asset
    is an object whose type maps to an asset type (see docs/decisions/0301)."""

    __tablename__ = "cmdb_objects"
    __table_args__ = (
        Index("ix_cmdb_objects_org_type_status", "organization_id", "type_const", "status"),
        # Pages of one type in id order (cmdb.objects.read with a type filter) walk this index.
        Index("ix_cmdb_objects_org_type_id", "organization_id", "type_const", "id"),
        Index("ix_cmdb_objects_org_cmdb_status", "organization_id", "cmdb_status"),
        Index("ix_cmdb_objects_org_title", "organization_id", "title"),
        Index("ix_cmdb_objects_org_sysid", "organization_id", "sysid"),
        Index("ix_cmdb_objects_org_updated", "organization_id", "updated"),
    )

    # One id sequence for every object of every organization, as i-doit's isys_obj__id.
    id: Mapped[int] = mapped_column(primary_key=True)
    type_const: Mapped[str] = mapped_column(String(100), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    sysid: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[int] = mapped_column(Integer, nullable=False, default=2)
    cmdb_status: Mapped[int] = mapped_column(Integer, nullable=False, default=6)
    # Constant of a catalog static object (C__OBJ__ROOT_LOCATION ...), else null.
    const: Mapped[str | None] = mapped_column(String(100))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    updated: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(255))


class CategoryEntry(OrgScoped, Base):
    """One entry of a category of an object; its attribute values are one JSON document."""

    __tablename__ = "cmdb_category_entries"
    __table_args__ = (
        Index("ix_cmdb_category_entries_object_category", "object_id", "category_const", "status"),
        Index("ix_cmdb_category_entries_org_category", "organization_id", "category_const"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    object_id: Mapped[int] = mapped_column(Integer, ForeignKey("cmdb_objects.id", ondelete="CASCADE"), nullable=False)
    category_const: Mapped[str] = mapped_column(String(100), nullable=False)
    status: Mapped[int] = mapped_column(Integer, nullable=False, default=2)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Relation(OrgScoped, Base):
    """A relation as i-doit models it: a relation object (C__OBJTYPE__RELATION) whose
    C__CATG__RELATION entry names its master and slave; this row is that entry's index, by which
    relations are found from either side and followed (impact). ``source_entry_id`` is the category
    entry that relates the two objects (a location, a contact assignment ...), absent for a
    relation saved by hand; the relation lives and dies with it (docs/decisions/0322)."""

    __tablename__ = "cmdb_relations"
    __table_args__ = (
        Index("ix_cmdb_relations_org_master", "organization_id", "master_id", "relation_type"),
        Index("ix_cmdb_relations_org_slave", "organization_id", "slave_id", "relation_type"),
    )

    # The relation object.
    object_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cmdb_objects.id", ondelete="CASCADE"), primary_key=True
    )
    entry_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cmdb_category_entries.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    master_id: Mapped[int] = mapped_column(Integer, ForeignKey("cmdb_objects.id", ondelete="CASCADE"), nullable=False)
    slave_id: Mapped[int] = mapped_column(Integer, ForeignKey("cmdb_objects.id", ondelete="CASCADE"), nullable=False)
    # i-doit's ids of the relation type and the weighting (catalog data, the same in every organization).
    relation_type: Mapped[int] = mapped_column(Integer, nullable=False)
    weighting: Mapped[int] = mapped_column(Integer, nullable=False)
    source_entry_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The record state, the relation object's: it follows its source entry's.
    status: Mapped[int] = mapped_column(Integer, nullable=False, default=2)


class ObjectTypeRow(OrgScoped, Base):
    """An object type of one organization (cmdb.object-type.create.v2), or its own changes to one
    of the catalog's (title, group, sort ...: a row with the catalog type's number and constant)."""

    __tablename__ = "cmdb_object_types"
    __table_args__ = (
        UniqueConstraint("organization_id", "number", name="uq_cmdb_object_types_org_number"),
        UniqueConstraint("organization_id", "const", name="uq_cmdb_object_types_org_const"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)  # the type's id as clients see it
    const: Mapped[str] = mapped_column(String(100), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    group_number: Mapped[int] = mapped_column(Integer, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    specific_category: Mapped[str | None] = mapped_column(String(100))
    container: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    positionable_in_rack: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    visible: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    relation_master: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    overview_page: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    sort: Mapped[int] = mapped_column(Integer, nullable=False, default=65535)
    color: Mapped[str] = mapped_column(String(7), nullable=False, default="#ffffff")
    default_template: Mapped[str | None] = mapped_column(String(100))
    sysid_prefix: Mapped[str | None] = mapped_column(String(20))


class ObjectTypeGroupRow(OrgScoped, Base):
    """An object type group of one organization, or its own changes to one of the catalog's."""

    __tablename__ = "cmdb_object_type_groups"
    __table_args__ = (
        UniqueConstraint("organization_id", "number", name="uq_cmdb_object_type_groups_org_number"),
        UniqueConstraint("organization_id", "const", name="uq_cmdb_object_type_groups_org_const"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    const: Mapped[str] = mapped_column(String(100), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    sort: Mapped[int] = mapped_column(Integer, nullable=False, default=65535)
    visible: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class ExternalId(OrgScoped, Base):
    """An external identifier (cmdb.external.*.v2): a data source's own id of an object
    (``ext_type`` the source, ``ext_id`` the object) or of one of its category entries
    (``ext_type`` "<source>/<object id>/<category>", ``ext_id`` the entry's)."""

    __tablename__ = "cmdb_external_ids"
    __table_args__ = (UniqueConstraint("organization_id", "ext_type", "ext_id", name="uq_cmdb_external_ids_org_ext"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ext_type: Mapped[str] = mapped_column(String(255), nullable=False)
    ext_id: Mapped[str] = mapped_column(String(255), nullable=False)
    object_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("cmdb_objects.id", ondelete="CASCADE"), nullable=False, index=True
    )
    entry_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("cmdb_category_entries.id", ondelete="CASCADE"), index=True
    )


class CmdbState(OrgScoped, Base):
    """A CMDB status of one organization made with cmdb.status.save: a new state (number 15 and up)
    or the title and colour of an editable built-in state (numbers 1-14 come from the catalog)."""

    __tablename__ = "cmdb_states"
    __table_args__ = (
        UniqueConstraint("organization_id", "number", name="uq_cmdb_states_org_number"),
        UniqueConstraint("organization_id", "const", name="uq_cmdb_states_org_const"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The id clients see (objects' cmdb_status); per organization, as each i-doit tenant counts its own.
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    const: Mapped[str] = mapped_column(String(100), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    color: Mapped[str] = mapped_column(String(6), nullable=False)


class DialogEntry(OrgScoped, Base):
    """A value of a dialog list (manufacturers, models, contact roles ...), per organization."""

    __tablename__ = "cmdb_dialog_entries"
    __table_args__ = (
        Index("ix_cmdb_dialog_entries_org_dialog_title", "organization_id", "dialog", "title"),
        Index("ix_cmdb_dialog_entries_org_dialog_number", "organization_id", "dialog", "number", unique=True),
    )

    # The row's own key: what category entries store. Clients see ``number``.
    id: Mapped[int] = mapped_column(primary_key=True)
    dialog: Mapped[str] = mapped_column(String(100), nullable=False)
    # The entry's id as clients see it, counted per list as i-doit counts each of its dialog
    # tables: the rows i-doit ships keep its ids (net_type 1 is IPv4), new ones follow.
    number: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    const: Mapped[str | None] = mapped_column(String(100))
    # For dependent lists: the entry of the parent list (a model's manufacturer).
    parent_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("cmdb_dialog_entries.id", ondelete="CASCADE"), index=True
    )


class LogbookEntry(OrgScoped, Base):
    """Every write to the CMDB: who, when, which object and category, old → new."""

    __tablename__ = "cmdb_logbook"
    __table_args__ = (
        Index("ix_cmdb_logbook_org_object", "organization_id", "object_id"),
        Index("ix_cmdb_logbook_org_created", "organization_id", "created"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: the logbook outlives purged objects.
    object_id: Mapped[int | None] = mapped_column(Integer)
    object_title: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    object_status: Mapped[int] = mapped_column(Integer, nullable=False, default=2)
    category_const: Mapped[str | None] = mapped_column(String(100))
    entry_id: Mapped[int | None] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(100), nullable=False)
    username: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    account_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # Entries written through cmdb.logbook.create carry a message, description and comment.
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    source: Mapped[str] = mapped_column(String(100), nullable=False, default="C__LOGBOOK_SOURCE__INTERNAL")
    alert_level: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class RpcSession(OrgScoped, Base):
    """An ``idoit.login`` session (X-RPC-Auth-Session); only its SHA-256 is stored."""

    __tablename__ = "idoit_rpc_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    account_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)


# The tables themselves, for reads that want rows of a few columns rather than ORM objects.
OBJECTS = cast(Table, CmdbObject.__table__)
ENTRIES = cast(Table, CategoryEntry.__table__)
LOGBOOK = cast(Table, LogbookEntry.__table__)
DIALOGS = cast(Table, DialogEntry.__table__)
RELATIONS = cast(Table, Relation.__table__)
