"""The console over plain HTTP: every page answers, writes need the session's CSRF token, bad
input is a 4xx page naming the field (never a 500), the walls of the APIs hold, /docs is offline."""

from __future__ import annotations

import re
from pathlib import Path

from estate.web.search_box import filtering_of
from tests.inventory.payloads import ingest, machine

STATIC = Path(__file__).resolve().parents[2] / "src" / "estate" / "web" / "static"


PAGES = [
    "/", "/dashboard/attention", "/dashboard/operating-systems", "/dashboard/freshness", "/dashboard/ticket-states",
    "/dashboard/changes", "/machines", "/machines/count", "/assets", "/cmdb", "/cmdb/types/C__OBJTYPE__SERVER",
    "/cmdb/locations", "/search?q=anything", "/tickets", "/tickets?state=overdue", "/tickets/new", "/admin",
    "/admin/accounts", "/admin/roles", "/admin/api-keys", "/scripts", "/managed-installs", "/managed-installs/new",
    "/reports", "/reports/jobs", "/reports/new",
]


def test_every_page_answers_the_administrator(console):
    for path in PAGES:
        answer = console.get(path)
        assert answer.status_code == 200, (path, answer.text[-500:])
        assert answer.headers["content-type"].startswith("text/html"), path


def test_without_a_login_every_page_goes_to_the_login(anonymous):
    for path in PAGES:
        answer = anonymous.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login?next="), path
    htmx = anonymous.get("/dashboard/attention", headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].startswith("/login?next=")


def test_the_root_is_the_console_not_a_json_404(anonymous):
    answer = anonymous.get("/", follow_redirects=True)
    assert answer.status_code == 200 and "<form action=\"/login\"" in answer.text


def test_a_write_without_the_csrf_token_is_refused_and_writes_nothing(console, admin):
    before = admin.get("/api/service_desk/tickets", params={"use_count_only": "true"}).json()["Count"]
    queue = admin.get("/api/service_desk/queues").json()["Queues"][0]["id"]
    for token in (None, "0" * 128):
        data = {"hd_queue_id": str(queue), "title": "forged"}
        if token:
            data["csrf_token"] = token
        answer = console.post("/tickets/new", data=data)
        assert answer.status_code == 403, answer.text
    assert admin.get("/api/service_desk/tickets", params={"use_count_only": "true"}).json()["Count"] == before
    # The session itself survives a refused form.
    assert console.get("/tickets").status_code == 200


def test_the_login_form_carries_its_own_token(anonymous, org):
    refused = anonymous.post("/login", data={"username": org.admin.login, "password": org.admin.password})
    assert refused.status_code == 400 and "estate_session" not in refused.cookies


def test_bad_input_is_a_page_naming_the_field(console):
    cases = {
        "/machines?q=nosuchfield eq 1": (400, "nosuchfield"),
        "/machines?col=Nope": (400, "Nope"),
        "/machines?sort=Nope": (400, "Nope"),
        "/machines/2147483648": (400, "machine_id"),
        "/machines/2147483647": (404, "machine"),
        "/machines/abc": (400, "machine_id"),
        "/cmdb/types/C__OBJTYPE__NOPE": (400, "C__OBJTYPE__NOPE"),
        "/cmdb/objects/99999999999": (400, "object_id"),
        "/cmdb/objects/2147483647": (404, "object"),
        "/cmdb/objects/1/categories/C__CATG__NOPE": (404, "object"),
        "/tickets/2147483647": (404, "ticket"),
        "/tickets?q=title zz 1": (200, "title"),
        "/assets/0": (404, "asset"),
    }
    for path, (status, named) in cases.items():
        answer = console.get(path)
        assert answer.status_code == status, (path, answer.status_code, answer.text[-300:])
        assert named in answer.text, (path, answer.text[-800:])
    posted = console.submit("/tickets/new", {"hd_queue_id": "99999999999", "title": "x"})
    assert posted.status_code == 400 and "hd_queue_id" in posted.text
    crowded = console.submit("/tickets/new", {f"field{n}": "x" for n in range(500)})
    assert crowded.status_code == 400 and "form" in crowded.text


