"""Changing one Contrail field produces exactly the minimal BIG-IP update, then converges."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from emulators.contrail.topology import ListenerSpec, MonitorSpec, PoolSpec, add_load_balancer


def change(read: str, prop: str, **values: Any) -> Callable[[Any, Any], None]:
    """A mutation: read the object (by the ids attribute path), set prop fields, update."""

    def mutate(vnc: Any, ids: Any) -> None:
        kind, attr = read.split(":")
        uuid = _resolve(ids, attr)
        obj = getattr(vnc, f"{kind}_read")(id=uuid)
        props = getattr(obj, f"get_{prop}")()
        for key, value in values.items():
            setattr(props, key, value)
        getattr(obj, f"set_{prop}")(props)
        getattr(vnc, f"{kind}_update")(obj)

    return mutate


def _resolve(ids: Any, attr: str) -> str:
    listener = ids.listeners[0]
    return {
        "lb": ids.loadbalancer,
        "listener": listener.listener,
        "pool": listener.pool,
        "monitor": listener.monitor,
        "member0": listener.members[0],
    }[attr]


LB = "loadbalancer:lb"
LISTENER = "loadbalancer_listener:listener"
POOL = "loadbalancer_pool:pool"
MONITOR = "loadbalancer_healthmonitor:monitor"
MEMBER = "loadbalancer_member:member0"

CASES = {
    "pool algorithm": (
        change(POOL, "loadbalancer_pool_properties", loadbalancer_method="LEAST_CONNECTIONS"),
        {("ltm/pool", ("loadBalancingMode",))},
    ),
    "pool persistence": (
        change(POOL, "loadbalancer_pool_properties", session_persistence="SOURCE_IP"),
        {("ltm/virtual", ("persist",))},
    ),
    "member weight": (
        change(MEMBER, "loadbalancer_member_properties", weight=7),
        {("ltm/pool/members", ("ratio",))},
    ),
    "member weight 0": (  # drained: disabled, and ratio 1 as BIG-IP needs ratio >= 1
        change(MEMBER, "loadbalancer_member_properties", weight=0),
        {("ltm/pool/members", ("ratio", "session"))},
    ),
    "member admin down": (
        change(MEMBER, "loadbalancer_member_properties", admin_state=False),
        {("ltm/pool/members", ("session",))},
    ),
    "monitor delay": (
        change(MONITOR, "loadbalancer_healthmonitor_properties", delay=10),
        {("ltm/monitor/http", ("interval", "timeout"))},
    ),
    "monitor url path": (
        change(MONITOR, "loadbalancer_healthmonitor_properties", url_path="/healthz"),
        {("ltm/monitor/http", ("send",))},
    ),
    "monitor expected codes": (
        change(MONITOR, "loadbalancer_healthmonitor_properties", expected_codes="200,204"),
        {("ltm/monitor/http", ("recv",))},
    ),
    "listener connection limit": (
        change(LISTENER, "loadbalancer_listener_properties", connection_limit=1000),
        {("ltm/virtual", ("connectionLimit",))},
    ),
    "listener admin down": (
        change(LISTENER, "loadbalancer_listener_properties", admin_state=False),
        {("ltm/virtual", ("enabled",))},
    ),
    "listener port": (
        change(LISTENER, "loadbalancer_listener_properties", protocol_port=8080),
        {("ltm/virtual", ("destination",))},
    ),
    "load balancer admin down": (
        change(LB, "loadbalancer_properties", admin_state=False),
        {("ltm/virtual", ("enabled",)), ("ltm/virtual-address", ("enabled",))},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_field_change_is_one_minimal_update(case: str, bigip, vnc, topo, cli) -> None:
    mutate, expected = CASES[case]
    pool = PoolSpec(
        "ROUND_ROBIN",
        members=[("10.2.0.21", 8080, 2), ("10.2.0.22", 8080, 2)],
        monitor=MonitorSpec("HTTP"),
    )
    ids = add_load_balancer(vnc, topo, "web", listeners=[ListenerSpec("HTTP", 80, pool=pool)])
    assert cli("--once").code == 0

    mutate(vnc, ids)
    plan = cli("--once", "--dry-run", "--output", "json")
    assert plan.code == 2, plan.out + plan.err
    ops = [op for d in plan.json()["devices"] for op in d["operations"]]
    assert {op["action"] for op in ops} == {"update"}
    assert {
        (op["kind"], tuple(sorted(c["field"] for c in op["changes"]))) for op in ops
    } == expected

    assert cli("--once").code == 0
    after = cli("--once", "--dry-run")
    assert after.code == 0, after.out


def test_a_monitor_that_changes_type_is_replaced_under_its_pool(bigip, vnc, topo, cli) -> None:
    pool = PoolSpec("ROUND_ROBIN", members=[("10.2.0.31", 80, 1)], monitor=MonitorSpec("HTTP"))
    ids = add_load_balancer(vnc, topo, "web", listeners=[ListenerSpec("HTTP", 80, pool=pool)])
    assert cli("--once").code == 0
    change(MONITOR, "loadbalancer_healthmonitor_properties", monitor_type="TCP")(vnc, ids)

    plan = cli("--once", "--dry-run", "--output", "json")
    ops = [(op["action"], op["kind"]) for d in plan.json()["devices"] for op in d["operations"]]
    assert ops == [
        ("update", "ltm/pool"),  # detach: BIG-IP will not delete a monitor a pool uses
        ("delete", "ltm/monitor/http"),
        ("create", "ltm/monitor/tcp"),  # same name: monitor names span all types
        ("update", "ltm/pool"),  # reattach
    ]
    assert cli("--once").code == 0, cli("--once").out
    assert cli("--once", "--dry-run").code == 0
    from tests.integration.conftest import device

    partition = f"Contrail_{topo.project}"
    loaded = device(bigip).tm.ltm.pools.pool.load(
        name=f"Contrail_{ids.listeners[0].pool}", partition=partition
    )
    assert loaded.monitor.strip() == f"/{partition}/Contrail_{ids.listeners[0].monitor}"
