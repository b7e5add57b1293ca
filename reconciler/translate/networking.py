"""L3 (route-domain) mode: route domains, VLANs, self IPs and SNAT of a set (pure). docs/MAPPING.md "Networking modes"; F5's agent §1.2 where it was right.

Set kv ``global_routed_mode=false`` turns it on. Then, for every project with a load balancer
of the set:

- a route domain ``P_<project>`` in the project's partition. Its id is chosen once: the id a
  device already has for it, else the lowest id ≥ 1 that no device of the set uses for anything
  (unlike the agent, which chose per device and broke HA pairs: agent #1387/#1388). The device
  is where the id is recorded; it is never renumbered (an id that differs between the devices
  of a set is an error, not a fix-up);
- a VLAN ``P_<network uuid>`` per virtual network the project's load balancers use, on the
  interface the set's kv ``interface_mapping`` gives that network (``external:1.1,internal:
  1.2:tagged,default:1.3``; tagged VLANs take the network's ``virtual_network_network_id``);
- a self IP ``P_self_<device>_<subnet uuid>`` per device per subnet, whose address is an
  instance-ip allocated in Contrail (``P_<set>_self_<device>_<subnet uuid>``), so Contrail's
  IPAM never hands it to anyone else; released when no load balancer needs the subnet;
- ``snat_addresses_per_subnet`` (default 1) SNAT translations per subnet, allocated the same
  way (``P_<set>_snat_<subnet uuid>_<i>``), in a SNAT pool ``P_<project>`` that the project's
  virtual servers use; 0 means automap.

Every address carries ``%<route domain id>``, so overlapping subnets of two projects coexist.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from reconciler.model.bigip import BigIPObject, ObjectSet
from reconciler.model.contrail import (
    ContrailSnapshot,
    LoadBalancer,
    OwnedInstanceIp,
    Subnet,
    VirtualNetwork,
)
from reconciler.naming import Naming, full_path
from reconciler.settings import SetSettings
from reconciler.translate.desired import Desired, Options, belongs_to
from reconciler.translate.walk import Subtrees


@dataclass(frozen=True)
class AddressNeed:
    """An instance-ip the set needs: its Contrail name, and where it lives."""

    name: str
    network: VirtualNetwork
    subnet: Subnet
    purpose: str  # "self IP of bigip1", "SNAT"


@dataclass
class Needs:
    """What the set's load balancers need from the network, per project."""

    subnets: dict[str, dict[str, tuple[VirtualNetwork, Subnet]]] = field(
        default_factory=lambda: defaultdict(dict)
    )  # project → subnet uuid → (network, subnet)
    problems: list[str] = field(default_factory=list)

    @property
    def projects(self) -> list[str]:
        return sorted(self.subnets)


def is_l3(settings: SetSettings) -> bool:
    return not settings.global_routed_mode


def snat_count(settings: SetSettings) -> int:
    raw = settings.properties.get("snat_addresses_per_subnet", "1")
    return int(raw) if str(raw).isdigit() else 1


def _subnet_index(snapshot: ContrailSnapshot) -> dict[str, tuple[VirtualNetwork, Subnet]]:
    return {s.uuid: (vn, s) for vn in snapshot.networks.values() for s in vn.subnets}


def _containing(
    snapshot: ContrailSnapshot, project: str, address: str
) -> tuple[VirtualNetwork, Subnet] | None:
    """The subnet of the project's networks that holds ``address`` (overlaps across projects
    are why the search stays inside the project)."""
    try:
        ip = ipaddress.ip_address(address.partition("%")[0])
    except ValueError:
        return None
    for vn in sorted(snapshot.networks.values(), key=lambda n: n.uuid):
        if vn.project_uuid != project:
            continue
        for subnet in vn.subnets:
            if ip in ipaddress.ip_network(subnet.cidr, strict=False):
                return vn, subnet
    return None


