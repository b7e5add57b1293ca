"""A notification whose object changed only in its statuses (our own write, read back) asks
nothing of a device; any other field's change does."""

from __future__ import annotations

from dataclasses import replace

from reconciler.contrail.changes import Change, only_statuses
from reconciler.daemon.events import Index, changed_between
from tests.unit.builders import World


def test_a_change_of_statuses_alone_is_told_from_a_change_of_configuration() -> None:
    world = World()
    lb, _, pool = world.service(members=2)
    before = world.snapshot()
    member = next(m for m in before.members.values() if m.pool_uuid == pool.uuid)

    def after(kind: str, held_in: str, obj: object) -> bool:
        changed = before.with_object(held_in, obj.uuid, obj)  # type: ignore[attr-defined]
        return only_statuses(Change(kind, obj.uuid), before, changed)  # type: ignore[attr-defined]

    assert after(
        "loadbalancer",
        "load_balancers",
        replace(lb, provisioning_status="ACTIVE", operating_status="ONLINE", status="up"),
    )
    assert after("loadbalancer_pool", "pools", replace(pool, status="ACTIVE"))
    assert after(
        "loadbalancer_member", "members", replace(member, status="ERROR", status_description="x")
    )
    assert not after("loadbalancer_member", "members", replace(member, weight=7))
    assert not after("loadbalancer_member", "members", replace(member, admin_state=False))
    assert not after("loadbalancer", "load_balancers", replace(lb, vip_address="10.1.1.99"))
    assert not after("loadbalancer_pool", "pools", replace(pool, method="LEAST_CONNECTIONS"))
    # gone, or new: never "statuses alone"
    assert not only_statuses(
        Change("loadbalancer_member", member.uuid),
        before,
        before.with_object("members", member.uuid, None),
    )


def test_a_full_read_names_the_load_balancers_whose_subtree_it_changed() -> None:
    """A full read that sends a set's worker to no full pass (a replica that let another
    set go) must still pass what it changed: the change's own notification then finds the
    snapshot already holding it, and a change that looks like nothing asks for no pass."""
    world = World()
    lb1, _, pool1 = world.service(members=2)
    lb2, _, _ = world.service(members=2)
    lb3, _, pool3 = world.service(members=1)
    before = world.snapshot()
    member1 = next(m for m in before.members.values() if m.pool_uuid == pool1.uuid)
    member3 = next(m for m in before.members.values() if m.pool_uuid == pool3.uuid)
    after = before.with_object("members", member1.uuid, replace(member1, weight=9))
    after = after.with_object("members", member3.uuid, None)
    changed = changed_between(before, after, Index.of(before), Index.of(after))
    assert changed == {lb1.uuid, lb3.uuid}
    assert lb2.uuid not in changed
    assert changed_between(before, before, Index.of(before), Index.of(before)) == set()
