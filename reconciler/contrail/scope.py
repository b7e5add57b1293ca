"""Which load balancers a replica reads: those of the F5 sets in its scope, found by Contrail.

A replica that owns two sets of twenty has no use for the other eighteen's subtrees, so its
read asks the server for the load balancers that name one of its sets — the set's back-refs
(``back_ref_id``) and a ``loadbalancer_provider`` filter naming the sets — and then only their
listeners, pools, members, monitors and ports. Claim rules (kube-manager's load balancers,
which name no F5 set) cannot be asked for by a filter: when one of them gives a set in the
scope, every load balancer's provider, set refs and annotations are listed (no detail, a few
fields) and the same rule as ``translate.desired.sets_of`` picks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.config import ClaimRule
from reconciler.model.contrail import LoadBalancer
from reconciler.model.values import FrozenDict
from reconciler.translate.claims import claiming_set

#: Ids per list call when reading objects by id (the client turns long lists into a POST).
IDS_PER_PAGE = 500
LISTENER_REFS = ["loadbalancer_listener_refs"]
LB_REFS = ["loadbalancer_refs"]
LIGHT_FIELDS = ["loadbalancer_provider", "service_appliance_set_refs", "annotations"]


@dataclass(frozen=True)
class ReadScope:
    """The F5 sets (by name) whose load balancers a read takes, and the claim rules that
    give kube-manager's load balancers to sets. The global objects (sets, projects, networks,
    route tables, our instance-ips) are read whatever the scope."""

    sets: frozenset[str]
    claims: tuple[ClaimRule, ...] = ()

    def claims_here(self) -> bool:
        """Does a claim rule give load balancers to a set in the scope?"""
        return any(rule.sas in self.sets for rule in self.claims)

    def takes(self, lb: LoadBalancer, f5_sets: Mapping[str, str]) -> bool:
        """Is ``lb`` one of the scope's (``f5_sets``: uuid → name of every F5 set)?"""
        named = {name for uuid, name in f5_sets.items() if lb.provider == name}
        named |= {f5_sets[uuid] for uuid in lb.sas_uuids if uuid in f5_sets}
        if named:
            return bool(named & self.sets)
        return claiming_set(lb, self.claims) in self.sets


def scoped_load_balancers(vnc: Any, scope: ReadScope, f5_sets: Mapping[str, str]) -> list[Any]:
    """The scope's load balancers as vnc_api objects (``f5_sets``: uuid → name of every F5
    set): by back-ref and provider filter, or through the light listing when claim rules
    give a set of the scope load balancers."""
    wanted = {uuid: name for uuid, name in f5_sets.items() if name in scope.sets}
    if not wanted:
        return []
    if scope.claims_here():
        uuids = [
            str(item["uuid"])
            for item in vnc.loadbalancers_list(fields=LIGHT_FIELDS).get("loadbalancers", ())
            if scope.takes(_light(item), f5_sets)
        ]
        return by_ids(vnc.loadbalancers_list, "obj_uuids", sorted(uuids))
    filters = {"loadbalancer_provider": sorted(set(wanted.values()))}
    found = {lb.uuid: lb for lb in vnc.loadbalancers_list(detail=True, filters=filters)}
    # those that name a set by ref only: their uuids, then only the ones not yet read
    referring = vnc.loadbalancers_list(back_ref_id=list(wanted)).get("loadbalancers", ())
    missing = sorted({str(item["uuid"]) for item in referring} - found.keys())
    found.update((lb.uuid, lb) for lb in by_ids(vnc.loadbalancers_list, "obj_uuids", missing))
    return [found[uuid] for uuid in sorted(found)]


def in_scope(vnc: Any, lb_uuid: str, scope: ReadScope, f5_sets: Mapping[str, str]) -> bool:
    """Is the load balancer, as Contrail holds it now, one of the scope's? One listing of
    its few fields: a replica asks this before reading the subtree of a load balancer it
    has not seen (a notification may be for another replica's)."""
    items = vnc.loadbalancers_list(obj_uuids=[lb_uuid], fields=LIGHT_FIELDS).get("loadbalancers")
    return any(scope.takes(_light(item), f5_sets) for item in items or ())


def in_scope_of(
    vnc: Any, lb_uuids: Iterable[str], scope: ReadScope, f5_sets: Mapping[str, str]
) -> set[str]:
    """``in_scope`` for many load balancers at once: one listing of their few fields per
    page of ids (gone ones are simply not listed). Another replica's status write-backs
    notify every replica of thousands of load balancers it does not hold: one GET each
    kept a replica's change thread busy for many minutes after a cold start
    (``daemon/unheld.py``)."""
    found: set[str] = set()
    ids = sorted(set(lb_uuids))
    for start in range(0, len(ids), IDS_PER_PAGE):
        page = ids[start : start + IDS_PER_PAGE]
        listed = vnc.loadbalancers_list(obj_uuids=page, fields=LIGHT_FIELDS)
        found |= {
            str(item["uuid"])
            for item in listed.get("loadbalancers", ()) or ()
            if scope.takes(_light(item), f5_sets)
        }
    return found


