"""A notification's change merged into the snapshot says what a fresh read of the whole of
Contrail says — with one GET for the changed object, a second only for what it newly
links to (``contrail/changes.py``). The daemon's per-change read depends on it."""

from __future__ import annotations

from typing import Any

import requests
from vnc_api.gen.resource_client import (
    LoadbalancerHealthmonitor,
    LoadbalancerListener,
    LoadbalancerMember,
    LoadbalancerPool,
)
from vnc_api.gen.resource_xsd import (
    LoadbalancerHealthmonitorType,
    LoadbalancerListenerType,
    LoadbalancerMemberType,
    LoadbalancerPoolType,
)

from emulators.contrail.topology import ListenerSpec, MonitorSpec, PoolSpec, add_load_balancer
from reconciler.contrail.changes import Change
from reconciler.contrail.reader import ContrailReader
from reconciler.model.contrail import ContrailSnapshot, Links
from tests.daemon.conftest import update_member

MAPS = ("load_balancers", "listeners", "pools", "members", "monitors", "ports")


def _links(links: Links) -> tuple[dict[str, list[str]], ...]:
    return tuple(
        {k: sorted(v) for k, v in m.items() if v}
        for m in (links.listeners_of, links.pools_of, links.members_of)
    )


class Merger:
    """Merges changes into a snapshot as the daemon does, counting the GETs each costs."""

    def __init__(self, contrail: Any, vnc: Any) -> None:
        self.url = f"{contrail.url}/_emulator/counters"
        self.reader = ContrailReader(vnc)
        self.snapshot = self.reader.read()

    def merge(self, kind: str, uuid: str) -> int:
        requests.delete(self.url, timeout=5)
        self.snapshot = self.reader.read_changes({Change(kind, uuid)}, self.snapshot)
        gets = requests.get(self.url, timeout=5).json()["by_verb"].get("GET", 0)
        self.assert_fresh()
        return gets

    def assert_fresh(self) -> None:
        fresh: ContrailSnapshot = self.reader.read()
        for name in MAPS:
            assert dict(getattr(self.snapshot, name)) == dict(getattr(fresh, name)), name
        assert _links(self.snapshot.links()) == _links(fresh.links())


def test_each_change_merged_is_what_a_fresh_read_says(bigip, contrail, vnc, topo) -> None:
    pool = PoolSpec(members=[("10.2.3.1", 80, 1), ("10.2.3.2", 80, 1)], monitor=MonitorSpec())
    ids = add_load_balancer(vnc, topo, "web", listeners=[ListenerSpec("HTTP", 80, pool=pool)])
    web = ids.listeners[0]
    merger = Merger(contrail, vnc)

    update_member(vnc, web.members[0], weight=5)
    assert merger.merge("loadbalancer_member", web.members[0]) == 1

    vnc.loadbalancer_member_delete(id=web.members[1])
    assert merger.merge("loadbalancer_member", web.members[1]) == 1

    lb = vnc.loadbalancer_read(id=ids.loadbalancer)
    lb.set_display_name("renamed")
    vnc.loadbalancer_update(lb)
    assert merger.merge("loadbalancer", ids.loadbalancer) == 1

    # A monitor made before the pool that names it: its CREATE is not followed, the pool's
    # update brings it (a second read).
    project = vnc.project_read(id=topo.project)
    hm = LoadbalancerHealthmonitor(
        "tcp-check",
        parent_obj=project,
        loadbalancer_healthmonitor_properties=LoadbalancerHealthmonitorType(
            admin_state=True, monitor_type="TCP", delay=3, timeout=3, max_retries=2
        ),
    )
    vnc.loadbalancer_healthmonitor_create(hm)
    pool_obj = vnc.loadbalancer_pool_read(id=web.pool)
    pool_obj.add_loadbalancer_healthmonitor(hm)
    vnc.loadbalancer_pool_update(pool_obj)
    assert merger.merge("loadbalancer_pool", web.pool) == 2

    # The pool moves to a second listener of the same load balancer.
    listener = LoadbalancerListener(
        "second",
        parent_obj=project,
        loadbalancer_listener_properties=LoadbalancerListenerType(
            protocol="HTTP", protocol_port=8080, admin_state=True
        ),
    )
    listener.set_loadbalancer(vnc.loadbalancer_read(id=ids.loadbalancer))
    vnc.loadbalancer_listener_create(listener)
    assert merger.merge("loadbalancer_listener", listener.uuid) == 1
    pool_obj = vnc.loadbalancer_pool_read(id=web.pool)
    pool_obj.set_loadbalancer_listener(listener)
    vnc.loadbalancer_pool_update(pool_obj)
    assert merger.merge("loadbalancer_pool", web.pool) == 1

    vnc.loadbalancer_listener_delete(id=web.listener)
    assert merger.merge("loadbalancer_listener", web.listener) == 1

    # A pool the snapshot has not seen, with a member made before its notification is read:
    # the pool and its members (a second read).
    new_pool = LoadbalancerPool(
        "third",
        parent_obj=project,
        loadbalancer_pool_properties=LoadbalancerPoolType(
            protocol="HTTP", loadbalancer_method="ROUND_ROBIN", admin_state=True
        ),
    )
    new_pool.set_loadbalancer_listener(listener)
    vnc.loadbalancer_pool_create(new_pool)
    member = LoadbalancerMember(
        "m",
        parent_obj=new_pool,
        loadbalancer_member_properties=LoadbalancerMemberType(
            address="10.2.3.9", protocol_port=80, weight=1, admin_state=True
        ),
    )
    vnc.loadbalancer_member_create(member)
    assert merger.merge("loadbalancer_pool", new_pool.uuid) == 2
    assert merger.merge("loadbalancer_member", member.uuid) == 1


def test_a_status_echo_is_read_in_one_call_per_kind(bigip, contrail, vnc, topo) -> None:
    """Our own status write-back comes back as a notification per object: the load
    balancer's members changed together are read in one listing, not one GET each (a
    dozen round trips per load balancer kept a replica's change queue full for many
    minutes after a cold start on a busy API server)."""
    members = [(f"10.2.3.{i}", 80, 1) for i in range(1, 11)]
    ids = add_load_balancer(
        vnc, topo, "web", listeners=[ListenerSpec("HTTP", 80, pool=PoolSpec(members=members))]
    )
    web = ids.listeners[0]
    merger = Merger(contrail, vnc)
    for n, member in enumerate(web.members):
        update_member(vnc, member, weight=n + 2)
    vnc.loadbalancer_member_delete(id=web.members[0])  # gone before it is read
    changes = {Change("loadbalancer_member", m) for m in web.members}
    changes |= {Change("loadbalancer_pool", web.pool), Change("loadbalancer", ids.loadbalancer)}
    requests.delete(merger.url, timeout=5)
    merger.snapshot = merger.reader.read_changes(changes, merger.snapshot)
    calls = requests.get(merger.url, timeout=5).json()["by_verb"]
    # the members' listing, the pool, the load balancer, and the deleted member's own read
    assert sum(calls.values()) == 4, calls
    merger.assert_fresh()
