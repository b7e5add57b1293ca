"""A load balancer's status is planned from the statuses the snapshot read (its fields), not
from a second copy of its property struct: one that already says what we would write costs
no write."""

from __future__ import annotations

from dataclasses import replace

from reconciler.plan.status import plan_status
from tests.unit.builders import World


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
