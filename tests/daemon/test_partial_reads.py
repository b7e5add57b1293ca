"""Replicas read only the Contrail subtrees of the sets they own, and still miss nothing.

Real daemon subprocesses coordinating through a real ZooKeeper; the Contrail emulator counts
every object it serves (``/_emulator/served``), so the tests see from the server's side which
objects a replica has read whole.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from kazoo.client import KazooClient

from emulators.contrail.topology import (
    ListenerSpec,
    LoadBalancerIds,
    MonitorSpec,
    PoolSpec,
    add_appliance_set,
    add_load_balancer,
    seed_topology,
)
from reconciler.coordination import rendezvous_owner
from tests.daemon.conftest import update_member, wait_until
from tests.daemon.test_daemon import pool_members
from tests.daemon.test_replicas import assert_never_two_writers_at_once, owners_in_zookeeper, writes
from tests.integration.conftest import DEVICE_PASSWORD, DEVICE_USER, control
from tests.integration.test_multitenant import set_vip, status, virtuals

pytestmark = [pytest.mark.rabbitmq, pytest.mark.zookeeper, pytest.mark.slow]
SESSION_TIMEOUT = 4
SNAPSHOT_LBS = "contrail_f5_snapshot_load_balancers"


def set_names(replicas: list[str]) -> dict[str, str]:
    """One F5 set name per replica that rendezvous hashing gives to that replica."""
    chosen: dict[str, str] = {}
    for i in itertools.count():
        name = f"f5-{i}"
        owner = rendezvous_owner(name, replicas)
        if owner is not None and owner not in chosen:
            chosen[owner] = name
        if len(chosen) == len(replicas):
            return chosen
    raise AssertionError("unreachable")


@pytest.fixture
def two_devices() -> Iterator[list[Any]]:
    from emulators.bigip import start

    servers = [start(user=DEVICE_USER, password=DEVICE_PASSWORD) for _ in range(2)]
    yield servers
    for server in servers:
        server.stop()


def served(contrail: Any, reset: bool = False) -> dict[str, dict[str, int]]:
    method = requests.delete if reset else requests.get
    return method(f"{contrail.url}/_emulator/served", timeout=5).json()


def subtree(lb: LoadBalancerIds) -> set[str]:
    """The uuids of a load balancer's whole subtree: what reading it would serve."""
    found = {lb.loadbalancer, lb.vmi, lb.instance_ip}
    for listener in lb.listeners:
        found |= {listener.listener, *listener.members}
        found |= {u for u in (listener.pool, listener.monitor) if u}
    return found


def move_to(vnc: Any, lb_uuid: str, sas_name: str) -> None:
    """Point a load balancer at another set (provider and set ref), as an operator would."""
    lb = vnc.loadbalancer_read(id=lb_uuid)
    sas = vnc.service_appliance_set_read(fq_name=["default-global-system-config", sas_name])
    lb.set_loadbalancer_provider(sas_name)
    lb.set_service_appliance_set(sas)
    vnc.loadbalancer_update(lb)


def web(vnc: Any, topo: Any, name: str, sas: str, member: str) -> LoadBalancerIds:
    pool = PoolSpec("ROUND_ROBIN", [(member, 8080, 1)], monitor=MonitorSpec("TCP"))
    return add_load_balancer(
        vnc, topo, name, listeners=[ListenerSpec("HTTP", 80, pool)], provider=sas
    )


def add_sets(vnc: Any, device_of: dict[str, Any]) -> None:
    """One F5 set per name, on the device given (several names may share one)."""
    for name, server in device_of.items():
        kv = {"address": "127.0.0.1", "port": str(server.port), "user": DEVICE_USER}
        add_appliance_set(vnc, name, {**kv, "password": DEVICE_PASSWORD})


def start_replica(daemon_factory: Any, zookeeper: Any, root: str, replica_id: str) -> Any:
    return daemon_factory(
        resync=300,
        zk_server_ip=zookeeper.hosts,
        zk_root=root,
        zk_session_timeout=SESSION_TIMEOUT,
        replica_id=replica_id,
    )


@contextlib.contextmanager
def zookeeper_client(zookeeper: Any) -> Iterator[KazooClient]:
    zk = KazooClient(zookeeper.hosts)
    zk.start(10)
    try:
        yield zk
    finally:
        zk.stop()
        zk.close()


