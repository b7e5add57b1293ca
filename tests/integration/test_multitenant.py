"""A cloud with several tenants: a conflict is isolated to the load balancer that causes it,
and nothing live is ever withdrawn (on the strict device emulator)."""

from __future__ import annotations

from typing import Any

from emulators.contrail.topology import ListenerSpec, PoolSpec, add_load_balancer, seed_topology
from tests.integration.conftest import counters, device

MEMBERS = [("10.2.0.11", 8080, 1)]


def spec(port: int = 80, protocol: str = "HTTP") -> ListenerSpec:
    return ListenerSpec(protocol, port, pool=PoolSpec(members=MEMBERS))


def status(vnc: Any, lb_uuid: str) -> tuple[str, str]:
    props = vnc.loadbalancer_read(id=lb_uuid).get_loadbalancer_properties()
    return props.provisioning_status, props.status or ""


def virtuals(bigip: Any) -> set[str]:
    return {f"/{v.partition}/{v.name}" for v in device(bigip).tm.ltm.virtuals.get_collection()}


def set_vip(vnc: Any, lb_uuid: str, vip: str) -> None:
    lb = vnc.loadbalancer_read(id=lb_uuid)
    props = lb.get_loadbalancer_properties()
    props.vip_address = vip
    lb.set_loadbalancer_properties(props)
    vnc.loadbalancer_update(lb)


def test_a_duplicate_vip_is_isolated_to_the_new_load_balancer(bigip, vnc, topo, cli) -> None:
    good = [add_load_balancer(vnc, topo, f"web{i}", listeners=[spec()]) for i in range(5)]
    assert cli("--once").code == 0
    live_vs = virtuals(bigip)

    dup = add_load_balancer(vnc, topo, "copycat", listeners=[spec()])
    set_vip(vnc, dup.loadbalancer, good[2].vip)  # reuses a live load balancer's VIP
    run = cli("--once")
    assert run.code == 1  # the duplicate is an error…
    state, reason = status(vnc, dup.loadbalancer)
    assert state == "ERROR"
    assert "vip_address" in reason and good[2].loadbalancer in reason
    for ids in good:  # …and nobody else's: the live one is not blamed, all stay ACTIVE
        assert status(vnc, ids.loadbalancer)[0] == "ACTIVE"
    assert virtuals(bigip) == live_vs

    later = add_load_balancer(vnc, topo, "later", listeners=[spec()])  # a new good one
    assert cli("--once").code == 1  # the duplicate is still in error
    assert status(vnc, later.loadbalancer)[0] == "ACTIVE"
    assert f"/Contrail_{topo.project}/Contrail_{later.listeners[0].listener}" in virtuals(bigip)
    counters(bigip, reset=True)
    cli("--once")
    assert counters(bigip)["writes"] == 0  # converged around the conflict


def test_two_listeners_on_one_port_of_a_vip(bigip, vnc, topo, cli) -> None:
    ids = add_load_balancer(vnc, topo, "web", listeners=[spec(80, "HTTP"), spec(80, "TCP")])
    other = add_load_balancer(vnc, topo, "other", listeners=[spec()])
    assert cli("--once").code == 1
    state, reason = status(vnc, ids.loadbalancer)
    assert state == "ERROR" and "protocol_port" in reason and ":80" in reason
    assert status(vnc, other.loadbalancer)[0] == "ACTIVE"


def test_overlapping_tenant_vips_in_global_routed_mode(bigip, vnc, topo, cli) -> None:
    networks = {"external": "10.1.0.0/16", "internal": "10.2.0.0/16"}
    tenants = [
        seed_topology(vnc, project=f"tenant{i}", networks=networks, sas_name=None) for i in range(5)
    ]
    for tenant in tenants:
        tenant.sas, tenant.sas_name = topo.sas, topo.sas_name
    first = add_load_balancer(vnc, tenants[0], "web0", listeners=[spec()])
    assert cli("--once").code == 0
    live = virtuals(bigip)
    others = [
        add_load_balancer(vnc, t, f"web{i}", listeners=[spec()])
        for i, t in enumerate(tenants[1:], 1)
    ]
    assert {o.vip for o in others} == {first.vip}  # every tenant got the same address

    counters(bigip, reset=True)
    assert cli("--once").code == 1
    assert status(vnc, first.loadbalancer)[0] == "ACTIVE"
    for ids in others:
        state, reason = status(vnc, ids.loadbalancer)
        assert state == "ERROR" and first.loadbalancer in reason
    assert virtuals(bigip) == live  # the live one untouched
    assert counters(bigip)["writes"] == 0


