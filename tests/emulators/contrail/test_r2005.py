"""Server-side rules of the R2005 Contrail API server, each seen through the stock VncApi.

Every test's docstring names the function of Juniper/contrail-controller (branch R2005,
src/config/api-server/vnc_cfg_api_server/…) whose behaviour it pins down.
"""

from __future__ import annotations

import uuid as uuidlib

import pytest
from vnc_api.vnc_api import (
    BadRequest,
    CommunityAttributes,
    FloatingIp,
    FloatingIpPool,
    HttpError,
    InstanceIp,
    IpamSubnetType,
    LoadbalancerListener,
    LoadbalancerListenerType,
    PermissionDenied,
    Project,
    RefsExistError,
    RouteTable,
    RouteTableType,
    RouteTarget,
    RouteType,
    SubnetType,
    VirtualMachineInterface,
    VirtualNetwork,
    VnSubnetsType,
)

from emulators.contrail import topology as t
from tests.support.rabbitmq import QueueCollector

# --- virtual network ids ----------------------------------------------------------------


def _vn(vnc, topo, name, **kwargs):
    vn = VirtualNetwork(name, parent_obj=vnc.project_read(id=topo.project), **kwargs)
    vnc.virtual_network_create(vn)
    return vnc.virtual_network_read(id=vn.uuid)


def test_virtual_network_id_is_allocated_by_the_server(vnc, topo):
    """VirtualNetworkServer.pre_dbe_create (resources/virtual_network.py) allocates
    virtual_network_network_id with VncZkClient.alloc_vn_id (vnc_db.py: lowest free index
    from VNID_MIN_ALLOC=1); post_dbe_delete frees it."""
    ids = [
        vnc.virtual_network_read(id=u).get_virtual_network_network_id()
        for u in topo.networks.values()
    ]
    assert all(isinstance(i, int) and i > 0 for i in ids)
    assert len(set(ids)) == len(ids)
    defaults = [
        vnc.virtual_network_read(
            fq_name=["default-domain", "default-project", name]
        ).get_virtual_network_network_id()
        for name in ("default-virtual-network", "ip-fabric", "__link_local__")
    ]
    assert defaults == [1, 2, 3]
    assert sorted(ids) == list(range(4, 4 + len(ids)))
    extra = _vn(vnc, topo, "extra")
    freed = extra.get_virtual_network_network_id()
    vnc.virtual_network_delete(id=extra.uuid)
    assert _vn(vnc, topo, "again").get_virtual_network_network_id() == freed


def test_virtual_network_id_is_not_a_vlan_tag(server, vnc, topo):
    """VncZkClient._VN_MAX_ID = 1 << 24 (vnc_db.py): ids go past 4094."""
    # take ids 1..4094 without creating 4094 networks
    store = server.app.store
    for vn_id in range(1, 4095):
        store.vn_ids.setdefault(vn_id, "taken")
    assert _vn(vnc, topo, "big").get_virtual_network_network_id() == 4095


def test_virtual_network_id_cannot_be_set_or_changed(vnc, topo):
    """VirtualNetworkServer.pre_dbe_create: 403 "Cannot set the virtual network ID";
    VirtualNetworkServer.pre_dbe_update: 403 "Cannot update the virtual network ID"."""
    with pytest.raises(PermissionDenied, match="^Cannot set the virtual network ID$"):
        _vn(vnc, topo, "mine", virtual_network_network_id=100)
    vn = vnc.virtual_network_read(id=topo.networks["internal"])
    own = vn.get_virtual_network_network_id()
    vnc.virtual_network_update(vn)  # re-sending the same id is fine
    vn.set_virtual_network_network_id(own + 1000)
    with pytest.raises(PermissionDenied, match="^Cannot update the virtual network ID$"):
        vnc.virtual_network_update(vn)
    assert vnc.virtual_network_read(id=vn.uuid).get_virtual_network_network_id() == own


def test_system_networks_cannot_be_deleted(vnc):
    """VncApiServer.virtual_network_http_delete (api_server.py): ip-fabric and
    __link_local__ are refused with 409."""
    for name in ("ip-fabric", "__link_local__"):
        uid = vnc.fq_name_to_id("virtual-network", ["default-domain", "default-project", name])
        with pytest.raises(
            RefsExistError, match=f"^Can not delete system created default virtual-network {uid}$"
        ):
            vnc.virtual_network_delete(id=uid)


# --- floating ips -----------------------------------------------------------------------


def _pool(vnc, topo, network="public"):
    vn = vnc.virtual_network_read(id=topo.networks[network])
    pool = FloatingIpPool(f"pool-{uuidlib.uuid4().hex[:6]}", parent_obj=vn)
    vnc.floating_ip_pool_create(pool)
    return vnc.floating_ip_pool_read(id=pool.uuid)


