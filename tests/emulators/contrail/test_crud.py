"""The seed's topology built, read, followed, updated and deleted through the stock VncApi."""

from __future__ import annotations

import pytest
from vnc_api.vnc_api import (
    KeyValuePair,
    LoadbalancerMember,
    LoadbalancerMemberType,
    NoIdError,
    RefsExistError,
)

from emulators.contrail import topology as t


def web_listener() -> t.ListenerSpec:
    return t.ListenerSpec(
        "HTTP",
        80,
        pool=t.PoolSpec(
            "ROUND_ROBIN",
            members=[("10.2.0.10", 8080, 1), ("10.2.0.11", 8080, 2)],
            monitor=t.MonitorSpec("HTTP", url_path="/health"),
        ),
    )


def test_homepage_binds_every_schema_type(vnc):
    # the client found a collection and a resource-base link for every type it knows
    from vnc_api.gen.vnc_api_client_gen import all_resource_type_tuples
    from vnc_api.vnc_api import get_object_class

    for _object_type, resource_type in all_resource_type_tuples:
        cls = get_object_class(resource_type)
        assert cls.create_uri == f"/{resource_type}s"
        assert cls.resource_uri_base[resource_type] == f"/{resource_type}"


def test_default_objects_exist(vnc):
    for rtype, fq in [
        ("domain", ["default-domain"]),
        ("project", ["default-domain", "default-project"]),
        ("global-system-config", ["default-global-system-config"]),
        ("virtual-network", ["default-domain", "default-project", "default-virtual-network"]),
        ("network-ipam", ["default-domain", "default-project", "default-network-ipam"]),
    ]:
        assert vnc.fq_name_to_id(rtype, fq)


def test_seed_topology_reads_back(vnc, topo):
    sas = vnc.service_appliance_set_read(fq_name=["default-global-system-config", "f5"])
    assert sas.get_service_appliance_driver() == t.F5_DRIVER
    kv = {p.key: p.value for p in sas.get_service_appliance_set_properties().key_value_pair}
    assert kv == {"address": "10.84.31.99", "user": "admin", "password": "admin"}
    names = {vn.name for vn in vnc.virtual_networks_list(parent_id=topo.project, detail=True)}
    assert names == {"management", "external", "internal", "public"}
    # Neutron's subnet bookkeeping: subnet uuid -> "<vn uuid> <cidr>"
    assert vnc.kv_retrieve(topo.subnets["external"]) == f"{topo.networks['external']} 10.1.0.0/16"


def test_load_balancer_chain_with_back_refs(vnc, topo):
    ids = t.add_load_balancer(vnc, topo, "web", listeners=[web_listener()])
    lb = vnc.loadbalancer_read(id=ids.loadbalancer)
    assert lb.get_loadbalancer_provider() == "f5"
    props = lb.get_loadbalancer_properties()
    assert props.vip_address == ids.vip == "10.1.0.3"  # .0 network, .1 gateway, .2 DNS
    assert props.vip_subnet_id == topo.subnets["external"]
    assert lb.get_service_appliance_set_refs()[0]["uuid"] == topo.sas
    assert lb.get_virtual_machine_interface_refs()[0]["uuid"] == ids.vmi

    vmi = vnc.virtual_machine_interface_read(id=ids.vmi, fields=["instance_ip_back_refs"])
    assert vmi.name == ids.loadbalancer
    owner = vnc.virtual_machine_interface_read(
        id=ids.vmi
    ).get_virtual_machine_interface_device_owner()
    assert owner == "neutron:LOADBALANCER"
    assert [r["uuid"] for r in vmi.get_instance_ip_back_refs()] == [ids.instance_ip]
    iip = vnc.instance_ip_read(id=ids.instance_ip)
    assert iip.get_instance_ip_address() == ids.vip
    assert iip.get_subnet_uuid() == topo.subnets["external"]

    sas = vnc.service_appliance_set_read(id=topo.sas, fields=["loadbalancer_back_refs"])
    assert [r["uuid"] for r in sas.get_loadbalancer_back_refs()] == [ids.loadbalancer]

    (lids,) = ids.listeners
    listener = vnc.loadbalancer_listener_read(
        id=lids.listener, fields=["loadbalancer_pool_back_refs"]
    )
    assert [r["uuid"] for r in listener.get_loadbalancer_pool_back_refs()] == [lids.pool]
    pool = vnc.loadbalancer_pool_read(id=lids.pool, exclude_children=False)
    assert sorted(m["uuid"] for m in pool.get_loadbalancer_members()) == sorted(lids.members)
    assert pool.get_loadbalancer_healthmonitor_refs()[0]["uuid"] == lids.monitor
    member = vnc.loadbalancer_member_read(id=lids.members[1])
    assert member.get_loadbalancer_member_properties().weight == 2
    assert member.get_fq_name()[-2] == pool.name  # members are children of the pool
    hm = vnc.loadbalancer_healthmonitor_read(
        id=lids.monitor, fields=["loadbalancer_pool_back_refs"]
    )
    hm_props = vnc.loadbalancer_healthmonitor_read(
        id=lids.monitor
    ).get_loadbalancer_healthmonitor_properties()
    assert hm_props.url_path == "/health"
    assert [r["uuid"] for r in hm.get_loadbalancer_pool_back_refs()] == [lids.pool]


