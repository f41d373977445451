"""Login sessions of the KACE face: login, CSRF, two-factor step, idle expiry, organization switch."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from estate.accounts import service as accounts
from estate.accounts.models import Account, OrganizationAccount
from estate.auth.callers import CallerCache
from estate.auth.models import AuthSession, LoginFailure, Role, RoleMember
from estate.auth.permissions import Caller
from estate.auth.secrets import digest, new_hex_token, new_token, verify_password
from estate.db.base import utcnow
from estate.errors import Forbidden, InvalidInput, NotAuthenticated, TooManyAttempts
from estate.observe import record
from estate.orgs import service as orgs
from estate.orgs.models import Organization
from estate.settings import Settings

NOT_FULLY_AUTHENTICATED = "User not fully authenticated."
SESSION_EXPIRED = "Session expired; log in again"
CSRF_REFUSED = "Missing or invalid x-dell-csrf-token header"
# last_seen is written at most this often, after the request's transaction (record_activity).
TOUCH_INTERVAL = timedelta(seconds=60)
_ACTIVE_SESSION = "estate.active_session"
log = logging.getLogger("estate.auth")


@dataclass
class IssuedSession:
    session: AuthSession
    token: str
    jwt: str
    account: Account
    organization: Organization


def check_rate_limit(db: Session, settings: Settings, key: str, source: str) -> None:
    since = utcnow() - timedelta(seconds=settings.login_failure_window_seconds)
    failures = db.scalar(
        select(func.count()).select_from(LoginFailure).where(
            LoginFailure.login_key == key, LoginFailure.source == source, LoginFailure.failed_at >= since
        )
    )
    if failures and failures >= settings.login_max_failures:
        raise TooManyAttempts(
            "too many failed attempts for this account; try again later",
            retry_after=settings.login_failure_window_seconds,
        )


def record_failure(db: Session, key: str, source: str) -> None:
    db.add(LoginFailure(login_key=key, source=source))
    record.note_failed_login(login=key)


def clear_failures(db: Session, key: str, source: str) -> None:
    """A success clears the account's count from this source."""
    db.execute(delete(LoginFailure).where(LoginFailure.login_key == key, LoginFailure.source == source))


def second_factor_matches(account: Account, code: str) -> bool:
    """Whether ``code`` is the current TOTP code of an enrolled account (or the one just before or after)."""
    return account.totp_secret is not None and pyotp.TOTP(account.totp_secret).verify(str(code).strip(),
                                                                                      valid_window=1)


def _pick_organization(db: Session, account: Account, organization_name: str | None) -> Organization:
    query = (
        select(Organization)
        .join(OrganizationAccount, OrganizationAccount.organization_id == Organization.id)
        .where(
            OrganizationAccount.account_id == account.id,
            OrganizationAccount.is_enabled.is_(True),
            Organization.is_deleted.is_(False),
            Organization.is_enabled.is_(True),
        )
        .order_by(Organization.id)
    )
    if organization_name:
        query = query.where(func.lower(Organization.name) == organization_name.strip().lower())
    organization = db.scalars(query).first()
    if organization is None:
        raise NotAuthenticated("Invalid user name, password or organization")
    return organization


def login(
    db: Session,
    settings: Settings,
    *,
    login: str,
    password: str,
    organization_name: str | None,
    source: str,
) -> IssuedSession:
    key = accounts.login_key(login)
    check_rate_limit(db, settings, key, source)
    account = accounts.find_account(db, login)
    if account is None or not verify_password(account.password_hash, password):
        record_failure(db, key, source)
        raise NotAuthenticated("Invalid user name, password or organization")
    organization = _pick_organization(db, account, organization_name)
    clear_failures(db, key, source)
    _forget_idle_sessions(db, settings)
    token, jwt = new_token(), new_token(48)
    session = AuthSession(
        token_hash=digest(token),
        jwt_hash=digest(jwt),
        csrf_token=new_hex_token(64),
        account_id=account.id,
        organization_id=organization.id,
        fully_authenticated=account.totp_secret is None,
        source=source[:64],
    )
    db.add(session)
    db.flush()
    return IssuedSession(session=session, token=token, jwt=jwt, account=account, organization=organization)


def _forget_idle_sessions(db: Session, settings: Settings) -> None:
    cutoff = utcnow() - timedelta(minutes=settings.session_idle_minutes)
    db.execute(delete(AuthSession).where(AuthSession.last_seen < cutoff))


def presented_hashes(token: str | None, jwt: str | None) -> tuple[str, ...]:
    """What a request's session cookies are looked up by (their digests), or 401 without any."""
    hashes = tuple(digest(value) for value in (token, jwt) if value)
    if not hashes:
        raise NotAuthenticated("Not logged in")
    return hashes


def _of_presented(hashes: tuple[str, ...]) -> ColumnElement[bool]:
    return or_(AuthSession.token_hash.in_(hashes), AuthSession.jwt_hash.in_(hashes))


def _check_idle(db: Session, settings: Settings, session_id: int, last_seen: datetime) -> None:
    """Refuse a session idle too long; note one whose last_seen is due a move (record_activity)."""
    now = utcnow()
    if last_seen < now - timedelta(minutes=settings.session_idle_minutes):
        db.execute(delete(AuthSession).where(AuthSession.id == session_id))
        raise NotAuthenticated(SESSION_EXPIRED)
    if now - last_seen > TOUCH_INTERVAL:
        db.info[_ACTIVE_SESSION] = session_id


