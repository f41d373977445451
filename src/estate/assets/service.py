"""Assets as CMDB objects: every write goes through estate.cmdb.objects / entries, so the logbook
and the search index see KACE writes as they see i-doit ones (docs/decisions/0301, 0500)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import RowMapping, Table, bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from estate.accounts.models import OrganizationAccount
from estate.assets.models import AssetAttachment, AssetField, AssetLink, AssetType
from estate.assets.stock import ATTACHMENT, CHOICE, DATE, DEVICE, NUMBER, REFERENCE, STOCK_TYPES
from estate.cmdb import entries, objects, types
from estate.cmdb.catalog import ARCHIVED, CATALOG, DELETED, NORMAL
from estate.cmdb.logbook import Actor
from estate.cmdb.models import CategoryEntry, CmdbObject
from estate.db.base import MAX_INT
from estate.errors import Conflict, InvalidInput, NotFound
from estate.inventory.entities import answer_name
from estate.inventory.models import Machine
from estate.orgs.models import Location
from estate.servicedesk import storage

COMMON_KEYS = {
    "id", "asset_type_id", "name", "asset_data_id", "owner_id", "modified", "created", "mapped_id",
    "asset_class_id", "archive", "archive_reason", "asset_status_id", "asset_type_name", "location_id",
}
READ_ONLY = {"id", "asset_data_id", "modified", "created", "asset_class_id", "archive", "archive_reason",
             "asset_type_name"}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# The catalog categories that hold asset fields.
ASSET_CATEGORIES = frozenset(stock.category_const for stock in STOCK_TYPES)
# Who the logbook names for assets the inventory creates.
INVENTORY = "inventory"
# Machines are read through Core on the table: their rows are never loaded.
MACHINES = cast(Table, Machine.__table__)
# What an archived device answer tells of its machine (docs/decisions/0510).
DEVICE_IDENTITY = ("id", "name", "kuid", "mac", "ip", "bios_serial_number", "os_name", "user", "last_inventory")


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    file: BinaryIO
    file_name: str | None
    content_type: str | None


@dataclass(frozen=True)
class Files:
    """Where attachment files go and how big they may be, and the parts of this request."""

    data_dir: Path
    max_bytes: int
    parts: Mapping[str, Upload]


# ------------------------------------------------------------------------------------------ types


def asset_types(db: Session, organization_id: int) -> list[AssetType]:
    return list(db.scalars(select(AssetType).where(AssetType.organization_id == organization_id)
                           .order_by(AssetType.id)))


def fields_by_type(db: Session, organization_id: int) -> dict[int, list[AssetField]]:
    rows = db.scalars(select(AssetField).where(AssetField.organization_id == organization_id)
                      .order_by(AssetField.asset_type_id, AssetField.ordinal))
    out: dict[int, list[AssetField]] = {}
    for row in rows:
        out.setdefault(row.asset_type_id, []).append(row)
    return out


def get_type(db: Session, organization_id: int, type_id: object, field: str = "asset_type_id") -> AssetType:
    if isinstance(type_id, bool) or not isinstance(type_id, int | str) or not str(type_id).isdigit():
        raise InvalidInput("asset_type_id must be an asset type id", field=field)
    found = db.get(AssetType, int(str(type_id))) if int(str(type_id)) <= MAX_INT else None
    if found is None or found.organization_id != organization_id:
        raise InvalidInput(f"asset type {type_id} not found", field=field)
    return found


def _type_of_object(db: Session, obj: CmdbObject) -> AssetType | None:
    return db.scalar(select(AssetType).where(AssetType.organization_id == obj.organization_id,
                                             AssetType.type_const == obj.type_const))


def _type_of_asset(db: Session, obj: CmdbObject) -> AssetType:
    kind = _type_of_object(db, obj)
    if kind is None:
        raise NotFound(f"asset {obj.id} not found", field="id")
    return kind


# ----------------------------------------------------------------------------------------- reads


def get_asset(db: Session, organization_id: int, asset_id: int, *, status: int = NORMAL) -> CmdbObject:
    obj = objects.find(db, organization_id, asset_id) if 0 < asset_id <= MAX_INT else None
    if obj is None or obj.const is not None or _type_of_object(db, obj) is None:
        raise NotFound(f"asset {asset_id} not found", field="id")
    if obj.status != status:
        # Found, but not in the state the route serves (archiving an archived asset, ...).
        state = CATALOG.record_states[obj.status].titles["en"].lower()
        wanted = "live" if status == NORMAL else CATALOG.record_states[status].titles["en"].lower()
        raise NotFound(f"asset {asset_id} is {state}, not {wanted}", field="id")
    return obj


def _fmt(value: Any) -> str:
    return value.strftime(TIME_FORMAT) if value is not None else ""


def describe(db: Session, organization_id: int, objs: list[CmdbObject]) -> list[dict[str, Any]]:
    """Asset records with the keys appliances answer, in a fixed number of queries."""
    types = {t.type_const: t for t in asset_types(db, organization_id)}
    fields = fields_by_type(db, organization_id)
    ids = [o.id for o in objs]
    links = {link.object_id: link for link in db.scalars(select(AssetLink).where(AssetLink.object_id.in_(ids)))}
    values = {
        e.object_id: e.values
        for e in db.scalars(select(CategoryEntry).where(
            CategoryEntry.organization_id == organization_id, CategoryEntry.object_id.in_(ids),
            CategoryEntry.category_const.in_([t.category_const for t in types.values()])))
    }
    files = {(a.object_id, a.field_key): a.file_name
             for a in db.scalars(select(AssetAttachment).where(AssetAttachment.object_id.in_(ids)))}
    records = []
    for obj in objs:
        kind = types[obj.type_const]
        link = links.get(obj.id)
        record: dict[str, Any] = {
            "id": obj.id, "asset_type_id": kind.id, "name": obj.title, "asset_data_id": obj.id,
            "owner_id": link.owner_id if link and link.owner_id else 0,
            "location_id": link.location_id if link and link.location_id else 0,
            "modified": _fmt(obj.updated or obj.created), "created": _fmt(obj.created),
            # A machine removed from inventory set it to NULL (foreign key ON DELETE SET NULL).
            "mapped_id": link.mapped_id if link and link.mapped_id else 0,
            "asset_class_id": kind.asset_class_id,
            "archive": link.archive_reason if link and obj.status == ARCHIVED else "",
            "asset_status_id": obj.cmdb_status, "asset_type_name": kind.name,
        }
        own = values.get(obj.id, {})
        for item in fields.get(kind.id, []):
            if item.kind == ATTACHMENT:
                record[item.key] = files.get((obj.id, item.key), "")
            else:
                value = own.get(item.key)
                record[item.key] = "" if value is None else value
        records.append(record)
    return records


# ---------------------------------------------------------------------------------------- writes


def actor_of(organization_id: int, account_id: int | None, login: str) -> Actor:
    return Actor(organization_id, account_id, login)


def _reject_unknown(data: Mapping[str, Any], own_fields: dict[str, AssetField]) -> None:
    for key in data:
        if key not in COMMON_KEYS and key not in own_fields:
            raise InvalidInput(f"unknown asset field {key!r} for this asset type", field=key)


def _int_or_zero(key: str, value: Any) -> int | None:
    if value is None or value == "" or value == 0 or value == "0":
        return None
    if isinstance(value, bool) or not str(value).strip().isdigit() or int(str(value)) > MAX_INT:
        raise InvalidInput(f"{key} must be an id", field=key)
    return int(str(value))


def _check_in_org(db: Session, organization_id: int, key: str, value: Any) -> int | None:
    found_id = _int_or_zero(key, value)
    if found_id is None:
        return None
    probes: dict[str, Callable[[int], Any]] = {
        "owner_id": lambda i: db.scalar(select(OrganizationAccount.id).where(
            OrganizationAccount.account_id == i, OrganizationAccount.organization_id == organization_id)),
        "location_id": lambda i: db.scalar(select(Location.id).where(
            Location.id == i, Location.organization_id == organization_id, Location.is_deleted.is_(False))),
        "mapped_id": lambda i: db.scalar(select(Machine.id).where(
            Machine.id == i, Machine.organization_id == organization_id)),
    }
    if probes[key](found_id) is None:
        raise InvalidInput(f"{key} {found_id} not found", field=key)
    return found_id


def _status(value: Any) -> int:
    state = CATALOG.cmdb_state(value)
    if state is None:
        raise InvalidInput(f"unknown asset status {value!r}", field="asset_status_id")
    return state.id


def _field_value(db: Session, organization_id: int, item: AssetField, value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, dict | list):
        raise InvalidInput(f"{item.key} takes a single value", field=item.key)
    if item.kind == NUMBER:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise InvalidInput(f"{item.key} ({item.label}) must be a number", field=item.key) from None
        return int(number) if number.is_integer() else number
    if item.kind == DATE:
        try:
            return date.fromisoformat(str(value).strip()[:10]).isoformat()
        except ValueError:
            raise InvalidInput(f"{item.key} ({item.label}) must be a date YYYY-MM-DD", field=item.key) from None
    if item.kind == CHOICE:
        _check_choice(item, str(value), item.key)
    if item.kind == REFERENCE:
        return _referenced_asset(db, organization_id, item, _int_or_zero(item.key, value), item.key)
    return str(value)


def _check_choice(item: AssetField, value: str, field: str) -> None:
    if value not in item.choices:
        raise InvalidInput(f"{item.key} ({item.label}) must be one of {', '.join(item.choices)}", field=field)


def _referenced_asset(db: Session, organization_id: int, item: AssetField, target: object, field: str) -> int:
    """The id of the asset a reference field names: an object of the organization, of the field's asset type."""
    obj = objects.find(db, organization_id, target) if isinstance(target, int) and target else None
    wanted = db.get(AssetType, item.reference_type_id) if item.reference_type_id else None
    if obj is None or (wanted is not None and obj.type_const != wanted.type_const):
        raise InvalidInput(f"{item.key} ({item.label}): asset {target} not found", field=field)
    return obj.id


