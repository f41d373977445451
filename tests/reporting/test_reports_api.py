"""The Reporting API over HTTP: the stock library, every format parsed back and compared with the
same definition's json rows, DistinctField, merges, linked appliances, bad definitions, org walls."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pypdf
from babel.dates import format_datetime

from tests.assets.conftest import create_asset, field_key, stock_types
from tests.kace_client import KaceClient
from tests.reporting.conftest import DEFINITIONS, REPORTS, definition_ids, json_report
from tests.test_cli import run

SOFTWARE_BY_MACHINE = {
    "title": "Software on each machine", "entity": "machine",
    "fields": ["Name", {"field": "Software.Display_name", "title": "Title"}, {"field": "Created", "title": "Added"}],
    "sorting": "Name,software.Display_name",
}


def by_definition(client: KaceClient, definition: dict[str, Any], **params: Any) -> Any:
    return client.get(f"{REPORTS}GetByDefinition/", params={"definitionData": json.dumps(definition), **params})


def test_every_stock_report_runs(admin: KaceClient, fleet: list[int]) -> None:
    answer = admin.get(DEFINITIONS)
    assert answer.status_code == 200
    body = answer.json()
    assert body["Count"] >= 40 and len(body["Definitions"]) == min(body["Count"], 50)
    ids = definition_ids(admin)
    assert len(ids) == body["Count"]
    categories = {item["category"] for item in body["Definitions"]}
    assert {"Inventory", "Hardware"} <= categories
    for name, report_id in ids.items():
        report = json_report(admin, report_id)
        assert report["name"] == name and report["Count"] == len(report["rows"])
        assert all(len(row) == len(report["columns"]) for row in report["rows"])
    by_os = json_report(admin, "machines_by_os")
    assert by_os["columns"] == ["Operating system", "Machines"]
    assert by_os["rows"][0] == ["Microsoft Windows 11 Pro x64", 2]
    titles = {row[0]: row[1] for row in json_report(admin, "software_titles")["rows"]}
    assert titles["Microsoft Word"] == 2 and titles["Excel"] == 1


def test_definitions_by_id_name_and_query_language(admin: KaceClient) -> None:
    ids = definition_ids(admin)
    by_id = admin.get(f"{DEFINITIONS}{ids['low_disk_space']}/").json()
    by_name = admin.get(f"{DEFINITIONS}low_disk_space/").json()
    assert by_id == by_name and by_id["Count"] == 1
    item = by_id["Definitions"][0]
    assert item["title"] == "Low disk space" and json.loads(item["definitionData"])["entity"] == "machine"
    inventory = admin.get(DEFINITIONS, params={"filtering": "category eq Service desk", "sorting": "name",
                                               "paging": "limit 3"}).json()
    assert inventory["Count"] >= 10 and len(inventory["Definitions"]) == 3
    assert [d["name"] for d in inventory["Definitions"]] == sorted(d["name"] for d in inventory["Definitions"])
    assert admin.get(DEFINITIONS, params={"filtering": "colour eq red"}).json()["field"] == "filtering"
    assert admin.get(f"{DEFINITIONS}no_such_report/").status_code == 404
    for path in ("definitions", "reports", "merges", "linked_appliances"):
        version = admin.get(f"/api/reporting/{path}/version/")
        assert version.status_code == 200 and version.json().isdigit()


def test_distinct_field(admin: KaceClient) -> None:
    answer = admin.get(f"{DEFINITIONS}DistinctField/", params={"field": "category"})
    assert answer.status_code == 200
    values = answer.json()["Values"]
    assert values == sorted(set(values)) and {"Inventory", "Service desk", "Assets", "Software"} <= set(values)
    assert answer.json()["Count"] == len(values)
    narrowed = admin.get(f"{DEFINITIONS}DistinctField/", params={"field": "entity", "filtering": "category eq Assets"})
    assert narrowed.json()["Values"] == ["asset", "license_use", "machine"]
    for field in ("definitionData", "nonsense"):
        bad = admin.get(f"{DEFINITIONS}DistinctField/", params={"field": field})
        assert bad.status_code == 400 and bad.json()["field"] == "field"
    assert admin.get(f"{DEFINITIONS}DistinctField/").json()["field"] == "field"


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def _shown(row: list[Any], locale: str) -> list[str]:
    return [format_datetime(_moment(value), format="short", locale=locale) if index == 2 else str(value)
            for index, value in enumerate(row)]


def test_every_format_has_the_json_rows(admin: KaceClient, fleet: list[int]) -> None:
    reference = by_definition(admin, SOFTWARE_BY_MACHINE, format="json").json()["Report"]
    rows = reference["rows"]
    assert [row[:2] for row in rows][:3] == [["alpha-ws", "Excel"], ["alpha-ws", "Microsoft Word"],
                                             ["beta-ws", "Microsoft Word"]]
    assert len(rows) == 5 and reference["columns"] == ["Name", "Title", "Added"]

    answer = by_definition(admin, SOFTWARE_BY_MACHINE, format="csv")
    assert answer.headers["content-type"].startswith("text/csv") and b"\r\n" in answer.content
    parsed = list(csv.reader(io.StringIO(answer.content.decode("utf-8"), newline="")))
    assert parsed == [reference["columns"], *[[str(value) for value in row] for row in rows]]

    answer = by_definition(admin, SOFTWARE_BY_MACHINE, format="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == reference["columns"]
    assert [[row[0], row[1], row[2].strftime("%Y-%m-%d %H:%M:%S")] for row in values[1:]] == rows

    for locale in ("en_US", "de_DE"):
        answer = by_definition(admin, SOFTWARE_BY_MACHINE, format="html", locale=locale)
        assert answer.headers["content-type"].startswith("text/html")
        cells = _Cells()
        cells.feed(answer.text)
        assert cells.rows == [reference["columns"], *[_shown(row, locale) for row in rows]]
    assert "<script" not in answer.text and "http" not in answer.text.replace('xmlns="http://www.w3.org', "")

    answer = by_definition(admin, SOFTWARE_BY_MACHINE, format="pdf")
    assert answer.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(answer.content)).pages)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    start = lines.index("Name")
    cells = [*reference["columns"], *[" ".join(cell.split()) for row in rows for cell in _shown(row, "en_US")]]
    assert lines[start:start + len(cells)] == cells

    answer = by_definition(admin, SOFTWARE_BY_MACHINE, format="txt")
    lines = answer.text.splitlines()
    table = [line.split("  ") for line in lines[4:4 + 2 + len(rows)]]
    cleaned = [[cell.strip() for cell in line if cell.strip()] for line in table]
    assert cleaned[0] == reference["columns"]
    assert cleaned[2:] == [_shown(row, "en_US") for row in rows]
    assert "5 rows" in lines[-1]


def test_html_chart_and_locale_numbers(admin: KaceClient, fleet: list[int]) -> None:
    page = admin.get(f"{REPORTS}machines_by_os/", params={"locale": "de-DE"})
    assert page.status_code == 200 and page.text.startswith("<!DOCTYPE html>") and '<html lang="de">' in page.text
    assert "<svg" in page.text and "Microsoft Windows 11 Pro x64</text>" in page.text
    assert "<svg" not in admin.get(f"{REPORTS}machines/").text
    assert admin.get(f"{REPORTS}machines/", params={"locale": "xx_QQ"}).json()["field"] == "locale"
    assert admin.get(f"{REPORTS}machines/", params={"format": "docx"}).json()["field"] == "format"
    big = {"title": "Counts", "entity": "machine", "fields": ["Name"], "grouping": {"by": ["Name"], "count": "N"}}
    german = by_definition(admin, big, format="txt", locale="de_DE").text
    assert german.splitlines()[-1] == "4 rows"


def test_bad_definition_data_names_the_field(admin: KaceClient, fleet: list[int]) -> None:
    cases = [
        ("{not json", "definitionData"),
        (json.dumps({"entity": "machine", "fields": ["Name"]}), "definitionData.title"),
        (json.dumps({**SOFTWARE_BY_MACHINE, "fields": []}), "definitionData.fields"),
        (json.dumps({**SOFTWARE_BY_MACHINE, "entity": "spaceships"}), "definitionData.entity"),
        (json.dumps({**SOFTWARE_BY_MACHINE, "fields": ["Name", "Colour"]}), "definitionData.fields.1"),
        (json.dumps({**SOFTWARE_BY_MACHINE, "fields": ["Software.Colour"]}), "definitionData.fields.0"),
        (json.dumps({**SOFTWARE_BY_MACHINE, "filtering": "Name zz 3"}), "definitionData.filtering"),
        (json.dumps({**SOFTWARE_BY_MACHINE, "filtering": "Colour eq 3"}), "definitionData.filtering"),
        (json.dumps({**SOFTWARE_BY_MACHINE, "sorting": "Name sideways"}), "definitionData.sorting"),
        (json.dumps({**SOFTWARE_BY_MACHINE, "limit": 0}), "definitionData.limit"),
        (json.dumps({**SOFTWARE_BY_MACHINE, "chart": {"type": "donut", "label": "a", "value": "b"}}),
         "definitionData.chart.type"),
        (json.dumps({**SOFTWARE_BY_MACHINE, "fields": ["Software.Display_name", "Process.Name"]}),
         "definitionData.fields"),
        (json.dumps([1, 2]), "definitionData"),
    ]
    for data, field in cases:
        answer = admin.get(f"{REPORTS}GetByDefinition/", params={"definitionData": data, "format": "csv"})
        assert answer.status_code == 400, (data, answer.text)
        assert answer.json()["field"] == field, (data, answer.json())
    assert admin.get(f"{REPORTS}GetByDefinition/").json()["field"] == "definitionData"


def test_merges(admin: KaceClient, fleet: list[int]) -> None:
    ids = definition_ids(admin)
    reports = [ids["machines_by_os"], "hardware_models", {"id": ids["software_titles"]}, SOFTWARE_BY_MACHINE]
    merged = admin.post("/api/reporting/merges/", params={"format": "json"}, json=reports)
    assert merged.status_code == 200, merged.text
    parts = merged.json()["Reports"]
    assert [part["title"] for part in parts] == ["Machines by operating system", "Hardware models",
                                                "Software titles with install counts", "Software on each machine"]
    assert parts[0]["rows"] == json_report(admin, "machines_by_os")["rows"]
    assert parts[3]["rows"] == by_definition(admin, SOFTWARE_BY_MACHINE, format="json").json()["Report"]["rows"]
    page = admin.post("/api/reporting/merges/", json={"reportData": reports}).text
    assert page.count("<section>") == 4 and page.count("<svg") == 3
    book = openpyxl.load_workbook(io.BytesIO(admin.post("/api/reporting/merges/", params={"format": "xlsx"},
                                                        json=reports).content))
    assert len(book.sheetnames) == 4
    as_parameter = admin.post("/api/reporting/merges/", params={"format": "csv", "reportData": json.dumps(reports[:2])})
    assert as_parameter.status_code == 200 and as_parameter.text.startswith("Machines by operating system\r\n")
    for body, field in (([], "reportData"), ([True], "reportData.0"), (["no_such"], "reportData.0"),
                        ([{"title": "x"}], "reportData.0.entity")):
        answer = admin.post("/api/reporting/merges/", json=body)
        assert answer.status_code in (400, 404) and answer.json()["field"] == field, answer.text


def test_linked_appliances_none(admin: KaceClient) -> None:
    assert admin.get("/api/reporting/linked_appliances/").json() == {"Count": 0, "LinkedAppliances": []}
    missing = admin.get("/api/reporting/linked_appliances/1/")
    assert missing.status_code == 404 and missing.json()["field"] == "id"


def test_organizations_are_walls(admin: KaceClient, user: KaceClient, base_url: str, other_org: Any,
                                 org: Any, fleet: list[int]) -> None:
    ids = definition_ids(admin)
    with KaceClient(base_url) as stranger:
        stranger.login(other_org.admin.login, other_org.admin.password)
        theirs = definition_ids(stranger)
        assert set(theirs) == set(ids) and not set(theirs.values()) & set(ids.values())
        assert stranger.get(f"{DEFINITIONS}{ids['machines']}/").status_code == 404
        assert stranger.get(f"{REPORTS}{ids['machines']}/").status_code == 404
        assert json_report(stranger, "machines")["rows"] == []
        handle = admin.get(f"{REPORTS}machines/", params={"async": "true"}).json()["uniqueID"]
        assert stranger.get(f"{REPORTS}async/{handle}/").status_code == 404
        assert stranger.put(f"{REPORTS}cancel/{handle}/").status_code == 404
        created = admin.post(DEFINITIONS, json={**SOFTWARE_BY_MACHINE, "name": "mine_only"})
        assert created.status_code == 200
        assert stranger.get(f"{DEFINITIONS}mine_only/").status_code == 404
        assert stranger.put(f"{DEFINITIONS}mine_only/", json=SOFTWARE_BY_MACHINE).status_code == 404
    assert admin.get(DEFINITIONS, params={"orgID": org.id}).status_code == 200
    assert admin.get(DEFINITIONS, params={"orgID": other_org.id}).json()["field"] == "orgID"
    # A standard user's report holds what the user may see: none of these machines is theirs.
    assert len(json_report(admin, "machines")["rows"]) == 4
    assert json_report(user, "machines")["rows"] == []
    assert user.get(f"{REPORTS}async/{handle}/").status_code == 404


def test_administrators_write_their_own_definitions(admin: KaceClient, readonly: KaceClient,
                                                    fleet: list[int]) -> None:
    created = admin.post(DEFINITIONS, json={"definitionData": json.dumps({**SOFTWARE_BY_MACHINE,
                                                                           "category": "Mine"})})
    assert created.status_code == 200, created.text
    item = created.json()
    assert item["name"] == "software_on_each_machine" and item["stock"] is False
    assert json_report(admin, item["id"])["rows"] == json_report(admin, item["name"])["rows"]
    assert admin.post(DEFINITIONS, json=SOFTWARE_BY_MACHINE).json()["field"] == "definitionData.name"
    unknown = admin.post(DEFINITIONS, json={**SOFTWARE_BY_MACHINE, "name": "x", "fields": ["Colour"]})
    assert unknown.status_code == 400 and unknown.json()["field"] == "definitionData.fields.0"
    changed = admin.put(f"{DEFINITIONS}{item['id']}/", json={**SOFTWARE_BY_MACHINE, "title": "Renamed",
                                                             "filtering": "Name eq beta-ws"})
    assert changed.status_code == 200 and changed.json()["name"] == item["name"]
    assert json_report(admin, item["id"])["rows"][0][:2] == ["beta-ws", "Microsoft Word"]
    assert "Mine" not in admin.get(f"{DEFINITIONS}DistinctField/", params={"field": "category"}).json()["Values"]
    assert readonly.post(DEFINITIONS, json=SOFTWARE_BY_MACHINE).status_code == 403
    assert admin.put(f"{DEFINITIONS}{item['id']}/", json={"title": "x"}).json()["field"] == "definitionData.entity"
    assert admin.delete(f"{DEFINITIONS}{item['id']}/").status_code == 200
    assert admin.get(f"{REPORTS}{item['id']}/").status_code == 404


def test_the_command_line_writes_and_runs_definitions(tmp_path: Any) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ESTATE_")}
    env |= {"ESTATE_TEST_CHEAP_PASSWORD_HASHES": "1", "ESTATE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    assert run(env, "migrate").returncode == 0
    assert run(env, "org", "create", "Reporting").returncode == 0
    listed = run(env, "report", "list", "--org", "Reporting").stdout.splitlines()
    assert len(listed) >= 40 and any("\tmachines_by_os\tInventory\t" in line for line in listed)
    document = tmp_path / "mine.json"
    document.write_text(json.dumps({**SOFTWARE_BY_MACHINE, "name": "mine"}))
    assert "added" in run(env, "report", "add", str(document), "--org", "Reporting").stdout
    assert json.loads(run(env, "report", "show", "mine", "--org", "Reporting").stdout)["title"] == \
        "Software on each machine"
    document.write_text(json.dumps({**SOFTWARE_BY_MACHINE, "title": "Changed"}))
    assert run(env, "report", "change", "mine", str(document), "--org", "Reporting").returncode == 0
    out = tmp_path / "mine.csv"
    ran = run(env, "report", "run", "mine", "--org", "Reporting", "--format", "csv", "--output", str(out))
    assert ran.returncode == 0
    assert out.read_bytes() == b"Name,Title,Added\r\n"
    assert "0 rows" in run(env, "report", "run", "machines", "--org", "Reporting").stdout
    bad = run(env, "report", "run", "mine", "--org", "Reporting", "--format", "docx")
    assert bad.returncode == 2 and "format" in bad.stderr
    assert run(env, "report", "remove", "mine", "--org", "Reporting").returncode == 0
    assert run(env, "report", "show", "mine", "--org", "Reporting").returncode == 2


def test_scripting_reports(admin: KaceClient, user: KaceClient, fleet: list[int]) -> None:
    script = admin.post("/api/script", json={"name": "Inventory now", "type": "online", "tasks": [{
        "attempts": 1, "onFailure": "break", "verify": [{"id": 5, "params": {"command": "true"}}]}]}).json()
    run_id = admin.post(f"/api/script/{script['id']}/actions/run", params={"machineIDs": f"{fleet[0]},{fleet[1]}"})
    assert run_id.status_code == 200, run_id.text
    pending = json_report(admin, "scripts_pending")
    assert sorted(row[:3] for row in pending["rows"]) == [["Inventory now", "alpha-ws", "pending"],
                                                         ["Inventory now", "beta-ws", "pending"]]
    assert json_report(admin, "script_results_by_status")["rows"] == [["Inventory now", "pending", 2]]
    assert json_report(admin, "script_failures")["rows"] == []
    assert json_report(user, "scripts_pending")["rows"] == []


def test_license_seats_against_installs(admin: KaceClient, fleet: list[int]) -> None:
    types = stock_types(admin)
    seats, covered = field_key(types["License"], "Seats"), field_key(types["License"], "Software")
    word = create_asset(admin, asset_type_id=types["Software"]["id"], name="Microsoft Word")
    excel = create_asset(admin, asset_type_id=types["Software"]["id"], name="Excel")
    create_asset(admin, asset_type_id=types["License"]["id"], name="Word volume", **{seats: 1, covered: word})
    create_asset(admin, asset_type_id=types["License"]["id"], name="Excel pack", **{seats: 5, covered: excel})
    use = json_report(admin, "license_use")
    assert use["columns"][:5] == ["License", "Software", "Seats", "Installs", "Free seats"]
    assert [row[:5] for row in use["rows"]] == [["Excel pack", "Excel", 5, 1, 4],
                                                ["Word volume", "Microsoft Word", 1, 2, -1]]
    assert [row[0] for row in json_report(admin, "licenses_over_used")["rows"]] == ["Word volume"]
