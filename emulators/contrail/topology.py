"""Reusable Contrail topologies, built with ``vnc_api`` objects only.

They work against the emulator or a real API server alike, and shape objects the way their
real producers do: Neutron's LBaaS v2 plugin (:func:`add_load_balancer`) and Kubernetes'
kube-manager (:func:`add_kube_service`, :func:`add_kube_ingress`). Every builder returns a
plain dataclass of uuids.

    topo = seed_topology(vnc)
    ids = add_load_balancer(vnc, topo, "web", listeners=[
        ListenerSpec("HTTP", 80, pool=PoolSpec("ROUND_ROBIN",
            members=[("10.2.0.10", 8080, 1)], monitor=MonitorSpec("HTTP")))])
    delete_load_balancer(vnc, ids)
"""

from __future__ import annotations

import ipaddress
import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vnc_api.vnc_api import (
    Domain,
    GlobalSystemConfig,
    InstanceIp,
    IpamSubnetType,
    KeyValuePair,
    KeyValuePairs,
    Loadbalancer,
    LoadbalancerHealthmonitor,
    LoadbalancerHealthmonitorType,
    LoadbalancerListener,
    LoadbalancerListenerType,
    LoadbalancerMember,
    LoadbalancerMemberType,
    LoadbalancerPool,
    LoadbalancerPoolType,
    LoadbalancerType,
    NoIdError,
    Project,
    ServiceApplianceSet,
    SubnetType,
    VirtualMachineInterface,
    VirtualNetwork,
    VnSubnetsType,
)

# The seed document's service-appliance-set example (seed §4.2).
F5_DRIVER = "svc_monitor.services.loadbalancer.drivers.f5.driver.OpencontrailF5LoadbalancerDriver"
F5_KV = {"address": "10.84.31.99", "user": "admin", "password": "admin"}

# Virtual networks of the seed's use cases (§3): the vLTM sits on management, external and
# internal; 'public' is exposed to the underlay through the gateway.
DEFAULT_NETWORKS = {
    "management": "172.16.10.0/24",
    "external": "10.1.0.0/16",
    "internal": "10.2.0.0/16",
    "public": "203.0.113.0/24",
}


@dataclass
class Topology:
    project: str  # uuid
    project_fq_name: list[str]
    networks: dict[str, str]  # name -> virtual-network uuid
    subnets: dict[str, str]  # network name -> subnet uuid (one subnet per network)
    cidrs: dict[str, str]  # network name -> cidr
    sas: str | None  # service-appliance-set uuid
    sas_name: str | None
    ipam: str


@dataclass
class MonitorSpec:
    monitor_type: str = "HTTP"  # PING, TCP, HTTP, HTTPS
    delay: int = 5
    timeout: int = 5
    max_retries: int = 3
    http_method: str | None = "GET"
    url_path: str | None = "/"
    expected_codes: str | None = "200"


@dataclass
class PoolSpec:
    method: str = "ROUND_ROBIN"  # ROUND_ROBIN, LEAST_CONNECTIONS, SOURCE_IP
    members: Sequence[tuple[str, int, int]] = ()  # (address, port, weight)
    monitor: MonitorSpec | None = None
    protocol: str | None = None  # default: the listener's (TERMINATED_HTTPS -> HTTP)
    session_persistence: str | None = None  # SOURCE_IP, HTTP_COOKIE, APP_COOKIE
    persistence_cookie_name: str | None = None


@dataclass
class ListenerSpec:
    protocol: str = "HTTP"  # HTTP, HTTPS, TCP, UDP, TERMINATED_HTTPS
    port: int | str = 80
    pool: PoolSpec | None = None
    connection_limit: int | None = None
    default_tls_container: str | None = None
    sni_containers: Sequence[str] = ()


@dataclass
class ListenerIds:
    listener: str
    pool: str | None = None
    members: list[str] = field(default_factory=list)
    monitor: str | None = None


