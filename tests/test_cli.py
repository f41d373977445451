"""The `estate` command on a database of its own, as an administrator runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
import pytest
from typer.testing import CliRunner

from estate import cli
from estate.settings import get_settings
from tests.kace_client import TLS

ESTATE = [sys.executable, "-m", "estate.cli"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("ESTATE_")}
    environment["ESTATE_TEST_CHEAP_PASSWORD_HASHES"] = "1"
    environment["ESTATE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    return environment


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> Ran:
    """The `estate` command as typed, run in this process (a process of its own costs ~2 s of
    imports; `serve` is started as a process below)."""
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, list(args), input=stdin, env=env)
    finally:
        get_settings.cache_clear()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_creates_default_organization_and_admin_once(env):
    """Two server processes share the database's sessions: every call works whichever process answers."""
    env = {**env, "ESTATE_ADMIN_PASSWORD": "s3cret-admin", "ESTATE_IDOIT_APIKEY": "chosen-api-key-123"}
    port = _free_port()
    server = subprocess.Popen(
        [*ESTATE, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120  # two workers importing and migrating on a busy machine
        while True:
            try:
                login = httpx.post(f"{base}/ams/shared/api/security/login",
                                   json={"userName": "admin", "password": "s3cret-admin"}, verify=TLS)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert login.status_code == 200
        with httpx.Client(base_url=base, cookies=login.cookies,
                          headers={"x-dell-csrf-token": login.headers["x-dell-csrf-token"]}) as kace:
            answers = [kace.get("/api/users/me/") for _ in range(20)]
        assert {answer.json()["loggedin"] for answer in answers} == {"admin"}
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert "Created organization 'Default'" in output
    assert "s3cret-admin" not in output  # chosen secrets are not echoed
    assert "chosen-api-key-123" not in output
    listed = run(env, "apikey", "list")
    assert "Default" in listed.stdout and "chos" in listed.stdout
    assert run(env, "org", "list").stdout.count("Default") == 1


def test_generated_secrets_are_printed_once(env):
    from estate.bootstrap import ensure_initial_data
    from estate.db.engine import make_engine, make_session_factory
    from estate.db.migrate import upgrade
    from estate.settings import Settings

    engine = make_engine(env["ESTATE_DATABASE_URL"])
    upgrade(engine)
    sessions = make_session_factory(engine)
    first = ensure_initial_data(sessions, Settings(database_url=env["ESTATE_DATABASE_URL"]))
    assert first is not None and first.admin_password and first.idoit_apikey
    assert ensure_initial_data(sessions, Settings(database_url=env["ESTATE_DATABASE_URL"])) is None
    engine.dispose()


def test_organizations_made_before_the_first_start_do_not_stop_it(env):
    from estate.accounts import service as accounts
    from estate.bootstrap import ensure_initial_data
    from estate.db.engine import make_engine, make_session_factory
    from estate.db.migrate import upgrade
    from estate.orgs import service as orgs
    from estate.settings import Settings

    engine = make_engine(env["ESTATE_DATABASE_URL"])
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as db:
        orgs.create_organization(db, name="Made first", actor_account_id=None)
    settings = Settings(database_url=env["ESTATE_DATABASE_URL"], admin_password="first-admin-pw")
    assert ensure_initial_data(sessions, settings) is not None
    with sessions.begin() as db:
        assert orgs.find_by_name(db, "Default") is not None
        assert accounts.find_account(db, "admin") is not None
    assert ensure_initial_data(sessions, settings) is None
    engine.dispose()


def _first_start_beside_a_cli_write(env: dict[str, str]) -> None:
    port = _free_port()
    server = subprocess.Popen([*ESTATE, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    command = subprocess.Popen([*ESTATE, "org", "create", "Beside"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        assert command.wait(timeout=60) == 0, command.communicate()[0]
        deadline = time.monotonic() + 120  # a busy machine starts a process slowly
        while server.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/users/me/", verify=TLS).status_code:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert server.poll() is None, server.communicate()[0]
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert "Created organization 'Default'" in output, output


def test_first_start_and_a_cli_write_started_together_both_succeed(env, tmp_path):
    """Both take the write lock when their transaction begins; the first start still makes its own
    organization and administrator when the command's organization was committed first."""
    for attempt in range(2):
        environment = {**env, "ESTATE_DATABASE_URL": f"sqlite:///{tmp_path / f'race-{attempt}.db'}"}
        _first_start_beside_a_cli_write(environment)
        names = run(environment, "org", "list").stdout
        assert "Default" in names and "Beside" in names
        assert "admin" in run(environment, "user", "list", "--org", "Default").stdout


def test_org_user_and_apikey_commands(env):
    assert run(env, "migrate").returncode == 0
    assert run(env, "org", "create", "Acme").returncode == 0
    # Every domain's defaults come with it, whichever entry point made the organization.
    from sqlalchemy import create_engine, text

    engine = create_engine(env["ESTATE_DATABASE_URL"])
    with engine.connect() as connection:
        queues = connection.execute(
            text("SELECT count(*) FROM hd_queues q JOIN organizations o ON o.id = q.organization_id"
                 " WHERE o.name = 'Acme'")
        ).scalar()
    engine.dispose()
    assert queues == 1
    duplicate = run(env, "org", "create", "acme")
    assert duplicate.returncode == 2 and "exists" in duplicate.stderr
    created = run(env, "user", "create", "jane", "--org", "Acme", "--role", "Standard user", "--password", "pw-jane-1")
    assert created.returncode == 0, created.stderr
    listed = run(env, "user", "list", "--org", "Acme")
    assert "jane" in listed.stdout
    bad_role = run(env, "user", "create", "joe", "--org", "Acme", "--role", "Wizard", "--password", "pw")
    assert bad_role.returncode == 2 and "role" in bad_role.stderr
    assert run(env, "user", "passwd", "jane", "--password", "pw-jane-2").returncode == 0
    key = run(env, "apikey", "create", "--org", "Acme").stdout.strip()
    assert len(key) >= 16
    assert "Acme" in run(env, "apikey", "list", "--org", "Acme").stdout
    assert key not in run(env, "apikey", "list").stdout
    totp = run(env, "user", "totp", "jane")
    secret = totp.stdout.split("secret: ")[1].split()[0]
    assert pyotp.TOTP(secret).now().isdigit()
    assert "off" in run(env, "user", "totp", "jane", "--disable").stdout
    assert run(env, "org", "create", "  ").returncode == 2
