"""A notification whose object changed only in its statuses (our own write, read back) asks
nothing of a device; any other field's change does."""

from __future__ import annotations

from dataclasses import replace

from reconciler.contrail.changes import Change, only_statuses
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
