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
from dataclasses import dataclass, field, replace

from reconciler.model import addresses
from reconciler.model.bigip import BigIPObject, ObjectSet
from reconciler.model.contrail import ContrailSnapshot, Listener, LoadBalancer
from reconciler.model.resources import ResourceType, resource_type
from reconciler.naming import OLD_CHAIN_PREFIXES, destination_host
from reconciler.plan.model import DevicePlan, Operation
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


SCHEMES = {source: OldScheme(source, prefix) for source, prefix in OLD_CHAIN_PREFIXES.items()}


@dataclass(frozen=True)
class Swap:
    """The old objects of one load balancer — or of several whose old members share a node —
    to delete in the transaction that creates theirs."""

    lbs: tuple[LoadBalancer, ...]
    virtuals: tuple[BigIPObject, ...]  # deleted first: nothing may use the address then
    addresses: tuple[BigIPObject, ...]
    leftovers: tuple[BigIPObject, ...]  # pools, monitors, then the nodes only they used
    notes: tuple[str, ...] = ()
    # Old objects a virtual that stays still uses (an operator's own virtual on an old
    # pool): kept, with the path of that virtual.
    kept: tuple[tuple[BigIPObject, str], ...] = ()

    @property
    def names(self) -> str:
        """``web (uuid)``, or ``web (uuid), api (uuid)`` for a group, in words."""
        return ", ".join(f"{lb.name} ({lb.uuid})" for lb in self.lbs)


@dataclass
class Adoption:
    swaps: list[Swap] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # load balancers left alone, and why
    unmatched: list[BigIPObject] = field(default_factory=list)  # old objects nobody claims


def _type(obj: BigIPObject) -> ResourceType:
    return resource_type(obj.kind)


def _destination(obj: BigIPObject) -> tuple[str, int | None]:
    host = destination_host(obj.fields.get("destination", ""))
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
    outside: Iterable[BigIPObject] = (),
) -> Adoption:
    """``old``: the live objects of the old chain's partitions; ``vip_of``: lb uuid → VIP;
    ``outside``: virtuals elsewhere on the device (``/Common``) that may use old pools."""
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
                if _type(o).listens
                and _destination(o) == (vip, port)
                and str(o.fields.get("ipProtocol", "tcp")) == protocol
            ]
            named = [
                o
                for o in objects
                if _type(o).listens and o.name == scheme.virtual_name(lb, listener)
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
            if _type(o).holds_vip
            and _address(o) == vip
            and str(o.fields.get("autoDelete")) != "true"
        ]
        if not virtuals and not vas:
            continue
        pending.append(_Matched(lb, virtuals, vas, objects))
    swapped = {v.key for m in pending for v in m.virtuals}
    staying = [o for o in (*old.values(), *outside) if _type(o).listens and o.key not in swapped]
    for group in _sharing_nodes(pending):
        virtuals = [v for m in group for v in m.virtuals]
        vas = [va for m in group for va in m.addresses]
        objects = group[0].objects  # one old partition: sharing a node means sharing it
        leftovers, kept = _used_by(virtuals, objects, staying)
        swap = Swap(
            tuple(m.lb for m in group),
            tuple(virtuals),
            tuple(vas),
            tuple(leftovers),
            kept=tuple(kept),
        )
        vips = {vip_of.get(m.lb.uuid, "") for m in group}
        made = [o for o in objects if _type(o).holds_vip and _address(o) in vips]
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
    return [o for o in objects if _type(o).has_members and o.path in pools]


def _members_of(pools: list[BigIPObject], objects: list[BigIPObject]) -> list[BigIPObject]:
    names = {p.name for p in pools}
    return [o for o in objects if _type(o).is_member and o.parent in names]


def _node_of(member: BigIPObject) -> str:
    return member.name.rpartition(":")[0]


def _member_nodes(virtuals: list[BigIPObject], objects: list[BigIPObject]) -> set[str]:
    """The nodes the members of the pools these old virtuals send to stand on."""
    return {_node_of(m) for m in _members_of(_going_pools(virtuals, objects), objects)}


def _used_by(
    virtuals: list[BigIPObject], objects: list[BigIPObject], staying: list[BigIPObject]
) -> tuple[list[BigIPObject], list[tuple[BigIPObject, str]]]:
    """(the pools the old virtuals send to, the monitors only those pools use and the nodes
    only their members use — in the order they can be deleted; the old pools a virtual that
    stays still sends to, each with that virtual's path: kept, with their monitors and
    nodes)."""
    users = {str(v.fields.get("pool") or ""): v.path for v in staying}
    sending = _going_pools(virtuals, objects)
    kept = [(p, users[p.path]) for p in sending if p.path in users]
    going_pools = [p for p in sending if p.path not in users]
    staying_pools = [o for o in objects if _type(o).has_members and o not in going_pools]
    kept_monitors = {m for p in staying_pools for m in _type(p).monitors_of(p)}
    monitors = {m for p in going_pools for m in _type(p).monitors_of(p)} - kept_monitors
    going_monitors = [o for o in objects if _type(o).is_monitor and o.path in monitors]
    going_members = _members_of(going_pools, objects)
    staying_members = _members_of(staying_pools, objects)
    freed = {_node_of(m) for m in going_members} - {_node_of(m) for m in staying_members}
    going_nodes = [o for o in objects if _type(o).is_node and o.name in freed]
    return [*going_pools, *going_monitors, *going_nodes], kept


