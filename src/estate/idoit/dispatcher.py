"""JSON-RPC 2.0 as i-doit speaks it: single calls and batches, notifications, ids echoed with
their JSON type, every error an error object (answered with HTTP 200, ``data`` always present).

A request (single or batch) runs in one database session; each call runs in its own savepoint,
so a failing call leaves no half-written change and does not undo its neighbours."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from estate.cmdb.logbook import Actor
from estate.db.engine import begin_for_writing
from estate.errors import DomainError, InvalidInput, NotAuthenticated
from estate.idoit import auth
from estate.idoit.registry import INVALID_PARAMS, SYSTEM_ERROR, Context, Method, RpcError, lookup
from estate.observe import record
from estate.settings import Settings

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INTERNAL_ERROR = -32603
MISSING_PARAMS = -32604
LANGUAGES = ("en", "de")

log = logging.getLogger(__name__)
_NO_ID = object()


@dataclass
class Reply:
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def error_object(code: int, message: str, data: dict[str, Any] | None = None, id_: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message, "data": data}, "id": id_}


def _valid_id(value: Any) -> bool:
    # A request that is not a notification needs an identifier to answer to: null or "" is none.
    return isinstance(value, int | str) and not isinstance(value, bool) and value != ""


@dataclass
class Call:
    """One element of a request, checked for its envelope before anything runs."""

    raw: Any
    id: Any = _NO_ID
    error: dict[str, Any] | None = None
    method: Method | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def is_notification(self) -> bool:
        return self.id is _NO_ID

    @property
    def answer_id(self) -> Any:
        return None if self.id is _NO_ID else self.id


def _check_envelope(raw: Any, in_batch: bool) -> Call:
    if not isinstance(raw, dict):
        code = MISSING_PARAMS if in_batch else INVALID_REQUEST
        return Call(raw, id=None, error=error_object(code, "Invalid request: a call must be a JSON object"))
    call = Call(raw, id=raw.get("id", _NO_ID))
    if call.id is not _NO_ID and not _valid_id(call.id):
        call.id = None
        call.error = error_object(INTERNAL_ERROR, "Invalid request: id must be a non-empty string or an integer")
        return call
    if raw.get("version") != "2.0" and raw.get("jsonrpc") != "2.0":
        call.error = _fail(call, INVALID_REQUEST, 'Invalid request: version must be "2.0"', {"parameter": "version"})
        return call
    name = raw.get("method")
    if not isinstance(name, str) or not name:
        call.error = _fail(call, INVALID_REQUEST, "Invalid request: method must be a string", {"parameter": "method"})
        return call
    call.method = lookup(name)
    if call.method is None:
        call.error = _fail(call, METHOD_NOT_FOUND, f"Method not found: {name}", {"method": name})
        return call
    params = raw.get("params", _NO_ID)
    if params is _NO_ID or params is None:
        call.error = _fail(call, MISSING_PARAMS, "Missing parameter 'params'", {"parameter": "params"})
    elif not isinstance(params, dict):
        call.error = _fail(call, MISSING_PARAMS, "Parameter 'params' must be an object", {"parameter": "params"})
    else:
        # Optional parameters sent as explicit null count as absent.
        call.params = {key: value for key, value in params.items() if value is not None}
    return call


def _fail(call: Call, code: int, message: str, data: dict[str, Any] | None) -> dict[str, Any]:
    return error_object(code, message, data, call.answer_id)


def _batch_error(calls: list[Call]) -> dict[str, Any] | None:
    """The one error that answers a whole batch, as i-doit does (API 1.10): an identifier that
    repeats, or calls that carry different API keys (a batch speaks for one tenant)."""
    seen: set[tuple[type, Any]] = set()
    for call in calls:
        if call.error is not None or call.is_notification:
            continue
        marker = (type(call.id), call.id)
        if marker in seen:
            return error_object(INTERNAL_ERROR, f"Invalid request: id {call.id!r} repeats in the batch",
                                {"id": call.id})
        seen.add(marker)
    keys = {key for c in calls if c.error is None and isinstance(key := c.params.get("apikey"), str)}
    if len(keys) > 1:
        return error_object(INVALID_PARAMS, "Invalid parameters: a batch must use one API key",
                            {"parameter": "apikey"})
    return None


def _validation_error(exc: ValidationError) -> RpcError:
    first = exc.errors()[0]
    parameter = ".".join(str(part) for part in first.get("loc", ())) or "params"
    message = f"Invalid parameters: {parameter}: {first.get('msg', 'invalid value')}"
    return RpcError(INVALID_PARAMS, message, {"parameter": parameter, "error": first.get("msg")})


def _domain_error(exc: DomainError) -> RpcError:
    if isinstance(exc, InvalidInput):
        parameter = exc.field or "params"
        return RpcError(
            INVALID_PARAMS, f"Invalid parameters: {exc.message}", {"parameter": parameter, "error": exc.message}
        )
    if isinstance(exc, NotAuthenticated):
        return RpcError(MISSING_PARAMS, exc.message, {"error": exc.message})
    return RpcError(SYSTEM_ERROR, f"i-doit system error: {exc.message}", {"error": exc.message})


class Dispatcher:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings

    def handle(self, body: bytes, headers: Mapping[str, str], source: str) -> Reply:
        """Answer a request; ``source`` is the client's address, which failed logins count against."""
        credentials = auth.Credentials.of(headers, source)
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return self.reply(error_object(PARSE_ERROR, "Parse error: the body is not valid JSON"))
        if isinstance(payload, list):
            return self._batch(payload, credentials)
        call = _check_envelope(payload, in_batch=False)
        reply_headers: dict[str, str] = {}
        answers = self._run([call], credentials, reply_headers)
        return self.reply(answers[0] if answers else None, reply_headers)

    def _batch(self, payload: list[Any], credentials: auth.Credentials) -> Reply:
        if not payload:
            return self.reply(error_object(INVALID_REQUEST, "Invalid request: empty batch"))
        if len(payload) > self.settings.rpc_max_batch:
            message = f"Invalid request: a batch may hold at most {self.settings.rpc_max_batch} calls"
            return self.reply(error_object(INVALID_REQUEST, message, {"limit": self.settings.rpc_max_batch}))
        calls = [_check_envelope(raw, in_batch=True) for raw in payload]
        refused = _batch_error(calls)
        if refused is not None:
            return self.reply(refused)
        reply_headers: dict[str, str] = {}
        answers = self._run(calls, credentials, reply_headers)
        return self.reply(answers if answers else None, reply_headers)

    def reply(self, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        if isinstance(payload, dict) and payload.get("id", _NO_ID) is None and "error" in payload:
            # An answer to no call at all (a body that is not JSON, an empty or oversized batch).
            record.note_rpc_call(method=None, sent=None, code=payload["error"]["code"], seconds=0.0)
        return Reply(b"" if payload is None else orjson.dumps(payload), headers or {})

    def _run(self, calls: list[Call], credentials: auth.Credentials, reply_headers: dict[str, str]) -> list[Any]:
        """The answers of the calls that are not notifications, in order."""
        outcomes: list[dict[str, Any] | None] = [None] * len(calls)  # None: not run
        seconds = [0.0] * len(calls)  # each call's time; calls answered together share theirs
        db = self.sessions()
        try:
            writing = _may_write(calls, credentials)
            if writing:
                begin_for_writing(db)
            # A savepoint per call keeps a failed call's changes from its neighbours. A request of
            # reads has no changes to keep: its calls go without (two statements, and on PostgreSQL
            # two round trips, fewer per call), and a failed statement rolls the reads back.
            guarded = writing
            identities: dict[Any, auth.Identity] = {}
            position = 0
            for run in _runs(calls, writing):
                started = perf_counter()
                if len(run) > 1:
                    run_outcomes = self._execute_group(db, run, credentials, identities, reply_headers)
                else:
                    call = run[0]
                    run_outcomes = [
                        call.error or self._execute(db, call, credentials, identities, reply_headers, guarded)
                    ]
                outcomes[position : position + len(run)] = run_outcomes
                seconds[position : position + len(run)] = [(perf_counter() - started) / len(run)] * len(run)
                position += len(run)
            db.commit()
        except Exception:
            db.rollback()
            log.exception("JSON-RPC request failed")
            outcomes = _after_failure(calls, outcomes)
        finally:
            db.close()
        _note(calls, outcomes, seconds)
        return [outcome for call, outcome in zip(calls, outcomes, strict=True) if not call.is_notification]

    def _identity(self, db: Session, call: Call, credentials: auth.Credentials, cache: dict) -> auth.Identity:
        apikey = call.params.get("apikey")
        if not isinstance(apikey, str):
            return auth.identify(db, self.settings, apikey, credentials)  # refuses the call
        if apikey not in cache:
            try:
                cache[apikey] = auth.identify(db, self.settings, apikey, credentials)
            except auth.CountedRefusal as refusal:
                # The request's other calls present the same wrong credentials: refused alike, counted once.
                cache[apikey] = refusal
        if isinstance(cache[apikey], auth.CountedRefusal):
            raise cache[apikey]
        return cache[apikey]

    def _prepare(
        self, db: Session, call: Call, credentials: auth.Credentials, identities: dict
    ) -> tuple[auth.Identity, Context, Any]:
        """Who calls, whether they may, and the call's checked parameters."""
        method = _method_of(call)
        identity = self._identity(db, call, credentials, identities)
        right = method.access.right
        if right is not None and not identity.may(right):
            raise RpcError(
                SYSTEM_ERROR, "i-doit system error: you are not allowed to do this", {"error": "permission denied"}
            )
        params = method.params.model_validate(call.params)
        return identity, self._context(db, identity, call.params), params

    def _execute(
        self,
        db: Session,
        call: Call,
        credentials: auth.Credentials,
        identities: dict,
        reply_headers: dict[str, str],
        guarded: bool = True,
    ) -> dict[str, Any]:
        savepoint = db.begin_nested() if guarded else None
        try:
            identity, context, params = self._prepare(db, call, credentials, identities)
            result = _method_of(call).handler(context, params)
            if savepoint is not None:
                savepoint.commit()
            self._session_headers(identity, context, reply_headers)
            return _result(call, result)
        except Exception as exc:  # every failure becomes an error object; nothing escapes to the app
            if savepoint is None:
                return self._unguarded_error(db, exc, call)
            if savepoint.is_active:
                savepoint.rollback()
            if isinstance(exc, auth.CountedRefusal):
                auth.count(db, exc)  # after the rollback: the request's transaction keeps it
            return self._error_answer(exc, call)

    def _execute_group(
        self,
        db: Session,
        run: list[Call],
        credentials: auth.Credentials,
        identities: dict,
        reply_headers: dict[str, str],
    ) -> list[dict[str, Any]]:
        """Consecutive calls of one method of a request that only reads, answered together by the
        method's group handler; each gets the answer (or error object) it gets alone."""
        group = _method_of(run[0]).group
        if group is None:
            raise TypeError(f"{run[0].method} answers no group of calls")
        answers: list[dict[str, Any]] = [{} for _ in run]
        prepared: list[tuple[int, auth.Identity, Context, Any]] = []
        for n, call in enumerate(run):
            try:
                prepared.append((n, *self._prepare(db, call, credentials, identities)))
            except Exception as exc:  # as in _execute: an error object for this call
                answers[n] = self._unguarded_error(db, exc, call)
        try:
            outcomes = group([(context, params) for _, _, context, params in prepared])
        except Exception as exc:  # a statement of the group failed: each of its calls answers that error
            outcomes = [exc] * len(prepared)
        for (n, identity, context, _), outcome in zip(prepared, outcomes, strict=True):
            if isinstance(outcome, Exception):
                answers[n] = self._unguarded_error(db, outcome, run[n])
            else:
                self._session_headers(identity, context, reply_headers)
                answers[n] = _result(run[n], outcome)
        return answers

    def _unguarded_error(self, db: Session, exc: Exception, call: Call) -> dict[str, Any]:
        if isinstance(exc, DBAPIError):
            db.rollback()  # PostgreSQL refuses every later statement of a failed transaction
        return self._error_answer(exc, call)

    def _error_answer(self, exc: Exception, call: Call) -> dict[str, Any]:
        if isinstance(exc, RpcError):
            error = exc
        elif isinstance(exc, ValidationError):
            error = _validation_error(exc)
        elif isinstance(exc, DomainError):
            error = _domain_error(exc)
        elif isinstance(exc, DataError | OverflowError):  # a number beyond its column, wherever it was sent
            error = RpcError(INVALID_PARAMS, "Invalid parameters: a value is out of range", {"error": "out of range"})
        elif isinstance(exc, IntegrityError):
            error = RpcError(
                SYSTEM_ERROR, "i-doit system error: the change conflicts with existing data", {"error": "conflict"}
            )
        else:
            log.exception("JSON-RPC method %s failed", call.method.name if call.method else "?")
            error = RpcError(INTERNAL_ERROR, "Internal error", None)
        return error_object(error.code, error.message, error.data, call.answer_id)

    def _context(self, db: Session, identity: auth.Identity, params: dict[str, Any]) -> Context:
        language = params.get("language")
        account = identity.account
        return Context(
            db=db,
            organization_id=identity.organization_id,
            actor=Actor(identity.organization_id, account.id if account else None, identity.username),
            language=language if language in LANGUAGES else "en",
            login={
                "userid": str(account.id) if account else "0",
                "name": (account.full_name or account.login) if account else "Api System",
                "mail": (account.email or "") if account else "",
                "username": identity.username,
                "tenant": identity.organization_name,
                "tenant_id": identity.organization_id,
            },
            identity=identity,
            session_token=identity.session_token,
            settings=self.settings,
        )

    def _session_headers(self, identity: auth.Identity, context: Context, reply_headers: dict[str, str]) -> None:
        token = context.new_session_token or identity.session_token
        if token:
            reply_headers["X-RPC-Auth-Session"] = token


def _note(calls: Sequence[Call], outcomes: Sequence[dict[str, Any] | None], seconds: Sequence[float]) -> None:
    """Each call's method and error code, for the request's log line and the metrics."""
    for call, outcome, spent in zip(calls, outcomes, seconds, strict=True):
        error = outcome.get("error") if outcome else None
        record.note_rpc_call(
            method=call.method.name if call.method else None,
            sent=call.raw.get("method") if isinstance(call.raw, dict) else None,
            code=error["code"] if error else None,
            seconds=spent,
        )


def _result(call: Call, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "result": result, "id": call.answer_id}


def _runs(calls: list[Call], writing: bool) -> list[list[Call]]:
    """The calls in order, where a request that only reads puts consecutive calls of one method
    with a group handler into one run."""
    runs: list[list[Call]] = []
    for call in calls:
        previous = runs[-1][0] if runs else None
        if (
            not writing
            and previous is not None
            and call.error is None
            and previous.error is None
            and call.method is previous.method
            and call.method is not None
            and call.method.group is not None
        ):
            runs[-1].append(call)
        else:
            runs.append([call])
    return runs


def _may_write(calls: list[Call], credentials: auth.Credentials) -> bool:
    """Whether the request can write: a method that writes (Access), or credentials or a session in
    the headers (failed attempts and session activity are recorded). Plain reads with an API key
    stay readers and run side by side."""
    if credentials.presented:
        return True
    return any(call.method is not None and call.method.access.writes for call in calls)


def _method_of(call: Call) -> Method:
    """The method of a call that passed its envelope check."""
    if call.method is None:
        raise TypeError("a call without a method does not run")
    return call.method


def _after_failure(calls: list[Call], outcomes: list[dict[str, Any] | None]) -> list[dict[str, Any] | None]:
    """The outcomes after the request itself failed (a commit, the write lock) and its changes were
    rolled back: each call keeps its own error, and a read its answer unless it followed a change
    that was lost; a change and what read after it, or a call that did not run, answer an internal
    error."""
    kept: list[dict[str, Any] | None] = []
    lost = False
    for call, outcome in zip(calls, outcomes, strict=True):
        failed_alone = outcome is not None and "error" in outcome
        changed = not failed_alone and call.method is not None and call.method.access.writes
        lost = lost or (outcome is not None and changed)
        if outcome is None or changed or (lost and not failed_alone):
            outcome = error_object(INTERNAL_ERROR, "Internal error", None, call.answer_id)
        kept.append(outcome)
    return kept
