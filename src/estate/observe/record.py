"""What one request did, noted by whichever layer knows it (the caller, the JSON-RPC calls, a failed
login) and read once when the request ends: by the request log line and by the metrics.

The record is reached through a context variable set per request. Worker threads that FastAPI and
the JSON-RPC endpoint use run in a copy of the request's context, so they note into the same
record. Outside a request (the command line, tests calling services) there is no record, and
noting costs one lookup."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from estate.observe import metrics


@dataclass(slots=True)
class RpcCall:
    method: str  # the registered name, or the name sent when no method has it
    code: int | None  # the JSON-RPC error code; None when the call succeeded
    seconds: float


class RequestRecord:
    """A plain class with slots: one is made per request, and a dataclass's default factory costs."""

    __slots__ = ("organization_id", "account_id", "apikey_id", "failed_login", "rpc_calls")

    def __init__(self) -> None:
        self.organization_id: int | None = None
        self.account_id: int | None = None
        self.apikey_id: int | None = None
        self.failed_login: str | None = None
        self.rpc_calls: list[RpcCall] = []


_CURRENT: ContextVar[RequestRecord | None] = ContextVar("estate_request_record", default=None)


def begin() -> tuple[RequestRecord, object]:
    record = RequestRecord()
    return record, _CURRENT.set(record)


def end(token: object) -> None:
    _CURRENT.reset(token)  # type: ignore[arg-type]


def note_caller(*, organization_id: int, account_id: int | None = None, apikey_id: int | None = None) -> None:
    record = _CURRENT.get()
    if record is not None:
        record.organization_id = organization_id
        record.account_id = account_id
        record.apikey_id = apikey_id


def note_failed_login(*, login: str) -> None:
    """A wrong password or second factor, on either face. The name is what was typed, never a secret."""
    metrics.LOGIN_FAILURES.inc()
    record = _CURRENT.get()
    if record is not None:
        record.failed_login = login


def note_rpc_call(*, method: str | None, sent: object, code: int | None, seconds: float) -> None:
    """One JSON-RPC call: ``method`` is the registered name (None when no method has the name
    ``sent``); metrics count unknown names under one label, the log line shows what was sent."""
    metrics.observe_rpc_call(method or metrics.UNKNOWN_METHOD, code, seconds)
    record = _CURRENT.get()
    if record is not None:
        shown = method or (sent[:100] if isinstance(sent, str) and sent else metrics.UNKNOWN_METHOD)
        record.rpc_calls.append(RpcCall(shown, code, seconds))
