"""The engine knows SQL and records, nothing of HTTP or of the faces that answer with it."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "src" / "estate" / "query"
FORBIDDEN = ("estate.kace", "estate.idoit", "fastapi", "starlette")


def _imported(source: str) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_the_engine_imports_no_face_and_nothing_of_http():
    modules = sorted(ENGINE.glob("*.py"))
    assert modules
    for module in modules:
        for name in _imported(module.read_text()):
            assert not any(name == part or name.startswith(f"{part}.") for part in FORBIDDEN), (module.name, name)
