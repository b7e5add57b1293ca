"""Statuses an initial sync writes: each load balancer's once, as soon as it is on the
device, with the operating status the device will most likely report; again at the end
only where the device's answer differs from what was written."""

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
