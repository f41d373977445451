"""A Definition reads the same whichever route answers it: what a write answers (written from the
stored row) equals what reads answer (written by the query engine from the declarations)."""

from __future__ import annotations

from tests.factories import unique

API = "/ams/shared/api"


def _ok(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return response.json()


def test_written_and_read_definitions_are_equal(admin, org):
    location = _ok(admin.post(f"{API}/locations", json={"name": unique("Office"), "address": "Main St 1"}))
    assert _ok(admin.get(f"{API}/locations/{location['id']}")) == location
    assert location in _ok(admin.get(f"{API}/organizations/{org.id}/locations"))

    member = _ok(admin.post(f"{API}/organizationAccounts/", json={
        "account": {"login": unique("parity"), "fullName": "Parity Person", "email": "p@example.test"},
        "location": {"id": location["id"]}, "manager": {"id": org.admin.org_account_id},
    }))
    assert _ok(admin.get(f"{API}/organizationAccounts/{member['id']}")) == member
    assert member in _ok(admin.get(f"{API}/organizationAccounts", params={"paging": "limit ALL"}))["items"]
    assert _ok(admin.get(f"{API}/accounts/{member['account']['id']}")) == member["account"]
    assert member["account"] in _ok(admin.get(f"{API}/accounts/"))

    organization = _ok(admin.post(f"{API}/organizations", json={"name": unique("Parity"), "timeZone": "UTC"}))
    assert _ok(admin.get(f"{API}/organizations/{organization['id']}")) == organization
    assert organization in _ok(admin.get(f"{API}/organizations"))

    product = _ok(admin.post(f"{API}/products", json={"shortName": unique("P"), "fullName": "Parity product",
                                                      "allowMultipleRoles": True}))
    assert _ok(admin.get(f"{API}/products/{product['id']}")) == product
    role = _ok(admin.post(f"{API}/roles", params={"productId": product["id"]},
                          json={"name": unique("Parity"), "permissions": ["assets:read", "inventory:read"]}))
    assert _ok(admin.get(f"{API}/roles/{role['id']}")) == role
    assert role in _ok(admin.get(f"{API}/products/{product['id']}/roles"))
    assert _ok(admin.get(f"{API}/roles", params={"name": role["name"].upper()})) == role

    entry = _ok(admin.post(f"{API}/accounts/{org.user.id}/registry", json={"categoryName": "c", "key": "k"}))
    assert _ok(admin.get(f"{API}/accounts/{org.user.id}/registry")) == [entry]
    member_entry = _ok(admin.post(f"{API}/organizationAccounts/{org.user.org_account_id}/registry",
                                  json={"categoryName": "c", "key": "k", "value": "v"}))
    assert _ok(admin.get(f"{API}/organizationAccounts/{org.user.org_account_id}/registry")) == [member_entry]
