"""The report definitions as the query engine lists them (`/api/reporting/definitions`)."""

from __future__ import annotations

from sqlalchemy import Text, cast

from estate.query import Entity, Field, Kind, Level, Nesting, Style
from estate.reporting.models import ReportDefinition

_d = ReportDefinition.__table__.c

DEFINITION = Entity(
    name="definition",
    plural="Definitions",
    table=ReportDefinition.__table__,
    id_field="id",
    name_field="name",
    organization_column=_d.organization_id,
    style=Style.ISO,
    nesting=Nesting.NAMED,
    aliases=("definitions", "report", "reports"),
    default_order=("id",),
    fields=(
        Field("id", _d.id, Kind.INT, Level.LIMITED),
        Field("name", _d.name, Kind.TEXT, Level.LIMITED, wildcard=True),
        Field("title", _d.title, Kind.TEXT, Level.LIMITED, wildcard=True),
        Field("category", _d.category, Kind.TEXT, Level.LIMITED, wildcard=True),
        Field("description", _d.description, Kind.TEXT, Level.STANDARD, wildcard=True),
        Field("entity", _d.entity, Kind.TEXT, Level.STANDARD),
        Field("stock", _d.stock, Kind.BOOL, Level.STANDARD),
        Field("created", _d.created, Kind.DATETIME, Level.STANDARD),
        Field("modified", _d.modified, Kind.DATETIME, Level.STANDARD),
        # The document, as the JSON string GetByDefinition's `definitionData` takes.
        Field("definitionData", cast(_d.document, Text), Kind.TEXT, Level.STANDARD),
    ),
)

# The fields DistinctField answers: a definition's own columns, not its document.
DISTINCT_FIELDS = ("name", "title", "category", "description", "entity", "stock")
