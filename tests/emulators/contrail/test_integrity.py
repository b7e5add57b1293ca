"""Each integrity rule of the real API server, seen as the vnc_api exception it raises."""

from __future__ import annotations

import pytest
from vnc_api.vnc_api import (
    BadRequest,
    InstanceIp,
    KeyValuePair,
    KeyValuePairs,
    Loadbalancer,
    LoadbalancerHealthmonitor,
    LoadbalancerListener,
    LoadbalancerListenerType,
    LoadbalancerPool,
    LoadbalancerPoolType,
    LoadbalancerType,
    NoIdError,
    Project,
    RefsExistError,
    VirtualMachineInterface,
    VirtualNetwork,
)

from emulators.contrail import topology as t


def test_duplicate_fq_name_is_409(vnc, topo):
    """VncApiServer._post_common: "<fq_name> already exists with uuid: <uuid>"."""
    with pytest.raises(RefsExistError, match="already exists"):
        vnc.project_create(Project("demo"))


def test_missing_parent_is_400(vnc):
    """VncApiServer.http_resource_create: 'Parent ... does not exist' is a 400."""
    ghost = Project("ghost")
    ghost.fq_name = ["no-such-domain", "ghost"]
    with pytest.raises(BadRequest, match=r"Parent \['no-such-domain'\] type domain does not exist"):
        vnc.project_create(ghost)


def test_missing_ref_target_is_404(vnc, topo):
    project = vnc.project_read(id=topo.project)
    lb = Loadbalancer("lb", parent_obj=project, loadbalancer_properties=LoadbalancerType())
    lb.add_virtual_machine_interface(VirtualMachineInterface("nope", parent_obj=project))
    with pytest.raises(NoIdError):
        vnc.loadbalancer_create(lb)
    with pytest.raises(NoIdError):
        vnc.ref_update("loadbalancer", topo.project, "service-appliance-set", topo.sas, None, "ADD")


def test_delete_with_children_is_409_naming_them(vnc, topo):
    """VncApiServer.http_resource_delete: "Delete when children still present: [hrefs]"."""
    with pytest.raises(RefsExistError) as err:
        vnc.project_delete(id=topo.project)
    text = str(err.value)
    assert text.startswith("Delete when children still present: ['http://")
    assert f"/virtual-network/{topo.networks['management']}'" in text


def test_delete_with_back_refs_is_409_naming_them(vnc, topo, server):
    """VncApiServer.http_resource_delete: "Delete when resource still referred: [hrefs]"."""
    ids = t.add_load_balancer(vnc, topo, "web")
    with pytest.raises(RefsExistError) as err:
        vnc.service_appliance_set_delete(id=topo.sas)
    assert str(err.value) == (
        f"Delete when resource still referred: ['{server.url}/loadbalancer/{ids.loadbalancer}']"
    )
    with pytest.raises(RefsExistError, match="instance-ip"):
        vnc.virtual_machine_interface_delete(id=ids.vmi)


def test_create_only_property_can_change(vnc, topo):
    """VncApiServer._put_common has no create-only check: R2005 accepts a new
    loadbalancer_provider although the schema marks it CR."""
    ids = t.add_load_balancer(vnc, topo, "web")
    lb = vnc.loadbalancer_read(id=ids.loadbalancer)
    lb.set_loadbalancer_provider("opencontrail")
    vnc.loadbalancer_update(lb)
    assert vnc.loadbalancer_read(id=ids.loadbalancer).get_loadbalancer_provider() == "opencontrail"


def test_mandatory_property_missing_is_400(vnc, topo):
    """VncApiServer._validate_props_in_request with _MANDATORY_PROPS."""
    project = vnc.project_read(id=topo.project)
    with pytest.raises(
        BadRequest,
        match="Bad property in create: loadbalancer_healthmonitor_properties property is missing",
    ):
        vnc.loadbalancer_healthmonitor_create(LoadbalancerHealthmonitor("hm", parent_obj=project))


def test_enum_violation_is_400(vnc, topo):
    project = vnc.project_read(id=topo.project)
    listener = LoadbalancerListener(
        "l",
        parent_obj=project,
        loadbalancer_listener_properties=LoadbalancerListenerType(
            protocol="SMTP", protocol_port=25
        ),
    )
    with pytest.raises(BadRequest, match="SMTP"):
        vnc.loadbalancer_listener_create(listener)


