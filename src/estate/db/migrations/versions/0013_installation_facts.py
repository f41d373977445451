"""installation facts: the first start decides on its own row, not on "some organization exists"

A database that already has organizations was set up by an earlier first start: it gets the fact.

Revision ID: 0013_installation_facts
Revises: 0012_ticket_search_probe
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_installation_facts"
down_revision = "0012_ticket_search_probe"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "installation_facts",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_installation_facts")),
    )
    op.execute(
        "INSERT INTO installation_facts (key, value) SELECT 'initial_data', 'done' "
        "WHERE EXISTS (SELECT 1 FROM organizations)"
    )


def downgrade() -> None:
    op.drop_table("installation_facts")
