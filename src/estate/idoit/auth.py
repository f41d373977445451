"""Who calls: the API key selects the organization; X-RPC-Auth-Username/Password (with
X-RPC-Auth-Otp for an account enrolled in TOTP) or an X-RPC-Auth-Session (from idoit.login) make
the call act as an account of that organization. Wrong passwords and codes count in the lockout
the KACE login keeps, per account and client address (docs/decisions/0051)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.orm import Session

from estate.accounts import service as accounts
from estate.accounts.models import Account
from estate.auth import sessions as login_sessions
from estate.auth.models import ApiKey
from estate.auth.permissions import allows
from estate.auth.secrets import digest, new_token, verify_password
from estate.cmdb.models import RpcSession
from estate.db.base import utcnow
from estate.errors import TooManyAttempts
from estate.idoit.registry import RpcError
from estate.observe import record
from estate.orgs.models import Organization
from estate.settings import Settings

AUTH_ERROR = -32604
API_USER = "api"
USERNAME_HEADER = "x-rpc-auth-username"
PASSWORD_HEADER = "x-rpc-auth-password"  # noqa: S105 - a header name, not a secret
SESSION_HEADER = "x-rpc-auth-session"
OTP_HEADER = "X-RPC-Auth-Otp"  # Estate's own: the current TOTP code of an enrolled account
AUTH_HEADERS = "x-rpc-auth"
_TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class Identity:
    organization_id: int
    organization_name: str
    account: Account | None
    grants: frozenset[str] | None  # None: the API key alone, which may do everything
    session_token: str | None = None

    @property
    def username(self) -> str:
        return self.account.login if self.account else API_USER

    def may(self, action: str) -> bool:
        return self.grants is None or allows(self.grants, "cmdb", action)


def _refused(message: str) -> RpcError:
    return RpcError(AUTH_ERROR, message, {"error": message})


@dataclass(frozen=True)
class Credentials:
    """What a request presents to say who calls: its X-RPC-Auth-* headers and the client's address."""

    username: str | None
    password: str | None
    otp: str | None
    session: str | None
    source: str
    presented: bool  # any X-RPC-Auth-* header: the request records what its credentials do

    @classmethod
    def of(cls, headers: Mapping[str, str], source: str) -> Credentials:
        return cls(
            username=headers.get(USERNAME_HEADER),
            password=headers.get(PASSWORD_HEADER),
            otp=headers.get(OTP_HEADER.lower()),
            session=headers.get(SESSION_HEADER),
            source=source,
            presented=any(name.lower().startswith(AUTH_HEADERS) for name in headers),
        )


class CountedRefusal(RpcError):
    """A wrong password or second-factor code. It counts against the account and the client's
    address in the request's own transaction once the call's changes are rolled back (count), so
    that it outlives the failed call; a request counts it once, however many calls it holds."""

    def __init__(self, message: str, *, login_key: str, source: str) -> None:
        super().__init__(AUTH_ERROR, message, {"error": message})
        self.login_key = login_key
        self.source = source
        self.counted = False


def count(db: Session, refusal: CountedRefusal) -> None:
    if not refusal.counted:
        login_sessions.record_failure(db, refusal.login_key, refusal.source)
        refusal.counted = True


@dataclass(frozen=True)
class Tenant:
    id: int
    name: str
    key_id: int | None = None


_ORGANIZATIONS = cast(Table, Organization.__table__).c
_KEYS = cast(Table, ApiKey.__table__).c
# Built once, of table columns: every request asks it, and a Core statement skips the ORM's steps.
_TENANT_OF_KEY = (
    select(_ORGANIZATIONS.id, _ORGANIZATIONS.name, _KEYS.id.label("key_id"))
    .join_from(cast(Table, Organization.__table__), cast(Table, ApiKey.__table__),
               _KEYS.organization_id == _ORGANIZATIONS.id)
    .where(
        _KEYS.key_hash == bindparam("key_hash"),
        _KEYS.is_active,
        _ORGANIZATIONS.is_deleted.is_(False),
        _ORGANIZATIONS.is_enabled.is_(True),
    )
)


