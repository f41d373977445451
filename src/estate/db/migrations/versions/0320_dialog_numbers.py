"""Dialog entries carry i-doit's ids: cmdb_dialog_entries.number, counted per organization and
list; the rows i-doit ships (net types, units, port types, relation types, weightings ...) keep
i-doit's ids and constants. Existing entries that match one of those rows by title take its id and
constant, the rows still missing are added, and other entries are numbered after them. Object
types Estate spelled differently from i-doit take i-doit's constants (docs/decisions/0320).

Revision ID: 0320_dialog_numbers
Revises: 0900_console_indexes
"""

import csv
import json
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision = "0320_dialog_numbers"
down_revision = "0900_console_indexes"
branch_labels = None
depends_on = None

meta = sa.MetaData()
dialogs = sa.Table(
    "cmdb_dialog_entries",
    meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("organization_id", sa.Integer),
    sa.Column("dialog", sa.String),
    sa.Column("title", sa.String),
    sa.Column("const", sa.String),
    sa.Column("number", sa.Integer),
)
organizations = sa.Table("organizations", meta, sa.Column("id", sa.Integer, primary_key=True))
# The catalog's data files, read as this revision reads them (a migration imports no domain code).
CATALOG_DATA = Path(__file__).resolve().parents[3] / "cmdb" / "catalog"


class Seed(NamedTuple):
    number: int
    title: str
    const: str


def _rows(name: str) -> list[dict[str, str]]:
    with (CATALOG_DATA / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t"))


def _seeds() -> dict[str, list[Seed]]:
    """i-doit's rows of every list a category attribute names, then Estate's defaults of lists i-doit
    ships empty or shorter, numbered after them (as estate.cmdb.catalog seeds a new organization)."""
    # Dialog lists, as the catalog tells them from references: not object, type, state or entry links.
    links = {"isys_obj", "isys_obj_type", "isys_cmdb_status", "isys_connection", "isys_contact"}
    used = {table for name in ("idoit-category-fields.tsv", "idoit-kb-categories.tsv") for row in _rows(name)
            if (table := row["reference"].removesuffix("__id")) and "_list" not in table and "__" not in table
            and table not in links}
    seeds: dict[str, list[Seed]] = {}
    for row in _rows("idoit-dialogs.tsv"):
        if row["table"] in used and row["status"] != "1":
            seeds.setdefault(row["table"], []).append(Seed(int(row["id"]), row["title_en"], row["const"]))
    base = json.loads((CATALOG_DATA / "idoit-base.json").read_text(encoding="utf-8"))
    for table, titles in base["dialog_defaults"].items():
        rows = seeds.setdefault(table, [])
        for title in titles:
            if title.lower() not in {row.title.lower() for row in rows}:
                rows.append(Seed(max((r.number for r in rows), default=0) + 1, title, ""))
    return seeds


RENAMED_TYPES = {"C__OBJTYPE__CONTRACT": "C__OBJTYPE__MAINTENANCE",
                 "C__OBJTYPE__CELL_PHONE_SYSTEM": "C__OBJTYPE__CELL_PHONE_CONTRACT",
                 "C__OBJTYPE__GROUP": "C__OBJECT_TYPE__GROUP"}


def _number_list(connection: sa.Connection, organization_id: int, dialog: str, rows: list, shipped: list[Seed]) -> None:
    seeds = {seed.title.lower(): seed for seed in shipped}
    taken: set[int] = set()
    later = []
    for entry_id, title in rows:
        seed = seeds.pop(title.lower(), None)
        if seed is None:
            later.append(entry_id)
            continue
        taken.add(seed.number)
        connection.execute(dialogs.update().where(dialogs.c.id == entry_id)
                           .values(number=seed.number, const=seed.const or None))
    if seeds:
        connection.execute(dialogs.insert(), [
            {"organization_id": organization_id, "dialog": dialog, "title": seed.title, "const": seed.const or None,
             "number": seed.number} for seed in seeds.values()])
        taken.update(seed.number for seed in seeds.values())
    following = max([*taken, *(s.number for s in shipped)], default=0)
    for offset, entry_id in enumerate(later, start=1):
        connection.execute(dialogs.update().where(dialogs.c.id == entry_id).values(number=following + offset))


def upgrade() -> None:
    op.add_column("cmdb_dialog_entries", sa.Column("number", sa.Integer(), server_default="0", nullable=False))
    connection = op.get_bind()
    seeds = _seeds()
    for (organization_id,) in connection.execute(sa.select(organizations.c.id)).all():
        existing: dict[str, list] = {}
        for entry_id, dialog, title in connection.execute(
                sa.select(dialogs.c.id, dialogs.c.dialog, dialogs.c.title)
                .where(dialogs.c.organization_id == organization_id).order_by(dialogs.c.id)):
            existing.setdefault(dialog, []).append((entry_id, title))
        for dialog in sorted(set(existing) | set(seeds)):
            _number_list(connection, organization_id, dialog, existing.get(dialog, []), seeds.get(dialog, []))
    op.create_index("ix_cmdb_dialog_entries_org_dialog_number", "cmdb_dialog_entries",
                    ["organization_id", "dialog", "number"], unique=True)
    for old, new in RENAMED_TYPES.items():
        for table in ("cmdb_objects", "asset_types"):
            op.execute(sa.text(f"UPDATE {table} SET type_const = :new WHERE type_const = :old")  # noqa: S608
                       .bindparams(new=new, old=old))


def downgrade() -> None:
    for old, new in RENAMED_TYPES.items():
        for table in ("cmdb_objects", "asset_types"):
            op.execute(sa.text(f"UPDATE {table} SET type_const = :old WHERE type_const = :new")  # noqa: S608
                       .bindparams(new=new, old=old))
    op.drop_index("ix_cmdb_dialog_entries_org_dialog_number", table_name="cmdb_dialog_entries")
    with op.batch_alter_table("cmdb_dialog_entries") as batch:
        batch.drop_column("number")
