"""A worker answers a caller it resolved a moment ago without the database (estate.auth.callers),
and still sees every change to who may call: at once for its own writes, within
`caller_cache_seconds` for another worker's."""

from __future__ import annotations

import time

from sqlalchemy import update

from estate.accounts.models import OrganizationAccount
from estate.app import create_app
from estate.db.engine import make_engine
from tests.kace_client import KaceClient
from tests.servers import serve_in_thread
from tests.statements import statements

ME = "/api/users/me/"
VERSION = "/api/users/version/"
LOGOUT = "/ams/shared/api/security/logout"


def test_a_repeated_call_resolves_its_caller_once(admin, engine):
    assert admin.get(VERSION).status_code == 200
    with statements(engine) as seen:
        again = admin.get(VERSION)
    assert again.status_code == 200
    assert seen == []


def test_the_csrf_token_is_checked_on_every_call(admin):
    assert admin.get(ME).status_code == 200
    refused = admin.get(ME, headers={"x-dell-csrf-token": "0" * 128})
    assert refused.status_code == 401
    assert refused.json()["errorCode"] == -1
    assert admin.get(ME).status_code == 200


def test_a_disabled_membership_is_refused_at_once(admin, user, org, sessions):
    assert user.get(ME).status_code == 200
    with sessions.begin() as db:
        db.execute(update(OrganizationAccount).where(OrganizationAccount.id == org.user.org_account_id)
                   .values(is_enabled=False))
    assert user.get(ME).status_code == 401
    assert admin.get(ME).status_code == 200


def test_another_worker_sees_a_logout_within_the_cache_time(base_url, settings, org):
    seconds = 0.5
    other_engine = make_engine(settings.database_url)
    other = create_app(settings.model_copy(update={"caller_cache_seconds": seconds}), other_engine)
    try:
        with serve_in_thread(other) as other_url, KaceClient(base_url) as here:
            here.login(org.admin.login, org.admin.password)
            with KaceClient(other_url) as there:
                there.cookies = here.cookies
                there.headers["x-dell-csrf-token"] = here.headers["x-dell-csrf-token"]
                assert there.get(ME).status_code == 200
                assert here.get(LOGOUT).json() == {"Result": "Success"}
                assert here.get(ME).status_code == 401
                time.sleep(seconds + 0.1)
                assert there.get(ME).status_code == 401
    finally:
        other_engine.dispose()


def test_a_caller_read_before_a_forget_is_not_remembered_after_it():
    from datetime import timedelta

    from estate.auth.callers import CallerCache
    from estate.auth.permissions import Caller
    from estate.db.base import utcnow

    callers = CallerCache(2.0, fresh_for=timedelta(seconds=60))
    caller = Caller(account_id=1, organization_id=1, org_account_id=1, login="a", grants=frozenset())
    read_at = callers.generation
    callers.forget_all()  # a logout committed while the caller's statement ran
    callers.remember(("h",), caller, "csrf", utcnow(), generation=read_at)
    assert callers.find(("h",)) is None
    callers.remember(("h",), caller, "csrf", utcnow(), generation=callers.generation)
    assert callers.find(("h",)) == (caller, "csrf")
