"""Property-based API test: schemathesis draws requests for every operation of the OpenAPI
document, valid and invalid, and sends them to a running server, which must never answer 5xx.

The server has a database of its own: the fuzzed administrator may delete organizations and
accounts, which would pull the ground from under other tests. Bounded by a few examples per
operation so that the whole run costs seconds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from estate.app import create_app
from estate.db.engine import make_engine, make_session_factory
from estate.db.migrate import upgrade
from tests.conftest import _postgres_database
from tests.factories import make_org
from tests.servers import serve_in_thread

# Requests per operation: drawing them costs more than answering them, so a few keep the run short.
EXAMPLES = {GenerationMode.POSITIVE: 2, GenerationMode.NEGATIVE: 1}
# Operations that would end the fuzzing session's own login.
SESSION_ENDING = r"/security/(logout|organization/)"


@dataclass
class Target:
    url: str
    session: requests.Session  # logged in, kept alive across the run


def _database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import os

    if server := os.environ.get("ESTATE_TEST_DATABASE_URL"):
        yield from _postgres_database(server, migrated=True)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"


@pytest.fixture(scope="module")
def target(settings, tmp_path_factory) -> Iterator[Target]:  # noqa: F811 - settings is the suite's fixture
    for url in _database(tmp_path_factory):
        engine = make_engine(url)
        upgrade(engine)
        org = make_org(make_session_factory(engine))
        try:
            with serve_in_thread(create_app(settings.model_copy(update={"database_url": url}), engine)) as base:
                login = httpx.post(f"{base}/ams/shared/api/security/login",
                                   json={"userName": org.admin.login, "password": org.admin.password})
                assert login.status_code == 200, login.text
                with requests.Session() as session:
                    session.headers.update({"x-dell-csrf-token": login.headers["x-dell-csrf-token"]})
                    session.cookies.update(dict(login.cookies))
                    yield Target(base, session)
        finally:
            engine.dispose()


def _operations(target: Target) -> list[schemathesis.APIOperation]:
    document = httpx.get(f"{target.url}/openapi.json").json()
    api = schemathesis.openapi.from_dict(document).exclude(path_regex=SESSION_ENDING)
    return [result.ok() for result in api.get_all_operations()]


def _server_errors(operation: schemathesis.APIOperation, mode: GenerationMode, target: Target,
                   statuses: Counter[int]) -> list[str]:
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def send(case: schemathesis.Case) -> None:
        response = case.call(base_url=target.url, session=target.session, timeout=120)  # a busy machine
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except Exception as failure:  # schemathesis' failure group; each is reported with its request
            found.append(f"{case.method} {case.formatted_path}: {response.status_code} {failure}"[:500])

    try:
        send()
    except Unsatisfiable:  # an operation without input has no invalid variant
        assert mode is GenerationMode.NEGATIVE, operation.label
    return found


def test_no_request_makes_the_server_fail(target):
    """Every operation, with valid and with invalid input."""
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    for operation in _operations(target):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _server_errors(operation, mode, target, statuses)
    assert failures == []
    # The run went past the login: the invalid variants drop the session now and then, the rest
    # are answered as the administrator's.
    assert statuses[200] > 50 and statuses[401] < sum(statuses.values()) / 4, statuses
