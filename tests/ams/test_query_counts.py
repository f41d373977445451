"""Lists answer from a fixed number of queries however many rows they hold (no N+1)."""

from __future__ import annotations

from tests.factories import unique
from tests.statements import statements as counted

API = "/ams/shared/api"


def queries_for(admin, engine, method: str, path: str, **kwargs) -> int:
    admin.get("/api/users/me/")  # the session's last-seen touch happens outside the measured call
    with counted(engine) as statements:
        response = admin.request(method, path, **kwargs)
        assert response.status_code == 200, response.text
    return len(statements)


def test_list_queries_do_not_grow_with_rows(admin, org, engine):
    routes = (
        ("GET", f"{API}/organizationAccounts", {"params": {"paging": "limit ALL"}}),
        ("POST", f"{API}/organizationAccounts/search", {"json": {}}),
        ("GET", f"{API}/accounts/", {}),
        ("GET", f"{API}/organizations/{org.id}/organizationAccounts", {}),
        ("GET", f"{API}/organizations/{org.id}/roles", {}),
        ("GET", f"{API}/organizations/{org.id}/history", {}),
        ("GET", f"{API}/roles", {}),
    )
    before = {path: queries_for(admin, engine, method, path, **kwargs) for method, path, kwargs in routes}
    for _ in range(6):
        created = admin.post(f"{API}/organizationAccounts/", json={"account": {"login": unique("many")}})
        assert created.status_code == 200
    admin.post(f"{API}/roles", json={"name": unique("Extra"), "permissions": ["assets:read"]})
    after = {path: queries_for(admin, engine, method, path, **kwargs) for method, path, kwargs in routes}
    assert after == before
    # Session, caller and grants take four of them (BEGIN included); the list itself one to three.
    assert max(after.values()) <= 8
