"""HA pairs: a set with two child service-appliances, replicated or config-synced."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from f5.bigip import ManagementRoot

import emulators.bigip as bigip_emulator
from emulators.contrail.topology import (
    ListenerSpec,
    MonitorSpec,
    PoolSpec,
    add_appliance_set,
    add_load_balancer,
    seed_topology,
)
from tests.integration.conftest import (
    DEVICE_PASSWORD,
    DEVICE_USER,
    add_appliances,
    control,
    counters,
)


@pytest.fixture
def pair() -> Iterator[list[Any]]:
    servers = [
        bigip_emulator.start(user=DEVICE_USER, password=DEVICE_PASSWORD, hostname=f"bigip{i}")
        for i in (1, 2)
    ]
    yield servers
    for server in servers:
        server.stop()


def ha_set(vnc: Any, servers: list[Any], sync_mode: str) -> Any:
    topo = seed_topology(vnc, sas_name=None)
    sas = add_appliance_set(vnc, "f5", {"sync_mode": sync_mode}, ha_mode="active-backup")
    add_appliances(vnc, sas, servers)
    topo.sas, topo.sas_name = sas.uuid, "f5"
    return topo


def web(vnc: Any, topo: Any, members: int = 2) -> Any:
    pool = PoolSpec(
        "ROUND_ROBIN",
        members=[(f"10.2.4.{i}", 80, 1) for i in range(1, members + 1)],
        monitor=MonitorSpec("TCP"),
    )
    return add_load_balancer(vnc, topo, "web", listeners=[ListenerSpec("TCP", 443, pool=pool)])


def member_count(server: Any, partition: str, pool: str) -> int:
    mgmt = ManagementRoot("127.0.0.1", DEVICE_USER, DEVICE_PASSWORD, port=server.port)
    if not mgmt.tm.ltm.pools.pool.exists(name=f"Contrail_{pool}", partition=partition):
        return 0
    loaded = mgmt.tm.ltm.pools.pool.load(name=f"Contrail_{pool}", partition=partition)
    return len(loaded.members_s.get_collection())


def test_replication_writes_every_device_of_the_set(pair, vnc, cli) -> None:
    topo = ha_set(vnc, pair, "replication")
    ids = web(vnc, topo)
    assert cli("--once").code == 0
    partition, pool = f"Contrail_{topo.project}", ids.listeners[0].pool
    assert [member_count(s, partition, pool) for s in pair] == [2, 2]
    assert cli("--once", "--dry-run").code == 0


def test_config_sync_writes_the_active_device_and_follows_a_failover(pair, vnc, cli) -> None:
    bigip_emulator.group([s.app for s in pair], name="dg1")
    topo = ha_set(vnc, pair, "config-sync")
    ids = web(vnc, topo)
    partition, pool = f"Contrail_{topo.project}", ids.listeners[0].pool
    for server in pair:
        counters(server, reset=True)
    assert cli("--once").code == 0
    assert counters(pair[0])["writes"] > 0 and counters(pair[1])["writes"] == 0
    assert [member_count(s, partition, pool) for s in pair] == [2, 2]  # bigip2 by config-sync

    control(pair[0], "failover", {"to": "bigip2"})
    vnc.loadbalancer_member_delete(id=ids.listeners[0].members[0])
    for server in pair:
        counters(server, reset=True)
    assert cli("--once").code == 0
    assert counters(pair[0])["writes"] == 0 and counters(pair[1])["writes"] > 0
    assert [member_count(s, partition, pool) for s in pair] == [1, 1]
