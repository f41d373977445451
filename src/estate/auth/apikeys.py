"""API keys of the i-doit JSON-RPC face; each selects one organization."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from estate.auth.models import ApiKey
from estate.auth.secrets import digest, new_token
from estate.errors import Conflict, InvalidInput


def create_api_key(db: Session, *, organization_id: int, raw_key: str | None = None, description: str = "") -> str:
    raw_key = raw_key or new_token(24)
    if len(raw_key) < 8:
        raise InvalidInput("an API key needs at least 8 characters", field="apikey")
    if db.scalar(select(ApiKey.id).where(ApiKey.key_hash == digest(raw_key))):
        raise Conflict("that API key is already in use", field="apikey")
    db.add(ApiKey(organization_id=organization_id, key_hash=digest(raw_key), hint=raw_key[:4], description=description))
    db.flush()
    return raw_key


def list_api_keys(db: Session, organization_id: int | None = None) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.id)
    if organization_id is not None:
        query = query.where(ApiKey.organization_id == organization_id)
    return list(db.scalars(query))