def _kept_nodes(swap: Swap, objects: Iterable[BigIPObject]) -> dict[str, str]:
    """Node address → the staying virtual whose old pool's members keep that node."""
    users = {(pool.partition, pool.name): user for pool, user in swap.kept}
    return {
        _node_of(o).split("%", 1)[0]: users[(o.partition, o.parent)]
        for o in objects
        if _type(o).is_member and (o.partition, o.parent) in users
    }


PREPARE = "Our partitions, made first (they hold no address)"
UNMATCHED = "Old objects matching no Contrail object (--delete-unmatched)"


@dataclass(frozen=True)
class AdoptionPlan:
    """One device's adoption: its plan — a transaction that prepares our partitions, then
    one per swap group — the load balancers each swap transaction takes over, and what is
    left alone (with why)."""

    device: DevicePlan
    swaps: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # label → lb uuids
    notes: tuple[str, ...] = ()
    unmatched: int = 0


def plan_adoption(
    adoption: Adoption,
    ours: Iterable[Operation],
    errors: Mapping[str, str],
    old: ObjectSet,
    device: str,
    address: str,
    delete_unmatched: bool = False,
) -> AdoptionPlan:
    """The adoption's device plan (pure). ``ours``: the creates and updates our objects of
    the matched load balancers need on the device as it is; ``errors``: lb uuid → why it
    cannot be translated (its swap is left alone). A swap the device would refuse — a
    virtual that stays keeps an old pool, whose members keep nodes ours need — is not
    planned but said, so the dry run tells what the real run would meet."""
    notes = list(adoption.skipped)
    prepare: list[Operation] = []
    per_lb: dict[str, list[Operation]] = {}
    owner = {lb.uuid: i for i, swap in enumerate(adoption.swaps) for lb in swap.lbs}
    for op in ours:
        groups = {owner.get(lb) for lb in op.lbs}
        rtype = resource_type(op.obj.kind)
        if rtype.is_partition or rtype.networking or len(groups) != 1 or None in groups:
            prepare.append(replace(op, transaction=PREPARE))
        else:
            per_lb.setdefault(next(iter(op.lbs)), []).append(op)
    operations = list(prepare)
    swaps: dict[str, tuple[str, ...]] = {}
    for swap in adoption.swaps:
        uuids = tuple(lb.uuid for lb in swap.lbs)
        who = "Load balancer" if len(uuids) == 1 else "Load balancers"
        shared = " (their old members share nodes)" if len(uuids) > 1 else ""
        label = f"{who} {swap.names}: swap in one transaction{shared}"
        broken = [f"{errors[u]}" for u in uuids if u in errors]
        if broken:
            notes.append(f"{who.lower()} {swap.names}: left alone: " + "; ".join(broken))
            continue
        mine = [op for u in uuids for op in per_lb.get(u, ())]
        needed = {
            node
            for op in mine
            for child in op.children
            if (node := resource_type(child.kind).node_of(child))
        }
        held = _kept_nodes(swap, old.values())
        clash = sorted(n for n in {x.split("%", 1)[0] for x in needed} if n in held)
        if clash:
            users = ", ".join(sorted({held[n] for n in clash}))
            notes.append(
                f"{who.lower()} {swap.names}: swap refused before it is sent: {users} stays "
                f"and uses an old pool whose members keep the node(s) {', '.join(clash)} that "
                "ours need (one node per address and route domain): move that virtual off "
                "the old pool, or delete it, and adopt again"
            )
            continue
        swaps[label] = uuids
        lbs = frozenset(uuids)
        reason = f"replaced by load balancer {', '.join(lb.name for lb in swap.lbs)}'s own objects"
        operations += [
            Operation("delete", o, reason=reason, code="replace", lbs=lbs, transaction=label)
            for o in (*swap.virtuals, *swap.addresses)
        ]
        operations += [
            Operation(
                "delete", o, reason="only the replaced objects used it", lbs=lbs, transaction=label
            )
            for o in swap.leftovers
        ]
        operations += [
            replace(op, transaction=label, reason=op.reason or _replaces(op.obj, swap))
            for op in mine
        ]
        notes += [
            f"{pool.path} is kept: {user} still uses it (listed, not ours to delete)"
            for pool, user in swap.kept
        ]
    foreign: tuple[BigIPObject, ...] = tuple(adoption.unmatched)
    if delete_unmatched and adoption.unmatched:
        going = [
            o
            for o in adoption.unmatched
            if not (_type(o).holds_vip and str(o.fields.get("autoDelete")) == "true")
        ]  # an address the device made goes with its last virtual: deleting it is refused
        going.sort(key=lambda o: resource_type(o.kind).order, reverse=True)
        operations += [
            Operation("delete", o, reason="matches no Contrail object", transaction=UNMATCHED)
            for o in going
        ]
        foreign = ()
    plan = DevicePlan(device, address, operations=tuple(operations), foreign=foreign)
    return AdoptionPlan(plan, swaps, tuple(notes), len(adoption.unmatched))


def _replaces(ours: BigIPObject, swap: Swap) -> str:
    """For our virtual: which old virtual it replaces, and what changes for traffic (the
    names aside: destination, pool and description name objects that change by design)."""
    if not _type(ours).listens:
        return ""
    target = destination_host(ours.fields.get("destination", ""))
    old = next(
        (v for v in swap.virtuals if destination_host(v.fields.get("destination", "")) == target),
        None,
    )
    if old is None:
        return ""
    changes = [
        f"{name}: {was} → {now}"
        for name, (was, now) in _type(ours).differences(ours, old).items()
        if name not in ("destination", "pool", "description")
    ]
    return "replaces " + old.path + "".join(f"; {c}" for c in changes)
