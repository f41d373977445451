"""Enrolment, agent identity and the work queue.

- An administrator makes an enrolment token for an organization; an agent presents it once with its
  KUID and receives a machine secret of its own. Only digests of tokens and secrets are stored.
- Every later agent request carries the machine secret; the check-in reads the machine, its
  revocation and its pending work in one indexed statement.
- Work is rows of `agent_work`, one per machine; the domains that create work (scripting today)
  answer for its payload and its results. Claiming takes rows with FOR UPDATE SKIP LOCKED on
  PostgreSQL, so several server processes share the agents without handing one row out twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, bindparam, event, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from estate.agents.models import CLAIMED, DONE, PENDING, AgentMachine, EnrolmentToken, Work
from estate.auth.secrets import digest, new_token
from estate.db.base import MAX_INT, UTCDateTime, utcnow
from estate.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from estate.history import service as history
from estate.inventory import service as inventory
from estate.inventory.models import Machine

TOKEN_ENTITY = "agent_enrolment_token"  # noqa: S105 - a history entity name
MACHINE_ENTITY = "agent_machine"


# --- enrolment tokens --------------------------------------------------------------------------


def create_token(db: Session, *, organization_id: int, account_id: int | None, description: str = "",
                 valid_days: int | None = None) -> tuple[EnrolmentToken, str]:
    """A new enrolment token; the raw token is answered once and only its digest is kept."""
    if valid_days is not None and not 1 <= valid_days <= 3650:
        raise InvalidInput("validDays must be between 1 and 3650", field="validDays")
    if len(description) > 255:
        raise InvalidInput("description must be at most 255 characters", field="description")
    raw = f"et_{new_token(24)}"
    token = EnrolmentToken(organization_id=organization_id, token_hash=digest(raw), hint=raw[:7],
                           description=description, created_by=account_id,
                           expires=utcnow() + timedelta(days=valid_days) if valid_days else None)
    db.add(token)
    db.flush()
    history.record(db, organization_id=organization_id, account_id=account_id, action=history.CREATE,
                   entity_name=TOKEN_ENTITY, entity_id=token.id, changes={"description": (None, description)})
    return token, raw


def list_tokens(db: Session, *, organization_id: int) -> list[EnrolmentToken]:
    return list(db.scalars(select(EnrolmentToken).where(EnrolmentToken.organization_id == organization_id)
                           .order_by(EnrolmentToken.id)))


def revoke_token(db: Session, *, organization_id: int, token_id: int, account_id: int | None) -> None:
    token = db.get(EnrolmentToken, token_id) if 0 < token_id <= MAX_INT else None
    if token is None or token.organization_id != organization_id:
        raise NotFound(f"enrolment token {token_id} not found", field="id")
    if not token.revoked:
        token.revoked = True
        history.record(db, organization_id=organization_id, account_id=account_id, action=history.UPDATE,
                       entity_name=TOKEN_ENTITY, entity_id=token.id, changes={"revoked": (False, True)})


# --- enrolment ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolled:
    organization_id: int
    machine_id: int
    kuid: str
    secret: str


def _usable_token(db: Session, raw: str) -> EnrolmentToken:
    token = db.scalar(select(EnrolmentToken).where(EnrolmentToken.token_hash == digest(raw)))
    if token is None or token.revoked or (token.expires is not None and token.expires <= utcnow()):
        raise NotAuthenticated("the enrolment token is unknown, revoked or expired", field="token")
    return token


def _kuid(value: Any) -> str:
    if value in (None, ""):
        return str(uuid.uuid4()).upper()
    if not isinstance(value, str) or not 8 <= len(value.strip()) <= 64 or not value.strip().replace("-", "").isalnum():
        raise InvalidInput("kuid must be 8 to 64 letters, digits or dashes", field="kuid")
    return value.strip().upper()


def enrol(db: Session, *, token: Any, kuid: Any, name: Any, agent_version: Any = "") -> Enrolled:
    """Register the agent's machine once and give it a secret of its own. The machine is found by its
    KUID within the token's organization (a re-installed agent that kept its KUID stays the same
    machine, and its earlier secret stops working) or created through the inventory ingest."""
    if not isinstance(token, str) or not token:
        raise InvalidInput("token is required", field="token")
    if name is not None and (not isinstance(name, str) or len(name) > 255):
        raise InvalidInput("name must be a string of at most 255 characters", field="name")
    kuid = _kuid(kuid)
    found = _usable_token(db, token)
    organization_id = found.organization_id
    machine_id = inventory.ingest_machines(
        db, organization_id=organization_id, machines=[{"Kuid": kuid, **({"Name": name} if name else {})}],
        where="machine")[0]
    secret = f"ms_{new_token(32)}"
    current = db.get(AgentMachine, machine_id)
    if current is not None and current.revoked is not None:
        raise Forbidden("this machine was revoked; an administrator must delete it before it enrols again",
                        field="kuid")
    if current is None:
        db.add(AgentMachine(organization_id=organization_id, machine_id=machine_id, secret_hash=digest(secret),
                            token_id=found.id, agent_version=str(agent_version or "")[:64]))
    else:
        current.secret_hash, current.token_id, current.enrolled = digest(secret), found.id, utcnow()
        current.agent_version = str(agent_version or "")[:64]
    found.enrolments += 1
    db.flush()
    history.record(db, organization_id=organization_id, account_id=None, action=history.CREATE,
                   entity_name=MACHINE_ENTITY, entity_id=machine_id, changes={"kuid": (None, kuid)})
    return Enrolled(organization_id, machine_id, kuid, secret)


def revoke_machine(db: Session, *, organization_id: int, machine_id: int, account_id: int | None) -> None:
    """From now on every request with the machine's secret is refused, and its pending work dropped."""
    agent = db.get(AgentMachine, machine_id) if 0 < machine_id <= MAX_INT else None
    if agent is None or agent.organization_id != organization_id:
        raise NotFound(f"no enrolled agent on machine {machine_id}", field="machineId")
    if agent.revoked is None:
        agent.revoked = utcnow()
        history.record(db, organization_id=organization_id, account_id=account_id, action=history.UPDATE,
                       entity_name=MACHINE_ENTITY, entity_id=machine_id, changes={"revoked": (None, agent.revoked)})