def _fip(vnc, topo, pool, address=None):
    fip = FloatingIp(f"fip-{uuidlib.uuid4().hex[:6]}", parent_obj=pool, floating_ip_address=address)
    fip.set_project(vnc.project_read(id=topo.project))
    vnc.floating_ip_create(fip)
    return vnc.floating_ip_read(id=fip.uuid)


def test_floating_ip_gets_an_address_from_its_pool_network(vnc, topo):
    """FloatingIpServer.pre_dbe_create (resources/floating_ip.py): the address is allocated
    with AddrMgmt.ip_alloc_req in the network fq_name[:-2]; post_dbe_delete frees it."""
    pool = _pool(vnc, topo)
    first = _fip(vnc, topo, pool)
    assert first.get_floating_ip_address() == "203.0.113.3"  # .1 gateway, .2 DNS
    second = _fip(vnc, topo, pool)
    assert second.get_floating_ip_address() == "203.0.113.4"
    vnc.floating_ip_delete(id=first.uuid)
    assert _fip(vnc, topo, pool).get_floating_ip_address() == "203.0.113.3"


def test_floating_ip_defaults_project_ref(vnc, topo):
    """FloatingIpServer.pre_dbe_create: without project_refs the project of the fq_name
    (fq_name[:2]) is referred."""
    pool = _pool(vnc, topo)
    fip = FloatingIp("bare", parent_obj=pool)
    vnc.floating_ip_create(fip)
    refs = vnc.floating_ip_read(id=fip.uuid).get_project_refs()
    assert [r["to"] for r in refs] == [["default-domain", "demo"]]


def test_floating_ip_and_instance_ip_share_the_address_space(vnc, topo):
    """FloatingIpServer.pre_dbe_create / InstanceIpServer.pre_dbe_create: a requested
    address that AddrMgmt.is_ip_allocated reports (used by either kind) is 409
    "IP address already in use"."""
    pool = _pool(vnc, topo)
    vn = vnc.virtual_network_read(id=topo.networks["public"])
    iip = InstanceIp("taken", instance_ip_address="203.0.113.50")
    iip.set_virtual_network(vn)
    vnc.instance_ip_create(iip)
    with pytest.raises(RefsExistError, match="^IP address already in use$"):
        _fip(vnc, topo, pool, "203.0.113.50")
    _fip(vnc, topo, pool, "203.0.113.60")
    other = InstanceIp("clash", instance_ip_address="203.0.113.60")
    other.set_virtual_network(vn)
    with pytest.raises(RefsExistError, match="^IP address already in use$"):
        vnc.instance_ip_create(other)
    with pytest.raises(RefsExistError, match="^IP address already in use$"):
        _fip(vnc, topo, pool, "203.0.113.1")  # the gateway is excluded for floating ips


def test_floating_ip_allocation_failure_is_500(vnc, topo):
    """FloatingIpServer.pre_dbe_create wraps allocation errors as (500, str(e))."""
    t.add_network(vnc, topo, "tiny", "192.0.2.0/30")  # .1 gateway, .2 DNS: nothing left
    pool = _pool(vnc, topo, "tiny")
    with pytest.raises(HttpError) as err:
        _fip(vnc, topo, pool)
    assert err.value.status_code == 500
    assert "has exhausted subnet([])" in str(err.value)


# --- route tables -----------------------------------------------------------------------


def _route_table(vnc, topo, routes, name="rt"):
    rt = RouteTable(
        name, parent_obj=vnc.project_read(id=topo.project), routes=RouteTableType(routes)
    )
    vnc.route_table_create(rt)
    return rt


def test_route_community_attributes_are_validated(vnc, topo):
    """VncApiServer._validate_communityattribute_type (api_server.py, through
    _validate_simple_type for simple type CommunityAttribute)."""
    good = ["no-export", "accept-own", "no-advertise", "no-export-subconfed", "no-reoriginate"]
    _route_table(
        vnc,
        topo,
        [RouteType("10.9.0.0/24", community_attributes=CommunityAttributes([*good, "65535:1"]))],
    )
    with pytest.raises(BadRequest, match="Invalid community format no-such"):
        _route_table(
            vnc,
            topo,
            [RouteType("10.9.1.0/24", community_attributes=CommunityAttributes(["no-such"]))],
            "bad1",
        )
    with pytest.raises(BadRequest, match="Out of range ASN value 65536:1"):
        _route_table(
            vnc,
            topo,
            [RouteType("10.9.1.0/24", community_attributes=CommunityAttributes(["65536:1"]))],
            "bad2",
        )


