"""rpc.discover: the OpenRPC document of this face, as OpenRPC clients ask for it."""

from __future__ import annotations

from typing import Any

from estate.idoit.registry import Access, Context, Params, rpc


@rpc("rpc.discover", access=Access.NO_AUTH)
def discover(ctx: Context, params: Params) -> dict[str, Any]:
    from estate.idoit.openrpc import document  # the document reads the registry this module fills

    return document()
