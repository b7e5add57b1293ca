"""Losing the broker in any way shows at once: a deleted vhost (or a rotated password: the
same ``NOT_ALLOWED - access to vhost refused``) or a cancelled consumer clears /readyz's
``broker_connected`` until consuming resumes, and the log stays one JSON object per line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.daemon.conftest import Daemon, wait_until
from tests.support.rabbitmq import drop_vhost, private_vhost

pytestmark = pytest.mark.rabbitmq
CTL = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"


@pytest.fixture
def own_vhost() -> Iterator[str]:
    """A vhost for this daemon alone: the test deletes it."""
    name = f"contrail-f5-broker-loss-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    private_vhost(name)
    yield name
    drop_vhost(name)


def broker_connected(daemon: Daemon) -> bool | None:
    answer = daemon.get("/readyz")
    return None if answer is None else answer.json()["checks"].get("broker_connected")


def watching(daemon_factory: Any, vhost: str) -> Daemon:
    daemon: Daemon = daemon_factory(
        resync=300, broker=False, rabbit_server="127.0.0.1", rabbit_port=5672, rabbit_vhost=vhost
    )
    wait_until(daemon.ready, timeout=30, what="ready, bound to notifications")
    assert broker_connected(daemon) is True
    return daemon


def events(daemon: Daemon) -> list[dict[str, Any]]:
    """Every line the daemon wrote, as JSON (a line that is not fails the test)."""
    lines = daemon.output().splitlines()
    bad = [line for line in lines if not line.startswith("{")]
    assert not bad, f"{len(bad)} non-JSON log lines, e.g. {bad[:5]}"
    return [json.loads(line) for line in lines]


def test_a_deleted_vhost_clears_broker_connected_until_consuming_resumes(
    bigip, vnc, topo, daemon_factory, own_vhost
) -> None:
    daemon = watching(daemon_factory, own_vhost)
    drop_vhost(own_vhost)
    deleted = time.monotonic()
    wait_until(lambda: broker_connected(daemon) is False, timeout=10, what="broker lost")
    assert time.monotonic() - deleted < 3
    assert not daemon.ready()
    time.sleep(4)  # reconnects meet "NOT_ALLOWED - access to vhost refused"
    assert broker_connected(daemon) is False
    private_vhost(own_vhost)
    wait_until(lambda: broker_connected(daemon) is True, timeout=45, what="consuming again")
    lost = [e for e in events(daemon) if e["event"] == "broker connection lost; reconnecting"]
    assert any("vhost" in e["error"] for e in lost), lost  # not found, or access refused
    assert len(lost) < 10  # attempts back off


def test_a_cancelled_consumer_is_a_lost_broker_until_it_consumes_again(
    bigip, vnc, topo, daemon_factory, own_vhost
) -> None:
    daemon = watching(daemon_factory, own_vhost)
    listed = subprocess.run(
        [CTL, "list_queues", "-p", own_vhost, "name", "--quiet", "--no-table-headers"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    (queue,) = [q for q in listed.stdout.split() if q.startswith("contrail-f5-reconciler.")]
    subprocess.run([CTL, "delete_queue", "-p", own_vhost, queue], check=True, timeout=60)
    wait_until(
        lambda: any("ConsumerCancelled" in e.get("error", "") for e in events(daemon)),
        timeout=10,
        what="the cancellation logged as a lost broker",
    )
    binds = lambda: [e for e in events(daemon) if e["event"] == "bound to notifications"]  # noqa: E731
    wait_until(lambda: len(binds()) == 2, timeout=30, what="bound again")
    assert broker_connected(daemon) is True


@pytest.fixture
def rotating_user(own_vhost: str) -> Iterator[str]:
    """A broker user of its own on the daemon's vhost (the test changes its password)."""
    name = f"contrail-f5-rotated-{uuid.uuid4().hex[:6]}"
    subprocess.run([CTL, "add_user", name, "before-5e1"], check=True, timeout=60)
    subprocess.run(
        [CTL, "set_permissions", "-p", own_vhost, name, ".*", ".*", ".*"], check=True, timeout=60
    )
    yield name
    subprocess.run([CTL, "delete_user", name], capture_output=True, timeout=60)


def test_a_rotated_password_clears_broker_connected_until_it_works_again(
    bigip, vnc, topo, daemon_factory, own_vhost, rotating_user
) -> None:
    daemon: Daemon = daemon_factory(
        resync=300,
        broker=False,
        rabbit_server="127.0.0.1",
        rabbit_port=5672,
        rabbit_vhost=own_vhost,
        rabbit_user=rotating_user,
        rabbit_password="before-5e1",
    )
    wait_until(daemon.ready, timeout=30, what="ready, bound to notifications")
    subprocess.run([CTL, "change_password", rotating_user, "after-5e1"], check=True, timeout=60)
    listed = subprocess.run(
        [CTL, "list_connections", "-p", own_vhost, "pid", "user", "--quiet", "--no-table-headers"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    ours = [line.rsplit("\t", 1)[0] for line in listed.stdout.splitlines() if rotating_user in line]
    assert ours, listed.stdout
    for connection in ours:  # what a broker restart or a network blip does
        subprocess.run([CTL, "close_connection", connection, "rotated"], check=True, timeout=60)
    wait_until(lambda: broker_connected(daemon) is False, timeout=10, what="broker lost")
    time.sleep(3)  # the reconnects meet ACCESS_REFUSED
    assert broker_connected(daemon) is False
    subprocess.run([CTL, "change_password", rotating_user, "before-5e1"], check=True, timeout=60)
    wait_until(lambda: broker_connected(daemon) is True, timeout=45, what="consuming again")
    refused = [e for e in events(daemon) if "ACCESS_REFUSED" in e.get("error", "")]
    assert refused
