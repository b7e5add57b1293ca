"""Conflicts a device would refuse, found before the device (pure).

A BIG-IP refuses two virtual addresses with one IP in a route domain (``0107176c``), two
virtual servers on one address, port and protocol in a route domain (``01070333 … illegally
shares both address and port``), and two nodes with one IP in a route domain (``0107003a
Pool member node … and existing node … cannot use the same IP Address``), whatever their
partitions. Sent to the device, such a conflict fails the whole partition's transaction on
every pass — and the device's message names the *existing* object, so the live load balancer
would be blamed.

Nodes matter in global routed mode: every project's partition is in route domain 0, so two
projects whose pools have a member at one address want one node in two partitions. (Members
of one project share their node; in L3 mode each project has its own route domain.)

So the claims of every load balancer on the device — this set's, those of every other F5 set
that shares the device, and what the device already holds (ours and foreign objects in our
partitions) — are compared first. Of load balancers claiming one address, the one already
live on the device keeps it; if none is, the oldest (Contrail's creation time, then uuid)
does (for a node: the project whose partition holds it, else the oldest load balancer's).
The others go ERROR naming the field and the load balancer that holds it, and their objects
are held as they are; everything else converges.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconciler.model import addresses
from reconciler.model.bigip import BigIPObject, ObjectSet
from reconciler.model.contrail import (
    ContrailSnapshot,
    Listener,
    LoadBalancer,
    ObjectError,
    ObjectRef,
)
from reconciler.model.resources import resource_type
from reconciler.model.vips import vip as model_vip
from reconciler.naming import Naming, destination_host, old_chain_source, split_path
from reconciler.translate.mapping import port_number

VIP_FIELD = "loadbalancer_properties.vip_address"
PORT_FIELD = "loadbalancer_listener_properties.protocol_port"
MEMBER_FIELD = "loadbalancer_member_properties.address"

Key = tuple[str, ...]


@dataclass(frozen=True)
class SetScope:
    """How one F5 set places addresses: route domain 0 (global routed mode), or one route
    domain per project (L3 mode)."""

    name: str
    l3: bool


@dataclass(frozen=True)
class _Claim:
    lb: LoadBalancer
    ref: ObjectRef
    field: str
    key: Key
    label: str
    listener: Listener | None = None


def _scope(l3: bool, project: str) -> str:
    return f"project:{project}" if l3 else "rd:0"


def vip(lb: LoadBalancer, snapshot: ContrailSnapshot) -> str | None:
    """The load balancer's VIP address, without route domain (from the snapshot's index)."""
    vips = snapshot.vips()
    return vips.vip(lb.uuid) if lb.uuid in vips.of_lb else model_vip(lb, snapshot.ports)


def vip_of(snapshot: ContrailSnapshot) -> dict[str, str]:
    """Every load balancer's VIP (the address, without route domain), where it has one."""
    return {
        lb.uuid: address
        for lb in snapshot.load_balancers.values()
        if (address := vip(lb, snapshot))
    }


def _claims(
    snapshot: ContrailSnapshot, set_of: Mapping[str, SetScope]
) -> tuple[list[_Claim], list[_Claim]]:
    """(virtual-address claims, virtual-server claims) of the load balancers in ``set_of``."""
    links = snapshot.links()
    addresses_claimed: list[_Claim] = []
    servers: list[_Claim] = []
    for lb_uuid, scope in set_of.items():
        lb = snapshot.load_balancers[lb_uuid]
        ip = vip(lb, snapshot)
        if ip is None:
            continue
        where = _scope(scope.l3, lb.project_uuid)
        addresses_claimed.append(_Claim(lb, lb.ref, VIP_FIELD, ("va", where, ip), ip))
        listeners = (snapshot.listeners[u] for u in links.listeners_of.get(lb_uuid, ()))
        for listener in sorted(listeners, key=lambda x: (x.name, x.uuid)):
            port = port_number(listener.protocol_port)
            if port is None:
                continue
            protocol = "udp" if (listener.protocol or "").upper() == "UDP" else "tcp"
            key = ("vs", where, ip, str(port), protocol)
            label = f"{ip}:{port} ({protocol})"
            servers.append(_Claim(lb, listener.ref, PORT_FIELD, key, label, listener))
    return addresses_claimed, servers


