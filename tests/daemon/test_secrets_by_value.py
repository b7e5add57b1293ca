"""A device whose error message echoes the password (as some do with a request body) does
not put it in the log, the status page, /status.json or the plans — in any form: raw,
JSON-escaped or URL-encoded. The password has a quote and a backslash, which the page's old
literal scrub missed once JSON-escaped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

import emulators.bigip as bigip_emulator
from emulators.contrail.topology import seed_topology
from reconciler.redaction import forms
from tests.daemon.conftest import wait_until
from tests.daemon.test_daemon import web
from tests.integration.conftest import DEVICE_USER, control

PASSWORD = 'dev"pw\\echo-5c2'


@pytest.fixture
def echoing_bigip() -> Iterator[Any]:
    server = bigip_emulator.start(user=DEVICE_USER, password=PASSWORD)
    yield server
    server.stop()


def test_a_password_the_device_echoes_is_redacted_everywhere(
    echoing_bigip, vnc, daemon_factory
) -> None:
    topo = seed_topology(
        vnc,
        sas_kv={
            "address": "127.0.0.1",
            "port": str(echoing_bigip.port),
            "user": DEVICE_USER,
            "password": PASSWORD,
        },
    )
    echoed = (
        f'01070734:3: Configuration error: request {{"password": {json.dumps(PASSWORD)}}} '
        f"from https://{DEVICE_USER}:{quote(PASSWORD, safe='')}@device/ and raw {PASSWORD}"
    )
    control(
        echoing_bigip,
        "faults",
        {
            "kind": "status",
            "status": 400,
            "body": {"code": 400, "message": echoed, "errorStack": [], "apiError": 3},
            "count": None,
            "path": "^/mgmt/tm/ltm/pool",
            "method": "POST",
        },
    )
    web(vnc, topo, "web", members=1)
    daemon = daemon_factory(resync=300)

    def shown() -> str:
        status, page = daemon.get("/status.json"), daemon.get("/")
        return "" if status is None or page is None else status.text + page.text

    wait_until(lambda: "Configuration error" in shown(), timeout=40, what="the error shown")
    text = shown() + daemon.output()
    assert "01070734:3" in daemon.output()
    leaked = [form for form in forms(PASSWORD) if form in text]
    assert not leaked, leaked
