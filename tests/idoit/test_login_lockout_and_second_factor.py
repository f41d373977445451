"""Logins on the i-doit face: wrong passwords and second-factor codes count against the account and
the client's address in the one lockout the KACE login uses, and an account enrolled in TOTP opens
no session and makes no call without its current code (X-RPC-Auth-Otp)."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import func, select, update

from estate.accounts.models import Account
from estate.auth.models import LoginFailure
from estate.idoit.auth import OTP_HEADER
from tests.idoit.conftest import RpcClient
from tests.idoit.test_auth_and_walls import headers_for
from tests.kace_client import KaceClient

LOGIN = "/ams/shared/api/security/login"


def wrong(person) -> dict[str, str]:
    return {"X-RPC-Auth-Username": person.login, "X-RPC-Auth-Password": "wrong"}


def _failures(sessions, person) -> int:
    with sessions() as db:
        key = db.scalar(select(Account.login_key).where(Account.id == person.id))
        return db.scalar(select(func.count()).select_from(LoginFailure).where(LoginFailure.login_key == key)) or 0


def test_wrong_rpc_passwords_are_kept_and_lock_the_account_out(rpc: RpcClient, org, settings, sessions):
    for _ in range(settings.login_max_failures):
        assert rpc.error("idoit.version", headers=wrong(org.admin))["code"] == -32604
    assert _failures(sessions, org.admin) == settings.login_max_failures
    for method in ("idoit.version", "idoit.login"):
        refused = rpc.error(method, headers=headers_for(org.admin))
        assert refused["code"] == -32604 and "too many failed attempts" in refused["message"]
    # Another account of the same client is not affected.
    assert rpc.result("idoit.version", headers=headers_for(org.readonly))["login"]["username"] == org.readonly.login


def test_a_batch_with_a_wrong_password_counts_once(rpc: RpcClient, org, sessions):
    batch = [rpc.request_body("idoit.version") for _ in range(6)]
    answers = rpc.send(batch, headers=wrong(org.admin)).json()
    assert [answer["error"]["code"] for answer in answers] == [-32604] * 6
    assert _failures(sessions, org.admin) == 1
    assert rpc.result("idoit.version", headers=headers_for(org.admin))["login"]["username"] == org.admin.login
    assert _failures(sessions, org.admin) == 0  # a success clears the count, as on the KACE face


def test_one_lockout_for_both_faces(rpc: RpcClient, base_url, org, settings):
    for _ in range(settings.login_max_failures):
        rpc.error("idoit.version", headers=wrong(org.admin))
    with KaceClient(base_url) as kace:
        locked = kace.post(LOGIN, json={"userName": org.admin.login, "password": org.admin.password})
        assert locked.status_code == 429
        for _ in range(settings.login_max_failures):
            assert kace.post(LOGIN, json={"userName": org.user.login, "password": "wrong"}).status_code == 401
    refused = rpc.error("idoit.version", headers=headers_for(org.user))
    assert refused["code"] == -32604 and "too many failed attempts" in refused["message"]


def test_failures_count_against_the_clients_address(settings, engine, org, apikey):
    """Behind a proxy the administrator names, each client address has its own count."""
    from estate.app import create_app
    from tests.servers import serve_in_thread

    behind_proxy = settings.model_copy(update={"trusted_proxies": "127.0.0.1"})
    with serve_in_thread(create_app(behind_proxy, engine)) as proxied, RpcClient(proxied, apikey) as client:
        attacker = {"X-Forwarded-For": "198.51.100.9"}
        for _ in range(settings.login_max_failures):
            client.error("idoit.version", headers={**wrong(org.admin), **attacker})
        locked = client.error("idoit.version", headers={**headers_for(org.admin), **attacker})
        assert "too many failed attempts" in locked["message"]
        elsewhere = {**headers_for(org.admin), "X-Forwarded-For": "203.0.113.5"}
        assert client.result("idoit.version", headers=elsewhere)["login"]["username"] == org.admin.login


@pytest.fixture
def enrolled(org, sessions) -> pyotp.TOTP:
    secret = pyotp.random_base32()
    with sessions.begin() as db:
        db.execute(update(Account).where(Account.id == org.admin.id).values(totp_secret=secret))
    return pyotp.TOTP(secret)


def _not_the_code(totp: pyotp.TOTP) -> str:
    return next(code for code in ("000000", "123456", "999999") if not totp.verify(code, valid_window=1))


def test_a_password_alone_opens_no_session_for_an_account_with_a_second_factor(rpc: RpcClient, org, enrolled,
                                                                             sessions):
    for method in ("idoit.login", "idoit.version", "cmdb.objects.read"):
        refused = rpc.error(method, headers=headers_for(org.admin))
        assert refused["code"] == -32604 and OTP_HEADER in refused["message"], refused
    assert _failures(sessions, org.admin) == 0  # the password was right; a code is missing
    wrong_code = rpc.error("idoit.login", headers={**headers_for(org.admin), OTP_HEADER: _not_the_code(enrolled)})
    assert wrong_code["code"] == -32604 and "two-factor" in wrong_code["message"]
    assert _failures(sessions, org.admin) == 1  # a wrong code counts as a wrong password does

    response = rpc.send(rpc.request_body("idoit.login"), headers={**headers_for(org.admin), OTP_HEADER: enrolled.now()})
    token = response.json()["result"]["session-id"]
    assert response.headers["X-RPC-Auth-Session"] == token
    assert rpc.result("idoit.version", headers={"X-RPC-Auth-Session": token})["login"]["username"] == org.admin.login
    with_code = {**headers_for(org.admin), OTP_HEADER: enrolled.now()}
    assert rpc.result("idoit.version", headers=with_code)["login"]["username"] == org.admin.login


def test_wrong_codes_lock_the_account_out_on_both_faces(rpc: RpcClient, base_url, org, enrolled, settings):
    for _ in range(settings.login_max_failures):
        rpc.error("idoit.login", headers={**headers_for(org.admin), OTP_HEADER: _not_the_code(enrolled)})
    refused = rpc.error("idoit.login", headers={**headers_for(org.admin), OTP_HEADER: enrolled.now()})
    assert "too many failed attempts" in refused["message"]
    with KaceClient(base_url) as kace:
        assert kace.post(LOGIN, json={"userName": org.admin.login, "password": org.admin.password}).status_code == 429
