"""One test harness for every list endpoint (as NetBox's utilities/testing/api.py gives every
resource its tests): a list is described once (`ListCase`), and the same checks run on each —
list, filter, sort, page, shape, count, an unknown field refused naming its parameter, and a
statement-count baseline that does not grow with the rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import httpx
from sqlalchemy import Engine

from tests.statements import statements

Made = dict[str, Any]  # what a case's setup made (ids the path names), filled in by `prepare`


class Answer(Enum):
    KACE = "kace"  # {"Count": N, "<Plural>": [...]}
    PAGED = "paged"  # the account management PagingResponse {"count": N, "items": [...]}
    ARRAY = "array"  # an array of Definitions, every row unless `paging` limits them


@dataclass(frozen=True)
class ListCase:
    name: str
    path: Callable[[Made], str]
    answer: Answer
    # Adds one row the list shows; None when the list is fixed data (asset statuses).
    add: Callable[[httpx.Client, Made], None] | None
    entity: str  # the base entity's name, as shaping names it
    plural: str = ""  # the envelope key of a KACE answer
    id_key: str = "id"
    # Makes what the path names (a ticket for its changes); runs before the rows are added.
    prepare: Callable[[httpx.Client, Made], None] = lambda client, made: None
    # The query language's parameters go in a JSON body (the account management search routes).
    body: bool = False
    extra: dict[str, str] = field(default_factory=dict)  # parameters every request sends

    def __str__(self) -> str:
        return self.name


def fetch(client: httpx.Client, case: ListCase, made: Made, **params: str) -> httpx.Response:
    sent = {**case.extra, **params}
    if case.body:
        return client.post(case.path(made), json=sent)
    return client.get(case.path(made), params=sent)


def records(case: ListCase, response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body = response.json()
    if case.answer is Answer.KACE:
        return body[case.plural]
    if case.answer is Answer.PAGED:
        return body["items"]
    assert isinstance(body, list), body
    return body


def _ids(case: ListCase, items: list[dict[str, Any]]) -> list[int]:
    return [int(item[case.id_key]) for item in items]


def _count(case: ListCase, response: httpx.Response) -> int | None:
    body = response.json()
    return {Answer.KACE: body.get("Count"), Answer.PAGED: body.get("count"), Answer.ARRAY: None}[case.answer]


def check_query_language(client: httpx.Client, case: ListCase, made: Made) -> None:
    """The language on this list, which holds at least three rows and fits one page."""
    every = fetch(client, case, made, sorting=case.id_key)
    listed = records(case, every)
    ids = _ids(case, listed)
    assert len(ids) >= 3 and ids == sorted(ids), ids
    if case.answer is not Answer.ARRAY:
        assert _count(case, every) == len(ids)

    one = records(case, fetch(client, case, made, filtering=f"{case.id_key} eq {listed[1][case.id_key]}"))
    assert one == [listed[1]]
    wider = records(case, fetch(client, case, made, sorting=case.id_key,
                                filtering=f"{case.id_key} in {ids[0]};{ids[-1]}"))
    assert _ids(case, wider) == [ids[0], ids[-1]]
    backwards = records(case, fetch(client, case, made, sorting=f"{case.entity}.{case.id_key} desc"))
    assert _ids(case, backwards) == ids[::-1]
    page = fetch(client, case, made, sorting=case.id_key, paging="offset 1 limit 1")
    assert _ids(case, records(case, page)) == [ids[1]]
    if case.answer is not Answer.ARRAY:
        assert _count(case, page) == len(ids)

    if not case.body:
        limited = records(case, fetch(client, case, made, sorting=case.id_key, shaping=f"{case.entity} limited"))
        assert _ids(case, limited) == ids
        assert all(case.id_key in item and set(item) <= set(full) for item, full in zip(limited, listed, strict=True))
    if case.answer is Answer.KACE:
        assert fetch(client, case, made, use_count_only="true").json() == {"Count": len(ids)}
        uncounted = fetch(client, case, made, use_count="false").json()
        assert "Count" not in uncounted and len(uncounted[case.plural]) == len(ids)

    for parameter, value in (("filtering", "no_such_field eq 1"), ("sorting", "no_such_field"),
                             ("filtering", f"{case.id_key} co 1"), ("paging", "limit many")):
        refused = fetch(client, case, made, **{parameter: value})
        assert refused.status_code == 400, (parameter, value, refused.text)
        assert refused.json()["field"] == parameter


def check_statement_baseline(client: httpx.Client, case: ListCase, made: Made, engine: Engine) -> int:
    """The statements of one request do not grow with the rows it answers; returns their number."""
    assert case.add is not None

    def measured() -> int:
        # Adding rows may change who may call (accounts): the worker then resolves its callers again
        # once (estate.auth.callers); the statements counted are those of a read like the others.
        assert fetch(client, case, made).status_code == 200
        with statements(engine) as seen:
            assert fetch(client, case, made).status_code == 200
        return len(seen)

    few = measured()
    for _ in range(4):
        case.add(client, made)
    assert measured() == few
    return few
