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
    listeners_of: dict[str, list[Listener]] = {}
    for listener in snapshot.listeners.values():
        for lb_uuid in listener.lb_uuids:
            listeners_of.setdefault(lb_uuid, []).append(listener)
    pending: list[_Pending] = []
    for lb in sorted(lbs, key=lambda x: x.uuid):
        partition = scheme.partition(lb)
        objects = by_partition.get(partition, [])
        vip = vip_of.get(lb.uuid, "")
        if not objects or not vip:
            continue  # nothing of the old chain serves it: an ordinary create
        virtuals: list[BigIPObject] = []
        problems: list[str] = []
        for listener in sorted(listeners_of.get(lb.uuid, ()), key=lambda x: x.uuid):
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
        pending.append((lb, virtuals, vas, objects))
    for group in _sharing_nodes(pending):
        virtuals = [v for _lb, vs, _vas, _objs in group for v in vs]
        vas = [va for _lb, _vs, group_vas, _objs in group for va in group_vas]
        objects = group[0][3]  # one old partition: sharing a node means sharing it
        leftovers = _used_by(virtuals, objects)
        swap = Swap(tuple(g[0] for g in group), tuple(virtuals), tuple(vas), tuple(leftovers))
        vips = {vip_of.get(g[0].uuid, "") for g in group}
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


_Pending = tuple[LoadBalancer, list[BigIPObject], list[BigIPObject], list[BigIPObject]]


def _member_nodes(virtuals: list[BigIPObject], objects: list[BigIPObject]) -> set[str]:
    """The nodes the members of the pools these old virtuals send to stand on."""
    pools = {str(v.fields.get("pool") or "").rsplit("/", 1)[-1] for v in virtuals} - {""}
    return {
        o.name.rpartition(":")[0]
        for o in objects
        if o.kind == "ltm/pool/members" and o.parent in pools
    }


def _sharing_nodes(pending: list[_Pending]) -> list[list[_Pending]]:
    """The load balancers to swap, grouped where their old members share a node (of one
    partition), each group in the order given."""
    groups: list[tuple[str, set[str], list[_Pending]]] = []
    for entry in pending:
        lb, virtuals, _vas, objects = entry
        partition = objects[0].partition
        nodes = _member_nodes(virtuals, objects)
        joined = [g for g in groups if g[0] == partition and g[1] & nodes]
        merged = (partition, set(nodes), [entry])
        for group in joined:
            groups.remove(group)
            merged = (partition, merged[1] | group[1], group[2] + merged[2])
        groups.append(merged)
    order = {id(entry): n for n, entry in enumerate(pending)}
    return [sorted(g[2], key=lambda e: order[id(e)]) for g in groups]


def _used_by(virtuals: list[BigIPObject], objects: list[BigIPObject]) -> list[BigIPObject]:
    """The pools the old virtuals send to, the monitors only those pools use, and the nodes
    only their members use — in the order they can be deleted."""
    pools = {str(v.fields.get("pool") or "") for v in virtuals} - {""}
    going_pools = [
        o for o in objects if o.kind == "ltm/pool" and f"/{o.partition}/{o.name}" in pools
    ]
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
    going_members = [
        o
        for o in objects
        if o.kind == "ltm/pool/members" and any(o.parent == p.name for p in going_pools)
    ]
    staying_members = [
        o for o in objects if o.kind == "ltm/pool/members" and o not in going_members
    ]
    used_nodes = {o.name.rpartition(":")[0] for o in staying_members}
    freed = {o.name.rpartition(":")[0] for o in going_members} - used_nodes
    going_nodes = [o for o in objects if o.kind == "ltm/node" and o.name in freed]
    return [*going_pools, *going_monitors, *going_nodes]
