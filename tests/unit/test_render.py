"""The plan as JSON, for machines: a versioned format, Terraform-style action lists, reason
codes beside the text, and the load balancers each operation serves."""

from __future__ import annotations

from dataclasses import replace

from reconciler.model.bigip import ObjectSet
from reconciler.plan.model import Plan
from reconciler.plan.render import JSON_FORMAT_VERSION, plan_to_json
from tests.unit.builders import World
from tests.unit.test_diff import desired_of, plan


def test_a_replacement_says_delete_then_create_with_its_reason_code() -> None:
    world = World()
    lb, _listener, pool = world.service()
    live = ObjectSet(desired_of(world).objects.values())
    world.lbs[lb.uuid] = replace(lb, vip_address="10.1.1.99")
    world.pools[pool.uuid] = replace(pool, method="LEAST_CONNECTIONS")
    out = plan_to_json(Plan(devices=(plan(desired_of(world), live),)))

    assert out["format_version"] == JSON_FORMAT_VERSION
    ops = {(o["action"], o["kind"]): o for o in out["devices"][0]["operations"]}
    address = ops[("create", "ltm/virtual-address")]
    assert address["actions"] == ["delete", "create"]
    assert address["reason_code"] == "immutable_field_changed"
    assert ops[("delete", "ltm/virtual")]["reason_code"] == "dependency_replaced"
    update = ops[("update", "ltm/pool")]
    assert update["actions"] == ["update"] and update["reason_code"] == "drift"
    assert update["loadbalancers"] == [lb.uuid]
