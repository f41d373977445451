"""device lifecycle: machines.archived and the foreign key asset_links.mapped_id → machines.id

Revision ID: 0007_device_lifecycle
Revises: 0006_case_insensitive_lookups
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_device_lifecycle"
down_revision = "0006_case_insensitive_lookups"
branch_labels = None
depends_on = None

MAPPED_FK = "fk_asset_links_mapped_id_machines"


def upgrade() -> None:
    # Not in batch mode: SQLite adds the column in place, where a rebuilt table would lose its
    # expression indexes and, with foreign keys on, cascade the drop into every machine's rows.
    op.add_column("machines", sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index("ix_machines_org_archived", "machines", ["organization_id", "archived", "id"], unique=False)
    # A machine removed before the key existed left its id behind; the key would refuse it.
    op.execute(
        "UPDATE asset_links SET mapped_id = NULL WHERE mapped_id IS NOT NULL "
        "AND mapped_id NOT IN (SELECT id FROM machines)"
    )
    # SQLite cannot add a foreign key to a table: batch mode rebuilds it there.
    with op.batch_alter_table("asset_links", schema=None) as batch_op:
        batch_op.create_foreign_key(MAPPED_FK, "machines", ["mapped_id"], ["id"], ondelete="SET NULL")
        # Deleting a machine finds its asset link by mapped_id alone.
        batch_op.create_index("ix_asset_links_mapped_id", ["mapped_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("asset_links", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_links_mapped_id")
        batch_op.drop_constraint(MAPPED_FK, type_="foreignkey")
    op.drop_index("ix_machines_org_archived", table_name="machines")
    # SQLite (3.35+) drops a column in place; the column is in no index or key by now.
    op.drop_column("machines", "archived")