@contextlib.contextmanager
def beside_a_phantom(zookeeper: Any, daemon_factory: Any, mine: str, theirs: str) -> Iterator[Any]:
    """replica-0, once it owns ``mine``, beside a replica that registers and never takes
    its set ``theirs``: nobody reads or writes that one."""
    root = f"/cfr-{uuid.uuid4().hex[:8]}"
    with zookeeper_client(zookeeper) as zk:
        zk.ensure_path(f"{root}/replicas")
        zk.create(f"{root}/replicas/phantom-", b"{}", ephemeral=True, sequence=True)
        daemon = start_replica(daemon_factory, zookeeper, root, "replica-0")
        wait_until(lambda: owners_in_zookeeper(zk, root, [mine, theirs]) == {mine: "replica-0"})
        yield daemon


def status_written(vnc: Any, lb: LoadBalancerIds) -> bool:
    """Has the daemon written the load balancer's member status? A user's read-modify-write
    of the member racing that write would lose one of the two (Contrail replaces the whole
    property struct): a test changes a member only after it."""
    member = vnc.loadbalancer_member_read(id=lb.listeners[0].members[0])
    return member.get_loadbalancer_member_properties().status == "ACTIVE"


def converged(device: Any, topo: Any, lb: LoadBalancerIds, member: str, weight: int = 1) -> bool:
    members = pool_members(device, f"Contrail_{topo.project}", lb.listeners[0].pool)
    return f"{member}:8080" in members and members[f"{member}:8080"].ratio == weight


def test_a_replica_reads_only_its_own_set_and_sees_a_load_balancer_move_into_it(
    vnc, contrail, two_devices, zookeeper, daemon_factory
) -> None:
    names = set_names(["replica-0", "phantom"])
    mine, theirs = names["replica-0"], names["phantom"]
    topo = seed_topology(vnc, sas_name=None)
    add_sets(vnc, {mine: two_devices[0], theirs: two_devices[1]})
    my_device = two_devices[0]
    ours = web(vnc, topo, "web-ours", mine, "10.2.3.1")
    other = web(vnc, topo, "web-other", theirs, "10.2.3.2")
    mover = web(vnc, topo, "web-mover", theirs, "10.2.3.3")
    served(contrail, reset=True)
    with beside_a_phantom(zookeeper, daemon_factory, mine, theirs) as daemon:
        wait_until(lambda: converged(my_device, topo, ours, "10.2.3.1"), timeout=60)
        read = served(contrail)["whole"]
        assert not {u for u in subtree(other) | subtree(mover) if u in read}, (
            "the replica read objects of a set it does not own"
        )

        # A change to the other set's member reaches us as a notification: it names its
        # pool (fq_name), which we do not hold, so it is not ours — and costs no read at all
        # (``daemon/parked.py``). Our own change, notified after it, still goes through.
        wait_until(lambda: status_written(vnc, ours))
        served_before = served(contrail)
        update_member(vnc, other.listeners[0].members[0], weight=5)
        update_member(vnc, ours.listeners[0].members[0], weight=3)
        wait_until(lambda: converged(my_device, topo, ours, "10.2.3.1", 3))
        wait_until(lambda: daemon.metric_sum("contrail_f5_workqueue_depth") == 0)
        fields_read = {
            u
            for u, n in served(contrail)["fields"].items()
            if n > served_before["fields"].get(u, 0)
        }
        assert not fields_read & (subtree(other) | subtree(mover)), "a foreign member was looked up"

        read = served(contrail)["whole"]
        assert subtree(ours) <= set(read), "the replica's own load balancer was not read whole"
        not_ours = {u: read[u] for u in subtree(other) | subtree(mover) if u in read}
        # the one whole read of the other set's objects is this test's own (update_member)
        theirs_read = {other.listeners[0].members[0]: 1}
        assert not_ours == theirs_read, "the replica read objects of a set it does not own"

        # A load balancer moved into our set is seen, read and placed on our device.
        move_to(vnc, mover.loadbalancer, mine)
        wait_until(lambda: converged(my_device, topo, mover, "10.2.3.3"), timeout=30)
        read = served(contrail)["whole"]
        assert {u: read[u] for u in subtree(other) if u in read} == theirs_read
        assert daemon.metric_sum("contrail_f5_sets_owned") == 1
        assert not writes(two_devices[1]), "a set nobody owns was written"


