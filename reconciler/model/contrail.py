"""The Contrail side as typed, immutable values: what the reader produces, what translate reads.

Field names follow the Contrail schema (``vnc_api.gen``) so a reader of an error message can
find the field in the API; values are kept raw where Contrail is loose (listener ports can be
the strings kube-manager writes) and validated in translate, where a bad value becomes a
per-object error instead of a crash in the reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from reconciler.model.values import FrozenDict, Secret, updated
from reconciler.model.vips import Vips

EMPTY: FrozenDict[str, str] = FrozenDict()


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """Names a Contrail object in plans, errors and status writes."""

    type: str  # REST resource type, e.g. "loadbalancer-pool"
    uuid: str
    name: str = ""

    def __str__(self) -> str:
        return (
            f"{self.type} {self.name or self.uuid} ({self.uuid})"
            if self.name
            else (f"{self.type} {self.uuid}")
        )


@dataclass(frozen=True)
class ObjectError:
    """Why a Contrail object cannot be configured; shown to users as its status."""

    ref: ObjectRef
    field: str | None
    reason: str
    lb_uuid: str | None = None
    lb_name: str | None = None  # so that a member's error says whose member it is
    # For machines: "invalid" (a value), "conflict" (an address another load balancer has),
    # "other_project" (tenant isolation).
    code: str = "invalid"

    def __str__(self) -> str:
        where = f" {self.field}" if self.field else ""
        whose = ""
        if self.ref.type != "loadbalancer" and (self.lb_name or self.lb_uuid):
            whose = f" (load balancer {self.lb_name or self.lb_uuid})"
        return f"{self.ref.type} {self.ref.name or self.ref.uuid}{whose}:{where} {self.reason}"


@dataclass(frozen=True, slots=True)
class Appliance:
    """A child service-appliance: one BIG-IP of the set."""

    uuid: str
    name: str
    address: str | None
    username: str | None
    password: Secret | None
    properties: FrozenDict[str, str] = EMPTY


@dataclass(frozen=True, slots=True)
class ApplianceSet:
    """A service-appliance-set whose driver is F5: the device settings live here."""

    uuid: str
    name: str
    driver: str
    properties: FrozenDict[str, Any]  # kv pairs; ``password`` is a Secret
    ha_mode: str | None
    appliances: tuple[Appliance, ...] = ()
    overridden: frozenset[str] = frozenset()  # kv keys our own [set:<name>] section gives

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("service-appliance-set", self.uuid, self.name)


@dataclass(frozen=True, slots=True)
class LoadBalancer:
    uuid: str
    name: str
    display_name: str
    project_uuid: str
    project_name: str
    provider: str | None
    sas_uuids: tuple[str, ...]
    admin_state: bool
    vip_address: str | None
    vip_subnet_id: str | None
    vmi_uuids: tuple[str, ...]
    annotations: FrozenDict[str, str] = EMPTY
    provisioning_status: str | None = None
    operating_status: str | None = None
    fq_name: tuple[str, ...] = ()
    created: str = ""  # id_perms.created: of two load balancers wanting one VIP, the older wins
    # loadbalancer_properties.status: the text beside the statuses (a reason, or the state)
    status: str | None = None

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("loadbalancer", self.uuid, self.name)

    def properties(self) -> dict[str, Any]:
        """``loadbalancer_properties`` as read (empty if it had none): what a status write
        starts from when it cannot read them fresh. Kept as the fields above, not as the
        struct a second time."""
        known = {
            "status": self.status,
            "provisioning_status": self.provisioning_status,
            "operating_status": self.operating_status,
            "vip_subnet_id": self.vip_subnet_id,
            "vip_address": self.vip_address,
        }
        if all(value is None for value in known.values()):
            return {}
        return {**known, "admin_state": self.admin_state}


@dataclass(frozen=True, slots=True)
class Listener:
    uuid: str
    name: str
    display_name: str
    project_uuid: str
    lb_uuids: tuple[str, ...]
    protocol: str | None
    protocol_port: Any  # int from Neutron, a string from kube-manager's Ingress
    admin_state: bool
    connection_limit: int | None
    default_tls_container: str | None
    sni_containers: tuple[str, ...]
    annotations: FrozenDict[str, str] = EMPTY
    provisioning_status: str | None = None

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("loadbalancer-listener", self.uuid, self.name)


@dataclass(frozen=True, slots=True)
class Pool:
    uuid: str
    name: str
    display_name: str
    project_uuid: str
    listener_uuids: tuple[str, ...]
    monitor_uuids: tuple[str, ...]
    sas_uuids: tuple[str, ...]
    protocol: str | None
    method: str | None
    session_persistence: str | None
    persistence_cookie_name: str | None
    admin_state: bool
    annotations: FrozenDict[str, str] = EMPTY
    status: str | None = None
    status_description: str | None = None
    fq_name: tuple[str, ...] = ()

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("loadbalancer-pool", self.uuid, self.name)


@dataclass(frozen=True, slots=True)
class Member:
    uuid: str
    name: str
    pool_uuid: str
    address: str | None
    protocol_port: Any
    weight: Any
    admin_state: bool
    subnet_id: str | None
    annotations: FrozenDict[str, str] = EMPTY
    status: str | None = None
    status_description: str | None = None
    # No fq_name: a member's is its pool's and its own name (``member_fq_name``), and
    # 10 members a load balancer each kept a tuple of it.

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("loadbalancer-member", self.uuid, self.name)


#: The fields of load balancers, listeners, pools and members that are outcomes, not inputs:
#: what ``contrail.status`` writes back. No translation reads them.
STATUS_FIELDS = frozenset(
    {"provisioning_status", "operating_status", "status", "status_description"}
)


def same_but_statuses(old: Any, new: Any) -> bool:
    """Are two versions of one object equal but for their statuses? Such a change (nearly
    always our own status write, read back from its notification) asks nothing of a
    device."""
    if type(old) is not type(new):
        return False
    return all(
        getattr(old, f.name) == getattr(new, f.name)
        for f in fields(old)
        if f.name not in STATUS_FIELDS
    )


def member_fq_name(member: Member, pool: Pool | None) -> tuple[str, ...]:
    """A member's fq_name: its pool's and its name (Contrail names a child so); empty
    without its pool."""
    return (*pool.fq_name, member.name) if pool is not None and pool.fq_name else ()


@dataclass(frozen=True, slots=True)
class HealthMonitor:
    uuid: str
    name: str
    display_name: str
    project_uuid: str
    monitor_type: str | None
    delay: Any
    timeout: Any
    max_retries: Any
    http_method: str | None
    url_path: str | None
    expected_codes: str | None
    admin_state: bool = True

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("loadbalancer-healthmonitor", self.uuid, self.name)


@dataclass(frozen=True, slots=True)
class InstanceIp:
    uuid: str
    address: str | None
    subnet_uuid: str | None
    network_uuids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Port:
    """A virtual-machine-interface: the VIP port of a load balancer, or a pod's port."""

    uuid: str
    name: str
    instance_ips: tuple[InstanceIp, ...]
    floating_ips: tuple[str, ...]
    network_uuids: tuple[str, ...]
    fq_name: tuple[str, ...] = ()

    def first_address(self) -> str | None:
        return next((ip.address for ip in self.instance_ips if ip.address), None)