def test_the_search_box_reads_plain_words_and_the_query_language():
    assert filtering_of("ubuntu") == "* co ubuntu"
    assert filtering_of("os_name like %Ubuntu%") == "os_name co Ubuntu"
    assert filtering_of("name like web%, ram_total >= 8000") == "name st web,ram_total ge 8000"
    assert filtering_of("name not like %-test") == "name nen -test"
    assert filtering_of("os_name like Windows") == "os_name eq Windows"
    both = "software.display_name eq Firefox,ip co 10."
    assert filtering_of("software.display_name eq Firefox and ip co 10.") == both
    assert filtering_of("windows 11, pro") == "* co windows 11  pro"
    assert filtering_of("  ") == ""


def test_saved_views_columns_and_csv_export(console, admin):
    ingest(admin, machine("csv-one", Os_name="Ubuntu 24.04 LTS", Ip="10.9.0.1"),
           machine("csv-two", Os_name="Debian 12", Ip="10.9.0.2"))
    shown = console.get("/machines", params=[("q", "name st csv-"), ("col", "Name"), ("col", "Os_name"),
                                             ("sort", "-Name")])
    assert shown.status_code == 200
    assert shown.text.index("csv-two") < shown.text.index("csv-one")
    assert ">Os_name</a>" in shown.text and ">Ip</a>" not in shown.text
    saved = console.submit("/machines/views", {"name": "CSV machines", "q": "name like csv-%", "sort": "-Name",
                                                "col": ["Name", "Os_name"]})
    assert saved.status_code == 303
    opened = console.get("/machines/views/open", params={"name": "CSV machines"})
    assert opened.status_code == 303
    assert opened.headers["location"] == "/machines?q=name+like+csv-%25&sort=-Name&col=Name&col=Os_name"
    assert "csv-two" in console.get(opened.headers["location"]).text
    listed = console.get("/machines")
    assert "<option>CSV machines</option>" in listed.text
    export = console.get("/machines.csv", params=[("q", "name st csv-"), ("col", "Name"), ("col", "Os_name"),
                                                  ("sort", "Name")])
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert export.text.splitlines()[0] == "Id,Name,Os_name"
    rows = [line.split(",")[1:] for line in export.text.splitlines()[1:]]
    assert rows == [["csv-one", "Ubuntu 24.04 LTS"], ["csv-two", "Debian 12"]]
    assert console.get("/machines.csv", params={"q": "nope eq 1"}).status_code == 400
    deleted = console.submit("/machines/views/delete", {"name": "CSV machines"})
    assert deleted.status_code == 303
    assert "<option>CSV machines</option>" not in console.get("/machines").text


