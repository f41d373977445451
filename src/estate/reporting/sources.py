"""The declared entities reports read, each with the walls a caller's report is run within: the same
declarations and the same walls as the KACE lists over them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import false

from estate.assets import entities as assets
from estate.assets.license_use import LICENSE_USE, live_licenses
from estate.auth.permissions import Caller
from estate.cmdb.catalog import NORMAL
from estate.cmdb.entities import CMDB_OBJECT, live_objects
from estate.errors import InvalidInput
from estate.inventory import entities as inventory
from estate.query import Entity, Scope
from estate.scripting.entities import SCRIPT_RESULT
from estate.servicedesk import entities as desk
from estate.servicedesk.models import Ticket
from estate.servicedesk.service import is_staff


@dataclass(frozen=True)
class Source:
    entity: Entity
    area: str  # the right a caller needs to read it
    scope: Callable[[Caller], Scope]


def _inventory(entity: Entity) -> Source:
    return Source(entity, "inventory", lambda caller: inventory.scope_for(entity, caller))


def _tickets(caller: Caller) -> Scope:
    # Staff see every ticket; a user the tickets they submitted (the Service Desk API's wall).
    visible = None if is_staff(caller) else Ticket.__table__.c.submitter_id == caller.account_id
    return Scope(organization_id=caller.organization_id, visible=visible)


def _assets(caller: Caller) -> Scope:
    return Scope(organization_id=caller.organization_id, visible=assets.in_record_state(NORMAL))


def _administrators_only(caller: Caller) -> Scope:
    # Scripts are the administrators' (decision 0601): a user who sees only their own data sees none.
    return Scope(organization_id=caller.organization_id, visible=None if caller.sees_all_data else false())


SOURCES: dict[str, Source] = {
    "machine": _inventory(inventory.MACHINE),
    "software": _inventory(inventory.SOFTWARE),
    "operating_system": _inventory(inventory.OPERATING_SYSTEM),
    "node": _inventory(inventory.NODE),
    "asset": Source(assets.ASSET, "assets", _assets),
    "license_use": Source(LICENSE_USE, "assets", lambda caller: Scope(organization_id=caller.organization_id,
                                                                      visible=live_licenses())),
    "hd_ticket": Source(desk.TICKET, "servicedesk", _tickets),
    "script_result": Source(SCRIPT_RESULT, "scripting", _administrators_only),
    "cmdb_object": Source(CMDB_OBJECT, "cmdb",
                          lambda caller: Scope(organization_id=caller.organization_id, visible=live_objects())),
}


def source_of(name: str, *, field: str = "definitionData.entity") -> Source:
    source = SOURCES.get(name)
    if source is None:
        raise InvalidInput(f"unknown entity {name!r}; reports read {', '.join(SOURCES)}", field=field)
    return source
