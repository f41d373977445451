"""What clients send for a script and a task, in the appliance's field names (ScriptShellDTO,
TaskDTO), checked field by field. Errors name the field as the client wrote it."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from estate.scripting.models import KINDS

# The answer shows a stored run-as password as this mask; sending the mask back keeps the password.
PASSWORD_MASK = "********"  # noqa: S105 - a mask, not a password
STATUSES = ("Draft", "Production")
SCHEDULE_TYPES = ("none", "interval", "cron", "startup")
UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
ON_FAILURE = ("break", "continue")
_CRON_FIELD = re.compile(r"^(\*|\d{1,2}(-\d{1,2})?)(/\d{1,2})?(,(\*|\d{1,2}(-\d{1,2})?)(/\d{1,2})?)*$")
_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskIn(_In):
    ordinalId: int | None = Field(default=None, ge=0, le=10_000)  # noqa: N815
    attempts: int = Field(default=1, ge=1, le=100)
    onFailure: str = "break"  # noqa: N815
    verify: Any = None
    onVerifySuccess: Any = None  # noqa: N815
    onVerifyFailure: Any = None  # noqa: N815
    onRemediationSuccess: Any = None  # noqa: N815
    onRemediationFailure: Any = None  # noqa: N815

    @field_validator("onFailure")
    @classmethod
    def _on_failure(cls, value: str) -> str:
        if value.lower() not in ON_FAILURE:
            raise ValueError("must be break or continue")
        return value.lower()


class ScriptIn(_In):
    """Every field optional: a create needs name and type (checked by the service), an update
    changes what it sends. `id` and `dependencies` are the server's and accepted as sent back."""

    id: Any = None
    dependencies: Any = None
    name: str | None = Field(default=None, min_length=1, max_length=255)
    type: str | None = None
    description: str | None = Field(default=None, max_length=65_535)
    notes: str | None = Field(default=None, max_length=65_535)
    status: str | None = None
    enabled: bool | None = None
    osTypes: list[Any] | None = Field(default=None, max_length=100)  # noqa: N815
    scheduleType: str | None = None  # noqa: N815
    schedule: list[Any] | None = Field(default=None, max_length=20)
    machines: list[Any] | None = Field(default=None, max_length=100_000)
    tasks: list[Any] | None = Field(default=None, max_length=100)
    runAs: int | None = Field(default=None, ge=0, le=3)  # noqa: N815
    runAsUsr: str | None = Field(default=None, max_length=255)  # noqa: N815
    runAsPassword: str | None = Field(default=None, max_length=1024)  # noqa: N815
    scriptText: str | None = Field(default=None, max_length=1_000_000)  # noqa: N815
    fileName: str | None = Field(default=None, max_length=255)  # noqa: N815
    timeout: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    removeFiles: bool | None = None  # noqa: N815
    uploadFile: bool | None = None  # noqa: N815
    uploadFileName: str | None = Field(default=None, max_length=255)  # noqa: N815
    uploadFilePath: str | None = Field(default=None, max_length=4096)  # noqa: N815
    alertEnabled: bool | None = None  # noqa: N815
    alertMessage: str | None = Field(default=None, max_length=4096)  # noqa: N815
    alertDialogTimeout: int | None = Field(default=None, ge=0, le=86_400)  # noqa: N815
    alertDialogTimeoutAction: str | None = Field(default=None, max_length=64)  # noqa: N815
    alertDialogOptions: list[Any] | None = Field(default=None, max_length=10)  # noqa: N815
    alertSnoozeDuration: int | None = Field(default=None, ge=0, le=86_400)  # noqa: N815

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | None) -> str | None:
        if value is not None and value.lower() not in KINDS:
            raise ValueError(f"must be one of {', '.join(KINDS)}")
        return value.lower() if value is not None else None

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for status in STATUSES:
            if value.lower() == status.lower():
                return status
        raise ValueError(f"must be one of {', '.join(STATUSES)}")

    @field_validator("scheduleType")
    @classmethod
    def _schedule_type(cls, value: str | None) -> str | None:
        if value is not None and value.lower() not in SCHEDULE_TYPES:
            raise ValueError(f"must be one of {', '.join(SCHEDULE_TYPES)}")
        return value.lower() if value is not None else None

    @field_validator("fileName", "uploadFileName")
    @classmethod
    def _plain_file_name(cls, value: str | None) -> str | None:
        if value and ("/" in value or "\\" in value or value in (".", "..") or "\x00" in value):
            raise ValueError("must be a file name without folders")
        return value


def read_schedule(schedule_type: str, schedule: list[Any]) -> list[dict[str, Any]]:
    """Interval entries {"every": n, "unit": "minutes"} or cron entries {"cron": "m h dom mon dow"}."""
    checked = []
    for index, entry in enumerate(schedule):
        where = f"schedule[{index}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where} must be an object")
        if schedule_type == "interval":
            every, unit = entry.get("every"), str(entry.get("unit", "minutes")).lower()
            if set(entry) - {"every", "unit"} or isinstance(every, bool) or not isinstance(every, int) \
                    or not 1 <= every <= 1_000_000 or unit not in UNITS:
                raise ValueError(f"{where} must be {{\"every\": n, \"unit\": seconds|minutes|hours|days}}")
            checked.append({"every": every, "unit": unit})
        elif schedule_type == "cron":
            expression = entry.get("cron")
            if set(entry) != {"cron"} or not isinstance(expression, str) or not valid_cron(expression):
                raise ValueError(f"{where} must be {{\"cron\": \"minute hour day month weekday\"}}")
            checked.append({"cron": " ".join(expression.split())})
        else:
            raise ValueError(f"{where}: scheduleType {schedule_type} takes no schedule entries")
    return checked


def valid_cron(expression: str) -> bool:
    fields = expression.split()
    if len(fields) != 5:
        return False
    for field, (low, high) in zip(fields, _CRON_RANGES, strict=True):
        if not _CRON_FIELD.match(field):
            return False
        numbers = [int(number) for number in re.findall(r"(?<![/\d])\d+", field)]
        if any(not low <= number <= high for number in numbers):
            return False
    return True
