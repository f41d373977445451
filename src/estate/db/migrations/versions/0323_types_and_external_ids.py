"""Object types and groups of an organization (cmdb.object-type[-group].*.v2) and external
identifiers (cmdb.external.*.v2) (docs/decisions/0324, 0325).

Revision ID: 0323_types_and_external_ids
Revises: 0322_relations
"""

import sqlalchemy as sa
from alembic import op

revision = "0323_types_and_external_ids"
down_revision = "0322_relations"
branch_labels = None
depends_on = None


def _organization(table: str) -> list:
    return [
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f(f"fk_{table}_organization_id_organizations"), ondelete="CASCADE"),
    ]


def upgrade() -> None:
    op.create_table(
        "cmdb_object_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("const", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("group_number", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("specific_category", sa.String(length=100), nullable=True),
        sa.Column("container", sa.Boolean(), nullable=False),
        sa.Column("positionable_in_rack", sa.Boolean(), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.Column("relation_master", sa.Boolean(), nullable=False),
        sa.Column("overview_page", sa.Boolean(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.Column("default_template", sa.String(length=100), nullable=True),
        sa.Column("sysid_prefix", sa.String(length=20), nullable=True),
        *_organization("cmdb_object_types"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmdb_object_types")),
        sa.UniqueConstraint("organization_id", "const", name="uq_cmdb_object_types_org_const"),
        sa.UniqueConstraint("organization_id", "number", name="uq_cmdb_object_types_org_number"),
    )
    op.create_index(op.f("ix_cmdb_object_types_organization_id"), "cmdb_object_types", ["organization_id"])
    op.create_table(
        "cmdb_object_type_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("const", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        *_organization("cmdb_object_type_groups"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmdb_object_type_groups")),
        sa.UniqueConstraint("organization_id", "const", name="uq_cmdb_object_type_groups_org_const"),
        sa.UniqueConstraint("organization_id", "number", name="uq_cmdb_object_type_groups_org_number"),
    )
    op.create_index(op.f("ix_cmdb_object_type_groups_organization_id"), "cmdb_object_type_groups",
                    ["organization_id"])
    op.create_table(
        "cmdb_external_ids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ext_type", sa.String(length=255), nullable=False),
        sa.Column("ext_id", sa.String(length=255), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        *_organization("cmdb_external_ids"),
        sa.ForeignKeyConstraint(["entry_id"], ["cmdb_category_entries.id"],
                                name=op.f("fk_cmdb_external_ids_entry_id_cmdb_category_entries"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["object_id"], ["cmdb_objects.id"],
                                name=op.f("fk_cmdb_external_ids_object_id_cmdb_objects"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmdb_external_ids")),
        sa.UniqueConstraint("organization_id", "ext_type", "ext_id", name="uq_cmdb_external_ids_org_ext"),
    )
    op.create_index(op.f("ix_cmdb_external_ids_entry_id"), "cmdb_external_ids", ["entry_id"])
    op.create_index(op.f("ix_cmdb_external_ids_object_id"), "cmdb_external_ids", ["object_id"])
    op.create_index(op.f("ix_cmdb_external_ids_organization_id"), "cmdb_external_ids", ["organization_id"])


def downgrade() -> None:
    op.drop_table("cmdb_external_ids")
    op.drop_table("cmdb_object_type_groups")
    op.drop_table("cmdb_object_types")
