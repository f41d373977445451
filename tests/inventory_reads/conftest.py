"""A small fleet in a fresh organization, the same for every read test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.inventory_reads.fleet import machine, store


@dataclass
class Fleet:
    alpha: int
    beta: int
    gamma: int
    delta: int
    epsilon: int

    @property
    def all(self) -> list[int]:
        return [self.alpha, self.beta, self.gamma, self.delta, self.epsilon]


@pytest.fixture
def fleet(admin) -> Fleet:
    return store_fleet(admin)


def store_fleet(admin) -> Fleet:
    ids = store(
        admin,
        [
            machine(
                "alpha-ws", software=["Microsoft Word", "Excel"], Ip="10.0.0.1", User="alice",
                Os_Name="Microsoft Windows 10 Pro x64", Physical_Cores=4, Ram_Total="2048 Bytes",
                Nics=[{"Nic": "eth0", "Ip": "10.0.0.1", "Mac": "AA:BB:CC:00:00:01"}],
                Disks=[{"Name": "C:", "Disk_Size": 100.5}],
                Location={"Locality": "Oklahoma City", "Country": "USA"},
                Processes=[{"Name": "winword.exe", "Product_Name": "Word"}],
                Services=[{"Name": "Spooler", "Display_Name": "Print Spooler", "Status": "Running"}],
                Startup_Programs=[{"Name": "OneDrive", "Command_Exe": "onedrive.exe"}],
                Operating_Systems=[{"Name": "Microsoft Windows 10 Pro x64", "Family": "Windows", "Major_Version": 10}],
            ),
            machine("beta-ws", software=["Microsoft Word"], Ip="10.0.0.2", User="bob",
                    Os_Name="Microsoft Windows 11 Pro x64", Physical_Cores=8),
            machine("gamma-srv", software=["zoo"], Ip="10.0.1.3", User="alice", Os_Name="Ubuntu 22.04",
                    Physical_Cores=16, Nics=[{"Nic": "ens3", "Ip": "192.168.7.7", "Mac": "AA:BB:CC:00:00:03"}]),
            machine("delta_50%", Ip="10.0.1.4", Os_Name="macOS 14", Physical_Cores=2),
            machine("Epsilon", software=["Excel"], Os_Name="", Physical_Cores=None),
        ],
    )
    return Fleet(*ids)
