"""Attributes that point at other records take only records of the caller's organization that
exist where the attribute points: other category entries, and dependent dialog values under the
parent value given with them. A refused call writes nothing."""

from __future__ import annotations

from tests.idoit.test_categories import read, save
from tests.idoit.test_objects import new_object


def test_an_entry_reference_names_an_entry_of_its_category_in_the_organization(rpc, other_rpc):
    server = new_object(rpc, "storage host")
    raid = save(rpc, server, "C__CATG__RAID", {"title": "RAID 5 array"})["entry"]
    drive = save(rpc, server, "C__CATG__DRIVE", {"mount_point": "/data", "raid": raid})["entry"]
    assert read(rpc, server, "C__CATG__DRIVE", entry=drive)[0]["raid"] == str(raid)

    theirs = new_object(other_rpc, "their host")
    their_raid = save(other_rpc, theirs, "C__CATG__RAID", {"title": "their array"})["entry"]
    for wrong in (999_999_999, their_raid, drive):  # unknown, another organization's, another category's
        error = rpc.error("cmdb.category.save", {"object": server, "category": "C__CATG__DRIVE",
                                                 "data": {"mount_point": "/backup", "raid": wrong}})
        assert error["code"] == -32602 and error["data"]["parameter"] == "data.raid", (wrong, error)
    error = rpc.error("cmdb.category.save", {"object": server, "category": "C__CATG__DRIVE", "entry": drive,
                                             "data": {"raid": their_raid}})
    assert error["data"]["parameter"] == "data.raid"
    assert [row["mount_point"] for row in read(rpc, server, "C__CATG__DRIVE")] == ["/data"]
    assert read(rpc, server, "C__CATG__DRIVE")[0]["raid"] == str(raid)


def test_a_dependent_dialog_value_given_by_id_belongs_to_its_parent_value(rpc):
    first, second = new_object(rpc, "first"), new_object(rpc, "second")
    save(rpc, first, "C__CATG__MODEL", {"manufacturer": "Lenovo", "title": "ThinkSystem SR650"})
    lenovo_model = read(rpc, first, "C__CATG__MODEL")[0]["title"]["id"]
    error = rpc.error("cmdb.category.save", {"object": second, "category": "C__CATG__MODEL",
                                             "data": {"manufacturer": "HP", "title": int(lenovo_model)}})
    assert error["code"] == -32602 and error["data"]["parameter"] == "data.title"
    assert read(rpc, second, "C__CATG__MODEL") == []
    save(rpc, second, "C__CATG__MODEL", {"manufacturer": "Lenovo", "title": int(lenovo_model)})
    assert read(rpc, second, "C__CATG__MODEL")[0]["title"]["title"] == "ThinkSystem SR650"