def organization_for(db: Session, apikey: object) -> Tenant:
    """The enabled organization of an active key, in one query (a request asks once per key)."""
    if not isinstance(apikey, str) or not apikey:
        raise _refused("Missing parameter 'apikey'")
    found = db.execute(_TENANT_OF_KEY, {"key_hash": digest(apikey)}).first()
    if found is None:
        raise _refused("Invalid API key")
    return Tenant(found.id, found.name, found.key_id)


def _member_grants(db: Session, organization: Tenant, account: Account) -> frozenset[str]:
    member = accounts.membership_of(db, organization.id, account.id)
    if member is None or not member.is_enabled or account.is_deleted or not account.api_enabled:
        raise _refused("This user may not use this tenant")
    return accounts.grants_of(db, member.id)


def _by_password(db: Session, settings: Settings, organization: Tenant, credentials: Credentials) -> Identity:
    login, source = credentials.username or "", credentials.source
    key = accounts.login_key(login)
    try:
        login_sessions.check_rate_limit(db, settings, key, source)
    except TooManyAttempts as exc:
        raise _refused(exc.message) from None
    account = accounts.find_account(db, login)
    if account is None or not verify_password(account.password_hash, credentials.password or ""):
        raise CountedRefusal("Authentication failed: invalid user name or password", login_key=key, source=source)
    if account.totp_secret is not None:
        if not credentials.otp:
            raise _refused(f"This account uses a second factor: send its current code in {OTP_HEADER}")
        if not login_sessions.second_factor_matches(account, credentials.otp):
            raise CountedRefusal("Authentication failed: invalid two-factor code", login_key=key, source=source)
    grants = _member_grants(db, organization, account)
    login_sessions.clear_failures(db, key, source)
    return Identity(organization.id, organization.name, account, grants)


def _by_session(db: Session, settings: Settings, organization: Tenant, token: str) -> Identity:
    session = db.scalar(select(RpcSession).where(RpcSession.token_hash == digest(token)))
    now = utcnow()
    if session is None or session.organization_id != organization.id:
        raise _refused("Invalid or expired X-RPC-Auth-Session")
    if session.last_seen < now - timedelta(minutes=settings.session_idle_minutes):
        db.delete(session)
        raise _refused("Invalid or expired X-RPC-Auth-Session")
    if now - session.last_seen > _TOUCH_INTERVAL:
        session.last_seen = now
    account = db.get(Account, session.account_id)
    if account is None:
        raise _refused("Invalid or expired X-RPC-Auth-Session")
    return Identity(organization.id, organization.name, account, _member_grants(db, organization, account), token)


def identify(db: Session, settings: Settings, apikey: object, credentials: Credentials) -> Identity:
    organization = organization_for(db, apikey)
    record.note_caller(organization_id=organization.id, apikey_id=organization.key_id)
    if credentials.session:
        identity = _by_session(db, settings, organization, credentials.session)
    elif credentials.username or credentials.password:
        identity = _by_password(db, settings, organization, credentials)
    else:
        return Identity(organization.id, organization.name, None, None)
    account_id = identity.account.id if identity.account else None
    record.note_caller(organization_id=organization.id, account_id=account_id, apikey_id=organization.key_id)
    return identity


def open_session(db: Session, identity: Identity) -> str:
    if identity.account is None:
        raise _refused("idoit.login needs X-RPC-Auth-Username and X-RPC-Auth-Password")
    if identity.session_token:
        return identity.session_token
    token = new_token(24)
    db.add(
        RpcSession(organization_id=identity.organization_id, account_id=identity.account.id, token_hash=digest(token))
    )
    db.flush()
    return token


def close_session(db: Session, identity: Identity) -> None:
    if identity.session_token:
        db.execute(delete(RpcSession).where(RpcSession.token_hash == digest(identity.session_token)))
