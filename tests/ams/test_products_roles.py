"""/ams/shared/api/products/..., /roles/... and /{roleId}/add|removeOrganizationAccounts over real HTTP."""

from __future__ import annotations

from contextlib import contextmanager

import xmltodict

from tests.factories import unique

API = "/ams/shared/api"
PRODUCTS = f"{API}/products"
ROLES = f"{API}/roles"


def role_named(client, name: str) -> dict:
    response = client.get(ROLES, params={"name": name})
    assert response.status_code == 200, response.text
    return response.json()


def new_product(client) -> dict:
    response = client.post(PRODUCTS, json={"shortName": unique("P"), "fullName": "Plug-in", "allowMultipleRoles": True})
    assert response.status_code == 200, response.text
    return response.json()


def test_product_lifecycle(admin):
    product = new_product(admin)
    assert isinstance(product["id"], str)
    assert set(product) == {"id", "shortName", "fullName", "description", "baseApiUrl", "baseNavigationUrl",
                            "baseViewUrl", "callbackUrl", "configuration", "allowMultipleRoles"}
    assert admin.get(f"{PRODUCTS}/{product['id']}").json() == product
    listed = admin.get(PRODUCTS, params={"filtering": f"shortName eq {product['shortName']}"}).json()
    assert listed == [product]
    assert admin.get(PRODUCTS, params={"paging": "limit 1", "sorting": "id"}).json()[0]["shortName"] == "K1000"
    updated = admin.post(f"{PRODUCTS}/update", json={"id": product["id"], "description": "Now described"})
    assert updated.status_code == 200 and updated.content == b""
    assert admin.get(f"{PRODUCTS}/{product['id']}").json()["description"] == "Now described"
    assert admin.delete(PRODUCTS, params={"ids": product["id"]}).status_code == 200
    assert admin.get(f"{PRODUCTS}/{product['id']}").status_code == 404


def test_product_writes_are_in_the_history_of_the_organization_they_came_from(admin, org):
    product = new_product(admin)
    admin.post(f"{PRODUCTS}/update", json={"id": product["id"], "description": "Now described"})
    admin.delete(PRODUCTS, params={"ids": product["id"]})
    entries = admin.get(f"{API}/organizations/{org.id}/history", params={"entities": "product"}).json()
    assert [(entry["entityId"], entry["action"], entry["accountId"]) for entry in entries] == [
        (int(product["id"]), action, org.admin.id) for action in (1, 2, 3)]
    assert {detail["propertyName"]: detail["newValue"] for detail in entries[1]["details"]} == {
        "description": "Now described"}


def test_product_bad_input(admin):
    taken = new_product(admin)
    k1000 = admin.get(PRODUCTS, params={"filtering": "shortName eq K1000"}).json()[0]
    for body, field, status in (
        ({"fullName": "x"}, "shortName", 400),
        ({"shortName": unique("p")}, "fullName", 400),
        ({"shortName": taken["shortName"], "fullName": "x"}, "shortName", 409),
        ({"shortName": unique("p"), "fullName": "x", "allowMultipleRoles": "lots"}, "allowMultipleRoles", 400),
        ({"shortName": unique("p"), "fullName": "x", "price": 3}, "price", 400),
    ):
        response = admin.post(PRODUCTS, json=body)
        assert response.status_code == status, body
        assert response.json()["field"] == field, body
    for body, field, status in (
        ({"description": "x"}, "id", 400),
        ({"id": 99999999}, "id", 404),
        ({"id": taken["id"], "fullName": None}, "fullName", 400),
        ({"id": k1000["id"], "shortName": "K2"}, "shortName", 400),
    ):
        response = admin.post(f"{PRODUCTS}/update", json=body)
        assert response.status_code == status, body
        assert response.json()["field"] == field, body
    assert admin.delete(PRODUCTS, params={"ids": k1000["id"]}).status_code == 400
    assert admin.delete(PRODUCTS, params={"ids": f"{taken['id']},99999999"}).status_code == 404
    assert admin.get(f"{PRODUCTS}/{taken['id']}").status_code == 200
    assert admin.get(f"{PRODUCTS}/abc").status_code == 400


def test_product_in_use_by_a_role_is_kept(admin):
    product = new_product(admin)
    assert admin.post(ROLES, params={"productId": product["id"]}, json={"name": unique("R")}).status_code == 200
    refused = admin.delete(PRODUCTS, params={"ids": product["id"]})
    assert refused.status_code == 409 and refused.json()["field"] == "ids"


