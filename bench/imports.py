"""Where a worker's memory goes before its first request: the RSS of the interpreter, of the
framework a worker imports (uvicorn, FastAPI with Starlette and pydantic, SQLAlchemy's ORM), and of
Estate's own modules while `create_app` builds the app, each module charged with what its own
body added (its imports charged to them), summed by domain (`estate.<domain>`).

RSS is read from /proc after each module's body runs, so a figure is what the process grew by,
allocator slack included; run it on a quiet machine, it takes a few seconds.

    python -m bench.imports
    python -m bench.imports --modules 25      # the 25 largest modules too
    python -m bench.imports --tables-only     # the tables and their mapped classes, nothing else
    python -m bench.imports --only estate.db.models estate.kace.inventory   # these modules instead of the app

`--tables-only` imports `estate.db.models` with each domain package it names left empty (the
packages' own imports register catalogs and seeds, which pull in their services), then configures
the mappers: what any process holding Estate's data model pays.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.abc
import importlib.util
import os
import sys
import types
from collections import Counter
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

FRAMEWORK = ("uvicorn", "uvicorn.protocols.http.httptools_impl", "fastapi", "sqlalchemy.orm", "pydantic",
             "pydantic_settings")


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


class _Charging(importlib.abc.Loader):
    """Runs a module's body and charges the module with the growth its own imports did not make."""

    def __init__(self, inner: Any, ledger: _Ledger) -> None:
        self.inner, self.ledger = inner, ledger

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.ledger.nested.append(0.0)
        before = rss_mb()
        try:
            self.inner.exec_module(module)
        finally:
            grown = rss_mb() - before
            self.ledger.own[module.__name__] += grown - self.ledger.nested.pop()
            if self.ledger.nested:
                self.ledger.nested[-1] += grown


class _Ledger(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self.own: Counter[str] = Counter()
        self.nested: list[float] = []

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> ModuleSpec | None:
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Charging(spec.loader, self)
                return spec
        return None


def _model_packages() -> list[str]:
    """The domain packages whose models `estate.db.models` imports, read from its source."""
    spec = importlib.util.find_spec("estate.db.models")
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text())
    return sorted({node.module for node in ast.walk(tree)
                   if isinstance(node, ast.ImportFrom) and node.module and node.module.count(".") == 1
                   and any(alias.name == "models" for alias in node.names)})


def _tables_only() -> None:
    for name in _model_packages():
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.submodule_search_locations is not None
        package = types.ModuleType(name)
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules[name] = package
    importlib.import_module("estate.db.models")
    from sqlalchemy.orm import configure_mappers

    configure_mappers()


def _build(args: argparse.Namespace) -> str:
    """Imports what was asked; says what."""
    if args.tables_only:
        _tables_only()
        return "with the tables only"
    if args.only:
        for name in args.only:
            importlib.import_module(name)
        return f"with {', '.join(args.only)}"
    importlib.import_module("estate.app").create_app()
    return "with Estate's app built"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", type=int, default=0, help="also list the N largest modules of Estate")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--tables-only", action="store_true", help="import the data model alone")
    what.add_argument("--only", nargs="+", metavar="MODULE", help="import these modules instead of building the app")
    args = parser.parse_args()
    os.environ.setdefault("ESTATE_DATABASE_URL", "sqlite:///var/bench/imports.db")
    started = rss_mb()
    ledger = _Ledger()
    sys.meta_path.insert(0, ledger)
    for name in FRAMEWORK:
        importlib.import_module(name)
    framework = rss_mb()
    charged_before = Counter(ledger.own)
    built_with = _build(args)
    built = rss_mb()
    grown = ledger.own - charged_before
    by_domain: Counter[str] = Counter()
    others = 0.0
    for name, mb in grown.items():
        if name.startswith("estate"):
            by_domain[".".join(name.split(".")[:2])] += mb
        else:
            others += mb
    print(f"interpreter: {started:.1f} MB; with the framework ({', '.join(FRAMEWORK)}): {framework:.1f} MB; "
          f"{built_with}: {built:.1f} MB")
    print(f"Estate's modules: {sum(by_domain.values()):.1f} MB; libraries they load beyond the framework: "
          f"{others:.1f} MB; the rest is what was built")
    print("| domain | MB |\n|---|---|")
    for domain, mb in by_domain.most_common():
        if mb >= 0.2:
            print(f"| {domain} | {mb:.1f} |")
    if args.modules:
        print("| module | MB |\n|---|---|")
        for name, mb in Counter({name: mb for name, mb in grown.items() if name.startswith("estate")}).most_common(
                args.modules):
            print(f"| {name} | {mb:.2f} |")


if __name__ == "__main__":
    main()
