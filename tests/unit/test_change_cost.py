"""A one-load-balancer reconcile costs that load balancer's neighbourhood, not the cloud
(issue 25): planning a change — conflicts, translate, diff, the set's VIP routes — looks up
the load balancers on its addresses and the device objects on its VIP, and never walks every
load balancer, member or live virtual. At 10,000 load balancers such walks cost more than
the change itself; here every big map counts the walks made over it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from reconciler.model.bigip import ObjectSet
from reconciler.model.contrail import ContrailSnapshot, Port, Route, RouteTable
from reconciler.model.values import FrozenDict
from reconciler.naming import MANAGED_BY
from reconciler.plan.conflicts import standing_on
from reconciler.plan.diff import DeleteGuard
from reconciler.plan.routes import route_neighbourhood
from reconciler.reconcile import Allocations, Observed, Request, RouteContext, plan_set
from reconciler.translate.desired import Options, translate
from tests.unit.builders import World, f5_set

LBS = 40
TABLE = ("default-domain", "demo", "Contrail_vip_routes_f5")


class Walked(AssertionError):
    pass


class WatchedDict(FrozenDict[str, Any]):
    """A snapshot map that fails the test when walked once armed (lookups are fine)."""

    armed = False

    def _walk(self) -> None:
        if self.armed:
            raise Walked(f"walked all {len(self)} entries")

    def __iter__(self) -> Any:
        self._walk()
        return super().__iter__()

    def keys(self) -> Any:
        self._walk()
        return super().keys()

    def values(self) -> Any:
        self._walk()
        return super().values()

    def items(self) -> Any:
        self._walk()
        return super().items()


class WatchedLive(ObjectSet):
    """A device's live state that fails the test when walked once armed."""

    armed = False

    def _walk(self) -> None:
        if self.armed:
            raise Walked(f"walked all {len(self)} live objects")

    def __iter__(self) -> Any:
        self._walk()
        return super().__iter__()

    def items(self) -> Any:
        self._walk()
        return super().items()

    def values(self) -> Any:
        self._walk()
        return super().values()

    def of_kind(self, kind: str) -> Any:
        self._walk()
        return super().of_kind(kind)


def cloud() -> tuple[World, list[str]]:
    """LBS load balancers of one set routing their VIPs through a vLTM's interface table."""
    world = World()
    world.sets["sas-f5"] = f5_set(external_vmi="vmi-ext")
    world.ports["vmi-ext"] = Port("vmi-ext", "ext", (), (), (), ("default-domain", "demo", "ext"))
    lbs = []
    for i in range(LBS):
        lb = world.lb(vip=f"10.1.{i // 200}.{i % 200 + 10}")
        pool = world.pool(world.listener(lb, port=80))
        world.member(pool, f"10.2.{i // 200}.{i % 200 + 10}")
        lbs.append(lb.uuid)
    return world, lbs


def watched(world: World, table: tuple[str, ...]) -> ContrailSnapshot:
    routes = tuple(Route(p) for p in table)
    rt = RouteTable(
        "rt-1", "interface", TABLE[-1], TABLE, routes, ("vmi-ext",), FrozenDict([MANAGED_BY])
    )
    snapshot = replace(world.snapshot(), route_tables=FrozenDict({"rt-1": rt}))
    return replace(
        snapshot,
        **{
            name: WatchedDict(getattr(snapshot, name))
            for name in ("load_balancers", "listeners", "pools", "members", "ports")
        },
    )


def rewatch(snapshot: ContrailSnapshot) -> ContrailSnapshot:
    """The snapshot after a change (whose maps ``with_object`` made anew), watched again,
    with its links and VIP index made as the daemon carries them from change to change."""
    snapshot = replace(
        snapshot,
        **{
            name: WatchedDict(getattr(snapshot, name))
            for name in ("load_balancers", "listeners", "pools", "members", "ports")
        },
    )
    snapshot.links(), snapshot.vips()
    return snapshot


def arm(snapshot: ContrailSnapshot, live: WatchedLive, on: bool) -> None:
    for name in ("load_balancers", "listeners", "pools", "members", "ports"):
        getattr(snapshot, name).armed = on
    live.armed = on


