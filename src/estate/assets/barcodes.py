"""Barcodes of assets: scan metadata is the server's (first scan kept, last scan updated), and a
barcode's data is unique per format within an organization."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from estate.assets import service as assets
from estate.assets.models import Barcode
from estate.db.base import MAX_INT, utcnow
from estate.errors import Conflict, InvalidInput, NotFound

METHODS = ("MANUAL", "SCANNED", "UNKNOWN")
TEXTS = {"barcode_name": 255, "barcode_data": 255, "barcode_format": 64, "scanned_geolocation": 255}
READ_ONLY = {
    "first_scanned_method", "first_scanned_geolocation", "first_scanned_user",
    "last_scanned_method", "last_scanned_geolocation", "last_scanned_user", "created", "modified",
}
WRITABLE = set(TEXTS) | {"scanned_method", "asset_id", "id"}


def get(db: Session, organization_id: int, barcode_id: int) -> Barcode:
    found = db.get(Barcode, barcode_id) if 0 < barcode_id <= MAX_INT else None
    if found is None or found.organization_id != organization_id:
        raise NotFound(f"barcode {barcode_id} not found", field="id")
    return found


def _clean(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    for key in data:
        if key not in WRITABLE and key not in READ_ONLY:
            raise InvalidInput(f"unknown barcode field {key!r}", field=key)
    clean: dict[str, Any] = {}
    required = (*TEXTS, "scanned_method") if creating else ()
    for key in required:
        if key not in data or data[key] in (None, ""):
            raise InvalidInput(f"{key} is required", field=key)
    for key, limit in TEXTS.items():
        if key in data:
            value = data[key]
            if not isinstance(value, str) or not value.strip():
                raise InvalidInput(f"{key} must be a non-empty string", field=key)
            if len(value) > limit:
                raise InvalidInput(f"{key} is longer than {limit} characters", field=key)
            clean[key] = value.strip()
    if "scanned_method" in data:
        method = str(data["scanned_method"]).upper()
        if method not in METHODS:
            raise InvalidInput(f"scanned_method must be one of {', '.join(METHODS)}", field="scanned_method")
        clean["scanned_method"] = method
    return clean


def _check_unique(db: Session, organization_id: int, data: str, fmt: str, own_id: int | None) -> None:
    taken = db.scalar(select(Barcode.id).where(
        Barcode.organization_id == organization_id, Barcode.barcode_format == fmt, Barcode.barcode_data == data))
    if taken is not None and taken != own_id:
        raise Conflict(f"a {fmt} barcode with this data already exists (barcode {taken})", field="barcode_data")


def create(db: Session, organization_id: int, user: str, data: Mapping[str, Any]) -> Barcode:
    clean = _clean(data, creating=True)
    asset_id = data.get("asset_id")
    if isinstance(asset_id, bool) or not str(asset_id or "").isdigit() or int(str(asset_id)) > MAX_INT:
        raise InvalidInput("asset_id is required: the id of the asset", field="asset_id")
    try:
        asset = assets.get_asset(db, organization_id, int(str(asset_id)))
    except NotFound:
        # Not an object of the organization, not an asset (a relation, the Root location), or not live.
        raise InvalidInput(f"asset {asset_id} not found", field="asset_id") from None
    _check_unique(db, organization_id, clean["barcode_data"], clean["barcode_format"], None)
    scan = (clean["scanned_method"], clean["scanned_geolocation"], user)
    barcode = Barcode(
        organization_id=organization_id, asset_id=asset.id, barcode_name=clean["barcode_name"],
        barcode_data=clean["barcode_data"], barcode_format=clean["barcode_format"],
        first_scanned_method=scan[0], first_scanned_geolocation=scan[1], first_scanned_user=scan[2],
        last_scanned_method=scan[0], last_scanned_geolocation=scan[1], last_scanned_user=scan[2],
    )
    db.add(barcode)
    db.flush()
    return barcode


def update(db: Session, barcode: Barcode, user: str, data: Mapping[str, Any]) -> None:
    if "asset_id" in data and str(data["asset_id"]) != str(barcode.asset_id):
        raise InvalidInput("asset_id is only valid when creating a barcode", field="asset_id")
    clean = _clean(data, creating=False)
    fmt = clean.get("barcode_format", barcode.barcode_format)
    text = clean.get("barcode_data", barcode.barcode_data)
    _check_unique(db, barcode.organization_id, text, fmt, barcode.id)
    for key in ("barcode_name", "barcode_data", "barcode_format"):
        if key in clean:
            setattr(barcode, key, clean[key])
    if "scanned_method" in clean or "scanned_geolocation" in clean:
        barcode.last_scanned_method = clean.get("scanned_method", barcode.last_scanned_method)
        barcode.last_scanned_geolocation = clean.get("scanned_geolocation", barcode.last_scanned_geolocation)
        barcode.last_scanned_user = user
    barcode.modified = utcnow()
    db.flush()


def delete(db: Session, barcode: Barcode) -> None:
    db.delete(barcode)
    db.flush()
