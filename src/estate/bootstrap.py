"""First start: an empty database gets organization Default, its roles, account admin and an API key."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import estate.db.models  # noqa: F401 - loads every domain, so new organizations get all their defaults
from estate.accounts import service as accounts
from estate.auth import apikeys
from estate.auth.permissions import ADMINISTRATOR
from estate.auth.secrets import new_password
from estate.orgs import service as orgs
from estate.orgs.models import Organization
from estate.settings import Settings

DEFAULT_ORGANIZATION = "Default"
ADMIN_LOGIN = "admin"


@dataclass
class FirstStart:
    """Secrets generated on first start, to be shown once to whoever started the server."""

    admin_password: str | None = None
    idoit_apikey: str | None = None


def ensure_initial_data(sessions: sessionmaker[Session], settings: Settings) -> FirstStart | None:
    with sessions.begin() as db:
        if db.scalar(select(Organization.id).limit(1)) is not None:
            return None
        organization = orgs.create_organization(db, name=DEFAULT_ORGANIZATION, actor_account_id=None)
        generated = FirstStart()
        password = settings.admin_password
        if not password:
            password = generated.admin_password = new_password()
        accounts.create_account(
            db,
            login=ADMIN_LOGIN,
            password=password,
            actor_account_id=None,
            organization_id=organization.id,
            role_name=ADMINISTRATOR,
            values={"full_name": "Administrator"},
        )
        key = apikeys.create_api_key(
            db, organization_id=organization.id, raw_key=settings.idoit_apikey, description="initial key"
        )
        if not settings.idoit_apikey:
            generated.idoit_apikey = key
        return generated
