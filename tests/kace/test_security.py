"""Login, CSRF, two-factor step, sessions and organization switching over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import xmltodict
from sqlalchemy import update

from estate.accounts.models import Account
from estate.auth.models import AuthSession
from estate.db.base import utcnow
from tests.kace_client import KaceClient

LOGIN = "/ams/shared/api/security/login"
ME = "/api/users/me/"


def test_login_as_the_spec_example_then_me(client, org):
    response = client.login(org.admin.login, org.admin.password)
    assert response.content == b""
    token = response.headers["x-dell-csrf-token"]
    assert len(token) >= 64
    cookies = {cookie.name: cookie for cookie in client.cookies.jar}
    for name in ("kboxid", "KACE_CSRF_TOKEN", "x-dell-auth-jwt", "KACE_LAST_USER_SECURE", "KACE_LAST_ORG_SECURE"):
        assert name in cookies, name
        assert cookies[name].path == "/"
        assert not cookies[name].secure
    assert cookies["KACE_CSRF_TOKEN"].value == token
    me = client.get(ME)
    assert me.status_code == 200
    body = me.json()
    assert body["loggedin"] == org.admin.login
    assert body["currentOrgId"] == org.id
    assert body["userId"] == org.admin.id


def test_bad_credentials_answer_401_with_kace_error(client, org):
    response = client.post(LOGIN, json={"userName": org.admin.login, "password": "wrong"})
    assert response.status_code == 401
    assert response.json()["errorCode"] == -1
    assert "x-dell-csrf-token" not in response.headers
    unknown = client.post(LOGIN, json={"userName": "nobody-here", "password": "x"})
    assert unknown.status_code == 401


def test_calls_need_a_session_and_the_matching_csrf_token(base_url, org):
    with KaceClient(base_url) as anonymous:
        assert anonymous.get(ME).status_code == 401
    with KaceClient(base_url) as kace:
        kace.login(org.admin.login, org.admin.password)
        token = kace.headers.pop("x-dell-csrf-token")
        missing = kace.get(ME)
        assert missing.status_code == 401
        assert missing.json()["errorCode"] == -1
        assert kace.get(ME, headers={"x-dell-csrf-token": "0" * 128}).status_code == 401
        assert kace.get(ME, headers={"x-kace-csrf-token": token}).status_code == 200
        # A token of another session does not fit this session's cookie.
        with KaceClient(base_url) as other:
            other.login(org.user.login, org.user.password)
            assert kace.get(ME, headers={"x-dell-csrf-token": other.headers["x-dell-csrf-token"]}).status_code == 401


def test_the_jwt_cookie_alone_carries_the_session(base_url, org):
    with KaceClient(base_url) as kace:
        kace.login(org.admin.login, org.admin.password)
        kace.cookies.delete("kboxid")
        assert kace.get(ME).status_code == 200


def test_api_version_headers(admin):
    assert admin.get(ME, headers={"x-dell-api-version": "99"}).status_code == 200
    del admin.headers["x-dell-api-version"]
    assert admin.get(ME, headers={"x-kace-api-version": "5"}).status_code == 200
    zero = admin.get(ME, headers={"x-dell-api-version": "0"})
    assert zero.status_code == 400
    assert zero.json()["field"] == "x-dell-api-version"
    assert admin.get(ME, headers={"x-dell-api-version": "abc"}).status_code == 400


def test_one_account_holds_many_sessions(base_url, org):
    clients = [KaceClient(base_url) for _ in range(3)]
    try:
        for kace in clients:
            kace.login(org.admin.login, org.admin.password)
        assert [kace.get(ME).status_code for kace in clients] == [200, 200, 200]
    finally:
        for kace in clients:
            kace.close()


def test_logout_ends_the_session(base_url, org):
    with KaceClient(base_url) as kace:
        kace.login(org.admin.login, org.admin.password)
        assert kace.get("/ams/shared/api/security/logout").json() == {"Result": "Success"}
        assert kace.get(ME).status_code == 401


def test_logout_redirects_only_within_the_server(base_url, org):
    with KaceClient(base_url, follow_redirects=False) as kace:
        kace.login(org.admin.login, org.admin.password)
        away = kace.get("/ams/shared/api/security/logout", params={"redirectTo": "https://evil.example/"})
        assert away.status_code == 200
    with KaceClient(base_url, follow_redirects=False) as kace:
        kace.login(org.admin.login, org.admin.password)
        home = kace.get("/ams/shared/api/security/logout", params={"redirectTo": "/login"})
        assert home.status_code == 302
        assert home.headers["location"] == "/login"


def test_idle_sessions_expire(base_url, org, sessions):
    with KaceClient(base_url) as kace:
        kace.login(org.admin.login, org.admin.password)
        with sessions.begin() as db:
            db.execute(
                update(AuthSession)
                .where(AuthSession.account_id == org.admin.id)
                .values(last_seen=utcnow() - timedelta(hours=5))
            )
        expired = kace.get(ME)
        assert expired.status_code == 401
        assert "expired" in expired.json()["errorDescription"]


def test_two_factor_flow(base_url, org, sessions):
    secret = pyotp.random_base32()
    with sessions.begin() as db:
        db.execute(update(Account).where(Account.id == org.user.id).values(totp_secret=secret))
    with KaceClient(base_url) as kace:
        kace.login(org.user.login, org.user.password)
        blocked = kace.get(ME)
        assert blocked.status_code == 401
        assert blocked.json() == {"errorCode": -1, "errorDescription": "User not fully authenticated."}
        wrong = kace.post("/ams/shared/api/security/verify_2factor", json={"currentCode": "000000"})
        if pyotp.TOTP(secret).verify("000000", valid_window=1):  # one chance in a few hundred thousand
            wrong = kace.post("/ams/shared/api/security/verify_2factor", json={"currentCode": "abcdef"})
        assert wrong.status_code == 401
        assert kace.get(ME).status_code == 401
        missing = kace.post("/ams/shared/api/security/verify_2factor", json={})
        assert missing.status_code == 400
        assert missing.json()["field"] == "currentCode"
        ok = kace.post("/ams/shared/api/security/verify_2factor", json={"currentCode": pyotp.TOTP(secret).now()})
        assert ok.status_code == 200
        assert ok.json() == {"Result": "Success"}
        assert kace.get(ME).status_code == 200
    # The second factor is per session: a new login asks again.
    with KaceClient(base_url) as again:
        again.login(org.user.login, org.user.password)
        assert again.get(ME).status_code == 401


def test_verify_2factor_without_enrolment_succeeds(admin):
    response = admin.post("/ams/shared/api/security/verify_2factor", json={"skipConfiguration": True})
    assert response.json() == {"Result": "Success"}


def test_wrong_passwords_are_rate_limited_per_account_and_source(client, org):
    for _ in range(5):
        assert client.post(LOGIN, json={"userName": org.user.login, "password": "nope"}).status_code == 401
    limited = client.post(LOGIN, json={"userName": org.user.login, "password": org.user.password})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert limited.json()["errorCode"] == -1
    # Another account from the same source is not affected.
    assert client.post(LOGIN, json={"userName": org.admin.login, "password": org.admin.password}).status_code == 200


def test_organization_name_selects_the_organization(client, org, other_org, sessions):
    from estate.accounts import service as accounts

    with sessions.begin() as db:
        account = accounts.find_account(db, org.admin.login)
        accounts.add_membership(db, account=account, organization_id=other_org.id, role_name="Administrator")
    client.login(org.admin.login, org.admin.password, organization=other_org.name)
    assert client.get(ME).json()["currentOrgId"] == other_org.id
    assert client.get(ME).json()["org_count"] == 2
    refused = client.post(LOGIN, json={"userName": org.user.login, "password": org.user.password,
                                       "organizationName": other_org.name})
    assert refused.status_code == 401


def test_switch_organization(admin, org, other_org, sessions):
    from estate.accounts import service as accounts

    forbidden = admin.post("/ams/shared/api/security/organization/switch", params={"organizationId": other_org.id})
    assert forbidden.status_code == 403
    with sessions.begin() as db:
        account = accounts.find_account(db, org.admin.login)
        accounts.add_membership(db, account=account, organization_id=other_org.id, role_name="Standard user")
    switched = admin.post("/ams/shared/api/security/organization/switch", params={"organizationId": other_org.id})
    assert switched.status_code == 200
    assert admin.get(ME).json()["currentOrgId"] == other_org.id
    assert admin.post(f"/ams/shared/api/security/organization/{org.id}/switchto").status_code == 200
    assert admin.get(ME).json()["currentOrgId"] == org.id
    assert admin.post("/ams/shared/api/security/organization/switch").status_code == 400


def test_login_body_errors_name_the_field(client, org):
    missing = client.post(LOGIN, json={"userName": org.admin.login})
    assert missing.status_code == 400
    assert missing.json()["field"] == "password"
    unknown = client.post(LOGIN, json={"userName": "a", "password": "b", "colour": "red"})
    assert unknown.status_code == 400
    assert unknown.json()["field"] == "colour"
    malformed = client.post(LOGIN, content=b"{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400
    assert "malformed" in malformed.json()["errorDescription"]
    listed = client.post(LOGIN, json=[1, 2])
    assert listed.status_code == 400
    empty = client.post(LOGIN, content=b"")
    assert empty.status_code == 400
    oversize = client.post(LOGIN, content=b"{" + b" " * 300_000 + b"}")
    assert oversize.status_code == 413


def test_login_and_answers_in_xml(client, org):
    body = f"<credentials><userName>{org.admin.login}</userName><password>{org.admin.password}</password></credentials>"
    response = client.post(LOGIN, content=body.encode(), headers={"Content-Type": "application/xml"})
    assert response.status_code == 200
    client.headers["x-dell-csrf-token"] = response.headers["x-dell-csrf-token"]
    me = client.get(ME, headers={"Accept": "application/xml"})
    assert me.headers["content-type"].startswith("application/xml")
    document = xmltodict.parse(me.content)
    assert document["response"]["loggedin"] == org.admin.login
    malformed = client.post(LOGIN, content=b"<credentials><userName>", headers={"Content-Type": "application/xml"})
    assert malformed.status_code == 400


def test_saml_and_auth_type_routes(admin, client):
    assert client.get("/ams/shared/api/security/supportedAuthTypes").json() == {"local": True, "saml": False}
    saml = client.get("/ams/shared/api/security/samlLogin", params={"organizationName": "Default"})
    assert saml.status_code == 400
    assert "SAML" in saml.json()["errorDescription"]
    assert client.get("/ams/shared/api/security/authResult").status_code == 204
    assert admin.get("/ams/shared/api/security/refreshcontext").status_code == 200


def test_verify_pw(admin, org):
    def check(password: str) -> bool:
        response = admin.post(
            "/ams/shared/api/security/verifyPW",
            params={"orgID": org.id, "pw": password, "userName": org.user.login},
        )
        assert response.status_code == 200
        return response.json()

    assert check(org.user.password) is True
    assert check("wrong") is False


def test_unknown_route_answers_a_kace_error(admin):
    response = admin.get("/ams/shared/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["errorCode"] == -1


def test_sessions_end_when_their_organization_is_disabled(admin, org, sessions):
    from estate.orgs.models import Organization

    assert admin.get(ME).status_code == 200
    with sessions.begin() as db:
        db.execute(update(Organization).where(Organization.id == org.id).values(is_enabled=False))
    assert admin.get(ME).status_code == 401


def test_ids_beyond_the_integer_range_answer_400(admin):
    huge = admin.get("/ams/shared/api/locations/99999999999999999999")
    assert huge.status_code == 400
    assert huge.json()["errorCode"] == -1


def _fail_logins(base_url: str, login: str, times: int, forwarded_for: str | None = None) -> None:
    with KaceClient(base_url) as kace:
        for attempt in range(times):
            headers = {"x-forwarded-for": forwarded_for or f"198.51.100.{attempt}"}
            assert kace.post(LOGIN, json={"userName": login, "password": "wrong"}, headers=headers).status_code == 401


def test_forwarding_headers_of_an_unnamed_proxy_do_not_change_the_source(base_url, org, settings):
    """A process on the server's own host rotating X-Forwarded-For still has its failures counted."""
    _fail_logins(base_url, org.user.login, settings.login_max_failures)
    with KaceClient(base_url) as kace:
        refused = kace.post(LOGIN, json={"userName": org.user.login, "password": org.user.password},
                            headers={"x-forwarded-for": "203.0.113.77", "x-forwarded-proto": "https"})
        assert refused.status_code == 429


def test_a_named_proxy_is_believed(settings, engine, org):
    from estate.app import create_app
    from tests.servers import serve_in_thread

    behind_proxy = settings.model_copy(update={"trusted_proxies": "127.0.0.1"})
    with serve_in_thread(create_app(behind_proxy, engine)) as proxied:
        _fail_logins(proxied, org.user.login, settings.login_max_failures, forwarded_for="198.51.100.9")
        with KaceClient(proxied) as kace:
            locked = kace.post(LOGIN, json={"userName": org.user.login, "password": org.user.password},
                               headers={"x-forwarded-for": "198.51.100.9"})
            assert locked.status_code == 429
            elsewhere = kace.post(LOGIN, json={"userName": org.user.login, "password": org.user.password},
                                  headers={"x-forwarded-for": "203.0.113.5", "x-forwarded-proto": "https"})
            assert elsewhere.status_code == 200
            assert all(cookie.secure for cookie in kace.cookies.jar)
