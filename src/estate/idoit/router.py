"""The i-doit JSON-RPC endpoint: POST /src/jsonrpc.php (also below /i-doit). Every answer is
HTTP 200 with a JSON-RPC body (or an empty body for notifications): the dispatcher catches
everything, so the KACE face's error handlers never answer for this path."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match, Route
from starlette.types import Scope

from estate.idoit import methods  # noqa: F401 - registers every method
from estate.idoit.dispatcher import INVALID_REQUEST, Dispatcher, Reply, error_object

router = APIRouter()
PATHS = ("/src/jsonrpc.php", "/i-doit/src/jsonrpc.php")


def _dispatcher(request: Request) -> Dispatcher:
    dispatcher = getattr(request.app.state, "idoit_dispatcher", None)
    if dispatcher is None:
        dispatcher = Dispatcher(request.app.state.sessions, request.app.state.settings)
        request.app.state.idoit_dispatcher = dispatcher
    return dispatcher


async def _read_limited(request: Request, limit: int) -> bytes | None:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            return None
    return bytes(body)


async def jsonrpc(request: Request) -> Response:
    dispatcher = _dispatcher(request)
    try:
        body = await _read_limited(request, dispatcher.settings.max_body_bytes)
    except Exception:  # a client that hangs up mid-body gets an error object, not the app's handlers
        body = None
    if body is None:
        reply = dispatcher.reply(error_object(INVALID_REQUEST, "Invalid request: the body is too large or unreadable"))
    else:
        # The client's address, as the KACE login counts failures (a named proxy's X-Forwarded-For already applied).
        source = request.client.host if request.client else "unknown"
        reply = await run_in_threadpool(dispatcher.handle, body, request.headers, source)
    return _response(reply)


def _response(reply: Reply) -> Response:
    return Response(content=reply.body, status_code=200, media_type="application/json", headers=reply.headers)


class RpcRoute(Route):
    """A plain route, not FastAPI's: the endpoint reads its own body and answers bytes, so the
    dependency solving FastAPI's routes do per request has nothing to do (docs/decisions/1112).
    It names itself in the scope, as FastAPI's routes do: the request log and metrics show it."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


for _path in PATHS:
    router.routes.append(RpcRoute(_path, jsonrpc, methods=["POST"], include_in_schema=False))