def test_one_member_address_in_two_projects_in_global_routed_mode(bigip, vnc, topo, cli) -> None:
    """Route domain 0 for every project: a device keeps one node per address, so the second
    project's member at a live node's address is its load balancer's error, found before
    the device (which would refuse it, 0107003a); the first stays as it is."""
    tenants = [
        seed_topology(
            vnc,
            project=f"tenant{i}",
            networks={"external": f"10.{110 + i}.0.0/16", "internal": "10.2.0.0/16"},
            sas_name=None,
        )
        for i in range(2)
    ]
    for tenant in tenants:
        tenant.sas, tenant.sas_name = topo.sas, topo.sas_name
    first = add_load_balancer(vnc, tenants[0], "web0", listeners=[spec()])
    assert cli("--once").code == 0
    live = virtuals(bigip)
    second = add_load_balancer(vnc, tenants[1], "web1", listeners=[spec()])

    counters(bigip, reset=True)
    assert cli("--once").code == 1
    state, reason = status(vnc, second.loadbalancer)
    assert state == "ERROR"
    assert "loadbalancer_member_properties.address" in reason and "10.2.0.11" in reason
    assert "tenant0" in reason and first.loadbalancer in reason
    assert status(vnc, first.loadbalancer)[0] == "ACTIVE"
    assert virtuals(bigip) == live
    assert counters(bigip)["writes"] == 0  # nothing sent for the device to refuse


def test_a_pool_or_listener_of_another_project_is_refused(bigip, vnc, topo, cli) -> None:
    from vnc_api.vnc_api import LoadbalancerListener, LoadbalancerListenerType, Project

    mine = add_load_balancer(vnc, topo, "mine", listeners=[spec()])
    theirs = seed_topology(vnc, project="theirs", sas_name=None)
    project = vnc.project_read(id=theirs.project)
    listener = LoadbalancerListener(
        "sneaky",
        parent_obj=Project(project.name),
        loadbalancer_listener_properties=LoadbalancerListenerType(
            protocol="HTTP", protocol_port=8080, admin_state=True
        ),
    )
    listener.fq_name = [*project.fq_name, "sneaky"]
    listener.set_loadbalancer(vnc.loadbalancer_read(id=mine.loadbalancer))
    vnc.loadbalancer_listener_create(listener)

    assert cli("--once").code == 1
    state, reason = status(vnc, mine.loadbalancer)
    assert state == "ERROR" and "loadbalancer_refs" in reason and "sneaky" in reason


def test_a_refusal_the_plan_cannot_foresee_holds_only_its_load_balancer(
    bigip, vnc, topo, cli
) -> None:
    """A virtual in /Common (which we never read) already serves the new VIP's port: the
    device refuses the partition's transaction; the culprit is found by applying the
    partition one load balancer at a time, and the others are applied in the same pass."""
    good = add_load_balancer(vnc, topo, "good", listeners=[spec()])
    bad = add_load_balancer(vnc, topo, "bad", listeners=[spec()])
    device(bigip).tm.ltm.virtuals.virtual.create(
        name="handmade", partition="Common", destination=f"/Common/{bad.vip}:80"
    )
    assert cli("--once").code == 1
    state, reason = status(vnc, bad.loadbalancer)
    assert state == "ERROR" and ("01070333" in reason or "0107176c" in reason)
    assert status(vnc, good.loadbalancer)[0] == "ACTIVE"
    assert f"/Contrail_{topo.project}/Contrail_{good.listeners[0].listener}" in virtuals(bigip)
