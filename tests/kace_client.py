"""A KACE API client as scripts write one: log in, keep the cookies, send the CSRF token."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

# The suite's servers speak plain HTTP, yet httpx loads every CA certificate into a new TLS context
# for each client it makes, which was a third of the suite's time: the suite's clients share one.
TLS = ssl.create_default_context()


class KaceClient(httpx.Client):
    def __init__(self, base_url: str, **kwargs: Any) -> None:
        headers = {"Accept": "application/json", "Content-Type": "application/json", "x-dell-api-version": "1"}
        super().__init__(base_url=base_url, headers=headers, timeout=30, verify=kwargs.pop("verify", TLS), **kwargs)

    def login(self, user_name: str, password: str, organization: str | None = None) -> httpx.Response:
        body: dict[str, str] = {"userName": user_name, "password": password}
        if organization:
            body["organizationName"] = organization
        response = self.post("/ams/shared/api/security/login", json=body)
        assert response.status_code == 200, response.text
        self.headers["x-dell-csrf-token"] = response.headers["x-dell-csrf-token"]
        return response
