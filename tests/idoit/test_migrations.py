"""The migrations that give existing data i-doit's ids (0320) and every object its asset type
(0321), run on a database made before them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import select

from estate.assets.models import AssetType
from estate.cmdb.models import CmdbObject, DialogEntry
from estate.db.engine import make_engine
from estate.orgs.models import Organization
from tests.assets.test_locations_identity import _migrate, fresh_database_url  # noqa: F401 - a fixture

DIALOGS, OBJECTS, TYPES = DialogEntry.__table__, CmdbObject.__table__, AssetType.__table__


def _organization(db: sa.Connection) -> int:
    return db.execute(sa.insert(Organization.__table__).values(
        name="Before", is_enabled=True, is_deleted=False, is_system=False, time_zone="UTC",
        sync_locations=False).returning(Organization.__table__.c.id)).scalar_one()


def test_existing_lists_and_objects_take_idoits_ids_and_their_asset_types(fresh_database_url):  # noqa: F811
    _migrate(fresh_database_url, "0013_installation_facts")
    engine = make_engine(fresh_database_url)
    try:
        with engine.begin() as db:
            org = _organization(db)
            for dialog, title in (("isys_net_type", "IPv6 (Internet Protocol v6)"), ("isys_net_type", "Token Ring"),
                                  ("isys_net_type", "IPv4 (Internet Protocol v4)"),
                                  ("isys_model_manufacturer", "Dell"), ("isys_purpose", "Backup")):
                db.execute(sa.insert(DIALOGS).values(organization_id=org, dialog=dialog, title=title))
            for type_const, title in (("C__OBJTYPE__CONTRACT", "Lease 7"), ("C__OBJTYPE__SWITCH", "sw-1")):
                db.execute(sa.insert(OBJECTS).values(organization_id=org, type_const=type_const, title=title,
                                                     sysid=title, status=2, cmdb_status=6, created_by="x"))
        _migrate(fresh_database_url, "heads")
        with engine.connect() as db:
            lists = {(row.dialog, row.title): (row.number, row.const) for row in db.execute(
                select(DIALOGS).where(DIALOGS.c.organization_id == org))}
            types = dict(db.execute(select(OBJECTS.c.title, OBJECTS.c.type_const)
                                    .where(OBJECTS.c.organization_id == org)).all())
            asset_types = dict(db.execute(select(TYPES.c.type_const, TYPES.c.name)
                                          .where(TYPES.c.organization_id == org)).all())
    finally:
        engine.dispose()
    assert lists["isys_net_type", "IPv4 (Internet Protocol v4)"] == (1, "C__CATS_NET_TYPE__IPV4")
    assert lists["isys_net_type", "IPv6 (Internet Protocol v6)"] == (1000, "C__CATS_NET_TYPE__IPV6")
    assert lists["isys_net_type", "IPX (Internet Packet Exchange)"] == (2, "C__CATS_NET_TYPE__IPX")
    assert lists["isys_net_type", "Token Ring"] == (1001, None)
    assert lists["isys_model_manufacturer", "Not specified"] == (1, "C__MODEL_NOT_SPECIFIED")
    assert lists["isys_model_manufacturer", "Dell"] == (2, None)
    assert lists["isys_frequency_unit", "GHz"] == (3, "C__FREQUENCY_UNIT__GHZ")
    assert lists["isys_purpose", "Backup"][0] == 5
    assert types == {"Lease 7": "C__OBJTYPE__MAINTENANCE", "sw-1": "C__OBJTYPE__SWITCH"}
    assert asset_types == {"C__OBJTYPE__MAINTENANCE": "Contract", "C__OBJTYPE__SWITCH": "Switch"}