def list_agents(db: Session, *, organization_id: int) -> list[tuple[AgentMachine, str | None, str]]:
    rows = db.execute(select(AgentMachine, Machine.name, Machine.kuid)
                      .join(Machine, Machine.id == AgentMachine.machine_id)
                      .where(AgentMachine.organization_id == organization_id).order_by(AgentMachine.machine_id))
    return [(agent, name, kuid) for agent, name, kuid in rows]


def delete_agent(db: Session, *, organization_id: int, machine_id: int, account_id: int | None) -> None:
    """Forget a machine's enrolment (revoked or not): it may enrol again with a token."""
    agent = db.get(AgentMachine, machine_id) if 0 < machine_id <= MAX_INT else None
    if agent is None or agent.organization_id != organization_id:
        raise NotFound(f"no enrolled agent on machine {machine_id}", field="machineId")
    db.delete(agent)
    history.record(db, organization_id=organization_id, account_id=account_id, action=history.DELETE,
                   entity_name=MACHINE_ENTITY, entity_id=machine_id)


# --- who is calling ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckIn:
    """What one agent request learns in its one read: who it is and what waits for it."""

    organization_id: int
    machine_id: int
    offline_revision: int
    force_inventory: bool
    pending: tuple[int, ...]


# Built once: the idle check-in is the agent channel's most frequent statement.
_CHECK_IN = (
    select(AgentMachine.organization_id, AgentMachine.machine_id, AgentMachine.revoked,
           AgentMachine.offline_revision, Machine.force_inventory, Work.id)
    .join(Machine, Machine.id == AgentMachine.machine_id)
    .outerjoin(Work, and_(Work.machine_id == AgentMachine.machine_id, Work.state != DONE,
                          or_(Work.started.is_not(None), Work.not_after.is_(None),
                              Work.not_after > bindparam("now", type_=UTCDateTime())),
                          or_(Work.not_before.is_(None), Work.not_before <= bindparam("now", type_=UTCDateTime()))))
    .where(AgentMachine.secret_hash == bindparam("secret_hash"))
    .order_by(Work.id).limit(51)
)


def check_in(db: Session | Connection, *, secret: str | None) -> CheckIn:
    """Authenticate a machine secret and read what waits for the machine (one statement)."""
    if not secret:
        raise NotAuthenticated("the agent request carries no machine secret", field="Authorization")
    connection = db.connection() if isinstance(db, Session) else db
    rows = connection.execute(_CHECK_IN, {"secret_hash": digest(secret), "now": utcnow()}).all()
    if not rows:
        raise NotAuthenticated("unknown machine secret", field="Authorization")
    organization_id, machine_id, revoked, revision, force, _ = rows[0]
    if revoked is not None:
        raise Forbidden("this machine was revoked", field="Authorization")
    pending = tuple(row[5] for row in rows if row[5] is not None)
    return CheckIn(organization_id, machine_id, revision, bool(force), pending)


# --- work --------------------------------------------------------------------------------------

# Who wants to know that machines got work (the agent face wakes their long-polls).
_listeners: list[Callable[[Iterable[int]], None]] = []
_WOKEN = "agents.machines_with_new_work"


