"""An inventoried machine follows its device asset through archive, delete, recycle and purge,
whichever face (KACE Asset API or i-doit JSON-RPC) takes the step; a report brings it back."""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import func, select

from estate.assets.models import AssetAttachment, AssetLink
from estate.cmdb.models import CmdbObject
from estate.inventory.models import Machine, MachineNic
from estate.servicedesk import storage
from tests.assets.conftest import field_key, read_asset
from tests.assets.test_attachments import PNG, _multipart
from tests.idoit.conftest import RpcClient, new_key
from tests.inventory.payloads import ingest, machine
from tests.kace_client import KaceClient

MACHINES = "/api/inventory/machines"
ARCHIVED, DELETED, NORMAL = 3, 4, 2



def _report(kace: KaceClient, name: str, **extra: Any) -> int:
    (machine_id,) = ingest(kace, machine(name, Kuid=f"KUID-{name.upper()}", **extra))
    return machine_id


def _device(kace: KaceClient, name: str, **extra: Any) -> tuple[int, int]:
    """A reported machine and the device asset the ingest made for it."""
    machine_id = _report(kace, name, Machine_nics=[{"Nic": "eth0", "Ip": "10.1.2.3"}], **extra)
    found = kace.get("/api/asset/assets/", params={"filtering": f"mapped_id eq {machine_id}"}).json()["Assets"]
    assert len(found) == 1, found
    return machine_id, found[0]["id"]


def _in_inventory(kace: KaceClient, machine_id: int) -> bool:
    """Whether the machine is listed and readable; both answers must agree."""
    listed = kace.get(f"{MACHINES}/").json()["Machines"]
    counted = kace.get(f"{MACHINES}/", params={"use_count_only": "1", "filtering": f"id eq {machine_id}"})
    one = kace.get(f"{MACHINES}/{machine_id}")
    assert one.status_code in (200, 404), one.text
    present = str(machine_id) in {item["Id"] for item in listed}
    assert present == (one.status_code == 200) == (counted.json()["Count"] == 1)
    return present


def _status(rpc: RpcClient, object_id: int) -> int:
    return int(rpc.result("cmdb.object.read", {"id": object_id})["status"])


def _archived_flag(sessions, machine_id: int) -> bool | None:
    with sessions() as db:
        return db.scalar(select(Machine.archived).where(Machine.id == machine_id))


# ------------------------------------------------------------------------------------------ archive


def test_archiving_over_kace_takes_the_machine_out_of_inventory_until_cancelled(admin: KaceClient, rpc, sessions):
    machine_id, asset_id = _device(admin, "arch-kace", Bios_serial_number="SN-ARCH-1", Mac="00:11:22:33:44:55")
    keeper, _ = _device(admin, "arch-keeper")
    assert admin.get(f"/api/asset/archived_devices/{asset_id}").status_code == 404

    response = admin.post(f"/api/asset/assets/{asset_id}/archive/", json={"archive_reason": "sold to staff"})
    assert response.status_code == 200 and response.json() == {"Result": "Success"}
    assert not _in_inventory(admin, machine_id) and _in_inventory(admin, keeper)
    assert _archived_flag(sessions, machine_id) is True
    assert _status(rpc, asset_id) == ARCHIVED
    assert admin.get(f"/api/asset/assets/{asset_id}").status_code == 404
    assert admin.post(f"{MACHINES}/{machine_id}/force/").status_code == 404

    (device,) = admin.get(f"/api/asset/archived_devices/{asset_id}").json()["Assets"]
    assert device["id"] == device["asset_id"] == asset_id and device["name"] == "arch-kace"
    assert device["archive"] == device["archive_reason"] == "sold to staff"
    assert device["mapped_id"] == machine_id
    (kept,) = device["Machine"]
    assert kept["Id"] == str(machine_id) and kept["Name"] == "arch-kace" and kept["Kuid"] == "KUID-ARCH-KACE"
    assert kept["Bios_serial_number"] == "SN-ARCH-1" and kept["Mac"] == "00:11:22:33:44:55"
    assert kept["Last_inventory"][:2] == "20"
    xml = admin.get(f"/api/asset/archived_devices/{asset_id}", headers={"Accept": "application/xml"})
    assert xml.status_code == 200 and f"<asset_id>{asset_id}</asset_id>" in xml.text
    assert "<Kuid>KUID-ARCH-KACE</Kuid>" in xml.text

    assert admin.post(f"/api/asset/assets/{asset_id}/cancel_archive/").status_code == 200
    assert _in_inventory(admin, machine_id) and _archived_flag(sessions, machine_id) is False
    assert _status(rpc, asset_id) == NORMAL and read_asset(admin, asset_id)["archive"] == ""
    assert admin.get(f"/api/asset/archived_devices/{asset_id}").status_code == 404
    # Its inventory came back whole.
    nics = admin.get(f"{MACHINES}/{machine_id}", params={"shaping": "machine limited,machine_nics standard"})
    assert [nic["Nic"] for nic in nics.json()["Machines"][0]["Machine_nics"]] == ["eth0"]