def test_organization_switch_and_logout(console, org, other_org, sessions):
    from estate.accounts import service as accounts
    from estate.accounts.models import Account
    from estate.auth.permissions import ADMINISTRATOR

    with sessions.begin() as db:
        accounts.add_membership(db, account=db.get(Account, org.admin.id), organization_id=other_org.id,
                                role_name=ADMINISTRATOR)
    page = console.get("/admin")
    assert other_org.name in page.text
    switched = console.submit("/session/organization", {"organization_id": str(other_org.id)})
    assert switched.status_code == 303
    assert re.search(rf'<option value="{other_org.id}" selected>', console.get("/").text)
    unknown = console.submit("/session/organization", {"organization_id": "2147483647"})
    assert unknown.status_code == 404 and "organization" in unknown.text
    out = console.submit("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert console.get("/machines").status_code == 303


def test_the_standard_user_is_walled_as_in_the_api(base_url, org, admin, user):
    from tests.web.conftest import ConsoleClient

    ingest(admin, machine("walled-own", User=org.user.login), machine("walled-other", User=org.admin.login))
    with ConsoleClient(base_url=base_url) as client:
        client.login(org.user.login, org.user.password)
        listed = client.get("/machines", params={"q": "name st walled-"})
        assert "walled-own" in listed.text and "walled-other" not in listed.text
        assert client.get("/machines/count", params={"q": "name st walled-"}).text.startswith(
            '<span data-testid="count">1</span>')
        assert client.get("/machines.csv", params={"q": "name st walled-"}).text.count("walled-") == 1
        assert "walled-other" not in client.get("/search", params={"q": "walled"}).text
    with ConsoleClient(base_url=base_url) as staff:
        staff.login(org.admin.login, org.admin.password)
        found = staff.get("/search", params={"q": "walled"}).text
        assert "walled-other" in found and "walled-own" in found
    with ConsoleClient(base_url=base_url) as client:
        client.login(org.user.login, org.user.password)
        # Writes the role does not grant are refused with 403, as the APIs refuse them.
        assert client.submit("/admin/api-keys", {"description": "mine"}).status_code == 403
        assert client.submit("/admin/accounts", {"login": "sneaky", "password": "x"}).status_code == 403


def test_the_console_links_the_offline_api_docs(console, anonymous):
    assert '<a href="/docs">API docs</a>' in console.get("/").text
    page = anonymous.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/") for source in sources), sources
    for source in sources:
        assert anonymous.get(source).status_code == 200, source
    assert "https://" not in page.text and "http://" not in page.text


def test_the_javascript_is_self_hosted_with_its_licence(anonymous):
    assert anonymous.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200
    assert (STATIC / "vendor" / "htmx-LICENSE.txt").read_text().startswith("Zero-Clause BSD")
    login = anonymous.get("/login").text
    assert "http://" not in login and "https://" not in login


def test_administration_creates_accounts_with_a_role_and_api_keys(console, base_url, org, sessions):
    from estate.auth.models import Role
    from tests.idoit.conftest import RpcClient

    with sessions() as db:
        readonly_role = db.query(Role).filter_by(organization_id=org.id, name="Read-only administrator").one()
    created = console.submit("/admin/accounts", {"login": f"auditor-{org.id}", "password": "s3cret-pass",
                                                 "full_name": "New Auditor", "role": str(readonly_role.id)})
    assert created.status_code == 303
    listed = console.get("/admin/accounts").text
    row = re.search(rf"<tr><td>auditor-{org.id}</td>.*?</tr>", listed, re.S)
    assert row and "Read-only administrator" in row.group(0) and "Standard user" not in row.group(0)
    clash = console.submit("/admin/accounts", {"login": f"AUDITOR-{org.id}", "password": "x"})
    assert clash.status_code == 409 and "login" in clash.text
    page = console.submit("/admin/api-keys", {"description": "inventory sync"})
    key = re.search(r'data-testid="new-key">([^<]+)<', page.text)
    assert page.status_code == 200 and key
    with RpcClient(base_url, key.group(1)) as rpc:
        assert rpc.result("idoit.version")["login"]["tenant"] == org.name
    assert key.group(1) not in console.get("/admin/api-keys").text  # shown once


def test_scripts_their_runs_and_each_machines_log(console, admin):
    from tests.scripting.test_scripts_api import ECHO_TASK, make_script

    machine_id = ingest(admin, machine("script-target", Os_Family="Linux"))[0]
    script = make_script(admin, name="Clean temp files", description="removes /tmp/*")
    assert admin.post(f"/api/script/{script['id']}/task", json=ECHO_TASK).status_code == 200
    started = admin.post(f"/api/script/{script['id']}/actions/run", params={"machineIDs": str(machine_id)})
    assert started.status_code == 200, started.text
    run_id = started.json()
    listed = console.get("/scripts")
    assert listed.status_code == 200 and "Clean temp files" in listed.text
    assert f'href="/scripts/runs/{run_id}"' in listed.text
    page = console.get(f"/scripts/{script['id']}").text
    assert "removes /tmp/*" in page and "verify: 1 step(s)" in page
    run = console.get(f"/scripts/runs/{run_id}").text
    assert "script-target" in run and "pending" in run
    log_id = re.search(r'href="/scripts/logs/(\d+)"', run)
    assert log_id
    log = console.get(f"/scripts/logs/{log_id.group(1)}")
    assert log.status_code == 200 and "Clean temp files on" in log.text
    assert console.get("/scripts/runs/2147483647").status_code == 404
    assert "Failed script runs in 7 days" in console.get("/dashboard/attention").text


def test_a_ticket_shows_its_status_queue_people_machine_and_files(console, admin, org):
    machine_id = ingest(admin, machine("desk-printer-host"))[0]
    queue = admin.get("/api/service_desk/queues").json()["Queues"][0]
    created = admin.post("/api/service_desk/tickets", json={"Tickets": [{
        "title": "Toner low", "hd_queue_id": queue["id"], "owner_id": org.admin.id, "machine_id": machine_id}]})
    ticket_id = created.json()["IDs"][0]
    commented = console.submit(f"/tickets/{ticket_id}/comments", {"comment": "Ordered toner."},
                               files={"attachments": ("order.txt", b"toner x2\n", "text/plain")})
    assert commented.status_code == 303, commented.text
    page = console.get(f"/tickets/{ticket_id}").text
    assert 'data-testid="ticket-status">New<' in page
    assert queue["name"] in page
    assert "submitted by Admin Person" in page and "owned by Admin Person" in page
    assert f'<a href="/machines/{machine_id}">desk-printer-host</a>' in page
    assert re.search(r'/attachments/\d+">order\.txt</a>', page)
    listed = console.get("/tickets", params={"q": "title eq Toner low"}).text
    assert re.search(r'<span class="badge \w+">New</span>', listed) and listed.count("Admin Person") == 2
    assert "0000-00-00" not in listed  # no due date is an empty cell


def test_an_object_link_is_saved_from_the_category_form(console, base_url, org, sessions):
    from tests.idoit.conftest import RpcClient, new_key

    rpc = RpcClient(base_url, new_key(sessions, org.id))
    building = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__BUILDING", "title": "Head office"})["id"]
    server = rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "rack-server-07"})["id"]
    path = f"/cmdb/objects/{server}/categories/C__CATG__LOCATION"
    assert 'name="parent"' in console.get(path).text
    saved = console.submit(path, {"parent": str(building), "was__parent": ""})
    assert saved.status_code == 303, saved.text
    entry = rpc.result("cmdb.category.read", {"objID": server, "category": "C__CATG__LOCATION"})[0]
    assert int(entry["parent"]["id"]) == building
    assert "rack-server-07" in console.get("/cmdb/locations", params={"parent": building}).text
    # A link to no object is refused with the attribute's name, and the entry keeps its parent.
    refused = console.submit(path, {"parent": "2147483000", "was__parent": str(building)})
    error = re.search(r'data-testid="form-error">(.*?)</p>', refused.text)
    assert refused.status_code in (400, 404) and error and "parent" in error.group(1), refused.text
    entry = rpc.result("cmdb.category.read", {"objID": server, "category": "C__CATG__LOCATION"})[0]
    assert int(entry["parent"]["id"]) == building
    rpc.close()


