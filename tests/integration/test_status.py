"""Status written back to Contrail never undoes what a user changed meanwhile."""

from __future__ import annotations

from emulators.contrail.topology import ListenerSpec, PoolSpec, add_load_balancer
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
