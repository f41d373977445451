"""The rooms of src/estate and which may import which (docs/architecture.md), checked by walking
every module's imports, those inside functions included."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "estate"

# Faces translate a protocol to domain calls and back; web and agentapi are planned.
FACES = frozenset({"kace", "idoit", "web", "agentapi"})
# Domains own their tables and rules; distribution, scripting and reporting are planned.
DOMAINS = frozenset({"orgs", "accounts", "auth", "history", "inventory", "assets", "cmdb", "servicedesk",
                     "distribution", "scripting", "reporting",
                     "agents"})
ENGINE = frozenset({"query"})  # the KACE query language, driven by the entities domains declare
FLOOR = frozenset({"db", "errors", "settings", "observe"})  # what every room stands on
# Assembles the rooms into a server and a command (operations: health, metrics and the request
# middleware; apidocs: the API documents of both faces; dataload: demo data and imports).
ROOT = frozenset({"app", "cli", "bootstrap", "jobs", "operations", "apidocs", "dataload"})
WEB_FRAMEWORKS = ("fastapi", "starlette")

# Imports a room is about to lose: each is reported until it is gone, and then reported as stale.
# (importer, room or framework imported) → why it is about to go.
PENDING: dict[tuple[str, str], str] = {}


def room_of(module: str) -> str:
    """``estate.cmdb.entries`` → ``cmdb``; ``estate.app`` → ``app``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports_of(module: str, source: str, is_package: bool) -> set[str]:
    """The absolute names a module imports (relative imports resolved)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join([*base, node.module] if node.module else base)
            # `from estate.cmdb import entries` names estate.cmdb.entries; `from fastapi import X`, fastapi.X.
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def broken_rule(importer: str, imported: str) -> str | None:
    """The rule an import breaks, if any."""
    here = room_of(importer)
    if here == "agent" and imported.startswith("estate.") and room_of(imported) != "agent":
        return "the agent program imports nothing of the server"
    if imported.split(".")[0] in WEB_FRAMEWORKS:
        if here in DOMAINS | ENGINE | FLOOR:
            return f"{here} must not import a web framework"
        return None
    if not imported.startswith("estate.") or imported.count(".") < 1:
        return None
    there = room_of(imported)
    if there == here:
        return None
    if here in DOMAINS and there in FACES:
        return "a domain must not import a face"
    if here in FACES and there in FACES:
        return "a face must not import the other face"
    if here in ENGINE and there in FACES | DOMAINS | ROOT:
        return "the query engine must not import a face, a domain or the server"
    if here == "cmdb" and there in DOMAINS:
        return "cmdb must not import a domain above it"
    if here in DOMAINS and there in ROOT:
        return "a domain must not import the server"
    models = imported.split(".")[2:3] == ["models"]
    if here in FLOOR and (there in FACES | ENGINE | ROOT or (there in DOMAINS and not models)):
        return "the floor may import only the domains' models (the metadata)"
    return None


def violations(modules: dict[str, tuple[str, bool]]) -> dict[tuple[str, str], str]:
    """(importer, room or framework imported) → the rule broken, for modules given as name →
    (source, is package)."""
    found = {}
    for module, (source, is_package) in modules.items():
        for imported in imports_of(module, source, is_package):
            rule = broken_rule(module, imported)
            if rule is not None:
                target = room_of(imported) if imported.startswith("estate.") else imported.split(".")[0]
                found[(module, target)] = rule
    return found


def estate_modules() -> dict[str, tuple[str, bool]]:
    modules = {}
    for path in sorted(SOURCE.rglob("*.py")):
        parts = path.relative_to(SOURCE.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        modules[name] = (path.read_text(encoding="utf-8"), is_package)
    return modules


def test_every_import_of_src_estate_keeps_to_the_rooms():
    found = violations(estate_modules())
    assert {key: rule for key, rule in found.items() if key not in PENDING} == {}
    stale = sorted(set(PENDING) - set(found))
    assert stale == [], f"no longer imported, remove from PENDING: {stale}"


def test_each_rule_is_enforced():
    """A breach of each rule is found, wherever the import is written."""
    breaches = {
        "estate.assets.service": "from estate.kace.http import respond",
        "estate.servicedesk.service": "def f():\n    import estate.idoit.dispatcher",
        "estate.kace.assets": "from estate.idoit.registry import rpc",
        "estate.idoit.methods.objects": "from ...kace import deps",
        "estate.query.plan": "from estate.kace.http import respond",
        "estate.query.run": "from fastapi import Request",
        "estate.query.parse": "from estate.inventory import entities",
        "estate.cmdb.entries": "from estate.inventory import cmdb_view",
        "estate.cmdb.objects": "from ..orgs.models import Location",
        "estate.orgs.service": "from starlette.requests import Request",
        "estate.inventory.service": "from estate import app",
        "estate.db.engine": "from estate.cmdb import objects",
    }
    found = violations({module: (source, False) for module, source in breaches.items()})
    assert sorted({importer for importer, _ in found}) == sorted(breaches)
    allowed = {
        "estate.kace.assets": "from estate.assets import service\nfrom estate.query import Entity",
        "estate.inventory.cmdb_view": "from estate.cmdb import feeds\nfrom estate.assets.models import AssetLink",
        "estate.cmdb.entries": "from estate.db.base import utcnow\nfrom . import feeds",
        "estate.db.models": "from estate.inventory import models",
        "estate.app": "from estate.kace import assets\nfrom estate.idoit import router\nfrom fastapi import FastAPI",
    }
    assert violations({module: (source, False) for module, source in allowed.items()}) == {}
