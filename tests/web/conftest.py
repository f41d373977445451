"""The console's tests: a logged-in console client over HTTP, and one real headless Chromium
(Debian's, driven by Playwright) for the whole run, its page reused test after test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.kace_client import TLS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


class ConsoleClient(httpx.Client):
    """The console as a browser without JavaScript uses it: cookies, forms with their CSRF token."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(base_url=base_url, timeout=30, verify=kwargs.pop("verify", TLS), **kwargs)

    def login(self, login: str, password: str) -> httpx.Response:
        form = self.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text
        answer = self.post("/login", data={"csrf_token": token.group(1), "username": login, "password": password})
        assert answer.status_code == 303, answer.text
        return answer

    @property
    def csrf(self) -> str:
        return self.cookies["estate_csrf"]

    def submit(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return self.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


@pytest.fixture
def console(base_url: str, org) -> Iterator[ConsoleClient]:  # type: ignore[no-untyped-def]
    with ConsoleClient(base_url=base_url) as client:
        client.login(org.admin.login, org.admin.password)
        yield client


@pytest.fixture
def anonymous(base_url: str) -> Iterator[ConsoleClient]:
    with ConsoleClient(base_url=base_url) as client:
        yield client


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One browser for the module's tests, with a fresh profile; missing, the tests fail and say how to
    install it. Closed with the module: Playwright's synchronous API keeps an event loop running in
    the thread, and a later test of the same worker that calls asyncio.run would be refused."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the console's end-to-end tests drive Debian's Chromium. "
                    "Install it with `bash scripts/chromium-install.sh` (as root; .ci/run does).", pytrace=False)
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions: a machine busy with the whole suite renders slowly.
    expect.set_options(timeout=15_000)

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1280, "height": 860}, accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def browser(chromium: Any, base_url: str) -> Any:
    """The run's one page, logged out, on a laptop-wide window."""
    chromium.clear_cookies()
    page = chromium.pages[0] if chromium.pages else chromium.new_page()
    page.set_viewport_size({"width": 1280, "height": 860})
    page.goto(f"{base_url}/login")
    return page


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, f"the screenshot {name} is empty"
    return path


def log_in(page: Any, base_url: str, login: str, password: str, *, path: str = "/") -> None:
    page.goto(f"{base_url}{path}")
    page.get_by_label("User name").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