def _attachment_change(
    db: Session, organization_id: int, obj: CmdbObject, item: AssetField, value: Any, files: Files | None
) -> str | None:
    """Store or remove the file of an attachment field; returns the file name now held."""
    if not isinstance(value, Mapping) or not ({"attachmentSet", "remove"} & set(value)):
        raise InvalidInput(f'{item.key} takes {{"attachmentSet": "PartName"}} or {{"remove": "1"}}', field=item.key)
    current = db.scalar(select(AssetAttachment).where(AssetAttachment.object_id == obj.id,
                                                      AssetAttachment.field_key == item.key))
    if "remove" in value:
        if str(value["remove"]) != "1":
            raise InvalidInput(f'{item.key}: remove takes "1"', field=item.key)
        if current is not None and files is not None:
            storage.remove_after_commit(db, files.data_dir, [current.storage_key])
        if current is not None:
            db.delete(current)
        return None
    part_name = value["attachmentSet"]
    if files is None or not isinstance(part_name, str) or part_name not in files.parts:
        raise InvalidInput(f"{item.key}: attachmentSet names no file part of this upload", field=item.key)
    part = files.parts[part_name]
    stored = storage.store(db, files.data_dir, organization_id, part.file, file_name=part.file_name,
                           content_type=part.content_type, max_bytes=files.max_bytes, field=item.key)
    if current is not None:
        storage.remove_after_commit(db, files.data_dir, [current.storage_key])
        db.delete(current)
        db.flush()
    db.add(AssetAttachment(organization_id=organization_id, object_id=obj.id, field_key=item.key,
                           storage_key=stored.storage_key, file_name=stored.file_name,
                           content_type=stored.content_type, size=stored.size, sha256=stored.sha256))
    return stored.file_name