def test_product_roles(admin, org, other_org):
    k1000 = admin.get(PRODUCTS, params={"filtering": "shortName eq K1000"}).json()[0]
    roles = admin.get(f"{PRODUCTS}/{k1000['id']}/roles", params={"organizationId": org.id}).json()
    assert {r["name"] for r in roles} == {"Administrator", "Read-only administrator", "Standard user"}
    assert all(r["product"]["shortName"] == "K1000" for r in roles)
    assert admin.get(f"{PRODUCTS}/{k1000['id']}/roles", params={"organizationId": other_org.id}).status_code == 404
    assert admin.get(f"{PRODUCTS}/99999999/roles").status_code == 404


def test_product_writes_are_for_administrators(readonly, user):
    for client in (readonly, user):
        assert client.get(PRODUCTS).status_code == 200
        assert client.post(PRODUCTS, json={"shortName": unique("p"), "fullName": "x"}).status_code == 403
        assert client.post(f"{PRODUCTS}/update", json={"id": 1}).status_code == 403
        assert client.delete(PRODUCTS, params={"ids": 1}).status_code == 403


def test_role_lifecycle_with_history(admin, org):
    created = admin.post(
        ROLES,
        params={"organizationId": org.id},
        json={"name": "Helpdesk", "description": "Tickets", "permissions": ["servicedesk:write", "inventory:read"]},
    )
    assert created.status_code == 200, created.text
    role = created.json()
    assert role["permissions"] == ["inventory:read", "servicedesk:write"]
    assert role["organization"] == {"id": org.id, "name": org.name}
    assert role["product"]["shortName"] == "K1000"
    assert role["isDefaultAdminRole"] is False
    assert admin.get(f"{ROLES}/{role['id']}").json()["name"] == "Helpdesk"
    assert role_named(admin, "helpdesk")["id"] == role["id"]
    assert len(admin.get(ROLES).json()) == 4
    role["name"] = "Service desk"
    role["permissions"] = ["servicedesk:write"]
    updated = admin.put(f"{ROLES}/{role['id']}", json=role)
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Service desk" and updated.json()["permissions"] == ["servicedesk:write"]
    assert admin.delete(ROLES, params={"ids": role["id"]}).status_code == 200
    assert admin.get(f"{ROLES}/{role['id']}").status_code == 404
    entries = admin.get(f"{API}/organizations/{org.id}/history", params={"entities": "role"}).json()
    assert [h["action"] for h in entries] == [1, 2, 3]
    changed = {d["propertyName"]: (d["oldValue"], d["newValue"]) for d in entries[1]["details"]}
    assert changed == {
        "name": ("Helpdesk", "Service desk"),
        "permissions": ("inventory:read,servicedesk:write", "servicedesk:write"),
    }


def test_role_in_xml(admin):
    response = admin.post(
        ROLES,
        content=b"<role><name>Xml role</name><permissions>assets:read</permissions></role>",
        headers={"Content-Type": "application/xml", "Accept": "application/xml"},
    )
    assert response.status_code == 200, response.text
    document = xmltodict.parse(response.content)["response"]
    assert document["name"] == "Xml role" and document["permissions"] == "assets:read"
    ok = admin.get(ROLES, params={"name": "Administrator"}, headers={"Accept": "application/xml"})
    assert xmltodict.parse(ok.content)["response"]["isDefaultAdminRole"] == "true"


def test_role_bad_input(admin, org, other_org):
    for params, body, field, status in (
        ({}, {}, "name", 400),
        ({}, {"name": "Administrator"}, "name", 409),
        ({}, {"name": "x", "permissions": ["everything"]}, "permissions", 400),
        ({}, {"name": "x", "permissions": ["assets:delete"]}, "permissions", 400),
        ({}, {"name": "x", "permissions": "assets:remove"}, "permissions", 400),
        ({}, {"name": "x", "permissions": {"a": 1}}, "permissions", 400),
        ({}, {"name": "x", "colour": "red"}, "colour", 400),
        ({"productId": 99999999}, {"name": "x"}, "productId", 404),
        ({"organizationId": other_org.id}, {"name": "x"}, "organizationId", 404),
        ({"productId": "x"}, {"name": "x"}, "productId", 400),
    ):
        response = admin.post(ROLES, params=params, json=body)
        assert response.status_code == status, (params, body)
        assert response.json()["field"] == field, (params, body)
    assert len(admin.get(ROLES).json()) == 3
    assert admin.get(ROLES, params={"name": "Nobody"}).status_code == 404
    assert admin.get(ROLES, params={"organizationId": other_org.id}).status_code == 404


