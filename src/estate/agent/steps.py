"""The steps of the catalog (the server's estate.scripting.steps names the same ids) and the way a
script runs them: tasks with verify, remediation and their follow-ups, attempts and onFailure; or a
shell script's text."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from estate.agent import processes

WINDOWS = sys.platform.startswith("win")
STEP_NAMES = {1: "Run a command", 2: "Verify a file exists", 3: "Log a message", 4: "Verify a file's content",
              5: "Verify a command's exit code", 6: "Verify a registry value", 7: "Copy a dependency",
              8: "Unzip a file", 9: "Delete a file", 10: "Upload a file"}
VARIABLES = ("$(KACE_DEPENDENCY_DIR)", "$(ESTATE_WORK_DIR)")


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


@dataclass
class StepResult:
    ok: bool
    output: str = ""
    exit_code: int | None = None


@dataclass
class Run:
    """One script run on this machine: where it works, what it may reach, what it recorded."""

    workdir: Path
    deadline: float
    run_as: str | None = None
    upload: Callable[[Path, str], None] | None = None
    record: Callable[[dict[str, Any]], None] = lambda step: None
    steps: list[dict[str, Any]] = field(default_factory=list)
    status_message: str = ""
    last_exit: int | None = None
    failed_exit: int | None = None

    def path(self, value: str) -> Path:
        for variable in VARIABLES:
            value = value.replace(variable, str(self.workdir))
        candidate = Path(os.path.expanduser(value))
        return candidate if candidate.is_absolute() else self.workdir / candidate

    def remaining(self, limit: int | None) -> float:
        left = max(0.1, self.deadline - time.monotonic())
        return min(left, float(limit)) if limit else left

    def env(self) -> dict[str, str]:
        return {**os.environ, "ESTATE_WORK_DIR": str(self.workdir), "KACE_DEPENDENCY_DIR": str(self.workdir)}


# --- the steps ---------------------------------------------------------------------------------


def _command(run: Run, params: dict[str, Any]) -> processes.Outcome:
    wait = params.get("wait", True)
    cwd = str(run.path(params["directory"])) if params.get("directory") else str(run.workdir)
    timeout = run.remaining(params.get("timeout"))
    if params.get("command"):
        command = params["command"]
        for variable in VARIABLES:
            command = command.replace(variable, str(run.workdir))
        return processes.run([command], cwd=cwd, env=run.env(), timeout=timeout, wait=wait, shell=True,  # noqa: S604
                             user=run.run_as)
    program = params["program"]
    for variable in VARIABLES:
        program = program.replace(variable, str(run.workdir))
    args = [str(arg).replace(VARIABLES[0], str(run.workdir)).replace(VARIABLES[1], str(run.workdir))
            for arg in params.get("args", [])]
    return processes.run([program, *args], cwd=cwd, env=run.env(), timeout=timeout, wait=wait,
                         user=run.run_as)


def _judge(run: Run, outcome: processes.Outcome, expected: list[int]) -> StepResult:
    if outcome.error:
        return StepResult(False, outcome.error)
    if outcome.timed_out:
        return StepResult(False, outcome.output + "\n[timed out: the step's processes were killed]",
                          outcome.exit_code)
    run.last_exit = outcome.exit_code
    return StepResult(outcome.exit_code in expected, outcome.output, outcome.exit_code)


def run_command(run: Run, params: dict[str, Any]) -> StepResult:
    return _judge(run, _command(run, params), params.get("expectedExitCodes", [0]))


def verify_file_exists(run: Run, params: dict[str, Any]) -> StepResult:
    target = run.path(params["path"])
    return StepResult(target.exists(), f"{target} {'exists' if target.exists() else 'does not exist'}")


def verify_file_content(run: Run, params: dict[str, Any]) -> StepResult:
    target = run.path(params["path"])
    try:
        text = target.read_text(errors="replace")
    except OSError as error:
        return StepResult(False, f"cannot read {target}: {error}")
    wanted = params["contains"]
    found = re.search(wanted, text, re.MULTILINE) is not None if params.get("regex") else wanted in text
    return StepResult(found, f"{target} {'contains' if found else 'does not contain'} {wanted!r}")


def verify_registry_value(run: Run, params: dict[str, Any]) -> StepResult:
    if not WINDOWS:
        return StepResult(False, "registry values: not supported on this OS")
    winreg: Any = importlib.import_module("winreg")

    roots = {"HKLM": winreg.HKEY_LOCAL_MACHINE, "HKEY_LOCAL_MACHINE": winreg.HKEY_LOCAL_MACHINE,
             "HKCU": winreg.HKEY_CURRENT_USER, "HKEY_CURRENT_USER": winreg.HKEY_CURRENT_USER}
    root, _, sub = params["key"].replace("/", "\\").partition("\\")
    try:
        with winreg.OpenKey(roots[root.upper()], sub) as key:
            value, _ = winreg.QueryValueEx(key, params.get("name", ""))
    except (KeyError, OSError) as error:
        return StepResult(False, f"{params['key']}\\{params.get('name', '')}: {error}")
    expected = params.get("value")
    ok = expected is None or str(value) == expected
    return StepResult(ok, f"{params['key']}\\{params.get('name', '')} = {value!r}")


def log(run: Run, params: dict[str, Any]) -> StepResult:
    if params.get("type", "status") == "status":
        run.status_message = params["message"]
    return StepResult(True, params["message"])


def copy_dependency(run: Run, params: dict[str, Any]) -> StepResult:
    source = run.workdir / params["name"]
    if not source.is_file():
        return StepResult(False, f"no dependency {params['name']!r} in this run")
    target = run.path(params["destination"])
    if target.is_dir():
        target = target / source.name
    if target.exists() and not params.get("overwrite", True):
        return StepResult(False, f"{target} exists and overwrite is false")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    return StepResult(True, f"copied {source.name} to {target}")


def unzip(run: Run, params: dict[str, Any]) -> StepResult:
    archive, target = run.path(params["path"]), run.path(params["destination"])
    try:
        with zipfile.ZipFile(archive) as bundle:
            root = target.resolve()
            for member in bundle.namelist():
                place = (target / member).resolve()
                if root != place and root not in place.parents:
                    return StepResult(False, f"{member!r} would land outside {target}")
                if place.exists() and not params.get("overwrite", True) and not member.endswith("/"):
                    return StepResult(False, f"{place} exists and overwrite is false")
            bundle.extractall(target)  # noqa: S202 - every member checked above
            return StepResult(True, f"unzipped {len(bundle.namelist())} entries to {target}")
    except (OSError, zipfile.BadZipFile) as error:
        return StepResult(False, f"cannot unzip {archive}: {error}")


def delete_file(run: Run, params: dict[str, Any]) -> StepResult:
    target = run.path(params["path"])
    if not target.exists():
        return StepResult(True, f"{target} is already absent")
    if target.is_dir():
        return StepResult(False, f"{target} is a folder")
    try:
        target.unlink()
    except OSError as error:
        return StepResult(False, f"cannot delete {target}: {error}")
    return StepResult(True, f"deleted {target}")


def upload_file(run: Run, params: dict[str, Any]) -> StepResult:
    source = run.path(params["path"])
    if run.upload is None:
        return StepResult(False, "uploads need the server; offline scripts cannot upload")
    if not source.is_file():
        return StepResult(False, f"no file {source}")
    name = params.get("name") or source.name
    try:
        run.upload(source, name)
    except Exception as error:  # the server's or the network's answer, reported as the step's
        return StepResult(False, f"upload of {source} failed: {error}")
    return StepResult(True, f"uploaded {source} as {name}")


STEPS: dict[int, Callable[[Run, dict[str, Any]], StepResult]] = {
    1: run_command, 2: verify_file_exists, 3: log, 4: verify_file_content, 5: run_command,
    6: verify_registry_value, 7: copy_dependency, 8: unzip, 9: delete_file, 10: upload_file,
}


# --- running a script --------------------------------------------------------------------------


def _step(run: Run, step: dict[str, Any], task: int | None, phase: str) -> bool:
    started = now()
    handler = STEPS.get(step.get("id", 0))
    if time.monotonic() >= run.deadline:
        result = StepResult(False, "the script's timeout has passed")
    elif handler is None:
        result = StepResult(False, f"this agent does not know step {step.get('id')}")
    else:
        try:
            result = handler(run, step.get("params", {}))
        except Exception as error:  # a step that breaks is a failed step, not a dead agent
            result = StepResult(False, f"{type(error).__name__}: {error}")
    if not result.ok and result.exit_code is not None:
        run.failed_exit = result.exit_code
    entry = {"seq": len(run.steps), "task": task, "phase": phase, "stepId": step.get("id"),
             "name": STEP_NAMES.get(step.get("id", 0), "step"), "status": "success" if result.ok else "failed",
             "exitCode": result.exit_code, "output": result.output[:processes.OUTPUT_CAP],
             "startTime": started, "endTime": now()}
    run.steps.append(entry)
    run.record(entry)
    return result.ok


def _steps(run: Run, steps: list[dict[str, Any]], task: int, phase: str) -> bool:
    return all(_step(run, step, task, phase) for step in steps)


def run_task(run: Run, index: int, task: dict[str, Any]) -> bool:
    """verify → onVerifySuccess; or remediation (onVerifyFailure) → onRemediationSuccess, retried up
    to `attempts` times, then onRemediationFailure. A task without verify steps remediates at once;
    a failed verify without remediation steps fails the task."""
    attempts = max(1, int(task.get("attempts", 1)))
    verify, remediation = task.get("verify") or [], task.get("onVerifyFailure") or []
    for attempt in range(1, attempts + 1):
        if verify and _steps(run, verify, index, "verify"):
            return _steps(run, task.get("onVerifySuccess") or [], index, "onVerifySuccess")
        if (remediation or not verify) and _steps(run, remediation, index, "remediation"):
            return _steps(run, task.get("onRemediationSuccess") or [], index, "onRemediationSuccess")
        if attempt == attempts or not remediation:
            _steps(run, task.get("onRemediationFailure") or [], index, "onRemediationFailure")
            return False
    return False


def shell_file(definition: dict[str, Any]) -> str:
    return definition.get("fileName") or ("script.bat" if WINDOWS else "script.sh")


def shell_command(path: Path, text: str) -> list[str]:
    """The script's own interpreter: its #! line, else by its extension, else the shell."""
    suffix = path.suffix.lower()
    if WINDOWS:
        if suffix == ".ps1":
            return ["powershell", "-NoProfile", "-ExecutionPolicy", "Bypass", "-File", str(path)]
        if suffix in (".vbs", ".js"):
            return ["cscript", "//nologo", str(path)]
        return ["cmd", "/c", str(path)]
    if text.startswith("#!"):
        path.chmod(0o755)
        return [str(path)]
    interpreters = {".py": sys.executable, ".pl": "perl", ".rb": "ruby", ".ps1": "pwsh", ".zsh": "zsh",
                    ".bash": "bash"}
    return [interpreters.get(suffix, "/bin/sh"), str(path)]


