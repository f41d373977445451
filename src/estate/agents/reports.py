"""What an agent reports about a piece of work, whatever its kind: the steps it ran and, at the
end, the result. Checked field by field; errors name the field as the agent wrote it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from estate.db.base import MAX_INT, utcnow
from estate.errors import InvalidInput

# What one step or one result may carry; more is cut (the agent caps it already).
MAX_OUTPUT = 64 * 1024
MAX_STEPS_PER_REPORT = 1000
SUCCESS, FAILED = "success", "failed"


def text(value: Any, where: str, limit: int = MAX_OUTPUT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{where} must be a string", field=where)
    return value.replace("\x00", "")[:limit]


def integer(value: Any, where: str, *, required: bool = False) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**31) <= value <= MAX_INT:
        raise InvalidInput(f"{where} must be an integer", field=where)
    return value


def when(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{where} must be an ISO 8601 time", field=where) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=utcnow().tzinfo)


@dataclass
class Report:
    steps: list[dict[str, Any]]
    result: dict[str, Any] | None


def read_report(body: Any) -> Report:
    if not isinstance(body, Mapping):
        raise InvalidInput("the report must be an object", field="body")
    unknown = set(body) - {"steps", "result"}
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]}: unknown field", field=sorted(unknown)[0])
    raw_steps = body.get("steps") or []
    if not isinstance(raw_steps, list) or len(raw_steps) > MAX_STEPS_PER_REPORT:
        raise InvalidInput(f"steps must be a list of at most {MAX_STEPS_PER_REPORT}", field="steps")
    steps = []
    for index, raw in enumerate(raw_steps):
        where = f"steps[{index}]"
        if not isinstance(raw, Mapping):
            raise InvalidInput(f"{where} must be an object", field=where)
        status = raw.get("status")
        if status not in (SUCCESS, FAILED):
            raise InvalidInput(f"{where}.status must be success or failed", field=f"{where}.status")
        seq = integer(raw.get("seq"), f"{where}.seq", required=True)
        if seq is None or seq < 0:
            raise InvalidInput(f"{where}.seq must be a number from 0", field=f"{where}.seq")
        steps.append({"seq": seq, "task": integer(raw.get("task"), f"{where}.task"),
                      "phase": text(raw.get("phase"), f"{where}.phase", 32),
                      "step_id": integer(raw.get("stepId"), f"{where}.stepId"),
                      "name": text(raw.get("name"), f"{where}.name", 255), "status": status,
                      "exit_code": integer(raw.get("exitCode"), f"{where}.exitCode"),
                      "output": text(raw.get("output"), f"{where}.output"),
                      "started": when(raw.get("startTime"), f"{where}.startTime"),
                      "finished": when(raw.get("endTime"), f"{where}.endTime")})
    result = body.get("result")
    if result is not None:
        if not isinstance(result, Mapping) or result.get("status") not in (SUCCESS, FAILED):
            raise InvalidInput("result.status must be success or failed", field="result.status")
        result = {"status": result["status"], "exit_code": integer(result.get("exitCode"), "result.exitCode"),
                  "message": text(result.get("message"), "result.message", 4096),
                  "started": when(result.get("startTime"), "result.startTime"),
                  "finished": when(result.get("endTime"), "result.endTime")}
    return Report(steps, result)
