"""`estate user passwd NAME` without --password: asked twice on the terminal, never shown."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import termios
import time

from estate.accounts import service as accounts
from estate.auth.permissions import ADMINISTRATOR
from estate.auth.secrets import verify_password
from estate.db.engine import make_engine, make_session_factory
from estate.db.migrate import upgrade
from estate.orgs import service as orgs
from tests.test_cli import ESTATE, env, run  # noqa: F401 - env is a fixture


def _account(environment: dict[str, str], login: str) -> None:
    """An organization and an account in the command's database, made in this process (cheaper than
    two more commands)."""
    engine = make_engine(environment["ESTATE_DATABASE_URL"])
    try:
        upgrade(engine)
        with make_session_factory(engine).begin() as db:
            organization = orgs.create_organization(db, name=f"Org of {login}", actor_account_id=None)
            accounts.create_account(db, login=login, password="first-pass-1", actor_account_id=None,
                                    organization_id=organization.id, role_name=ADMINISTRATOR, values={})
    finally:
        engine.dispose()


def _on_a_terminal(command: list[str], environment: dict[str, str], answers: list[str]) -> tuple[int, str]:
    """Run the command with a pseudo-terminal as its controlling terminal (getpass reads /dev/tty),
    typing each answer when a prompt shows; returns the exit code and everything the terminal showed."""
    master, slave = pty.openpty()

    def take_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(command, env=environment, stdin=slave, stdout=slave, stderr=slave,
                               preexec_fn=take_terminal)  # noqa: PLW1509 - the child needs its own terminal
    os.close(slave)
    shown, pending = b"", list(answers)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 1024)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            # click writes "Prompt:" and getpass then writes " " once echo is off: answer after that.
            if pending and shown.endswith(b": "):
                os.write(master, pending.pop(0).encode() + b"\n")
        elif process.poll() is not None:
            break
    os.close(master)
    return process.wait(timeout=10), shown.decode(errors="replace")


def test_passwd_asks_twice_without_echo_and_the_new_password_works(env):  # noqa: F811
    _account(env, "ops-admin")
    code, shown = _on_a_terminal([*ESTATE, "user", "passwd", "ops-admin"], env,
                                 ["second-pass-2", "second-pass-2"])
    assert code == 0, shown
    assert shown.count("New password of ops-admin") == 1 and "Repeat for confirmation" in shown
    assert "second-pass-2" not in shown  # typed, never echoed
    assert "password of 'ops-admin' changed" in shown
    engine = make_engine(env["ESTATE_DATABASE_URL"])
    try:
        with make_session_factory(engine)() as db:
            account = accounts.find_account(db, "ops-admin")
            assert account is not None and verify_password(account.password_hash, "second-pass-2")
    finally:
        engine.dispose()


def test_passwd_asks_again_after_two_different_answers_and_refuses_an_unknown_account(env):  # noqa: F811
    _account(env, "ops-other")
    answers = ["aaaa-1", "bbbb-2", "cccc-3", "cccc-3"]
    code, shown = _on_a_terminal([*ESTATE, "user", "passwd", "ops-other"], env, answers)
    assert code == 0 and "do not match" in shown.lower() and shown.count("New password of ops-other") == 2
    unknown = run(env, "user", "passwd", "nobody-here", "--password", "x")
    assert unknown.returncode != 0 and "no account" in unknown.stderr