def _node_claims(snapshot: ContrailSnapshot, set_of: Mapping[str, SetScope]) -> list[_Claim]:
    """The node each member of the load balancers in ``set_of`` makes on the device."""
    links = snapshot.links()
    claims: list[_Claim] = []
    for lb_uuid, scope in set_of.items():
        lb = snapshot.load_balancers[lb_uuid]
        where = _scope(scope.l3, lb.project_uuid)
        _listeners, _pools, members = links.subtree(lb_uuid)
        for member in sorted((snapshot.members[u] for u in members), key=lambda m: m.uuid):
            if not member.address:
                continue
            try:  # not through vip_ip's cache: 50,000 member addresses would push VIPs out
                ip = str(addresses.parse(member.address).ip)
            except addresses.AddressError:
                continue  # translate reports the address
            claims.append(_Claim(lb, member.ref, MEMBER_FIELD, ("node", where, ip), ip))
    return claims


def vips_of(snapshot: ContrailSnapshot, lbs: Iterable[str]) -> frozenset[str]:
    """The VIPs of some load balancers: what a one-load-balancer reconcile compares."""
    return frozenset(
        address
        for uuid in lbs
        if (lb := snapshot.load_balancers.get(uuid)) is not None and (address := vip(lb, snapshot))
    )


def _live_holders(
    live: ObjectSet,
    snapshot: ContrailSnapshot,
    naming: Naming,
    ips: frozenset[str] | None = None,
) -> dict[Key, str]:
    """Address keys the device holds now → the load balancer uuid holding them, or
    ``foreign:<path>`` for an object we did not create. Stale objects of ours (their load
    balancer is gone) are left out: this pass deletes them. ``ips``: only these addresses
    matter (a cheap text test first: at 5,000 load balancers, parsing every destination on
    every one-load-balancer change would cost more than the change)."""
    holders: dict[Key, str] = {}
    if ips is None:
        standing: Iterable[BigIPObject] = (
            *live.of_kind("ltm/virtual-address"),
            *live.of_kind("ltm/virtual"),
        )
    else:  # looked up by address: a change never walks the device's virtuals
        at = live.by(standing_on)
        standing = [obj for ip in sorted(ips) for obj in at.get(ip, {}).values()]
    for obj in standing:
        rd_project = naming.project_of(obj.partition) or obj.partition
        if resource_type(obj.kind).holds_vip:
            try:
                parsed = addresses.parse(str(obj.fields.get("address", "")))
            except addresses.AddressError:
                continue
            where = _scope(parsed.rd != 0, rd_project)
            key: Key = ("va", where, str(parsed.ip))
        else:
            host = destination_host(obj.fields.get("destination", ""))
            try:
                text, port = addresses.split_host_port(host)
                parsed = addresses.parse(text)
            except addresses.AddressError:
                continue
            where = _scope(parsed.rd != 0, rd_project)
            protocol = str(obj.fields.get("ipProtocol", "tcp"))
            key = ("vs", where, str(parsed.ip), str(port), protocol)
        if not naming.owns(obj):
            holders[key] = f"foreign:{obj.path}"
            continue
        uuid = naming.uuid_of(obj.name)
        if resource_type(obj.kind).listens:
            listener = snapshot.listeners.get(uuid or "")
            uuid = listener.lb_uuids[0] if listener and listener.lb_uuids else None
        if uuid is not None and uuid in snapshot.load_balancers:
            holders[key] = uuid
    return holders


def standing_on(obj: BigIPObject) -> str | None:
    """The address (without route domain) a virtual address or a virtual stands on: the
    live state's index for one-load-balancer reconciles (``ObjectSet.by``)."""
    kind = resource_type(obj.kind)
    if kind.holds_vip:
        text = str(obj.fields.get("address", ""))
    elif kind.listens:
        try:
            text = addresses.split_host_port(destination_host(obj.fields.get("destination", "")))[0]
        except addresses.AddressError:
            return None
    else:
        return None
    try:
        return str(addresses.parse(text).ip)
    except addresses.AddressError:
        return None


def _live_nodes(live: ObjectSet, naming: Naming) -> dict[Key, str]:
    """Node address keys of our partitions → ``project:<uuid>`` of the partition holding it
    (the device made them for our members; we never name one)."""
    holders: dict[Key, str] = {}
    for obj in live.of_kind("ltm/node"):
        project = naming.project_of(obj.partition)
        if project is None:
            continue
        try:
            parsed = addresses.parse(str(obj.fields.get("address", "")))
        except addresses.AddressError:
            continue
        key: Key = ("node", _scope(parsed.rd != 0, project), str(parsed.ip))
        holders[key] = f"project:{project}"
    return holders


def _node_taken(winner: _Claim, holder: str) -> str:
    live = " (its node is on the device)" if holder == f"project:{winner.lb.project_uuid}" else ""
    project = winner.lb.project_name or winner.lb.project_uuid
    return (
        f"is already a member address of project {project}{live}, load balancer "
        f"{winner.lb.name} ({winner.lb.uuid}); a device keeps one node per address and route "
        "domain, whatever the partition: give the projects distinct member addresses, or "
        "the set L3 mode (a route domain per project)"
    )


