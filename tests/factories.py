"""Test data made through the domain services, exactly as the application makes it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from estate.accounts import service as accounts
from estate.auth.permissions import ADMINISTRATOR, READ_ONLY_ADMINISTRATOR, STANDARD_USER
from estate.orgs import service as orgs


@dataclass
class Person:
    id: int
    org_account_id: int
    login: str
    password: str


@dataclass
class OrgFixture:
    id: int
    name: str
    admin: Person
    readonly: Person
    user: Person


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_person(db: Session, organization_id: int, role: str, prefix: str) -> Person:
    login, password = unique(prefix), unique("pw")
    account, member = accounts.create_account(
        db,
        login=login,
        password=password,
        actor_account_id=None,
        organization_id=organization_id,
        role_name=role,
        values={"full_name": f"{prefix.title()} Person", "email": f"{login}@example.test"},
    )
    return Person(id=account.id, org_account_id=member.id, login=login, password=password)


def make_org(sessions: sessionmaker[Session]) -> OrgFixture:
    with sessions.begin() as db:
        organization = orgs.create_organization(db, name=unique("Org"), actor_account_id=None)
        return OrgFixture(
            id=organization.id,
            name=organization.name,
            admin=make_person(db, organization.id, ADMINISTRATOR, "admin"),
            readonly=make_person(db, organization.id, READ_ONLY_ADMINISTRATOR, "auditor"),
            user=make_person(db, organization.id, STANDARD_USER, "user"),
        )
