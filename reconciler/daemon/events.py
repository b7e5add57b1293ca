"""Which load balancers a Contrail change notification affects (pure).

svc-monitor's reaction map, flattened onto load balancers: member → pool → listener →
load balancer; health monitor → its pools; VIP port, its instance-ip or floating-ip → the
load balancer; service-appliance(-set) → a full resync. Notifications are hints, not truth:
the work they cause re-reads Contrail, so mapping a little too much is harmless and mapping
too little is covered by the periodic resync. When the mapping cannot tell (an update of an
object we have never seen), the answer is a full resync.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.contrail.changes import Change
from reconciler.model.contrail import ContrailSnapshot
from reconciler.model.values import Edits, FrozenDict

FULL_RESYNC = "*"
RELEVANT = frozenset(
    {
        "loadbalancer",
        "loadbalancer_listener",
        "loadbalancer_pool",
        "loadbalancer_member",
        "loadbalancer_healthmonitor",
        "service_appliance_set",
        "service_appliance",
        "virtual_machine_interface",
        "instance_ip",
        "floating_ip",
    }
)


@dataclass(frozen=True)
class Index:
    """Reverse references of the last snapshot: object uuid → load balancer uuids."""

    lbs_of: Mapping[str, frozenset[str]] = field(default_factory=dict)
    lbs_of_pool_fq_name: Mapping[tuple[str, ...], frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, snapshot: ContrailSnapshot) -> Index:
        lbs_of: dict[str, set[str]] = defaultdict(set)
        for lb in snapshot.load_balancers.values():
            lbs_of[lb.uuid].add(lb.uuid)
            for vmi in lb.vmi_uuids:
                lbs_of[vmi].add(lb.uuid)
        for listener in snapshot.listeners.values():
            lbs_of[listener.uuid].update(listener.lb_uuids)
        for pool in snapshot.pools.values():
            for listener_uuid in pool.listener_uuids:
                lbs_of[pool.uuid] |= lbs_of.get(listener_uuid, set())
            for hm in pool.monitor_uuids:
                lbs_of[hm] |= lbs_of.get(pool.uuid, set())
        for member in snapshot.members.values():
            lbs_of[member.uuid] |= lbs_of.get(member.pool_uuid, set())
            if member.annotations.get("vmi"):
                lbs_of[member.annotations["vmi"]] |= lbs_of.get(member.pool_uuid, set())
        for port in snapshot.ports.values():
            for iip in port.instance_ips:
                lbs_of[iip.uuid] |= lbs_of.get(port.uuid, set())
        # Nearly every entry is the same one-load-balancer set as its neighbours': share one
        # frozenset per distinct set (80,000 entries at 5,000 load balancers, ~15 MB apart).
        shared: dict[frozenset[str], frozenset[str]] = {}

        def one(lbs: Iterable[str]) -> frozenset[str]:
            value = frozenset(lbs)
            return shared.setdefault(value, value)

        by_fq = {
            pool.fq_name: one(lbs_of.get(pool.uuid, ()))
            for pool in snapshot.pools.values()
            if pool.fq_name and lbs_of.get(pool.uuid)
        }
        return cls({k: one(v) for k, v in lbs_of.items() if v}, by_fq)

    def with_load_balancer(
        self, previous: ContrailSnapshot, snapshot: ContrailSnapshot, lb_uuid: str
    ) -> Index:
        """This index — made from ``previous`` — once ``snapshot`` has re-read one load
        balancer's subtree (the daemon's per-change read): the entries of its subtree in
        ``previous`` lose it, then the entries ``Index.of`` gives its subtree in ``snapshot``
        are added. Rebuilding the whole index instead cost ~20 ms at 1,000 and ~150 ms at
        5,000 load balancers per change, and its 80,000 fresh sets set off full garbage
        collections of ~250 ms; looking for the load balancer in every entry, ~10 ms."""
        sub = Index.of(_subtree(snapshot, lb_uuid))
        old = Index.of(_subtree(previous, lb_uuid))
        keys = [k for k in old.lbs_of if k in self.lbs_of]
        fq_names = [k for k in old.lbs_of_pool_fq_name if k in self.lbs_of_pool_fq_name]
        lbs_of = Edits(self.lbs_of)  # no copy of the index: only these entries change
        for key in keys:
            lbs_of[key] = lbs_of[key] - {lb_uuid}
            if not lbs_of[key]:
                del lbs_of[key]
        for key, lbs in sub.lbs_of.items():
            lbs_of[key] = lbs_of.get(key, frozenset()) | lbs
        by_fq = Edits(self.lbs_of_pool_fq_name)
        for fq_name in fq_names:
            by_fq[fq_name] = by_fq[fq_name] - {lb_uuid}
            if not by_fq[fq_name]:
                del by_fq[fq_name]
        for fq_name, lbs in sub.lbs_of_pool_fq_name.items():
            by_fq[fq_name] = by_fq.get(fq_name, frozenset()) | lbs
        return Index(lbs_of.done(), by_fq.done())

    def lookup(self, uuid: str | None) -> frozenset[str]:
        return self.lbs_of.get(uuid or "", frozenset())

    def moved_between(self, change: Change, snapshot: ContrailSnapshot) -> frozenset[str]:
        """The load balancers a changed listener or pool hung under before (this index) and
        hangs under in ``snapshot`` (it merged): its references may have moved it from one
        to another, and both need their index entries and a reconcile. Other objects cannot
        move (a member's pool is its parent) or do not shape the tree: none."""
        lbs: set[str] = set()
        if change.kind == "loadbalancer_listener":
            lbs |= self.lookup(change.uuid)
            if (listener := snapshot.listeners.get(change.uuid)) is not None:
                lbs.update(listener.lb_uuids)
        elif change.kind == "loadbalancer_pool":
            lbs |= self.lookup(change.uuid)
            pool = snapshot.pools.get(change.uuid)
            for uuid in pool.listener_uuids if pool is not None else ():
                lbs |= self.lookup(uuid)
                if (listener := snapshot.listeners.get(uuid)) is not None:
                    lbs.update(listener.lb_uuids)
        return frozenset(lbs)


#: The snapshot's maps whose objects hang under load balancers (``Index.of`` walks them).
SUBTREE_MAPS = ("load_balancers", "listeners", "pools", "members", "monitors", "ports")


def changed_between(
    before: ContrailSnapshot, after: ContrailSnapshot, index_before: Index, index_after: Index
) -> frozenset[str]:
    """The load balancers whose subtree a full read changed (an object new, gone or not
    equal), by either snapshot's index. Objects a joined read kept are the same instances:
    compared by identity first, so only what was read again costs."""
    lbs: set[str] = set()
    for held_in in SUBTREE_MAPS:
        old, new = getattr(before, held_in), getattr(after, held_in)
        for uuid, obj in new.items():
            was = old.get(uuid)
            if was is not obj and was != obj:
                lbs |= index_after.lookup(uuid) | index_before.lookup(uuid)
        for uuid in old.keys() - new.keys():
            lbs |= index_before.lookup(uuid)
    return frozenset(lbs)


def _subtree(snapshot: ContrailSnapshot, lb_uuid: str) -> ContrailSnapshot:
    """The part of ``snapshot`` ``Index.of`` looks at for one load balancer."""
    lb = snapshot.load_balancers.get(lb_uuid)
    if lb is None:
        return ContrailSnapshot()
    listener_ids, pool_ids, member_ids = snapshot.links().subtree(lb_uuid)
    listeners = {u: snapshot.listeners[u] for u in listener_ids}
    pools = {u: snapshot.pools[u] for u in pool_ids}
    members = {u: snapshot.members[u] for u in member_ids}
    ports = set(lb.vmi_uuids) | {
        m.annotations["vmi"] for m in members.values() if m.annotations.get("vmi")
    }
    return replace(
        snapshot,
        load_balancers=FrozenDict({lb_uuid: lb}),
        listeners=FrozenDict(listeners),
        pools=FrozenDict(pools),
        members=FrozenDict(members),
        ports=FrozenDict((u, snapshot.ports[u]) for u in ports if u in snapshot.ports),
    )


def member_pool(event: Mapping[str, Any]) -> tuple[str, ...] | None:
    """A member notification's pool, by fq_name (a member's is its pool's and its own name;
    the message's, else its object's); None for another type, or when it does not say."""
    if str(event.get("type", "")).replace("-", "_") != "loadbalancer_member":
        return None
    raw = event.get("obj_dict")
    given = event.get("fq_name") or (raw.get("fq_name") if isinstance(raw, Mapping) else None)
    if not isinstance(given, list) or len(given) < 2:
        return None
    return tuple(str(part) for part in given[:-1])


def _text(value: Any) -> str | None:
    """A uuid as a notification should carry it; anything else (a malformed message) is None."""
    return value if isinstance(value, str) and value else None


def _ref_uuids(obj: Mapping[str, Any], field_name: str) -> list[str]:
    refs = obj.get(field_name)
    if not isinstance(refs, list):
        return []
    return [r["uuid"] for r in refs if isinstance(r, Mapping) and _text(r.get("uuid"))]


def _refs_by_name_only(obj: Mapping[str, Any], field_name: str) -> bool:
    """A CREATE notification carries the request as the client sent it (R2005
    ``VncDbClient.dbe_create``): a ref given by fq_name only has no uuid to look up."""
    refs = obj.get(field_name)
    return isinstance(refs, list) and any(
        isinstance(r, Mapping) and not _text(r.get("uuid")) for r in refs
    )


REF_FIELDS = {
    "loadbalancer_listener": "loadbalancer_refs",
    "loadbalancer_pool": "loadbalancer_listener_refs",
    "instance_ip": "virtual_machine_interface_refs",
    "floating_ip": "virtual_machine_interface_refs",
}


def keys_for(event: Mapping[str, Any], index: Index) -> set[str]:
    """Load balancer uuids to reconcile for one notification, or {FULL_RESYNC}."""
    kind = str(event.get("type", "")).replace("-", "_")
    if kind not in RELEVANT:
        return set()
    uuid = _text(event.get("uuid"))
    oper = event.get("oper")
    raw = event.get("obj_dict")
    obj: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    if kind in ("service_appliance_set", "service_appliance"):
        return {FULL_RESYNC}
    if kind == "loadbalancer":
        return {uuid} if uuid else {FULL_RESYNC}
    keys = set(index.lookup(uuid))
    if kind == "loadbalancer_listener":
        keys.update(_ref_uuids(obj, "loadbalancer_refs"))
    elif kind == "loadbalancer_pool":
        for listener in _ref_uuids(obj, "loadbalancer_listener_refs"):
            keys |= index.lookup(listener)
    elif kind == "loadbalancer_member":
        keys |= index.lookup(_text(obj.get("parent_uuid")))
        pool = member_pool(event)
        if pool is not None:
            keys |= index.lbs_of_pool_fq_name.get(pool, frozenset())
    elif kind == "instance_ip" or kind == "floating_ip":
        for vmi in _ref_uuids(obj, "virtual_machine_interface_refs"):
            keys |= index.lookup(vmi)
    if kind in REF_FIELDS and _refs_by_name_only(obj, REF_FIELDS[kind]):
        return {FULL_RESYNC}  # whose it is cannot be told from the message: look at all
    if keys:
        return keys
    if kind in ("virtual_machine_interface", "instance_ip", "floating_ip"):
        return set()  # a port no load balancer uses: not ours
    if kind == "loadbalancer_healthmonitor" and oper == "CREATE":
        return set()  # nothing refers to it yet; the pool update that does will come
    return {FULL_RESYNC}
