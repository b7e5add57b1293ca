"""Diff (pure): ownership, holds, order, immutable fields, the deletion guard."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from reconciler.model.bigip import BigIPObject, ObjectSet
from reconciler.naming import NODE_DESCRIPTION
from reconciler.plan.diff import DeleteGuard, diff
from reconciler.plan.model import DevicePlan
from reconciler.translate.desired import Desired, Options, translate
from tests.unit.builders import PROJECT, World

P = f"Contrail_{PROJECT}"


def desired_of(world: World) -> Desired:
    return translate(world.snapshot(), world.settings, Options())


def plan(desired: Desired, live: ObjectSet, **guard) -> DevicePlan:
    return diff(desired, live, "bigip1", "10.0.0.1:443", "Contrail", DeleteGuard(**guard))


def with_device_made_nodes(objects: Iterable[BigIPObject]) -> ObjectSet:
    """A live state as a device holds it: each member's node, made by the device."""
    objects = list(objects)
    nodes = {
        (o.partition, o.name.rpartition(":")[0]) for o in objects if o.kind == "ltm/pool/members"
    }
    made = [
        BigIPObject.make("ltm/node", p, n, {"address": n, "description": None}) for p, n in nodes
    ]
    return ObjectSet([*objects, *made])


def actions(device_plan: DevicePlan) -> list[tuple[str, str, str]]:
    return [(op.action, op.obj.kind, op.obj.name) for op in device_plan.operations]


def test_empty_device_gets_every_object_in_dependency_order() -> None:
    world = World()
    world.service(members=2)
    ops = plan(desired_of(world), ObjectSet())
    kinds = [kind for _action, kind, _name in actions(ops)]
    assert kinds == [
        "sys/folder",
        "ltm/monitor/http",
        "ltm/pool",  # with its members inline: one write; the device makes their nodes
        "ltm/virtual-address",
        "ltm/virtual",
    ]
    (pool,) = [op for op in ops.operations if op.obj.kind == "ltm/pool"]
    assert [m.kind for m in pool.children] == ["ltm/pool/members"] * 2


def test_identical_live_state_gives_an_empty_plan() -> None:
    world = World()
    world.service()
    desired = desired_of(world)
    assert plan(desired, ObjectSet(desired.objects.values())).operations == ()


def test_one_changed_field_is_one_update_with_old_and_new() -> None:
    world = World()
    _lb, _listener, pool = world.service()
    live = ObjectSet(desired_of(world).objects.values())
    world.pools[pool.uuid] = replace(pool, method="LEAST_CONNECTIONS")
    ops = plan(desired_of(world), live).operations
    assert len(ops) == 1 and ops[0].action == "update"
    change = ops[0].changes[0]
    assert (change.name, change.old, change.new) == (
        "loadBalancingMode",
        "round-robin",
        "least-connections-member",
    )
    assert ops[0].source and ops[0].source.uuid == pool.uuid


def test_deleted_contrail_objects_are_deleted_in_reverse_order() -> None:
    world = World()
    gone, _listener, pool = world.service()
    world.member(pool, "10.3.0.1")  # a node only this load balancer uses
    world.service()
    live = with_device_made_nodes(desired_of(world).objects.values())
    del world.lbs[gone.uuid]
    ops = plan(desired_of(world), live).operations
    assert {op.action for op in ops} == {"delete"}
    kinds = [op.obj.kind for op in ops]
    assert kinds == [
        "ltm/virtual",
        "ltm/virtual-address",
        "ltm/pool",  # its members go with it: no delete per member
        "ltm/node",
        "ltm/monitor/http",
    ]
    assert [op.obj.name for op in ops if op.obj.kind == "ltm/node"] == ["10.3.0.1"]
    assert f"Contrail_{gone.uuid}" in {op.obj.name for op in ops}
    assert "sys/folder" not in kinds  # the partition still serves the other load balancer


def test_foreign_objects_in_our_partition_are_reported_never_touched() -> None:
    world = World()
    world.service()
    desired = desired_of(world)
    foreign = [
        BigIPObject.make("ltm/virtual", P, "handmade_vs", {"destination": f"/{P}/1.1.1.1:80"}),
        BigIPObject.make("ltm/pool", P, "handmade_pool", {"loadBalancingMode": "round-robin"}),
        BigIPObject.make("ltm/node", P, "10.9.9.9", {"address": "10.9.9.9", "description": None}),
    ]
    ops = plan(desired, ObjectSet([*desired.objects.values(), *foreign]))
    assert ops.operations == ()  # the unused node too: no member of ours freed it
    assert {o.name for o in ops.foreign} == {"handmade_vs", "handmade_pool"}


def test_objects_outside_our_partitions_are_never_ours() -> None:
    world = World()
    desired = desired_of(world)
    common = BigIPObject.make("ltm/pool", "Common", "Contrail_lookalike", {})
    assert plan(desired, ObjectSet([common])).operations == ()


