"""The Reporting API (reference: "Reporting API Reference"): report definitions listed through the
query engine, reports run and written in a format and locale, asynchronous runs, merges; linked
appliances (none, decision 0105). Estate adds writing definitions and schedules (decision 0801).

Thin over estate.reporting: parse, check the caller's right, call the domain, write the answer."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from estate.auth.permissions import Caller
from estate.errors import Conflict, InvalidInput, NotFound
from estate.kace.deps import DB, Body, CurrentCaller, Id, TransactionStream
from estate.kace.http import download, empty, respond
from estate.kace.lists import item_response, list_response
from estate.kace.versions import KACE_API_VERSION
from estate.query import Scope, parse_query, plan_query
from estate.query.run import fetch_page
from estate.reporting import formats, runs, service
from estate.reporting.definition import Definition, check_format, parse_definition
from estate.reporting.engine import tabulate
from estate.reporting.entities import DEFINITION, DISTINCT_FIELDS
from estate.reporting.models import CANCELLED, DONE, FAILED, ReportJob, ReportSchedule

router = APIRouter(prefix="/api/reporting", tags=["reporting"])
# Estate's additions (decision 0801): writing definitions, schedules. Kept out of the reference's
# OpenAPI document like the other added paths.
added = APIRouter(prefix="/api/reporting", tags=["reporting"], include_in_schema=False)
AREA = "reporting"
MAX_MERGED = 20
# Formats written row by row: their answer streams as the report is read.
STREAMED = ("csv", "json", "html")

OrgId = Annotated[int, Query(alias="orgID", ge=0)]


def _both(path: str) -> list[str]:
    return [f"{path}/", path] if path else ["/", ""]


def _get(path: str) -> Any:
    first, second = _both(path)

    def register(endpoint: Any) -> Any:
        router.add_api_route(first, endpoint, methods=["GET"])
        router.add_api_route(second, endpoint, methods=["GET"], include_in_schema=False)
        return endpoint

    return register


def _check_org(caller: Caller, org_id: int) -> None:
    """`orgID` 0 is the session's organization; another organization's id is walled off."""
    if org_id not in (0, caller.organization_id):
        raise NotFound(f"organization {org_id} is not the organization of this session", field="orgID")


def _scope(caller: Caller) -> Scope:
    return Scope(organization_id=caller.organization_id, visible=None)


def _version(request: Request, caller: CurrentCaller) -> Response:
    caller.require(AREA)
    return respond(request, str(KACE_API_VERSION))


# --- definitions ------------------------------------------------------------------------------------

@_get("/definitions/version")
def definitions_version(request: Request, caller: CurrentCaller) -> Response:
    return _version(request, caller)


@_get("/definitions")
def list_definitions(request: Request, db: DB, caller: CurrentCaller, org_id: OrgId = 0) -> Response:
    caller.require(AREA)
    _check_org(caller, org_id)
    return list_response(request, db, DEFINITION, scope=_scope(caller))


@_get("/definitions/DistinctField")
def distinct_field(request: Request, db: DB, caller: CurrentCaller,
                   field: Annotated[str, Query(min_length=1, max_length=64)], org_id: OrgId = 0) -> Response:
    """The distinct values in use of one field of the definitions the query language selects."""
    caller.require(AREA)
    _check_org(caller, org_id)
    declared = DEFINITION.field(field)
    if declared is None or declared.name not in DISTINCT_FIELDS:
        raise InvalidInput(f"field must be one of {', '.join(DISTINCT_FIELDS)}", field="field")
    terms = parse_query({key: value for key, value in request.query_params.items() if key != "field"},
                        default_limit=None)
    plan = plan_query(DEFINITION, replace(terms, use_count=False, count_only=False, limit=None, offset=0),
                      scope=_scope(caller))
    values = sorted({record[declared.name] for record in fetch_page(db, plan).records
                     if record.get(declared.name) not in (None, "")}, key=str)
    return respond(request, {"Count": len(values), "Values": values})


@_get("/definitions/{key}")
def one_definition(request: Request, db: DB, caller: CurrentCaller, key: str, org_id: OrgId = 0) -> Response:
    caller.require(AREA)
    _check_org(caller, org_id)
    row = service.find(db, organization_id=caller.organization_id, key=key, field="id")
    return item_response(request, db, DEFINITION, row.id, scope=_scope(caller))


def definition_dto(db: Session, row: Any) -> dict[str, Any]:
    db.flush()
    return {"id": row.id, "name": row.name, "title": row.title, "category": row.category,
            "description": row.description, "entity": row.entity, "stock": row.stock,
            "definitionData": orjson.dumps(row.document).decode()}


@added.post("/definitions")
@added.post("/definitions/")
def create_definition(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
    caller.require(AREA, "write")
    row = service.create(db, caller=caller, data=_document(body))
    return respond(request, definition_dto(db, row))


@added.put("/definitions/{key}")
@added.put("/definitions/{key}/")
def change_definition(request: Request, db: DB, caller: CurrentCaller, key: str, body: Body) -> Response:
    caller.require(AREA, "write")
    row = service.update(db, caller=caller, key=key, data=_document(body))
    return respond(request, definition_dto(db, row))


@added.delete("/definitions/{key}")
@added.delete("/definitions/{key}/")
def delete_definition(db: DB, caller: CurrentCaller, key: str) -> Response:
    caller.require(AREA, "write")
    service.delete(db, caller=caller, key=key)
    return empty()


def _document(body: Any) -> Any:
    """A definition sent as the document itself, or under `definitionData` (an object or its text)."""
    if isinstance(body, dict) and "definitionData" in body:
        inner = body["definitionData"]
        if isinstance(inner, str):
            try:
                return orjson.loads(inner)
            except orjson.JSONDecodeError:
                raise InvalidInput("definitionData is not JSON", field="definitionData") from None
        return inner
    if not isinstance(body, dict):
        raise InvalidInput("send the definition as a JSON object", field="definitionData")
    return body


# --- reports ------------------------------------------------------------------------------------------

def _flag(value: str | None, field: str) -> bool:
    text = (value or "false").strip().lower()
    if text not in ("true", "false", "1", "0"):
        raise InvalidInput(f"{field} must be true or false", field=field)
    return text in ("true", "1")


Format = Annotated[str, Query(max_length=16)]
Locale = Annotated[str, Query(max_length=32)]
Async = Annotated[str | None, Query(alias="async", max_length=8)]


def _report(request: Request, db: Session, caller: Caller, definition: Definition, format: str,  # noqa: A002
            locale: str, asynchronous: str | None) -> Response:
    chosen = check_format(format)
    language = formats.check_locale(locale)
    if _flag(asynchronous, "async"):
        job = runs.enqueue(db, caller=caller, definition=definition, format=chosen, locale=locale)
        return respond(request, {"uniqueID": job.id})
    table = tabulate(db, definition, caller)
    document = formats.FORMATS[chosen]
    # The table's first rows are read here, so that a report that cannot run answers its error
    # before the answer starts; the rest streams from the request's own transaction.
    chunks = document.write([table], language)
    first = next(chunks, b"")
    if chosen in STREAMED:
        return TransactionStream(db, _chain(first, chunks), media_type=document.media_type)
    return Response(first + b"".join(chunks), media_type=document.media_type,
                    headers=_disposition(definition.name or "report", document.extension))


def _chain(first: bytes, rest: Iterator[bytes]) -> Generator[bytes]:
    yield first
    yield from rest


def _disposition(name: str, extension: str) -> dict[str, str]:
    return {"Content-Disposition": f'inline; filename="{name}.{extension}"'}


@_get("/reports/version")
def reports_version(request: Request, caller: CurrentCaller) -> Response:
    return _version(request, caller)


@_get("/reports/GetByDefinition")
def report_by_definition(request: Request, db: DB, caller: CurrentCaller,
                         definition_data: Annotated[str, Query(alias="definitionData", max_length=65536)],
                         org_id: OrgId = 0, format: Format = "html", locale: Locale = "default",  # noqa: A002
                         asynchronous: Async = None) -> Response:
    caller.require(AREA)
    _check_org(caller, org_id)
    return _report(request, db, caller, parse_definition(definition_data), format, locale, asynchronous)


@_get("/reports/async/{unique_id}")
def async_report(request: Request, db: DB, caller: CurrentCaller, unique_id: Id) -> Response:
    """202 while the report runs, then its document; a cancelled, failed or expired one is gone."""
    caller.require(AREA)
    job = runs.job_of(db, caller=caller, job_id=unique_id)
    if job.status == DONE:
        document = formats.FORMATS[job.format]
        path = runs.result_path(runs.data_dir_of(db), job)
        if not path.is_file():
            raise NotFound(f"report {unique_id} has expired", field="uniqueID")
        return download(path, f"report-{job.id}.{document.extension}", document.media_type)
    if job.status == CANCELLED:
        raise NotFound(f"report {unique_id} was cancelled", field="uniqueID")
    if job.status == FAILED:
        raise Conflict(f"report {unique_id} failed: {job.error}", field="uniqueID")
    return empty(202)


@router.put("/reports/cancel/{unique_id}/")
@router.put("/reports/cancel/{unique_id}", include_in_schema=False)
def cancel_report(request: Request, db: DB, caller: CurrentCaller, unique_id: Id) -> Response:
    caller.require(AREA)
    return respond(request, job_dto(runs.cancel(db, caller=caller, job_id=unique_id)))


def job_dto(job: ReportJob) -> dict[str, Any]:
    return {"uniqueID": job.id, "status": job.status, "format": job.format, "locale": job.locale,
            "error": job.error, "created": job.created, "finished": job.finished, "expires": job.expires}


@_get("/reports/{key}")
def report(request: Request, db: DB, caller: CurrentCaller, key: str, org_id: OrgId = 0,
           format: Format = "html", locale: Locale = "default", asynchronous: Async = None) -> Response:  # noqa: A002
    caller.require(AREA)
    _check_org(caller, org_id)
    row = service.find(db, organization_id=caller.organization_id, key=key, field="id")
    return _report(request, db, caller, service.definition_of(row), format, locale, asynchronous)


# --- merges -------------------------------------------------------------------------------------------

@_get("/merges/version")
def merges_version(request: Request, caller: CurrentCaller) -> Response:
    return _version(request, caller)


@router.post("/merges/")
@router.post("/merges", include_in_schema=False)
def merge_reports(request: Request, db: DB, caller: CurrentCaller, body: Body, format: Format = "html",  # noqa: A002
                  locale: Locale = "default",
                  report_data: Annotated[str | None, Query(alias="reportData", max_length=65536)] = None) -> Response:
    """Several reports in one document: `reportData` (the body, or the parameter) is an array of
    reports, each a definition's id or name, `{"id": ...}` / `{"name": ...}`, or a definition."""
    caller.require(AREA)
    chosen, language = check_format(format), formats.check_locale(locale)
    items = _merge_items(body, report_data)
    definitions = [_merged(db, caller, item, index) for index, item in enumerate(items)]
    tables = [tabulate(db, definition, caller) for definition in definitions]
    document = formats.FORMATS[chosen]
    body_bytes = b"".join(document.write([table.materialized() for table in tables], language))
    return Response(body_bytes, media_type=document.media_type, headers=_disposition("reports", document.extension))


