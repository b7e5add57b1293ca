"""A set whose settings cannot work is the operator's to fix, not a reason to hold the rollout:
it shows on the status page and /status.json with the key and the reason, is counted in a
metric, and /readyz means "the usable sets are served"."""

from __future__ import annotations

from emulators.contrail.topology import add_appliance_set
from tests.daemon.conftest import wait_until
from tests.daemon.test_daemon import web
from tests.integration.conftest import DEVICE_PASSWORD, DEVICE_USER


def test_an_unusable_set_is_shown_counted_and_does_not_hold_readiness(
    bigip, vnc, topo, daemon_factory
) -> None:
    web(vnc, topo, "web", members=1)
    add_appliance_set(
        vnc,
        "f5-typo",
        {"address": "127.0.0.1", "port": "99999", "user": DEVICE_USER, "password": DEVICE_PASSWORD},
    )
    daemon = daemon_factory(resync=300)
    wait_until(daemon.ready, timeout=30, what="/readyz 200 with one usable and one unusable set")

    status = daemon.get("/status.json")
    assert status is not None
    (typo,) = [s for s in status.json()["sets"] if s["name"] == "f5-typo"]
    assert "port" in typo["unusable"] and "99999" in typo["unusable"]
    page = daemon.get("/")
    assert page is not None and "99999" in page.text
    assert daemon.metric_sum("contrail_f5_sets_unusable") == 1