@dataclass(frozen=True, slots=True)
class Subnet:
    """One ``ipam_subnets`` entry of a virtual network's ``network_ipam_refs``."""

    uuid: str
    cidr: str  # "10.0.0.0/24"
    gateway: str | None = None


@dataclass(frozen=True, slots=True)
class VirtualNetwork:
    uuid: str
    name: str
    fq_name: tuple[str, ...]
    project_uuid: str
    subnets: tuple[Subnet, ...] = ()
    network_id: int | None = None  # virtual_network_network_id (a VLAN tag when tagged)


@dataclass(frozen=True, slots=True)
class Route:
    """A RouteType: ``prefix`` is the VIP/32, ``next_hop`` an IP for network route tables."""

    prefix: str
    next_hop: str | None = None
    next_hop_type: str | None = None
    communities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RouteTable:
    """An interface-route-table (``kind`` "interface") or a network route-table ("network").

    ``attached``: uuids of the VMIs (interface) or virtual networks (network) referring to it.
    """

    uuid: str
    kind: str
    name: str
    fq_name: tuple[str, ...]
    routes: tuple[Route, ...]
    attached: tuple[str, ...]
    annotations: FrozenDict[str, str] = EMPTY
    # prefix → route, made on first use: a one-load-balancer pass looks its routes up
    known_by_prefix: Mapping[str, Route] | None = field(default=None, compare=False, repr=False)

    def by_prefix(self) -> Mapping[str, Route]:
        if self.known_by_prefix is None:
            object.__setattr__(self, "known_by_prefix", {r.prefix: r for r in self.routes})
        assert self.known_by_prefix is not None
        return self.known_by_prefix


