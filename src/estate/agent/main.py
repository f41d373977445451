"""`estate-agent`: enrol once, then report inventory, check in for work (long-poll), run it and
report back; keep offline scripts and run them on their schedule even while the server is away."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import socket
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psutil

from estate.agent import VERSION, inventory
from estate.agent.client import BadChecksum, Client, Refused, Unreachable, check_url
from estate.agent.schedule import next_due
from estate.agent.state import State
from estate.agent.steps import Run, execute

log = logging.getLogger("estate.agent")
# Downloads of one file resumed within one attempt before the attempt fails.
DOWNLOAD_TRIES = 5


def run_as_user(definition: dict[str, Any]) -> str | None:
    """runAs 0: the agent's own account; 1: the user logged in at the console; 2: runAsUsr."""
    mode = definition.get("runAs", 0)
    if mode == 1:
        users = psutil.users()
        return users[0].name if users else "(nobody logged in)"
    if mode >= 2:
        return definition.get("runAsUsr") or None
    return None


def hand_over(workdir: Path, user: str | None) -> None:
    """A script that runs as another account owns its work folder."""
    if not user or sys.platform.startswith("win") or os.geteuid() != 0:
        return
    import pwd

    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return  # the step itself reports the missing account
    for path in [workdir, *workdir.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)