def test_an_archived_machine_is_out_of_a_standard_users_view_too(admin: KaceClient, user: KaceClient, org):
    machine_id, asset_id = _device(admin, "arch-owned", User=org.user.login)
    assert _in_inventory(user, machine_id)
    assert admin.post(f"/api/asset/assets/{asset_id}/archive/", json={}).status_code == 200
    assert not _in_inventory(user, machine_id)


def test_archive_delete_and_recycle_over_idoit_move_the_machine(admin: KaceClient, rpc: RpcClient):
    machine_id, asset_id = _device(admin, "arch-idoit")

    assert rpc.result("cmdb.object.archive", {"object": asset_id})["success"] is True
    assert not _in_inventory(admin, machine_id)
    (device,) = admin.get(f"/api/asset/archived_devices/{asset_id}").json()["Assets"]
    assert device["asset_id"] == asset_id and device["archive_reason"] == ""
    assert device["Machine"][0]["Name"] == "arch-idoit"
    rpc.result("cmdb.object.recycle", {"object": asset_id})
    assert _in_inventory(admin, machine_id)

    rpc.result("cmdb.object.delete", {"id": asset_id, "status": "C__RECORD_STATUS__ARCHIVED"})
    assert not _in_inventory(admin, machine_id) and _status(rpc, asset_id) == ARCHIVED
    # Deleting an archived object: still out of inventory, and no longer an archived device.
    rpc.result("cmdb.object.delete", {"id": asset_id})
    assert not _in_inventory(admin, machine_id) and _status(rpc, asset_id) == DELETED
    assert admin.get(f"/api/asset/archived_devices/{asset_id}").status_code == 404
    rpc.result("cmdb.object.recycle", {"object": asset_id})
    assert _in_inventory(admin, machine_id) and read_asset(admin, asset_id)["mapped_id"] == machine_id


def test_kace_delete_hides_the_machine_and_idoit_recycles_it(admin: KaceClient, rpc: RpcClient):
    machine_id, asset_id = _device(admin, "deleted-kace")
    assert admin.delete(f"/api/asset/assets/{asset_id}").status_code == 200
    assert not _in_inventory(admin, machine_id) and _status(rpc, asset_id) == DELETED
    assert admin.get(f"/api/asset/assets/{asset_id}").status_code == 404
    assert admin.get(f"/api/asset/archived_devices/{asset_id}").status_code == 404
    rpc.result("cmdb.object.recycle", {"object": asset_id})
    assert _in_inventory(admin, machine_id) and read_asset(admin, asset_id)["name"] == "deleted-kace"


# --------------------------------------------------------------------------------------- re-report


def test_a_report_of_an_archived_machine_brings_it_and_its_asset_back(admin: KaceClient, rpc: RpcClient):
    machine_id, asset_id = _device(admin, "comes-back")
    assert admin.post(f"/api/asset/assets/{asset_id}/archive/", json={"archiveReason": "lost"}).status_code == 200
    assert not _in_inventory(admin, machine_id)

    assert _report(admin, "comes-back", Ip="10.9.9.9") == machine_id
    assert _in_inventory(admin, machine_id)
    assert admin.get(f"{MACHINES}/{machine_id}").json()["Machines"][0]["Ip"] == "10.9.9.9"
    record = read_asset(admin, asset_id)
    assert record["archive"] == "" and record["mapped_id"] == machine_id
    assert _status(rpc, asset_id) == NORMAL
    assert admin.get(f"/api/asset/archived_devices/{asset_id}").status_code == 404
    # Still one asset for the machine, and the logbook says who brought it back.
    found = admin.get("/api/asset/assets/", params={"filtering": f"mapped_id eq {machine_id}"}).json()["Assets"]
    assert [item["id"] for item in found] == [asset_id]
    entries = rpc.result("cmdb.logbook.read", {"object_id": asset_id})
    back = {"from": ARCHIVED, "to": NORMAL}
    recycled = [entry for entry in entries if entry["changes"].get("object::status") == back]
    assert [entry["username"] for entry in recycled] == ["inventory"], entries


