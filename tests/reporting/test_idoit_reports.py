"""cmdb.reports.read lists the same definitions the Reporting API lists, and runs them through the
same engine: a report's rows are the json rows, keyed by column title."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tests.factories import OrgFixture
from tests.idoit.conftest import RpcClient, new_key
from tests.kace_client import KaceClient
from tests.reporting.conftest import DEFINITIONS, json_report


def test_both_faces_share_the_definitions_and_rows(admin: KaceClient, base_url: str, org: OrgFixture,
                                                  other_org: OrgFixture, sessions: sessionmaker[Session],
                                                  fleet: list[int]) -> None:
    with RpcClient(base_url, new_key(sessions, org.id)) as rpc:
        listed = rpc.result("cmdb.reports.read")
        kace = admin.get(DEFINITIONS, params={"paging": "limit ALL"}).json()["Definitions"]
        assert [(int(item["id"]), item["title"], item["category"]) for item in listed] == [
            (item["id"], item["title"], item["category"]) for item in kace]
        assert all(set(item) == {"id", "title", "category", "description", "created"} for item in listed)
        by_title = {item["title"]: item["id"] for item in listed}

        rows = rpc.result("cmdb.reports", {"id": by_title["Software titles with install counts"]})
        report = json_report(admin, "software_titles")
        assert rows == [{column: str(value) for column, value in zip(report["columns"], row, strict=True)}
                        for row in report["rows"]]
        assert rows[0] == {"Title": "Microsoft Word", "Installs": "2"}
        page = rpc.result("cmdb.reports", {"id": by_title["Software titles with install counts"], "limit": 2,
                                           "offset": 1})
        assert page == rows[1:3]

        rpc.result("cmdb.object.create", {"type": "C__OBJTYPE__SERVER", "title": "report-server"})
        servers = rpc.result("cmdb.reports", {"id": by_title["All servers"]})
        assert {"Title": "report-server", "CMDB status": "in operation"} in servers
        changed = rpc.result("cmdb.reports", {"id": by_title["Changed objects from today"]})
        assert changed[0]["Title"] == "report-server" and changed[0]["Object type"] == "Server"
        own_report: Any = by_title["All servers"]

    with RpcClient(base_url, new_key(sessions, other_org.id)) as stranger:
        assert stranger.error("cmdb.reports", {"id": own_report})["code"] == -32099
        assert "report-server" not in str(stranger.result("cmdb.reports", {
            "id": {item["title"]: item["id"] for item in stranger.result("cmdb.reports.read")}["All servers"]}))