@dataclass
class LoadBalancerIds:
    loadbalancer: str
    vmi: str
    instance_ip: str
    vip: str
    listeners: list[ListenerIds] = field(default_factory=list)
    # kube-manager shapes: the pods' VMIs and instance-ips the members point at
    pod_vmis: list[str] = field(default_factory=list)
    pod_instance_ips: list[str] = field(default_factory=list)


def _kv(pairs: dict[str, str]) -> KeyValuePairs:
    return KeyValuePairs([KeyValuePair(key=k, value=v) for k, v in pairs.items()])


def seed_topology(
    vnc: Any,
    project: str = "demo",
    networks: dict[str, str] | None = None,
    sas_name: str | None = "f5",
    sas_kv: dict[str, str] | None = None,
    driver: str = F5_DRIVER,
) -> Topology:
    """The seed's topology: project, networks management/external/internal/public each with
    one subnet (allocation from the start, as Neutron creates them), and the service-appliance
    set ``f5`` with the seed's driver and kv pairs (``sas_name=None`` skips it)."""
    proj = Project(project, parent_obj=Domain())
    vnc.project_create(proj)
    ipam = vnc.network_ipam_read(
        fq_name=["default-domain", "default-project", "default-network-ipam"]
    )
    topo = Topology(proj.uuid, proj.get_fq_name(), {}, {}, {}, None, None, ipam.uuid)
    for name, cidr in (networks or DEFAULT_NETWORKS).items():
        add_network(vnc, topo, name, cidr, ipam=ipam)
    if sas_name:
        sas = add_appliance_set(vnc, sas_name, sas_kv or F5_KV, driver)
        topo.sas, topo.sas_name = sas.uuid, sas_name
    return topo


def add_appliance_set(
    vnc: Any,
    name: str,
    kv: dict[str, str],
    driver: str = F5_DRIVER,
    ha_mode: str | None = None,
) -> Any:
    """A service-appliance-set as operators create it: driver and kv pairs (the seed's form:
    address, port, user, password), optionally an HA mode."""
    sas = ServiceApplianceSet(
        name,
        parent_obj=GlobalSystemConfig(),
        service_appliance_driver=driver,
        service_appliance_ha_mode=ha_mode,
        service_appliance_set_properties=_kv(kv),
    )
    vnc.service_appliance_set_create(sas)
    return sas


def add_network(vnc: Any, topo: Topology, name: str, cidr: str, ipam: Any = None) -> str:
    """A virtual network in the topology's project with one subnet on the default ipam."""
    net = ipaddress.ip_network(cidr)
    ipam = ipam or vnc.network_ipam_read(id=topo.ipam)
    vn = VirtualNetwork(name, parent_obj=Project(topo.project_fq_name[-1], parent_obj=Domain()))
    vn.fq_name = [*topo.project_fq_name, name]
    subnet = IpamSubnetType(
        subnet=SubnetType(str(net.network_address), net.prefixlen), addr_from_start=True
    )
    vn.add_network_ipam(ipam, VnSubnetsType([subnet]))
    vnc.virtual_network_create(vn)
    vn = vnc.virtual_network_read(id=vn.uuid)
    topo.networks[name] = vn.uuid
    topo.subnets[name] = vn.get_network_ipam_refs()[0]["attr"].ipam_subnets[0].subnet_uuid
    topo.cidrs[name] = cidr
    return vn.uuid


def _project(vnc: Any, topo: Topology) -> Any:
    return vnc.project_read(id=topo.project)


def _port(
    vnc: Any,
    project: Any,
    vn: Any,
    name: str,
    device_owner: str,
    address: str | None,
    iip_name: str | None = None,
) -> tuple[str, str, str]:
    """A VMI on ``vn`` with an instance-ip; returns (vmi uuid, iip uuid, address)."""
    vmi = VirtualMachineInterface(name, parent_obj=project)
    vmi.set_virtual_network(vn)
    vmi.set_virtual_machine_interface_device_owner(device_owner)
    vnc.virtual_machine_interface_create(vmi)
    iip = InstanceIp(iip_name or name, instance_ip_address=address)
    iip.set_virtual_network(vn)
    iip.set_virtual_machine_interface(vmi)
    vnc.instance_ip_create(iip)
    iip = vnc.instance_ip_read(id=iip.uuid)
    return vmi.uuid, iip.uuid, iip.get_instance_ip_address()


