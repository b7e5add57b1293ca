"""Three reconciler processes, four F5 sets, one ZooKeeper: each set has one writer.

The daemons are real subprocesses coordinating through a real ZooKeeper server; the four
BIG-IP emulators log every write with the writer's User-Agent (which names the replica), so
the test can check from the devices' side that no two replicas ever wrote one device at once.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError

from emulators.contrail.topology import (
    ListenerSpec,
    MonitorSpec,
    PoolSpec,
    add_appliance_set,
    add_load_balancer,
    seed_topology,
)
from reconciler.coordination import rendezvous_owner
from tests.daemon.conftest import update_member, wait_until
from tests.daemon.test_daemon import pool_members
from tests.integration.conftest import DEVICE_PASSWORD, DEVICE_USER

pytestmark = [pytest.mark.rabbitmq, pytest.mark.zookeeper, pytest.mark.slow]
SETS = ["f5-a", "f5-b", "f5-c", "f5-d"]
SESSION_TIMEOUT = 4


@pytest.fixture
def devices() -> Iterator[dict[str, Any]]:
    from emulators.bigip import start

    servers = {name: start(user=DEVICE_USER, password=DEVICE_PASSWORD) for name in SETS}
    yield servers
    for server in servers.values():
        server.stop()


def owners_in_zookeeper(zk: KazooClient, root: str, sets: list[str] = SETS) -> dict[str, str]:
    found = {}
    for name in sets:
        with contextlib.suppress(NoNodeError):  # a set changing hands between the two calls
            found[name] = zk.get(f"{root}/sets/{name}/owner")[0].decode()
    return found


def _all_owned(zk: KazooClient, root: str) -> dict[str, str] | None:
    found = owners_in_zookeeper(zk, root)
    return found if set(found) == set(SETS) else None


def writes(server: Any) -> list[dict[str, Any]]:
    items = requests.get(f"{server.url}/_emulator/writes", verify=False, timeout=5).json()["items"]
    return [w for w in items if w["path"].startswith("/mgmt/tm/")]


def replica_of(write: dict[str, Any]) -> str:
    agent = write["client"]
    assert "replica/" in agent, f"a write without a replica in its User-Agent: {write}"
    return agent.split("replica/", 1)[1].split()[0]


def assert_never_two_writers_at_once(log: list[dict[str, Any]], device: str) -> None:
    """Sorted by start, a write by another replica begins only after every earlier write of
    the previous writer has ended."""
    latest_end: dict[str, float] = {}
    for write in sorted(log, key=lambda w: w["start"]):
        writer = replica_of(write)
        for other, end in latest_end.items():
            assert other == writer or end <= write["start"], (
                f"{device}: {writer} wrote {write['method']} {write['path']} while {other}'s "
                f"write was still in flight"
            )
        latest_end[writer] = max(latest_end.get(writer, 0.0), write["end"])


def test_three_replicas_own_each_set_once_and_take_over_a_killed_ones_sets(
    vnc, devices, zookeeper, daemon_factory
) -> None:
    topo = seed_topology(vnc, sas_name=None)
    for name, server in devices.items():
        kv = {"address": "127.0.0.1", "port": str(server.port), "user": DEVICE_USER}
        add_appliance_set(vnc, name, {**kv, "password": DEVICE_PASSWORD})
    pool = PoolSpec("ROUND_ROBIN", [("10.2.3.1", 8080, 1)], monitor=MonitorSpec("TCP"))
    lbs = {
        name: add_load_balancer(
            vnc, topo, f"web-{name}", listeners=[ListenerSpec("HTTP", 80, pool)], provider=name
        )
        for name in SETS
    }
    root = f"/cfr-{uuid.uuid4().hex[:8]}"
    replicas = {
        f"replica-{i}": daemon_factory(
            resync=300,
            zk_server_ip=zookeeper.hosts,
            zk_root=root,
            zk_session_timeout=SESSION_TIMEOUT,
            replica_id=f"replica-{i}",
        )
        for i in range(3)
    }
    zk = KazooClient(zookeeper.hosts)
    zk.start(10)
    try:
        partition = f"Contrail_{topo.project}"

        def converged(name: str, weight: int = 1) -> bool:
            members = pool_members(devices[name], partition, lbs[name].listeners[0].pool)
            return bool(members) and members["10.2.3.1:8080"].ratio == weight

        wait_until(lambda: all(d.ready() for d in replicas.values()), timeout=60)
        agreed = {name: rendezvous_owner(name, list(replicas)) for name in SETS}
        wait_until(lambda: owners_in_zookeeper(zk, root) == agreed, timeout=30)
        assert len(set(agreed.values())) == 3  # these names spread the four sets over all three
        wait_until(
            lambda: sum(d.metric_sum("contrail_f5_sets_owned") for d in replicas.values()) == 4
        )
        wait_until(lambda: all(converged(name) for name in SETS), timeout=30)
        owners = owners_in_zookeeper(zk, root)
        assert set(owners.values()) <= set(replicas)
        for replica, daemon in replicas.items():  # each replica works exactly its own sets
            assert daemon.metric_sum("contrail_f5_sets_owned") == sum(
                1 for o in owners.values() if o == replica
            )

        victim = max(replicas, key=lambda r: sum(1 for o in owners.values() if o == r))
        theirs = [name for name, owner in owners.items() if owner == victim]
        replicas[victim].process.kill()  # kill -9: no goodbye, the session has to expire
        for name in theirs:  # changes made while nobody owns the set
            update_member(vnc, lbs[name].listeners[0].members[0], weight=7)
        wait_until(lambda: all(converged(name, 7) for name in theirs), timeout=SESSION_TIMEOUT + 30)

        after = wait_until(lambda: _all_owned(zk, root), timeout=10)
        for name in SETS:
            log = writes(devices[name])
            assert log, f"{name}: no writes logged"
            assert_never_two_writers_at_once(log, name)
            writers = [replica_of(w) for w in sorted(log, key=lambda w: w["start"])]
            assert set(writers) <= set(replicas)
            if name in theirs:
                assert writers[-1] == after[name] != victim
        assert victim not in after.values()
        assert {after[name] for name in SETS if name not in theirs} == {
            owners[name] for name in SETS if name not in theirs
        }  # the survivors kept their own sets: only the victim's moved
    finally:
        zk.stop()
        zk.close()
