"""Reading console forms: texts, ids and uploaded files, with errors that name the form field."""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile

from estate.db.base import MAX_INT
from estate.errors import InvalidInput


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional_id(form: FormData, name: str) -> int | None:
    raw = text(form, name)
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > MAX_INT:
        raise InvalidInput(f"{name} must be an id", field=name)
    return int(raw)


def required_id(form: FormData, name: str) -> int:
    found = optional_id(form, name)
    if found is None:
        raise InvalidInput(f"{name} is required", field=name)
    return found


def files(form: FormData, name: str) -> list[UploadFile]:
    """The files sent in a file input (a browser sends one nameless empty part when none is chosen)."""
    return [item for item in form.getlist(name) if isinstance(item, UploadFile) and item.filename]