def _iip(vnc, topo, name, address=None, network="internal"):
    vn = vnc.virtual_network_read(id=topo.networks[network])
    iip = InstanceIp(name, instance_ip_address=address)
    iip.set_virtual_network(vn)
    vnc.instance_ip_create(iip)
    return vnc.instance_ip_read(id=iip.uuid)


def test_instance_ip_allocation_skips_reserved_addresses(vnc, topo):
    """InstanceIpServer.pre_dbe_create -> AddrMgmt.ip_alloc_req (Subnet._exclude)."""
    vn = VirtualNetwork("tiny", parent_obj=vnc.project_read(id=topo.project))
    ipam = vnc.network_ipam_read(id=topo.ipam)
    from vnc_api.vnc_api import IpamSubnetType, SubnetType, VnSubnetsType

    vn.add_network_ipam(
        ipam,
        VnSubnetsType([IpamSubnetType(subnet=SubnetType("192.0.2.0", 29), addr_from_start=True)]),
    )
    vnc.virtual_network_create(vn)
    topo.networks["tiny"] = vn.uuid
    # /29: .0 network, .1 gateway, .2 DNS, .7 broadcast -> .3 .4 .5 .6 are usable
    got = [_iip(vnc, topo, f"i{n}", network="tiny").get_instance_ip_address() for n in range(4)]
    assert got == ["192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6"]
    # InstanceIpServer.pre_dbe_create: allocation failures are 400 (text of vnc_addr_mgmt)
    with pytest.raises(BadRequest, match=r"tiny'\]\) has exhausted subnet\(\[\]\)"):
        _iip(vnc, topo, "i5", network="tiny")


def test_instance_ip_outside_subnet_is_400_and_in_use_is_409(vnc, topo):
    """InstanceIpServer.pre_dbe_create: is_ip_allocated -> 409 "IP address already in use"
    (not for the gateway); ip_alloc_req failures -> 400."""
    with pytest.raises(BadRequest, match="has exhausted subnet"):
        _iip(vnc, topo, "outside", "192.168.99.9")
    _iip(vnc, topo, "first", "10.2.0.50")
    with pytest.raises(RefsExistError, match="^IP address already in use$"):
        _iip(vnc, topo, "second", "10.2.0.50")
    with pytest.raises(RefsExistError, match="^IP address already in use$"):
        _iip(vnc, topo, "dns", "10.2.0.2")  # the service address is excluded
    assert _iip(vnc, topo, "gw", "10.2.0.1").get_instance_ip_address() == "10.2.0.1"


def test_subnet_with_addresses_in_use_cannot_be_removed(vnc, topo):
    """VirtualNetworkServer.pre_dbe_update -> AddrMgmt.net_check_subnet_delete (409)."""
    _iip(vnc, topo, "busy", "10.2.0.60")
    vn = vnc.virtual_network_read(id=topo.networks["internal"])
    ipam = vnc.network_ipam_read(id=topo.ipam)
    vn.del_network_ipam(ipam)
    with pytest.raises(
        RefsExistError, match=r"^Cannot Delete IP Block, IP\(10.2.0.60\) is in use$"
    ):
        vnc.virtual_network_update(vn)


def test_sas_update_rejected_while_pools_refer_to_it(vnc, topo):
    """ServiceApplianceSetServer.pre_dbe_update (resources/service_appliance_set.py)."""
    ids = t.add_load_balancer(
        vnc, topo, "web", listeners=[t.ListenerSpec("TCP", 22, pool=t.PoolSpec())]
    )
    sas = vnc.service_appliance_set_read(id=topo.sas)
    sas.set_service_appliance_set_properties(KeyValuePairs([KeyValuePair("address", "10.0.0.1")]))
    vnc.service_appliance_set_update(sas)  # only a load balancer refers to it: allowed
    pool = vnc.loadbalancer_pool_read(id=ids.listeners[0].pool)
    pool.set_service_appliance_set(sas)
    vnc.loadbalancer_pool_update(pool)
    sas = vnc.service_appliance_set_read(id=topo.sas)
    sas.set_service_appliance_driver("other.Driver")
    with pytest.raises(
        RefsExistError,
        match="^Service appliance set can not be updated as loadbalancer pools are using it$",
    ):
        vnc.service_appliance_set_update(sas)
    assert vnc.service_appliance_set_read(id=topo.sas).get_service_appliance_driver() == t.F5_DRIVER


