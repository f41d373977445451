"""console.tenant.list: the tenants are organizations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from estate.accounts import service as accounts
from estate.idoit.registry import Access, Context, Params, rpc

HEADER = ("ID", "Title", "(host:port)", "database", "[status]")


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    """The tenant table as i-doit's console prints it, line by line."""
    widths = [max(len(row[n]) for row in [HEADER, *rows]) for n in range(len(HEADER))]
    rule = "+" + "+".join("-" * (width + 2) for width in widths) + "+"

    def line(row: tuple[str, ...]) -> str:
        return "|" + "|".join(f" {cell.ljust(width)} " for cell, width in zip(row, widths, strict=True)) + "|"

    return ["Available tenants:", rule, line(HEADER), rule, *map(line, rows), rule, ""]


@rpc("console.tenant.list", access=Access.READ)
def tenant_list(ctx: Context, params: Params) -> dict[str, Any]:
    """The organization of the API key; an account signed in (X-RPC-Auth headers or a session)
    sees every organization it is a member of. Other organizations stay behind their walls."""
    account = ctx.identity.account if ctx.identity else None
    if account is None:
        tenants = [(ctx.organization_id, ctx.login["tenant"])]
    else:
        tenants = sorted(accounts.organizations_of(ctx.db, account.id))  # by id, as i-doit lists them
    rows = [(str(number), name, "(estate)", f"organization {number}", "active") for number, name in tenants]
    return {"success": True, "output": _table(rows)}
