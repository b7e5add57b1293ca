"""The daemon survives the systems around it: broker restarts, failing and slow devices, SIGTERM."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

import emulators.bigip as bigip_emulator
from emulators.contrail.topology import add_load_balancer, seed_topology
from tests.daemon.conftest import update_member, wait_until
from tests.daemon.test_daemon import pool_members, web
from tests.integration.conftest import DEVICE_PASSWORD, DEVICE_USER, control, device
from tests.support.rabbitmq import broker_answers


@pytest.fixture
def restartable_broker(broker: str) -> Iterator[None]:
    yield
    subprocess.run(["rabbitmqctl", "start_app"], capture_output=True, timeout=60)
    wait_until(broker_answers, timeout=60, every=0.5)


def test_converges_after_a_broker_restart(
    restartable_broker, bigip, vnc, topo, daemon_factory
) -> None:
    ids = web(vnc, topo, "web", members=1)
    daemon = daemon_factory(resync=300)  # only the reconnect's resync can catch the change
    wait_until(daemon.ready, timeout=30)
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=60)
    wait_until(lambda: not daemon.ready(), timeout=20)  # readiness reports the broker down
    update_member(vnc, ids.listeners[0].members[0], weight=5)  # its notification is lost
    subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=60)
    partition, pool = f"Contrail_{topo.project}", ids.listeners[0].pool
    wait_until(lambda: pool_members(bigip, partition, pool)["10.2.3.1:8080"].ratio == 5, 60)
    wait_until(daemon.ready, timeout=30)


@pytest.mark.slow
def test_a_device_outage_is_no_load_balancers_error(bigip, vnc, topo, daemon_factory):
    """20 s without the device: provisioning never turns ERROR (the configuration is still
    in place and serving); /readyz says so at once; after the grace period (shortened here
    to 5 s) operating_status shows it with the reason; afterwards everything converges."""
    ids = web(vnc, topo, "web", members=2)
    daemon = daemon_factory(resync=2, device_down_grace=5)
    wait_until(daemon.ready, timeout=30)
    wait_until(lambda: lb_props(vnc, ids.loadbalancer).provisioning_status == "ACTIVE", 20)
    control(bigip, "faults", {"kind": "status", "status": 503, "count": None, "path": "^/mgmt/tm"})
    failed_at = time.monotonic()
    update_member(vnc, ids.listeners[0].members[0], weight=3)
    extra = web(vnc, topo, "extra", members=1, port=8443)
    wait_until(lambda: not daemon.ready(), timeout=20)  # at once, where operators look
    seen: set[tuple[str, str]] = set()

    def sample() -> bool:
        props = lb_props(vnc, ids.loadbalancer)
        seen.add((props.provisioning_status, props.operating_status))
        return props.operating_status == "OFFLINE" and "device f5" in (props.status or "")

    wait_until(sample, timeout=20)  # after the grace period: OFFLINE, and why
    assert time.monotonic() - failed_at >= 5
    while time.monotonic() - failed_at < 20:
        sample()
        time.sleep(0.5)
    assert {state for state, _ in seen} == {"ACTIVE"}  # never ERROR
    control(bigip, "faults", {}, method="DELETE")
    partition = f"Contrail_{topo.project}"
    wait_until(
        lambda: (
            pool_members(bigip, partition, ids.listeners[0].pool).get("10.2.3.1:8080", None)
            is not None
            and pool_members(bigip, partition, ids.listeners[0].pool)["10.2.3.1:8080"].ratio == 3
        ),
        timeout=60,
    )
    wait_until(lambda: len(pool_members(bigip, partition, extra.listeners[0].pool)) == 1, 60)
    assert len(pool_members(bigip, partition, ids.listeners[0].pool)) == 2  # nothing lost
    wait_until(daemon.ready, timeout=30)
    wait_until(lambda: lb_props(vnc, ids.loadbalancer).operating_status != "OFFLINE", 30)
    assert lb_props(vnc, extra.loadbalancer).provisioning_status == "ACTIVE"


def lb_props(vnc: Any, lb_uuid: str) -> Any:
    return vnc.loadbalancer_read(id=lb_uuid).get_loadbalancer_properties()


@pytest.fixture
def slow_bigip() -> Iterator[Any]:
    server = bigip_emulator.start(user=DEVICE_USER, password=DEVICE_PASSWORD, hostname="slow")
    control(server, "latency", {"fixed": 1.0}, method="PUT")
    yield server
    server.stop()


def test_a_slow_device_does_not_delay_another(bigip, slow_bigip, vnc, daemon_factory) -> None:
    fast_topo = seed_topology(
        vnc,
        project="fast",
        sas_kv={
            "address": "127.0.0.1",
            "port": str(bigip.port),
            "user": DEVICE_USER,
            "password": DEVICE_PASSWORD,
        },
    )
    slow_topo = seed_topology(
        vnc,
        project="slow",
        networks={"external": "10.11.0.0/16", "internal": "10.12.0.0/16"},
        sas_name="f5slow",
        sas_kv={
            "address": "127.0.0.1",
            "port": str(slow_bigip.port),
            "user": DEVICE_USER,
            "password": DEVICE_PASSWORD,
        },
    )
    daemon = daemon_factory(resync=300)
    wait_until(lambda: daemon.get("/healthz") is not None, timeout=20)
    time.sleep(1)
    slow_ids = add_load_balancer(vnc, slow_topo, "slow")  # keeps the slow worker busy
    for i in range(3):
        add_load_balancer(vnc, slow_topo, f"slow{i}")
    started = time.monotonic()
    fast_ids = web(vnc, fast_topo, "fast", members=2)
    partition = f"Contrail_{fast_topo.project}"
    wait_until(lambda: len(pool_members(bigip, partition, fast_ids.listeners[0].pool)) == 2, 20)
    fast_took = time.monotonic() - started
    assert fast_took < 5, fast_took  # the slow device answers each request after 1 s
    slow_partition = f"Contrail_{slow_topo.project}"
    mgmt = device(slow_bigip)
    slow_va = mgmt.tm.ltm.virtual_address_s.virtual_address
    # The slow device is still being worked on when the fast one has converged ...
    assert not slow_va.exists(name=f"Contrail_{slow_ids.loadbalancer}", partition=slow_partition)
    # ... and gets there too.
    wait_until(
        lambda: slow_va.exists(name=f"Contrail_{slow_ids.loadbalancer}", partition=slow_partition),
        timeout=90,
        every=1.0,
    )


def test_sigterm_during_an_apply_exits_promptly_and_the_next_start_converges(
    bigip, vnc, topo, daemon_factory
) -> None:
    control(bigip, "latency", {"fixed": 0.3}, method="PUT")
    ids = web(vnc, topo, "web", members=20)
    daemon = daemon_factory(resync=300)
    wait_until(lambda: daemon.get("/healthz") is not None, timeout=20)
    wait_until(lambda: "transaction" in str(_counts(bigip)), timeout=30, every=0.05)
    took = daemon.terminate(timeout=15)
    assert took < 10
    assert daemon.process.returncode == 0
    partition, pool = f"Contrail_{topo.project}", ids.listeners[0].pool
    count = len(pool_members(bigip, partition, pool))
    assert count in (0, 20)  # one transaction: all or nothing, never half a pool
    control(bigip, "latency", {"fixed": 0.0}, method="PUT")
    again = daemon_factory(resync=300)
    wait_until(again.ready, timeout=30)
    assert len(pool_members(bigip, partition, pool)) == 20


def _counts(server: Any) -> dict[str, Any]:
    from tests.integration.conftest import counters

    return counters(server)["by_path"]