def test_default_roles_keep_their_names_grants_and_existence(admin, org):
    for name in ("Administrator", "Read-only administrator", "Standard user"):
        role = role_named(admin, name)
        renamed = admin.put(f"{ROLES}/{role['id']}", json={"name": "Renamed"})
        assert renamed.status_code == 400 and renamed.json()["field"] == "name"
        regranted = admin.put(f"{ROLES}/{role['id']}", json={"permissions": ["*:write"]})
        assert regranted.status_code == 400 and regranted.json()["field"] == "permissions"
        deleted = admin.delete(ROLES, params={"ids": role["id"]})
        assert deleted.status_code == 400 and deleted.json()["field"] == "ids"
    described = admin.put(f"{ROLES}/{role_named(admin, 'Standard user')['id']}", json={"description": "Everyone"})
    assert described.status_code == 200 and described.json()["description"] == "Everyone"
    # Sending a default role back unchanged is no rename.
    admin_role = role_named(admin, "Administrator")
    assert admin.put(f"{ROLES}/{admin_role['id']}", json=admin_role).status_code == 200


def test_custom_role_grants_apply_to_its_members(admin, org, base_url):
    role = admin.post(ROLES, json={"name": "Account keeper", "permissions": ["accounts:write"]}).json()
    joined = admin.post(f"{API}/{role['id']}/addOrganizationAccounts", params={"ids": org.user.org_account_id})
    assert joined.status_code == 200
    from tests.kace_client import KaceClient

    with KaceClient(base_url) as keeper:
        keeper.login(org.user.login, org.user.password)
        # The K1000 product allows one role per account: joining the custom role left Standard user.
        assert keeper.get("/api/users/me/").json()["roles"] == ["Account keeper"]
        assert keeper.get(f"{API}/accounts/{org.user.id}").status_code == 200
        assert keeper.get(ROLES).status_code == 403
        # Without data:all, the role reads only its own account even though it may write accounts.
        assert keeper.get(f"{API}/accounts/{org.admin.id}").status_code == 403


def test_role_membership_with_history(admin, org):
    readonly_role = role_named(admin, "Read-only administrator")
    path = f"{API}/{readonly_role['id']}"
    members = admin.get(f"{ROLES}/{readonly_role['id']}/organizationAccounts").json()
    assert [m["id"] for m in members] == [org.readonly.org_account_id]
    assert admin.post(f"{path}/addOrganizationAccounts", params={"ids": org.user.org_account_id}).status_code == 200
    members = admin.get(f"{ROLES}/{readonly_role['id']}/organizationAccounts").json()
    assert sorted(m["id"] for m in members) == sorted([org.readonly.org_account_id, org.user.org_account_id])
    standard = role_named(admin, "Standard user")
    assert admin.get(f"{ROLES}/{standard['id']}/organizationAccounts").json() == []
    removed = admin.post(f"{path}/removeOrganizationAccounts", params=[("ids", org.user.org_account_id),
                                                                        ("ids", org.readonly.org_account_id)])
    assert removed.status_code == 200
    assert admin.get(f"{ROLES}/{readonly_role['id']}/organizationAccounts").json() == []
    entries = admin.get(f"{API}/organizations/{org.id}/history", params={"entities": "role"}).json()
    assert [(h["entityId"], h["action"]) for h in entries] == [(readonly_role["id"], 2)] * 2
    assert entries[-1]["details"][0]["newValue"] == ""


def test_role_membership_refusals_write_nothing(admin, org, other_org):
    admin_role = role_named(admin, "Administrator")
    alone = admin.post(f"{API}/{admin_role['id']}/removeOrganizationAccounts", params={"ids": org.admin.org_account_id})
    assert alone.status_code == 409 and alone.json()["field"] == "ids"
    foreign = admin.post(
        f"{API}/{admin_role['id']}/addOrganizationAccounts",
        params={"ids": f"{org.user.org_account_id},{other_org.user.org_account_id}"},
    )
    assert foreign.status_code == 404
    members = admin.get(f"{ROLES}/{admin_role['id']}/organizationAccounts").json()
    assert [m["id"] for m in members] == [org.admin.org_account_id]
    assert admin.post(f"{API}/{admin_role['id']}/addOrganizationAccounts").json()["field"] == "ids"


def test_roles_of_another_organization_do_not_exist(admin, other_org, sessions):
    from sqlalchemy import select

    from estate.auth.models import Role

    with sessions() as db:
        foreign = db.scalar(select(Role.id).where(Role.organization_id == other_org.id, Role.name == "Standard user"))
    for method, path, kwargs in (
        ("GET", f"{ROLES}/{foreign}", {}),
        ("PUT", f"{ROLES}/{foreign}", {"json": {"description": "mine"}}),
        ("GET", f"{ROLES}/{foreign}/organizationAccounts", {}),
        ("DELETE", ROLES, {"params": {"ids": foreign}}),
        ("POST", f"{API}/{foreign}/addOrganizationAccounts", {"params": {"ids": other_org.user.org_account_id}}),
        ("POST", f"{API}/{foreign}/removeOrganizationAccounts", {"params": {"ids": other_org.user.org_account_id}}),
    ):
        response = admin.request(method, path, **kwargs)
        assert response.status_code == 404, (method, path)


