"""Managed installs carried out by real agent processes: Debian packages built here with dpkg-deb,
installed by dpkg into a root of each agent's own whose dpkg database the agent's inventory reads
(`--dpkg-admindir`). "Installed" is what that inventory then shows."""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from estate.agents.models import Work
from estate.auth.apikeys import create_api_key
from estate.db.engine import begin_for_writing
from tests.agent.harness import Agent, Server, admin_client, new_token, wait_for
from tests.distribution.helpers import MI, multipart, statuses
from tests.factories import OrgFixture, make_org
from tests.idoit.conftest import RpcClient
from tests.kace_client import KaceClient
from tests.servers import free_port

INSTALL = 'dpkg --root="$DPKG_TEST_ROOT" --force-not-root --force-script-chrootless --log=/dev/null -i {file}'
UNINSTALL = 'dpkg --root="$DPKG_TEST_ROOT" --force-not-root --force-script-chrootless --log=/dev/null -r {package}'


@dataclass
class Package:
    name: str
    version: str
    path: Path

    @property
    def title(self) -> dict[str, str]:
        return {"Display_name": self.name, "Display_version": self.version,
                "Publisher": "Estate Tests <t@example.test>"}


def build_deb(folder: Path, name: str, version: str = "1.2.3", *, preinst: str | None = None,
              payload: bytes = b"") -> Package:
    """A real Debian package: a control file, a file under /opt, optionally a maintainer script."""
    tree = folder / f"{name}-tree"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        f"Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: Estate Tests <t@example.test>\n"
        f"Description: a package of the managed install tests\n")
    if preinst is not None:
        script = tree / "DEBIAN" / "preinst"
        script.write_text(f"#!/bin/sh\n{preinst}\n")
        script.chmod(0o755)
    (tree / "opt" / name).mkdir(parents=True)
    (tree / "opt" / name / "hello.txt").write_text(f"{name} {version}\n")
    if payload:
        (tree / "opt" / name / "payload.bin").write_bytes(payload)
    target = folder / f"{name}_{version}_all.deb"
    dpkg_deb = shutil.which("dpkg-deb") or "dpkg-deb"
    subprocess.run([dpkg_deb, "--build", "--root-owner-group", "-Znone", str(tree), str(target)], check=True,
                   capture_output=True)
    return Package(name, version, target)


def dpkg_root(folder: Path) -> Path:
    """An empty dpkg database for dpkg --root."""
    admin = folder / "var" / "lib" / "dpkg"
    for sub in ("info", "updates", "triggers"):
        (admin / sub).mkdir(parents=True, exist_ok=True)
    (admin / "status").touch()
    return folder


class CuttingProxy:
    """A TCP proxy between an agent and the server that cuts the first download of a package file
    after `cut` bytes of its answer, and records every request line with its Range header."""

    def __init__(self, target_port: int, cut: int) -> None:
        self.target_port, self.cut = target_port, cut
        self.port = free_port()
        self.requests: list[tuple[str, str | None, int]] = []  # (request line, Range, answer status)
        self.cuts = 0
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(65536)
                if not chunk:
                    return
                head += chunk
            lines = head.split(b"\r\n\r\n")[0].decode().split("\r\n")
            ranges = next((line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("range:")),
                          None)
            upstream.sendall(head)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            cutting = "/dependency/" in lines[0] and self.cuts == 0
            sent, status = 0, 0
            while chunk := upstream.recv(65536):
                if not status:
                    status = int(chunk.split(b" ", 2)[1])
                if cutting and sent + len(chunk) > self.cut:
                    client.sendall(chunk[: self.cut - sent])
                    self.cuts += 1
                    break
                client.sendall(chunk)
                sent += len(chunk)
            self.requests.append((lines[0], ranges, status))
        except OSError:
            pass
        finally:
            client.close()
            upstream.close()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass

    def close(self) -> None:
        self._listener.close()


@dataclass
class Site:
    server: Server
    org: OrgFixture
    kace: KaceClient
    agents: list[Agent]  # two agents that install
    proxied: Agent  # an agent reaching the server through a proxy that cuts its first download
    proxy: CuttingProxy
    other_kace: KaceClient
    outsider: Agent  # an agent of another organization
    roots: dict[int, Path]  # machine id → the agent's dpkg root
    folder: Path
    packages: dict[str, Package] = field(default_factory=dict)