def test_a_killed_replicas_set_is_taken_over_with_every_change_on_its_device(
    vnc, contrail, two_devices, zookeeper, daemon_factory
) -> None:
    replicas = ["replica-0", "replica-1"]
    names = set_names(replicas)
    topo = seed_topology(vnc, sas_name=None)
    device_of = dict(zip(names.values(), two_devices, strict=True))
    add_sets(vnc, device_of)
    address = {name: f"10.2.3.{10 * n + 1}" for n, name in enumerate(names.values())}
    lbs = {
        name: [web(vnc, topo, f"web-{name}-{i}", name, address[name]) for i in range(4)]
        for name in names.values()
    }
    root = f"/cfr-{uuid.uuid4().hex[:8]}"
    daemons = {r: start_replica(daemon_factory, zookeeper, root, r) for r in replicas}
    with zookeeper_client(zookeeper) as zk:
        wait_until(
            lambda: (
                owners_in_zookeeper(zk, root, list(names.values()))
                == {name: replica for replica, name in names.items()}
            )
        )

        def on_device(name: str, weight: int) -> bool:
            return all(
                converged(device_of[name], topo, lb, address[name], weight) for lb in lbs[name]
            )

        wait_until(lambda: all(on_device(name, 1) for name in names.values()), timeout=60)
        wait_until(lambda: all(status_written(vnc, lb) for ours in lbs.values() for lb in ours))
        victim, survivor = replicas
        gained = names[victim]
        # Each replica holds only its own set's load balancers (partial reads).
        for replica in replicas:
            wait_until(lambda r=replica: daemons[r].metric_sum(SNAPSHOT_LBS) == 4)
        served(contrail, reset=True)
        own_device = device_of[names[survivor]]
        full_reads = f"{own_device.url}/_emulator/counters?prefix=/mgmt/tm/auth/partition"
        requests.delete(full_reads, verify=False, timeout=5)

        for weight in range(2, 8):  # a burst of changes, the victim killed in its middle
            if weight == 4:
                daemons[victim].process.kill()  # kill -9: its session has to expire
            for lb in lbs[gained]:
                update_member(vnc, lb.listeners[0].members[0], weight=weight)
        wait_until(lambda: on_device(gained, 7), timeout=SESSION_TIMEOUT + 30)
        assert owners_in_zookeeper(zk, root, [gained]) == {gained: survivor}
        log = writes(device_of[gained])
        assert_never_two_writers_at_once(log, gained)
        read = served(contrail)["whole"]
        assert all(lb.loadbalancer in read for lb in lbs[gained]), "gained set not read"
        # the survivor reads what it gained, not again what it held (the wait would grow
        # with everything it owns)
        assert not any(lb.loadbalancer in read for lb in lbs[names[survivor]])
        assert on_device(names[survivor], 1)  # the survivor's own set is untouched
        wait_until(lambda: daemons[survivor].metric_sum(SNAPSHOT_LBS) == 8)
        # ... and its device is not read whole again: only the gained set's device is (a
        # full pass of everything a replica holds made each takeover's wait grow with it)
        assert requests.get(full_reads, verify=False, timeout=5).json()["total"] == 0


@dataclass
class DeadOwner:
    """Two replicas each owning a set on its own device; the victim's set holds a load
    balancer to change (``changed``), one beside it in the same project (``neighbour``)
    and one in another project (``elsewhere``). The victim is still alive."""

    zk: KazooClient
    root: str
    gained: str
    device: Any
    topo: Any
    other: Any
    changed: LoadBalancerIds
    neighbour: LoadBalancerIds
    elsewhere: LoadBalancerIds
    victim: Any
    survivor: Any

    def owner_dies_and_a_member_changes(self, vnc: Any) -> None:
        """kill -9 the victim, change ``changed``'s member, and wait until the change is on
        the device and the survivor owns the set."""
        self.victim.process.kill()  # its session has to expire
        update_member(vnc, self.changed.listeners[0].members[0], weight=5)
        wait_until(
            lambda: converged(self.device, self.topo, self.changed, "10.2.3.2", 5),
            timeout=SESSION_TIMEOUT + 20,
        )
        assert owners_in_zookeeper(self.zk, self.root, [self.gained]) == {self.gained: "replica-1"}