def needs_of(snapshot: ContrailSnapshot, settings: SetSettings, options: Options) -> Needs:
    """The subnets of each project's VIPs and members (their ``subnet_id``, their port's
    instance-ip, or the project's subnet that contains the address)."""
    needs = Needs()
    by_uuid = _subnet_index(snapshot)
    index = Subtrees(snapshot)
    f5_sets = [(s.uuid, s.name) for s in snapshot.appliance_sets.values()]

    def place(project: str, subnet_uuid: str | None, address: str | None, what: str) -> None:
        found = by_uuid.get(subnet_uuid or "")
        if found is None and address:
            found = _containing(snapshot, project, address)
        if found is None:
            needs.problems.append(
                f"{what}: {address or 'no address'} is in no subnet of its project"
            )
            return
        needs.subnets[project][found[1].uuid] = found

    for lb in sorted(snapshot.load_balancers.values(), key=lambda x: x.uuid):
        if not belongs_to(lb, settings, options.claims, f5_sets):
            continue
        project = lb.project_uuid
        vip_subnet, vip = lb.vip_subnet_id, lb.vip_address
        for vmi in lb.vmi_uuids:
            port = snapshot.ports.get(vmi)
            if port and port.instance_ips:
                vip_subnet = vip_subnet or port.instance_ips[0].subnet_uuid
                vip = vip or port.instance_ips[0].address
        place(project, vip_subnet, vip, f"loadbalancer {lb.name} VIP")
        for listener in index.listeners_of.get(lb.uuid, ()):
            for pool in index.pools_of.get(listener.uuid, ()):
                for member in index.members_of.get(pool.uuid, ()):
                    subnet, address = member.subnet_id, member.address
                    port = snapshot.ports.get(member.annotations.get("vmi", ""))
                    if port and port.instance_ips:
                        subnet = subnet or port.instance_ips[0].subnet_uuid
                        address = address or port.instance_ips[0].address
                    place(project, subnet, address, f"loadbalancer-member {member.name}")
    return needs


def address_needs(needs: Needs, settings: SetSettings, prefix: str) -> list[AddressNeed]:
    out = []
    naming, sas = Naming(prefix), settings.sas_name
    for project in needs.projects:
        for subnet_uuid, (vn, subnet) in sorted(needs.subnets[project].items()):
            for device in settings.devices:
                name = naming.self_instance_ip(sas, device.name, subnet_uuid)
                out.append(AddressNeed(name, vn, subnet, f"self IP of {device.name}"))
            for i in range(snat_count(settings)):
                name = naming.snat_instance_ip(sas, subnet_uuid, i)
                out.append(AddressNeed(name, vn, subnet, "SNAT"))
    return out


def allocate_route_domains(
    projects: Iterable[str],
    prefix: str,
    live_ids: Sequence[Mapping[str, int]],
    used_ids: Sequence[Iterable[int]],
) -> tuple[dict[str, int], list[str]]:
    """Project → route-domain id, the same on every device of the set.

    ``live_ids``: per device, our route domains found (partition name → id); ``used_ids``:
    per device, every id in use (ours and anybody's)."""
    taken = {i for ids in used_ids for i in ids} | {0}
    chosen: dict[str, int] = {}
    problems = []
    for project in sorted(projects):
        name = Naming(prefix).partition(project)
        found = {ids[name] for ids in live_ids if name in ids}
        if len(found) > 1:
            problems.append(
                f"route domain {name} has different ids on the devices of the set "
                f"({', '.join(map(str, sorted(found)))}): fix the devices; nothing is renumbered"
            )
            continue
        if found:
            chosen[project] = found.pop()
            continue
        candidate = 1
        while candidate in taken:
            candidate += 1
        taken.add(candidate)
        chosen[project] = candidate
    return chosen, problems


@dataclass(frozen=True)
class Interface:
    """Where a virtual network's VLAN goes: the BIG-IP interface, tagged or not, and the
    tag the configuration gives (``tagged=<tag>``), if it does."""

    name: str
    tagged: bool = False
    tag: int | None = None


def interface_for(settings: SetSettings, network: VirtualNetwork) -> Interface | None:
    """``interface_mapping`` = ``<network name>:<interface>[:tagged[=<tag>]]`` entries, and
    ``default:<interface>``."""
    mapping: dict[str, Interface] = {}
    for entry in str(settings.properties.get("interface_mapping", "")).split(","):
        parts = [p.strip() for p in entry.split(":")]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            continue
        mode, _, tag = (parts[2] if len(parts) > 2 else "").partition("=")
        mapping[parts[0]] = Interface(
            parts[1], mode == "tagged", int(tag) if tag.isdigit() else None
        )
    return mapping.get(network.name) or mapping.get("default")


def vlan_tag(interface: Interface, network: VirtualNetwork) -> tuple[int | None, str]:
    """The VLAN tag of a tagged interface, or why there is none. Contrail's
    ``virtual_network_network_id`` is its own 24-bit id (the API server allocates it, and it
    passes 4094 in any real cloud): it serves as a tag only where it happens to be one."""
    if interface.tag is not None:
        if 1 <= interface.tag <= 4094:
            return interface.tag, ""
        return (
            None,
            f"interface_mapping gives network {network.name} tag {interface.tag}, not 1-4094",
        )
    if network.network_id is not None and 1 <= network.network_id <= 4094:
        return network.network_id, ""
    return None, (
        f"network {network.name}: its virtual_network_network_id "
        f"{network.network_id} is not a VLAN tag (1-4094); give the tag in interface_mapping "
        f"({network.name}:{interface.name}:tagged=<tag>)"
    )


