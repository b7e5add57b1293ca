"""Statuses a pass writes: from the statuses the snapshot read (a load balancer's fields,
not a second copy of its property struct), where they differ; an initial sync writes each
load balancer's once, as soon as it is on the device, with the operating status the device
will most likely report, and again at the end only where the device's answer differs."""

from __future__ import annotations

from dataclasses import replace

from reconciler.plan.status import expected_operating, plan_status
from tests.unit.builders import World


def test_the_expected_operating_status_follows_the_health_monitors() -> None:
    world = World()
    watched, _listener, _pool = world.service()  # an HTTP health monitor
    unwatched, _listener, pool = world.service()
    world.pools[pool.uuid] = replace(world.pools[pool.uuid], monitor_uuids=())
    snapshot = world.snapshot()
    assert expected_operating(snapshot, [watched.uuid, unwatched.uuid]) == {
        watched.uuid: "ONLINE",
        unwatched.uuid: "NO_MONITOR",
    }


def test_a_status_written_early_is_written_again_only_where_the_device_differs() -> None:
    world = World()
    up, _listener, _pool = world.service()
    down, _listener, _pool = world.service()
    snapshot = world.snapshot()
    lbs = {up.uuid: None, down.uuid: None}
    early = plan_status(snapshot, lbs, {up.uuid: "ONLINE", down.uuid: "ONLINE"})
    assert {u.uuid for u in early if u.type == "loadbalancer"} == {up.uuid, down.uuid}
    written = {u.uuid: u.values for u in early}
    final = plan_status(snapshot, lbs, {up.uuid: "ONLINE", down.uuid: "OFFLINE"}, written=written)
    assert [(u.type, u.uuid) for u in final] == [("loadbalancer", down.uuid)]


def test_an_error_found_after_the_early_write_is_written() -> None:
    """A load balancer on the device whose VIP route then failed: ACTIVE was written early;
    the ERROR is written even where Contrail held that very ERROR before the pass."""
    world = World()
    lb, _listener, pool = world.service(members=1)
    snapshot = world.snapshot()
    early = plan_status(snapshot, {lb.uuid: None}, {lb.uuid: "ONLINE"})
    written = {u.uuid: u.values for u in early}
    final = plan_status(snapshot, {lb.uuid: "route refused"}, written=written)
    assert {u.type for u in final} == {"loadbalancer", "loadbalancer-pool", "loadbalancer-member"}


def test_a_load_balancer_already_showing_its_status_is_not_written_again() -> None:
    world = World()
    lb = world.lb()
    shown = replace(lb, provisioning_status="ACTIVE", operating_status="ONLINE", status="ACTIVE")
    world.lbs[lb.uuid] = shown
    assert plan_status(world.snapshot(), {lb.uuid: None}, types=frozenset({"loadbalancer"})) == []
    world.lbs[lb.uuid] = replace(shown, status="the device refused it")  # an old reason
    updates = plan_status(world.snapshot(), {lb.uuid: None}, types=frozenset({"loadbalancer"}))
    assert [(u.type, dict(u.values)) for u in updates] == [
        (
            "loadbalancer",
            {"provisioning_status": "ACTIVE", "operating_status": "ONLINE", "status": "ACTIVE"},
        )
    ]


def test_a_load_balancers_properties_as_read_come_back_from_its_fields() -> None:
    world = World()
    lb = replace(world.lb(vip="10.1.1.10"), provisioning_status="ACTIVE", status="ACTIVE")
    assert lb.properties() == {
        "status": "ACTIVE",
        "provisioning_status": "ACTIVE",
        "operating_status": None,
        "vip_subnet_id": None,
        "vip_address": "10.1.1.10",
        "admin_state": True,
    }
    assert world.lb(vip=None).properties() == {}  # no struct was read


def test_a_members_fq_name_is_its_pools_and_its_name() -> None:
    from reconciler.model.contrail import member_fq_name

    world = World()
    pool = replace(world.pool(world.listener(world.lb())), fq_name=("d", "p", "pool"))
    member = world.member(pool, "10.0.0.1")
    assert member_fq_name(member, pool) == ("d", "p", "pool", member.name)
    assert member_fq_name(member, None) == ()
