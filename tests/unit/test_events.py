"""Notification → load balancers to reconcile (pure)."""

from __future__ import annotations

from reconciler.daemon.events import FULL_RESYNC, Index, keys_for
from reconciler.model.values import FrozenDict
from tests.unit.builders import World


def world_and_index():
    world = World()
    port = world.port("10.1.1.10")
    lb = world.lb(vmi_uuids=(port.uuid,))
    listener = world.listener(lb)
    pool = world.pool(listener)
    pod = world.port("10.47.0.5")
    member = world.member(pool, None, annotations=FrozenDict({"vmi": pod.uuid}))
    hm = world.monitor(pool)
    other = world.lb()
    return world, Index.of(world.snapshot()), locals()


def event(kind: str, uuid: str, oper: str = "UPDATE", **obj) -> dict:
    return {
        "oper": oper,
        "type": kind,
        "uuid": uuid,
        "fq_name": obj.pop("fq_name", []),
        "obj_dict": obj or None,
    }


def test_changes_under_a_load_balancer_map_to_it_alone() -> None:
    world, index, o = world_and_index()
    lb = o["lb"].uuid
    assert keys_for(event("loadbalancer_member", o["member"].uuid), index) == {lb}
    assert keys_for(event("loadbalancer_pool", o["pool"].uuid), index) == {lb}
    assert keys_for(event("loadbalancer_listener", o["listener"].uuid), index) == {lb}
    assert keys_for(event("loadbalancer_healthmonitor", o["hm"].uuid), index) == {lb}
    assert keys_for(event("virtual_machine_interface", o["port"].uuid), index) == {lb}
    assert keys_for(event("virtual_machine_interface", o["pod"].uuid), index) == {lb}
    assert keys_for(event("loadbalancer", o["other"].uuid), index) == {o["other"].uuid}


def test_a_new_member_maps_through_its_parent_pool() -> None:
    world, index, o = world_and_index()
    created = event("loadbalancer_member", "new-member", "CREATE", parent_uuid=o["pool"].uuid)
    assert keys_for(created, index) == {o["lb"].uuid}


def test_a_new_listener_maps_through_its_refs_and_a_new_iip_through_its_port() -> None:
    world, index, o = world_and_index()
    created = event(
        "loadbalancer_listener", "new", "CREATE", loadbalancer_refs=[{"uuid": "lb-x", "to": []}]
    )
    assert keys_for(created, index) == {"lb-x"}
    iip = event(
        "instance_ip", "iip-new", "CREATE", virtual_machine_interface_refs=[{"uuid": o["pod"].uuid}]
    )
    assert keys_for(iip, index) == {o["lb"].uuid}


def test_appliance_set_changes_resync_everything_and_unrelated_objects_nothing() -> None:
    _world, index, _o = world_and_index()
    assert keys_for(event("service_appliance_set", "sas"), index) == {FULL_RESYNC}
    assert keys_for(event("service_appliance", "sa"), index) == {FULL_RESYNC}
    assert keys_for(event("virtual_network", "vn"), index) == set()
    assert keys_for(event("virtual_machine_interface", "some-vm-port"), index) == set()


def test_an_update_of_an_unknown_pool_falls_back_to_a_full_resync() -> None:
    _world, index, _o = world_and_index()
    assert keys_for(event("loadbalancer_pool", "never-seen"), index) == {FULL_RESYNC}


def test_malformed_notifications_never_raise() -> None:
    _world, index, _o = world_and_index()
    odd = [
        {"type": "loadbalancer_member", "uuid": ["x"], "oper": "UPDATE"},
        {"type": "loadbalancer_member", "uuid": "m", "obj_dict": "text", "oper": "CREATE"},
        {"type": "loadbalancer_member", "uuid": "m", "obj_dict": {"parent_uuid": 7}, "fq_name": 3},
        {"type": "loadbalancer_listener", "uuid": "l", "obj_dict": {"loadbalancer_refs": "x"}},
        {"type": "loadbalancer", "uuid": None},
        {"type": None},
    ]
    for event in odd:
        assert keys_for(event, index) <= {FULL_RESYNC}


def test_refs_given_by_fq_name_only_still_reach_the_load_balancer() -> None:
    """R2005 publishes a CREATE as the client sent it: a ref by fq_name has no uuid. Such a
    floating IP on the VIP port (or listener, or pool) is not dropped as 'not ours': the
    daemon looks at everything."""
    _world, index, _o = world_and_index()
    by_name = [{"to": ["default-domain", "demo", "vip-port"]}]
    fip = event("floating_ip", "fip-1", "CREATE", virtual_machine_interface_refs=by_name)
    assert keys_for(fip, index) == {FULL_RESYNC}
    listener = event("loadbalancer_listener", "l-1", "CREATE", loadbalancer_refs=by_name)
    assert keys_for(listener, index) == {FULL_RESYNC}
