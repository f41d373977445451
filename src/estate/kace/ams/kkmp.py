"""/ams/shared/api/kkmp/...: logins handed over by a linked appliance.

Linking appliances is not offered by this server, so no token can match a linked appliance; both
routes say so with a 404 instead of pretending to log anyone in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from estate.errors import NotFound
from estate.kace.ams.params import id_query

router = APIRouter(prefix="/ams/shared/api/kkmp", tags=["kkmp"])

NO_LINKED_APPLIANCE = "no linked appliance matches: this server has no linked appliances"


@router.post("/login")
def linked_login(
    is_system: Annotated[bool, Query(alias="isSystem")],
    org_id: Annotated[int, id_query("orgId")],
    token: Annotated[str, Query(min_length=1)],
) -> Response:
    raise NotFound(NO_LINKED_APPLIANCE, field="token")


@router.post("/login_user")
def linked_login_user() -> Response:
    raise NotFound(NO_LINKED_APPLIANCE, field="token")
