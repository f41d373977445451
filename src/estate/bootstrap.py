"""First start: an empty database gets organization Default, its roles, account admin and an API key."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

import estate.db.models  # noqa: F401 - loads every domain, so new organizations get all their defaults
from estate.accounts import service as accounts
from estate.auth import apikeys
from estate.auth.permissions import ADMINISTRATOR
from estate.auth.secrets import new_password
from estate.db.engine import begin_for_writing
from estate.db.installation import INITIAL_DATA, fact, record_fact
from estate.orgs import service as orgs
from estate.settings import Settings

DEFAULT_ORGANIZATION = "Default"
ADMIN_LOGIN = "admin"


@dataclass
class FirstStart:
    """Secrets generated on first start, to be shown once to whoever started the server."""

    admin_password: str | None = None
    idoit_apikey: str | None = None


def ensure_initial_data(sessions: sessionmaker[Session], settings: Settings) -> FirstStart | None:
    """Runs once per installation, recorded by its own fact: organizations made beforehand (by the
    CLI, say) neither stop it nor get in its way. The write lock is taken first, so a server and a
    CLI command started together take turns instead of one failing."""
    with sessions.begin() as db:
        begin_for_writing(db)
        if fact(db, INITIAL_DATA) is not None:
            return None
        generated = _create_initial_data(db, settings)
        record_fact(db, INITIAL_DATA, "done")
        return generated


def _create_initial_data(db: Session, settings: Settings) -> FirstStart:
    organization = orgs.find_by_name(db, DEFAULT_ORGANIZATION) or orgs.create_organization(
        db, name=DEFAULT_ORGANIZATION, actor_account_id=None
    )
    generated = FirstStart()
    if accounts.find_account(db, ADMIN_LOGIN) is None:
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
