"""Custom CMDB states (cmdb.status.save / .delete); indexes for pages of one object type in id
order and for objects by CMDB status; on PostgreSQL the search document splits words at punctuation as SQLite's FTS5 does, so a
hyphenated serial or host name ("XK-4242", "web-01") is found by its words and their prefixes.

Revision ID: 0310_cmdb_states_search_words
Revises: 0006_case_insensitive_lookups
"""

import sqlalchemy as sa
from alembic import op

revision = "0310_cmdb_states_search_words"
down_revision = "0006_case_insensitive_lookups"
branch_labels = None
depends_on = None

# PostgreSQL's parser keeps "XK-4242" as "xk" and the number "-4242", and a host name or a URL as
# one token; punctuation turned into blanks first leaves the words estate.cmdb.search queries.
WORDS_DOCUMENT = "to_tsvector('simple', regexp_replace(body, '[[:punct:]]+', ' ', 'g'))"
PLAIN_DOCUMENT = "to_tsvector('simple', body)"


def _search_document(expression: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE cmdb_search DROP COLUMN document")
    op.execute(f"ALTER TABLE cmdb_search ADD COLUMN document tsvector GENERATED ALWAYS AS ({expression}) STORED")
    op.execute("CREATE INDEX ix_cmdb_search_document ON cmdb_search USING GIN (document)")


def upgrade() -> None:
    op.create_table(
        "cmdb_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("const", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("color", sa.String(length=6), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_cmdb_states_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmdb_states")),
        sa.UniqueConstraint("organization_id", "const", name="uq_cmdb_states_org_const"),
        sa.UniqueConstraint("organization_id", "number", name="uq_cmdb_states_org_number"),
    )
    op.create_index(op.f("ix_cmdb_states_organization_id"), "cmdb_states", ["organization_id"], unique=False)
    op.create_index("ix_cmdb_objects_org_type_id", "cmdb_objects", ["organization_id", "type_const", "id"])
    op.create_index("ix_cmdb_objects_org_cmdb_status", "cmdb_objects", ["organization_id", "cmdb_status"])
    _search_document(WORDS_DOCUMENT)


def downgrade() -> None:
    _search_document(PLAIN_DOCUMENT)
    op.drop_index("ix_cmdb_objects_org_cmdb_status", table_name="cmdb_objects")
    op.drop_index("ix_cmdb_objects_org_type_id", table_name="cmdb_objects")
    op.drop_index(op.f("ix_cmdb_states_organization_id"), table_name="cmdb_states")
    op.drop_table("cmdb_states")