def _merge_items(body: Any, parameter: str | None) -> Sequence[Any]:
    data = body
    if data is None and parameter is not None:
        try:
            data = orjson.loads(parameter)
        except orjson.JSONDecodeError:
            raise InvalidInput("reportData is not JSON", field="reportData") from None
    if isinstance(data, dict) and "reportData" in data:
        data = data["reportData"]
    if not isinstance(data, list) or not data:
        raise InvalidInput("reportData must be a non-empty array of reports", field="reportData")
    if len(data) > MAX_MERGED:
        raise InvalidInput(f"reportData holds at most {MAX_MERGED} reports", field="reportData")
    return data


def _merged(db: Session, caller: Caller, item: Any, index: int) -> Definition:
    field = f"reportData.{index}"
    key: Any = item
    if isinstance(item, dict):
        key = item.get("id", item.get("name")) if ("id" in item or "name" in item) and "title" not in item else None
        if key is None:
            return parse_definition(item, parameter=field)
    if isinstance(key, bool) or not isinstance(key, (int, str)):
        raise InvalidInput(f"{field} must name a report (id or name) or be a definition", field=field)
    return service.definition_of(service.find(db, organization_id=caller.organization_id, key=key, field=field))


# --- linked appliances (decision 0105: Estate links no appliances) ----------------------------------