@contextlib.contextmanager
def a_set_about_to_lose_its_owner(
    vnc: Any, two_devices: list[Any], zookeeper: Any, daemon_factory: Any
) -> Iterator[DeadOwner]:
    names = set_names(["replica-0", "replica-1"])
    gained, kept_set = names["replica-0"], names["replica-1"]
    topo = seed_topology(vnc, sas_name=None)
    other = seed_topology(
        vnc,
        project="other",
        networks={"external": "10.5.0.0/16", "internal": "10.6.0.0/16"},
        sas_name=None,
    )
    device_of = dict(zip(names.values(), two_devices, strict=True))
    add_sets(vnc, device_of)
    kept = web(vnc, topo, "web-kept", kept_set, "10.2.3.1")
    ours = [
        (web(vnc, topo, "web-changed", gained, "10.2.3.2"), topo, "10.2.3.2"),
        (web(vnc, topo, "web-neighbour", gained, "10.2.3.4"), topo, "10.2.3.4"),
        (web(vnc, other, "web-elsewhere", gained, "10.6.3.3"), other, "10.6.3.3"),
    ]
    root = f"/cfr-{uuid.uuid4().hex[:8]}"
    device = device_of[gained]
    with zookeeper_client(zookeeper) as zk:
        # The victim first, alone: its start-up status writes are over before the survivor
        # listens (their notifications would be changes to look ahead for, too).
        victim = start_replica(daemon_factory, zookeeper, root, "replica-0")
        for lb, project, address in ours:
            wait_until(lambda lb=lb, p=project, a=address: converged(device, p, lb, a), timeout=60)
            wait_until(lambda lb=lb: status_written(vnc, lb))
        survivor = start_replica(daemon_factory, zookeeper, root, "replica-1")
        wait_until(lambda: owners_in_zookeeper(zk, root, [kept_set]) == {kept_set: "replica-1"})
        wait_until(lambda: converged(device_of[kept_set], topo, kept, "10.2.3.1"), timeout=60)
        wait_until(lambda: survivor.metric_sum(SNAPSHOT_LBS) == 1)
        (changed, _, _), (neighbour, _, _), (elsewhere, _, _) = ours
        yield DeadOwner(
            zk, root, gained, device, topo, other, changed, neighbour, elsewhere, victim, survivor
        )


def test_a_change_made_while_its_set_had_no_owner_lands_before_the_device_is_read_whole(
    vnc, contrail, two_devices, zookeeper, daemon_factory
) -> None:
    """A member changed while its replica is dead reaches the device once another replica
    owns the set, after a read of its own partition — not after every partition of the
    device has been read and planned (at 2,000 load balancers per set that was most of a
    takeover's wait). Here another project's partition cannot be read at all meanwhile."""
    with a_set_about_to_lose_its_owner(vnc, two_devices, zookeeper, daemon_factory) as t:
        slow = f"partition eq Contrail_{t.other.project}"
        control(t.device, "faults", {"kind": "hang", "count": None, "seconds": 60, "query": slow})
        try:
            t.owner_dies_and_a_member_changes(vnc)
            assert not [w for w in writes(t.device) if t.other.project in w["path"]]
        finally:
            control(t.device, "faults", {}, method="DELETE")
        # the full pass follows, and leaves the other partition as it was
        update_member(vnc, t.elsewhere.listeners[0].members[0], weight=7)
        wait_until(lambda: converged(t.device, t.other, t.elsewhere, "10.6.3.3", 7), timeout=30)
        assert converged(t.device, t.topo, t.changed, "10.2.3.2", 5)
        assert_never_two_writers_at_once(writes(t.device), t.gained)


