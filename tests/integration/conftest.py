"""Both emulators over real sockets, the seed's topology, and the CLI run in-process."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from f5.bigip import ManagementRoot

import emulators.contrail as contrail_emulator
from emulators.contrail.topology import Topology, seed_topology
from reconciler.cli import main

DEVICE_USER, DEVICE_PASSWORD = "admin", "device-pw-7f3a"


# The TMOS version the emulated BIG-IP presents as (13.1, 15.1, 16.1, 17.1 or a full x.y.z).
BIGIP_VERSION_ENV = "BIGIP_EMULATOR_VERSION"


@pytest.fixture
def bigip_version() -> str:
    """$BIGIP_EMULATOR_VERSION, default 13.1.1; a module may override this fixture to run its
    tests on several versions (test_once.py: 13.1.1 and 17.1.0)."""
    return os.environ.get(BIGIP_VERSION_ENV, "13.1.1")


@pytest.fixture
def bigip(bigip_version: str) -> Iterator[Any]:
    from emulators.bigip import start

    server = start(user=DEVICE_USER, password=DEVICE_PASSWORD, version=bigip_version)
    yield server
    server.stop()


@pytest.fixture
def contrail() -> Iterator[Any]:
    server = contrail_emulator.start()
    yield server
    server.stop()


@pytest.fixture
def vnc(contrail: Any) -> Any:
    return contrail_emulator.client(contrail)


@pytest.fixture
def topo(vnc: Any, bigip: Any) -> Topology:
    """The seed's topology, with SAS ``f5`` pointing at the BIG-IP emulator (seed's kv form)."""
    return seed_topology(
        vnc,
        sas_kv={
            "address": "127.0.0.1",
            "port": str(bigip.port),
            "user": DEVICE_USER,
            "password": DEVICE_PASSWORD,
        },
    )


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(contrail: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    conf = tmp_path / "contrail-f5-reconciler.conf"
    conf.write_text(
        "[DEFAULTS]\n"
        f"api_server_ip = 127.0.0.1\napi_server_port = {contrail.port}\n"
        "log_level = WARNING\ndevice_timeout = 5\n"
    )

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(["--config", str(conf), "--no-color", *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def device(bigip: Any) -> Any:
    return ManagementRoot("127.0.0.1", DEVICE_USER, DEVICE_PASSWORD, port=bigip.port)


def counters(server: Any, reset: bool = False, prefix: str = "/mgmt/tm") -> dict[str, Any]:
    """Requests the device saw under ``prefix`` (configuration, not logins)."""
    url = f"{server.url}/_emulator/counters?prefix={prefix}"
    answer = requests.delete(url, verify=False) if reset else requests.get(url, verify=False)
    return answer.json()


def control(server: Any, action: str, body: Any, method: str = "POST") -> Any:
    return requests.request(method, f"{server.url}/_emulator/{action}", json=body, verify=False)


def add_appliances(vnc: Any, sas: Any, servers: list[Any]) -> None:
    """One child service-appliance per emulated device (bigip1, bigip2, ...): an HA pair."""
    from vnc_api.vnc_api import KeyValuePair, KeyValuePairs, ServiceAppliance, UserCredentials

    for i, server in enumerate(servers, 1):
        appliance = ServiceAppliance(
            f"bigip{i}",
            parent_obj=sas,
            service_appliance_ip_address="127.0.0.1",
            service_appliance_user_credentials=UserCredentials(DEVICE_USER, DEVICE_PASSWORD),
            service_appliance_properties=KeyValuePairs([KeyValuePair("port", str(server.port))]),
        )
        vnc.service_appliance_create(appliance)
