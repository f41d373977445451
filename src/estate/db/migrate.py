"""Running Alembic from code: `estate migrate`, `estate serve` and the tests use this."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from estate.db.engine import WRITE_INTENT

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % as interpolation; URLs may carry escaped characters.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# Any constant: the PostgreSQL advisory lock that lets one process at a time migrate.
_MIGRATION_LOCK = 0x657374617465


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision. Processes started together (several servers, a
    server and a CLI command) take turns: the first migrates, the others then find nothing to do."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.execution_options(**{WRITE_INTENT: True}).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
