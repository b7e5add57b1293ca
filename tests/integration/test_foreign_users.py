"""Objects an operator made by hand beside ours: one that uses a pool of ours keeps that pool
(and only what that pool needs) when its load balancer is deleted, and hand-made objects in
``/Common`` that use ours or share our VIPs are listed as left alone."""

from __future__ import annotations

from typing import Any

from emulators.contrail.topology import (
    ListenerSpec,
    MonitorSpec,
    PoolSpec,
    add_load_balancer,
    delete_load_balancer,
)
from tests.integration.conftest import counters, device


def service(vnc: Any, topo: Any, name: str) -> Any:
    pool = PoolSpec("ROUND_ROBIN", members=[("10.2.7.1", 80, 1)], monitor=MonitorSpec("TCP"))
    return add_load_balancer(vnc, topo, name, listeners=[ListenerSpec("TCP", 443, pool=pool)])


def virtuals(bigip: Any) -> set[str]:
    return {f"/{v.partition}/{v.name}" for v in device(bigip).tm.ltm.virtuals.get_collection()}


def pools(bigip: Any) -> set[str]:
    return {f"/{p.partition}/{p.name}" for p in device(bigip).tm.ltm.pools.get_collection()}


def test_a_deleted_load_balancer_stops_serving_though_a_hand_made_virtual_uses_its_pool(
    bigip, vnc, topo, cli
) -> None:
    ids = service(vnc, topo, "web")
    assert cli("--once").code == 0
    partition = f"Contrail_{topo.project}"
    pool = f"/{partition}/Contrail_{ids.listeners[0].pool}"
    ours = f"/{partition}/Contrail_{ids.listeners[0].listener}"
    for where in (partition, "Common"):  # an operator's own virtuals on our pool
        device(bigip).tm.ltm.virtuals.virtual.create(
            name="operator-canary",
            partition=where,
            destination=f"/{where}/10.1.55.{5 if where == 'Common' else 6}:8443",
            pool=pool,
            ipProtocol="tcp",
        )
    delete_load_balancer(vnc, ids)

    dry = cli("--once", "--dry-run", "--output", "json")
    assert dry.code == 2, dry.out + dry.err
    plan = dry.json()["devices"][0]
    kept = {k["path"]: k["used_by"] for k in plan["kept"]}
    assert sorted(kept[pool]) == sorted(
        [f"/{partition}/operator-canary", "/Common/operator-canary"]
    )
    deleted = {op["path"] for op in plan["operations"] if op["action"] == "delete"}
    assert ours in deleted and pool not in deleted

    run = cli("--once")
    assert run.code == 0, run.out + run.err
    assert "01070265" not in run.out + run.err
    assert ours not in virtuals(bigip)  # the deleted load balancer serves no more
    assert pool in pools(bigip)  # the pool in use stays, reported with its users
    assert "operator-canary" in run.out
    counters(bigip, reset=True)
    assert cli("--once").code == 0
    assert counters(bigip)["writes"] == 0  # held, not fought


def test_hand_made_objects_in_common_beside_ours_are_listed_as_left_alone(
    bigip, vnc, topo, cli
) -> None:
    ids = service(vnc, topo, "web")
    assert cli("--once").code == 0
    mgmt = device(bigip)
    mgmt.tm.ltm.pools.pool.create(name="operator-pool", partition="Common")
    mgmt.tm.ltm.virtuals.virtual.create(
        name="operator-on-our-vip",
        partition="Common",
        destination=f"/Common/{ids.vip}:8080",
        pool="/Common/operator-pool",
        ipProtocol="tcp",
    )
    mgmt.tm.ltm.virtuals.virtual.create(  # unrelated to ours: not listed
        name="elsewhere", partition="Common", destination="/Common/10.9.9.9:80", ipProtocol="tcp"
    )
    dry = cli("--once", "--dry-run", "--output", "json")
    assert dry.code == 0, dry.out + dry.err
    foreign = {f["path"] for f in dry.json()["devices"][0]["foreign"]}
    assert "/Common/operator-on-our-vip" in foreign
    assert "/Common/operator-pool" in foreign  # the operator's pool it sends to
    assert "/Common/elsewhere" not in foreign
    text = cli("--once", "--dry-run")
    assert "/Common/operator-on-our-vip" in text.out and "Left alone" in text.out