def test_a_change_made_while_its_set_had_no_owner_lands_before_the_set_is_read_from_contrail(
    vnc, contrail, two_devices, zookeeper, daemon_factory
) -> None:
    """The survivor reads the project of a member changed while its set had no owner, and
    plans it, before the read of everything the dead replica held (at 2,000 load balancers
    per set, seconds that were most of a takeover's wait once the session had expired).
    Here that read cannot finish at all meanwhile: the change lands all the same, and the
    other project of the gained set is not read ahead."""
    with a_set_about_to_lose_its_owner(vnc, two_devices, zookeeper, daemon_factory) as t:
        # The read of a set's load balancers by their provider hangs from now on.
        hang = {"kind": "hang", "count": None, "seconds": 60}
        control(contrail, "faults", {**hang, "query": "filters=loadbalancer_provider"})
        served(contrail, reset=True)
        try:
            t.owner_dies_and_a_member_changes(vnc)
            assert t.survivor.metric_sum(SNAPSHOT_LBS) == 1, "the gained set's read finished"
            read = served(contrail)["whole"]
            assert t.neighbour.loadbalancer in read  # its project's partition is planned whole
            assert t.elsewhere.loadbalancer not in read
            assert converged(t.device, t.topo, t.neighbour, "10.2.3.4")
        finally:
            control(contrail, "faults", {}, method="DELETE")
        # the read and the full pass follow, and the set's worker goes on from there
        wait_until(lambda: t.survivor.metric_sum(SNAPSHOT_LBS) == 4, timeout=30)
        update_member(vnc, t.elsewhere.listeners[0].members[0], weight=7)
        wait_until(lambda: converged(t.device, t.other, t.elsewhere, "10.6.3.3", 7), timeout=30)
        assert converged(t.device, t.topo, t.changed, "10.2.3.2", 5)
        assert converged(t.device, t.topo, t.neighbour, "10.2.3.4")
        assert_never_two_writers_at_once(writes(t.device), t.gained)


def test_a_replica_reads_the_sets_sharing_its_device_and_keeps_their_vips(
    vnc, contrail, two_devices, zookeeper, daemon_factory
) -> None:
    names = set_names(["replica-0", "phantom"])
    mine, theirs = names["replica-0"], names["phantom"]
    topo = seed_topology(vnc, sas_name=None)
    shared = two_devices[0]
    add_sets(vnc, {mine: shared, theirs: shared})  # two sets, one BIG-IP
    older = web(vnc, topo, "web-theirs", theirs, "10.2.3.2")
    ours = web(vnc, topo, "web-ours", mine, "10.2.3.1")
    set_vip(vnc, ours.loadbalancer, older.vip)  # the other set's (older) load balancer's VIP
    with beside_a_phantom(zookeeper, daemon_factory, mine, theirs) as daemon:
        # The neighbour's load balancer is read, so its claim on the VIP is seen: ours is
        # refused, naming it, and never sent to the device.
        wait_until(lambda: status(vnc, ours.loadbalancer)[0] == "ERROR", timeout=60)
        reason = status(vnc, ours.loadbalancer)[1]
        assert "vip_address" in reason and older.loadbalancer in reason
        assert daemon.metric_sum(SNAPSHOT_LBS) == 2
        assert not virtuals(shared)


def test_a_set_given_up_leaves_no_queue_depth_behind(
    vnc, contrail, two_devices, zookeeper, daemon_factory
) -> None:
    """A replica that hands a set over stops reporting that set's work queue: a depth left
    at its last value would say forever that the replica has work waiting."""
    replicas = ["replica-0", "replica-1"]
    names = set_names(replicas)
    topo = seed_topology(vnc, sas_name=None)
    device_of = dict(zip(names.values(), two_devices, strict=True))
    add_sets(vnc, device_of)
    for n, name in enumerate(names.values()):
        web(vnc, topo, f"web-{name}", name, f"10.2.3.{10 * n + 1}")
    root = f"/cfr-{uuid.uuid4().hex[:8]}"
    first = start_replica(daemon_factory, zookeeper, root, "replica-0")
    with zookeeper_client(zookeeper) as zk:
        wait_until(lambda: len(owners_in_zookeeper(zk, root, list(names.values()))) == 2)
        wait_until(first.ready, timeout=60)
        given = names["replica-1"]
        port = str(device_of[given].port)
        start_replica(daemon_factory, zookeeper, root, "replica-1")
        wait_until(
            lambda: owners_in_zookeeper(zk, root, [given]) == {given: "replica-1"}, timeout=60
        )
        wait_until(lambda: first.metric_sum("contrail_f5_sets_owned") == 1)

        def queues() -> list[str]:
            return [
                dict(labels).get("queue", "")
                for (name, labels) in first.metrics()
                if name == "contrail_f5_workqueue_depth"
            ]

        wait_until(lambda: not [q for q in queues() if given in q or port in q], timeout=30)
