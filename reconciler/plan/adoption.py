"""Taking over a BIG-IP that the old chain configured (pure): match each Contrail load
balancer to the old objects that serve it, and plan their swap for ours.

The chain this project replaces named things its own way:

- F5's LBaaS agent behind svc-monitor's v2 shim (``--from agent``): partition
  ``Project_<project name>`` (the shim passes the project *name* as tenant id), virtual
  address ``Project_<lb uuid>``, virtuals ``Project_<lb name>_<listener name>``, pools
  ``Project_<lb name>_<pool name>``, monitors ``Project_<monitor uuid>``;
- svc-monitor's v1 driver (``--from v1``): folder ``uuid_<project uuid>``, objects named by
  ``uuid_``-prefixed uuids, addresses spelled with ``%0``.

Why a swap and not adoption in place: BIG-IP names cannot change, so adopting in place
would make the old names ours forever — a second naming scheme in every ownership rule and
every future diff. A swap deletes the old objects and creates ours **in one transaction per
load balancer**, which the device validates and commits as a whole: the VIP answers before
the commit (old virtual) and after it (ours), never with neither. A second pass then has
nothing to do.

The old objects go *before* ours are made, nodes included: a device keeps one node per
address and route domain whatever the partition (``0107003a``), so our members' nodes can
only be made once the old ones are gone. Load balancers whose old members share a node
(two pools with a member on one server) are therefore swapped together, in one transaction.

Matching is by what serves traffic: an old virtual matches a listener when its destination
is the load balancer's VIP and the listener's port (and protocol). Anything that cannot be
matched safely — a virtual named after the listener whose destination differs, two
candidates for one listener — is left alone and reported; the rest proceeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from reconciler.model import addresses
from reconciler.model.bigip import BigIPObject, ObjectSet
from reconciler.model.contrail import ContrailSnapshot, Listener, LoadBalancer
from reconciler.translate.mapping import port_number


@dataclass(frozen=True)
class OldScheme:
    """How the old chain named a project's partition and a listener's virtual."""

    name: str  # "agent" | "v1"
    prefix: str

    def partition(self, lb: LoadBalancer) -> str:
        if self.name == "v1":
            return f"{self.prefix}{lb.project_uuid}"
        return f"{self.prefix}{lb.project_name}"

    def virtual_name(self, lb: LoadBalancer, listener: Listener) -> str:
        if self.name == "v1":
            return f"{self.prefix}{listener.uuid}"
        return f"{self.prefix}{lb.name}_{listener.name}"


SCHEMES = {"agent": OldScheme("agent", "Project_"), "v1": OldScheme("v1", "uuid_")}


@dataclass(frozen=True)
class Swap:
    """The old objects of one load balancer — or of several whose old members share a node —
    to delete in the transaction that creates theirs."""

    lbs: tuple[LoadBalancer, ...]
    virtuals: tuple[BigIPObject, ...]  # deleted first: nothing may use the address then
    addresses: tuple[BigIPObject, ...]
    leftovers: tuple[BigIPObject, ...]  # pools, monitors, then the nodes only they used
    notes: tuple[str, ...] = ()

    @property
    def names(self) -> str:
        """``web (uuid)``, or ``web (uuid), api (uuid)`` for a group, in words."""
        return ", ".join(f"{lb.name} ({lb.uuid})" for lb in self.lbs)


@dataclass
class Adoption:
    swaps: list[Swap] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # load balancers left alone, and why
    unmatched: list[BigIPObject] = field(default_factory=list)  # old objects nobody claims


def _destination(obj: BigIPObject) -> tuple[str, int | None]:
    host = str(obj.fields.get("destination", "")).rsplit("/", 1)[-1]
    try:
        text, port = addresses.split_host_port(host)
        return str(addresses.parse(text).ip), int(port)
    except (addresses.AddressError, ValueError):
        return "", None


def _address(obj: BigIPObject) -> str:
    try:
        return str(addresses.parse(str(obj.fields.get("address", ""))).ip)
    except addresses.AddressError:
        return ""


def match(
    snapshot: ContrailSnapshot,
    lbs: Iterable[LoadBalancer],
    old: ObjectSet,
    scheme: OldScheme,
    vip_of: Mapping[str, str],
) -> Adoption:
    """``old``: the live objects of the old chain's partitions; ``vip_of``: lb uuid → VIP."""
    result = Adoption()
    by_partition: dict[str, list[BigIPObject]] = {}
    for obj in old.values():
        by_partition.setdefault(obj.partition, []).append(obj)
    claimed: set[tuple[str, str, str, str]] = set()
    links = snapshot.links()
    pending: list[_Matched] = []
    for lb in sorted(lbs, key=lambda x: x.uuid):
        partition = scheme.partition(lb)
        objects = by_partition.get(partition, [])
        vip = vip_of.get(lb.uuid, "")
        if not objects or not vip:
            continue  # nothing of the old chain serves it: an ordinary create
        virtuals: list[BigIPObject] = []
        problems: list[str] = []
        for listener in (
            snapshot.listeners[u] for u in sorted(links.listeners_of.get(lb.uuid, ()))
        ):
            port = port_number(listener.protocol_port)
            protocol = "udp" if (listener.protocol or "").upper() == "UDP" else "tcp"
            candidates = [
                o
                for o in objects
                if o.kind == "ltm/virtual"
                and _destination(o) == (vip, port)
                and str(o.fields.get("ipProtocol", "tcp")) == protocol
            ]
            named = [
                o
                for o in objects
                if o.kind == "ltm/virtual" and o.name == scheme.virtual_name(lb, listener)
            ]
            for other in named:
                if other not in candidates:
                    problems.append(
                        f"{other.path} is named after listener {listener.name} but serves "
                        f"{':'.join(map(str, _destination(other)))}, not {vip}:{port}"
                    )
            if len(candidates) > 1:
                paths = ", ".join(o.path for o in candidates)
                problems.append(f"listener {listener.name}: {len(candidates)} candidates ({paths})")
            elif candidates:
                virtuals.append(candidates[0])
        if problems:
            result.skipped.append(
                f"load balancer {lb.name} ({lb.uuid}): left alone: " + "; ".join(problems)
            )
            continue
        # An address the device made for a virtual (autoDelete) goes with its last virtual.
        vas = [
            o
            for o in objects
            if o.kind == "ltm/virtual-address"
            and _address(o) == vip
            and str(o.fields.get("autoDelete")) != "true"
        ]
        if not virtuals and not vas:
            continue
        pending.append(_Matched(lb, virtuals, vas, objects))
    for group in _sharing_nodes(pending):
        virtuals = [v for m in group for v in m.virtuals]
        vas = [va for m in group for va in m.addresses]
        objects = group[0].objects  # one old partition: sharing a node means sharing it
        leftovers = _used_by(virtuals, objects)
        swap = Swap(tuple(m.lb for m in group), tuple(virtuals), tuple(vas), tuple(leftovers))
        vips = {vip_of.get(m.lb.uuid, "") for m in group}
        made = [o for o in objects if o.kind == "ltm/virtual-address" and _address(o) in vips]
        claimed.update(o.key for o in (*virtuals, *made, *leftovers))
        result.swaps.append(swap)
    result.unmatched = sorted(
        (
            o
            for o in old.values()
            if o.key not in claimed and o.kind not in ("sys/folder", "ltm/pool/members")
        ),
        key=lambda o: o.key,
    )
    return result


