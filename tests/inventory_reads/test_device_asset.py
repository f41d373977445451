"""The `asset` sub-entity of machines: the device asset every ingest gives a machine (its asset
link's mapped_id is the machine), shaped, filtered on and walled like every other sub-entity."""

from __future__ import annotations

from tests.inventory_reads.fleet import machine, store
from tests.kace_client import KaceClient

MACHINES = "/api/inventory/machines/"
ASSETS = "/api/asset/assets/"


def _device_asset(client, machine_id: int) -> dict:
    body = client.get(ASSETS, params={"filtering": f"mapped_id eq {machine_id}", "shaping": "asset standard"}).json()
    (asset,) = body["Assets"]
    return asset


def test_each_machine_nests_its_device_asset(admin, fleet):
    alpha_asset = _device_asset(admin, fleet.alpha)
    body = admin.get(
        MACHINES,
        params={"shaping": "machine limited,asset limited", "filtering": f"id in {fleet.alpha};{fleet.beta}",
                "sorting": "id"},
    ).json()
    alpha, beta = body["Machines"]
    assert alpha["Asset"] == [{"id": alpha_asset["id"], "name": "alpha-ws"}]
    assert alpha_asset["mapped_id"] == fleet.alpha
    # Each machine its own asset, never its neighbour's.
    assert [item["name"] for item in beta["Asset"]] == ["beta-ws"]
    assert beta["Asset"][0]["id"] != alpha_asset["id"]


def test_asset_fields_at_the_standard_level_as_the_asset_api_answers_them(admin, fleet):
    asset = _device_asset(admin, fleet.gamma)
    body = admin.get(f"{MACHINES}{fleet.gamma}/", params={"shaping": "machine limited,asset standard"}).json()
    (gamma,) = body["Machines"]
    (nested,) = gamma["Asset"]
    assert nested == {key: asset[key] for key in nested}
    assert nested["asset_type_name"] == "Device"
    assert nested["mapped_id"] == fleet.gamma


def test_filter_machines_by_their_asset(admin, fleet):
    body = admin.get(MACHINES, params={"filtering": "asset.name eq gamma-srv", "shaping": "machine limited"}).json()
    assert [item["Id"] for item in body["Machines"]] == [str(fleet.gamma)]
    assert body["Count"] == 1
    every = admin.get(MACHINES, params={"filtering": "asset.asset_type_name eq Device", "use_count_only": "true"})
    assert every.json()["Count"] == len(fleet.all)
    nothing = admin.get(MACHINES, params={"filtering": "asset.name eq no-such-asset"}).json()
    assert nothing["Count"] == 0


def test_an_unknown_asset_field_is_a_400_naming_filtering(admin, fleet):
    response = admin.get(MACHINES, params={"filtering": "asset.no_such_field eq 1"})
    assert response.status_code == 400
    assert response.json()["field"] == "filtering"


BY_ASSET_NAME = {"filtering": "asset.name eq alpha-ws", "shaping": "machine limited,asset limited"}


def test_organizations_are_walls(admin, fleet, other_org, base_url):
    with KaceClient(base_url) as other:
        other.login(other_org.admin.login, other_org.admin.password)
        (namesake,) = store(other, [machine("alpha-ws")])
        theirs = other.get(MACHINES, params=BY_ASSET_NAME)
        (their_machine,) = theirs.json()["Machines"]
    ours = admin.get(MACHINES, params=BY_ASSET_NAME)
    (our_machine,) = ours.json()["Machines"]
    assert (our_machine["Id"], their_machine["Id"]) == (str(fleet.alpha), str(namesake))
    assert our_machine["Asset"][0]["id"] != their_machine["Asset"][0]["id"]
