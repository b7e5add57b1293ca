"""One node per address and route domain on a device: which load balancer keeps a member
address that several projects want (pure: ``plan.conflicts``)."""

from __future__ import annotations

from reconciler.model.bigip import BigIPObject, ObjectSet
from reconciler.naming import Naming
from reconciler.plan.conflicts import MEMBER_FIELD, SetScope, find_conflicts
from tests.unit.builders import World

PROJECTS = ("0a0a0a0a-0000-4000-8000-00000000000a", "0b0b0b0b-0000-4000-8000-00000000000b")


def _world(created: tuple[str, str] = ("2020", "2021")) -> tuple[World, list[str]]:
    world = World()
    lbs = []
    for n, (project, when) in enumerate(zip(PROJECTS, created, strict=True)):
        lb = world.lb(vip=f"10.1.1.{10 + n}", project_uuid=project, created=when)
        pool = world.pool(world.listener(lb))
        world.member(pool, "10.2.0.5")
        lbs.append(lb.uuid)
    return world, lbs


def _conflicts(world: World, l3: bool = False, live: ObjectSet | None = None) -> dict:
    snapshot = world.snapshot()
    scope = {uuid: SetScope("f5", l3) for uuid in snapshot.load_balancers}
    return find_conflicts(snapshot, scope, "f5", [live or ObjectSet()], Naming("Contrail"))


def test_in_route_domain_0_the_oldest_project_keeps_the_address() -> None:
    world, (older, newer) = _world()
    rejected = _conflicts(world)
    assert set(rejected) == {newer}
    error = rejected[newer]
    assert error.field == MEMBER_FIELD and error.code == "conflict"
    assert "10.2.0.5" in str(error) and older in str(error) and "L3 mode" in str(error)


def test_the_project_whose_partition_holds_the_node_keeps_it() -> None:
    world, (older, newer) = _world()
    node = BigIPObject.make(
        "ltm/node",
        f"Contrail_{PROJECTS[1]}",
        "10.2.0.5",
        {"address": "10.2.0.5", "description": None},
    )
    rejected = _conflicts(world, live=ObjectSet([node]))
    assert set(rejected) == {older}
    assert "its node is on the device" in str(rejected[older])


def test_members_of_one_project_share_their_node_and_l3_mode_separates_projects() -> None:
    world, _lbs = _world()
    assert _conflicts(world, l3=True) == {}  # a route domain per project: two addresses
    same = World()
    for n in range(2):
        pool = same.pool(same.listener(same.lb(vip=f"10.1.1.{10 + n}")))
        same.member(pool, "10.2.0.5")
    assert _conflicts(same) == {}