def _sas(vnc: Any, provider: str) -> Any:
    try:
        return vnc.service_appliance_set_read(fq_name=["default-global-system-config", provider])
    except NoIdError:
        return None


def _add_listener(
    vnc: Any,
    project: Any,
    lb: Any,
    spec: ListenerSpec,
    name: str,
    annotations: dict[str, str] | None = None,
    member_subnet: str | None = None,
) -> ListenerIds:
    props = LoadbalancerListenerType(
        protocol=spec.protocol,
        protocol_port=spec.port,
        admin_state=True,
        connection_limit=spec.connection_limit,
        default_tls_container=spec.default_tls_container,
        sni_containers=list(spec.sni_containers) or None,
    )
    listener = LoadbalancerListener(
        name, parent_obj=project, loadbalancer_listener_properties=props, display_name=name
    )
    if annotations:
        listener.set_annotations(_kv(annotations))
    listener.set_loadbalancer(lb)
    vnc.loadbalancer_listener_create(listener)
    ids = ListenerIds(listener.uuid)
    if spec.pool is not None:
        _add_pool(vnc, project, listener, spec, spec.pool, f"{name}-pool", ids, member_subnet)
    return ids


def _add_pool(
    vnc: Any,
    project: Any,
    listener: Any,
    lspec: ListenerSpec,
    spec: PoolSpec,
    name: str,
    ids: ListenerIds,
    member_subnet: str | None,
    annotations: dict[str, str] | None = None,
) -> None:
    protocol = spec.protocol or ("HTTP" if lspec.protocol == "TERMINATED_HTTPS" else lspec.protocol)
    pool = LoadbalancerPool(
        name,
        parent_obj=project,
        loadbalancer_pool_properties=LoadbalancerPoolType(
            protocol=protocol,
            loadbalancer_method=spec.method,
            admin_state=True,
            session_persistence=spec.session_persistence,
            persistence_cookie_name=spec.persistence_cookie_name,
            subnet_id=member_subnet,
        ),
    )
    if annotations:
        pool.set_annotations(_kv(annotations))
    pool.set_loadbalancer_listener(listener)
    if spec.monitor is not None:
        m = spec.monitor
        hm = LoadbalancerHealthmonitor(
            f"{name}-monitor",
            parent_obj=project,
            loadbalancer_healthmonitor_properties=LoadbalancerHealthmonitorType(
                admin_state=True,
                monitor_type=m.monitor_type,
                delay=m.delay,
                timeout=m.timeout,
                max_retries=m.max_retries,
                http_method=m.http_method if m.monitor_type.startswith("HTTP") else None,
                url_path=m.url_path if m.monitor_type.startswith("HTTP") else None,
                expected_codes=m.expected_codes if m.monitor_type.startswith("HTTP") else None,
            ),
        )
        vnc.loadbalancer_healthmonitor_create(hm)
        pool.set_loadbalancer_healthmonitor(hm)
        ids.monitor = hm.uuid
    vnc.loadbalancer_pool_create(pool)
    ids.pool = pool.uuid
    for n, (address, port, weight) in enumerate(spec.members):
        member = LoadbalancerMember(
            f"member-{n}",
            parent_obj=pool,
            loadbalancer_member_properties=LoadbalancerMemberType(
                address=address,
                protocol_port=port,
                weight=weight,
                admin_state=True,
                subnet_id=member_subnet,
            ),
        )
        vnc.loadbalancer_member_create(member)
        ids.members.append(member.uuid)


