"""A wrong device password fails safe: a refused login is not retried within a pass, further
logins back off per device, and the page, /status.json and the metrics say so — so that a
BIG-IP lockout policy (a handful of failed logins) does not lock the account."""

from __future__ import annotations

import time
from typing import Any

import requests

from reconciler.bigip.client import DeviceClient, DeviceError
from reconciler.bigip.logins import LoginGate
from reconciler.model.values import Secret
from reconciler.settings import DeviceSettings
from tests.daemon.conftest import wait_until
from tests.daemon.test_daemon import web
from tests.integration.conftest import DEVICE_USER


def failed_logins(bigip: Any) -> list[dict[str, Any]]:
    answer = requests.get(f"{bigip.url}/_emulator/logins", verify=False, timeout=5).json()
    return [entry for entry in answer["logins"] if not entry["ok"]]


def test_a_refused_login_is_tried_once_then_not_until_the_backoff_has_passed(bigip) -> None:
    settings = DeviceSettings("f5", "127.0.0.1", bigip.port, DEVICE_USER, Secret("wrong-pw"))
    gate = LoginGate(first_wait=60)
    client = DeviceClient(settings, timeout=5, connections=4, logins=gate)
    for _ in range(3):  # three keys of one pass, on every connection of the pool
        for sibling in client.pool():
            try:
                sibling.collection("ltm/pool")
            except DeviceError as exc:
                assert exc.login_refused and exc.status == 401
    assert len(failed_logins(bigip)) == 1
    assert gate.state is not None and gate.state.refused == 1
    assert 55 < gate.closed_for() <= 60


def test_the_daemon_backs_off_a_wrong_password_and_shows_it(
    bigip, vnc, topo, daemon_factory
) -> None:
    web(vnc, topo, "web", members=1)
    # a pass every 2 s (and the work queue's retries): one failed login in 20 s, the next
    # one a minute after the first (before: 16 per pass, dozens in 20 s)
    daemon = daemon_factory(resync=2, device_user=DEVICE_USER, device_password="wrong-pw-1")
    started = time.monotonic()
    wait_until(lambda: failed_logins(bigip), timeout=30, what="a first failed login")
    wait_until(daemon.ready, timeout=30, what="ready: a refused login does not hold /readyz")
    time.sleep(max(0.0, 20 - (time.monotonic() - started)))
    assert len(failed_logins(bigip)) == 1

    status = daemon.get("/status.json")
    assert status is not None
    (device,) = [d for s in status.json()["sets"] for d in s["devices"]]
    assert device["login_refused"]["refused"] == 1
    assert 30 < device["login_refused"]["retry_at"] - time.time() <= 60
    assert "login refused" in device["error"]
    page = daemon.get("/")
    assert page is not None and "login refused" in page.text
    assert daemon.metric_sum("contrail_f5_device_login_refused", device="f5") == 1
    assert daemon.metric_sum("contrail_f5_device_login_failures_total", device="f5") == 1
    assert "wrong-pw-1" not in daemon.output()