def inventoried(kace: KaceClient, machine_id: int | None) -> bool:
    answer = kace.get(f"/api/inventory/machines/{machine_id}", params={"shaping": "machine all"})
    return answer.status_code == 200 and answer.json()["Machines"][0]["Os_family"] == "Linux"


def _agent(server: Server, token: str, folder: Path, name: str, url: str | None = None) -> tuple[Agent, Path]:
    root = dpkg_root(folder / f"{name}-root")
    agent = Agent(server, token, folder / name, "--dpkg-admindir", str(root / "var" / "lib" / "dpkg"),
                  url=url, env={"DPKG_TEST_ROOT": str(root)})
    return agent, root


@pytest.fixture(scope="module")
def site(server: Server, sessions) -> Iterator[Site]:  # type: ignore[no-untyped-def]
    folder = Path(tempfile.mkdtemp(prefix="estate-mi-"))
    folder.chmod(0o711)
    org, other = make_org(sessions), make_org(sessions)
    kace = admin_client(server, org.admin.login, org.admin.password)
    other_kace = admin_client(server, other.admin.login, other.admin.password)
    token = new_token(kace)
    proxy = CuttingProxy(server.port, cut=1024 * 1024)
    made = [_agent(server, token, folder, f"agent{index}") for index in range(2)]
    proxied, proxied_root = _agent(server, token, folder, "proxied", url=proxy.url)
    outsider, outsider_root = _agent(server, new_token(other_kace), folder, "outsider")
    everyone = [agent for agent, _ in made] + [proxied, outsider]
    for agent in everyone:
        agent.launch()
    for agent in everyone:
        agent.enrolled()
    roots = {agent.machine_id: root for agent, root in [*made, (proxied, proxied_root), (outsider, outsider_root)]}
    for agent in everyone:  # each has sent its first inventory (its operating system is known)
        client = other_kace if agent is outsider else kace
        wait_for(functools.partial(inventoried, client, agent.machine_id),
                 what=f"the first inventory of {agent.machine_id}")
    yield Site(server, org, kace, [agent for agent, _ in made], proxied, proxy, other_kace, outsider,
               roots, folder)  # type: ignore[arg-type]
    for agent in everyone:
        agent.stop()
    proxy.close()
    kace.close()
    other_kace.close()
    shutil.rmtree(folder, ignore_errors=True)


def create_with_file(kace: KaceClient, package: Package, **fields: Any) -> int:
    """One request: the managed install in its `MIs` part, the package as the file part it names."""
    record = {"Software": package.title, "Supported_operating_systems": ["Linux"], "Enabled": True,
              "File": {"attachmentSet": "package"}, "Full_command_line": INSTALL.format(file=package.path.name),
              "Uninstall_command_line": UNINSTALL.format(package=package.name), **fields}
    answer = multipart(kace, "POST", MI, files={
        "MIs": (None, json.dumps({"MIs": [record]}), "application/json"),
        "package": (package.path.name, package.path.read_bytes(), "application/vnd.debian.binary-package")})
    assert answer.status_code == 200, answer.text
    return answer.json()["IDs"][0]


def status_of(kace: KaceClient, machine_id: int, managed_install_id: int) -> dict[str, Any] | None:
    return statuses(kace, machine_id).get(managed_install_id)


def wait_status(kace: KaceClient, machine_id: int, managed_install_id: int, wanted: str,
                seconds: float = 60) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        row = status_of(kace, machine_id, managed_install_id)
        return row if row is not None and row["Status"] == wanted else None

    try:
        return wait_for(reached, seconds=seconds, what=f"machine {machine_id} to be {wanted}")
    except AssertionError:
        raise AssertionError(f"{status_of(kace, machine_id, managed_install_id)}") from None


def inventoried_titles(kace: KaceClient, machine_id: int) -> set[tuple[str, str]]:
    answer = kace.get(f"/api/inventory/machines/{machine_id}", params={"shaping": "machine limited,software standard"})
    assert answer.status_code == 200, answer.text
    return {(row["Display_name"], row["Display_version"]) for row in answer.json()["Machines"][0]["Software"]}


def installed_in(root: Path, package: Package) -> bool:
    return (root / "opt" / package.name / "hello.txt").is_file()


