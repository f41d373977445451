"""Indexes the console's dashboard counts and charts read alone: machines by operating system and
by last inventory now carry the archived flag every read of the inventory tests (the indexes of
the same names on (organization_id, os_name) and (organization_id, last_inventory) are extended by
it), and disks by how full they are.

The archived flag comes last: an index starting (organization_id, archived) would compete with
ix_machines_org_archived for the plain list, whose id order only that one gives.

Revision ID: 0900_console_indexes
Revises: 0600_scripting
"""

from alembic import op

revision = "0900_console_indexes"
down_revision = "0600_scripting"
branch_labels = None
depends_on = None

EXTENDED = {"ix_machines_org_os_name": "os_name", "ix_machines_org_last_inventory": "last_inventory"}


def upgrade() -> None:
    for name, column in EXTENDED.items():
        op.drop_index(name, table_name="machines")
        op.create_index(name, "machines", ["organization_id", column, "archived"])
    op.create_index("ix_machine_disks_org_percent_used", "machine_disks",
                    ["organization_id", "percent_used", "machine_id"])


def downgrade() -> None:
    op.drop_index("ix_machine_disks_org_percent_used", table_name="machine_disks")
    for name, column in EXTENDED.items():
        op.drop_index(name, table_name="machines")
        op.create_index(name, "machines", ["organization_id", column])