def test_route_table_refuses_duplicate_prefixes(vnc, topo):
    """RouteTableServer._check_prefixes (resources/route_table.py), on create and update."""
    with pytest.raises(BadRequest, match="^Duplicate prefixes not allowed: "):
        _route_table(vnc, topo, [RouteType("10.9.0.0/24"), RouteType("10.9.0.0/24")])
    rt = _route_table(vnc, topo, [RouteType("10.9.0.0/24")], "ok")
    rt.set_routes(RouteTableType([RouteType("10.9.0.0/24"), RouteType("10.9.0.0/24")]))
    with pytest.raises(BadRequest, match=f"^Duplicate prefixes not allowed: {rt.uuid}$"):
        vnc.route_table_update(rt)


# --- notifications ----------------------------------------------------------------------


@pytest.mark.rabbitmq
def test_create_notification_carries_the_request_as_sent(amqp_server, broker_url):
    """VncDbClient.dbe_create (vnc_db.py) publishes the request's obj_dict: a ref given by
    fq_name only has no uuid; server-set fields (network id, converted ints) are in it."""
    from emulators import contrail

    vnc = contrail.client(amqp_server)
    with QueueCollector(broker_url) as q:
        topo = t.seed_topology(vnc, sas_name=None)
        project = vnc.project_read(id=topo.project)
        by_name = VirtualNetwork("internal", parent_obj=project)  # no uuid: ref by fq_name
        vmi = VirtualMachineInterface("port", parent_obj=project)
        vmi.set_virtual_network(by_name)
        vnc.virtual_machine_interface_create(vmi)
        (created,) = q.wait_for(lambda m: m["uuid"] == vmi.uuid and m["oper"] == "CREATE")
        assert created["obj_dict"]["virtual_network_refs"] == [
            {"to": ["default-domain", "demo", "internal"], "attr": None}
        ]
        (vn,) = q.wait_for(
            lambda m: m["uuid"] == topo.networks["internal"] and m["oper"] == "CREATE"
        )
        assert isinstance(vn["obj_dict"]["virtual_network_network_id"], int)
        (iip_ref,) = vn["obj_dict"]["network_ipam_refs"]
        assert iip_ref["attr"]["ipam_subnets"][0]["subnet_uuid"] == topo.subnets["internal"]


# --- value conversion and validation ----------------------------------------------------


def test_integer_strings_become_integers(vnc, topo):
    """VncApiServer._validate_simple_type (api_server.py) returns int(value) for integer
    and unsignedLong fields; _validate_complex_type stores it back."""
    project = vnc.project_read(id=topo.project)
    listener = LoadbalancerListener(
        "l",
        parent_obj=project,
        loadbalancer_listener_properties=LoadbalancerListenerType(
            protocol="HTTP", protocol_port="8080", connection_limit="-1"
        ),
    )
    vnc.loadbalancer_listener_create(listener)
    props = vnc.loadbalancer_listener_read(id=listener.uuid).get_loadbalancer_listener_properties()
    assert (props.protocol_port, props.connection_limit) == (8080, -1)
    with pytest.raises(BadRequest, match="protocol_port: integer value expected instead of x"):
        listener.set_loadbalancer_listener_properties(
            LoadbalancerListenerType(protocol="HTTP", protocol_port="x")
        )
        vnc.loadbalancer_listener_update(listener)


def test_boolean_must_be_a_json_boolean(vnc, topo):
    """VncApiServer._validate_simple_type: 'true/false expected' for a non-bool."""
    listener = LoadbalancerListener(
        "l",
        parent_obj=vnc.project_read(id=topo.project),
        loadbalancer_listener_properties=LoadbalancerListenerType(
            protocol="HTTP", admin_state="true"
        ),
    )
    with pytest.raises(BadRequest, match="admin_state: true/false expected instead of true"):
        vnc.loadbalancer_listener_create(listener)


def test_unknown_field_inside_a_struct_is_refused(vnc, topo):
    """VncApiServer._validate_complex_type: "class … does not have field …"."""
    listener = LoadbalancerListener(
        "l",
        parent_obj=vnc.project_read(id=topo.project),
        loadbalancer_listener_properties=LoadbalancerListenerType(protocol="HTTP"),
    )
    listener.get_loadbalancer_listener_properties().colour = "blue"
    with pytest.raises(BadRequest, match="does not have field colour"):
        vnc.loadbalancer_listener_create(listener)


def test_names_with_colon_are_refused(vnc, topo):
    """VncApiServer._post_validate: ':' is invalid in a name, except for route-targets."""
    with pytest.raises(BadRequest, match="name has one of invalid chars"):
        vnc.project_create(Project("a:b"))
    vnc.route_target_create(RouteTarget("target:64512:1"))


