"""What this machine is and has, in the inventory format the server ingests (the same fields as
`POST /api/inventory/machines`): OS, CPU, memory, disks, NICs, software, services, startup
programs, processes."""

from __future__ import annotations

import configparser
import importlib
import os
import platform
import plistlib
import shutil
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

WINDOWS = sys.platform.startswith("win")
MAC = sys.platform == "darwin"
LIMIT = 5000  # entries per list: the server's body limit, not the machine, sets the bound


def _output(*argv: str, timeout: float = 30) -> str:
    if not shutil.which(argv[0]):
        return ""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, errors="replace")
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout if done.returncode == 0 else ""


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace").strip()
    except OSError:
        return ""


def _os_release() -> dict[str, str]:
    values = {}
    for line in _read("/etc/os-release").splitlines():
        key, _, value = line.partition("=")
        values[key] = value.strip().strip('"')
    return values


def operating_system() -> dict[str, Any]:
    if WINDOWS:
        release, version, _, _ = platform.win32_ver()
        name = f"Microsoft Windows {release} {platform.machine()}"
        family = "Windows"
    elif MAC:
        version = platform.mac_ver()[0]
        name, family = f"macOS {version}", "Mac"
    else:
        described = _os_release()
        name = described.get("PRETTY_NAME") or f"{platform.system()} {platform.release()}"
        version, family = described.get("VERSION_ID", platform.release()), "Linux"
    parts = (version or "").split(".")
    return {"Os_name": name, "Os_family": family, "Os_version": version, "Os_arch": platform.machine(),
            "Os_build": platform.release(), "Os_major": parts[0] if parts and parts[0] else None,
            "Os_minor": parts[1] if len(parts) > 1 else None, "Sys_arch": platform.machine()}


def cpu_name() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    if MAC:
        return _output("sysctl", "-n", "machdep.cpu.brand_string").strip()
    return platform.processor() or platform.machine()


def hardware() -> dict[str, Any]:
    memory = psutil.virtual_memory()
    boot = datetime.fromtimestamp(psutil.boot_time())
    values = {
        "Cpu_name": cpu_name()[:255], "Physical_cores": psutil.cpu_count(logical=False) or psutil.cpu_count(),
        "Physical_processors": 1, "Ram_total": f"{memory.total // (1024 * 1024)} MB",
        "Ram_used": f"{(memory.total - memory.available) // (1024 * 1024)} MB",
        "Last_reboot": boot.strftime("%Y-%m-%d %H:%M:%S"),
        "Uptime": str(datetime.now() - boot).split(".")[0],
    }
    dmi = {"Cs_manufacturer": "sys_vendor", "Cs_model": "product_name", "Bios_serial_number": "product_serial",
           "Bios_version": "bios_version", "Bios_manufacturer": "bios_vendor"}
    for key, name in dmi.items():
        value = _read(f"/sys/class/dmi/id/{name}")
        if value:
            values[key] = value[:255]
    users = psutil.users()
    if users:
        values["User"] = users[0].name[:255]
        values["User_logged"] = users[0].name[:255]
    return values


def nics() -> list[dict[str, Any]]:
    found = []
    families = {socket.AF_INET: "Ip", getattr(socket, "AF_INET6", -1): "Ipv6_config"}
    link = getattr(psutil, "AF_LINK", -2)
    for name, addresses in psutil.net_if_addrs().items():
        entry: dict[str, Any] = {"Nic": name[:255]}
        for address in addresses:
            if address.family == link:
                entry["Mac"] = address.address.upper().replace("-", ":")
            elif address.family in families and families[address.family] not in entry:
                entry[families[address.family]] = address.address.split("%")[0]
                if address.family == socket.AF_INET and address.netmask:
                    entry["Netmask"] = address.netmask
        found.append(entry)
    return found


def disks() -> list[dict[str, Any]]:
    found, seen = [], set()
    for partition in psutil.disk_partitions(all=False):
        if partition.mountpoint in seen:
            continue
        seen.add(partition.mountpoint)
        try:
            usage = psutil.disk_usage(partition.mountpoint)
        except OSError:
            continue
        gigabyte = 1024 ** 3
        found.append({"Name": partition.mountpoint[:255], "Filesystem": partition.fstype[:64],
                      "Disk_Size": round(usage.total / gigabyte, 2), "Disk_Used": round(usage.used / gigabyte, 2),
                      "Disk_Free": round(usage.free / gigabyte, 2), "Percent_Used": usage.percent})
    return found


