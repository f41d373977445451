"""Joins the branches of the device lifecycle, inventory in the CMDB, locations as objects, the
ticket search index and custom CMDB states into one head.

Revision ID: 0011_one_head
Revises: 0007_device_lifecycle, 0008_inventory_in_cmdb, 0009_locations_are_objects, 0010_ticket_search,
    0310_cmdb_states_search_words
"""

revision = "0011_one_head"
down_revision = (
    "0007_device_lifecycle",
    "0008_inventory_in_cmdb",
    "0009_locations_are_objects",
    "0010_ticket_search",
    "0310_cmdb_states_search_words",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