def _apply(db: Session, actor: Actor, obj: CmdbObject, kind: AssetType, data: Mapping[str, Any],
           files: Files | None) -> None:
    org = actor.organization_id
    own_fields = {f.key: f for f in fields_by_type(db, org).get(kind.id, [])}
    _reject_unknown(data, own_fields)
    changes: dict[str, Any] = {}
    if "name" in data:
        if not isinstance(data["name"], str) or not data["name"].strip():
            raise InvalidInput("name must not be empty", field="name")
        if len(data["name"]) > 255:
            raise InvalidInput("name is longer than 255 characters", field="name")
        changes["title"] = data["name"]
    if "asset_status_id" in data:
        changes["cmdb_status"] = _status(data["asset_status_id"])
    link_values = {key: _check_in_org(db, org, key, data[key])
                   for key in ("owner_id", "location_id", "mapped_id") if key in data}
    field_values: dict[str, Any] = {}
    for key, item in own_fields.items():
        if key not in data:
            continue
        if item.kind == ATTACHMENT:
            field_values[key] = _attachment_change(db, org, obj, item, data[key], files)
        else:
            field_values[key] = _field_value(db, org, item, data[key])
    objects.update(db, actor, obj, changes)
    if link_values:
        _save_link(db, obj, link_values)
    if field_values:
        entries.save(db, actor, obj, CATALOG.categories[kind.category_const], field_values)