def test_read_defaults_exclude_back_refs_and_children_and_fields_select(vnc, topo):
    ids = t.add_load_balancer(vnc, topo, "web", listeners=[web_listener()])
    pool_id = ids.listeners[0].pool
    plain = vnc.loadbalancer_pool_read(id=pool_id)  # client asks to exclude both
    # (the getter would fetch lazily, so look at what the server returned)
    assert "loadbalancer_members" not in vars(plain)
    full = vnc.loadbalancer_pool_read(id=pool_id, exclude_children=False, exclude_back_refs=False)
    assert len(full.get_loadbalancer_members()) == 2
    only = vnc.loadbalancer_pool_read(id=pool_id, fields=["loadbalancer_members"])
    assert len(only.get_loadbalancer_members()) == 2
    assert only.get_loadbalancer_pool_properties() is None  # not asked for


def test_list_detail_returns_props_refs_and_requested_back_refs(vnc, topo):
    a = t.add_load_balancer(vnc, topo, "a", listeners=[web_listener()])
    t.add_load_balancer(vnc, topo, "b")
    lbs = vnc.loadbalancers_list(detail=True, fields=["loadbalancer_listener_back_refs"])
    by_name = {lb.name: lb for lb in lbs}
    assert set(by_name) == {"a", "b"}
    assert by_name["a"].get_loadbalancer_properties().vip_address == a.vip
    assert by_name["a"].get_virtual_machine_interface_refs()[0]["uuid"] == a.vmi
    assert [r["uuid"] for r in by_name["a"].get_loadbalancer_listener_back_refs()] == [
        a.listeners[0].listener
    ]
    assert by_name["b"].get_loadbalancer_listener_back_refs() is None


def test_update_and_ref_update(vnc, topo):
    ids = t.add_load_balancer(vnc, topo, "web", listeners=[web_listener()])
    lb = vnc.loadbalancer_read(id=ids.loadbalancer)
    props = lb.get_loadbalancer_properties()
    props.provisioning_status = "ACTIVE"
    lb.set_loadbalancer_properties(props)
    lb.add_annotations(KeyValuePair("owner", "test"))
    vnc.loadbalancer_update(lb)
    again = vnc.loadbalancer_read(id=ids.loadbalancer)
    assert again.get_loadbalancer_properties().provisioning_status == "ACTIVE"
    assert again.get_loadbalancer_properties().vip_address == ids.vip
    assert again.get_annotations().key_value_pair[0].value == "test"

    # removing the pool's monitor goes through /ref-update
    lids = ids.listeners[0]
    pool = vnc.loadbalancer_pool_read(id=lids.pool)
    hm = vnc.loadbalancer_healthmonitor_read(id=lids.monitor)
    pool.del_loadbalancer_healthmonitor(hm)
    vnc.loadbalancer_pool_update(pool)
    assert vnc.loadbalancer_pool_read(id=lids.pool).get_loadbalancer_healthmonitor_refs() is None
    hm = vnc.loadbalancer_healthmonitor_read(
        id=lids.monitor, fields=["loadbalancer_pool_back_refs"]
    )
    assert hm.get_loadbalancer_pool_back_refs() is None
    vnc.ref_update(
        "loadbalancer-pool", lids.pool, "loadbalancer-healthmonitor", lids.monitor, None, "ADD"
    )
    assert vnc.loadbalancer_pool_read(id=lids.pool).get_loadbalancer_healthmonitor_refs()


def test_delete_in_order_then_gone(vnc, topo):
    ids = t.add_load_balancer(vnc, topo, "web", listeners=[web_listener()])
    t.delete_load_balancer(vnc, ids)
    for reader, uid in [
        (vnc.loadbalancer_read, ids.loadbalancer),
        (vnc.virtual_machine_interface_read, ids.vmi),
        (vnc.instance_ip_read, ids.instance_ip),
        (vnc.loadbalancer_pool_read, ids.listeners[0].pool),
    ]:
        with pytest.raises(NoIdError):
            reader(id=uid)
    # the VIP address went back to the subnet, and the set's back-ref went with the LB
    again = t.add_load_balancer(vnc, topo, "again")
    assert again.vip == ids.vip
    sas = vnc.service_appliance_set_read(id=topo.sas, fields=["loadbalancer_back_refs"])
    assert [r["uuid"] for r in sas.get_loadbalancer_back_refs()] == [again.loadbalancer]