# --- software ----------------------------------------------------------------------------------


def _software(name: str, version: str = "", publisher: str = "") -> dict[str, str]:
    entry = {"Display_Name": name.strip()[:255]}
    if version.strip():
        entry["Display_Version"] = version.strip()[:255]
    if publisher.strip():
        entry["Publisher"] = publisher.strip()[:255]
    return entry


def dpkg_software(admindir: str | None = None) -> list[dict[str, str]]:
    argv = ["dpkg-query", "-W", "-f", "${binary:Package}\t${Version}\t${Maintainer}\t${db:Status-Abbrev}\n"]
    if admindir:
        argv.insert(1, f"--admindir={admindir}")
    found = []
    for line in _output(*argv).splitlines():
        parts = line.split("\t")
        if len(parts) == 4 and parts[3].startswith("ii"):
            found.append(_software(parts[0], parts[1], parts[2]))
    return found


def rpm_software() -> list[dict[str, str]]:
    lines = _output("rpm", "-qa", "--queryformat", "%{NAME}\t%{VERSION}-%{RELEASE}\t%{VENDOR}\n").splitlines()
    return [_software(*line.split("\t")[:3]) for line in lines if line.count("\t") >= 2]


def apk_software() -> list[dict[str, str]]:
    found = []
    for line in _output("apk", "info", "-v").splitlines():
        name, _, version = line.rpartition("-r")[0].rpartition("-") if "-r" in line else ("", "", "")
        found.append(_software(name or line, version))
    return found


def brew_software() -> list[dict[str, str]]:
    found = []
    for line in _output("brew", "list", "--versions").splitlines():
        name, _, versions = line.partition(" ")
        found.append(_software(name, versions.split(" ")[-1] if versions else "", "Homebrew"))
    return found


def mac_applications() -> list[dict[str, str]]:
    found = []
    for bundle in Path("/Applications").glob("*.app"):
        try:
            with open(bundle / "Contents" / "Info.plist", "rb") as source:
                info = plistlib.load(source)
        except (OSError, plistlib.InvalidFileException, ValueError):
            continue
        found.append(_software(str(info.get("CFBundleName") or bundle.stem),
                               str(info.get("CFBundleShortVersionString", "")), ""))
    return found


