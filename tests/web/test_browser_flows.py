"""The console in a real headless Chromium: every flow an administrator or a user goes through,
with screenshots of the main pages under var/screenshots/."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pyotp
from playwright.sync_api import expect
from sqlalchemy import update

from estate.accounts.models import Account
from estate.auth.models import AuthSession
from estate.db.base import utcnow
from tests.idoit.conftest import RpcClient, new_key
from tests.inventory.payloads import ingest, machine, software
from tests.web.conftest import log_in, screenshot


def test_login_without_a_second_factor_lands_on_the_dashboard(browser, base_url, org, admin):
    ingest(admin, machine("dash-ubuntu", Os_name="Ubuntu 22.04 LTS", User=org.admin.login))
    browser.goto(f"{base_url}/")
    expect(browser).to_have_url(re.compile(r"/login\?next=%2F$"))
    browser.get_by_label("User name").fill(org.admin.login)
    browser.get_by_label("Password").fill("wrong password")
    browser.get_by_role("button", name="Log in").click()
    expect(browser.get_by_role("alert")).to_contain_text("Invalid user name, password or organization")
    browser.get_by_label("Password").fill(org.admin.password)
    browser.get_by_role("button", name="Log in").click()
    expect(browser.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(browser.get_by_test_id("login")).to_have_text(org.admin.login)
    expect(browser.get_by_test_id("attention").first).to_be_visible()
    expect(browser.get_by_text("Ubuntu 22.04 LTS")).to_be_visible()
    screenshot(browser, "dashboard")


def test_login_with_a_second_factor_asks_for_the_code(browser, base_url, org, sessions):
    secret = pyotp.random_base32()
    with sessions.begin() as db:
        db.get(Account, org.readonly.id).totp_secret = secret
    log_in(browser, base_url, org.readonly.login, org.readonly.password, path="/machines")
    expect(browser.get_by_role("heading", name="Two-factor code")).to_be_visible()
    browser.get_by_label("The six-digit code").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    browser.get_by_role("button", name="Verify").click()
    expect(browser.get_by_role("alert")).to_contain_text("Invalid two-factor code")
    # Before the code, no page of the console answers.
    browser.goto(f"{base_url}/machines")
    expect(browser).to_have_url(re.compile(r"/login/code"))
    browser.get_by_label("The six-digit code").fill(pyotp.TOTP(secret).now())
    browser.get_by_role("button", name="Verify").click()
    expect(browser.get_by_role("heading", name="Machines")).to_be_visible()
    expect(browser.get_by_test_id("login")).to_have_text(org.readonly.login)


def test_find_a_machine_with_the_query_language_and_open_it(browser, base_url, org, admin):
    ingest(admin,
           machine("web-ubuntu-01", Os_name="Ubuntu 24.04 LTS", Ip="10.1.0.5",
                   Software=[software("Firefox", "128.0", "Mozilla")]),
           machine("web-win-02", Os_name="Microsoft Windows 11 Pro x64", Ip="10.1.0.6"),
           machine("web-ubuntu-03", Os_name="Ubuntu 22.04 LTS", Ip="10.1.0.7"))
    log_in(browser, base_url, org.admin.login, org.admin.password, path="/machines")
    search = browser.locator("#q")
    search.fill("os_name like %Ubuntu%")
    browser.get_by_role("button", name="Search", exact=True).click()
    table = browser.get_by_test_id("list")
    expect(table.get_by_role("link", name="web-ubuntu-01")).to_be_visible()
    expect(table.get_by_role("link", name="web-ubuntu-03")).to_be_visible()
    expect(table.get_by_text("web-win-02")).to_have_count(0)
    expect(browser.get_by_test_id("count")).to_have_text("2")
    screenshot(browser, "machines")
    # A field the engine does not know is refused with its name, not ignored.
    search.fill("os_nam like %Ubuntu%")
    browser.get_by_role("button", name="Search", exact=True).click()
    expect(browser.get_by_test_id("query-error")).to_contain_text("os_nam")
    search.fill("software.display_name eq Firefox")
    browser.get_by_role("button", name="Search", exact=True).click()
    browser.get_by_test_id("list").get_by_role("link", name="web-ubuntu-01").click()
    expect(browser.get_by_test_id("machine-name")).to_have_text("web-ubuntu-01")
    expect(browser.get_by_text("Mozilla")).to_be_visible()
    expect(browser.locator("#hardware")).to_contain_text("10.1.0.5")
    screenshot(browser, "machine")


def test_edit_an_asset_field_and_upload_an_attachment(browser, base_url, org, admin, tmp_path):
    machine_id = ingest(admin, machine("asset-host-01"))[0]
    log_in(browser, base_url, org.admin.login, org.admin.password, path=f"/machines/{machine_id}")
    browser.locator("#asset h2 a").click()
    expect(browser.get_by_test_id("asset-name")).to_have_text("asset-host-01")
    asset_id = int(browser.url.rsplit("/", 1)[-1].split("?")[0])
    warranty = tmp_path / "warranty.pdf"
    warranty.write_bytes(b"%PDF-1.4 warranty of asset-host-01\n")
    browser.get_by_label("Serial Number").fill("SN-4711")
    browser.get_by_label("Condition").select_option("Good")
    browser.get_by_label("Warranty Document").set_input_files(str(warranty))
    browser.get_by_role("button", name="Save", exact=True).click()
    expect(browser.get_by_label("Serial Number")).to_have_value("SN-4711")
    link = browser.get_by_test_id("attachment-link")
    expect(link).to_have_text("warranty.pdf")
    with browser.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == warranty.read_bytes()
    screenshot(browser, "asset")
    # The Asset API reads what the console wrote.
    record = admin.get(f"/api/asset/assets/{asset_id}").json()["Assets"][0]
    assert record["field_10000"] == "SN-4711"
    assert record["field_10004"] == "Good"
    assert record["field_10002"] == "warranty.pdf"
    # A bad value is refused with its field, and nothing of the form is written.
    browser.get_by_label("Serial Number").fill("SN-0000")
    browser.get_by_label("Cost").fill("cheap")
    browser.get_by_role("button", name="Save", exact=True).click()
    expect(browser.get_by_test_id("form-error")).to_contain_text("field_10006")
    assert admin.get(f"/api/asset/assets/{asset_id}").json()["Assets"][0]["field_10000"] == "SN-4711"


def test_edit_a_cmdb_category_entry_and_read_it_through_the_rpc(browser, base_url, org, sessions):
    rpc = RpcClient(base_url, new_key(sessions, org.id))
    object_id = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "db-server-01"})["id"]
    log_in(browser, base_url, org.admin.login, org.admin.password, path=f"/cmdb/objects/{object_id}")
    expect(browser.get_by_test_id("object-title")).to_have_text("db-server-01")
    browser.get_by_role("link", name="Model").click()
    browser.get_by_label("Manufacturer").fill("Fabrikam")
    browser.get_by_label("Serial number").fill("FAB-123")
    browser.get_by_role("button", name="Save").click()
    expect(browser.get_by_test_id("notice")).to_have_text("Saved.")
    screenshot(browser, "cmdb-category")
    entry = rpc.result("cmdb.category.read", {"objID": object_id, "category": "C__CATG__MODEL"})[0]
    assert entry["serial"] == "FAB-123"
    assert entry["manufacturer"]["title"] == "Fabrikam"
    # Saving again changes only what was changed: the manufacturer stays, the serial changes.
    browser.get_by_label("Serial number").fill("FAB-124")
    browser.get_by_role("button", name="Save").click()
    expect(browser.get_by_test_id("notice")).to_be_visible()
    entry = rpc.result("cmdb.category.read", {"objID": object_id, "category": "C__CATG__MODEL"})[0]
    assert (entry["serial"], entry["manufacturer"]["title"]) == ("FAB-124", "Fabrikam")
    rpc.close()


def test_create_a_ticket_comment_on_it_and_close_it(browser, base_url, org, admin, tmp_path):
    log_in(browser, base_url, org.admin.login, org.admin.password, path="/tickets")
    browser.get_by_role("link", name="New ticket").click()
    browser.get_by_label("Title").fill("Printer on floor 3 jams")
    browser.get_by_label("Description").fill("Every second page.")
    browser.get_by_role("button", name="Create ticket").click()
    expect(browser.get_by_test_id("ticket-title")).to_contain_text("Printer on floor 3 jams")
    ticket_id = int(browser.url.rsplit("/", 1)[-1])
    log_file = tmp_path / "printer.log"
    log_file.write_text("paper jam at tray 2\n")
    browser.get_by_label("Comment").fill("Replaced the roller.")
    browser.get_by_label("Attach files").set_input_files(str(log_file))
    browser.get_by_role("button", name="Add comment").click()
    expect(browser.get_by_test_id("comment").last).to_have_text("Replaced the roller.")
    expect(browser.get_by_role("link", name="printer.log")).to_be_visible()
    browser.get_by_role("button", name="Close ticket").click()
    expect(browser.get_by_test_id("ticket-status")).to_have_class(re.compile("closed"))
    screenshot(browser, "ticket")
    answer = admin.get(f"/api/service_desk/tickets/{ticket_id}", params={"shaping": "hd_ticket all,status limited"})
    ticket = answer.json()["Tickets"][0]
    assert ticket["status"]["state"] == "closed"
    changes = admin.get(f"/api/service_desk/tickets/{ticket_id}/changes").json()["Changes"]
    assert any(change["comment"] == "Replaced the roller." for change in changes)


def test_a_standard_user_does_not_see_other_users_data(browser, base_url, org, admin, user):
    own, other = ingest(admin, machine("own-laptop", User=org.user.login), machine("admins-desktop",
                                                                                 User=org.admin.login))
    queue = admin.get("/api/service_desk/queues").json()["Queues"][0]["id"]
    mine = user.post("/api/service_desk/tickets", json={"Tickets": [{"title": "My mouse", "hd_queue_id": queue}]})
    theirs = admin.post("/api/service_desk/tickets",
                        json={"Tickets": [{"title": "Admin secret", "hd_queue_id": queue}]})
    assert mine.status_code == theirs.status_code == 200
    log_in(browser, base_url, org.user.login, org.user.password, path="/machines")
    table = browser.get_by_test_id("list")
    expect(table.get_by_role("link", name="own-laptop")).to_be_visible()
    expect(table.get_by_text("admins-desktop")).to_have_count(0)
    response = browser.goto(f"{base_url}/machines/{other}")
    assert response is not None and response.status == 404
    browser.goto(f"{base_url}/tickets?state=all")
    tickets = browser.get_by_test_id("tickets")
    expect(tickets.get_by_role("link", name="My mouse")).to_be_visible()
    expect(tickets.get_by_text("Admin secret")).to_have_count(0)
    response = browser.goto(f"{base_url}/tickets/{theirs.json()['IDs'][0]}")
    assert response is not None and response.status == 404
    browser.goto(f"{base_url}/search?q=admins")
    expect(browser.get_by_test_id("search-machines")).not_to_contain_text("admins-desktop")
    # Their own machine's asset is shown without the forms their role may not use.
    browser.goto(f"{base_url}/machines/{own}")
    browser.locator("#asset h2 a").click()
    expect(browser.get_by_test_id("asset-name")).to_have_text("own-laptop")
    expect(browser.get_by_text("Serial Number")).to_be_visible()
    expect(browser.get_by_role("button", name="Save")).to_have_count(0)
    expect(browser.get_by_role("button", name="Archive this asset")).to_have_count(0)


def test_an_expired_session_goes_back_to_the_login_and_then_to_the_page(browser, base_url, org, sessions):
    log_in(browser, base_url, org.admin.login, org.admin.password, path="/tickets")
    expect(browser.get_by_role("heading", name="Tickets")).to_be_visible()
    with sessions.begin() as db:
        db.execute(update(AuthSession).where(AuthSession.account_id == org.admin.id)
                   .values(last_seen=utcnow() - timedelta(hours=3)))
    browser.goto(f"{base_url}/tickets?state=closed")
    expect(browser).to_have_url(re.compile(r"/login\?next="))
    expect(browser.get_by_role("status")).to_contain_text("Your session expired")
    browser.get_by_label("User name").fill(org.admin.login)
    browser.get_by_label("Password").fill(org.admin.password)
    browser.get_by_role("button", name="Log in").click()
    expect(browser).to_have_url(re.compile(r"/tickets\?state=closed$"))


def test_the_console_fits_a_tablet(browser, base_url, org, admin):
    ingest(admin, machine("tablet-view-01", Os_name="Ubuntu 24.04 LTS"))
    browser.set_viewport_size({"width": 768, "height": 1024})
    log_in(browser, base_url, org.admin.login, org.admin.password, path="/machines")
    expect(browser.get_by_role("link", name="tablet-view-01")).to_be_visible()
    width = browser.evaluate("document.documentElement.scrollWidth")
    assert width <= 768, f"the page is {width}px wide on a 768px tablet"
    # Keyboard: the skip link comes first and leads to the content.
    browser.keyboard.press("Tab")
    expect(browser.get_by_role("link", name="Skip to content")).to_be_focused()
    screenshot(browser, "machines-tablet")


def test_every_area_from_the_navigation_and_the_api_docs_offline(browser, base_url, org, admin):
    requested: list[str] = []

    def record(request):  # type: ignore[no-untyped-def]
        requested.append(request.url)

    browser.on("request", record)
    try:
        log_in(browser, base_url, org.admin.login, org.admin.password)
        navigation = browser.get_by_role("navigation", name="Areas")
        for link, heading, name in [("Assets", "Assets", "assets"), ("CMDB", "CMDB", "cmdb"),
                                    ("Service desk", "Tickets", "tickets"), ("Scripts", "Scripts", "scripts"),
                                    ("Managed installs", "Managed installs", "managed-installs"),
                                    ("Reports", "Reports", "reports"),
                                    ("Administration", "Administration", "administration")]:
            navigation.get_by_role("link", name=link, exact=True).click()
            expect(browser.get_by_role("heading", name=heading, exact=True)).to_be_visible()
            screenshot(browser, name)
        # The API documentation renders from Estate's own assets: nothing is asked of another host.
        navigation.get_by_role("link", name="API docs").click()
        # Swagger UI lays out the whole document (~420 KB) in the page: on a machine busy with the
        # whole suite that takes longer than the default wait.
        expect(browser.locator(".swagger-ui .info .title")).to_contain_text("Estate", timeout=60_000)
        expect(browser.locator(".opblock").first).to_be_visible(timeout=60_000)
        screenshot(browser, "api-docs")
    finally:
        browser.remove_listener("request", record)
    elsewhere = [url for url in requested if not url.startswith(base_url)]
    assert not elsewhere, f"the console or its docs asked other hosts: {elsewhere}"


def test_create_a_managed_install_with_its_package_and_target_a_machine(browser, base_url, org, admin, tmp_path):
    from tests.distribution import helpers as mi

    host = mi.machine(admin, mi.LINUX, Name="mi-console-host")
    mi.machine(admin, mi.WINDOWS, Name="mi-console-windows")
    package = tmp_path / "tool_1.0_all.sh"
    package.write_bytes(b"#!/bin/sh\necho tool installed\n")
    log_in(browser, base_url, org.admin.login, org.admin.password, path="/managed-installs")
    browser.get_by_role("link", name="New managed install").click()
    browser.get_by_label("Title", exact=True).fill("Browser Tool")
    browser.get_by_label("Version", exact=True).fill("1.0")
    browser.get_by_label("Install command", exact=True).fill("sh tool_1.0_all.sh")
    browser.get_by_role("button", name="Create managed install").click()
    # What the browser lets through is checked by the server, which names the field; nothing is created.
    expect(browser.get_by_test_id("form-error")).to_contain_text("Supported_operating_systems")
    expect(browser.get_by_label("Install command", exact=True)).to_have_value("sh tool_1.0_all.sh")
    assert admin.get(mi.MI, params={"use_count_only": "true"}).json()["Count"] == 0
    browser.get_by_label("Linux", exact=True).check()
    browser.get_by_label("Package file").set_input_files(str(package))
    browser.get_by_role("button", name="Create managed install").click()
    expect(browser.get_by_test_id("managed-install-name")).to_have_text("Browser Tool 1.0")
    managed_install = int(browser.url.rsplit("/", 1)[-1].split("?")[0])
    with browser.expect_download() as download:
        browser.get_by_test_id("package-link").click()
    assert Path(download.value.path()).read_bytes() == package.read_bytes()
    browser.get_by_role("link", name="Compatible machines").click()
    expect(browser.get_by_role("link", name="mi-console-host")).to_be_visible()
    expect(browser.get_by_role("link", name="mi-console-windows")).to_have_count(0)
    browser.get_by_label("Choose mi-console-host").check()
    browser.get_by_role("button", name="Add the chosen machines").click()
    expect(browser.get_by_test_id("target-status")).to_have_text("pending")
    screenshot(browser, "managed-install")
    assert mi.statuses(admin, host)[managed_install]["Status"] == "pending"
    browser.get_by_label("Choose mi-console-host").check()
    browser.get_by_role("button", name="Remove the chosen machines").click()
    expect(browser.get_by_test_id("target-status")).to_have_text("removed")
    assert mi.statuses(admin, host)[managed_install]["Status"] == "removed"


def test_open_a_report_download_it_and_run_it_in_the_background(browser, base_url, org, admin):
    ingest(admin, machine("chart-1", Os_name="Debian 12"), machine("chart-2", Os_name="Debian 12"))
    log_in(browser, base_url, org.admin.login, org.admin.password)
    browser.get_by_role("navigation", name="Areas").get_by_role("link", name="Reports", exact=True).click()
    expect(browser.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    browser.get_by_label("Category").select_option("Inventory")
    browser.get_by_role("button", name="Search").click()
    browser.get_by_role("link", name="Machines by operating system", exact=True).click()
    expect(browser.get_by_test_id("report-title")).to_have_text("Machines by operating system")
    expect(browser.get_by_test_id("chart").locator("svg")).to_be_visible()
    expect(browser.get_by_test_id("report-rows")).to_contain_text("Debian 12")
    screenshot(browser, "report")
    with browser.expect_download() as download:
        browser.get_by_test_id("downloads").get_by_role("link", name="csv").click()
    assert Path(download.value.path()).read_text(encoding="utf-8").splitlines()[:2] == [
        "Operating system,Machines", "Debian 12,2"]
    browser.get_by_label("Format", exact=True).first.select_option("pdf")
    browser.get_by_role("button", name="Run", exact=True).click()
    expect(browser.get_by_role("heading", name="Reports run in the background")).to_be_visible()
    expect(browser.get_by_test_id("jobs")).to_contain_text("Machines by operating system")
