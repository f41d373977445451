"""The console's reports area over HTTP: the library by category, a report with its chart and rows,
downloads in every format, a background run, a schedule, a new definition, bad input naming the
field, and the walls of the Reporting API."""

from __future__ import annotations

import csv
import io
import json
import re

from estate.db.engine import make_session_factory
from estate.reporting import runs
from estate.servicedesk.storage import DATA_DIR
from tests.inventory.payloads import ingest, machine
from tests.web.conftest import ConsoleClient


def _report_id(console, title: str) -> int:
    listed = console.get("/reports", params={"q": title})
    found = re.search(rf'href="/reports/(\d+)">{re.escape(title)}</a>', listed.text)
    assert found, listed.text[-2000:]
    return int(found.group(1))


def test_reports_are_listed_shown_and_downloaded(console, admin):
    ingest(admin, machine("report-a", Os_name="Ubuntu 22.04 LTS"), machine("report-b", Os_name="Ubuntu 22.04 LTS"),
           machine("report-c", Os_name="Windows 11"))
    listed = console.get("/reports", params={"category": "Inventory"})
    assert listed.status_code == 200 and "Machines by operating system" in listed.text
    assert "Open tickets by queue" not in listed.text
    report_id = _report_id(console, "Machines by operating system")
    page = console.get(f"/reports/{report_id}")
    assert page.status_code == 200 and "<svg" in page.text
    assert re.search(r"<td>Ubuntu 22.04 LTS</td><td>2</td>", page.text)
    rows = list(csv.reader(io.StringIO(console.get(f"/reports/{report_id}/download", params={"format": "csv"}).text)))
    assert rows == [["Operating system", "Machines"], ["Ubuntu 22.04 LTS", "2"], ["Windows 11", "1"]]
    as_json = json.loads(admin.get(f"/api/reporting/reports/{report_id}/", params={"format": "json"}).text)
    assert as_json["Report"]["rows"] == [["Ubuntu 22.04 LTS", 2], ["Windows 11", 1]]
    for item in ("html", "xlsx", "pdf", "json", "txt"):
        answer = console.get(f"/reports/{report_id}/download", params={"format": item, "locale": "de_DE"})
        assert answer.status_code == 200 and answer.content, item
    bad = console.get(f"/reports/{report_id}/download", params={"format": "docx"})
    assert bad.status_code == 400 and "format" in bad.text
    assert console.get("/reports/2147483647").status_code == 404


def test_background_runs_schedules_and_new_definitions(console, admin, engine, settings):
    report_id = _report_id(console, "All machines")
    assert console.submit(f"/reports/{report_id}/jobs", {"format": "csv"}).status_code == 303
    jobs = console.get("/reports/jobs").text
    job_id = int(re.search(r"<tr><td>(\d+)</td><td>All machines</td><td>csv</td><td>queued", jobs).group(1))
    worker = make_session_factory(engine)  # the report worker, as a server process runs it
    worker.configure(info={DATA_DIR: settings.data_dir, runs.KEEP: settings.report_keep_seconds})
    while runs.work(worker):
        pass
    assert f'href="/reports/jobs/{job_id}/download"' in console.get("/reports/jobs").text
    assert console.get(f"/reports/jobs/{job_id}/download").text.startswith("Name,Operating system")

    refused = console.submit(f"/reports/{report_id}/schedules", {"cron": "every day", "format": "pdf"})
    assert refused.status_code == 400 and "cron" in refused.text
    scheduled = console.submit(f"/reports/{report_id}/schedules", {"cron": "0 6 * * 1-5", "format": "pdf"})
    assert scheduled.status_code == 303
    assert "<code>0 6 * * 1-5</code> pdf" in console.get(f"/reports/{report_id}").text

    document = {"title": "Console made", "category": "Mine", "entity": "machine", "fields": ["Name"]}
    bad = console.submit("/reports/new", {"definition": json.dumps({**document, "fields": ["Colour"]})})
    assert bad.status_code == 400 and "definitionData.fields.0" in bad.text
    made = console.submit("/reports/new", {"definition": json.dumps(document)})
    assert made.status_code == 303
    new_id = int(made.headers["location"].rsplit("/", 1)[1])
    assert admin.get(f"/api/reporting/definitions/{new_id}/").json()["Definitions"][0]["title"] == "Console made"
    assert console.submit(f"/reports/{new_id}/delete").status_code == 303
    assert admin.get(f"/api/reporting/definitions/{new_id}/").status_code == 404


def test_a_standard_user_sees_their_own(base_url, org):
    with ConsoleClient(base_url) as console:
        console.login(org.user.login, org.user.password)
        page = console.get("/reports")
        assert page.status_code == 200 and "New report" not in page.text
        assert console.get("/reports/new").status_code == 403
