"""Status written back to Contrail never undoes what a user changed meanwhile."""

from __future__ import annotations

import logging

import structlog
import structlog.testing

from emulators.contrail.topology import (
    ListenerSpec,
    PoolSpec,
    add_load_balancer,
    delete_load_balancer,
)
from reconciler.contrail.reader import ContrailReader
from reconciler.contrail.status import write_status
from reconciler.plan.status import plan_status


def test_a_status_write_keeps_a_weight_changed_after_our_read(vnc, topo) -> None:
    pool = PoolSpec("ROUND_ROBIN", members=[("10.2.6.1", 80, 1)])
    ids = add_load_balancer(vnc, topo, "web", listeners=[ListenerSpec("TCP", 80, pool=pool)])
    snapshot = ContrailReader(vnc).read()  # what the pass saw

    member = vnc.loadbalancer_member_read(id=ids.listeners[0].members[0])
    props = member.get_loadbalancer_member_properties()
    props.weight = 7  # a user's edit after our read
    member.set_loadbalancer_member_properties(props)
    vnc.loadbalancer_member_update(member)

    updates = plan_status(snapshot, {ids.loadbalancer: None})
    assert any(u.type == "loadbalancer-member" for u in updates)
    assert write_status(vnc, snapshot, updates) == []
    after = vnc.loadbalancer_member_read(id=member.uuid).get_loadbalancer_member_properties()
    assert (after.status, after.weight) == ("ACTIVE", 7)


def test_a_load_balancer_deleted_after_our_read_is_skipped_quietly(vnc, topo) -> None:
    """A status write that finds its object gone (404, ``Unknown id``) means the load
    balancer was deleted since the snapshot: no failure, no warning, one debug line."""
    pool = PoolSpec("ROUND_ROBIN", members=[("10.2.6.2", 80, 1)])
    gone = add_load_balancer(vnc, topo, "gone", listeners=[ListenerSpec("TCP", 80, pool=pool)])
    kept = add_load_balancer(vnc, topo, "kept", listeners=[ListenerSpec("TCP", 81, pool=pool)])
    snapshot = ContrailReader(vnc).read()
    delete_load_balancer(vnc, gone)

    updates = plan_status(snapshot, {gone.loadbalancer: None, kept.loadbalancer: None})
    assert {u.type for u in updates} == {"loadbalancer", "loadbalancer-pool", "loadbalancer-member"}
    level = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with structlog.testing.capture_logs() as logged:
            assert write_status(vnc, snapshot, updates) == []
    finally:
        structlog.configure(wrapper_class=level)
    assert not [e for e in logged if e["log_level"] != "debug"], logged
    skipped = [e for e in logged if e["event"].startswith("statuses not written")]
    assert sorted(u for e in skipped for u in e["objects"]) == sorted(
        [gone.loadbalancer, gone.listeners[0].pool, *gone.listeners[0].members]
    )
    status = vnc.loadbalancer_read(id=kept.loadbalancer).get_loadbalancer_properties().status
    assert status == "ACTIVE"
