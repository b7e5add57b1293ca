"""The VIP static route in Contrail: the seed's vLTM and pLTM use cases (seed §3)."""

from __future__ import annotations

from typing import Any

from vnc_api.vnc_api import KeyValuePair, KeyValuePairs, VirtualMachineInterface

from emulators.contrail.topology import (
    ListenerSpec,
    PoolSpec,
    add_load_balancer,
    delete_load_balancer,
)
from tests.integration.conftest import counters

SERVICE = [ListenerSpec("HTTP", 80, pool=PoolSpec(members=[("10.2.0.11", 8080, 1)]))]


def set_kv(vnc: Any, topo: Any, **kv: str) -> None:
    sas = vnc.service_appliance_set_read(id=topo.sas)
    pairs = {p.key: p.value for p in sas.get_service_appliance_set_properties().key_value_pair}
    pairs.update(kv)
    sas.set_service_appliance_set_properties(
        KeyValuePairs([KeyValuePair(k, v) for k, v in pairs.items()])
    )
    vnc.service_appliance_set_update(sas)


def vltm_external_vmi(vnc: Any, topo: Any) -> str:
    """The vLTM VM's interface on 'external' (the seed's vLTM sits on three networks)."""
    project = vnc.project_read(id=topo.project)
    vmi = VirtualMachineInterface("vltm-external", parent_obj=project)
    vmi.set_virtual_network(vnc.virtual_network_read(id=topo.networks["external"]))
    vnc.virtual_machine_interface_create(vmi)
    return vmi.uuid


def prefixes(table: Any, prop: str) -> list[str]:
    routes = getattr(table, f"get_{prop}")()
    return sorted(r.prefix for r in (routes.route if routes else []))


def test_vltm_interface_route_table_follows_the_load_balancers(bigip, vnc, topo, cli) -> None:
    vmi = vltm_external_vmi(vnc, topo)
    set_kv(vnc, topo, external_vmi=vmi)
    web = add_load_balancer(vnc, topo, "web", listeners=SERVICE)

    plan = cli("--once", "--dry-run")
    assert plan.code == 2, plan.out + plan.err
    assert "Contrail" in plan.out and f"{web.vip}/32" in plan.out
    assert not vnc.interface_route_tables_list()["interface-route-tables"]  # dry run: no write

    assert cli("--once").code == 0
    (table,) = vnc.interface_route_tables_list(detail=True)
    assert table.get_fq_name() == ["default-domain", "demo", "Contrail_vip_routes_f5"]
    assert prefixes(table, "interface_route_table_routes") == [f"{web.vip}/32"]
    refs = vnc.virtual_machine_interface_read(id=vmi).get_interface_route_table_refs()
    assert [r["uuid"] for r in refs] == [table.uuid]

    again = cli("--once", "--dry-run")
    assert again.code == 0, again.out  # converged: nothing to do on either side

    api = add_load_balancer(vnc, topo, "api", listeners=SERVICE)
    assert cli("--once").code == 0
    table = vnc.interface_route_table_read(id=table.uuid)
    assert prefixes(table, "interface_route_table_routes") == sorted(
        [f"{web.vip}/32", f"{api.vip}/32"]
    )

    delete_load_balancer(vnc, web)
    delete_load_balancer(vnc, api)
    assert cli("--once", "--allow-mass-delete").code == 0
    table = vnc.interface_route_table_read(id=table.uuid)
    assert prefixes(table, "interface_route_table_routes") == []  # the routes are gone


def test_pltm_network_route_table_on_external_with_the_self_ip_as_next_hop(
    bigip, vnc, topo, cli
) -> None:
    set_kv(vnc, topo, external_self_ip="10.1.0.250", vip_route_community="no-export")
    web = add_load_balancer(vnc, topo, "web", listeners=SERVICE)

    assert cli("--once").code == 0
    (table,) = vnc.route_tables_list(detail=True)
    route = table.get_routes().route[0]
    assert (route.prefix, route.next_hop, route.next_hop_type) == (
        f"{web.vip}/32",
        "10.1.0.250",
        "ip-address",
    )
    assert route.community_attributes.community_attribute == ["no-export"]
    external = vnc.virtual_network_read(id=topo.networks["external"])
    assert [r["uuid"] for r in external.get_route_table_refs()] == [table.uuid]

    counters(bigip, reset=True)
    assert cli("--once", "--dry-run").code == 0


def test_a_route_table_someone_else_made_is_left_alone(bigip, vnc, topo, cli) -> None:
    from vnc_api.vnc_api import RouteTable, RouteTableType, RouteType

    set_kv(vnc, topo, external_self_ip="10.1.0.250")
    project = vnc.project_read(id=topo.project)
    theirs = RouteTable(
        "Contrail_vip_routes_f5",
        parent_obj=project,
        routes=RouteTableType(route=[RouteType(prefix="192.0.2.1/32")]),
    )
    vnc.route_table_create(theirs)
    add_load_balancer(vnc, topo, "web", listeners=SERVICE)

    run = cli("--once")
    assert run.code == 1
    assert "not created by the reconciler" in run.out
    assert prefixes(vnc.route_table_read(id=theirs.uuid), "routes") == ["192.0.2.1/32"]


def test_another_tenants_external_network_never_withdraws_live_routes(
    bigip, vnc, topo, cli, tmp_path
) -> None:
    """pLTM: a second network named 'external' (another tenant's) makes the setting
    ambiguous: the routes stay as they are and the message says where the fix goes; the
    fix (our own [set:f5] section: the set's kv is frozen while pools refer to it) works."""
    from emulators.contrail.topology import seed_topology

    set_kv(vnc, topo, external_self_ip="10.1.0.250")
    web = add_load_balancer(vnc, topo, "web", listeners=SERVICE)
    assert cli("--once").code == 0
    (table,) = vnc.route_tables_list(detail=True)
    assert prefixes(table, "routes") == [f"{web.vip}/32"]

    seed_topology(vnc, project="other-tenant", networks={"external": "10.9.0.0/16"}, sas_name=None)
    run = cli("--once")
    assert run.code == 1
    assert "external_network" in run.out and "[set:f5]" in run.out
    assert prefixes(vnc.route_table_read(id=table.uuid), "routes") == [f"{web.vip}/32"]

    conf = tmp_path / "contrail-f5-reconciler.conf"
    external = ":".join(vnc.virtual_network_read(id=topo.networks["external"]).get_fq_name())
    conf.write_text(conf.read_text() + f"\n[set:f5]\nexternal_network = {external}\n")
    fixed = cli("--once")
    assert fixed.code == 0, fixed.out + fixed.err
    assert prefixes(vnc.route_table_read(id=table.uuid), "routes") == [f"{web.vip}/32"]