def add(kace: KaceClient, managed_install_id: int, *machine_ids: int) -> None:
    answer = kace.put(f"/api/managed_install/managed_installs/{managed_install_id}/add_to_machines",
                      json={"Machines": [str(machine_id) for machine_id in machine_ids]})
    assert answer.status_code == 200, answer.text


def rpc_of(site: Site, sessions) -> RpcClient:  # type: ignore[no-untyped-def]
    with sessions() as db:  # beside a running server: take the write lock first (decision 0204)
        begin_for_writing(db)
        key = create_api_key(db, organization_id=site.org.id)
        db.commit()
    return RpcClient(site.server.url, key)


def test_a_package_goes_from_upload_to_installed_on_two_machines_and_into_their_inventory(site, sessions):
    package = build_deb(site.folder, "estate-hello")
    managed_install = create_with_file(site.kace, package, Max_attempt_count=2)
    machines = [agent.machine_id for agent in site.agents]
    add(site.kace, managed_install, *machines)
    for machine_id in machines:
        row = wait_status(site.kace, machine_id, managed_install, "installed")
        assert row["Attempts"] == "1" and row["Exit_code"] == "0" and row["Reason"] == "", row
        assert installed_in(site.roots[machine_id], package)
        assert ("estate-hello", "1.2.3") in inventoried_titles(site.kace, machine_id)
    # The device objects' software assignment (i-doit) shows the title as well.
    with rpc_of(site, sessions) as rpc:
        for machine_id in machines:
            asset = site.kace.get(f"/api/inventory/machines/{machine_id}",
                                  params={"shaping": "machine limited,asset limited"})
            object_id = int(asset.json()["Machines"][0]["Asset"][0]["id"])
            assigned = rpc.result("cmdb.category.read", {"objID": object_id, "category": "C__CATG__APPLICATION"})
            assert ("estate-hello", "1.2.3") in {(row["application"]["title"], row["assigned_version"])
                                                 for row in assigned}
    # Machines that have the title are no longer compatible with it.
    compatible = site.kace.get(f"{MI}/{managed_install}/compatible_machines", params={"shaping": "machine limited"})
    assert not {int(row["Id"]) for row in compatible.json()["Machines"]} & set(machines)
    # Taken off one machine with its uninstall command: the title leaves that machine's inventory.
    answer = site.kace.put(f"{MI}/{managed_install}/remove_from_machines",
                           json={"Machines": [str(machines[1])], "Uninstall": True})
    assert answer.status_code == 200, answer.text
    wait_status(site.kace, machines[1], managed_install, "removed")
    assert not installed_in(site.roots[machines[1]], package)
    assert ("estate-hello", "1.2.3") not in inventoried_titles(site.kace, machines[1])
    assert installed_in(site.roots[machines[0]], package)


def test_a_failing_installer_ends_failed_with_its_exit_code_after_the_allowed_attempts(site):
    package = build_deb(site.folder, "estate-broken", preinst="echo refusing to install; exit 7")
    managed_install = create_with_file(site.kace, package, Max_attempt_count=2)
    machine_id = site.agents[0].machine_id
    add(site.kace, managed_install, machine_id)
    row = wait_status(site.kace, machine_id, managed_install, "failed")
    # dpkg reports the failed maintainer script with its own exit code 1.
    assert row["Attempts"] == "2" and row["Exit_code"] == "1", row
    assert "exited with code 1" in row["Reason"], row
    assert not installed_in(site.roots[machine_id], package)
    assert ("estate-broken", "1.2.3") not in inventoried_titles(site.kace, machine_id)


def test_an_interrupted_download_resumes_where_it_stopped(site):
    package = build_deb(site.folder, "estate-large", payload=os.urandom(3 * 1024 * 1024))
    managed_install = create_with_file(site.kace, package)
    add(site.kace, managed_install, site.proxied.machine_id)
    wait_status(site.kace, site.proxied.machine_id, managed_install, "installed")
    assert installed_in(site.roots[site.proxied.machine_id], package)
    downloads = [(line, ranges, status) for line, ranges, status in site.proxy.requests if "/dependency/" in line]
    assert site.proxy.cuts == 1 and len(downloads) >= 2, site.proxy.requests
    first, resumed = downloads[0], downloads[1]
    assert first[1] is None and first[2] == 200
    assert resumed[1] is not None and resumed[1].startswith("bytes=") and int(resumed[1][6:-1]) > 0, resumed
    assert resumed[2] == 206


