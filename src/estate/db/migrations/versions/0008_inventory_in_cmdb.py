"""The software titles' full-text index, so that idoit.search finds machines by what is installed.

Revision ID: 0008_inventory_in_cmdb
Revises: 0006_case_insensitive_lookups

One document per software catalog row (its title and version), kept by triggers on ``software``
so that every path that writes the catalog (ingest, the catalog POSTs, a bulk load) keeps it true:
an SQLite FTS5 table (rowid = software id, ``org`` = o<organization id>) or, on PostgreSQL, a
table with a tsvector column under a GIN index. See docs/decisions/0521.
"""

from alembic import op

revision = "0008_inventory_in_cmdb"
down_revision = "0006_case_insensitive_lookups"
branch_labels = None
depends_on = None

SQLITE = (
    "CREATE VIRTUAL TABLE cmdb_search_software USING fts5(org, body, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER cmdb_search_software_insert AFTER INSERT ON software BEGIN"
    " INSERT INTO cmdb_search_software (rowid, org, body)"
    " VALUES (new.id, 'o' || new.organization_id, new.display_name || ' ' || coalesce(new.display_version, ''));"
    " END",
    "CREATE TRIGGER cmdb_search_software_update AFTER UPDATE OF display_name, display_version ON software BEGIN"
    " DELETE FROM cmdb_search_software WHERE rowid = old.id;"
    " INSERT INTO cmdb_search_software (rowid, org, body)"
    " VALUES (new.id, 'o' || new.organization_id, new.display_name || ' ' || coalesce(new.display_version, ''));"
    " END",
    "CREATE TRIGGER cmdb_search_software_delete AFTER DELETE ON software BEGIN"
    " DELETE FROM cmdb_search_software WHERE rowid = old.id;"
    " END",
    "INSERT INTO cmdb_search_software (rowid, org, body)"
    " SELECT id, 'o' || organization_id, display_name || ' ' || coalesce(display_version, '') FROM software",
)

POSTGRESQL = (
    "CREATE TABLE cmdb_search_software ("
    " software_id INTEGER PRIMARY KEY REFERENCES software(id) ON DELETE CASCADE,"
    " organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,"
    " body TEXT NOT NULL,"
    # Punctuation becomes blanks, so that "7.1" or "Notepad++" is found by its words, as FTS5 splits them.
    " document tsvector GENERATED ALWAYS AS (to_tsvector('simple', regexp_replace(body, '[[:punct:]]+', ' ', 'g')))"
    " STORED)",
    "CREATE INDEX ix_cmdb_search_software_document ON cmdb_search_software USING GIN (document)",
    "CREATE INDEX ix_cmdb_search_software_organization_id ON cmdb_search_software (organization_id)",
    "CREATE FUNCTION cmdb_search_software_write() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN"
    " INSERT INTO cmdb_search_software (software_id, organization_id, body)"
    " VALUES (NEW.id, NEW.organization_id, concat_ws(' ', NEW.display_name, NEW.display_version))"
    " ON CONFLICT (software_id) DO UPDATE SET body = EXCLUDED.body;"
    " RETURN NULL;"
    " END $$",
    "CREATE TRIGGER cmdb_search_software_write AFTER INSERT OR UPDATE OF display_name, display_version"
    " ON software FOR EACH ROW EXECUTE FUNCTION cmdb_search_software_write()",
    "INSERT INTO cmdb_search_software (software_id, organization_id, body)"
    " SELECT id, organization_id, concat_ws(' ', display_name, display_version) FROM software",
)


def upgrade() -> None:
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRESQL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS cmdb_search_software_{trigger}")
    else:
        op.execute("DROP TRIGGER IF EXISTS cmdb_search_software_write ON software")
        op.execute("DROP FUNCTION IF EXISTS cmdb_search_software_write()")
    op.execute("DROP TABLE IF EXISTS cmdb_search_software")