def one_lb_plan(
    world: World,
    snapshot: ContrailSnapshot,
    live: WatchedLive,
    lb: str,
    routed: dict[str, tuple[str, ...]],
) -> Any:
    """A one-load-balancer pass as the daemon's device worker plans it, every load
    balancer live on the device so far."""
    settings = world.settings
    only, near = route_neighbourhood(snapshot, {lb}, routed)
    routes = RouteContext({u: None for u in sorted(near)}, {}, only)
    guard = DeleteGuard(contrail_empty=False)
    request = Request(snapshot, settings, Options(), guard, lbs=frozenset({lb}), routes=routes)
    observed = Observed(devices=settings.devices, lives={settings.devices[0].name: live})
    return plan_set(request, observed, Allocations())


@pytest.fixture()
def live_cloud() -> tuple[World, list[str], ContrailSnapshot, WatchedLive]:
    world, lbs = cloud()
    snapshot = watched(world, tuple(f"10.1.0.{i + 10}/32" for i in range(LBS)))
    live = WatchedLive(translate(snapshot, world.settings, Options()).objects.values())
    # What the daemon has made once (on its full read) and carries from change to change
    snapshot.links(), snapshot.vips(), live.by(standing_on), live.in_partitions({"warm"})
    return world, lbs, snapshot, live


def test_a_member_change_plans_its_load_balancer_without_walking_the_cloud(live_cloud) -> None:
    world, lbs, snapshot, live = live_cloud
    lb = lbs[7]
    member = next(m for m in world.members.values() if m.address == "10.2.0.17")
    world.members[member.uuid] = replace(member, weight=5)
    changed = snapshot.with_object("members", member.uuid, world.members[member.uuid])
    changed = rewatch(changed)
    arm(changed, live, True)
    try:
        set_plan = one_lb_plan(world, changed, live, lb, {})
    finally:
        arm(changed, live, False)
    (ops,) = [d.operations for d in set_plan.plan.devices]
    assert {op.action for op in ops} == {"update"}
    (member_op,) = [op for op in ops if op.obj.kind == "ltm/pool/members"]
    assert member_op.obj.name.startswith("10.2.0.17")
    assert {op.obj.kind for op in ops} <= {"ltm/pool", "ltm/pool/members"}  # ratio mode
    assert set_plan.plan.contrail == ()  # its route is in the table already


def test_a_moved_vip_takes_its_old_route_out_and_leaves_the_others(live_cloud) -> None:
    world, lbs, snapshot, live = live_cloud
    lb = world.lbs[lbs[3]]
    moved = snapshot.with_object("load_balancers", lb.uuid, replace(lb, vip_address="10.1.9.99"))
    moved = rewatch(moved)
    arm(moved, live, True)
    try:
        set_plan = one_lb_plan(world, moved, live, lb.uuid, {lb.uuid: ("10.1.0.13/32",)})
    finally:
        arm(moved, live, False)
    (update,) = set_plan.plan.contrail
    routes = update.fields["routes"]
    assert "10.1.9.99/32" in routes and "10.1.0.13/32" not in routes
    assert len(routes) == LBS  # every other load balancer's route kept as it is
    assert update.lbs == {lb.uuid}  # the new route goes only once it is on the device


def test_a_vip_another_load_balancer_still_routes_stays(live_cloud) -> None:
    """Two load balancers on one VIP (one of them refused): the route stays while one of
    them is live there, whichever of them changes."""
    world, lbs, snapshot, live = live_cloud
    twin = world.lbs[lbs[5]]
    other = world.lbs[lbs[6]]
    moved = snapshot.with_object(
        "load_balancers", other.uuid, replace(other, vip_address=twin.vip_address)
    )
    moved = rewatch(moved)
    arm(moved, live, True)
    try:
        set_plan = one_lb_plan(world, moved, live, other.uuid, {other.uuid: ("10.1.0.16/32",)})
    finally:
        arm(moved, live, False)
    (update,) = set_plan.plan.contrail
    assert "10.1.0.15/32" in update.fields["routes"]
    assert "10.1.0.16/32" not in update.fields["routes"]
