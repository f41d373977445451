"""The walls of the console's lists: the same scopes the APIs query with, from the domains' rules
(a standard user sees their own machines and the tickets they submitted)."""

from __future__ import annotations

from sqlalchemy import and_

from estate.assets import entities as asset_entities
from estate.auth.permissions import Caller
from estate.cmdb.catalog import NORMAL
from estate.inventory.entities import MACHINE, scope_for
from estate.query import Scope
from estate.servicedesk import service as servicedesk


def machines(caller: Caller) -> Scope:
    return scope_for(MACHINE, caller)


def assets(caller: Caller, record_status: int = NORMAL) -> Scope:
    return Scope(organization_id=caller.organization_id, visible=asset_entities.in_record_state(record_status))


def tickets(caller: Caller) -> Scope:
    return Scope(organization_id=caller.organization_id, visible=and_(*servicedesk.ticket_scope(caller)))


def organization(caller: Caller) -> Scope:
    return Scope(organization_id=caller.organization_id, visible=None)