def test_unknown_uuid_is_noiderror(vnc):
    with pytest.raises(NoIdError):
        vnc.loadbalancer_read(id="00000000-0000-0000-0000-000000000001")
    with pytest.raises(NoIdError):
        vnc.loadbalancer_delete(id="00000000-0000-0000-0000-000000000001")
    with pytest.raises(NoIdError):
        vnc.id_to_fq_name("00000000-0000-0000-0000-000000000001")


def test_fq_name_to_id_unknown_raises_noiderror(vnc):
    with pytest.raises(NoIdError):
        vnc.fq_name_to_id("project", ["default-domain", "nope"])


def test_uuid_taken_is_409(vnc, topo):
    """VncApiServer._post_common: "<uuid> already exists with fq_name: <fq_name>"."""
    project = vnc.project_read(id=topo.project)
    pool = LoadbalancerPool(
        "p", parent_obj=project, loadbalancer_pool_properties=LoadbalancerPoolType(protocol="TCP")
    )
    pool.uuid = topo.project
    with pytest.raises(RefsExistError, match=f"^{topo.project} already exists with fq_name"):
        vnc.loadbalancer_pool_create(pool)


def _network(vnc, topo, name, cidr, length, **subnet):
    from vnc_api.vnc_api import IpamSubnetType, SubnetType, VnSubnetsType

    vn = VirtualNetwork(name, parent_obj=vnc.project_read(id=topo.project))
    vn.add_network_ipam(
        vnc.network_ipam_read(id=topo.ipam),
        VnSubnetsType([IpamSubnetType(subnet=SubnetType(cidr, length), **subnet)]),
    )
    vnc.virtual_network_create(vn)
    topo.networks[name] = vn.uuid
    return vnc.virtual_network_read(id=vn.uuid).get_network_ipam_refs()[0]["attr"].ipam_subnets[0]


def test_a_subnet_not_allocated_from_the_start_serves_from_its_top(vnc, topo):
    """AddrMgmt (the real server): without addr_from_start the gateway is the last usable
    address (.254 of a /24), DNS the one below (.253), and addresses go downwards from .252."""
    subnet = _network(vnc, topo, "top", "192.0.2.0", 24)
    assert (subnet.default_gateway, subnet.dns_server_address) == ("192.0.2.254", "192.0.2.253")
    got = [_iip(vnc, topo, f"t{n}", network="top").get_instance_ip_address() for n in range(2)]
    assert got == ["192.0.2.252", "192.0.2.251"]
    start = _network(vnc, topo, "low", "198.51.100.0", 24, addr_from_start=True)
    assert (start.default_gateway, start.dns_server_address) == ("198.51.100.1", "198.51.100.2")
    assert _iip(vnc, topo, "l0", network="low").get_instance_ip_address() == "198.51.100.3"


def test_a_missing_object_reads_unknown_id(vnc):
    """The server's NoIdError text: ``Unknown id: <uuid>``."""
    missing = "00000000-0000-0000-0000-000000000002"
    with pytest.raises(NoIdError, match=f"response Unknown id: {missing}$"):
        vnc.loadbalancer_read(id=missing)


def test_a_virtual_machine_interface_gets_a_mac_address(vnc, topo):
    """VirtualMachineInterfaceServer.pre_dbe_create (AddrMgmt.mac_alloc): ``02:`` and the
    first bytes of the uuid, unless one was given."""
    ids = t.add_load_balancer(vnc, topo, "web")
    vmi = vnc.virtual_machine_interface_read(id=ids.vmi)
    (mac,) = vmi.get_virtual_machine_interface_mac_addresses().mac_address
    u = ids.vmi
    assert mac == f"02:{u[0:2]}:{u[2:4]}:{u[4:6]}:{u[6:8]}:{u[9:11]}"
