"""Every JSON-RPC method, called with parameters of every JSON type (bounded, property-based):
an answer is always a JSON-RPC answer, and a wrong value is a client error (-32602 naming the
parameter, or the method's own error), never an internal error (-32603)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from estate.idoit.registry import METHODS
from tests.factories import make_org
from tests.idoit.conftest import RpcClient, new_key

INTERNAL_ERROR = -32603
# Parameters every call carries; the fuzzed ones come from each method's declared model.
FIXED = {"apikey", "language"}

# Keys of nested parameters (filters, data) that methods read, beside random ones.
_KEYS = st.sampled_from(["id", "ids", "title", "titles", "type", "const", "status", "email", "data", "value"])

_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
            | st.sampled_from(["C__CATG__GLOBAL", "C__OBJTYPE__SERVER", "1", "", "-1"]))
_shallow = _scalars | st.lists(_scalars, max_size=3)


def _model_keys(annotation: Any) -> list[str]:
    """Keys of the parameter objects a method declares (a filter model's fields, say)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [field.alias or name for name, field in annotation.model_fields.items()]
    return [key for argument in get_args(annotation) for key in _model_keys(argument)]


def _values_of(field: FieldInfo) -> st.SearchStrategy[Any]:
    """Any JSON value; objects one level deep, keyed as the method reads them."""
    keys = _model_keys(field.annotation)
    objects = st.dictionaries(st.sampled_from(keys) if keys else _KEYS, _shallow, min_size=1, max_size=3)
    return st.one_of(_scalars, st.lists(_scalars, max_size=3), objects)


def _parameters(method: str) -> st.SearchStrategy[dict[str, Any]]:
    fields = METHODS[method].params.model_fields
    optional = {field.alias or name: _values_of(field) for name, field in fields.items()
                if (field.alias or name) not in FIXED}
    return st.fixed_dictionaries({}, optional=optional or {"id": _shallow})


# One name per method: aliases (cmdb.objects = cmdb.objects.read) run the same code.
_METHOD_NAMES = sorted({method.name for method in METHODS.values()})


@pytest.fixture(scope="module")
def rpc(base_url: str, sessions) -> Iterator[RpcClient]:
    """What the property says holds whatever the tenant holds: one organization serves every method."""
    with RpcClient(base_url, new_key(sessions, make_org(sessions).id)) as client:
        yield client


@pytest.mark.parametrize("method", _METHOD_NAMES)
def test_parameters_of_any_type_never_cause_an_internal_error(rpc, method):
    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(params=_parameters(method))
    def call(params: dict[str, Any]) -> None:
        answer = rpc.call(method, params)
        if "error" in answer:
            assert answer["error"]["code"] != INTERNAL_ERROR, (params, answer)
        else:
            assert "result" in answer, answer

    call()
