"""Licenses against installs, as the query engine reads them for reports (estate.reporting): each
License asset with its seats, the Software asset it covers and how many machines have that title
installed (inventory's software titles named as the Software asset is)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import aliased

from estate.assets.entities import ASSET
from estate.cmdb.catalog import NORMAL
from estate.cmdb.models import CmdbObject
from estate.inventory.models import MachineSoftware, Software
from estate.query import Entity, Field, Kind, Level, Nesting, Style

LICENSE_TYPE = "License"
SEATS, EXPIRES, SOFTWARE, MODE = "field_10021", "field_10022", "field_10023", "field_10025"

_a = ASSET.table.c
_covered = aliased(CmdbObject)
# Machines with any version of the title: one per machine, however many versions it has.
_installs = (
    select(func.count(func.distinct(MachineSoftware.machine_id)))
    .select_from(MachineSoftware).join(Software, Software.id == MachineSoftware.software_id)
    .where(Software.organization_id == _a.organization_id, Software.display_name == _covered.title)
    .scalar_subquery()
)
_licenses = (
    select(_a.id, _a.organization_id, _a.record_status, _a.name, _a[SEATS].label("seats"),
           _a[EXPIRES].label("expires"), _a[MODE].label("mode"), _covered.title.label("software"),
           func.coalesce(_installs, 0).label("installs"))
    .select_from(ASSET.table.outerjoin(_covered, and_(_covered.id == _a[SOFTWARE],
                                                      _covered.organization_id == _a.organization_id)))
    .where(_a.asset_type_name == LICENSE_TYPE)
    .subquery("license_use")
)
_l = _licenses.c

LICENSE_USE = Entity(
    name="license_use",
    plural="Licenses",
    table=_licenses,
    id_field="id",
    name_field="name",
    organization_column=_l.organization_id,
    style=Style.ISO,
    nesting=Nesting.NAMED,
    fields=(
        Field("id", _l.id, Kind.INT, Level.LIMITED),
        Field("name", _l.name, Kind.TEXT, Level.LIMITED, wildcard=True),
        Field("software", _l.software, wildcard=True),
        Field("seats", _l.seats, Kind.NUMBER),
        Field("installs", _l.installs, Kind.INT),
        Field("free", func.coalesce(_l.seats, 0) - _l.installs, Kind.NUMBER),
        Field("expires", _l.expires),
        Field("mode", _l.mode),
    ),
)


def live_licenses() -> ColumnElement[bool]:
    """Licenses in the normal record state (archived ones are not counted against)."""
    return _l.record_status == NORMAL
