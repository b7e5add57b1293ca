"""Both emulators over real sockets, the seed's topology, and the CLI run in-process.

Lab mode (``make test-lab``, ``tests/support/lab.py``): with ``LAB_BIGIP`` set, ``bigip`` is
that real device instead of an emulator, each test's partitions are removed after it, and
what needs the emulator is skipped, saying why."""

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
from tests.support.lab import LabDevice, emulator_only, lab_device, remove_new, snapshot

LAB = lab_device()
DEVICE_USER, DEVICE_PASSWORD = (LAB.user, LAB.password) if LAB else ("admin", "device-pw-7f3a")
# Tests that change a device's networking (VLANs, self IPs, route domains on its interfaces):
# never run against a lab device.
NETWORKING = "changes the device's networking (L3 mode's VLANs and self IPs on its interfaces)"


# The TMOS version the emulated BIG-IP presents as (13.1, 15.1, 16.1, 17.1 or a full x.y.z).
BIGIP_VERSION_ENV = "BIGIP_EMULATOR_VERSION"


@pytest.fixture
def bigip_version() -> str:
    """$BIGIP_EMULATOR_VERSION, default 13.1.1; a module may override this fixture to run its
    tests on several versions (test_once.py: 13.1.1 and 17.1.0)."""
    return os.environ.get(BIGIP_VERSION_ENV, "13.1.1")


@pytest.fixture
def bigip(bigip_version: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    if LAB is not None:
        yield from _lab_bigip(LAB, request)
        return
    from emulators.bigip import start

    server = start(user=DEVICE_USER, password=DEVICE_PASSWORD, version=bigip_version)
    yield server
    server.stop()


def _lab_bigip(lab: LabDevice, request: pytest.FixtureRequest) -> Iterator[LabDevice]:
    """The lab device; what the test made on it is removed after it."""
    wanted = getattr(request.node, "callspec", None)
    version = wanted.params.get("bigip_version") if wanted is not None else None
    if version and version.split(".")[:2] != lab.version().split(".")[:2]:
        pytest.skip(f"lab mode: written for TMOS {version}, the lab device is {lab.version()}")
    if request.node.get_closest_marker("networking") is not None:
        pytest.skip(f"lab mode: {NETWORKING}")
    before = snapshot(lab)
    yield lab
    left = remove_new(lab, before)
    assert not left, f"lab mode: left on {lab.host}: {left}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Lab mode runs the tests that use the lab device; the others make their own emulators."""
    if LAB is None:
        return
    own = pytest.mark.skip(reason="lab mode: does not use the lab device (its own emulators)")
    for item in items:
        if "bigip" not in getattr(item, "fixturenames", ()):
            item.add_marker(own)


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
            "address": bigip.host,
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
    return ManagementRoot(bigip.host, DEVICE_USER, DEVICE_PASSWORD, port=bigip.port)


def counters(server: Any, reset: bool = False, prefix: str = "/mgmt/tm") -> dict[str, Any]:
    """Requests the device saw under ``prefix`` (configuration, not logins)."""
    emulator_only(server, "request counters (/_emulator/counters)")
    url = f"{server.url}/_emulator/counters?prefix={prefix}"
    answer = requests.delete(url, verify=False) if reset else requests.get(url, verify=False)
    return answer.json()


def control(server: Any, action: str, body: Any, method: str = "POST") -> Any:
    emulator_only(server, f"/_emulator/{action} control")
    return requests.request(method, f"{server.url}/_emulator/{action}", json=body, verify=False)


def add_appliances(vnc: Any, sas: Any, servers: list[Any]) -> None:
    """One child service-appliance per emulated device (bigip1, bigip2, ...): an HA pair."""
    from vnc_api.vnc_api import KeyValuePair, KeyValuePairs, ServiceAppliance, UserCredentials

    for i, server in enumerate(servers, 1):
        appliance = ServiceAppliance(
            f"bigip{i}",
            parent_obj=sas,
            service_appliance_ip_address=server.host,
            service_appliance_user_credentials=UserCredentials(DEVICE_USER, DEVICE_PASSWORD),
            service_appliance_properties=KeyValuePairs([KeyValuePair("port", str(server.port))]),
        )
        vnc.service_appliance_create(appliance)
