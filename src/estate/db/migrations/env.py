from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from estate.db.models import metadata

config = context.config


def _include_name(name, type_, parent_names) -> bool:  # type: ignore[no-untyped-def]
    # The CMDB full-text index (FTS5 and its shadow tables / a tsvector table) is created per
    # dialect by migration 0003_cmdb, not from the models; so is the ticket search index
    # (0010_ticket_search: FTS5 tables on SQLite, pg_trgm indexes on PostgreSQL) and the index its
    # statements probe tickets with on SQLite (0012_ticket_search_probe).
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith(("cmdb_search", "hd_ticket_search"))
    if type_ == "index" and name == "ix_hd_tickets_search_probe":
        return False
    return not (type_ == "index" and name.startswith("ix_hd_tickets_") and name.endswith("_trgm"))


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
