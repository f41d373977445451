"""The registry of JSON-RPC methods by name, each with a pydantic model for its parameters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from estate.cmdb.logbook import Actor
from estate.db.base import MAX_INT

INVALID_PARAMS = -32602
SYSTEM_ERROR = -32099


class RpcError(Exception):
    """An error answered as a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


class Params(BaseModel):
    """Base of every method's parameters: unknown keys (apikey, language ...) are ignored, as i-doit does."""

    model_config = ConfigDict(extra="ignore")


@dataclass
class Context:
    """One call: its database session, organization, actor and language."""

    db: Session
    organization_id: int
    actor: Actor
    language: str
    login: dict[str, Any]  # who is calling, as idoit.version / idoit.login show it
    identity: Any = None  # the estate.idoit.auth.Identity behind the call
    session_token: str | None = None  # the X-RPC-Auth-Session the response carries
    new_session_token: str | None = None
    settings: Any = None


class Access(Enum):
    """What a method may do, declared once per method: the dispatcher decides by it which right a
    caller needs and whether the request takes the write lock."""

    READ = "read"  # reads the CMDB: the right to read it
    WRITE = "write"  # changes the CMDB: the right to change it; the request takes the write lock
    LOGIN = "login"  # opens or ends the caller's RPC session (writes it): a caller the tenant knows
    NO_AUTH = "no auth"  # answers what any caller of the tenant may know (version, constants): no right

    @property
    def writes(self) -> bool:
        return self in (Access.WRITE, Access.LOGIN)

    @property
    def right(self) -> str | None:
        """The CMDB right a caller needs, if any."""
        return {Access.READ: "read", Access.WRITE: "write"}.get(self)


Handler = Callable[[Context, Any], Any]
# Answers several calls of one method at once: a result or an exception per call, in order.
GroupHandler = Callable[[Sequence[tuple[Context, Any]]], list[Any]]


@dataclass(frozen=True)
class Method:
    name: str
    params: type[Params]
    handler: Handler
    access: Access
    group: GroupHandler | None = None  # set for reads a batch answers together (docs/decisions/0313)


METHODS: dict[str, Method] = {}


def rpc(name: str, params: type[Params] = Params, *, access: Access, aliases: tuple[str, ...] = ()):
    """Register a method that may do what ``access`` says; ``aliases`` are other names clients use
    for it (``cmdb.objects`` = ``.read``)."""

    def register(handler: Handler) -> Handler:
        method = Method(name=name, params=params, handler=handler, access=access)
        for key in (name, *aliases):
            METHODS[key] = method
        return handler

    return register


def rpc_group(name: str, params: type[Params], *, aliases: tuple[str, ...] = ()):
    """Register a read that answers several calls at once; one call alone is a group of one."""

    def register(group: GroupHandler) -> GroupHandler:
        def handler(ctx: Context, call_params: Any) -> Any:
            outcome = group([(ctx, call_params)])[0]
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        method = Method(name=name, params=params, handler=handler, access=Access.READ, group=group)
        for key in (name, *aliases):
            METHODS[key] = method
        return group

    return register


def lookup(name: str) -> Method | None:
    method = METHODS.get(name)
    if method is None and name.count(".") == 1:
        # A namespace without a verb means its read (cmdb.objects → cmdb.objects.read).
        method = METHODS.get(f"{name}.read")
    return method


# Ids are 32-bit columns on PostgreSQL: a larger id names nothing and is refused up front.
MAX_RECORD_ID = MAX_INT


def invalid(parameter: str, message: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"Invalid parameters: {message}", {"parameter": parameter, "error": message})
