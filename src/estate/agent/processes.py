"""Running a program: its own process group, output captured up to a cap, the whole process tree
killed when its time is up, run as another account where the agent has the right."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass

import psutil

OUTPUT_CAP = 64 * 1024
WINDOWS = sys.platform.startswith("win")


@dataclass
class Outcome:
    exit_code: int | None
    output: str
    timed_out: bool = False
    error: str = ""


class _Capture(threading.Thread):
    """Reads a pipe to its end, keeping the first OUTPUT_CAP bytes."""

    def __init__(self, pipe) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        self.pipe = pipe
        self.kept = bytearray()
        self.dropped = 0

    def run(self) -> None:
        for chunk in iter(lambda: self.pipe.read(16384), b""):
            room = OUTPUT_CAP - len(self.kept)
            self.kept += chunk[:room]
            self.dropped += max(0, len(chunk) - room)

    def text(self) -> str:
        text = self.kept.decode("utf-8", "replace")
        return text + (f"\n[{self.dropped} more bytes of output not kept]" if self.dropped else "")


def kill_tree(pid: int) -> None:
    """The process, its process group and every descendant still alive."""
    try:
        doomed = [*psutil.Process(pid).children(recursive=True), psutil.Process(pid)]
    except psutil.Error:
        doomed = []
    if not WINDOWS:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
    for process in doomed:
        with contextlib.suppress(psutil.Error):
            process.kill()


def _as_user(user: str | None) -> dict[str, object]:
    if not user:
        return {}
    if WINDOWS:
        raise PermissionError("running as another account needs its credentials; not supported on Windows yet")
    import pwd

    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise PermissionError(f"no account {user!r} on this machine") from None
    if os.geteuid() != 0 and entry.pw_uid != os.geteuid():
        raise PermissionError(f"the agent has no right to run as {user!r}")
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": [], "env_home": entry.pw_dir}


def run(argv: list[str], *, cwd: str, env: dict[str, str], timeout: float | None, wait: bool = True,
        shell: bool = False, user: str | None = None) -> Outcome:
    try:
        identity = _as_user(user)
    except PermissionError as error:
        return Outcome(None, "", error=str(error))
    home = identity.pop("env_home", None)
    if home:
        env = {**env, "HOME": str(home), "USER": str(user), "LOGNAME": str(user)}
    options: dict[str, object] = dict(cwd=cwd, env=env, stdin=subprocess.DEVNULL, shell=shell, **identity)
    if WINDOWS:
        options["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
    else:
        options["start_new_session"] = True
    if not wait:
        try:
            subprocess.Popen(argv if not shell else argv[0], stdout=subprocess.DEVNULL,  # noqa: S602
                             stderr=subprocess.DEVNULL, **options)  # type: ignore[call-overload]
        except OSError as error:
            return Outcome(None, "", error=str(error))
        return Outcome(0, "started; not waited for")
    try:
        process = subprocess.Popen(argv if not shell else argv[0], stdout=subprocess.PIPE,  # noqa: S602
                                   stderr=subprocess.STDOUT, **options)  # type: ignore[call-overload]
    except OSError as error:
        return Outcome(None, "", error=str(error))
    capture = _Capture(process.stdout)
    capture.start()
    timed_out = False
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_tree(process.pid)
        process.wait()
    # A program that left a child holding its output open is not waited for beyond a second.
    capture.join(1.0)
    return Outcome(process.returncode, capture.text(), timed_out=timed_out)