def _save_link(db: Session, obj: CmdbObject, values: Mapping[str, Any]) -> AssetLink:
    link = db.get(AssetLink, obj.id)
    if link is None:
        link = AssetLink(organization_id=obj.organization_id, object_id=obj.id)
        db.add(link)
    if values.get("mapped_id") is not None:
        taken = db.scalar(select(AssetLink.object_id).where(
            AssetLink.organization_id == obj.organization_id, AssetLink.mapped_id == values["mapped_id"],
            AssetLink.object_id != obj.id))
        if taken is not None:
            raise InvalidInput(f"machine {values['mapped_id']} is already the asset {taken}", field="mapped_id")
    for key, value in values.items():
        setattr(link, key, value)
    db.flush()
    return link


def create_asset(db: Session, actor: Actor, data: Mapping[str, Any], files: Files | None) -> CmdbObject:
    if "asset_type_id" not in data:
        raise InvalidInput("asset_type_id is required", field="asset_type_id")
    kind = get_type(db, actor.organization_id, data["asset_type_id"])
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise InvalidInput("name is required", field="name")
    object_type = types.find(db, actor.organization_id, kind.type_const)
    if object_type is None:
        raise InvalidInput(f"asset type {kind.id} names no object type", field="asset_type_id")
    obj = objects.create(db, actor, object_type=object_type, title=data["name"][:255])
    _apply(db, actor, obj, kind, {k: v for k, v in data.items() if k not in READ_ONLY}, files)
    return obj


def update_asset(db: Session, actor: Actor, obj: CmdbObject, data: Mapping[str, Any], files: Files | None) -> None:
    kind = _type_of_asset(db, obj)
    if "asset_type_id" in data and str(data["asset_type_id"]) != str(kind.id):
        raise InvalidInput("an asset's type cannot be changed", field="asset_type_id")
    if "id" in data and str(data["id"]) != str(obj.id):
        raise InvalidInput("id does not match the asset of the path", field="id")
    _apply(db, actor, obj, kind, {k: v for k, v in data.items() if k not in READ_ONLY | {"asset_type_id"}}, files)


def archive(db: Session, actor: Actor, obj: CmdbObject, reason: str) -> None:
    objects.change_state(db, actor, obj, ARCHIVED)
    link = _save_link(db, obj, {"archive_reason": reason})
    link.archived = obj.updated


def cancel_archive(db: Session, actor: Actor, obj: CmdbObject) -> None:
    objects.change_state(db, actor, obj, NORMAL)
    _save_link(db, obj, {"archive_reason": "", "archived": None})


def delete_asset(db: Session, actor: Actor, obj: CmdbObject) -> None:
    """KACE's delete is i-doit's "deleted" state: gone from both faces' lists, kept in the logbook."""
    objects.change_state(db, actor, obj, DELETED)


