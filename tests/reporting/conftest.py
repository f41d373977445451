"""A small fleet and service desk for the report tests, and a report worker of the test process
working on the suite's database and data folder exactly as a server process's does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from estate.app import create_app
from estate.db.engine import make_session_factory
from estate.reporting import runs
from estate.servicedesk import storage
from estate.settings import Settings
from tests.inventory_reads.fleet import machine, store
from tests.kace_client import KaceClient
from tests.servers import serve_in_thread

DEFINITIONS = "/api/reporting/definitions/"
REPORTS = "/api/reporting/reports/"


@pytest.fixture
def fleet(admin: KaceClient) -> list[int]:
    return store(admin, [
        machine("alpha-ws", software=["Microsoft Word", "Excel"], Ip="10.0.0.1", User="alice",
                Os_Name="Microsoft Windows 10 Pro x64", Cs_Manufacturer="Dell", Cs_Model="Latitude 5440"),
        machine("beta-ws", software=["Microsoft Word"], Ip="10.0.0.2", User="bob",
                Os_Name="Microsoft Windows 11 Pro x64", Cs_Manufacturer="Dell", Cs_Model="Latitude 5440"),
        machine("gamma-srv", software=["zoo, \"quoted\"", "Ünïcode ß"], Ip="10.0.1.3", User="alice",
                Os_Name="Ubuntu 22.04"),
        machine("delta", Ip="10.0.1.4", Os_Name="Microsoft Windows 11 Pro x64"),
    ])


@pytest.fixture
def worker(settings: Settings, engine: Engine) -> sessionmaker[Session]:
    """Sessions configured as the app configures its own (data folder, result expiry)."""
    sessions = make_session_factory(engine)
    sessions.configure(info={storage.DATA_DIR: settings.data_dir, runs.KEEP: settings.report_keep_seconds})
    return sessions


@pytest.fixture
def working_server(settings: Settings, engine: Engine) -> Iterator[str]:
    """A second server process's worth of app on the same database, its report worker running."""
    with serve_in_thread(create_app(settings.model_copy(update={"report_worker_seconds": 0.1}), engine)) as url:
        yield url


def definition_ids(client: KaceClient) -> dict[str, int]:
    answer = client.get(DEFINITIONS, params={"paging": "limit ALL", "shaping": "definition limited"})
    assert answer.status_code == 200, answer.text
    return {item["name"]: item["id"] for item in answer.json()["Definitions"]}


def json_report(client: KaceClient, key: Any, **params: Any) -> dict[str, Any]:
    answer = client.get(f"{REPORTS}{key}/", params={"format": "json", **params})
    assert answer.status_code == 200, answer.text
    return answer.json()["Report"]
