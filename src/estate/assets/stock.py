"""The asset types a new organization starts with, and their fields, as data.

Each type names the CMDB object type its assets are and the category holding its fields; the
categories are added to the i-doit catalog at import, so ``cmdb.category.read|save`` validate and
shape asset fields exactly as the KACE face does (docs/decisions/0500)."""

from __future__ import annotations

from dataclasses import dataclass

from estate.cmdb.catalog import CATALOG, OBJECT, PLAIN, Attribute, Category

TEXT, NUMBER, DATE, CHOICE, ATTACHMENT, REFERENCE = "text", "number", "date", "dialog", "attachment", "reference"
KINDS = (TEXT, NUMBER, DATE, CHOICE, ATTACHMENT, REFERENCE)
# Catalog data types of each field kind; a dialog's choices are checked by the assets domain.
DATA_TYPES = {TEXT: "text", NUMBER: "double", DATE: "date", CHOICE: "text", ATTACHMENT: "text", REFERENCE: "int"}
# Catalog ids of the asset categories start here, clear of the table's numbering.
FIRST_CATEGORY_ID = 9001
DEVICE = "Device"


@dataclass(frozen=True)
class StockField:
    key: str
    label: str
    kind: str
    choices: tuple[str, ...] = ()
    reference: str | None = None  # the name of the stock type a reference field points at


@dataclass(frozen=True)
class StockType:
    name: str
    type_const: str
    category_const: str
    asset_class_id: int
    fields: tuple[StockField, ...]


STOCK_TYPES: tuple[StockType, ...] = (
    StockType(DEVICE, "C__OBJTYPE__CLIENT", "C__CATG__CUSTOM_FIELDS_ASSET_DEVICE", 1, (
        StockField("field_10000", "Serial Number", TEXT),
        StockField("field_10001", "Purchase Date", DATE),
        StockField("field_10002", "Warranty Document", ATTACHMENT),
        StockField("field_10003", "Photo", ATTACHMENT),
        StockField("field_10004", "Condition", CHOICE, ("New", "Good", "Worn", "Broken")),
        StockField("field_10005", "Purchase Record", REFERENCE, reference="Purchase Record"),
        StockField("field_10006", "Cost", NUMBER),
    )),
    StockType("Software", "C__OBJTYPE__APPLICATION", "C__CATG__CUSTOM_FIELDS_ASSET_SOFTWARE", 2, (
        StockField("field_10010", "Publisher", TEXT),
        StockField("field_10011", "Version", TEXT),
    )),
    StockType("License", "C__OBJTYPE__LICENCE", "C__CATG__CUSTOM_FIELDS_ASSET_LICENSE", 3, (
        StockField("field_10020", "License Key", TEXT),
        StockField("field_10021", "Seats", NUMBER),
        StockField("field_10022", "Expiration Date", DATE),
        StockField("field_10023", "Software", REFERENCE, reference="Software"),
        StockField("field_10024", "License File", ATTACHMENT),
        StockField("field_10025", "Mode", CHOICE, ("Per seat", "Per device", "Site", "Subscription")),
    )),
    StockType("Location", "C__OBJTYPE__BUILDING", "C__CATG__CUSTOM_FIELDS_ASSET_LOCATION", 4, (
        StockField("field_10030", "Address", TEXT),
        StockField("field_10031", "Floor Plan", ATTACHMENT),
    )),
    StockType("Department", "C__OBJTYPE__PERSON_GROUP", "C__CATG__CUSTOM_FIELDS_ASSET_DEPARTMENT", 5, (
        StockField("field_10040", "Cost Center", TEXT),
        StockField("field_10041", "Manager", TEXT),
    )),
    StockType("Vendor", "C__OBJTYPE__ORGANIZATION", "C__CATG__CUSTOM_FIELDS_ASSET_VENDOR", 6, (
        StockField("field_10050", "Phone", TEXT),
        StockField("field_10051", "Website", TEXT),
        StockField("field_10052", "Contract", ATTACHMENT),
    )),
    StockType("Purchase Record", "C__OBJTYPE__MAINTENANCE", "C__CATG__CUSTOM_FIELDS_ASSET_PURCHASE", 7, (
        StockField("field_10060", "Order Number", TEXT),
        StockField("field_10061", "Order Date", DATE),
        StockField("field_10062", "Amount", NUMBER),
        StockField("field_10063", "Vendor", REFERENCE, reference="Vendor"),
        StockField("field_10064", "Invoice", ATTACHMENT),
    )),
)


def _attribute(item: StockField) -> Attribute:
    if item.kind == REFERENCE:
        return Attribute(item.key, item.label, "int", "isys_obj__id", OBJECT)
    return Attribute(item.key, item.label, DATA_TYPES[item.kind], "", PLAIN)


def register_categories() -> None:
    """Add one global category per stock type to the catalog (idempotent)."""
    for offset, stock in enumerate(STOCK_TYPES):
        if stock.category_const in CATALOG.categories:
            continue
        category = Category(
            const=stock.category_const,
            id=FIRST_CATEGORY_ID + offset,
            scope="g",
            title=f"{stock.name} asset fields",
            multi_value=False,
            attributes={item.key: _attribute(item) for item in stock.fields},
        )
        CATALOG.categories[category.const] = category
        CATALOG.categories_by_id[(category.scope, category.id)] = category


register_categories()