def windows_software() -> list[dict[str, str]]:
    winreg: Any = importlib.import_module("winreg")

    found = []
    places = [(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"),
              (winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall"),
              (winreg.HKEY_CURRENT_USER, r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall")]
    for root, path in places:
        try:
            key = winreg.OpenKey(root, path)
        except OSError:
            continue
        with key:
            for index in range(winreg.QueryInfoKey(key)[0]):
                try:
                    with winreg.OpenKey(key, winreg.EnumKey(key, index)) as item:
                        values = {}
                        for name in ("DisplayName", "DisplayVersion", "Publisher", "UninstallString"):
                            try:
                                values[name] = str(winreg.QueryValueEx(item, name)[0])
                            except OSError:
                                values[name] = ""
                except OSError:
                    continue
                if values["DisplayName"]:
                    entry = _software(values["DisplayName"], values["DisplayVersion"], values["Publisher"])
                    if values["UninstallString"]:
                        entry["Uninstall_String"] = values["UninstallString"]
                    found.append(entry)
    return found


def software(dpkg_admindir: str | None = None) -> list[dict[str, str]]:
    if WINDOWS:
        found = windows_software()
    elif MAC:
        found = brew_software() + mac_applications()
    else:
        found = dpkg_software(dpkg_admindir) + rpm_software() + apk_software() + brew_software()
    unique = {(item["Display_Name"], item.get("Display_Version"), item.get("Publisher")): item for item in found}
    return list(unique.values())[:LIMIT]


# --- services, startup programs, processes -----------------------------------------------------


def services() -> list[dict[str, str]]:
    if WINDOWS:
        found = []
        for service in psutil.win_service_iter():  # type: ignore[attr-defined]
            try:
                info = service.as_dict()
            except psutil.Error:
                continue
            found.append({"Name": info["name"][:255], "Display_Name": (info.get("display_name") or "")[:255],
                          "Status": info.get("status", "").title(), "Startup_Type": info.get("start_type", "").title(),
                          "Command_Exe": info.get("binpath") or ""})
        return found[:LIMIT]
    if MAC:
        found = []
        for line in _output("launchctl", "list").splitlines()[1:]:
            parts = line.split("\t")
            if len(parts) == 3:
                found.append({"Name": parts[2][:255], "Status": "Running" if parts[0] != "-" else "Stopped"})
        return found[:LIMIT]
    startup = {}
    for line in _output("systemctl", "list-unit-files", "--type=service", "--no-legend", "--no-pager").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            startup[parts[0]] = parts[1]
    found = []
    for line in _output("systemctl", "list-units", "--type=service", "--all", "--no-legend", "--no-pager",
                        "--plain").splitlines():
        parts = line.split(None, 4)
        if len(parts) >= 4:
            found.append({"Name": parts[0][:255], "Display_Name": (parts[4] if len(parts) > 4 else "")[:255],
                          "Status": "Running" if parts[3] == "running" else parts[3].title(),
                          "Startup_Type": startup.get(parts[0], "").title()})
    return found[:LIMIT]


def _desktop_entries(folder: Path) -> list[dict[str, str]]:
    found = []
    for entry in sorted(folder.glob("*.desktop")):
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read(entry, encoding="utf-8")
            section = parser["Desktop Entry"]
        except (configparser.Error, KeyError, UnicodeDecodeError):
            continue
        command = section.get("Exec", "")
        found.append({"Name": section.get("Name", entry.stem)[:255], "Command_Exe": command.split(" ")[0],
                      "Command_Args": " ".join(command.split(" ")[1:])})
    return found


def startup_programs() -> list[dict[str, str]]:
    if WINDOWS:
        winreg: Any = importlib.import_module("winreg")

        found = []
        for root in (winreg.HKEY_LOCAL_MACHINE, winreg.HKEY_CURRENT_USER):
            try:
                with winreg.OpenKey(root, r"SOFTWARE\Microsoft\Windows\CurrentVersion\Run") as key:
                    for index in range(winreg.QueryInfoKey(key)[1]):
                        name, value, _ = winreg.EnumValue(key, index)
                        found.append({"Name": name[:255], "Command_Exe": str(value)})
            except OSError:
                continue
        return found
    if MAC:
        found = []
        for folder in ("/Library/LaunchAgents", "/Library/LaunchDaemons", os.path.expanduser("~/Library/LaunchAgents")):
            for item in sorted(Path(folder).glob("*.plist")):
                found.append({"Name": item.stem[:255], "Command_Exe": str(item)})
        return found
    return (_desktop_entries(Path("/etc/xdg/autostart")) +
            _desktop_entries(Path(os.path.expanduser("~/.config/autostart"))))[:LIMIT]


def running_processes() -> list[dict[str, str]]:
    found = {}
    for process in psutil.process_iter(["name", "exe"]):
        name = process.info.get("name")
        if name:
            exe = process.info.get("exe") or ""
            found[(name, exe)] = {"Name": name[:255], "Command_Exe": exe}
    return list(found.values())[:LIMIT]


def collect(kuid: str, version: str, dpkg_admindir: str | None = None) -> dict[str, Any]:
    nic_list = nics()
    primary = next((nic for nic in nic_list if nic.get("Ip") and not nic["Ip"].startswith("127.")), {})
    machine = {"Kuid": kuid, "Name": socket.gethostname()[:255], "Ip": primary.get("Ip"), "Mac": primary.get("Mac"),
               "Client_version": version, **operating_system(), **hardware(), "Nics": nic_list, "Disks": disks(),
               "Software": software(dpkg_admindir), "Services": services(), "Startup_Programs": startup_programs(),
               "Processes": running_processes()}
    return {key: value for key, value in machine.items() if value is not None}
