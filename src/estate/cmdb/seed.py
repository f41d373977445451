"""What a fresh organization holds, as a fresh i-doit does: the static objects (Root location,
Global v4 and Global v6 nets) and the default dialog values (contact roles ...). The standard
reports are report definitions (estate.reporting); CMDB states, record states and object types are
catalog data shared by every organization."""

from __future__ import annotations

from sqlalchemy.orm import Session

from estate.cmdb import dialogs, objects
from estate.cmdb.catalog import CATALOG
from estate.cmdb.logbook import Actor

SYSTEM = "system"


def seed_organization(db: Session, *, organization_id: int) -> None:
    actor = Actor(organization_id=organization_id, account_id=None, username=SYSTEM)
    for static in CATALOG.static_objects:
        objects.create(
            db,
            actor,
            object_type=CATALOG.object_types[static.type_const],
            title=static.title,
            sysid=static.sysid,
            const=static.const,
        )
    dialogs.seed_defaults(db, organization_id)
