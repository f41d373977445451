"""What every KACE route shares: content negotiation (JSON or XML), bodies, errors, versions."""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import ModuleType
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DataError, IntegrityError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from estate.errors import DomainError, InvalidInput, PayloadTooLarge, TooManyAttempts

log = logging.getLogger("estate.kace")

SUCCESS = {"Result": "Success"}


def wants_xml(request: Request) -> bool:
    best_xml, best_json = 0.0, 0.0
    for part in request.headers.get("accept", "").split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if media in ("application/xml", "text/xml"):
            best_xml = max(best_xml, quality)
        elif media in ("application/json", "*/*", "application/*"):
            best_json = max(best_json, quality)
    return best_xml > best_json


# Characters XML 1.0 cannot carry, even escaped: they are answered as U+FFFD.
_NOT_XML_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_NAME = re.compile(r"^[^\W\d][\w.\-]*$")


def xml_name(key: Any) -> str:
    """A key as an element name: characters a name cannot hold become `_` (`Ram Total` →
    `Ram_Total`), and a name that cannot start as it is starts with `_`."""
    name = str(key)
    if _XML_NAME.match(name):
        return name
    name = re.sub(r"[^\w.\-]", "_", name)
    return name if _XML_NAME.match(name) else f"_{name}"


def xml_ready(value: Any) -> Any:
    """Plain data as XML elements write it: valid names, booleans and dates as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, str):
        return _NOT_XML_CHARACTERS.sub("\ufffd", value)
    if isinstance(value, Mapping):
        return {xml_name(key): xml_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        # A list inside a list has no name of its own: its members are its items.
        return [{"item": xml_ready(item)} if isinstance(item, (list, tuple)) else xml_ready(item) for item in value]
    return value


def xml_library() -> ModuleType:
    """xmltodict, loaded by the first XML answer or body: most clients speak JSON, and a worker that
    never meets XML does without the module and expat (docs/benchmarks.md, memory per worker)."""
    import xmltodict

    return xmltodict


def to_xml(payload: Any, root: str = "response") -> bytes:
    """One well-formed document whatever the payload: an object with one key whose value is an
    object becomes that element; anything else is wrapped in `<response>`."""
    ready = xml_ready(payload)
    if isinstance(ready, Mapping) and len(ready) == 1 and isinstance(next(iter(ready.values())), Mapping):
        document = ready
    elif isinstance(ready, list):
        document = {root: {"item": ready}}
    else:
        document = {root: ready}
    return xml_library().unparse(document, pretty=False).encode()


def to_json(payload: Any, pretty: bool = False) -> bytes:
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if pretty else 0)
    return orjson.dumps(payload, option=option)


def pretty(request: Request) -> bool:
    return request.query_params.get("use_pretty_print", "").strip().lower() == "true"


def respond(request: Request, payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """Serialize a payload as the client asked (Accept), JSON by default."""
    if wants_xml(request):
        return Response(to_xml(payload), status_code=status, media_type="application/xml", headers=headers)
    return Response(to_json(payload, pretty(request)), status_code=status, media_type="application/json",
                    headers=headers)


def empty(status: int = 200) -> Response:
    return Response(status_code=status)


def error_body(message: str, field: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"errorCode": -1, "errorDescription": message}
    if field:
        body["field"] = field
    return body


async def read_body(request: Request, max_bytes: int) -> Any:
    """The request body as plain data, from JSON or XML, refusing oversize and malformed bodies."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"the body exceeds {max_bytes} bytes")
    raw = await request.body()
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"the body exceeds {max_bytes} bytes")
    if not raw.strip():
        return None
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type.endswith("xml"):
        try:
            document = xml_library().parse(raw)
        except Exception as exc:  # expat raises several types; all mean malformed XML
            raise InvalidInput(f"malformed XML body: {exc}", field="body") from None
        # The root element only names the document; its content is the payload.
        return next(iter(document.values())) if len(document) == 1 else document
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON body: {exc}", field="body") from None


@dataclass
class Upload:
    """A multipart/form-data request: its records part, parsed, and its file parts by part name
    (a name may repeat, `INVENTORY_FILE[]`-style), in the order sent."""

    body: Any
    files: dict[str, list[UploadFile]]


def part_name(name: str) -> str:
    """`INVENTORY_FILE[]` and `INVENTORY_FILE` name the same parts: the brackets only let a form
    repeat the name (the reference's "Upload an attachment as a ticket change")."""
    return name.removesuffix("[]")


