"""Log output: one line per request, plain text or JSON (``ESTATE_LOG_FORMAT=json``).

A request's line carries what an operator looks for (status, duration, organization, account or
API key id, the KACE route or the JSON-RPC methods with their error codes, the name of a failed
login) and never a secret, a query string or a body."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

REQUEST_LOGGER = "estate.request"
FIELDS = "estate_fields"  # the attribute of a log record that holds a request's fields


def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, FIELDS, None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def _text_value(key: str, value: Any) -> str:
    if key == "rpc":
        return ",".join(call["method"] if call["error"] is None else f"{call['method']}({call['error']})"
                        for call in value)
    text = str(value)
    return f'"{text}"' if not text or " " in text or '"' in text else text


class TextFormatter(logging.Formatter):
    """``time level logger message key=value ...``: what a person reads in a terminal or journal."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [_time(record), record.levelname, record.name, record.getMessage()]
        fields = getattr(record, FIELDS, None) or {}
        parts += [f"{key}={_text_value(key, value)}" for key, value in fields.items() if value is not None]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def logging_config(*, level: str, log_format: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the server: Estate's and uvicorn's loggers to stderr in
    one format. uvicorn's own access log is off; the request line replaces it."""
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    handler = {"class": "logging.StreamHandler", "formatter": "estate", "stream": "ext://sys.stderr"}
    logger = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"estate": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {"default": handler},
        "loggers": {"estate": logger, "uvicorn": logger, "uvicorn.error": {"level": level.upper()}},
    }