@dataclass(frozen=True, eq=False)  # one per load balancer: identity is equality
class _Matched:
    """One load balancer's old virtuals and addresses, among its old partition's objects."""

    lb: LoadBalancer
    virtuals: list[BigIPObject]
    addresses: list[BigIPObject]
    objects: list[BigIPObject]


def _sharing_nodes(matched: list[_Matched]) -> list[list[_Matched]]:
    """The load balancers to swap, grouped where their old members share a node (of one
    partition), each group in the order given."""
    groups: list[tuple[set[tuple[str, str]], list[_Matched]]] = []
    for entry in matched:
        nodes = {
            (entry.objects[0].partition, n) for n in _member_nodes(entry.virtuals, entry.objects)
        }
        joined = [g for g in groups if g[0] & nodes]
        for group in joined:
            groups.remove(group)
            nodes |= group[0]
        members = [e for g in joined for e in g[1]] + [entry]
        groups.append((nodes, sorted(members, key=matched.index)))
    return [entries for _nodes, entries in groups]


def _going_pools(virtuals: list[BigIPObject], objects: list[BigIPObject]) -> list[BigIPObject]:
    """The old pools these old virtuals send to."""
    pools = {str(v.fields.get("pool") or "") for v in virtuals} - {""}
    return [o for o in objects if o.kind == "ltm/pool" and f"/{o.partition}/{o.name}" in pools]


def _members_of(pools: list[BigIPObject], objects: list[BigIPObject]) -> list[BigIPObject]:
    names = {p.name for p in pools}
    return [o for o in objects if o.kind == "ltm/pool/members" and o.parent in names]


def _node_of(member: BigIPObject) -> str:
    return member.name.rpartition(":")[0]


def _member_nodes(virtuals: list[BigIPObject], objects: list[BigIPObject]) -> set[str]:
    """The nodes the members of the pools these old virtuals send to stand on."""
    return {_node_of(m) for m in _members_of(_going_pools(virtuals, objects), objects)}


def _used_by(virtuals: list[BigIPObject], objects: list[BigIPObject]) -> list[BigIPObject]:
    """The pools the old virtuals send to, the monitors only those pools use, and the nodes
    only their members use — in the order they can be deleted."""
    going_pools = _going_pools(virtuals, objects)
    staying_pools = [o for o in objects if o.kind == "ltm/pool" and o not in going_pools]
    kept_monitors = {
        m.strip() for p in staying_pools for m in str(p.fields.get("monitor") or "").split(" and ")
    }
    monitors = {
        m.strip()
        for p in going_pools
        for m in str(p.fields.get("monitor") or "").split(" and ")
        if m.strip()
    } - kept_monitors
    going_monitors = [
        o
        for o in objects
        if o.kind.startswith("ltm/monitor/") and f"/{o.partition}/{o.name}" in monitors
    ]
    going_members = _members_of(going_pools, objects)
    staying_members = _members_of(staying_pools, objects)
    freed = {_node_of(m) for m in going_members} - {_node_of(m) for m in staying_members}
    going_nodes = [o for o in objects if o.kind == "ltm/node" and o.name in freed]
    return [*going_pools, *going_monitors, *going_nodes]
