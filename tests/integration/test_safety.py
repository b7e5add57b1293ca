"""What must never happen: touching foreign objects, deleting on bad reads, one LB blocking others."""

from __future__ import annotations

from typing import Any

from vnc_api.vnc_api import (
    Loadbalancer,
    LoadbalancerListener,
    LoadbalancerListenerType,
    LoadbalancerType,
)

from emulators.contrail.topology import (
    ListenerSpec,
    MonitorSpec,
    PoolSpec,
    add_load_balancer,
    delete_load_balancer,
)
from tests.integration.conftest import counters, device


def service(vnc: Any, topo: Any, name: str, members: list[tuple[str, int, int]]) -> Any:
    pool = PoolSpec("ROUND_ROBIN", members=members, monitor=MonitorSpec("TCP"))
    return add_load_balancer(vnc, topo, name, listeners=[ListenerSpec("TCP", 443, pool=pool)])


def names_on_device(bigip: Any, partition: str) -> set[str]:
    mgmt = device(bigip)
    params = {"params": f"$filter=partition eq {partition}"}
    names = set()
    for collection in (
        mgmt.tm.ltm.virtuals,
        mgmt.tm.ltm.virtual_address_s,
        mgmt.tm.ltm.pools,
        mgmt.tm.ltm.nodes,
        mgmt.tm.ltm.monitor.tcps,
    ):
        names |= {o.name for o in collection.get_collection(requests_params=params)}
    return names


def test_deleting_a_load_balancer_removes_exactly_its_objects(bigip, vnc, topo, cli) -> None:
    keep = service(vnc, topo, "keep", [("10.2.0.31", 80, 1)])
    gone = service(vnc, topo, "gone", [("10.2.0.41", 80, 1), ("10.2.0.31", 81, 1)])
    partition = f"Contrail_{topo.project}"
    assert cli("--once").code == 0
    before = names_on_device(bigip, partition)

    delete_load_balancer(vnc, gone)
    plan = cli("--once", "--dry-run", "--output", "json")
    assert plan.code == 2
    ops = plan.json()["devices"][0]["operations"]
    assert [(op["action"], op["kind"]) for op in ops] == [
        ("delete", "ltm/virtual"),
        ("delete", "ltm/virtual-address"),
        ("delete", "ltm/pool"),
        ("delete", "ltm/node"),  # 10.2.0.41 only: 10.2.0.31 still serves 'keep'
        ("delete", "ltm/monitor/tcp"),
    ]
    assert cli("--once").code == 0
    gone_names = {
        f"Contrail_{gone.loadbalancer}",
        f"Contrail_{gone.listeners[0].listener}",
        f"Contrail_{gone.listeners[0].pool}",
        f"Contrail_{gone.listeners[0].monitor}",
        "10.2.0.41",
    }
    assert names_on_device(bigip, partition) == before - gone_names
    assert f"Contrail_{keep.loadbalancer}" in before


def test_foreign_objects_survive_every_pass(bigip, vnc, topo, cli) -> None:
    service(vnc, topo, "other", [("10.2.0.52", 80, 1)])
    ids = service(vnc, topo, "web", [("10.2.0.51", 80, 1)])
    partition = f"Contrail_{topo.project}"
    assert cli("--once").code == 0
    mgmt = device(bigip)
    mgmt.tm.ltm.pools.pool.create(name="handmade_pool", partition=partition)
    mgmt.tm.ltm.virtuals.virtual.create(
        name="handmade_vs",
        partition=partition,
        destination=f"/{partition}/10.9.9.9:80",
        pool=f"/{partition}/handmade_pool",
    )
    mgmt.tm.ltm.pools.pool.create(name="Contrail_not_ours_either", partition="Common")

    plan = cli("--once", "--dry-run")
    assert plan.code == 0, plan.out
    assert "handmade_vs" in plan.out and "handmade_pool" in plan.out  # reported, not planned
    delete_load_balancer(vnc, ids)
    assert cli("--once").code == 0
    assert mgmt.tm.ltm.virtuals.virtual.exists(name="handmade_vs", partition=partition)
    assert mgmt.tm.ltm.pools.pool.exists(name="handmade_pool", partition=partition)
    assert mgmt.tm.ltm.pools.pool.exists(name="Contrail_not_ours_either", partition="Common")
    assert not mgmt.tm.ltm.pools.pool.exists(
        name=f"Contrail_{ids.listeners[0].pool}", partition=partition
    )


def test_a_contrail_outage_deletes_nothing(bigip, contrail, vnc, topo, cli) -> None:
    service(vnc, topo, "web", [("10.2.0.61", 80, 1)])
    assert cli("--once").code == 0
    counters(bigip, reset=True)
    contrail.stop()
    run = cli("--once")
    assert run.code == 1
    assert "nothing was planned or changed" in run.err
    assert "ConnectionError: ;" not in run.err and str(contrail.port) in run.err  # says what
    assert counters(bigip)["writes"] == 0


def test_deleting_the_last_load_balancer_is_a_real_deletion(bigip, vnc, topo, cli) -> None:
    """A complete read in which the set and its projects are present: deleting the last
    load balancer empties the device and the VIP route table, exit 0 (the empty-read guard
    is for reads that lost the projects too: tests/unit/test_diff.py)."""
    from tests.integration.test_vip_routes import prefixes, set_kv, vltm_external_vmi

    set_kv(vnc, topo, external_vmi=vltm_external_vmi(vnc, topo))
    ids = service(vnc, topo, "web", [("10.2.0.71", 80, 1)])
    partition = f"Contrail_{topo.project}"
    assert cli("--once").code == 0
    delete_load_balancer(vnc, ids)
    plan = cli("--once", "--dry-run")
    assert plan.code == 2 and "refusing" not in plan.out
    run = cli("--once")
    assert run.code == 0, run.out + run.err
    assert names_on_device(bigip, partition) == set()
    (table,) = vnc.interface_route_tables_list(detail=True)
    assert prefixes(table, "interface_route_table_routes") == []


def test_a_broken_load_balancer_among_twenty_good_ones(bigip, vnc, topo, cli) -> None:
    good = [service(vnc, topo, f"good{i}", [(f"10.2.1.{i + 1}", 80, 1)]) for i in range(20)]
    project = vnc.project_read(id=topo.project)
    sas = vnc.service_appliance_set_read(id=topo.sas)
    broken = Loadbalancer(
        "broken",
        parent_obj=project,
        loadbalancer_provider="f5",
        loadbalancer_properties=LoadbalancerType(admin_state=True),  # no VIP at all
    )
    broken.set_service_appliance_set(sas)
    vnc.loadbalancer_create(broken)
    listener = LoadbalancerListener(
        "broken-l",
        parent_obj=project,
        loadbalancer_listener_properties=LoadbalancerListenerType(protocol="TCP", protocol_port=22),
    )
    listener.set_loadbalancer(broken)
    vnc.loadbalancer_listener_create(listener)

    run = cli("--once")
    assert run.code == 1
    assert "loadbalancer_properties.vip_address" in run.out
    partition = f"Contrail_{topo.project}"
    on_device = names_on_device(bigip, partition)
    for ids in good:
        assert f"Contrail_{ids.loadbalancer}" in on_device
        props = vnc.loadbalancer_read(id=ids.loadbalancer).get_loadbalancer_properties()
        assert props.provisioning_status == "ACTIVE"
    props = vnc.loadbalancer_read(id=broken.uuid).get_loadbalancer_properties()
    assert props.provisioning_status == "ERROR"
    assert "loadbalancer_properties.vip_address" in props.status