def add_load_balancer(
    vnc: Any,
    topo: Topology,
    name: str,
    vip: str | None = None,
    listeners: Sequence[ListenerSpec] = (),
    network: str = "external",
    member_network: str = "internal",
    provider: str | None = None,
) -> LoadBalancerIds:
    """A load balancer as Neutron's LBaaS v2 plugin creates it.

    VIP port: a VMI named ``<lb uuid>`` with ``device_owner`` ``neutron:LOADBALANCER`` on
    ``network`` and an instance-ip (``vip`` or the next free address); the load balancer
    (uuid chosen up front, as Neutron does) refers to that VMI and to the service-appliance
    set named ``provider`` (default: the topology's set), with ``loadbalancer_provider``,
    ``vip_address`` and ``vip_subnet_id`` set. Each listener gets its pool, members and
    health monitor.
    """
    provider = provider or topo.sas_name or "f5"
    project = _project(vnc, topo)
    vn = vnc.virtual_network_read(id=topo.networks[network])
    lb_id = str(uuidlib.uuid4())
    vmi_id, iip_id, address = _port(vnc, project, vn, lb_id, "neutron:LOADBALANCER", vip)
    vmi = vnc.virtual_machine_interface_read(id=vmi_id)
    lb = Loadbalancer(
        name,
        parent_obj=project,
        loadbalancer_provider=provider,
        display_name=name,
        loadbalancer_properties=LoadbalancerType(
            provisioning_status="PENDING_CREATE",
            operating_status="OFFLINE",
            vip_address=address,
            vip_subnet_id=topo.subnets[network],
            admin_state=True,
        ),
    )
    lb.uuid = lb_id
    lb.set_virtual_machine_interface(vmi)
    sas = _sas(vnc, provider)
    if sas is not None:
        lb.set_service_appliance_set(sas)
    vnc.loadbalancer_create(lb)
    ids = LoadBalancerIds(lb.uuid, vmi_id, iip_id, address)
    member_subnet = topo.subnets.get(member_network)
    for spec in listeners:
        lname = f"{name}-{spec.protocol.lower()}-{spec.port}"
        ids.listeners.append(_add_listener(vnc, project, lb, spec, lname, None, member_subnet))
    return ids


@dataclass
class KubePort:
    port: int
    target_port: int
    protocol: str = "TCP"
    name: str | None = None


def _kube_annotations(
    cluster: str, project: str, namespace: str, name: str, kind: str
) -> dict[str, str]:
    return {
        "owner": "k8s",
        "cluster": cluster,
        "project": project,
        "namespace": namespace,
        "name": name,
        "kind": kind,
    }