@dataclass(frozen=True, slots=True)
class OwnedInstanceIp:
    """An instance-ip the reconciler allocated (self IPs, SNAT addresses in L3 mode)."""

    uuid: str
    name: str
    address: str | None
    subnet_uuid: str | None
    network_uuid: str | None


@dataclass(frozen=True)
class Links:
    """Who hangs under whom in a snapshot — load balancer → listeners → pools → members —
    so that walking one load balancer's subtree costs that subtree, not the cloud: the
    daemon's per-change reconcile at 5,000 load balancers scanned all 50,000 members
    several times to find one pool's ten. Made from the three maps it names (``made_from``,
    the very objects): a snapshot whose maps are others makes its own again."""

    listeners_of: Mapping[str, tuple[str, ...]]  # load balancer uuid → listener uuids
    pools_of: Mapping[str, tuple[str, ...]]  # listener uuid → pool uuids
    members_of: Mapping[str, tuple[str, ...]]  # pool uuid → member uuids
    made_from: tuple[Any, Any, Any]

    @classmethod
    def of(
        cls, listeners: Mapping[str, Any], pools: Mapping[str, Any], members: Mapping[str, Any]
    ) -> Links:
        listeners_of: dict[str, list[str]] = {}
        for listener in listeners.values():
            for lb in listener.lb_uuids:
                listeners_of.setdefault(lb, []).append(listener.uuid)
        pools_of: dict[str, list[str]] = {}
        for pool in pools.values():
            for listener_uuid in pool.listener_uuids:
                pools_of.setdefault(listener_uuid, []).append(pool.uuid)
        members_of: dict[str, list[str]] = {}
        for member in members.values():
            members_of.setdefault(member.pool_uuid, []).append(member.uuid)
        return cls(
            {k: tuple(v) for k, v in listeners_of.items()},
            {k: tuple(v) for k, v in pools_of.items()},
            {k: tuple(v) for k, v in members_of.items()},
            (listeners, pools, members),
        )

    def pools_under(self, lb_uuid: str) -> set[str]:
        """The uuids of the pools a load balancer's listeners send to."""
        return {p for x in self.listeners_of.get(lb_uuid, ()) for p in self.pools_of.get(x, ())}

    def subtree(self, lb_uuid: str) -> tuple[set[str], set[str], set[str]]:
        """The uuids of a load balancer's listeners, their pools and those pools' members."""
        pools = self.pools_under(lb_uuid)
        members = {m for p in pools for m in self.members_of.get(p, ())}
        return set(self.listeners_of.get(lb_uuid, ())), pools, members

    def replaced(
        self,
        gone: tuple[list[Any], list[Any], list[Any]],
        new: tuple[list[Any], list[Any], list[Any]],
        made_from: tuple[Any, Any, Any],
    ) -> Links:
        """These links with one subtree's old listeners, pools and members (``gone``, the
        objects) taken out and the re-read ones (``new``) put in: a per-change update that
        touches only their parents' entries."""
        maps = []
        for links, dropped, added, parents_of in (
            (self.listeners_of, gone[0], new[0], _lbs_of),
            (self.pools_of, gone[1], new[1], _listeners_of),
            (self.members_of, gone[2], new[2], _pool_of),
        ):
            touched: dict[str, tuple[str, ...]] = {}  # only the touched entries change
            dropped_uuids = {obj.uuid for obj in dropped}
            for parent in {p for obj in dropped for p in parents_of(obj)}:
                touched[parent] = tuple(c for c in links.get(parent, ()) if c not in dropped_uuids)
            for obj in added:
                for parent in parents_of(obj):
                    have = touched.get(parent, links.get(parent, ()))
                    if obj.uuid not in have:
                        touched[parent] = (*have, obj.uuid)
            maps.append(
                updated(
                    links,
                    [parent for parent, children in touched.items() if not children],
                    [(parent, children) for parent, children in touched.items() if children],
                )
            )
        return Links(maps[0], maps[1], maps[2], made_from)


