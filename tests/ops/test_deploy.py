"""The production layout of docs/deploy.md, as far as this machine can check it: the systemd unit
is valid and starts a command that exists, and every setting the documents name is one Estate reads."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from estate.cli import app
from estate.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "estate.service"


def test_the_systemd_unit_is_valid(tmp_path):
    estate = Path(sys.executable).with_name("estate")
    unit = tmp_path / "estate.service"
    unit.write_text(UNIT.read_text().replace("/opt/estate/.venv/bin/estate", str(estate)))
    done = subprocess.run([shutil.which("systemd-analyze") or "systemd-analyze", "verify", str(unit)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def test_the_unit_starts_estate_serve_with_options_it_has():
    command = re.search(r"^ExecStart=\S+/estate (.*)$", UNIT.read_text(), re.MULTILINE)
    assert command is not None
    arguments = command.group(1).split()
    assert arguments[0] == "serve"
    help_text = CliRunner().invoke(app, ["serve", "--help"], terminal_width=200).output
    for option in (word for word in arguments if word.startswith("--")):
        assert option in help_text, option


def test_every_setting_the_documents_name_is_read_by_estate():
    known = {f"ESTATE_{name.upper()}" for name in Settings.model_fields}
    for document in (ROOT / "README.md", ROOT / "docs" / "deploy.md"):
        named = set(re.findall(r"\bESTATE_[A-Z_]+[A-Z]\b", document.read_text()))
        named -= {"ESTATE_TEST_DATABASE_URL", "ESTATE_TEST_CHEAP_PASSWORD_HASHES"}  # the suite's, not the server's
        assert named <= known, (document.name, sorted(named - known))