def test_kube_service_shapes(vnc, topo):
    ids = t.add_kube_service(
        vnc,
        topo,
        "nginx",
        namespace="web",
        ports=[t.KubePort(80, 8080), t.KubePort(53, 53, "SCTP")],
        pods=["10.2.1.5", None],
        cluster_ip="10.2.200.1",
        uid="5f2c0f0e-1111-4222-8333-944455556666",
    )
    lb = vnc.loadbalancer_read(id="5f2c0f0e-1111-4222-8333-944455556666")
    assert lb.name == "nginx__5f2c0f0e-1111-4222-8333-944455556666"
    assert lb.get_display_name() == "web__nginx"
    assert lb.get_loadbalancer_provider() == "native"
    assert lb.get_loadbalancer_properties().vip_subnet_id is None
    assert lb.get_loadbalancer_properties().vip_address == "10.2.200.1"
    ann = {p.key: p.value for p in lb.get_annotations().key_value_pair}
    assert ann == {
        "owner": "k8s",
        "cluster": "k8s",
        "project": "demo",
        "namespace": "web",
        "name": "nginx",
        "kind": "Service",
    }
    assert lb.get_service_appliance_set_refs() is None  # no 'native' set exists
    tcp, udp = ids.listeners
    assert (
        vnc.loadbalancer_listener_read(id=udp.listener)
        .get_loadbalancer_listener_properties()
        .protocol
        == "UDP"
    )
    member = vnc.loadbalancer_member_read(id=tcp.members[0])
    assert member.get_loadbalancer_member_properties().address is None
    vmi_id = {p.key: p.value for p in member.get_annotations().key_value_pair}["vmi"]
    vmi = vnc.virtual_machine_interface_read(id=vmi_id, fields=["instance_ip_back_refs"])
    iip = vnc.instance_ip_read(id=vmi.get_instance_ip_back_refs()[0]["uuid"])
    assert iip.get_instance_ip_address() == "10.2.1.5"
    t.delete_load_balancer(vnc, ids)
    assert vnc.loadbalancers_list()["loadbalancers"] == []


def test_kube_ingress_string_ports_and_tls(vnc, topo):
    ids = t.add_kube_ingress(
        vnc,
        topo,
        "shop",
        namespace="web",
        tls_secret="shop-cert",
        rules=[t.IngressRule("shop.example.com", "/cart", "cart", "10.2.200.7", 8080)],
        default_backend=t.IngressRule(None, None, "front", "10.2.200.8", 80),
    )
    lb = vnc.loadbalancer_read(id=ids.loadbalancer)
    assert lb.get_loadbalancer_provider() == "opencontrail"
    listeners = vnc.loadbalancer_listeners_list(detail=True, back_ref_id=ids.loadbalancer)
    props = {
        lst.get_loadbalancer_listener_properties().protocol_port: lst.get_loadbalancer_listener_properties()
        for lst in listeners
    }
    # kube-manager sends "80"/"443"; the server stores integers (_validate_simple_type)
    assert set(props) == {80, 443}
    assert props[443].protocol == "TERMINATED_HTTPS"
    assert props[443].default_tls_container == "web__shop-cert"
    pools = vnc.loadbalancer_pools_list(detail=True, parent_id=topo.project)
    kinds = sorted(
        tuple(sorted((p.key, p.value) for p in pool.get_annotations().key_value_pair))
        for pool in pools
    )
    assert kinds.count((("host", "shop.example.com"), ("path", "/cart"), ("type", "acl"))) == 2
    assert kinds.count((("type", "default"),)) == 2


def test_member_with_address_none_created_directly(vnc, topo):
    ids = t.add_load_balancer(vnc, topo, "web", listeners=[web_listener()])
    pool = vnc.loadbalancer_pool_read(id=ids.listeners[0].pool)
    member = LoadbalancerMember(
        "m",
        parent_obj=pool,
        loadbalancer_member_properties=LoadbalancerMemberType(address=None, protocol_port="8080"),
    )
    vnc.loadbalancer_member_create(member)
    read = vnc.loadbalancer_member_read(id=member.uuid)
    assert read.get_loadbalancer_member_properties().address is None
    assert read.get_loadbalancer_member_properties().protocol_port == 8080  # converted
    with pytest.raises(RefsExistError):
        vnc.loadbalancer_pool_delete(id=pool.uuid)
