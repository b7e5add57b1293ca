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

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.config import ClaimRule
from reconciler.model.contrail import LoadBalancer
from reconciler.model.values import FrozenDict
from reconciler.translate.claims import claiming_set

#: Ids per list call when reading objects by id (the client turns long lists into a POST).
IDS_PER_PAGE = 500
LISTENER_REFS = "loadbalancer_listener_refs"
LB_REFS = "loadbalancer_refs"
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


def in_scope_of(
    vnc: Any, lb_uuids: Iterable[str], scope: ReadScope, f5_sets: Mapping[str, str]
) -> set[str]:
    """Which of these load balancers, as Contrail holds them now, are the scope's: one
    listing of their few fields per page of ids (gone ones are simply not listed). A
    replica asks this before reading the subtree of a load balancer it has not seen, for
    all it has heard of at once: another replica's status write-backs notify every replica
    of thousands of load balancers it does not hold, and one GET each kept a replica's
    change thread busy for many minutes after a cold start (``daemon/unheld.py``)."""
    return _light_listed(vnc, "obj_uuids", lb_uuids, scope, f5_sets)


def in_projects(
    vnc: Any, scope: ReadScope, f5_sets: Mapping[str, str], project_uuids: Iterable[str]
) -> list[str]:
    """The scope's load balancers in these projects, by one listing of their few fields per
    page of projects (no detail): all of each project's that a set of the scope holds, so
    a plan of those projects' partitions misses none of them (a takeover's look-ahead)."""
    return sorted(_light_listed(vnc, "parent_id", project_uuids, scope, f5_sets))


def _light_listed(
    vnc: Any, key: str, ids: Iterable[str], scope: ReadScope, f5_sets: Mapping[str, str]
) -> set[str]:
    """The scope's load balancers among those listed by ``key`` (their ids, their
    projects) a page of ids at a time, with a few fields and no detail."""
    found: set[str] = set()
    for page in _pages(ids):
        listed = vnc.loadbalancers_list(fields=LIGHT_FIELDS, **{key: page})
        found |= {
            str(item["uuid"])
            for item in listed.get("loadbalancers", ()) or ()
            if scope.takes(_light(item), f5_sets)
        }
    return found


def load_balancers_under(vnc: Any, objects: Iterable[tuple[str, str]]) -> set[str]:
    """The load balancers these objects (``(kind, uuid)`` of listeners, pools, members,
    monitors a replica has not seen) hang under, following only their links (another
    replica's objects are not read whole): pools and listeners by one listing of their one
    link per page of ids; a member's pool by its name, a monitor's by its back-refs, one
    read each (rare: a member's notification names its pool and is parked instead)."""
    from vnc_api.exceptions import NoIdError

    pools, listeners = [], []
    for kind, uuid in objects:
        if kind == "loadbalancer_pool":
            pools.append(uuid)
        elif kind == "loadbalancer_listener":
            listeners.append(uuid)
        else:
            with contextlib.suppress(NoIdError):  # gone: were it ours, we would know it
                pools += _pools_of(vnc, kind, uuid)
    listeners += _listed_refs(vnc, "loadbalancer_pool", pools, LISTENER_REFS)
    return set(_listed_refs(vnc, "loadbalancer_listener", listeners, LB_REFS))


def _pools_of(vnc: Any, kind: str, uuid: str) -> list[str]:
    """The pools a member (its parent, by its fq_name) or a monitor (its back-refs) is of."""
    if kind == "loadbalancer_member":
        fq_name = vnc.id_to_fq_name(uuid)
        return [vnc.fq_name_to_id("loadbalancer-pool", fq_name[:-1])]
    if kind == "loadbalancer_healthmonitor":
        monitor = vnc.loadbalancer_healthmonitor_read(
            id=uuid, fields=["loadbalancer_pool_back_refs"]
        )
        return _uuids(monitor.get_loadbalancer_pool_back_refs())
    return []


def _listed_refs(vnc: Any, kind: str, uuids: Iterable[str], refs: str) -> list[str]:
    """The uuids that these objects' ``refs`` name, one listing per page of ids."""
    found: list[str] = []
    for page in _pages(uuids):
        listed = getattr(vnc, f"{kind}s_list")(obj_uuids=page, fields=[refs])
        for item in listed.get(f"{kind.replace('_', '-')}s", ()) or ():
            found += _uuids(item.get(refs))
    return found


def _uuids(refs: Iterable[Mapping[str, Any]] | None) -> list[str]:
    return [str(r["uuid"]) for r in refs or () if r.get("uuid")]


def by_ids(list_call: Any, key: str, ids: Iterable[str]) -> list[Any]:
    """``list_call(detail=True, <key>=[...])`` over ``ids`` a page at a time."""
    return [obj for page in _pages(ids) for obj in list_call(detail=True, **{key: page})]


def _pages(ids: Iterable[str]) -> Iterator[list[str]]:
    """The distinct ids, sorted, ``IDS_PER_PAGE`` at a time (the client turns a long list
    into a POST)."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), IDS_PER_PAGE):
        yield ordered[start : start + IDS_PER_PAGE]


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
