"""The agent's state directory: identity (KUID, machine secret), offline scripts, the journal of
runs not yet acknowledged by the server, results waiting to be sent, and the dependency cache."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


class State:
    def __init__(self, root: Path) -> None:
        self.root = root
        for folder in ("journal", "outbox", "cache", "runs"):
            (root / folder).mkdir(parents=True, exist_ok=True)
            # Work folders are reached by the accounts scripts run as; everything else is the agent's.
            os.chmod(root / folder, 0o711 if folder == "runs" else 0o700)
        os.chmod(root, 0o711)  # noqa: S103 - traversable, not listable; its files are 0600
        self.identity: dict[str, Any] = self._read(root / "identity.json") or {}

    @staticmethod
    def _read(path: Path) -> Any | None:
        try:
            return json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            return None

    @staticmethod
    def write(path: Path, data: Any) -> None:
        """Written whole or not at all (a crash leaves the previous version)."""
        handle, temporary = tempfile.mkstemp(dir=str(path.parent), prefix=".tmp-")
        with os.fdopen(handle, "w") as target:
            json.dump(data, target)
            target.flush()
            os.fsync(target.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)

    # identity
    def save_identity(self, **values: Any) -> None:
        self.identity.update(values)
        self.write(self.root / "identity.json", self.identity)

    # offline scripts
    def offline(self) -> dict[str, Any]:
        return self._read(self.root / "offline.json") or {"revision": -1, "scripts": [], "last_runs": {}}

    def save_offline(self, data: dict[str, Any]) -> None:
        self.write(self.root / "offline.json", data)

    # the journal of runs: one file per work item until the server has its result
    def journal_path(self, work_id: int) -> Path:
        return self.root / "journal" / f"{work_id}.json"

    def journals(self) -> list[dict[str, Any]]:
        found = []
        for path in sorted((self.root / "journal").glob("*.json")):
            data = self._read(path)
            if data is not None:
                found.append(data)
        return found

    # results of offline runs waiting for the server
    def outbox(self) -> list[Path]:
        return sorted((self.root / "outbox").glob("*.json"))

    def cached(self, checksum: str) -> Path:
        return self.root / "cache" / checksum