def archived_device(db: Session, organization_id: int, obj: CmdbObject) -> dict[str, Any]:
    """An archived asset as /archived_devices answers it: its asset record, the definition's
    asset_id and archive_reason, and the identifying fields of its machine, which stays as it was
    archived (a report brings it back)."""
    (record,) = describe(db, organization_id, [obj])
    machine = None
    if record["mapped_id"]:
        machine = db.execute(select(*(MACHINES.c[name] for name in DEVICE_IDENTITY))
                             .where(MACHINES.c.id == record["mapped_id"])).mappings().one()
    return {**record, "asset_id": obj.id, "archive_reason": record["archive"],
            "Machine": [_device_identity(machine)] if machine else []}


def _device_identity(machine: RowMapping) -> dict[str, str]:
    # Written as inventory answers write a machine: capitalised names, every value a string.
    return {answer_name(name): "" if value is None else _fmt(value) if name == "last_inventory" else str(value)
            for name, value in machine.items()}


def attachment_of(db: Session, obj: CmdbObject, field_key: str) -> AssetAttachment:
    found = db.scalar(select(AssetAttachment).where(AssetAttachment.object_id == obj.id,
                                                    AssetAttachment.field_key == field_key))
    if found is None:
        raise NotFound(f"asset {obj.id} has no attachment in {field_key}", field="fieldName")
    return found


# ------------------------------------------------------------------------------ inventory identity


def follow_machine_renames(db: Session, *, organization_id: int, device_objects: Mapping[int, int],
                           renamed: Mapping[int, tuple[str, str]]) -> None:
    """A device asset keeps its machine's name unless a person renamed it: an object whose title is
    still the machine's old name takes the new one (given as machine id → (old, new))."""
    wanted = {device_objects[machine_id]: names for machine_id, names in renamed.items()
              if machine_id in device_objects}
    if not wanted:
        return
    actor = Actor(organization_id, None, INVENTORY)
    for obj in db.scalars(select(CmdbObject).where(CmdbObject.organization_id == organization_id,
                                                   CmdbObject.id.in_(list(wanted)))):
        old, new = wanted[obj.id]
        if obj.title == old[:255]:
            objects.update(db, actor, obj, {"title": new})


# Asked on every inventory that arrives; built once.
_DEVICE_LINKS = (
    select(AssetLink.mapped_id, AssetLink.object_id, MACHINES.c.archived)
    .join(MACHINES, MACHINES.c.id == AssetLink.mapped_id)
    .where(AssetLink.organization_id == bindparam("organization_id"),
           AssetLink.mapped_id.in_(bindparam("machine_ids", expanding=True)))
)


def ensure_device_assets(db: Session, *, organization_id: int, machines: Mapping[int, str | None]) -> dict[int, int]:
    """Find or create the device asset (mapped_id = machine id) of each machine, given as machine id
    → machine name; answers machine id → asset id. New objects and their links are each a fixed
    number of statements for the whole batch (objects.create_many)."""
    if not machines:
        return {}
    found: dict[int, int] = {}
    out_of_inventory: list[int] = []
    for mapped_id, object_id, archived in db.execute(
            _DEVICE_LINKS, {"organization_id": organization_id, "machine_ids": list(machines)}):
        found[mapped_id] = object_id
        if archived:
            out_of_inventory.append(object_id)
    if out_of_inventory:
        _bring_back(db, organization_id, out_of_inventory)
    missing = [machine_id for machine_id in machines if machine_id not in found]
    if not missing:
        return found
    device = db.scalar(select(AssetType).where(AssetType.organization_id == organization_id,
                                               AssetType.name == DEVICE))
    if device is None:  # an organization made before asset types existed: inventory goes on without
        return found
    titles = [(machines[machine_id] or f"Machine {machine_id}")[:255] for machine_id in missing]
    object_ids = objects.create_many(db, Actor(organization_id, None, INVENTORY),
                                     object_type=CATALOG.object_types[device.type_const], titles=titles)
    db.execute(insert(AssetLink), [{"organization_id": organization_id, "object_id": object_id,
                                    "mapped_id": machine_id, "archive_reason": ""}
                                   for object_id, machine_id in zip(object_ids, missing, strict=True)])
    found.update(zip(missing, object_ids, strict=True))
    return found