def find_session(db: Session, settings: Settings, *, token: str | None, jwt: str | None) -> AuthSession:
    session = db.scalar(select(AuthSession).where(_of_presented(presented_hashes(token, jwt))))
    if session is None:
        raise NotAuthenticated("Not logged in")
    _check_idle(db, settings, session.id, session.last_seen)
    return session


def record_activity(db: Session) -> None:
    """Move a session's last_seen forward after the request's own transaction has ended, in a short
    write of its own, so that a read stays a read and never has to upgrade to a writer."""
    session_id = db.info.pop(_ACTIVE_SESSION, None)
    if session_id is None:
        return
    try:
        db.execute(update(AuthSession).where(AuthSession.id == session_id).values(last_seen=utcnow()))
        db.commit()
    except OperationalError:
        # Only the idle clock is at stake; a busy database must not fail the answered request.
        db.rollback()
        log.warning("could not record session activity")


def check_csrf(session: AuthSession, presented: str | None) -> None:
    _check_csrf_token(session.csrf_token, presented)


def _check_csrf_token(expected: str, presented: str | None) -> None:
    if not presented or not secrets.compare_digest(presented.encode(), expected.encode()):
        raise NotAuthenticated(CSRF_REFUSED)


# Everything a request needs to know who calls, in one statement: the session, its account, the
# membership and organization it acts in (outer-joined, so that a missing one is told apart), and
# one row per role of the membership with its grants. Answering every request, it is built once,
# over the tables rather than the mapped classes, and runs without the ORM.
_session, _account, _member = AuthSession.__table__, Account.__table__, OrganizationAccount.__table__
_organization, _role, _role_member = Organization.__table__, Role.__table__, RoleMember.__table__
_CALLER = (
    select(
        _session.c.id,
        _session.c.last_seen,
        _session.c.csrf_token,
        _session.c.fully_authenticated,
        _session.c.account_id,
        _session.c.organization_id,
        _account.c.login,
        _account.c.is_deleted,
        _member.c.id,
        _member.c.is_enabled,
        _organization.c.is_deleted,
        _organization.c.is_enabled,
        _role.c.permissions,
    )
    .select_from(_session)
    .join(_account, _account.c.id == _session.c.account_id)
    .outerjoin(
        _member,
        and_(_member.c.account_id == _session.c.account_id, _member.c.organization_id == _session.c.organization_id),
    )
    .outerjoin(_organization, _organization.c.id == _member.c.organization_id)
    .outerjoin(_role_member, _role_member.c.org_account_id == _member.c.id)
    .outerjoin(_role, _role.c.id == _role_member.c.role_id)
)


def remembered_caller(callers: CallerCache, hashes: tuple[str, ...], csrf: str | None) -> Caller | None:
    """The caller a worker resolved for these cookies a moment ago (estate.auth.callers), its CSRF
    header checked as resolve_caller checks it; None when it must be resolved in the database."""
    found = callers.find(hashes)
    if found is None:
        return None
    caller, csrf_token = found
    _check_csrf_token(csrf_token, csrf)
    return caller


def resolve_caller(
    db: Session, settings: Settings, *, hashes: tuple[str, ...], csrf: str | None, callers: CallerCache | None = None
) -> Caller:
    """The caller of a request from its cookies' digests and CSRF header, checked as login_session
    and then the membership are (same order, same answers), in one statement; remembered in
    `callers` when given."""
    generation = callers.generation if callers is not None else 0
    rows = db.connection().execute(
        _CALLER.where(or_(_session.c.token_hash.in_(hashes), _session.c.jwt_hash.in_(hashes)))
    ).all()
    if not rows:
        raise NotAuthenticated("Not logged in")
    (session_id, last_seen, csrf_token, fully_authenticated, account_id, organization_id, login, account_deleted,
     member_id, member_enabled, organization_deleted, organization_enabled, _) = rows[0]
    _check_idle(db, settings, session_id, last_seen)
    _check_csrf_token(csrf_token, csrf)
    if not fully_authenticated:
        raise NotAuthenticated(NOT_FULLY_AUTHENTICATED)
    if member_id is None or account_deleted or not member_enabled:
        raise NotAuthenticated("This account may no longer use this organization")
    if organization_deleted or not organization_enabled:
        raise NotAuthenticated("This organization is disabled")
    caller = Caller(
        account_id=account_id,
        organization_id=organization_id,
        org_account_id=member_id,
        login=login,
        grants=frozenset(grant for row in rows if row[-1] for grant in row[-1]),
    )
    if callers is not None:
        callers.remember(hashes, caller, csrf_token, last_seen, generation=generation)
    return caller


def verify_second_factor(db: Session, settings: Settings, session: AuthSession, code: str | None) -> None:
    account = accounts.get_account(db, session.account_id)
    if account.totp_secret is None:
        session.fully_authenticated = True
        return
    if not code:
        raise InvalidInput("currentCode is required", field="currentCode")
    source = session.source or "unknown"
    check_rate_limit(db, settings, account.login_key, source)
    if not second_factor_matches(account, code):
        record_failure(db, account.login_key, source)
        raise NotAuthenticated("Invalid two-factor code")
    session.fully_authenticated = True


def switch_organization(db: Session, session: AuthSession, organization_id: int) -> Organization:
    organization = orgs.get_organization(db, organization_id)
    member = accounts.membership_of(db, organization_id, session.account_id)
    if member is None or not member.is_enabled or not organization.is_enabled:
        raise Forbidden(f"you are not a member of organization {organization_id}")
    session.organization_id = organization_id
    return organization


def logout(db: Session, session: AuthSession) -> None:
    db.delete(session)
