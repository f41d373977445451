"""cmdb: objects, category entries, dialog lists, logbook, reports, RPC sessions, search index

Revision ID: 0003_cmdb
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import estate.db.base

revision = '0003_cmdb'
down_revision = '0001'
branch_labels = None
depends_on = None


def _create_search_index() -> None:
    """The full-text index of category values (see estate.cmdb.search): FTS5 on SQLite, a
    tsvector with a GIN index on PostgreSQL. One document per category entry (rowid/entry_id)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE cmdb_search USING fts5(org, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
        return
    op.execute(
        "CREATE TABLE cmdb_search ("
        " entry_id INTEGER PRIMARY KEY REFERENCES cmdb_category_entries(id) ON DELETE CASCADE,"
        " organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,"
        " body TEXT NOT NULL,"
        " document tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED)"
    )
    op.execute("CREATE INDEX ix_cmdb_search_document ON cmdb_search USING GIN (document)")
    op.execute("CREATE INDEX ix_cmdb_search_organization_id ON cmdb_search (organization_id)")


def upgrade() -> None:
    op.create_table('cmdb_dialog_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dialog', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('const', sa.String(length=100), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_cmdb_dialog_entries_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['cmdb_dialog_entries.id'], name=op.f('fk_cmdb_dialog_entries_parent_id_cmdb_dialog_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cmdb_dialog_entries'))
    )
    op.create_index('ix_cmdb_dialog_entries_org_dialog_title', 'cmdb_dialog_entries', ['organization_id', 'dialog', 'title'], unique=False)
    op.create_index(op.f('ix_cmdb_dialog_entries_organization_id'), 'cmdb_dialog_entries', ['organization_id'], unique=False)
    op.create_index(op.f('ix_cmdb_dialog_entries_parent_id'), 'cmdb_dialog_entries', ['parent_id'], unique=False)
    op.create_table('cmdb_logbook',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('object_title', sa.String(length=255), nullable=False),
    sa.Column('object_status', sa.Integer(), nullable=False),
    sa.Column('category_const', sa.String(length=100), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('event', sa.String(length=100), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('alert_level', sa.Integer(), nullable=False),
    sa.Column('created', estate.db.base.UTCDateTime(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_cmdb_logbook_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_cmdb_logbook_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cmdb_logbook'))
    )
    op.create_index(op.f('ix_cmdb_logbook_account_id'), 'cmdb_logbook', ['account_id'], unique=False)
    op.create_index('ix_cmdb_logbook_org_created', 'cmdb_logbook', ['organization_id', 'created'], unique=False)
    op.create_index('ix_cmdb_logbook_org_object', 'cmdb_logbook', ['organization_id', 'object_id'], unique=False)
    op.create_index(op.f('ix_cmdb_logbook_organization_id'), 'cmdb_logbook', ['organization_id'], unique=False)
    op.create_table('cmdb_objects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type_const', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('sysid', sa.String(length=255), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('cmdb_status', sa.Integer(), nullable=False),
    sa.Column('const', sa.String(length=100), nullable=True),
    sa.Column('created', estate.db.base.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('updated', estate.db.base.UTCDateTime(), nullable=True),
    sa.Column('updated_by', sa.String(length=255), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_cmdb_objects_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cmdb_objects'))
    )
    op.create_index('ix_cmdb_objects_org_sysid', 'cmdb_objects', ['organization_id', 'sysid'], unique=False)
    op.create_index('ix_cmdb_objects_org_title', 'cmdb_objects', ['organization_id', 'title'], unique=False)
    op.create_index('ix_cmdb_objects_org_type_status', 'cmdb_objects', ['organization_id', 'type_const', 'status'], unique=False)
    op.create_index('ix_cmdb_objects_org_updated', 'cmdb_objects', ['organization_id', 'updated'], unique=False)
    op.create_index(op.f('ix_cmdb_objects_organization_id'), 'cmdb_objects', ['organization_id'], unique=False)
    op.create_table('cmdb_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created', estate.db.base.UTCDateTime(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_cmdb_reports_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cmdb_reports'))
    )
    op.create_index(op.f('ix_cmdb_reports_organization_id'), 'cmdb_reports', ['organization_id'], unique=False)
    op.create_table('idoit_rpc_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created', estate.db.base.UTCDateTime(), nullable=False),
    sa.Column('last_seen', estate.db.base.UTCDateTime(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_idoit_rpc_sessions_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_idoit_rpc_sessions_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idoit_rpc_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_idoit_rpc_sessions_token_hash'))
    )
    op.create_index(op.f('ix_idoit_rpc_sessions_account_id'), 'idoit_rpc_sessions', ['account_id'], unique=False)
    op.create_index(op.f('ix_idoit_rpc_sessions_last_seen'), 'idoit_rpc_sessions', ['last_seen'], unique=False)
    op.create_index(op.f('ix_idoit_rpc_sessions_organization_id'), 'idoit_rpc_sessions', ['organization_id'], unique=False)
    op.create_table('cmdb_category_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('category_const', sa.String(length=100), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('created', estate.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated', estate.db.base.UTCDateTime(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['object_id'], ['cmdb_objects.id'], name=op.f('fk_cmdb_category_entries_object_id_cmdb_objects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_cmdb_category_entries_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cmdb_category_entries'))
    )
    op.create_index('ix_cmdb_category_entries_object_category', 'cmdb_category_entries', ['object_id', 'category_const', 'status'], unique=False)
    op.create_index('ix_cmdb_category_entries_org_category', 'cmdb_category_entries', ['organization_id', 'category_const'], unique=False)
    op.create_index(op.f('ix_cmdb_category_entries_organization_id'), 'cmdb_category_entries', ['organization_id'], unique=False)
    _create_search_index()


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS cmdb_search")
    for table in ('idoit_rpc_sessions', 'cmdb_reports', 'cmdb_logbook', 'cmdb_category_entries', 'cmdb_dialog_entries', 'cmdb_objects'):
        op.drop_table(table)