class Agent:
    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.state = State(Path(options.state_dir))
        self.server = check_url(options.server or self.state.identity.get("server", ""), options.allow_http)
        self.client = Client(self.server, self.state.identity.get("secret"))
        self.started = time.time()
        self.next_inventory = 0.0
        self.inventory_seconds = options.inventory_interval
        self.online = False

    # --- identity and inventory ----------------------------------------------------------------

    def enrol(self) -> None:
        if self.state.identity.get("secret") and self.state.identity.get("server") == self.server:
            return
        if not self.options.token:
            raise SystemExit("this agent is not enrolled: start it once with --token")
        kuid = self.state.identity.get("kuid") or str(uuid.uuid4()).upper()
        self.state.save_identity(kuid=kuid)
        answer = Client(self.server).call("POST", "/agent/v1/enrol", {
            "token": self.options.token, "kuid": kuid, "name": socket.gethostname(), "agentVersion": VERSION})
        self.state.save_identity(server=self.server, secret=answer["secret"], machine_id=answer["machineId"],
                                 kuid=answer["kuid"])
        self.client.secret = answer["secret"]
        log.info("enrolled as machine %s", answer["machineId"])

    def send_inventory(self) -> None:
        machine = inventory.collect(self.state.identity["kuid"], VERSION, self.options.dpkg_admindir)
        self.client.call("POST", "/agent/v1/inventory", machine)
        self.next_inventory = time.monotonic() + self.inventory_seconds

    # --- offline scripts -----------------------------------------------------------------------

    def refresh_offline(self, revision: int) -> None:
        answer = self.client.call("GET", "/agent/v1/offline")
        for script in answer["scripts"]:
            for dependency in script["dependencies"]:
                self.fetch(f"/agent/v1/offline/{script['scriptId']}/dependency/{dependency['name']}", dependency)
        kept = self.state.offline()
        self.state.save_offline({"revision": answer["revision"], "scripts": answer["scripts"],
                                 "last_runs": kept.get("last_runs", {})})

    def due_offline(self) -> tuple[list[dict[str, Any]], float | None]:
        kept, now = self.state.offline(), time.time()
        due, soonest = [], None
        for script in kept["scripts"]:
            when = next_due(script, kept["last_runs"].get(str(script["scriptId"])), self.started, now)
            if when is None:
                continue
            if when <= now:
                due.append(script)
            else:
                soonest = when if soonest is None else min(soonest, when)
        return due, soonest

    def run_offline(self, script: dict[str, Any]) -> None:
        result_id = uuid.uuid4().hex
        steps, result = self.execute(f"offline-{result_id}", script, upload=None)
        self.state.write(self.state.root / "outbox" / f"{time.time():017.6f}-{result_id}.json",
                         {"resultId": result_id, "scriptId": script["scriptId"], "steps": steps, "result": result})
        kept = self.state.offline()
        kept["last_runs"][str(script["scriptId"])] = time.time()
        self.state.save_offline(kept)

    def flush_outbox(self) -> None:
        for path in self.state.outbox():
            data = State._read(path)
            try:
                if data is not None:
                    self.client.call("POST", "/agent/v1/offline/results", data)
            except Refused as refused:
                log.warning("the server refused an offline result: %s", refused)
            path.unlink()

    # --- work ----------------------------------------------------------------------------------

    def fetch(self, path: str, dependency: dict[str, Any]) -> Path:
        """The file from the cache, else downloaded; a download cut short resumes where it stopped
        (a few times, then the attempt fails and the next one resumes)."""
        cached = self.state.cached(dependency["checksum"])
        tries = 0
        while not cached.exists():
            try:
                self.client.download(path, cached, dependency["checksum"])
            except Unreachable as error:
                tries += 1
                if tries >= DOWNLOAD_TRIES:
                    raise
                log.info("download of %s interrupted (%s); resuming", dependency["name"], error)
                time.sleep(self.options.retry)
        return cached

    def execute(self, name: str, definition: dict[str, Any], upload: Any, fetch_path: str | None = None,
                fetched: Callable[[], None] | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Run a definition in a fresh work folder holding its dependencies (`fetched` is called once
        they are all there)."""
        workdir = self.state.root / "runs" / name
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        timeout = float(definition.get("timeout") or 60) * self.options.minute
        run = Run(workdir=workdir, deadline=time.monotonic() + timeout, run_as=run_as_user(definition), upload=upload)
        try:
            for dependency in definition.get("dependencies", []):
                path = (f"{fetch_path}/{dependency['name']}" if fetch_path else
                        f"/agent/v1/offline/{definition['scriptId']}/dependency/{dependency['name']}")
                try:
                    shutil.copy2(self.fetch(path, dependency), workdir / dependency["name"])
                except (BadChecksum, Refused, Unreachable, OSError) as error:
                    entry = {"seq": 0, "phase": "dependencies", "name": f"Download {dependency['name']}",
                             "status": "failed", "output": f"dependency {dependency['name']!r} refused: {error}"}
                    return [entry], {"status": "failed", "exitCode": None,
                                     "message": f"dependency {dependency['name']!r} refused: {error}"}
            if fetched is not None:
                fetched()
            hand_over(workdir, run.run_as)
            result = execute(run, definition)
            return run.steps, result
        finally:
            if definition.get("removeFiles", True):
                shutil.rmtree(workdir, ignore_errors=True)

    def do_work(self, work: dict[str, Any]) -> None:
        """Run one work item once: its journal keeps the result until the server has it, so a
        restart or a network failure never runs a step twice."""
        journal = self.state.journal_path(work["workId"])
        kind = work.get("kind", "script")
        if not journal.exists():
            base = f"/agent/v1/work/{work['workId']}"
            try:
                self.client.call("POST", f"{base}/start")
            except Refused as refused:  # expired before we took it: not ours to run any more
                log.info("work %s not started: %s", work["workId"], refused)
                return
            self.state.write(journal, {"workId": work["workId"], "kind": kind, "steps": [], "result": None})
            steps, result = self.install(work) if kind == "mi" else self.run_script(work)
            self.state.write(journal, {"workId": work["workId"], "kind": kind, "steps": steps, "result": result})
        self.flush_journal()

    def run_script(self, work: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        base = f"/agent/v1/work/{work['workId']}"

        def upload(source: Path, name: str) -> None:
            self.client.send_file(f"{base}/upload/{name}", source)

        return self.execute(f"work-{work['workId']}", work["script"], upload, f"{base}/dependency")

    def install(self, work: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """A managed install's attempt: its package file downloaded (checksum verified) into a
        fresh work folder, the server told it is there, then its command line run there."""
        base = f"/agent/v1/work/{work['workId']}"
        definition = work["definition"]
        fetched_steps: list[dict[str, Any]] = []

        def fetched() -> None:
            for seq, dependency in enumerate(definition["dependencies"]):
                stamp = datetime.now(timezone.utc).isoformat()
                fetched_steps.append({"seq": seq, "phase": "dependencies", "name": f"Download {dependency['name']}",
                                      "status": "success", "output": f"{dependency['name']}: "
                                      f"{dependency['size']} bytes, SHA-256 {dependency['checksum']} verified",
                                      "startTime": stamp, "endTime": stamp})
            if not fetched_steps:
                return
            try:  # only the progress shown to administrators is at stake
                self.client.call("POST", f"{base}/report", {"steps": fetched_steps})
            except (Refused, Unreachable) as error:
                log.warning("could not tell the server that work %s downloaded its file: %s", work["workId"], error)

        steps, result = self.execute(f"work-{work['workId']}", definition, None, f"{base}/dependency", fetched)
        return [*fetched_steps, *({**step, "seq": step["seq"] + len(fetched_steps)} for step in steps)], result

    def flush_journal(self) -> None:
        installs = False
        for entry in self.state.journals():
            if entry["result"] is None:  # the agent stopped during the run: what ran is not run again
                entry["result"] = {"status": "failed", "exitCode": None,
                                   "message": "the agent stopped during the run"}
            try:
                self.client.call("POST", f"/agent/v1/work/{entry['workId']}/report",
                                 {"steps": entry["steps"], "result": entry["result"]})
            except Refused as refused:
                log.warning("the server refused the report of work %s: %s", entry["workId"], refused)
            self.state.journal_path(entry["workId"]).unlink()
            installs = installs or entry.get("kind") == "mi"
        if installs:  # the server decides from the inventory whether the title is installed
            self.send_inventory()

    # --- the loop ------------------------------------------------------------------------------

    def cycle(self) -> None:
        due, soonest = self.due_offline()
        for script in due:
            self.run_offline(script)
        if due:
            return
        wait = self.options.poll
        if soonest is not None:
            wait = max(0.0, min(wait, soonest - time.time()))
        try:
            self.flush_outbox()
            self.flush_journal()
            if time.monotonic() >= self.next_inventory:
                self.send_inventory()
            revision = self.state.offline()["revision"]
            answer = self.client.call("POST", f"/agent/v1/checkin?wait={wait:.2f}&revision={revision}",
                                      timeout=wait + 30)
            self.online = True
        except Unreachable as error:
            if self.online:
                log.warning("server unreachable: %s", error)
            self.online = False
            time.sleep(max(0.05, min(self.options.retry, wait)))
            return
        if answer["offlineRevision"] != revision:
            self.refresh_offline(answer["offlineRevision"])
        if answer.get("forceInventory"):
            self.send_inventory()
        for work in answer["work"]:
            self.do_work(work)

    def serve(self) -> None:
        while True:
            try:
                self.enrol()
                break
            except Unreachable as error:
                log.warning("cannot enrol yet: %s", error)
                time.sleep(self.options.retry)
        while True:
            try:
                self.cycle()
            except Refused as refused:
                if refused.status in (401, 403):
                    raise SystemExit(f"the server refuses this agent: {refused}") from None
                log.warning("request refused: %s", refused)
                time.sleep(self.options.retry)
            except Unreachable as error:
                self.online = False
                log.warning("server unreachable: %s", error)
                time.sleep(self.options.retry)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="estate-agent", description="The Estate agent for this machine.")
    env = os.environ.get
    parser.add_argument("--server", default=env("ESTATE_AGENT_SERVER"), help="the Estate server's URL")
    parser.add_argument("--token", default=env("ESTATE_AGENT_TOKEN"), help="enrolment token (first start only)")
    parser.add_argument("--state-dir", default=env("ESTATE_AGENT_STATE_DIR", default_state_dir()),
                        help="where identity, offline scripts and journals are kept")
    parser.add_argument("--allow-http", action="store_true", help="allow http:// to a server other than this machine")
    parser.add_argument("--poll", type=float, default=float(env("ESTATE_AGENT_POLL", "50")),
                        help="seconds a check-in waits for work")
    parser.add_argument("--retry", type=float, default=float(env("ESTATE_AGENT_RETRY", "15")),
                        help="seconds between attempts while the server is unreachable")
    parser.add_argument("--inventory-interval", type=float, default=float(env("ESTATE_AGENT_INVENTORY", "14400")),
                        help="seconds between inventory reports")
    parser.add_argument("--minute", type=float, default=60.0, help=argparse.SUPPRESS)  # tests shorten timeouts
    parser.add_argument("--dpkg-admindir", default=env("ESTATE_AGENT_DPKG_ADMINDIR"),
                        help="dpkg database to read software from (default: the system's)")
    parser.add_argument("--log-level", default=env("ESTATE_AGENT_LOG_LEVEL", "info"))
    return parser.parse_args(argv)


def default_state_dir() -> str:
    if sys.platform.startswith("win"):
        return os.path.join(os.environ.get("PROGRAMDATA", "C:\\ProgramData"), "Estate", "agent")
    return "/var/lib/estate-agent" if os.geteuid() == 0 else os.path.expanduser("~/.estate-agent")


def main(argv: list[str] | None = None) -> None:
    options = parse(argv)
    logging.basicConfig(level=options.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    try:
        agent = Agent(options)
    except ValueError as error:
        raise SystemExit(f"estate-agent: {error}") from None
    with contextlib.suppress(KeyboardInterrupt):
        agent.serve()


if __name__ == "__main__":
    main()
