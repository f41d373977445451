"""KACE locations are CMDB location objects: locations.object_id, and an object for every row.

Each existing location becomes a building object (title = name, state deleted for a deleted row)
with its global entry, search document, logbook line and a C__CATG__LOCATION entry naming its
parent's object, or the organization's Root location for a top-level one (docs/decisions/0530).

Revision ID: 0009_locations_are_objects
Revises: 0006_case_insensitive_lookups
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009_locations_are_objects"
down_revision = "0006_case_insensitive_lookups"
branch_labels = None
depends_on = None

BUILDING, BUILDING_PREFIX = "C__OBJTYPE__BUILDING", "BUIL_"
ROOT = ("C__OBJ__ROOT_LOCATION", "Root location", "C__OBJTYPE__LOCATION_GENERIC", "ROOT_LOCATION")
NORMAL, DELETED, IN_OPERATION = 2, 4, 6
SYSTEM = "system"

# The tables as this revision knows them, not as the models may later be.
meta = sa.MetaData()
locations = sa.Table(
    "locations",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("organization_id", sa.Integer),
    sa.Column("parent_id", sa.Integer),
    sa.Column("name", sa.String),
    sa.Column("level", sa.Integer),
    sa.Column("is_deleted", sa.Boolean),
    sa.Column("object_id", sa.Integer),
)
cmdb_objects = sa.Table(
    "cmdb_objects",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("organization_id", sa.Integer),
    sa.Column("type_const", sa.String),
    sa.Column("title", sa.String),
    sa.Column("sysid", sa.String),
    sa.Column("status", sa.Integer),
    sa.Column("cmdb_status", sa.Integer),
    sa.Column("const", sa.String),
    sa.Column("created", sa.DateTime),
    sa.Column("created_by", sa.String),
)
entries = sa.Table(
    "cmdb_category_entries",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("organization_id", sa.Integer),
    sa.Column("object_id", sa.Integer),
    sa.Column("category_const", sa.String),
    sa.Column("status", sa.Integer),
    sa.Column("values", sa.JSON),
    sa.Column("created", sa.DateTime),
)
logbook = sa.Table(
    "cmdb_logbook",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("organization_id", sa.Integer),
    sa.Column("object_id", sa.Integer),
    sa.Column("object_title", sa.String),
    sa.Column("object_status", sa.Integer),
    sa.Column("event", sa.String),
    sa.Column("username", sa.String),
    sa.Column("changes", sa.JSON),
    sa.Column("message", sa.Text),
    sa.Column("description", sa.Text),
    sa.Column("comment", sa.Text),
    sa.Column("source", sa.String),
    sa.Column("alert_level", sa.Integer),
    sa.Column("created", sa.DateTime),
)


def upgrade() -> None:
    _add_object_column()
    op.create_index("ix_locations_object_id", "locations", ["object_id"], unique=True)
    _create_objects(op.get_bind())


def _add_object_column() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # A plain ADD COLUMN: a batch copy of `locations` would drop the table it copies, and with
        # foreign keys on that drop sets every reference to a location (assets, users) to null.
        op.execute(
            "ALTER TABLE locations ADD COLUMN object_id INTEGER"
            " CONSTRAINT fk_locations_object_id_cmdb_objects REFERENCES cmdb_objects (id)"
        )
        return
    op.add_column("locations", sa.Column("object_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        "fk_locations_object_id_cmdb_objects", "locations", "cmdb_objects", ["object_id"], ["id"]
    )


def _create_objects(bind: sa.Connection) -> None:
    rows = bind.execute(
        sa.select(locations).order_by(locations.c.organization_id, locations.c.level, locations.c.id)
    ).all()
    now = datetime.now(UTC).replace(tzinfo=None)
    object_of: dict[int, int] = {}
    roots: dict[int, int] = {}
    for row in rows:
        if row.organization_id not in roots:
            roots[row.organization_id] = _root_location(bind, row.organization_id, now)
        status = DELETED if row.is_deleted else NORMAL
        title = ((row.name or "").strip() or f"Location {row.id}")[:255]
        object_id = _new_object(bind, row.organization_id, BUILDING, title, None, None, status, now)
        parent = object_of.get(row.parent_id) if row.parent_id else None
        _add_entry(bind, row.organization_id, object_id, "C__CATG__LOCATION",
                   {"parent": parent or roots[row.organization_id]}, now)
        bind.execute(sa.update(locations).where(locations.c.id == row.id).values(object_id=object_id))
        object_of[row.id] = object_id


def _root_location(bind: sa.Connection, organization_id: int, now: datetime) -> int:
    """The organization's Root location, made as the CMDB seed makes it where it is missing."""
    const, title, type_const, sysid = ROOT
    found = bind.scalar(
        sa.select(cmdb_objects.c.id).where(
            cmdb_objects.c.organization_id == organization_id, cmdb_objects.c.const == const
        )
    )
    return found if found is not None else _new_object(bind, organization_id, type_const, title, sysid, const,
                                                       NORMAL, now)


def _new_object(
    bind: sa.Connection, organization_id: int, type_const: str, title: str, sysid: str | None, const: str | None,
    status: int, now: datetime,
) -> int:
    object_id = bind.execute(
        sa.insert(cmdb_objects).values(
            organization_id=organization_id, type_const=type_const, title=title, sysid=sysid or "",
            status=status, cmdb_status=IN_OPERATION, const=const, created=now, created_by=SYSTEM,
        ).returning(cmdb_objects.c.id)
    ).scalar_one()
    sysid = sysid or f"{BUILDING_PREFIX}{object_id:06d}"
    bind.execute(sa.update(cmdb_objects).where(cmdb_objects.c.id == object_id).values(sysid=sysid))
    entry_id = _add_entry(bind, organization_id, object_id, "C__CATG__GLOBAL", {}, now)
    _index(bind, organization_id, entry_id, f"{title} {sysid}")
    bind.execute(
        sa.insert(logbook).values(
            organization_id=organization_id, object_id=object_id, object_title=title, object_status=status,
            event="C__LOGBOOK_EVENT__OBJECT_CREATED", username=SYSTEM,
            changes={"title": {"from": None, "to": title}}, message="", description="", comment="",
            source="C__LOGBOOK_SOURCE__INTERNAL", alert_level=1, created=now,
        )
    )
    return object_id


def _add_entry(
    bind: sa.Connection, organization_id: int, object_id: int, category: str, values: dict, now: datetime
) -> int:
    return bind.execute(
        sa.insert(entries).values(
            organization_id=organization_id, object_id=object_id, category_const=category, status=NORMAL,
            values=values, created=now,
        ).returning(entries.c.id)
    ).scalar_one()


def _index(bind: sa.Connection, organization_id: int, entry_id: int, body: str) -> None:
    """The search document of a global entry, as estate.cmdb.search writes it per dialect."""
    if bind.dialect.name == "sqlite":
        statement = "INSERT INTO cmdb_search (rowid, org, body) VALUES (:id, :org, :body)"
        org: object = f"o{organization_id}"
    else:
        statement = "INSERT INTO cmdb_search (entry_id, organization_id, body) VALUES (:id, :org, :body)"
        org = organization_id
    bind.execute(sa.text(statement), {"id": entry_id, "org": org, "body": body})


def downgrade() -> None:
    # The objects stay: they are buildings of the CMDB now, as any object made over i-doit.
    op.drop_index("ix_locations_object_id", table_name="locations")
    with op.batch_alter_table("locations") as batch_op:
        batch_op.drop_constraint("fk_locations_object_id_cmdb_objects", type_="foreignkey")
        batch_op.drop_column("object_id")