# ---------------------------------------------------------------------------- the device lifecycle


def _bring_back(db: Session, organization_id: int, object_ids: list[int]) -> None:
    """A machine that reports is in inventory again, as on the appliance: its asset, archived or
    deleted, is live again (the logbook names the inventory)."""
    actor = Actor(organization_id, None, INVENTORY)
    for obj in db.scalars(select(CmdbObject).where(CmdbObject.organization_id == organization_id,
                                                   CmdbObject.id.in_(object_ids), CmdbObject.status != NORMAL)):
        cancel_archive(db, actor, obj)


def _remove_files(db: Session, obj: CmdbObject) -> None:
    """Before a purged asset goes: its files leave the disk once the purge is committed."""
    keys = list(db.scalars(select(AssetAttachment.storage_key).where(AssetAttachment.object_id == obj.id)))
    if keys:
        storage.remove_after_commit(db, storage.data_dir_of(db), keys)


def _check_saved_fields(db: Session, obj: CmdbObject, category_const: str) -> None:
    """Asset fields saved through the i-doit face keep the rules the KACE face checks before it
    writes: a choice from the field's list, a reference to an asset of the field's type."""
    kind = _type_of_object(db, obj)
    if kind is None or kind.category_const != category_const:
        return
    saved = db.scalar(select(CategoryEntry.values).where(
        CategoryEntry.object_id == obj.id, CategoryEntry.category_const == category_const))
    for item in fields_by_type(db, obj.organization_id).get(kind.id, []):
        value = (saved or {}).get(item.key)
        if value in (None, ""):
            continue
        if item.kind == CHOICE:
            _check_choice(item, str(value), f"data.{item.key}")
        elif item.kind == REFERENCE:
            _referenced_asset(db, obj.organization_id, item, value, f"data.{item.key}")


# The CMDB's own records are no assets: the links between objects, and the static objects
# (Root location, Global v4/v6) every organization has.
NOT_ASSETS = frozenset({"C__OBJTYPE__RELATION", "C__OBJTYPE__PARALLEL_RELATION"})


def _insert_type_ignoring_conflicts(db: Session, values: dict[str, Any]) -> None:
    dialect = db.get_bind().dialect.name
    insert_of = postgresql_insert if dialect == "postgresql" else sqlite_insert
    db.execute(insert_of(AssetType).values(**values).on_conflict_do_nothing())


def ensure_asset_type(db: Session, *, organization_id: int, type_const: str, title: str) -> AssetType | None:
    """The asset type of an object type, made on first use: every object of the organization is an
    asset on both faces (docs/decisions/0323). Its id never changes once made. Two requests making
    the first object of a type at once make one type (the insert gives way to the other's)."""
    if type_const in NOT_ASSETS:
        return None
    query = select(AssetType).where(AssetType.organization_id == organization_id, AssetType.type_const == type_const)
    found = db.scalar(query)
    if found is not None:
        return found
    # A name already taken (a stock type's, or a custom type titled alike) takes the constant along.
    for name in (title[:255], f"{title} ({type_const})"[:255]):
        _insert_type_ignoring_conflicts(db, {"organization_id": organization_id, "name": name,
                                             "type_const": type_const, "category_const": "", "asset_class_id": 0})
        found = db.scalar(query)
        if found is not None:
            return found
    raise Conflict(f"no asset type could be made for {type_const}", field="type")


@objects.register_listener
def _follow_object(db: Session, actor: Actor, obj: CmdbObject, event: str, category_const: str | None) -> None:
    if event == objects.PURGING:
        _remove_files(db, obj)
    elif event == objects.CATEGORY_CHANGED and category_const is not None and category_const in ASSET_CATEGORIES:
        _check_saved_fields(db, obj, category_const)
    elif event in (objects.CREATED, objects.CHANGED) and obj.const is None:
        ensure_asset_type(db, organization_id=obj.organization_id, type_const=obj.type_const,
                          title=types.title_of(db, obj.organization_id, obj.type_const))
