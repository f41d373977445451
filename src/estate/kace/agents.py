"""Enrolment tokens and enrolled agents, for administrators (not in the reference, so not in the
OpenAPI document of the reference's API; listed in docs/api/kace-coverage.md; decision 0603):

  POST   /api/agent/tokens                 {"description": "...", "validDays": 30} → the token, once
  GET    /api/agent/tokens                 the organization's tokens (without the tokens themselves)
  DELETE /api/agent/tokens/{id}            revoke a token
  GET    /api/agent/machines               enrolled agents
  POST   /api/agent/machines/{id}/revoke   refuse the machine's agent from now on
  DELETE /api/agent/machines/{id}          forget the enrolment (the machine may enrol again)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from estate.agents import service as agents
from estate.agents.models import EnrolmentToken
from estate.errors import InvalidInput
from estate.kace.deps import DB, Body, CurrentCaller, Id
from estate.kace.http import SUCCESS, empty, respond
from estate.scripting.service import require

router = APIRouter(prefix="/api/agent", tags=["agents"])


def _stamp(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None


def token_dto(token: EnrolmentToken) -> dict[str, Any]:
    return {"id": token.id, "hint": token.hint, "description": token.description, "created": _stamp(token.created),
            "expires": _stamp(token.expires), "revoked": token.revoked, "enrolments": token.enrolments}


@router.post("/tokens", include_in_schema=False)
def create_token(request: Request, db: DB, caller: CurrentCaller, body: Body) -> Response:
    require(caller, "write")
    body = body if body is not None else {}
    if not isinstance(body, Mapping) or set(body) - {"description", "validDays"}:
        extra = sorted(set(body) - {"description", "validDays"}) if isinstance(body, Mapping) else ["body"]
        raise InvalidInput(f"{extra[0]}: unknown field", field=extra[0])
    description, valid_days = body.get("description", ""), body.get("validDays")
    if not isinstance(description, str):
        raise InvalidInput("description must be a string", field="description")
    if valid_days is not None and (isinstance(valid_days, bool) or not isinstance(valid_days, int)):
        raise InvalidInput("validDays must be a whole number of days", field="validDays")
    token, raw = agents.create_token(db, organization_id=caller.organization_id, account_id=caller.account_id,
                                     description=description, valid_days=valid_days)
    return respond(request, {**token_dto(token), "token": raw})


@router.get("/tokens", include_in_schema=False)
def list_tokens(request: Request, db: DB, caller: CurrentCaller) -> Response:
    require(caller)
    tokens = agents.list_tokens(db, organization_id=caller.organization_id)
    return respond(request, [token_dto(token) for token in tokens])


@router.delete("/tokens/{token_id}", include_in_schema=False)
def revoke_token(db: DB, caller: CurrentCaller, token_id: Id) -> Response:
    require(caller, "write")
    agents.revoke_token(db, organization_id=caller.organization_id, token_id=token_id, account_id=caller.account_id)
    return empty()


@router.get("/machines", include_in_schema=False)
def list_agents(request: Request, db: DB, caller: CurrentCaller) -> Response:
    require(caller)
    return respond(request, [
        {"machineId": agent.machine_id, "name": name, "kuid": kuid, "enrolled": _stamp(agent.enrolled),
         "revoked": _stamp(agent.revoked), "agentVersion": agent.agent_version}
        for agent, name, kuid in agents.list_agents(db, organization_id=caller.organization_id)])


@router.post("/machines/{machine_id}/revoke", include_in_schema=False)
def revoke_machine(request: Request, db: DB, caller: CurrentCaller, machine_id: Id) -> Response:
    require(caller, "write")
    agents.revoke_machine(db, organization_id=caller.organization_id, machine_id=machine_id,
                          account_id=caller.account_id)
    return respond(request, SUCCESS)


@router.delete("/machines/{machine_id}", include_in_schema=False)
def delete_agent(db: DB, caller: CurrentCaller, machine_id: Id) -> Response:
    require(caller, "write")
    agents.delete_agent(db, organization_id=caller.organization_id, machine_id=machine_id,
                        account_id=caller.account_id)
    return empty()