def test_held_objects_of_a_broken_load_balancer_are_neither_updated_nor_deleted() -> None:
    world = World()
    lb, _listener, pool = world.service()
    live = ObjectSet(desired_of(world).objects.values())
    world.lbs[lb.uuid] = replace(lb, vip_address="bad")  # now broken
    world.pools[pool.uuid] = replace(pool, method="LEAST_CONNECTIONS")
    desired = desired_of(world)
    assert desired.errors
    assert plan(desired, live).operations == ()


def test_virtual_address_change_replaces_it_and_its_virtuals() -> None:
    world = World()
    lb, _listener, _pool = world.service()
    live = ObjectSet(desired_of(world).objects.values())
    world.lbs[lb.uuid] = replace(lb, vip_address="10.1.1.99")
    ops = actions(plan(desired_of(world), live))
    va, vs = f"Contrail_{lb.uuid}", next(n for _a, k, n in ops if k == "ltm/virtual")
    assert ops == [
        ("delete", "ltm/virtual", vs),
        ("delete", "ltm/virtual-address", va),
        ("create", "ltm/virtual-address", va),
        ("create", "ltm/virtual", vs),
    ]


def test_a_node_still_used_by_a_foreign_member_is_kept() -> None:
    world = World()
    _lb, _listener, pool = world.service(members=1)
    live = list(desired_of(world).objects.values())
    foreign_member = BigIPObject.make(
        "ltm/pool/members", P, "10.2.0.1:9999", {"ratio": 1}, parent="handmade_pool"
    )
    world.members.clear()
    ops = plan(desired_of(world), ObjectSet([*live, foreign_member]))
    assert ("delete", "ltm/pool/members", "10.2.0.1:8080") in actions(ops)
    assert not [a for a in actions(ops) if a[1] == "ltm/node"]


def test_empty_contrail_read_deletes_nothing() -> None:
    world = World()
    world.service()
    live = ObjectSet(desired_of(world).objects.values())
    world.lbs.clear()
    ops = plan(desired_of(world), live, contrail_empty=True)
    assert ops.operations == () and ops.refused and "no load balancer" in ops.guard
    assert f"refusing {len(ops.refused)} deletes" in ops.guard  # the count it lists


def test_an_empty_read_with_the_projects_present_is_a_real_deletion() -> None:
    world = World()
    world.service()
    live = ObjectSet(desired_of(world).objects.values())
    world.lbs.clear()
    real = plan(desired_of(world), live, contrail_empty=True, known_projects=frozenset({PROJECT}))
    assert not real.guard and {op.action for op in real.operations} == {"delete"}
    lost = plan(desired_of(world), live, contrail_empty=True, known_projects=frozenset())
    assert lost.operations == () and lost.guard  # the project went missing too: refused


def test_deletion_guard_holds_back_mass_deletes_unless_allowed() -> None:
    world = World()
    for _ in range(10):
        world.service(members=5)
    live = ObjectSet(desired_of(world).objects.values())
    for uuid in list(world.lbs)[:8]:
        del world.lbs[uuid]
    guarded = plan(desired_of(world), live, min_objects=10)
    assert guarded.operations == () and len(guarded.refused) > 10
    assert "more than 50%" in guarded.guard
    allowed = plan(desired_of(world), live, min_objects=10, allow=True)
    assert len(allowed.operations) == len(guarded.refused)


def test_our_node_is_recognised_by_its_description() -> None:
    node = BigIPObject.make(
        "ltm/node", P, "10.2.0.1", {"address": "10.2.0.1", "description": NODE_DESCRIPTION}
    )
    ops = plan(desired_of(World()), ObjectSet([node]))
    assert actions(ops) == [("delete", "ltm/node", "10.2.0.1")]


def test_a_scoped_diff_touches_only_the_named_load_balancer() -> None:
    from reconciler.plan.diff import Scope
    from reconciler.translate.desired import subtree_tokens

    world = World()
    changed, _l1, pool1 = world.service(members=1)
    other, _l2, pool2 = world.service(members=1)
    live = ObjectSet(desired_of(world).objects.values())
    world.pools[pool1.uuid] = replace(pool1, method="LEAST_CONNECTIONS")
    world.pools[pool2.uuid] = replace(pool2, method="LEAST_CONNECTIONS")
    snapshot = world.snapshot()
    only = frozenset({changed.uuid})
    desired = translate(snapshot, world.settings, Options(), only=only)
    scope = Scope(subtree_tokens(snapshot, changed.uuid), frozenset({P}))
    ops = diff(desired, live, "bigip1", "x", "Contrail", scope=scope).operations
    assert [(op.action, op.obj.name) for op in ops] == [("update", f"Contrail_{pool1.uuid}")]
    assert other.uuid not in desired.load_balancers


def test_another_environment_whose_prefix_extends_ours_is_not_ours() -> None:
    other = "Contrail_dc2_0b6c5a2e-1111-4222-8333-444455556666"
    objects = [
        BigIPObject.make("sys/folder", other, other, {}),
        BigIPObject.make("ltm/pool", other, "Contrail_dc2_abc", {}),
    ]
    ops = plan(desired_of(World()), ObjectSet(objects))
    assert ops.operations == ()