def add_kube_service(
    vnc: Any,
    topo: Topology,
    name: str,
    namespace: str = "default",
    ports: Sequence[KubePort] = (KubePort(80, 8080),),
    pods: Sequence[str | None] = (None,),
    cluster_ip: str | None = None,
    cluster: str = "k8s",
    uid: str | None = None,
    network: str = "internal",
) -> LoadBalancerIds:
    """A Kubernetes Service's load balancer exactly as kube-manager builds it.

    uuid = the Service uid, name ``<svc>__<uid>``, display name ``<ns>__<svc>``, provider
    ``native``, annotations owner/cluster/project/namespace/name/kind, **no vip_subnet_id**;
    VIP VMI ``<cluster>__Service__<svc>__<uid>`` (``K8S:LOADBALANCER``) with an instance-ip
    holding the clusterIP. One listener + pool per port (protocol UDP unless TCP/HTTP/HTTPS);
    one member per pod with ``address=None`` and annotations ``vmi``/``vm`` pointing at a pod
    VMI that has an instance-ip (``pods`` lists the pod IPs, None = allocate).
    """
    uid = uid or str(uuidlib.uuid4())
    project = _project(vnc, topo)
    vn = vnc.virtual_network_read(id=topo.networks[network])
    lb_name = f"{name}__{uid}"
    vmi_id, iip_id, address = _port(
        vnc, project, vn, f"{cluster}__Service__{name}__{uid}", "K8S:LOADBALANCER", cluster_ip
    )
    ids = LoadBalancerIds(uid, vmi_id, iip_id, address)
    for n, pod_ip in enumerate(pods):
        pod_vmi, pod_iip, _ = _port(
            vnc, project, vn, f"{name}-pod-{n}-{uid[:8]}", "compute:kubernetes", pod_ip
        )
        ids.pod_vmis.append(pod_vmi)
        ids.pod_instance_ips.append(pod_iip)
    lb = Loadbalancer(
        lb_name,
        parent_obj=project,
        loadbalancer_provider="native",
        display_name=f"{namespace}__{name}",
        loadbalancer_properties=LoadbalancerType(
            provisioning_status="ACTIVE", operating_status="ONLINE", vip_address=address
        ),
    )
    lb.uuid = uid
    lb.set_annotations(_kv(_kube_annotations(cluster, project.name, namespace, name, "Service")))
    lb.set_virtual_machine_interface(vnc.virtual_machine_interface_read(id=vmi_id))
    sas = _sas(vnc, "native")
    if sas is not None:
        lb.set_service_appliance_set(sas)
    vnc.loadbalancer_create(lb)
    for port in ports:
        protocol = (
            port.protocol
            if port.protocol in ("TCP", "HTTP", "HTTPS", "TERMINATED_HTTPS")
            else "UDP"
        )
        lname = f"{lb_name}-{protocol}-{port.port}-{uuidlib.uuid4()}"
        listener = LoadbalancerListener(
            lname,
            parent_obj=project,
            display_name=lname,
            loadbalancer_listener_properties=LoadbalancerListenerType(
                protocol=protocol, protocol_port=port.port, admin_state=True
            ),
        )
        if port.name:
            listener.set_annotations(_kv({"portName": port.name}))
        listener.set_loadbalancer(lb)
        vnc.loadbalancer_listener_create(listener)
        lids = ListenerIds(listener.uuid)
        pool = LoadbalancerPool(
            lname,
            parent_obj=project,
            loadbalancer_pool_properties=LoadbalancerPoolType(
                protocol=protocol if protocol in ("TCP", "HTTP", "HTTPS") else "UDP",
                admin_state=True,
            ),
        )
        pool.set_loadbalancer_listener(listener)
        vnc.loadbalancer_pool_create(pool)
        lids.pool = pool.uuid
        for n, pod_vmi in enumerate(ids.pod_vmis):
            member = LoadbalancerMember(
                str(uuidlib.uuid4()),
                parent_obj=pool,
                loadbalancer_member_properties=LoadbalancerMemberType(
                    address=None, protocol_port=port.target_port, admin_state=True
                ),
            )
            member.set_annotations(_kv({"vmi": pod_vmi, "vm": f"pod-{n}-{uid[:8]}"}))
            vnc.loadbalancer_member_create(member)
            lids.members.append(member.uuid)
        ids.listeners.append(lids)
    return ids


@dataclass
class IngressRule:
    host: str | None
    path: str | None
    service_name: str
    service_ip: str  # the backend Service's clusterIP
    service_port: int