def test_managed_installs_are_made_and_followed_from_the_console(console, admin, base_url, org):
    from tests.distribution import helpers as mi
    from tests.web.conftest import ConsoleClient

    linux, windows = mi.machine(admin, mi.LINUX), mi.machine(admin, mi.WINDOWS)
    title = mi.title(version="2.1")
    package = b"#!/bin/sh\necho installing\n"
    form = {"Software.Display_name": title["Display_name"], "Software.Display_version": "2.1",
            "Supported_operating_systems": "Linux", "Full_command_line": "sh setup.sh", "Max_attempt_count": "2",
            "Deploy_window_start": "", "Enabled": "1"}
    listed_before = admin.get(mi.MI, params={"use_count_only": "true"}).json()["Count"]
    # Bad input is the form again with the field named, and nothing is written (not even the file).
    for missing, named in (("Full_command_line", "Full_command_line"),
                           ("Supported_operating_systems", "Supported_operating_systems")):
        refused = console.submit("/managed-installs/new", {**form, missing: ""},
                                 files={"File": ("setup.sh", package, "application/x-sh")})
        error = re.search(r'data-testid="form-error">(.*?)</p>', refused.text, re.S)
        assert refused.status_code == 400 and error and named in error.group(1), refused.text
    assert admin.get(mi.MI, params={"use_count_only": "true"}).json()["Count"] == listed_before
    assert admin.get("/api/mi/files", params={"use_count_only": "true"}).json()["Count"] == 0

    created = console.submit("/managed-installs/new", form, files={"File": ("setup.sh", package, "application/x-sh")})
    assert created.status_code == 303, created.text
    managed_install = int(created.headers["location"].rsplit("/", 1)[-1])
    record = mi.read(admin, managed_install, shaping="mi standard,file standard")
    assert record["Full_command_line"] == "sh setup.sh" and record["Max_attempt_count"] == "2"
    assert record["Enabled"] == "1" and record["File"][0]["Name"] == "setup.sh"
    assert console.get(f"/managed-installs/{managed_install}/file").content == package
    assert title["Display_name"] in console.get("/managed-installs").text

    compatible = console.get(f"/managed-installs/{managed_install}/compatible").text
    assert f'value="{linux}"' in compatible and f'value="{windows}"' not in compatible
    added = console.submit(f"/managed-installs/{managed_install}/machines", {"Machines": str(linux)})
    assert added.status_code == 303, added.text
    assert mi.statuses(admin, linux)[managed_install]["Status"] == "pending"
    page = console.get(f"/managed-installs/{managed_install}").text
    assert f'<a href="/machines/{linux}">' in page and 'data-testid="target-status">pending<' in page
    # An incompatible machine is refused by name; the page says why and nothing changes.
    refused = console.submit(f"/managed-installs/{managed_install}/machines", {"Machines": f"{windows}"})
    assert refused.status_code == 400 and "Machines[0]" in refused.text
    assert managed_install not in mi.statuses(admin, windows)

    removed = console.submit(f"/managed-installs/{managed_install}/remove", {"Machines": str(linux)})
    assert removed.status_code == 303, removed.text
    assert mi.statuses(admin, linux)[managed_install]["Status"] == "removed"
    switched = console.submit(f"/managed-installs/{managed_install}/enabled", {"Enabled": "0"})
    assert switched.status_code == 303 and mi.read(admin, managed_install)["Enabled"] == "0"
    assert "Failed managed installs in 7 days" in console.get("/dashboard/attention").text
    assert console.get("/managed-installs/2147483647").status_code == 404

    with ConsoleClient(base_url=base_url) as readonly:
        readonly.login(org.readonly.login, org.readonly.password)
        shown = readonly.get(f"/managed-installs/{managed_install}")
        assert shown.status_code == 200 and "Remove the chosen machines" not in shown.text
        assert "New managed install" not in readonly.get("/managed-installs").text
        assert readonly.submit(f"/managed-installs/{managed_install}/machines",
                               {"Machines": str(linux)}).status_code == 403
        assert readonly.submit("/managed-installs/new", form).status_code == 403
    deleted = console.submit(f"/managed-installs/{managed_install}/delete")
    assert deleted.status_code == 303 and admin.get(f"{mi.MI}/{managed_install}").status_code == 404


def test_scripts_and_managed_installs_are_the_administrators_in_the_console_as_in_the_api(base_url, org, user):
    """A role that does not see all data reads neither (decisions 0601, 0704): the navigation leaves
    them out and their pages answer 403, as the Scripting and Managed Install APIs do."""
    from tests.web.conftest import ConsoleClient

    assert user.get("/api/scripts").status_code == 403
    assert user.get("/api/mi/managed_installs").status_code == 403
    with ConsoleClient(base_url=base_url) as client:
        client.login(org.user.login, org.user.password)
        home = client.get("/").text
        assert 'href="/machines"' in home
        assert 'href="/scripts"' not in home and 'href="/managed-installs"' not in home
        assert client.get("/scripts").status_code == 403
        assert client.get("/managed-installs").status_code == 403
    with ConsoleClient(base_url=base_url) as staff:
        staff.login(org.admin.login, org.admin.password)
        home = staff.get("/").text
        assert 'href="/scripts"' in home and 'href="/managed-installs"' in home
        assert staff.get("/scripts").status_code == 200