def test_upper_case_uuid_is_refused(vnc, topo):
    """VncApiServer._post_common: uuid_in_req != str(uuid.UUID(uuid_in_req)) -> 400."""
    project = Project("upper")
    project.uuid = str(uuidlib.uuid4()).upper()
    with pytest.raises(BadRequest, match=f"^Invalid UUID format: {project.uuid}$"):
        vnc.project_create(project)


def test_vmi_without_network_fails(vnc, topo):
    """VirtualMachineInterfaceServer.pre_dbe_create reads obj_dict['virtual_network_refs'][0]:
    without one the create fails (500 with the exception's last traceback line)."""
    vmi = VirtualMachineInterface("lonely", parent_obj=vnc.project_read(id=topo.project))
    with pytest.raises(HttpError) as err:
        vnc.virtual_machine_interface_create(vmi)
    assert err.value.status_code == 500
    assert "KeyError: 'virtual_network_refs'" in str(err.value)


# --- delete rules, ref-relax-for-delete, chown/chmod/obj-perms --------------------------


def test_ref_relax_for_delete(vnc, topo):
    """VncApiServer.ref_relax_for_delete_http_post + http_resource_delete (relaxed back-refs
    do not block); VncCassandraClient.object_delete drops the relaxed refs with the target."""
    ids = t.add_load_balancer(vnc, topo, "web")
    with pytest.raises(RefsExistError, match="still referred"):
        vnc.service_appliance_set_delete(id=topo.sas)
    assert vnc.ref_relax_for_delete(ids.loadbalancer, topo.sas) == ids.loadbalancer
    vnc.service_appliance_set_delete(id=topo.sas)
    assert not vnc.loadbalancer_read(id=ids.loadbalancer).get_service_appliance_set_refs()
    with pytest.raises(Exception, match="not found"):
        vnc.ref_relax_for_delete("00000000-0000-4000-8000-000000000001", topo.project)


def test_chown_chmod_and_obj_perms(vnc, topo):
    """VncApiServer.obj_chown_http_post, obj_chmod_http_post and obj_perms_http_get (with
    auth disabled: permissions RWX)."""
    owner = str(uuidlib.uuid4())
    vnc.chown(topo.networks["public"], owner)
    assert vnc.virtual_network_read(id=topo.networks["public"]).get_perms2().owner == owner
    vnc.chmod(topo.networks["public"], global_access=5)
    vn = vnc.virtual_network_read(id=topo.networks["public"])
    assert vn.get_perms2().global_access == 5 and vn.get_is_shared() is True
    with pytest.raises(BadRequest, match="invalid owner UUID"):
        vnc.chown(topo.networks["public"], "not-a-uuid")
    with pytest.raises(BadRequest, match="invalid global_access"):
        vnc.chmod(topo.networks["public"], global_access=9)
    perms = vnc.obj_perms(None, topo.project)
    assert perms["permissions"] == "RWX" and perms["token_info"] is None


def test_illegal_xml_characters_in_a_name_are_refused(vnc):
    """VncApiServer._post_validate: illegal_xml_chars_RE."""
    with pytest.raises(BadRequest, match="^Bad Request, name has illegal xml characters$"):
        vnc.project_create(Project("bell\x07"))


def test_link_attributes_are_validated(vnc, topo):
    """VncApiServer._validate_refs_in_request: the attr of a typed ref is checked with
    _validate_complex_type."""
    vn = VirtualNetwork("odd", parent_obj=vnc.project_read(id=topo.project))
    subnets = VnSubnetsType([IpamSubnetType(subnet=SubnetType("192.0.2.0", 24))])
    subnets.colour = "blue"
    vn.add_network_ipam(vnc.network_ipam_read(id=topo.ipam), subnets)
    with pytest.raises(BadRequest, match="^Bad reference in create: .*does not have field colour"):
        vnc.virtual_network_create(vn)


def test_instance_ip_address_cannot_change(vnc, topo):
    """InstanceIpServer.pre_dbe_update: 400 "Instance IP Address can not be changed"."""
    iip = InstanceIp("fixed", instance_ip_address="10.2.0.77")
    iip.set_virtual_network(vnc.virtual_network_read(id=topo.networks["internal"]))
    vnc.instance_ip_create(iip)
    iip = vnc.instance_ip_read(id=iip.uuid)
    iip.set_instance_ip_address("10.2.0.78")
    with pytest.raises(BadRequest, match="^Instance IP Address can not be changed$"):
        vnc.instance_ip_update(iip)
