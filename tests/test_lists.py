"""Every list endpoint of the KACE face through the one list harness (tests/lists.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.distribution import helpers as mi
from tests.factories import unique
from tests.inventory_reads.fleet import machine, store
from tests.lists import Answer, ListCase, Made, check_query_language, check_statement_baseline

AMS = "/ams/shared/api"
INVENTORY = "/api/inventory"
DESK = "/api/service_desk"


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json() if response.content else None


# --- How each list gets one more row -----------------------------------------------------------------

def _ingest(make: Any) -> Any:
    def add(client: httpx.Client, made: Made) -> None:
        store(client, [machine(unique("m"), **make())])

    return add


def _node(client: httpx.Client, made: Made) -> None:
    _ok(client.post(f"{INVENTORY}/nodes/", json={"Nodes": [{"Host_Name": unique("node")}]}))


def _device_type(client: httpx.Client) -> int:
    types = _ok(client.get("/api/asset/assets/types"))["AssetTypes"]
    return next(item["id"] for item in types if item["name"] == "Device")


def _asset(client: httpx.Client, made: Made) -> None:
    _ok(client.post("/api/asset/assets", json={"Assets": [{"asset_type_id": _device_type(client),
                                                            "name": unique("asset")}]}))


def _an_asset(client: httpx.Client, made: Made) -> None:
    body = _ok(client.post("/api/asset/assets", json={"Assets": [{"asset_type_id": _device_type(client),
                                                                   "name": unique("tagged")}]}))
    made["asset"] = int(body["IDs"][0])


def _barcode(client: httpx.Client, made: Made) -> None:
    if "asset" not in made:
        _an_asset(client, made)
    barcode = {"asset_id": made["asset"], "barcode_name": "label", "barcode_data": unique("data"),
               "barcode_format": "QR", "scanned_method": "SCANNED", "scanned_geolocation": "52.52,13.40"}
    _ok(client.post("/api/asset/barcodes", json={"Barcodes": [barcode]}))


def _default_queue(client: httpx.Client, made: Made) -> None:
    made["queue"] = _ok(client.get(f"{DESK}/queues/"))["Queues"][0]["id"]


def _queue(client: httpx.Client, made: Made) -> None:
    from estate.servicedesk import service

    with made["sessions"].begin() as db:
        service.create_queue(db, organization_id=made["org"].id, name=unique("Queue"), allow_all_users=True)


def _pattern(client: httpx.Client, made: Made) -> None:
    from estate.servicedesk import service

    with made["sessions"].begin() as db:
        service.create_pattern(db, organization_id=made["org"].id, queue_id=made["queue"], name=unique("Pattern"),
                               values={"title": "From a pattern"})


def _ticket(client: httpx.Client, made: Made) -> None:
    if "queue" not in made:
        _default_queue(client, made)
    body = _ok(client.post(f"{DESK}/tickets", json={"Tickets": [{"hd_queue_id": made["queue"],
                                                                  "title": unique("Ticket")}]}))
    made.setdefault("ticket", body["IDs"][0])


def _change(client: httpx.Client, made: Made) -> None:
    _ok(client.put(f"{DESK}/tickets/{made['ticket']}", json={"Tickets": [{"title": unique("Renamed")}]}))


def _work(client: httpx.Client, made: Made) -> None:
    _ok(client.post(f"{DESK}/tickets/{made['ticket']}/work", json={"Work": [{"note": unique("note"),
                                                                              "hours_worked": 1}]}))


def _member(client: httpx.Client, made: Made) -> int:
    created = _ok(client.post(f"{AMS}/organizationAccounts/", json={"account": {"login": unique("member")}}))
    return int(created["id"])


def _organization(client: httpx.Client, made: Made) -> None:
    _ok(client.post(f"{AMS}/organizations", json={"name": unique("Branch")}))


def _location(client: httpx.Client, made: Made) -> None:
    _ok(client.post(f"{AMS}/locations", json={"name": unique("Office")}))


def _role(client: httpx.Client, made: Made) -> None:
    params = {"productId": made["product"]} if "product" in made else {}
    _ok(client.post(f"{AMS}/roles", params=params, json={"name": unique("Role"), "permissions": ["assets:read"]}))


def _product(client: httpx.Client, made: Made) -> None:
    _ok(client.post(f"{AMS}/products", json={"shortName": unique("P"), "fullName": "A product"}))


def _k1000(client: httpx.Client, made: Made) -> None:
    products = _ok(client.get(f"{AMS}/products", params={"filtering": "shortName eq K1000"}))
    made["product"] = int(products[0]["id"])


def _a_role(client: httpx.Client, made: Made) -> None:
    role = _ok(client.post(f"{AMS}/roles", json={"name": unique("Holders"), "permissions": ["assets:read"]}))
    made["role"] = role["id"]


def _holder(client: httpx.Client, made: Made) -> None:
    member = _member(client, made)
    _ok(client.post(f"{AMS}/{made['role']}/addOrganizationAccounts", params={"ids": member}))


def _employee(client: httpx.Client, made: Made) -> None:
    member = _member(client, made)
    _ok(client.put(f"{AMS}/organizationAccounts/{made['org'].admin.org_account_id}/addEmployees",
                   json={"ids": [member]}))


def _registry_entry(client: httpx.Client, made: Made) -> None:
    entry = {"categoryName": "ui", "key": unique("key"), "value": "v"}
    _ok(client.post(f"{AMS}/accounts/{made['org'].user.id}/registry", json=entry))


def _member_registry_entry(client: httpx.Client, made: Made) -> None:
    entry = {"categoryName": "desk", "key": unique("key"), "value": "v"}
    _ok(client.post(f"{AMS}/organizationAccounts/{made['org'].user.org_account_id}/registry", json=entry))


def _history(client: httpx.Client, made: Made) -> None:
    _ok(client.put(f"{AMS}/organizations/{made['org'].id}", json={"locationAttrName": unique("site")}))


def _managed_install(client: httpx.Client, made: Made) -> None:
    made["mi"] = mi.create(client)


def _package_file(client: httpx.Client, made: Made) -> None:
    mi.upload(client, unique("package") + ".deb", unique("content").encode())


def _linux_machine(client: httpx.Client, made: Made) -> None:
    mi.machine(client, mi.LINUX)


def _targeted_machine(client: httpx.Client, made: Made) -> None:
    target = mi.machine(client, mi.LINUX)
    _ok(client.put(f"/api/managed_install/managed_installs/{made['mi']}/add_to_machines",
                   json={"Machines": [str(target)]}))


# --- The lists -----------------------------------------------------------------------------------------------

def _kace(name: str, path: str, plural: str, entity: str, add: Any, *, id_key: str = "id",
          prepare: Any = None) -> ListCase:
    return ListCase(name, lambda made: path.format(**made), Answer.KACE, add, entity, plural=plural, id_key=id_key,
                    prepare=prepare or (lambda client, made: None))


def _ams(name: str, path: str, entity: str, add: Any, *, answer: Answer = Answer.ARRAY, prepare: Any = None,
         body: bool = False) -> ListCase:
    return ListCase(name, lambda made: AMS + path.format(**made), answer, add, entity,
                    prepare=prepare or (lambda client, made: None), body=body)


CASES = [
    _kace("machines", f"{INVENTORY}/machines/", "Machines", "machine", _ingest(dict), id_key="Id"),
    _kace("software", f"{INVENTORY}/software/", "Software", "software",
          _ingest(lambda: {"software": [unique("Title")]}), id_key="Id"),
    _kace("processes", f"{INVENTORY}/processes/", "Processes", "process",
          _ingest(lambda: {"Processes": [{"Name": unique("p") + ".exe"}]}), id_key="Id"),
    _kace("services", f"{INVENTORY}/services/", "Services", "service",
          _ingest(lambda: {"Services": [{"Name": unique("svc")}]}), id_key="Id"),
    _kace("startup programs", f"{INVENTORY}/startup_programs/", "Startup_programs", "startup_program",
          _ingest(lambda: {"Startup_Programs": [{"Name": unique("run")}]}), id_key="Id"),
    _kace("operating systems", f"{INVENTORY}/operating_systems/", "Operating_systems", "operating_system",
          _ingest(lambda: {"Operating_Systems": [{"Name": unique("OS")}]}), id_key="Id"),
    _kace("nodes", f"{INVENTORY}/nodes/", "Nodes", "node", _node, id_key="Id"),
    _kace("assets", "/api/asset/assets/", "Assets", "asset", _asset),
    _kace("barcodes", "/api/asset/barcodes/", "Barcodes", "barcode", _barcode),
    _kace("barcodes of an asset", "/api/asset/assets/{asset}/barcodes", "Barcodes", "barcode", _barcode,
          prepare=_an_asset),
    _kace("asset statuses", "/api/asset/asset_status/", "AssetStatus", "asset_status", None),
    _kace("queues", f"{DESK}/queues/", "Queues", "hd_queue", _queue),
    _kace("patterns", f"{DESK}/queues/{{queue}}/patterns", "Patterns", "hd_ticket_template", _pattern,
          prepare=_default_queue),
    _kace("tickets", f"{DESK}/tickets/", "Tickets", "hd_ticket", _ticket),
    _kace("changes", f"{DESK}/tickets/{{ticket}}/changes", "Changes", "hd_ticket_change", _change, prepare=_ticket),
    _kace("work", f"{DESK}/tickets/{{ticket}}/work", "Work", "hd_work", _work, prepare=_ticket),
    _kace("managed installs", "/api/mi/managed_installs/", "MIs", "managed_install", _managed_install, id_key="Id"),
    _kace("package files", "/api/mi/files", "Files", "file", _package_file, id_key="Id"),
    _kace("machines with their managed installs", "/api/mi/machines/", "Machines", "machine", _targeted_machine,
          id_key="Id", prepare=_managed_install),
    _kace("compatible machines", "/api/managed_install/compatible_machines", "Machines", "machine", _linux_machine,
          id_key="Id", prepare=_managed_install),
    _kace("a managed install's compatible machines", "/api/mi/managed_installs/{mi}/compatible_machines", "Machines",
          "machine", _linux_machine, id_key="Id", prepare=_managed_install),
    _ams("accounts", "/accounts/", "account", _member),
    _ams("account search", "/accounts/search", "account", _member, body=True),
    _ams("organization accounts", "/organizationAccounts", "organizationAccount", _member, answer=Answer.PAGED),
    _ams("organization account search", "/organizationAccounts/search", "organizationAccount", _member, body=True),
    _ams("organizations", "/organizations", "organization", _organization),
    _ams("organizations, paged", "/organizations/list", "organization", _organization, answer=Answer.PAGED),
    _ams("history", "/organizations/{org.id}/history", "history", _history),
    _ams("locations", "/organizations/{org.id}/locations", "location", _location),
    _ams("an organization's accounts", "/organizations/{org.id}/organizationAccounts", "organizationAccount",
         _member),
    _ams("an organization's roles", "/organizations/{org.id}/roles", "role", _role),
    _ams("roles", "/roles", "role", _role),
    _ams("a role's accounts", "/roles/{role}/organizationAccounts", "organizationAccount", _holder,
         prepare=_a_role),
    _ams("products", "/products", "product", _product),
    _ams("a product's roles", "/products/{product}/roles", "role", _role, prepare=_k1000),
    _ams("an account's organization accounts", "/accounts/{org.admin.id}/organizationAccounts",
         "organizationAccount", _organization),
    _ams("managed accounts", "/accounts/{org.admin.id}/managedAccounts", "account", _employee),
    _ams("an account's registry", "/accounts/{org.user.id}/registry", "accountRegistry", _registry_entry),
    _ams("an organization account's registry", "/organizationAccounts/{org.user.org_account_id}/registry",
         "orgAccountRegistry", _member_registry_entry),
]


@pytest.fixture
def made(admin, org, sessions) -> Made:
    return {"org": org, "sessions": sessions}


def _prepared(admin: httpx.Client, case: ListCase, made: Made, rows: int) -> Made:
    case.prepare(admin, made)
    if case.add is not None:
        for _ in range(rows):
            case.add(admin, made)
    return made


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_query_language_on_every_list(admin, made, case: ListCase):
    check_query_language(admin, case, _prepared(admin, case, made, 3))


@pytest.mark.parametrize("case", [case for case in CASES if case.add is not None], ids=str)
def test_no_list_costs_more_statements_for_more_rows(admin, made, engine, case: ListCase):
    # Session and caller lookups, the route's own checks, the count and page, shaped sub-entities.
    assert check_statement_baseline(admin, case, _prepared(admin, case, made, 1), engine) <= 15


@pytest.mark.parametrize("path", [f"{INVENTORY}/machines/", f"{DESK}/tickets", f"{AMS}/organizationAccounts"])
def test_numbers_beyond_a_column_are_refused_by_name_on_every_database(admin, path):
    for params, named in (
        ({"filtering": "id eq 2147483648"}, "filtering"),
        ({"filtering": "id in 1;-2147483649"}, "filtering"),
        ({"paging": "limit 10 offset 2147483648"}, "paging"),
        ({"offset": "2147483648"}, "offset"),
        ({"paging": "limit ²"}, "paging"),
    ):
        response = admin.get(path, params=params)
        assert response.status_code == 400, (params, response.text)
        assert response.json()["field"] == named
    within = {"filtering": "id lt 2147483647,id ge -2147483648", "paging": "offset 2147483647"}
    assert admin.get(path, params=within).status_code == 200
