"""Administration: the organizations an account acts in, the organization's accounts (and new
ones), its roles with their grants, and its i-doit API keys; through estate.accounts and
estate.auth with the rights the account management API applies."""

from __future__ import annotations

from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from estate.accounts import members
from estate.accounts.models import Account, OrganizationAccount
from estate.auth import roles
from estate.auth.apikeys import create_api_key, list_api_keys
from estate.auth.models import Role, RoleMember
from estate.errors import DomainError
from estate.web import forms
from estate.web.console import Console, Page, redirect, rolled_back
from estate.web.registry import area

router = area("admin", title="Administration", path="/admin", right="accounts", order=90, administration=True)


def _organizations(page: Console) -> HTMLResponse:
    return page.render("admin/organizations.html", tab="organizations", page_title="Organizations")


@router.get("/admin")
def organizations(page: Page) -> HTMLResponse:
    page.caller.require("accounts")
    return _organizations(page)


def _accounts_page(page: Console, *, status: int = 200, error: DomainError | None = None) -> HTMLResponse:
    organization_id = page.caller.organization_id
    people = page.db.execute(
        select(Account.id, Account.login, Account.full_name, Account.email, OrganizationAccount.is_enabled,
               Account.totp_secret.is_not(None).label("two_factor"), OrganizationAccount.id.label("member_id"))
        .join(OrganizationAccount, OrganizationAccount.account_id == Account.id)
        .where(OrganizationAccount.organization_id == organization_id, Account.is_deleted.is_(False))
        .order_by(Account.login)
    ).all()
    names = {member_id: held for member_id, held in _role_names(page)}
    return page.render("admin/accounts.html", status=status, tab="accounts", members=people, roles=names,
                       role_choices=_roles(page), error=error, page_title="Accounts")


def _roles(page: Console) -> list[Role]:
    return list(page.db.scalars(select(Role).where(Role.organization_id == page.caller.organization_id)
                                .order_by(Role.name)))


def _role_names(page: Console) -> list[tuple[int, list[str]]]:
    rows = page.db.execute(
        select(RoleMember.org_account_id, Role.name).join(Role, Role.id == RoleMember.role_id)
        .where(RoleMember.organization_id == page.caller.organization_id).order_by(Role.name)
    ).all()
    found: dict[int, list[str]] = {}
    for member_id, name in rows:
        found.setdefault(member_id, []).append(name)
    return list(found.items())


@router.get("/admin/accounts")
def account_list(page: Page) -> HTMLResponse:
    page.caller.require("accounts")
    return _accounts_page(page)


@router.post("/admin/accounts")
async def create_account(page: Page) -> Response:
    """A new organization account (estate.accounts.members), then the role chosen for it
    (estate.auth.roles: nobody hands out a role with rights they lack)."""
    page.caller.require("accounts", "write")
    form = await page.form()
    identity = {"login": forms.text(form, "login"), "password": forms.text(form, "password") or None,
                "full_name": forms.text(form, "full_name") or None, "email": forms.text(form, "email") or None}
    try:
        _, member = members.create_member(page.db, caller=page.caller, account_id=None, identity=identity,
                                          membership={})
        role_id = forms.optional_id(form, "role")
        if role_id is not None:
            role = roles.get_role(page.db, organization_id=page.caller.organization_id, role_id=role_id, field="role")
            if member.id not in _members_of(page, role):
                roles.change_members(page.db, caller=page.caller, role=role, org_account_ids=[member.id], add=True)
    except DomainError as exc:
        rolled_back(page)
        return _accounts_page(page, status=exc.status, error=exc)
    return redirect("/admin/accounts", page.request)


def _members_of(page: Console, role: Role) -> set[int]:
    return set(page.db.scalars(select(RoleMember.org_account_id).where(RoleMember.role_id == role.id)))


@router.get("/admin/roles")
def role_list(page: Page) -> HTMLResponse:
    page.caller.require("roles")
    counts = dict(page.db.execute(
        select(RoleMember.role_id, func.count()).where(RoleMember.organization_id == page.caller.organization_id)
        .group_by(RoleMember.role_id)
    ).all())
    return page.render("admin/roles.html", tab="roles", roles=_roles(page), counts=counts, page_title="Roles")


@router.get("/admin/api-keys")
def api_keys(page: Page, created: str = "") -> HTMLResponse:
    page.caller.require("organizations")
    return page.render("admin/api_keys.html", tab="api-keys", keys=list_api_keys(page.db, page.caller.organization_id),
                       created=None, page_title="API keys")


@router.post("/admin/api-keys")
async def new_api_key(page: Page) -> HTMLResponse:
    page.caller.require("organizations", "write")
    form = await page.form()
    raw = create_api_key(page.db, organization_id=page.caller.organization_id,
                         description=forms.text(form, "description"))
    # The key is shown once, on this answer; only its hash is kept.
    return page.render("admin/api_keys.html", tab="api-keys", created=raw,
                       keys=list_api_keys(page.db, page.caller.organization_id), page_title="API keys")
