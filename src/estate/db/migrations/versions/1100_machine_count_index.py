"""inventory: the index of the machines in inventory also holds their name

A list counts the machines in inventory (`archived` false) of an organization whose name meets
the filter. Neither (organization_id, name) nor (organization_id, archived, id) holds both
`archived` and the name, so the database read every ~100-column row instead (SQLite: a scan of the
table). (organization_id, archived, id, name) still walks the machines in id order for pages, and
a count reads it alone (decision 1100). One index, not a second one: a second index the planner
found as good for the page walked the machines by name and sorted them.

Revision ID: 1100_machine_count_index
Revises: 0800_reporting
"""

from alembic import op

revision = "1100_machine_count_index"
down_revision = "0800_reporting"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_machines_org_archived_id_name", "machines", ["organization_id", "archived", "id", "name"])
    op.drop_index("ix_machines_org_archived", table_name="machines")


def downgrade() -> None:
    op.create_index("ix_machines_org_archived", "machines", ["organization_id", "archived", "id"])
    op.drop_index("ix_machines_org_archived_id_name", table_name="machines")