async def read_upload(request: Request, *, part: str | None, max_body: int, max_files: int, max_file: int,
                      max_fields: int) -> Upload | None:
    """The upload of a multipart request whose JSON part `part` holds the records (as the
    appliance's examples send `Tickets` or `Assets` beside the files; `part` None: files only, and
    the body is None); None for any other body."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        return None
    limit = max_body + max_files * max_file
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the upload exceeds {limit} bytes", field="body")
    try:
        form = await request.form(max_files=max_files, max_fields=max_fields, max_part_size=max_body)
    except StarletteHTTPException as exc:
        raise InvalidInput(f"malformed multipart body: {exc.detail}", field="body") from None
    files: dict[str, list[UploadFile]] = {}
    raw: Any = None
    for name, value in form.multi_items():
        if name == part:
            raw = await value.read() if isinstance(value, UploadFile) else value
        elif isinstance(value, UploadFile):
            files.setdefault(part_name(name), []).append(value)
        else:
            raise InvalidInput(f"unexpected form field {name!r}; send {part + ' and ' if part else ''}file parts",
                               field=name)
    if part is None:
        return Upload(None, files)
    if raw is None:
        raise InvalidInput(f"the multipart body has no {part} part", field=part)
    try:
        return Upload(orjson.loads(raw), files)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the {part} part is not JSON: {exc}", field=part) from None


def _location(error: Mapping[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path"))


def describe_validation(errors: Sequence[Mapping[str, Any]]) -> tuple[str, str | None]:
    parts = []
    for error in errors:
        where = _location(error)
        message = "unknown field" if error.get("type") == "extra_forbidden" else error.get("msg", "invalid")
        parts.append(f"{where}: {message}" if where else message)
    first = _location(errors[0]) if errors else None
    return "; ".join(parts), first or None


def validate(model: type[BaseModel], data: Any, *, what: str = "body") -> Any:
    if data is None:
        raise InvalidInput(f"a {what} is required", field=what)
    if not isinstance(data, Mapping):
        raise InvalidInput(f"the {what} must be an object", field=what)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message, field = describe_validation(exc.errors())
        raise InvalidInput(message, field=field) from None


def api_version(request: Request) -> int:
    raw = request.headers.get("x-dell-api-version") or request.headers.get("x-kace-api-version")
    if raw is None:
        return 1
    try:
        version = int(raw.strip())
    except ValueError:
        version = 0
    if version < 1:
        raise InvalidInput("x-dell-api-version must be an integer of at least 1", field="x-dell-api-version")
    return version


def install_error_handlers(app: Any) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
        return respond(request, error_body(exc.message, exc.field), exc.status, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        message, field = describe_validation(list(exc.errors()))
        return respond(request, error_body(message, field), 400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no route {request.method} {request.url.path}"
        return respond(request, error_body(message), exc.status_code, getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        log.info("integrity conflict on %s %s", request.method, request.url.path)
        return respond(request, error_body("the change conflicts with existing data"), 409)

    # A number beyond what the database column holds (SQLite raises OverflowError while binding,
    # PostgreSQL a DataError): the client's input is at fault, whichever route it reached.
    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: Exception) -> Response:
        return respond(request, error_body("a value is out of range for its field"), 400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(request, error_body("internal error"), 500)


def download(path: Any, file_name: str, content_type: str) -> Response:
    """A stored file as an attachment, streamed (Range requests answered with 206)."""
    ascii_name = file_name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return FileResponse(path, media_type=content_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}",
        "X-Content-Type-Options": "nosniff",
    })


async def spooled_body(request: Request, *, max_bytes: int, field: str) -> Any:
    """The raw body, or the one file part of a multipart body, in a temporary file (memory up to
    1 MiB, disk beyond), refusing more than max_bytes."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + 64 * 1024:
        raise PayloadTooLarge(f"the file exceeds {max_bytes} bytes", field=field)
    if content_type == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=4, max_part_size=64 * 1024)
        except StarletteHTTPException as exc:
            raise InvalidInput(f"malformed multipart body: {exc.detail}", field=field) from None
        parts = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
        if len(parts) != 1:
            raise InvalidInput("send the file as the one file part of the form", field=field)
        return parts[0].file, parts[0].content_type
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 - handed to the caller
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            spool.close()
            raise PayloadTooLarge(f"the file exceeds {max_bytes} bytes", field=field)
        spool.write(chunk)
    spool.seek(0)
    return spool, content_type or None