def test_read_only_and_standard_users_cannot_change_roles(readonly, user, org):
    for client in (readonly, user):
        role = role_named(client, "Standard user")
        assert client.post(ROLES, json={"name": unique("r")}).status_code == 403
        assert client.put(f"{ROLES}/{role['id']}", json={"description": "x"}).status_code == 403
        assert client.delete(ROLES, params={"ids": role["id"]}).status_code == 403
        add = client.post(f"{API}/{role['id']}/addOrganizationAccounts", params={"ids": org.user.org_account_id})
        assert add.status_code == 403
        remove = client.post(f"{API}/{role['id']}/removeOrganizationAccounts", params={"ids": org.user.org_account_id})
        assert remove.status_code == 403
    everyone = readonly.get(f"{ROLES}/{role_named(readonly, 'Standard user')['id']}/organizationAccounts").json()
    assert [m["id"] for m in everyone] == [org.user.org_account_id]
    own = user.get(f"{ROLES}/{role_named(user, 'Administrator')['id']}/organizationAccounts").json()
    assert own == []


@contextmanager
def _keeper(admin, org, base_url, grants: list[str]):
    """The organization's standard user, moved to a custom role with these grants and logged in."""
    from tests.kace_client import KaceClient

    role = admin.post(ROLES, json={"name": unique("Keeper"), "permissions": grants}).json()
    joined = admin.post(f"{API}/{role['id']}/addOrganizationAccounts", params={"ids": org.user.org_account_id})
    assert joined.status_code == 200, joined.text
    with KaceClient(base_url) as keeper:
        keeper.login(org.user.login, org.user.password)
        yield keeper


def test_nobody_hands_out_rights_they_do_not_hold(admin, org, base_url):
    with _keeper(admin, org, base_url, ["roles:write", "accounts:write", "data:all"]) as keeper:
        admin_role = role_named(keeper, "Administrator")
        to_admin = keeper.post(
            f"{API}/{admin_role['id']}/addOrganizationAccounts", params={"ids": org.user.org_account_id}
        )
        assert to_admin.status_code == 403 and to_admin.json()["field"] == "permissions"
        wide = keeper.post(ROLES, json={"name": unique("Wide"), "permissions": ["*:write"]})
        assert wide.status_code == 403
        narrow = keeper.post(ROLES, json={"name": unique("Narrow"), "permissions": ["roles:read"]})
        assert narrow.status_code == 200
        widen = keeper.put(f"{ROLES}/{narrow.json()['id']}", json={"permissions": ["cmdb:write"]})
        assert widen.status_code == 403
        # An administrator's password would make the keeper an administrator.
        takeover = keeper.put(f"{API}/organizationAccounts/{org.admin.org_account_id}",
                              json={"account": {"password": "mine-now"}})
        assert takeover.status_code == 403 and takeover.json()["field"] == "account"
        # A read-only administrator holds data:all and *:read, which the keeper does not cover either.
        assert keeper.put(f"{API}/organizationAccounts/{org.readonly.org_account_id}",
                          json={"account": {"fullName": "x"}}).status_code == 403
        # The keeper's own account and the accounts it created are fine.
        assert keeper.put(f"{API}/organizationAccounts/{org.user.org_account_id}",
                          json={"account": {"fullName": "Keeper"}}).status_code == 200
    assert role_named(admin, "Administrator")["id"] == admin_role["id"]
    members = admin.get(f"{ROLES}/{admin_role['id']}/organizationAccounts").json()
    assert [m["id"] for m in members] == [org.admin.org_account_id]


def test_the_last_enabled_administrator_stays(admin, org, base_url):
    with _keeper(admin, org, base_url, ["accounts:write", "data:all"]) as keeper:
        OA = f"{API}/organizationAccounts"
        for method, path, kwargs in (
            ("POST", f"{OA}/disable", {"params": {"ids": org.admin.org_account_id}}),
            ("PUT", f"{OA}/{org.admin.org_account_id}", {"json": {"isEnabled": False}}),
            ("DELETE", f"{OA}/{org.admin.org_account_id}", {}),
            ("DELETE", OA, {"params": {"ids": org.admin.org_account_id}}),
        ):
            response = keeper.request(method, path, **kwargs)
            assert response.status_code == 409, (method, path, response.text)
        assert admin.get(f"{OA}/{org.admin.org_account_id}").json()["isEnabled"] is True
        # With a second administrator, the first may go.
        second = admin.post(f"{OA}/", json={"account": {"login": unique("second")}}).json()
        admin_role = role_named(admin, "Administrator")
        admin.post(f"{API}/{admin_role['id']}/addOrganizationAccounts", params={"ids": second["id"]})
        assert keeper.post(f"{OA}/disable", params={"ids": org.admin.org_account_id}).status_code == 200
