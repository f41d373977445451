"""Relations as i-doit models them: cmdb_relations indexes the C__CATG__RELATION entries of
relation objects by master and slave (docs/decisions/0322).

Revision ID: 0322_relations
Revises: 0321_every_object_an_asset
"""

import sqlalchemy as sa
from alembic import op

revision = "0322_relations"
down_revision = "0321_every_object_an_asset"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cmdb_relations",
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("master_id", sa.Integer(), nullable=False),
        sa.Column("slave_id", sa.Integer(), nullable=False),
        sa.Column("relation_type", sa.Integer(), nullable=False),
        sa.Column("weighting", sa.Integer(), nullable=False),
        sa.Column("source_entry_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["cmdb_category_entries.id"],
                                name=op.f("fk_cmdb_relations_entry_id_cmdb_category_entries"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["master_id"], ["cmdb_objects.id"],
                                name=op.f("fk_cmdb_relations_master_id_cmdb_objects"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["object_id"], ["cmdb_objects.id"],
                                name=op.f("fk_cmdb_relations_object_id_cmdb_objects"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_cmdb_relations_organization_id_organizations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["slave_id"], ["cmdb_objects.id"],
                                name=op.f("fk_cmdb_relations_slave_id_cmdb_objects"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("object_id", name=op.f("pk_cmdb_relations")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_cmdb_relations_entry_id")),
    )
    op.create_index("ix_cmdb_relations_org_master", "cmdb_relations", ["organization_id", "master_id", "relation_type"])
    op.create_index("ix_cmdb_relations_org_slave", "cmdb_relations", ["organization_id", "slave_id", "relation_type"])
    op.create_index(op.f("ix_cmdb_relations_organization_id"), "cmdb_relations", ["organization_id"])
    op.create_index(op.f("ix_cmdb_relations_source_entry_id"), "cmdb_relations", ["source_entry_id"])


def downgrade() -> None:
    op.drop_table("cmdb_relations")
