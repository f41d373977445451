"""Where a worker's memory goes before its first request: the RSS of the interpreter, of the
framework a worker imports (uvicorn, FastAPI with Starlette and pydantic, SQLAlchemy's ORM), and of
Estate's own modules while `create_app` builds the app, each module charged with what its own
body added (its imports charged to them), summed by domain (`estate.<domain>`).

RSS is read from /proc after each module's body runs, so a figure is what the process grew by,
allocator slack included; run it on a quiet machine, it takes a few seconds.

    python -m bench.imports
    python -m bench.imports --modules 25      # the 25 largest modules too
"""

from __future__ import annotations

import argparse
import importlib
import importlib.abc
import os
import sys
from collections import Counter
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", type=int, default=0, help="also list the N largest modules of Estate")
    args = parser.parse_args()
    os.environ.setdefault("ESTATE_DATABASE_URL", "sqlite:///var/bench/imports.db")
    started = rss_mb()
    ledger = _Ledger()
    sys.meta_path.insert(0, ledger)
    for name in FRAMEWORK:
        importlib.import_module(name)
    framework = rss_mb()
    charged_before = Counter(ledger.own)
    app_module = importlib.import_module("estate.app")
    app_module.create_app()
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
          f"with Estate's app built: {built:.1f} MB")
    print(f"Estate's modules: {sum(by_domain.values()):.1f} MB; libraries they load beyond the framework: "
          f"{others:.1f} MB; the rest is what create_app builds")
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