def network_objects(
    settings: SetSettings,
    prefix: str,
    needs: Needs,
    route_domains: Mapping[str, int],
    owned: Mapping[str, OwnedInstanceIp],
    planned: bool = False,
) -> tuple[list[BigIPObject], dict[str, list[BigIPObject]], dict[str, str], list[str]]:
    """(objects every device gets, objects per device, project → SNAT pool path, problems).
    ``planned``: a dry run, whose addresses are not allocated yet — the objects are still
    planned, with an address that says where it will come from, so the plan lists every
    object the apply creates."""

    def address_of(name: str, cidr: str) -> str | None:
        ip = owned.get(name)
        if ip is not None and ip.address:
            return ip.address
        return f"(allocated from {cidr})" if planned else None

    common: list[BigIPObject] = []
    per_device: dict[str, list[BigIPObject]] = {d.name: [] for d in settings.devices}
    snat_pools: dict[str, str] = {}
    problems: list[str] = []
    naming, sas = Naming(prefix), settings.sas_name
    pair = len(settings.devices) > 1
    for project in needs.projects:
        if project not in route_domains:
            continue
        rd = route_domains[project]
        partition = naming.partition(project)
        vlans: dict[str, str] = {}
        translations: list[str] = []
        for subnet_uuid, (vn, subnet) in sorted(needs.subnets[project].items()):
            if vn.uuid not in vlans:
                interface = interface_for(settings, vn)
                if interface is None:
                    problems.append(
                        f"service-appliance-set {settings.sas_name}: interface_mapping has no "
                        f"entry for network {vn.name} (nor default)"
                    )
                    continue
                tag, why = vlan_tag(interface, vn) if interface.tagged else (None, "")
                if why:
                    problems.append(f"service-appliance-set {settings.sas_name}: {why}")
                    continue
                name = naming.vlan(vn.uuid)
                tagged = tag is not None
                common.append(
                    BigIPObject.make(
                        "net/vlan",
                        partition,
                        name,
                        {
                            "interfaces": ((interface.name, tagged),),
                            "tag": tag,
                            "description": ":".join(vn.fq_name),
                        },
                    )
                )
                vlans[vn.uuid] = full_path(partition, name)
            length = ipaddress.ip_network(subnet.cidr, strict=False).prefixlen
            for device in settings.devices:
                ip = address_of(naming.self_instance_ip(sas, device.name, subnet_uuid), subnet.cidr)
                if ip is None:
                    continue  # its allocation failed: the plan's notes say why
                per_device[device.name].append(
                    BigIPObject.make(
                        "net/self",
                        partition,
                        naming.self_ip(device.name, subnet_uuid),
                        {
                            "address": f"{ip}%{rd}/{length}",
                            "vlan": vlans[vn.uuid],
                            "floating": "disabled",
                            "trafficGroup": "/Common/traffic-group-local-only",
                            "description": f"{subnet.cidr} on {vn.name}",
                        },
                    )
                )
            for i in range(snat_count(settings)):
                ip = address_of(naming.snat_instance_ip(sas, subnet_uuid, i), subnet.cidr)
                if ip is None:
                    continue
                name = naming.snat_translation(subnet_uuid, i)
                common.append(
                    BigIPObject.make(
                        "ltm/snat-translation",
                        partition,
                        name,
                        {
                            "address": f"{ip}%{rd}",
                            "trafficGroup": "/Common/traffic-group-1"
                            if pair
                            else "/Common/traffic-group-local-only",
                            "description": f"SNAT on {subnet.cidr}",
                        },
                    )
                )
                translations.append(full_path(partition, name))
        common.append(
            BigIPObject.make(
                "net/route-domain",
                partition,
                partition,
                {
                    "id": rd,
                    "vlans": tuple(sorted(vlans.values())),
                    "description": f"Contrail project {project}",
                },
            )
        )
        if translations:
            common.append(
                BigIPObject.make(
                    "ltm/snatpool",
                    partition,
                    partition,
                    {"members": tuple(sorted(translations)), "description": "SNAT"},
                )
            )
            snat_pools[project] = full_path(partition, partition)
    return common, per_device, snat_pools, problems


def for_device(desired: Desired, extra: Iterable[BigIPObject]) -> Desired:
    """``desired`` with the network objects of one device added."""
    objects = dict(desired.objects)
    for obj in extra:
        objects[obj.key] = obj
    return replace(desired, objects=ObjectSet(objects.values()))


def lb_projects(lbs: Iterable[LoadBalancer]) -> set[str]:
    return {lb.project_uuid for lb in lbs}
