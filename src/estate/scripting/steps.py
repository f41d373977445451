"""The step catalog: what a task's steps may do on a machine, and the parameters each takes.

A step is sent as {"id": <step id>, "params": {...}}; docs/scripting-steps.md lists the catalog
for administrators. The agent (estate.agent.steps) implements the same ids."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from estate.errors import InvalidInput

EXIT_CODE = Field(ge=-(2**31), le=2**31 - 1)


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=False)


class _Command(_Params):
    """A program with its arguments, or one command line for the shell."""

    command: str | None = Field(default=None, min_length=1, max_length=8192)
    program: str | None = Field(default=None, min_length=1, max_length=4096)
    args: list[str] = Field(default_factory=list, max_length=256)
    expectedExitCodes: list[int] = Field(default_factory=lambda: [0], min_length=1, max_length=64)  # noqa: N815
    timeout: int | None = Field(default=None, ge=1, le=7 * 24 * 3600)
    directory: str | None = Field(default=None, max_length=4096)

    def model_post_init(self, context: Any) -> None:
        if (self.command is None) == (self.program is None):
            raise ValueError("give either command or program")
        if self.command is not None and self.args:
            raise ValueError("args go with program, not command")


class RunCommand(_Command):
    wait: bool = True


class VerifyExitCode(_Command):
    pass


class VerifyFileExists(_Params):
    path: str = Field(min_length=1, max_length=4096)


class VerifyFileContent(_Params):
    path: str = Field(min_length=1, max_length=4096)
    contains: str = Field(min_length=1, max_length=8192)
    regex: bool = False


class VerifyRegistryValue(_Params):
    key: str = Field(min_length=1, max_length=1024)
    name: str = Field(default="", max_length=1024)
    value: str | None = Field(default=None, max_length=8192)


class Log(_Params):
    type: Literal["status", "activity", "output"] = "status"
    message: str = Field(min_length=1, max_length=8192)


class CopyDependency(_Params):
    name: str = Field(min_length=1, max_length=255)
    destination: str = Field(min_length=1, max_length=4096)
    overwrite: bool = True


class Unzip(_Params):
    path: str = Field(min_length=1, max_length=4096)
    destination: str = Field(min_length=1, max_length=4096)
    overwrite: bool = True


class DeleteFile(_Params):
    path: str = Field(min_length=1, max_length=4096)


class UploadFile(_Params):
    path: str = Field(min_length=1, max_length=4096)
    name: str | None = Field(default=None, min_length=1, max_length=255)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str | None) -> str | None:
        if value is not None and ("/" in value or "\\" in value or value in (".", "..")):
            raise ValueError("a file name without folders")
        return value


@dataclass(frozen=True)
class StepType:
    id: int
    name: str
    params: type[_Params]
    verifies: bool  # a verify step answers a question; the others change the machine


CATALOG: dict[int, StepType] = {
    step.id: step
    for step in (
        StepType(1, "Run a command", RunCommand, False),
        StepType(2, "Verify a file exists", VerifyFileExists, True),
        StepType(3, "Log a message", Log, False),
        StepType(4, "Verify a file's content", VerifyFileContent, True),
        StepType(5, "Verify a command's exit code", VerifyExitCode, True),
        StepType(6, "Verify a registry value", VerifyRegistryValue, True),
        StepType(7, "Copy a dependency", CopyDependency, False),
        StepType(8, "Unzip a file", Unzip, False),
        StepType(9, "Delete a file", DeleteFile, False),
        StepType(10, "Upload a file", UploadFile, False),
    )
}

# A task's step lists, as TaskDTO names them.
STEP_LISTS = ("verify", "onVerifySuccess", "onVerifyFailure", "onRemediationSuccess", "onRemediationFailure")
MAX_STEPS = 100


def read_step(raw: Any, where: str) -> dict[str, Any]:
    """One step as stored: {"id": ..., "params": {...}} with the params the catalog knows, checked."""
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{where} must be an object with id and params", field=where)
    unknown = [key for key in raw if key not in ("id", "params")]
    if unknown:
        raise InvalidInput(f"{where}.{unknown[0]}: unknown field", field=f"{where}.{unknown[0]}")
    step_id = raw.get("id")
    if isinstance(step_id, bool) or not isinstance(step_id, int) or step_id not in CATALOG:
        raise InvalidInput(f"{where}.id must be a step id of the catalog ({', '.join(map(str, CATALOG))})",
                           field=f"{where}.id")
    params = raw.get("params", {})
    if not isinstance(params, Mapping):
        raise InvalidInput(f"{where}.params must be an object", field=f"{where}.params")
    try:
        checked = CATALOG[step_id].params.model_validate(params)
    except ValidationError as exc:
        # A misspelt parameter is the mistake to name, not the parameter it leaves missing.
        errors = exc.errors()
        first = next((error for error in errors if error.get("type") == "extra_forbidden"), errors[0])
        path = ".".join(str(part) for part in first.get("loc", ()))
        at = f"{where}.params.{path}" if path else f"{where}.params"
        message = "unknown field" if first.get("type") == "extra_forbidden" else first.get("msg", "invalid")
        raise InvalidInput(f"{at}: {message}", field=at) from None
    return {"id": step_id, "params": checked.model_dump(exclude_none=True)}


def read_steps(raw: Any, where: str) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raw = [raw]  # a single step object, as some clients send one
    if len(raw) > MAX_STEPS:
        raise InvalidInput(f"{where} takes at most {MAX_STEPS} steps", field=where)
    return [read_step(item, f"{where}[{index}]") for index, item in enumerate(raw)]