@_get("/linked_appliances/version")
def linked_version(request: Request, caller: CurrentCaller) -> Response:
    return _version(request, caller)


@_get("/linked_appliances")
def linked_appliances(request: Request, caller: CurrentCaller) -> Response:
    caller.require(AREA)
    return respond(request, {"Count": 0, "LinkedAppliances": []})


@_get("/linked_appliances/{appliance_id}")
def linked_appliance(caller: CurrentCaller, appliance_id: Id) -> Response:
    caller.require(AREA)
    raise NotFound(f"linked appliance {appliance_id} not found: this server links no appliances", field="id")


# --- schedules (added) ----------------------------------------------------------------------------------

def schedule_dto(schedule: ReportSchedule) -> dict[str, Any]:
    return {"id": schedule.id, "definition": schedule.definition_id, "cron": schedule.cron,
            "format": schedule.format, "locale": schedule.locale, "enabled": schedule.enabled,
            "nextRun": schedule.next_run, "lastJob": schedule.last_job_id}


@added.get("/schedules")
@added.get("/schedules/")
def list_schedules(request: Request, db: DB, caller: CurrentCaller) -> Response:
    caller.require(AREA)
    return respond(request, [schedule_dto(item) for item in runs.schedules_of(db, caller=caller)])


@added.post("/schedules")
@added.post("/schedules/")
def create_schedule(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
    caller.require(AREA, "write")
    return respond(request, schedule_dto(runs.create_schedule(db, caller=caller, data=body)))


@added.get("/schedules/{schedule_id}")
@added.get("/schedules/{schedule_id}/")
def one_schedule(request: Request, db: DB, caller: CurrentCaller, schedule_id: Id) -> Response:
    caller.require(AREA)
    return respond(request, schedule_dto(runs.schedule_of(db, caller=caller, schedule_id=schedule_id)))


@added.delete("/schedules/{schedule_id}")
@added.delete("/schedules/{schedule_id}/")
def delete_schedule(db: DB, caller: CurrentCaller, schedule_id: Id) -> Response:
    caller.require(AREA, "write")
    db.delete(runs.schedule_of(db, caller=caller, schedule_id=schedule_id))
    return empty()