def _taken(claim: _Claim, winner: _Claim | None, holder: str) -> str:
    """Who has the address instead, in words."""
    if winner is None:
        path = holder.removeprefix("foreign:")
        source = old_chain_source(split_path(path)[0])
        if source is not None:
            return (
                f"is held on the device by {path}, the old chain's configuration: take it "
                f"over with `reconcile adopt --from {source}`"
            )
        return f"is used on the device by {path}, which is not ours"
    live = " (live on the device)" if holder == winner.lb.uuid else ""
    if winner.lb.uuid == claim.lb.uuid:
        name = winner.listener.name if winner.listener else "?"
        return f"is used by listener {name} of the same load balancer"
    owner = f"load balancer {winner.lb.name} ({winner.lb.uuid}){live}"
    if winner.listener is None:
        return f"is already the VIP of {owner}"
    return f"is already served by listener {winner.listener.name} of {owner}"


def find_conflicts(
    snapshot: ContrailSnapshot,
    set_of: Mapping[str, SetScope],
    this_set: str,
    lives: Iterable[ObjectSet],
    naming: Naming,
    ips: frozenset[str] | None = None,
) -> dict[str, ObjectError]:
    """Load balancer uuid → why it cannot have its addresses, for this set's load balancers.

    ``set_of``: every load balancer of every F5 set sharing a device with this one → its
    set's scope; ``lives``: what each of this set's devices holds now (the tie-break when none is
    live: Contrail's creation time, ``LoadBalancer.created``); ``ips``: only claims on these
    VIPs are compared (a one-load-balancer reconcile, on the daemon's hot path: its nodes
    are not compared with the 50,000 members of 5,000 load balancers on every change; a
    member added at another project's node address is refused by the device, for that load
    balancer alone, and the next full pass names the project holding it)."""
    holders: dict[Key, str] = {}
    for live in lives:
        for key, holder in _live_holders(live, snapshot, naming, ips).items():
            holders.setdefault(key, holder)
        if ips is None:
            for key, holder in _live_nodes(live, naming).items():
                holders.setdefault(key, holder)
    addresses_claimed, servers = _claims(snapshot, set_of)
    rejected: dict[str, ObjectError] = {}

    def age(claim: _Claim) -> tuple[str, str]:
        return (claim.lb.created, claim.lb.uuid)

    def grouped(claims: list[_Claim]) -> dict[Key, list[_Claim]]:
        """The claims of load balancers not rejected yet, by what they claim."""
        by_key: dict[Key, list[_Claim]] = defaultdict(list)
        for claim in claims:
            if claim.lb.uuid not in rejected:
                by_key[claim.key].append(claim)
        return by_key

    def reject(claim: _Claim, reason: str) -> None:
        if set_of[claim.lb.uuid].name != this_set:
            return  # another set's pass speaks for its own load balancers
        rejected.setdefault(
            claim.lb.uuid,
            ObjectError(claim.ref, claim.field, reason, claim.lb.uuid, claim.lb.name, "conflict"),
        )

    def settle(claims: list[_Claim]) -> None:
        for key, group in grouped(claims).items():
            holder = holders.get(key, "")
            foreign = holder.startswith("foreign:")
            if len(group) < 2 and not foreign:
                continue
            winner: _Claim | None = None
            if not foreign:
                live = [c for c in group if c.lb.uuid == holder]
                winner = live[0] if live else min(group, key=age)
            for claim in group:
                if claim is not winner:
                    taken = _taken(claim, winner, holder)
                    reject(claim, f"{claim.label} {taken}; a device refuses two")

    def settle_nodes(claims: list[_Claim]) -> None:
        """Members of one project share their node; of several projects wanting one node,
        the project whose partition holds it keeps it, else the oldest load balancer's. A
        holder none of whose load balancers wants the node any more is deleting it now."""
        for key, group in grouped(claims).items():
            if len({c.lb.project_uuid for c in group}) < 2:
                continue
            holder = holders.get(key, "")
            live = [c for c in group if holder == f"project:{c.lb.project_uuid}"]
            winner = min(live or group, key=age)
            for claim in group:
                if claim.lb.project_uuid != winner.lb.project_uuid:
                    reject(claim, f"{claim.label} {_node_taken(winner, holder)}")

    settle(addresses_claimed)  # a load balancer without its VIP needs no ports
    settle(servers)
    if ips is None:
        settle_nodes(_node_claims(snapshot, set_of))
    return rejected