def run_shell(run: Run, definition: dict[str, Any]) -> bool:
    path = run.workdir / shell_file(definition)
    path.write_text(definition.get("scriptText", ""))
    step = {"id": 1, "params": {"program": shell_command(path, definition.get("scriptText", ""))[0],
                                "args": shell_command(path, definition.get("scriptText", ""))[1:]}}
    ok = _step(run, step, None, "script")
    run.steps[-1]["name"] = "Run the script"
    if definition.get("uploadFile") and definition.get("uploadFileName"):
        folder = definition.get("uploadFilePath") or str(run.workdir)
        source = run.path(str(Path(folder) / definition["uploadFileName"]))
        ok = _step(run, {"id": 10, "params": {"path": str(source)}}, None, "upload") and ok
    return ok


def execute(run: Run, definition: dict[str, Any]) -> dict[str, Any]:
    """Run a script's definition; answers its result for the server."""
    started = now()
    if definition.get("type") == "shell":
        ok = run_shell(run, definition)
    else:
        ok = True
        for index, task in enumerate(definition.get("tasks") or []):
            if not run_task(run, index, task):
                ok = False
                if task.get("onFailure", "break") == "break":
                    break
    exit_code = run.last_exit if ok else (run.failed_exit if run.failed_exit is not None else 1)
    return {"status": "success" if ok else "failed", "exitCode": exit_code if exit_code is not None else 0,
            "message": run.status_message, "startTime": started, "endTime": now()}
