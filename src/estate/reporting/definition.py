"""A report definition is data: one JSON document per report.

    {"name": "machines_by_os", "title": "Machines by operating system", "category": "Inventory",
     "description": "...", "entity": "machine",
     "fields": ["Name", {"field": "Os_name", "title": "Operating system"}, "Software.Display_name"],
     "filtering": "Last_sync lt ${now-30d}", "sorting": "Name",
     "grouping": {"by": ["Os_name"], "count": "Machines"}, "totals": true,
     "chart": {"type": "bar", "label": "Operating system", "value": "Machines"}, "limit": null}

`entity` is one of the declared entities reports read (sources.SOURCES); `fields`, `filtering` and
`sorting` are checked against its declaration by the query engine, exactly as the KACE lists check
them. A field `Sub.Field` reads a sub-entity: the report has a row per related row. `${now}`,
`${now-30d}`, `${now+2h}` and `${today}` in `filtering` are the moment the report runs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from estate.errors import InvalidInput

NAME_PATTERN = r"^[a-z0-9][a-z0-9_\-]{0,254}$"
FORMATS = ("html", "csv", "xlsx", "pdf", "json", "txt")
MAX_LIMIT = 1_000_000


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=255)
    title: str = Field(default="", max_length=255)

    @property
    def heading(self) -> str:
        return self.title or self.field.rsplit(".", 1)[-1].replace("_", " ")


class Grouping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: list[str] = Field(min_length=1, max_length=5)
    # The heading of the count column.
    count: str = Field(default="Count", min_length=1, max_length=255)


class Chart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["bar", "pie"] = "bar"
    label: str = Field(min_length=1, max_length=255)
    value: str = Field(min_length=1, max_length=255)


class Definition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=255)
    title: str = Field(min_length=1, max_length=255)
    category: str = Field(default="", max_length=255)
    description: str = Field(default="", max_length=4000)
    entity: str = Field(min_length=1, max_length=64)
    fields: list[Column] = Field(min_length=1, max_length=100)
    filtering: str = Field(default="", max_length=4000)
    sorting: str = Field(default="", max_length=1000)
    grouping: Grouping | None = None
    totals: bool = False
    chart: Chart | None = None
    limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)

    @field_validator("fields", mode="before")
    @classmethod
    def _plain_names(cls, value: Any) -> Any:
        # A field may be written as its name alone.
        if isinstance(value, list):
            return [{"field": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if value and not re.match(NAME_PATTERN, value):
            raise ValueError("a name is lower-case letters, digits, '_' and '-' (and not only digits)")
        if value.isdigit():
            raise ValueError("a name is not a number: numbers are report ids")
        return value

    def columns(self) -> list[str]:
        """The headings of the report's columns, in order."""
        if self.grouping is None:
            return [column.heading for column in self.fields]
        by = {name: self._heading_of(name) for name in self.grouping.by}
        return [*by.values(), self.grouping.count]

    def _heading_of(self, name: str) -> str:
        return next((column.heading for column in self.fields if column.field == name), Column(field=name).heading)


def parse_definition(data: Any, *, parameter: str = "definitionData") -> Definition:
    """A definition from its JSON document (a dict or its text); a 400 naming the first bad field."""
    try:
        if isinstance(data, (str, bytes)):
            return Definition.model_validate_json(data)
        return Definition.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        field = f"{parameter}.{where}" if where else parameter
        if error["type"] == "json_invalid":
            raise InvalidInput(f"{parameter} is not JSON: {error['msg']}", field=parameter) from None
        raise InvalidInput(f"{field}: {error['msg']}", field=field) from None


_MOMENT = re.compile(r"\$\{(now|today)(?:([+-])(\d{1,6})([smhdw]))?\}")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def resolve_moments(filtering: str, *, now: datetime | None = None) -> str:
    """`${now-30d}` and the like as the moments they name (UTC, `YYYY-MM-DD HH:MM:SS`)."""
    now = now or datetime.now(UTC)

    def moment(match: re.Match[str]) -> str:
        base = now.replace(hour=0, minute=0, second=0, microsecond=0) if match.group(1) == "today" else now
        if match.group(2):
            delta = timedelta(**{_UNITS[match.group(4)]: int(match.group(3))})
            base = base + delta if match.group(2) == "+" else base - delta
        return base.strftime("%Y-%m-%d %H:%M:%S")

    return _MOMENT.sub(moment, filtering)


def check_format(value: str, *, field: str = "format") -> str:
    chosen = (value or "html").strip().lower()
    if chosen not in FORMATS:
        raise InvalidInput(f"{field} must be one of {', '.join(FORMATS)}", field=field)
    return chosen
