"""Joins the domain branches; lower(...) expression indexes for case-insensitive text equality.

Revision ID: 0006_case_insensitive_lookups
Revises: 0002_inventory, 0004_servicedesk, 0005_assets (0003_cmdb through 0005)
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_case_insensitive_lookups"
down_revision = ("0002_inventory", "0004_servicedesk", "0005_assets")
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_machines_org_name_ci", "machines", "name"),
    ("ix_software_org_display_name_ci", "software", "display_name"),
    ("ix_processes_org_name_ci", "processes", "name"),
    ("ix_services_org_name_ci", "services", "name"),
    ("ix_services_org_display_name_ci", "services", "display_name"),
    ("ix_startup_programs_org_name_ci", "startup_programs", "name"),
    ("ix_operating_systems_org_name_ci", "operating_systems", "name"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, ["organization_id", sa.text(f"lower({column})")])


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table_name=table)