def test_a_corrupted_file_is_refused_and_never_run(site, settings):
    package = build_deb(site.folder, "estate-corrupt")
    managed_install = create_with_file(site.kace, package, Max_attempt_count=1)
    record = site.kace.get(f"{MI}/{managed_install}/file").json()["Files"][0]
    stored = settings.data_dir / "packages" / str(site.org.id) / record["Checksum"]
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))
    machine_id = site.agents[0].machine_id
    add(site.kace, managed_install, machine_id)
    row = wait_status(site.kace, machine_id, managed_install, "failed")
    assert "checksum mismatch" in row["Reason"] and row["Exit_code"] == "", row
    assert not installed_in(site.roots[machine_id], package)
    assert not (site.agents[0].state_dir / "cache" / record["Checksum"]).exists()


def fresh_inventory(kace: KaceClient, machine_id: int) -> None:
    """Ask the machine's agent for an inventory now, and wait until the server has stored it."""
    answer = kace.post(f"/api/inventory/machines/{machine_id}/force")
    assert answer.status_code == 200, answer.text

    def stored() -> bool:
        machine = kace.get(f"/api/inventory/machines/{machine_id}", params={"shaping": "machine all"})
        return machine.json()["Machines"][0]["Force_inventory"] == "0"

    wait_for(stored, what=f"machine {machine_id} to send its inventory")


def test_an_incompatible_machine_is_never_targeted(site):
    package = build_deb(site.folder, "estate-windows-only")
    managed_install = create_with_file(site.kace, package, Supported_operating_systems=["Windows"], Deploy_to_all=True)
    windows = site.kace.post("/api/inventory/machines/", json={"Machines": [{
        "Kuid": str(uuid.uuid4()).upper(), "Name": "win-desk", "Os_name": "Microsoft Windows 11 Pro x64",
        "Os_family": "Windows"}]}).json()[0]
    machine_id = site.agents[0].machine_id
    refused = site.kace.put(f"/api/managed_install/managed_installs/{managed_install}/add_to_machines",
                            json={"Machines": [str(machine_id)]})
    assert refused.status_code == 400 and refused.json()["field"] == "Machines[0]", refused.text
    fresh_inventory(site.kace, machine_id)
    assert managed_install not in statuses(site.kace, machine_id)
    assert status_of(site.kace, windows, managed_install)["Status"] == "pending"
    compatible = site.kace.get(f"{MI}/{managed_install}/compatible_machines", params={"shaping": "machine limited"})
    assert {int(row["Id"]) for row in compatible.json()["Machines"]} == {windows}


def test_an_agent_of_another_organization_never_receives_the_package(site, sessions):
    package = build_deb(site.folder, "estate-everywhere")
    managed_install = create_with_file(site.kace, package, Deploy_to_all=True)
    machine_id = site.agents[0].machine_id
    fresh_inventory(site.other_kace, site.outsider.machine_id)
    wait_status(site.kace, machine_id, managed_install, "installed")
    # The outsider sent its inventory too, and is nobody's target here.
    assert site.kace.get(f"/api/mi/machines/{site.outsider.machine_id}").status_code == 404
    assert site.other_kace.get(f"{MI}/{managed_install}").status_code == 404
    assert statuses(site.other_kace, site.outsider.machine_id) == {}
    assert not installed_in(site.roots[site.outsider.machine_id], package)
    checksum = site.kace.get(f"{MI}/{managed_install}/file").json()["Files"][0]["Checksum"]
    assert not (site.outsider.state_dir / "cache" / checksum).exists()
    # Asking for the package with another organization's work id is answered as a missing one.
    with sessions() as db:
        work_id = db.scalar(select(Work.id).where(Work.kind == "mi", Work.machine_id == machine_id)
                            .order_by(Work.id.desc()).limit(1))
    secret = json.loads((site.outsider.state_dir / "identity.json").read_text())["secret"]
    answer = httpx.get(f"{site.server.url}/agent/v1/work/{work_id}/dependency/{package.path.name}",
                       headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 404
