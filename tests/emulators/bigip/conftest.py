"""Fixtures: an emulated BIG-IP per test, driven through f5-sdk as the product drives a device."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import urllib3
from f5.bigip import ManagementRoot

import emulators.bigip as bigip
from emulators.http import EmulatorServer

urllib3.disable_warnings()


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    srv = bigip.start()
    yield srv
    srv.stop()


@pytest.fixture
def mgmt(server: EmulatorServer) -> ManagementRoot:
    return ManagementRoot("127.0.0.1", "admin", "admin", port=server.port)


@pytest.fixture
def partition(mgmt: ManagementRoot) -> str:
    """Partition P with its own route domain 2 as default, as the agent sets tenants up."""
    mgmt.tm.sys.folders.folder.create(name="P", subPath="/")
    mgmt.tm.net.route_domains.route_domain.create(name="P", partition="P", id=2)
    mgmt.tm.auth.partitions.partition.load(name="P").modify(defaultRouteDomain=2)
    return "P"


def control(server: EmulatorServer, action: str, body: Any = None, method: str = "POST") -> Any:
    response = requests.request(
        method, f"{server.url}/_emulator/{action}", json=body, verify=False, timeout=10
    )
    response.raise_for_status()
    return response.json()


def raw(server: EmulatorServer, method: str, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", ("admin", "admin"))
    kwargs.setdefault("timeout", 10)
    return requests.request(method, f"{server.url}{path}", verify=False, **kwargs)