def add_kube_ingress(
    vnc: Any,
    topo: Topology,
    name: str,
    rules: Sequence[IngressRule],
    namespace: str = "default",
    tls_secret: str | None = None,
    default_backend: IngressRule | None = None,
    cluster: str = "k8s",
    uid: str | None = None,
    network: str = "internal",
) -> LoadBalancerIds:
    """An Ingress's load balancer as kube-manager builds it: provider ``opencontrail``,
    listeners HTTP ``'80'`` and (with ``tls_secret``) TERMINATED_HTTPS ``'443'`` with
    ``default_tls_container``/``sni_containers`` ``<ns>__<secret>`` (string ports), one pool
    per rule with annotations host/path/type=acl (type=default for the default backend), and
    members addressed at the backend Service's clusterIP with annotation ``serviceName``."""
    uid = uid or str(uuidlib.uuid4())
    project = _project(vnc, topo)
    vn = vnc.virtual_network_read(id=topo.networks[network])
    lb_name = f"{name}__{uid}"
    vmi_id, iip_id, address = _port(
        vnc, project, vn, f"{cluster}__Ingress__{name}__{uid}", "K8S:LOADBALANCER", None
    )
    lb = Loadbalancer(
        lb_name,
        parent_obj=project,
        loadbalancer_provider="opencontrail",
        display_name=f"{namespace}__{name}",
        loadbalancer_properties=LoadbalancerType(
            provisioning_status="ACTIVE", operating_status="ONLINE", vip_address=address
        ),
    )
    lb.uuid = uid
    lb.set_annotations(_kv(_kube_annotations(cluster, project.name, namespace, name, "Ingress")))
    lb.set_virtual_machine_interface(vnc.virtual_machine_interface_read(id=vmi_id))
    sas = _sas(vnc, "opencontrail")
    if sas is not None:
        lb.set_service_appliance_set(sas)
    vnc.loadbalancer_create(lb)
    ids = LoadBalancerIds(uid, vmi_id, iip_id, address)
    specs = [ListenerSpec("HTTP", "80")]
    if tls_secret:
        container = f"{namespace}__{tls_secret}"
        specs.append(
            ListenerSpec(
                "TERMINATED_HTTPS",
                "443",
                default_tls_container=container,
                sni_containers=[container],
            )
        )
    backends = [(r, "acl") for r in rules]
    if default_backend is not None:
        backends.append((default_backend, "default"))
    for spec in specs:
        lname = f"{lb_name}-{spec.protocol}-{spec.port}-{uuidlib.uuid4()}"
        lids = _add_listener(vnc, project, lb, spec, lname)
        listener = vnc.loadbalancer_listener_read(id=lids.listener)
        for n, (rule, kind) in enumerate(backends):
            annotations = {"type": kind}
            if kind == "acl":
                annotations.update({"host": rule.host or "", "path": rule.path or "/"})
            pool_ids = ListenerIds(lids.listener)
            _add_pool(
                vnc,
                project,
                listener,
                spec,
                PoolSpec("ROUND_ROBIN", protocol="HTTP"),
                f"{lname}-{n}",
                pool_ids,
                None,
                annotations,
            )
            pool = vnc.loadbalancer_pool_read(id=pool_ids.pool)
            member = LoadbalancerMember(
                str(uuidlib.uuid4()),
                parent_obj=pool,
                loadbalancer_member_properties=LoadbalancerMemberType(
                    address=rule.service_ip, protocol_port=rule.service_port, admin_state=True
                ),
            )
            member.set_annotations(_kv({"serviceName": rule.service_name}))
            vnc.loadbalancer_member_create(member)
            pool_ids.members.append(member.uuid)
            ids.listeners.append(pool_ids)
    return ids


def delete_load_balancer(vnc: Any, ids: LoadBalancerIds) -> None:
    """Delete everything a builder made, in the order the server's integrity rules need."""
    for lids in ids.listeners:
        for member in lids.members:
            vnc.loadbalancer_member_delete(id=member)
    for pool in dict.fromkeys(lids.pool for lids in ids.listeners if lids.pool):
        vnc.loadbalancer_pool_delete(id=pool)
    for monitor in dict.fromkeys(lids.monitor for lids in ids.listeners if lids.monitor):
        vnc.loadbalancer_healthmonitor_delete(id=monitor)
    for listener in dict.fromkeys(lids.listener for lids in ids.listeners):
        vnc.loadbalancer_listener_delete(id=listener)
    vnc.loadbalancer_delete(id=ids.loadbalancer)
    vnc.instance_ip_delete(id=ids.instance_ip)
    vnc.virtual_machine_interface_delete(id=ids.vmi)
    for iip in ids.pod_instance_ips:
        vnc.instance_ip_delete(id=iip)
    for vmi in ids.pod_vmis:
        vnc.virtual_machine_interface_delete(id=vmi)


__all__ = [
    "DEFAULT_NETWORKS",
    "F5_DRIVER",
    "F5_KV",
    "IngressRule",
    "KubePort",
    "ListenerIds",
    "ListenerSpec",
    "LoadBalancerIds",
    "MonitorSpec",
    "PoolSpec",
    "Topology",
    "add_kube_ingress",
    "add_kube_service",
    "add_load_balancer",
    "add_network",
    "delete_load_balancer",
    "seed_topology",
]