def load_balancers_under(vnc: Any, objects: Iterable[tuple[str, str]]) -> set[str]:
    """``load_balancers_above`` for many objects (``(kind, uuid)``) at once: pools and
    listeners by one listing of their one link per page of ids, the rare others one by
    one."""
    pools, listeners, lbs = [], [], set()
    for kind, uuid in objects:
        if kind == "loadbalancer_pool":
            pools.append(uuid)
        elif kind == "loadbalancer_listener":
            listeners.append(uuid)
        else:
            lbs |= load_balancers_above(vnc, kind, uuid)
    listeners += _listed_refs(vnc, "loadbalancer_pool", pools, LISTENER_REFS[0])
    return lbs | set(_listed_refs(vnc, "loadbalancer_listener", listeners, LB_REFS[0]))


def _listed_refs(vnc: Any, kind: str, uuids: Iterable[str], refs: str) -> list[str]:
    """The uuids that these objects' ``refs`` name, one listing per page of ids."""
    ids = sorted(set(uuids))
    found: list[str] = []
    for start in range(0, len(ids), IDS_PER_PAGE):
        page = ids[start : start + IDS_PER_PAGE]
        listed = getattr(vnc, f"{kind}s_list")(obj_uuids=page, fields=[refs])
        for item in listed.get(f"{kind.replace('_', '-')}s", ()) or ():
            found += _uuids(item.get(refs))
    return found


def load_balancers_above(vnc: Any, kind: str, uuid: str) -> set[str]:
    """The load balancers an object we have not seen hangs under (a listener, pool, member
    or health monitor of a notification): up its parent and refs, one read per level, each
    asking for that link alone (another replica's objects are not read whole)."""
    from vnc_api.exceptions import NoIdError

    try:
        if kind == "loadbalancer_member":
            # its parent pool by name: a member's fq_name is its pool's and its own name
            fq_name = vnc.id_to_fq_name(uuid)
            return _above_pools(vnc, [vnc.fq_name_to_id("loadbalancer-pool", fq_name[:-1])])
        if kind == "loadbalancer_healthmonitor":
            monitor = vnc.loadbalancer_healthmonitor_read(
                id=uuid, fields=["loadbalancer_pool_back_refs"]
            )
            return _above_pools(vnc, _uuids(monitor.get_loadbalancer_pool_back_refs()))
        if kind == "loadbalancer_pool":
            return _above_pools(vnc, [uuid])
        if kind == "loadbalancer_listener":
            return _above_listeners(vnc, [uuid])
    except NoIdError:
        pass  # gone: had it been one of ours, its load balancer would be known
    return set()


def _above_pools(vnc: Any, pools: Iterable[str]) -> set[str]:
    listeners = [
        u
        for p in pools
        for u in _uuids(
            vnc.loadbalancer_pool_read(id=p, fields=LISTENER_REFS).get_loadbalancer_listener_refs()
        )
    ]
    return _above_listeners(vnc, listeners)


def _above_listeners(vnc: Any, listeners: Iterable[str]) -> set[str]:
    return {
        u
        for x in listeners
        for u in _uuids(
            vnc.loadbalancer_listener_read(id=x, fields=LB_REFS).get_loadbalancer_refs()
        )
    }


def _uuids(refs: Iterable[Mapping[str, Any]] | None) -> list[str]:
    return [str(r["uuid"]) for r in refs or () if r.get("uuid")]


def by_ids(list_call: Any, key: str, ids: Iterable[str]) -> list[Any]:
    """``list_call(detail=True, <key>=[...])`` over ``ids`` a page at a time."""
    ids = list(ids)
    out: list[Any] = []
    for start in range(0, len(ids), IDS_PER_PAGE):
        out.extend(list_call(detail=True, **{key: ids[start : start + IDS_PER_PAGE]}))
    return out


def _light(item: Mapping[str, Any]) -> LoadBalancer:
    """A listing's few fields as a LoadBalancer, enough for ``ReadScope.takes``."""
    pairs = (item.get("annotations") or {}).get("key_value_pair") or ()
    annotations = {str(p.get("key")): p.get("value") for p in pairs if p.get("key") is not None}
    return LoadBalancer(
        uuid=str(item["uuid"]),
        name="",
        display_name="",
        project_uuid="",
        project_name="",
        provider=item.get("loadbalancer_provider"),
        sas_uuids=tuple(r["uuid"] for r in item.get("service_appliance_set_refs") or ()),
        admin_state=True,
        vip_address=None,
        vip_subnet_id=None,
        vmi_uuids=(),
        annotations=FrozenDict(annotations),
    )