def on_new_work(listener: Callable[[Iterable[int]], None]) -> Callable[[Iterable[int]], None]:
    _listeners.append(listener)
    return listener


def announce_after_commit(db: Session, machine_ids: Iterable[int]) -> None:
    db.info.setdefault(_WOKEN, set()).update(machine_ids)


def announced(db: Session) -> set[int]:
    return db.info.pop(_WOKEN, set())


def tell_listeners(machine_ids: set[int]) -> None:
    for listener in _listeners:
        listener(machine_ids)


def enqueue_from(db: Session, *, kind: str, source: Any, not_after: datetime | None,
                 not_before: datetime | None = None) -> list[int]:
    """Work rows from a SELECT of (organization_id, machine_id, subject_id): one statement for any
    number of machines. Answers the machines that got work."""
    columns = source.subquery()
    work = cast(Table, Work.__table__)  # a Core statement: the answered ids are plain rows, not loaded objects
    inserted = db.execute(insert(work).from_select(
        ["organization_id", "machine_id", "subject_id", "kind", "state", "created", "not_after", "not_before"],
        select(columns.c.organization_id, columns.c.machine_id, columns.c.subject_id, literal(kind),
               literal(PENDING), literal(utcnow(), UTCDateTime()), literal(not_after, UTCDateTime()),
               literal(not_before, UTCDateTime()))).returning(work.c.machine_id))
    return list(inserted.scalars())


def claim(db: Session, *, machine_id: int, work_ids: Sequence[int]) -> list[Work]:
    """Take the machine's waiting rows among `work_ids` (claimed again when the agent asks again,
    e.g. after a restart: the agent's journal keeps it from running a step twice)."""
    if not work_ids:
        return []
    now = utcnow()
    query = (select(Work).where(Work.machine_id == machine_id, Work.id.in_(list(work_ids)), Work.state != DONE)
             .order_by(Work.id))
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(db.scalars(query))
    expired = [row for row in rows if row.started is None and row.not_after is not None and row.not_after <= now]
    for row in rows:
        row.state, row.claimed = (DONE, row.claimed) if row in expired else (CLAIMED, row.claimed or now)
    return [row for row in rows if row not in expired]


def start(db: Session, *, work: Work) -> bool:
    """The agent begins the work: False when it came too late (the work expired unstarted)."""
    if work.started is not None:
        return work.state != DONE
    if work.state == DONE or (work.not_after is not None and work.not_after <= utcnow()):
        work.state = DONE
        return False
    work.started = utcnow()
    return True


def work_of(db: Session, *, machine_id: int, work_id: int) -> Work:
    """One work row of the calling machine (another machine's row answers 404, as a missing one)."""
    row = db.get(Work, work_id) if 0 < work_id <= MAX_INT else None
    if row is None or row.machine_id != machine_id:
        raise NotFound(f"work {work_id} not found", field="workId")
    return row


def finish(db: Session, *, work: Work) -> None:
    work.state = DONE


def defer(db: Session, *, work: Work, until: datetime) -> None:
    """A claimed row handed back unstarted, not to be handed out before `until`."""
    work.state, work.claimed, work.not_before = PENDING, None, until


def drop_work(db: Session, *, kind: str, subject_ids: Any) -> None:
    """Work whose subject is gone (a deleted script's runs) is not handed out any more."""
    db.execute(update(Work).where(Work.kind == kind, Work.subject_id.in_(subject_ids), Work.state != DONE)
               .values(state=DONE))


def bump_offline_revision(db: Session, *, organization_id: int, machine_ids: list[int]) -> None:
    """The machines' agents fetch their offline scripts again (a waiting check-in answers at once)."""
    announce_after_commit(db, machine_ids)
    db.execute(update(AgentMachine).where(AgentMachine.organization_id == organization_id,
                                          AgentMachine.machine_id.in_(machine_ids))
               .values(offline_revision=AgentMachine.offline_revision + 1))


def newest_work_id(db: Session) -> int:
    return db.scalar(select(func.max(Work.id))) or 0


def machines_with_work_after(db: Session, *, work_id: int) -> tuple[int, set[int]]:
    """Machines that got work since `work_id` (any server process made it): the long-polls of this
    process learn of it from one cheap read of the primary key's tail."""
    rows = db.execute(select(Work.id, Work.machine_id).where(Work.id > work_id, Work.state == PENDING)).all()
    newest = max((row[0] for row in rows), default=work_id)
    return newest, {row[1] for row in rows}


@event.listens_for(Session, "after_commit")
def _after_commit(db: Session) -> None:
    machine_ids = announced(db)
    if machine_ids:
        tell_listeners(machine_ids)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(db: Session, previous_transaction: object) -> None:
    announced(db)
