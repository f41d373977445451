"""What the agent protocol's routes share: JSON in and out, files out (with Range) and in (raw
bytes, spooled). Errors are the app's one mapping (DomainError → status and field)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import FileResponse, Response

from estate.errors import InvalidInput, PayloadTooLarge


def answer(payload: Any) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json")


async def json_body(request: Request) -> Any:
    limit = request.app.state.settings.max_body_bytes
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise PayloadTooLarge(f"the body exceeds {limit} bytes", field="body")
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON body: {exc}", field="body") from None


def file(path: Path, name: str) -> Response:
    """A stored file, streamed; Range requests answer 206 so downloads resume."""
    return FileResponse(path, media_type="application/octet-stream", filename=name)


async def spooled(request: Request, *, max_bytes: int) -> Any:
    """The raw body in a temporary file (memory up to 1 MiB, disk beyond)."""
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 - the caller closes it
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            spool.close()
            raise PayloadTooLarge(f"the file exceeds {max_bytes} bytes", field="file")
        spool.write(chunk)
    spool.seek(0)
    return spool
