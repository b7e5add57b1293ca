"""Our clients are not stalled by a server that writes without TCP_NODELAY.

A real Contrail API server writes an answer's headers and body separately without
TCP_NODELAY; on a kept-alive connection every answer then waited ~40 ms for the client's
delayed ACK (the initial sync's 12,000 status PUTs took 135 s instead of seconds). Both
emulators can answer that way (``/_emulator/latency`` ``{"stall": true}``); our Contrail
and device clients must not pay it — a behaviour check, with a bound far above a healthy
connection's and far below the stall's.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

import emulators.contrail as contrail_emulator
from reconciler.bigip.client import DeviceClient
from reconciler.config import Config
from reconciler.contrail.connect import connect
from reconciler.model.values import Secret
from reconciler.settings import DeviceSettings
from tests.integration.conftest import DEVICE_PASSWORD, DEVICE_USER, control

REQUESTS = 50
STALL = 0.040  # Linux's delayed-ACK timer: what each stalled answer would wait at least
BOUND = REQUESTS * STALL / 2  # stalled, 50 requests take > 2 s; healthy, ~50 ms


@pytest.fixture
def stalling_contrail() -> Any:
    server = contrail_emulator.start()
    answer = requests.post(f"{server.url}/_emulator/latency", json={"stall": True}, timeout=5)
    assert answer.json()["stall"] is True
    yield server
    server.stop()


def sequential(call: Any) -> float:
    call()  # the connection is made and kept alive
    started = time.monotonic()
    for _ in range(REQUESTS):
        call()
    return time.monotonic() - started


def test_the_stall_is_real_for_a_plain_client(stalling_contrail) -> None:
    """The emulator's stall does what a real server does to a client that waits for it."""
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter())
    url = f"{stalling_contrail.url}/projects"
    assert sequential(lambda: session.get(url, timeout=5)) > REQUESTS * STALL * 0.75


def test_the_contrail_client_reads_and_writes_without_the_stall(stalling_contrail) -> None:
    vnc = connect(Config(api_server_port=stalling_contrail.port))
    project = vnc.project_read(fq_name=["default-domain", "default-project"])
    assert sequential(lambda: vnc.project_read(id=project.uuid)) < BOUND
    assert sequential(lambda: vnc.project_update(project)) < BOUND  # a PUT: headers + body


def test_the_device_client_reads_without_the_stall(bigip) -> None:
    control(bigip, "latency", {"stall": True})
    settings = DeviceSettings("f5", bigip.host, bigip.port, DEVICE_USER, Secret(DEVICE_PASSWORD))
    client = DeviceClient(settings, timeout=5, verify=False)
    try:
        assert sequential(lambda: client.get(client.url("sys/version"))) < BOUND
    finally:
        control(bigip, "latency", {"stall": False})