def test_a_report_of_a_deleted_device_and_an_update_by_id_bring_it_back(admin: KaceClient, rpc: RpcClient):
    machine_id, asset_id = _device(admin, "deleted-returns")
    assert admin.delete(f"/api/asset/assets/{asset_id}").status_code == 200
    assert _report(admin, "deleted-returns") == machine_id
    assert _in_inventory(admin, machine_id) and _status(rpc, asset_id) == NORMAL

    assert admin.post(f"/api/asset/assets/{asset_id}/archive/", json={}).status_code == 200
    response = admin.put(f"{MACHINES}/{machine_id}", json={"Machines": [{"Notes": "seen again"}]})
    assert response.status_code == 200, response.text
    assert _in_inventory(admin, machine_id) and _status(rpc, asset_id) == NORMAL


# ------------------------------------------------------------------------------------------- purge


def _rows_of(sessions, machine_id: int, asset_id: int) -> dict[str, int]:
    with sessions() as db:
        return {
            "machines": db.scalar(select(func.count()).select_from(Machine).where(Machine.id == machine_id)),
            "nics": db.scalar(select(func.count()).select_from(MachineNic).where(MachineNic.machine_id == machine_id)),
            "objects": db.scalar(select(func.count()).select_from(CmdbObject).where(CmdbObject.id == asset_id)),
            "links": db.scalar(select(func.count()).select_from(AssetLink).where(AssetLink.object_id == asset_id)),
        }


@pytest.mark.parametrize("how", ["purge", "delete"])
def test_purge_removes_the_machine_with_its_rows(admin: KaceClient, rpc: RpcClient, sessions, how: str):
    machine_id, asset_id = _device(admin, f"purged-{how}")
    assert _rows_of(sessions, machine_id, asset_id) == {"machines": 1, "nics": 1, "objects": 1, "links": 1}
    if how == "purge":
        rpc.result("cmdb.object.purge", {"object": asset_id})
    else:
        rpc.result("cmdb.object.delete", {"id": asset_id, "status": "C__RECORD_STATUS__PURGE"})
    assert _rows_of(sessions, machine_id, asset_id) == {"machines": 0, "nics": 0, "objects": 0, "links": 0}
    assert admin.get(f"{MACHINES}/{machine_id}").status_code == 404
    assert admin.get(f"/api/asset/assets/{asset_id}").status_code == 404

    # The agent reports again: a new machine (SQLite may hand it the freed id) with a new device asset.
    again = _report(admin, f"purged-{how}")
    assert _in_inventory(admin, again)
    (found,) = admin.get("/api/asset/assets/", params={"filtering": f"mapped_id eq {again}"}).json()["Assets"]
    assert found["name"] == f"purged-{how}" and found["archive"] == ""
    assert _rows_of(sessions, again, found["id"]) == {"machines": 1, "nics": 0, "objects": 1, "links": 1}


def test_purging_a_deleted_device_removes_it_too(admin: KaceClient, rpc: RpcClient, sessions):
    machine_id, asset_id = _device(admin, "deleted-then-purged")
    assert admin.delete(f"/api/asset/assets/{asset_id}").status_code == 200
    rpc.result("cmdb.object.purge", {"object": asset_id})
    assert _rows_of(sessions, machine_id, asset_id) == {"machines": 0, "nics": 0, "objects": 0, "links": 0}


def test_purge_removes_the_attachment_files_after_commit(admin: KaceClient, rpc: RpcClient, types, sessions,
                                                         settings):
    computer = types["Device"]
    warranty, photo = field_key(computer, "Warranty Document"), field_key(computer, "Photo")
    machine_id, asset_id = _device(admin, "with-files")
    photo_bytes = os.urandom(3000)
    response = _multipart(admin, "PUT", f"/api/asset/assets/{asset_id}",
                          [{warranty: {"attachmentSet": "W"}, photo: {"attachmentSet": "P"}}],
                          {"W": ("warranty.png", PNG, "image/png"), "P": ("photo.bin", photo_bytes, "x/y")})
    assert response.status_code == 200, response.text
    with sessions() as db:
        keys = list(db.scalars(select(AssetAttachment.storage_key).where(AssetAttachment.object_id == asset_id)))
    paths = [storage.path_of(settings.data_dir, key) for key in keys]
    assert len(paths) == 2 and all(path.is_file() for path in paths)
    assert admin.get(f"/api/asset/assets/{asset_id}/attachment/{photo}").content == photo_bytes

    rpc.result("cmdb.object.purge", {"object": asset_id})
    assert not any(path.exists() for path in paths)
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(AssetAttachment)
                         .where(AssetAttachment.object_id == asset_id)) == 0
    assert _rows_of(sessions, machine_id, asset_id)["machines"] == 0


