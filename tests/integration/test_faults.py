"""Device faults during apply: the next pass converges, nothing duplicated or lost."""

from __future__ import annotations

from typing import Any

import pytest

import emulators.contrail as contrail_emulator
from emulators.contrail.topology import ListenerSpec, MonitorSpec, PoolSpec, add_load_balancer
from reconciler.config import Config
from reconciler.once import Reconciler
from tests.integration.conftest import control, counters, device

MEMBERS = [(f"10.2.2.{i}", 8080, 1) for i in range(1, 6)]


def seed(vnc: Any, topo: Any) -> Any:
    pool = PoolSpec("ROUND_ROBIN", members=MEMBERS, monitor=MonitorSpec("HTTP"))
    return add_load_balancer(vnc, topo, "web", listeners=[ListenerSpec("HTTP", 80, pool=pool)])


def members_on_device(bigip: Any, partition: str, pool: str) -> list[str]:
    loaded = device(bigip).tm.ltm.pools.pool.load(name=f"Contrail_{pool}", partition=partition)
    return sorted(m.name for m in loaded.members_s.get_collection())


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 500, "path": "^/mgmt/tm/transaction/", "method": "PATCH"},
        {"kind": "reset", "path": "^/mgmt/tm/ltm/pool", "method": "POST"},
        {"kind": "status", "status": 503, "path": "^/mgmt/tm/ltm/virtual$", "method": "POST"},
    ],
    ids=["500-at-commit", "reset-mid-transaction", "503-on-a-command"],
)
def test_a_fault_during_apply_converges_on_the_next_pass(fault, bigip, vnc, topo, cli) -> None:
    ids = seed(vnc, topo)
    partition = f"Contrail_{topo.project}"
    control(bigip, "faults", {**fault, "count": 1})
    first = cli("--once")
    assert first.code == 1  # the pass says it did not converge
    second = cli("--once")
    assert second.code == 0, second.out + second.err
    pool = ids.listeners[0].pool
    assert members_on_device(bigip, partition, pool) == sorted(f"{a}:{p}" for a, p, _ in MEMBERS)
    assert cli("--once", "--dry-run").code == 0


def test_a_device_that_forgets_our_token_gets_a_new_login(bigip, contrail, vnc, topo) -> None:
    ids = seed(vnc, topo)
    config = Config(api_server_port=contrail.port, device_timeout=5)
    reconciler = Reconciler(config, contrail_emulator.client(contrail))
    assert reconciler.run().ok
    control(bigip, "tokens/expire", {})
    vnc.loadbalancer_member_delete(id=ids.listeners[0].members[0])
    counters(bigip, reset=True)
    assert reconciler.run().ok  # same client, its token now rejected: it logs in again
    partition = f"Contrail_{topo.project}"
    assert len(members_on_device(bigip, partition, ids.listeners[0].pool)) == len(MEMBERS) - 1
