"""servicedesk: a trigram index behind the ticket wildcard (`* co ...`)

SQLite: an FTS5 table with the trigram tokenizer over the ticket's own text columns (external
content: it stores no copy of the text), kept current by triggers in the writing transaction.
PostgreSQL: pg_trgm GIN indexes on the same columns, which PostgreSQL keeps current itself.
See docs/decisions/0410.

Revision ID: 0010_ticket_search
Revises: 0006_case_insensitive_lookups
"""

from alembic import op

revision = "0010_ticket_search"
down_revision = "0006_case_insensitive_lookups"
branch_labels = None
depends_on = None

# The ticket fields the wildcard searches (estate.servicedesk.entities declares them wildcard).
COLUMNS = ("title", "summary", "cc_list", "resolution")

INDEX = (
    "CREATE VIRTUAL TABLE hd_ticket_search USING fts5(title, summary, cc_list, resolution,"
    " content='hd_tickets', content_rowid='id', tokenize='trigram')"
)
# External content: the index is told the old text to remove, as the FTS5 manual prescribes.
TRIGGERS = (
    "CREATE TRIGGER hd_ticket_search_insert AFTER INSERT ON hd_tickets BEGIN"
    " INSERT INTO hd_ticket_search (rowid, title, summary, cc_list, resolution)"
    " VALUES (new.id, new.title, new.summary, new.cc_list, new.resolution); END",
    "CREATE TRIGGER hd_ticket_search_delete AFTER DELETE ON hd_tickets BEGIN"
    " INSERT INTO hd_ticket_search (hd_ticket_search, rowid, title, summary, cc_list, resolution)"
    " VALUES ('delete', old.id, old.title, old.summary, old.cc_list, old.resolution); END",
    "CREATE TRIGGER hd_ticket_search_update AFTER UPDATE OF title, summary, cc_list, resolution ON hd_tickets BEGIN"
    " INSERT INTO hd_ticket_search (hd_ticket_search, rowid, title, summary, cc_list, resolution)"
    " VALUES ('delete', old.id, old.title, old.summary, old.cc_list, old.resolution);"
    " INSERT INTO hd_ticket_search (rowid, title, summary, cc_list, resolution)"
    " VALUES (new.id, new.title, new.summary, new.cc_list, new.resolution); END",
)


def _sqlite_upgrade() -> None:
    op.execute(INDEX)
    for trigger in TRIGGERS:
        op.execute(trigger)
    # Fills the index with the tickets that exist already.
    op.execute("INSERT INTO hd_ticket_search (hd_ticket_search) VALUES ('rebuild')")


def _postgresql_upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        op.execute(f"CREATE INDEX ix_hd_tickets_{column}_trgm ON hd_tickets USING gin ({column} gin_trgm_ops)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgresql_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS hd_ticket_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS hd_ticket_search")
        return
    for column in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_hd_tickets_{column}_trgm")
