"""Who the command line acts as inside an organization: its first administrator."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from estate.accounts import service as accounts
from estate.accounts.models import Account, OrganizationAccount
from estate.auth.permissions import Caller
from estate.cmdb.logbook import Actor
from estate.errors import InvalidInput


def administrator(db: Session, organization_id: int) -> Caller:
    members = db.execute(
        select(OrganizationAccount.id, Account.id, Account.login)
        .join(Account, Account.id == OrganizationAccount.account_id)
        .where(OrganizationAccount.organization_id == organization_id, OrganizationAccount.is_enabled.is_(True),
               Account.is_deleted.is_(False))
        .order_by(OrganizationAccount.id)
    )
    for member_id, account_id, login in members:
        caller = Caller(account_id=account_id, organization_id=organization_id, org_account_id=member_id,
                        login=login, grants=accounts.grants_of(db, member_id))
        if caller.sees_all_data and caller.can("*", "write"):  # what the Administrator role grants
            return caller
    raise InvalidInput("the organization has no administrator to act as (estate user create)", field="--org")


def actor_of(caller: Caller) -> Actor:
    return Actor(caller.organization_id, caller.account_id, caller.login)