def test_an_asset_without_a_machine_purges_with_its_files(admin: KaceClient, rpc: RpcClient, types, settings,
                                                          sessions):
    warranty = field_key(types["Device"], "Warranty Document")
    response = _multipart(admin, "POST", "/api/asset/assets", [{
        "asset_type_id": types["Device"]["id"], "name": "no-machine", warranty: {"attachmentSet": "F"}}],
        {"F": ("w.png", PNG, "image/png")})
    asset_id = response.json()["IDs"][0]
    with sessions() as db:
        key = db.scalar(select(AssetAttachment.storage_key).where(AssetAttachment.object_id == asset_id))
    path = storage.path_of(settings.data_dir, key)
    machine_count = len(admin.get(f"{MACHINES}/").json()["Machines"])
    rpc.result("cmdb.object.purge", {"object": asset_id})
    assert not path.exists() and len(admin.get(f"{MACHINES}/").json()["Machines"]) == machine_count


# --------------------------------------------------------------------------------------- bad input


def test_refused_steps_are_clear_and_change_nothing(admin: KaceClient, rpc: RpcClient, sessions):
    machine_id, asset_id = _device(admin, "refusals")
    response = admin.post(f"/api/asset/assets/{asset_id}/archive/", json={"archive_reason": 5})
    assert response.status_code == 400 and "archive_reason" in response.text
    assert _in_inventory(admin, machine_id) and _status(rpc, asset_id) == NORMAL
    response = admin.post(f"/api/asset/assets/{asset_id}/cancel_archive/")
    assert response.status_code == 404 and "not archived" in response.text

    assert admin.post(f"/api/asset/assets/{asset_id}/archive/", json={"archive_reason": "first"}).status_code == 200
    response = admin.post(f"/api/asset/assets/{asset_id}/archive/", json={"archive_reason": "second"})
    assert response.status_code == 404 and "is archived" in response.text, response.text
    assert admin.get(f"/api/asset/archived_devices/{asset_id}").json()["Assets"][0]["archive_reason"] == "first"
    error = rpc.error("cmdb.object.archive", {"object": asset_id})
    assert "archived" in error["message"]
    assert not _in_inventory(admin, machine_id) and _archived_flag(sessions, machine_id) is True

    for path in ("/api/asset/assets/999999/archive/", "/api/asset/assets/999999/cancel_archive/"):
        response = admin.post(path, json={})
        assert response.status_code == 404 and "999999" in response.text
    assert admin.delete("/api/asset/assets/999999").status_code == 404
    assert admin.get("/api/asset/archived_devices/999999").status_code == 404
    assert admin.get(f"/api/asset/archived_devices/{2**31}").status_code in (400, 404, 422)
    assert "error" in rpc.call("cmdb.object.purge", {"object": 999999})
    assert _rows_of(sessions, machine_id, asset_id) == {"machines": 1, "nics": 1, "objects": 1, "links": 1}


def test_another_organization_cannot_touch_the_device(admin: KaceClient, rpc: RpcClient, base_url, other_org,
                                                      sessions):
    machine_id, asset_id = _device(admin, "walled-device")
    with KaceClient(base_url) as other:
        other.login(other_org.admin.login, other_org.admin.password)
        assert other.post(f"/api/asset/assets/{asset_id}/archive/", json={}).status_code == 404
        assert other.delete(f"/api/asset/assets/{asset_id}").status_code == 404
    with RpcClient(base_url, new_key(sessions, other_org.id)) as other_rpc:
        assert "error" in other_rpc.call("cmdb.object.purge", {"object": asset_id})
        assert "error" in other_rpc.call("cmdb.object.archive", {"object": asset_id})
    assert admin.post(f"/api/asset/assets/{asset_id}/archive/", json={}).status_code == 200
    with KaceClient(base_url) as other:
        other.login(other_org.admin.login, other_org.admin.password)
        assert other.get(f"/api/asset/archived_devices/{asset_id}").status_code == 404
    assert _rows_of(sessions, machine_id, asset_id)["machines"] == 1


def test_a_machine_deleted_from_the_database_leaves_its_asset_unmapped(admin: KaceClient, sessions):
    machine_id, asset_id = _device(admin, "fk-set-null")
    with sessions.begin() as db:
        db.execute(Machine.__table__.delete().where(Machine.id == machine_id))
    with sessions() as db:
        assert db.scalar(select(AssetLink.mapped_id).where(AssetLink.object_id == asset_id)) is None
    assert read_asset(admin, asset_id)["mapped_id"] == 0
