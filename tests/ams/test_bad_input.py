"""Inputs no database column can hold answer 400 naming the field, on SQLite and PostgreSQL alike."""

from __future__ import annotations

API = "/ams/shared/api"
BIG = 99999999999999999999999


def test_numbers_beyond_the_integer_columns(admin, org):
    for method, path, kwargs, field in (
        ("GET", f"{API}/roles/{BIG}", {}, "role_id"),
        ("GET", f"{API}/organizationAccounts/{BIG}", {}, "org_account_id"),
        ("GET", f"{API}/organizations/{BIG}", {}, "organization_id"),
        ("GET", f"{API}/accounts/{BIG}", {}, "account_id"),
        ("GET", f"{API}/products/{BIG}", {}, "product_id"),
        ("GET", f"{API}/organizations/{org.id}/roles", {"params": {"productId": BIG}}, "productId"),
        ("DELETE", f"{API}/roles", {"params": {"ids": BIG}}, "ids"),
        ("POST", f"{API}/organizationAccounts/disable", {"params": {"ids": f"1,{BIG}"}}, "ids"),
        ("GET", f"{API}/organizationAccounts", {"params": {"filtering": f"id eq {BIG}"}}, "filtering"),
        ("GET", f"{API}/organizationAccounts", {"params": {"paging": f"limit {BIG}"}}, "paging"),
        ("GET", f"{API}/organizationAccounts", {"params": {"offset": str(BIG)}}, "offset"),
        ("GET", f"{API}/organizationAccounts", {"params": {"filtering": "created gt 2020-13-45"}}, "filtering"),
        ("PUT", f"{API}/organizationAccounts/{org.user.org_account_id}/addEmployees", {"json": {"ids": [BIG]}},
         "ids.0"),
        ("POST", f"{API}/organizationAccounts/", {"json": {"account": {"id": BIG}}}, "account.id"),
        ("POST", f"{API}/organizationAccounts/", {"json": {"account": {"login": "x", "userType": BIG}}},
         "account.userType"),
        ("POST", f"{API}/organizationAccounts/", {"json": {"account": {"login": "x" * 300}}}, "account.login"),
        ("GET", f"{API}/organizations/{org.id}/history", {"params": {"accounts": str(BIG)}}, "accounts"),
        ("POST", f"{API}/kkmp/login", {"params": {"isSystem": "true", "orgId": BIG, "token": "t"}}, "orgId"),
    ):
        response = admin.request(method, path, **kwargs)
        assert response.status_code == 400, (method, path, kwargs, response.text)
        assert response.json()["field"] == field, (method, path, kwargs, response.json())


def test_nul_characters(admin, org):
    nul = "a\u0000b"
    for method, path, kwargs, field in (
        ("POST", f"{API}/organizationAccounts/", {"json": {"account": {"login": nul}}}, "account.login"),
        ("POST", f"{API}/organizationAccounts/search", {"json": {"query": nul}}, "query"),
        ("GET", f"{API}/organizationAccounts", {"params": {"filtering": f"account.login eq {nul}"}}, "filtering"),
        ("GET", f"{API}/organizations", {"params": {"filter": nul}}, "filter"),
        ("GET", f"{API}/roles", {"params": {"name": nul}}, "name"),
        ("GET", f"{API}/accounts/{org.user.id}/registry", {"params": {"keys": nul}}, "keys"),
        ("DELETE", f"{API}/accounts/{org.user.id}/registry/a%00b/c", {}, "category"),
        ("POST", f"{API}/accounts/{org.user.id}/registry", {"json": {"categoryName": "c", "key": nul}}, "key"),
        ("POST", f"{API}/roles", {"json": {"name": "n", "permissions": [nul]}}, "permissions.0"),
        ("POST", f"{API}/organizations", {"json": {"name": nul}}, "name"),
        ("POST", f"{API}/products", {"json": {"shortName": nul, "fullName": "x"}}, "shortName"),
    ):
        response = admin.request(method, path, **kwargs)
        assert response.status_code == 400, (method, path, response.text)
        assert response.json()["field"] == field, (method, path, response.json())
