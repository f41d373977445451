"""`estate demo` and `estate import` against the suite's database, checked through both APIs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from estate.dataload import importer
from tests.idoit.conftest import RpcClient, new_key
from tests.test_cli import Ran, run


def cli(settings, *args: str) -> Ran:
    return run({"ESTATE_DATABASE_URL": settings.database_url, "ESTATE_DATA_DIR": str(settings.data_dir)}, *args)


def machines(admin, **params: str) -> list[dict]:
    answer = admin.get("/api/inventory/machines/", params={"paging": "limit 0", **params})
    assert answer.status_code == 200, answer.text
    return answer.json()["Machines"]


def test_demo_fills_an_organization_with_a_connected_estate(base_url, settings, org, admin, sessions):
    done = cli(settings, "demo", "--org", org.name, "--size", "30")
    assert done.returncode == 0, done.stderr
    assert f"{org.name}: 30 machines" in done.stdout and "tickets" in done.stdout
    assert "Filling" in done.stderr  # the progress bar
    listed = machines(admin, shaping="machine standard,software limited")
    assert len(listed) == 30 and all(machine["Software"] for machine in listed)
    tickets = admin.get("/api/service_desk/tickets/", params={"use_count_only": "true"}).json()
    assert tickets["Count"] >= 10
    types = admin.get("/api/asset/assets/types").json()
    software_type = next(kind["id"] for kind in types["AssetTypes"] if kind["name"] == "Software")
    software = admin.get("/api/asset/assets/", params={"filtering": f"asset_type_id eq {software_type}"}).json()
    software = software["Assets"]
    assert len(software) >= 3
    with RpcClient(base_url, new_key(sessions, org.id)) as rpc:
        servers = rpc.result("cmdb.objects.read", {"filter": {"type": "C__OBJTYPE__SERVER"}})
        assert servers
        location = rpc.result("cmdb.category.read", {"objID": int(servers[0]["id"]), "category": "C__CATG__LOCATION"})
        assert location[0]["parent"]["title"].endswith("Server room")
        found = rpc.result("idoit.search", {"q": listed[0]["Name"]})
        assert found


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_of_a_file_with_bad_rows_names_their_lines_and_writes_nothing(settings, sessions, org, admin,
                                                                           tmp_path):
    bad = write(tmp_path, "machines.csv", "Name,Kuid,Ip,Software\n"
                                          "ws-001,K-1,10.0.0.1,Firefox|7-Zip\n"
                                          "ws-002,K-2,10.0.0.2,\n"
                                          "ws-003,K-1,10.0.0.3,\n"
                                          "ws-004,K-4,10.0.0.4,\n")
    bad.write_text(bad.read_text().replace("ws-002,K-2,10.0.0.2,", "ws-002,K-2,10.0.0.2,,surplus"))
    done = cli(settings, "import", "machines", str(bad), "--org", org.name)
    assert done.returncode == 2
    assert "machines.csv: line 3:" in done.stderr  # the surplus cell
    assert "machines.csv: line 4: Kuid K-1 is already on line 2" in done.stderr
    assert "nothing imported: 2 bad rows" in done.stderr
    assert machines(admin) == []

    good = write(tmp_path, "good.csv", "Name,Kuid,Ip,Software\nws-001,K-1,10.0.0.1,Firefox|7-Zip\nws-002,K-2,,\n")
    summary = importer.run(sessions, organization_id=org.id, kind="machines", path=good)
    assert (summary.rows, summary.created, summary.updated) == (2, 2, 0)
    listed = machines(admin, shaping="machine standard,software limited")
    assert sorted(m["Name"] for m in listed) == ["ws-001", "ws-002"]
    assert {s["Display_name"] for m in listed for s in m["Software"]} == {"Firefox", "7-Zip"}


def test_a_json_import_keeps_machine_identity_by_kuid_and_a_dry_run_writes_nothing(sessions, org, admin, tmp_path):
    records = {"Machines": [{"Name": "laptop-7", "Kuid": "KUID-7", "Os_name": "Ubuntu 24.04"}]}
    path = write(tmp_path, "machines.json", json.dumps(records))
    dry = importer.run(sessions, organization_id=org.id, kind="machines", path=path, dry_run=True)
    assert (dry.created, dry.dry_run) == (1, True) and machines(admin) == []
    importer.run(sessions, organization_id=org.id, kind="machines", path=path)
    records["Machines"][0]["Name"] = "laptop-7-renamed"
    path.write_text(json.dumps(records))
    again = importer.run(sessions, organization_id=org.id, kind="machines", path=path)
    assert (again.created, again.updated) == (0, 1)
    assert [m["Name"] for m in machines(admin)] == ["laptop-7-renamed"]


def test_assets_import_by_type_name_and_field_label(sessions, org, admin, tmp_path):
    path = write(tmp_path, "assets.csv", "name,asset_type,Publisher,Version\nSlack,Software,Slack Inc.,4.38\n"
                                         "Bad one,Spaceship,,\n")
    with pytest.raises(importer.ImportFailed) as failed:
        importer.run(sessions, organization_id=org.id, kind="assets", path=path)
    assert [str(error) for error in failed.value.errors] == ["line 3: asset_type: no asset type named 'Spaceship'"]
    assert admin.get("/api/asset/assets/", params={"filtering": "name eq Slack"}).json()["Assets"] == []
    path.write_text("name,asset_type,Publisher,Version\nSlack,Software,Slack Inc.,4.38\n")
    assert importer.run(sessions, organization_id=org.id, kind="assets", path=path).created == 1
    slack = admin.get("/api/asset/assets/", params={"filtering": "name eq Slack", "shaping": "asset all"})
    assert slack.json()["Assets"][0]["field_10010"] == "Slack Inc."


def test_cmdb_objects_from_an_idoit_csv_export_with_locations(base_url, sessions, org, tmp_path):
    export = ('\ufeff"Title";"Object type";"Location";"CMDB status";"Purpose"\n'
              '"HQ";"Building";"";"in operation";""\n'
              '"HQ Server room";"Room";"HQ";"";""\n'
              '"esx-01";"C__OBJTYPE__SERVER";"HQ Server room";"";"production"\n'
              '"ghost";"Server";"Nowhere";"";""\n')
    path = write(tmp_path, "objects.csv", export)
    with pytest.raises(importer.ImportFailed) as failed:
        importer.run(sessions, organization_id=org.id, kind="cmdb", path=path)
    assert [str(error) for error in failed.value.errors] == ["line 5: Location: no object titled 'Nowhere'"]
    path.write_text(export.rsplit('"ghost"', 1)[0])
    summary = importer.run(sessions, organization_id=org.id, kind="cmdb", path=path)
    assert summary.created == 3 and summary.ignored_columns == ["Purpose"]
    with RpcClient(base_url, new_key(sessions, org.id)) as rpc:
        server = rpc.result("cmdb.objects.read", {"filter": {"title": "esx-01"}})[0]
        location = rpc.result("cmdb.category.read", {"objID": int(server["id"]), "category": "C__CATG__LOCATION"})
        assert location[0]["parent"]["title"] == "HQ Server room"
