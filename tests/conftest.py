"""Test harness: one migrated database per run (SQLite, or PostgreSQL when
ESTATE_TEST_DATABASE_URL names a server), the real app served by uvicorn on a loopback port,
and a fresh organization per test so that tests are isolated by the same walls as tenants."""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from estate.app import create_app
from estate.db.engine import make_engine, make_session_factory
from estate.db.migrate import MIGRATIONS_DIR, upgrade
from estate.settings import Settings
from tests.factories import OrgFixture, make_org
from tests.kace_client import KaceClient
from tests.servers import serve_in_thread

TEMPLATE_PREFIX = "estate_template_"
# Any constant: the advisory lock under which one test process at a time makes the template.
_TEMPLATE_LOCK = 0x74656D706C


def _migrations_digest() -> str:
    versions = sorted((MIGRATIONS_DIR / "versions").glob("*.py"))
    return hashlib.sha256(b"".join(path.read_bytes() for path in versions)).hexdigest()[:16]


def _migrated_template(admin: Engine, url: URL) -> str:
    """A database at the newest revision that test databases are copied from: migrating costs
    seconds on PostgreSQL, a copy a fraction of one. Made once per set of migrations (by whichever
    test process comes first), under a new name until it is complete; older ones are dropped when
    nothing copies them."""
    name = f"{TEMPLATE_PREFIX}{_migrations_digest()}"
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _TEMPLATE_LOCK})
        try:
            present = {row[0] for row in connection.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :prefix"), {"prefix": f"{TEMPLATE_PREFIX}%"})}
            if name not in present:
                partial = f"{name}_partial"
                connection.execute(text(f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{partial}"'))
                engine = make_engine(url.set(database=partial).render_as_string(hide_password=False))
                try:
                    upgrade(engine)
                finally:
                    engine.dispose()
                connection.execute(text(f'ALTER DATABASE "{partial}" RENAME TO "{name}"'))
            for stale in present - {name}:
                with contextlib.suppress(OperationalError):  # being copied by another run: it goes next time
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{stale}"'))
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _TEMPLATE_LOCK})
    return name


def _postgres_database(server_url: str, *, migrated: bool = False) -> Iterator[str]:
    """A database of its own on the server: empty, or (``migrated``) a copy of the migrated template."""
    url = make_url(server_url)
    name = f"estate_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    template = f' TEMPLATE "{_migrated_template(admin, url)}"' if migrated else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{template}'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = os.environ.get("ESTATE_TEST_DATABASE_URL")
    if server:
        yield from _postgres_database(server, migrated=True)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'estate.db'}"


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=Path(tmp_path_factory.mktemp("data")),
        max_body_bytes=256 * 1024,
        max_attachment_bytes=512 * 1024,
        max_package_bytes=1024 * 1024,
        login_max_failures=5,
        # The server's escalation job would run beside tests that count the engine's statements;
        # tests/servicedesk/test_service_levels.py runs it on its own.
        escalation_check_seconds=0,
        # Report jobs are run by tests/reporting's own worker and server, never behind other tests.
        report_worker_seconds=0,
    )


@pytest.fixture(scope="session")
def engine(settings: Settings):  # type: ignore[no-untyped-def]
    engine = make_engine(settings.database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine) -> sessionmaker[Session]:  # type: ignore[no-untyped-def]
    return make_session_factory(engine)


@pytest.fixture(scope="session")
def base_url(settings: Settings, engine) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with serve_in_thread(create_app(settings, engine)) as url:
        yield url


@pytest.fixture
def org(sessions: sessionmaker[Session]) -> OrgFixture:
    """A fresh organization with an administrator, a read-only administrator and a standard user."""
    return make_org(sessions)


@pytest.fixture
def other_org(sessions: sessionmaker[Session]) -> OrgFixture:
    return make_org(sessions)


@pytest.fixture
def client(base_url: str) -> Iterator[KaceClient]:
    with KaceClient(base_url) as kace:
        yield kace


@pytest.fixture
def admin(base_url: str, org: OrgFixture) -> Iterator[KaceClient]:
    with KaceClient(base_url) as kace:
        kace.login(org.admin.login, org.admin.password)
        yield kace


@pytest.fixture
def readonly(base_url: str, org: OrgFixture) -> Iterator[KaceClient]:
    with KaceClient(base_url) as kace:
        kace.login(org.readonly.login, org.readonly.password)
        yield kace


@pytest.fixture
def user(base_url: str, org: OrgFixture) -> Iterator[KaceClient]:
    with KaceClient(base_url) as kace:
        kace.login(org.user.login, org.user.password)
        yield kace