def _lbs_of(listener: Any) -> tuple[str, ...]:
    return tuple(listener.lb_uuids)


def _listeners_of(pool: Any) -> tuple[str, ...]:
    return tuple(pool.listener_uuids)


def _pool_of(member: Any) -> tuple[str, ...]:
    return (member.pool_uuid,)


#: The maps of a snapshot its ``Links`` are made from, in their order.
LINKED = ("listeners", "pools", "members")


@dataclass(frozen=True, slots=True)
class ContrailSnapshot:
    """Everything the reconciler reads from Contrail in one pass, keyed by uuid."""

    appliance_sets: FrozenDict[str, ApplianceSet] = field(default_factory=FrozenDict)
    load_balancers: FrozenDict[str, LoadBalancer] = field(default_factory=FrozenDict)
    listeners: FrozenDict[str, Listener] = field(default_factory=FrozenDict)
    pools: FrozenDict[str, Pool] = field(default_factory=FrozenDict)
    members: FrozenDict[str, Member] = field(default_factory=FrozenDict)
    monitors: FrozenDict[str, HealthMonitor] = field(default_factory=FrozenDict)
    ports: FrozenDict[str, Port] = field(default_factory=FrozenDict)
    networks: FrozenDict[str, VirtualNetwork] = field(default_factory=FrozenDict)
    route_tables: FrozenDict[str, RouteTable] = field(default_factory=FrozenDict)
    owned_ips: FrozenDict[str, OwnedInstanceIp] = field(default_factory=FrozenDict)  # by name
    # Every project's uuid (None: not read): with the projects present, a read that holds
    # no load balancer is believed — deleting the last one is a real deletion.
    projects: frozenset[str] | None = None
    # The reverse references, made on first use (``links()``) and carried by ``replace``
    # while they still describe this snapshot's maps.
    known_links: Links | None = field(default=None, compare=False, repr=False)
    # Who stands on which address (``vips()``), carried the same way.
    known_vips: Vips | None = field(default=None, compare=False, repr=False)

    def joined(self, part: ContrailSnapshot) -> ContrailSnapshot:
        """This snapshot and a read of more sets' subtrees (``part``: a takeover's read of
        the sets gained): the global objects as ``part`` read them, both reads' subtrees
        (``part``'s where both hold an object)."""
        return ContrailSnapshot(
            appliance_sets=part.appliance_sets,
            load_balancers=self.load_balancers.updated((), part.load_balancers.items()),
            listeners=self.listeners.updated((), part.listeners.items()),
            pools=self.pools.updated((), part.pools.items()),
            members=self.members.updated((), part.members.items()),
            monitors=self.monitors.updated((), part.monitors.items()),
            ports=self.ports.updated((), part.ports.items()),
            networks=part.networks,
            route_tables=part.route_tables,
            owned_ips=part.owned_ips,
            projects=part.projects,
        )

    def with_load_balancer(
        self,
        lb_uuid: str,
        lb: LoadBalancer | None,
        listeners: list[Listener],
        pools: list[Pool],
        members: list[Member],
        monitors: list[HealthMonitor],
        ports: list[Port],
    ) -> ContrailSnapshot:
        """This snapshot with one load balancer's subtree replaced by a fresh read of it
        (``lb`` None: it is gone, and what hung under it too): its listeners, their pools and
        the pools' members are swapped, monitors and ports added, the links updated."""
        links = self.links()
        old = links.subtree(lb_uuid)
        maps = (
            self.listeners.updated(old[0], ((x.uuid, x) for x in listeners)),
            self.pools.updated(old[1], ((x.uuid, x) for x in pools)),
            self.members.updated(old[2], ((x.uuid, x) for x in members)),
        )
        gone = (
            [self.listeners[u] for u in old[0]],
            [self.pools[u] for u in old[1]],
            [self.members[u] for u in old[2]],
        )
        vips = self.vips()
        load_balancers = self.load_balancers.updated({lb_uuid}, [(lb.uuid, lb)] if lb else [])
        new_ports = self.ports.updated((), ((x.uuid, x) for x in ports))
        moved = {lb_uuid} | vips.affected_by_ports(x.uuid for x in ports)
        return replace(
            self,
            load_balancers=load_balancers,
            listeners=maps[0],
            pools=maps[1],
            members=maps[2],
            monitors=self.monitors.updated((), ((x.uuid, x) for x in monitors)),
            ports=new_ports,
            known_links=links.replaced(gone, (listeners, pools, members), maps),
            known_vips=vips.replaced(moved, load_balancers, new_ports),
        )

    def with_object(self, held_in: str, uuid: str, obj: Any | None) -> ContrailSnapshot:
        """This snapshot with one object replaced by a fresh read of it, or removed (``obj``
        None) — the daemon's merge of one notification's change. ``held_in`` names the map
        (``listeners``, ``pools``, ``members``, ``monitors``, ``ports``, ``load_balancers``).
        Only that object moves: a load balancer keeps its subtree unless it is gone (then
        what hung under it goes too), a pool that is gone takes its members along, and the
        links change by that object's own entries."""
        if held_in == "load_balancers" and obj is None:
            return self.with_load_balancer(uuid, None, [], [], [], [], [])
        held: FrozenDict[str, Any] = getattr(self, held_in)
        updated = held.updated({uuid}, [(uuid, obj)] if obj is not None else [])
        if held_in in ("load_balancers", "ports"):
            vips = self.vips()
            maps_now: dict[str, FrozenDict[str, Any]] = {
                "load_balancers": self.load_balancers,
                "ports": self.ports,
            }
            maps_now[held_in] = updated
            moved = {uuid} if held_in == "load_balancers" else vips.affected_by_ports({uuid})
            return replace(
                self,
                **{held_in: updated},  # type: ignore[arg-type]
                known_vips=vips.replaced(moved, maps_now["load_balancers"], maps_now["ports"]),
            )
        if held_in not in LINKED:
            return replace(self, **{held_in: updated})  # type: ignore[arg-type]
        links = self.links()
        maps: list[FrozenDict[str, Any]] = [self.listeners, self.pools, self.members]
        gone: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
        new: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
        at = LINKED.index(held_in)
        maps[at] = updated
        if uuid in held:
            gone[at].append(held[uuid])
        if obj is not None:
            new[at].append(obj)
        elif held_in == "pools":  # members are the pool's children: they go with it
            orphans = links.members_of.get(uuid, ())
            gone[2].extend(self.members[m] for m in orphans if m in self.members)
            maps[2] = self.members.updated(orphans)
        made_from = (maps[0], maps[1], maps[2])
        return replace(
            self,
            listeners=maps[0],
            pools=maps[1],
            members=maps[2],
            known_links=links.replaced(gone, new, made_from),
        )

    def vips(self) -> Vips:
        """The VIP index of this snapshot (made on first use, then carried change by change)."""
        known = self.known_vips
        if known is None or any(
            a is not b
            for a, b in zip(known.made_from, (self.load_balancers, self.ports), strict=True)
        ):
            known = Vips.of(self.load_balancers, self.ports)
            object.__setattr__(self, "known_vips", known)  # a memo of this value's own data
        return known

    def links(self) -> Links:
        known = self.known_links
        maps = (self.listeners, self.pools, self.members)
        if known is None or any(a is not b for a, b in zip(known.made_from, maps, strict=True)):
            known = Links.of(*maps)
            object.__setattr__(self, "known_links", known)  # a memo of this value's own data
        return known
