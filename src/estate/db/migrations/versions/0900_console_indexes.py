"""Indexes the console's dashboard counts and charts read alone: machines in inventory by
operating system and by last inventory (the organization and the archived flag first, as every
read of the inventory filters them), and disks by how full they are.

Revision ID: 0900_console_indexes
Revises: 0013_installation_facts
"""

from alembic import op

revision = "0900_console_indexes"
down_revision = "0013_installation_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_machines_org_archived_os_name", "machines", ["organization_id", "archived", "os_name"])
    op.create_index("ix_machines_org_archived_last_inventory", "machines",
                    ["organization_id", "archived", "last_inventory"])
    op.create_index("ix_machine_disks_org_percent_used", "machine_disks",
                    ["organization_id", "percent_used", "machine_id"])


def downgrade() -> None:
    op.drop_index("ix_machine_disks_org_percent_used", table_name="machine_disks")
    op.drop_index("ix_machines_org_archived_last_inventory", table_name="machines")
    op.drop_index("ix_machines_org_archived_os_name", table_name="machines")
