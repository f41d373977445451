"""Every CMDB object is an asset: each object type an organization uses gets its asset type (the
KACE name of the type), as new objects' types now do on first use (docs/decisions/0323). Static
objects and relation objects stay the CMDB's own.

Revision ID: 0321_every_object_an_asset
Revises: 0320_dialog_numbers
"""

import csv
import json
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0321_every_object_an_asset"
down_revision = "0320_dialog_numbers"
branch_labels = None
depends_on = None

NOT_ASSETS = ("C__OBJTYPE__RELATION", "C__OBJTYPE__PARALLEL_RELATION")
CATALOG_DATA = Path(__file__).resolve().parents[3] / "cmdb" / "catalog"


def _type_titles() -> dict[str, str]:
    """Object type constant → English title, as the catalog's data files give them."""
    with (CATALOG_DATA / "idoit-dialogs.tsv").open(encoding="utf-8") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        titles = {row["const"]: row["title_en"] for row in rows if row["table"] == "isys_obj_type"}
    base = json.loads((CATALOG_DATA / "idoit-base.json").read_text(encoding="utf-8"))
    titles.update({layout["const"]: layout["en"] for layout in base["object_types"] if "en" in layout})
    return titles

meta = sa.MetaData()
objects = sa.Table("cmdb_objects", meta, sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("organization_id", sa.Integer), sa.Column("type_const", sa.String),
                   sa.Column("const", sa.String))
asset_types = sa.Table("asset_types", meta, sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("organization_id", sa.Integer), sa.Column("name", sa.String),
                       sa.Column("type_const", sa.String), sa.Column("category_const", sa.String),
                       sa.Column("asset_class_id", sa.Integer))


def upgrade() -> None:
    connection = op.get_bind()
    used = connection.execute(
        sa.select(objects.c.organization_id, objects.c.type_const).distinct()
        .where(objects.c.const.is_(None), objects.c.type_const.not_in(NOT_ASSETS))
    ).all()
    existing = connection.execute(sa.select(asset_types.c.organization_id, asset_types.c.type_const,
                                            asset_types.c.name)).all()
    have = {(org, const) for org, const, _ in existing}
    names = {(org, name) for org, _, name in existing}
    titles = _type_titles()
    for organization_id, type_const in sorted(used):
        if (organization_id, type_const) in have:
            continue
        title = titles.get(type_const, type_const)
        name = title if (organization_id, title) not in names else f"{title} ({type_const})"
        connection.execute(asset_types.insert().values(organization_id=organization_id, name=name[:255],
                                                       type_const=type_const, category_const="", asset_class_id=0))
        names.add((organization_id, name))


def downgrade() -> None:
    op.execute("DELETE FROM asset_types WHERE category_const = ''")
