"""One `estate serve` and three enrolled agents of one organization (and one of another) for the
whole folder: starting processes is what costs, so the tests share them."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from estate.settings import Settings
from tests.agent.harness import Agent, Server, admin_client, new_token
from tests.factories import OrgFixture, make_org
from tests.kace_client import KaceClient


@dataclass
class Fleet:
    server: Server
    org: OrgFixture
    kace: KaceClient
    agents: list[Agent]
    other_org: OrgFixture
    other_kace: KaceClient
    other_agent: Agent
    root: Path
    token: str


@pytest.fixture(scope="package")
def server(database_url: str, settings: Settings, engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("agent-server")
    running = Server(database_url, settings.data_dir, root / "server.log")
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="package")
def fleet(server: Server, sessions: sessionmaker[Session]) -> Iterator[Fleet]:
    # Not below pytest's own temporary folder (0700): scripts run as other accounts reach their
    # work folders through the agents' state directories, as below /var/lib.
    root = Path(tempfile.mkdtemp(prefix="estate-agents-"))
    root.chmod(0o711)
    org, other = make_org(sessions), make_org(sessions)
    kace = admin_client(server, org.admin.login, org.admin.password)
    other_kace = admin_client(server, other.admin.login, other.admin.password)
    token = new_token(kace)
    agents = [Agent(server, token, root / f"agent{index}") for index in range(3)]
    outsider = Agent(server, new_token(other_kace), root / "outsider")
    for agent in [*agents, outsider]:
        agent.launch()
    for agent in [*agents, outsider]:
        agent.enrolled()
    yield Fleet(server, org, kace, agents, other, other_kace, outsider, root, token)
    for agent in [*agents, outsider]:
        agent.stop()
    kace.close()
    other_kace.close()
    shutil.rmtree(root, ignore_errors=True)
