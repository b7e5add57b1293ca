"""The VIP static route in Contrail (docs/MAPPING.md, seed §3), as a desired value and a diff (pure).

Once a load balancer is live on the device its VIP must be reachable, so Contrail needs a route
for it. One route table per F5 set, named ``P_vip_routes_<set name>``, holds exactly the VIPs
(and the floating IPs of the VIP ports) of that set's live load balancers:

- ``vip_route_mode=interface`` (a virtual LTM): an interface-route-table in the project of the
  vLTM's external VMI (kv ``external_vmi``), attached to that VMI, routes ``VIP/32`` with no
  next hop: the vrouter sends VIP traffic to that interface;
- ``vip_route_mode=network`` (a physical LTM): a network route-table in the project of the
  external virtual network (kv ``external_network``, default ``external``), attached to that
  network, routes ``VIP/32`` with ``next_hop`` = the device's external self IP (kv
  ``external_self_ip``) and ``next_hop_type`` ``ip-address``;
- ``none``: no route (the default when neither ``external_vmi`` nor ``external_self_ip`` is set).

Optional ``vip_route_community`` (comma-separated, e.g. ``no-export``) tags every route.
Tables carry the annotation ``managed-by=contrail-f5-reconciler``; a table of that name
without it was made by someone else and is never touched. Tables are emptied, not deleted,
when their last VIP goes (the attachment stays, so nothing else has to change).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from reconciler.config import community_problem
from reconciler.model.contrail import (
    ApplianceSet,
    ContrailSnapshot,
    LoadBalancer,
    Route,
    RouteTable,
)
from reconciler.model.values import FrozenDict
from reconciler.model.vips import vip_prefixes as prefixes_of
from reconciler.naming import MANAGED_BY, Naming
from reconciler.plan.model import ContrailChange, FieldChange

MODES = ("interface", "network", "none")
TYPES = {"interface": "interface-route-table", "network": "route-table"}


@dataclass(frozen=True)
class RouteSettings:
    mode: str
    external_vmi: str | None
    external_network: str
    next_hop: str | None
    communities: tuple[str, ...]


@dataclass(frozen=True)
class DesiredRouteTable:
    """What the writer needs: where the table lives, its routes, what it is attached to."""

    kind: str  # "interface" | "network"
    fq_name: tuple[str, ...]
    routes: tuple[Route, ...]
    attach: str  # uuid of the VMI (interface) or virtual network (network)
    attach_name: str
    # The routes the table does not hold yet, each with the load balancers it is for: a new
    # route goes out only once its load balancer answers on the device, so the apply drops
    # those whose load balancers the device refused (``without_routes_of``).
    depends: FrozenDict[str, frozenset[str]] = field(default_factory=FrozenDict)
    current: tuple[Route, ...] = ()  # what the table holds now

    @property
    def lbs(self) -> frozenset[str]:
        """The load balancers its new routes depend on."""
        return frozenset().union(*self.depends.values())


#: ``desired_route_table``'s answer to a one-load-balancer pass whose routes are in place.
_UNCHANGED = DesiredRouteTable("interface", (), (), "", "")


def route_settings(sas: ApplianceSet) -> RouteSettings:
    """The set's VIP route settings: a child service-appliance's kv over the set's own
    (Contrail refuses any update of a set while pools refer to it, but not of its children;
    the reconciler's ``[set:<name>]`` section, merged into ``sas.properties`` on reading,
    wins over both)."""

    def kv(key: str) -> str | None:
        value: object = None
        if key not in sas.overridden:
            for appliance in sorted(sas.appliances, key=lambda a: a.name):
                value = appliance.properties.get(key)
                if value not in (None, ""):
                    break
        if value in (None, ""):
            value = sas.properties.get(key)
        return str(value).strip() if value not in (None, "") else None

    vmi, next_hop = kv("external_vmi"), kv("external_self_ip")
    mode = (
        kv("vip_route_mode") or ("interface" if vmi else "network" if next_hop else "none")
    ).lower()
    community = kv("vip_route_community") or ""
    return RouteSettings(
        mode=mode,
        external_vmi=vmi,
        external_network=kv("external_network") or "external",
        next_hop=next_hop,
        communities=tuple(c.strip() for c in community.split(",") if c.strip()),
    )


def vip_prefixes(lb: LoadBalancer, snapshot: ContrailSnapshot) -> list[str]:
    """``VIP/32`` (or /128) and the VIP port's floating IPs, the load balancer's external
    addresses; nothing when the VIP is unknown or not an address."""
    return list(prefixes_of(lb, snapshot.ports))


def desired_route_table(
    snapshot: ContrailSnapshot,
    sas: ApplianceSet,
    prefix: str,
    live: Iterable[str],
    kept: Iterable[str] = (),
    only: frozenset[str] | None = None,
) -> tuple[DesiredRouteTable | None, list[str]]:
    """The set's table holding the VIPs of the ``live`` load balancers (and, of the ``kept``
    ones — in ERROR, their device objects held — whatever routes the table has now).
    Returns the table (None: mode none, or nothing to plan) and set-level problems.

    ``only``: the prefixes a one-load-balancer pass may change (its load balancers' routes,
    old and new); ``live`` and ``kept`` then need only name the load balancers routing
    those prefixes, and every other route stays as the table holds it — a change costs its
    own routes, not the set's. Such a pass never makes the table: a full pass does."""
    settings = route_settings(sas)
    name = Naming(prefix).vip_route_table(sas.name)
    where = f"service-appliance-set {sas.name}"
    if settings.mode not in MODES:
        return None, [f"{where}: vip_route_mode={settings.mode!r} is not one of {', '.join(MODES)}"]
    if settings.mode == "none":
        return None, []
    problem = community_problem(",".join(settings.communities))
    if problem:
        return None, [f"{where}: vip_route_community: {problem}"]
    if settings.mode == "interface":
        port = snapshot.ports.get(settings.external_vmi or "")
        if not settings.external_vmi or port is None or len(port.fq_name) < 2:
            return None, [
                f"{where}: vip_route_mode=interface needs external_vmi = the uuid of the vLTM's "
                f"external virtual-machine-interface ({settings.external_vmi or 'not set'} "
                "was not found)"
            ]
        fq_name = (*port.fq_name[:-1], name)
        attach, attach_name = port.uuid, ":".join(port.fq_name)
        next_hop, hop_type = None, None
    else:
        wanted = settings.external_network
        networks = [
            n
            for n in snapshot.networks.values()
            if n.name == wanted or ":".join(n.fq_name) == wanted
        ]
        if len(networks) != 1:
            found = "no" if not networks else f"{len(networks)}"
            return None, [
                f"{where}: external_network={wanted!r} matches {found} virtual networks "
                "(give its fq_name, e.g. default-domain:admin:external)"
            ]
        if not settings.next_hop:
            return None, [f"{where}: vip_route_mode=network needs external_self_ip"]
        network = networks[0]
        fq_name = (*network.fq_name[:-1], name)
        attach, attach_name = network.uuid, ":".join(network.fq_name)
        next_hop, hop_type = settings.next_hop, "ip-address"
    routes: dict[str, Route] = {}
    owners: dict[str, set[str]] = {}
    current = _find(snapshot, settings.mode, fq_name)
    held = {r.prefix for r in current.routes} if current is not None else set()
    if only is not None:
        if current is None:
            return None, []
        live, kept = set(live), set(kept)
        vips = snapshot.vips()
        have = current.by_prefix()
        planned: dict[str, Route | None] = {}
        for p in sorted(only):
            holders = set(vips.lbs_routing(p))
            if holders & live:
                planned[p] = Route(p, next_hop, hop_type, settings.communities)
                owners[p] = holders & live
            elif holders & kept and p in have:
                planned[p] = have[p]
            else:
                planned[p] = None
        if all(have.get(p) == route for p, route in planned.items()):
            return _UNCHANGED, []  # the usual change: its routes are what the table holds
        routes = {r.prefix: r for r in current.routes if r.prefix not in only}
        routes.update((p, r) for p, r in planned.items() if r is not None)
        held = set(have)
    for lb_uuid in live if only is None else ():
        for p in snapshot.vips().prefixes(lb_uuid):
            routes[p] = Route(p, next_hop, hop_type, settings.communities)
            owners.setdefault(p, set()).add(lb_uuid)
    if current is not None and only is None:
        kept_prefixes = {p for lb_uuid in kept for p in snapshot.vips().prefixes(lb_uuid)}
        for route in current.routes:
            if route.prefix in kept_prefixes:
                routes.setdefault(route.prefix, route)
    table = DesiredRouteTable(
        settings.mode,
        fq_name,
        tuple(sorted(routes.values(), key=_route_key)),
        attach,
        attach_name,
        depends=FrozenDict((p, frozenset(o)) for p, o in owners.items() if p not in held),
        current=tuple(sorted(current.routes, key=_route_key)) if current is not None else (),
    )
    return table, []


def _route_key(route: Route) -> tuple[int, int, str]:
    return _prefix_key(route.prefix)


@functools.lru_cache(maxsize=1 << 16)
def _prefix_key(prefix: str) -> tuple[int, int, str]:
    """Address order (remembered: a table of 10,000 routes is sorted on each change of it)."""
    net = ipaddress.ip_network(prefix, strict=False)
    return (net.version, int(net.network_address), prefix)


def _find(snapshot: ContrailSnapshot, kind: str, fq_name: tuple[str, ...]) -> RouteTable | None:
    return next(
        (t for t in snapshot.route_tables.values() if t.kind == kind and t.fq_name == fq_name),
        None,
    )


def is_ours(table: RouteTable) -> bool:
    return table.annotations.get(MANAGED_BY[0]) == MANAGED_BY[1]


def describe_route(route: Route) -> str:
    text = route.prefix
    if route.next_hop:
        text += f" via {route.next_hop}"
    if route.communities:
        text += f" [{', '.join(route.communities)}]"
    return text


def diff_route_tables(
    desired: DesiredRouteTable | None,
    snapshot: ContrailSnapshot,
    prefix: str,
    sas_name: str,
    allow_removals: bool = True,
) -> tuple[list[ContrailChange], list[str]]:
    """Changes that make Contrail hold ``desired``, and empty our other tables of this set
    (a mode or external VMI that changed). ``allow_removals=False`` (a suspicious read)
    adds routes but never takes one away."""
    changes: list[ContrailChange] = []
    problems: list[str] = []
    name = Naming(prefix).vip_route_table(sas_name)
    source = f"service-appliance-set {sas_name}"
    if desired is not None:
        current = _find(snapshot, desired.kind, desired.fq_name)
        kind_type = TYPES[desired.kind]
        fields = {
            "routes": tuple(describe_route(r) for r in desired.routes),
            "attached to": desired.attach_name,
        }
        if current is None:
            changes.append(
                ContrailChange(
                    "create",
                    kind_type,
                    desired.fq_name,
                    None,
                    fields,
                    source=source,
                    payload=desired,
                    lbs=desired.lbs,
                )
            )
        elif not is_ours(current):
            problems.append(
                f"{kind_type} {':'.join(current.fq_name)} exists but was not created by the "
                f"reconciler (no annotation {MANAGED_BY[0]}={MANAGED_BY[1]}): left alone, "
                "VIP routes not written"
            )
        else:
            want = desired.routes
            if not allow_removals:
                have = {r.prefix for r in want}
                want = tuple(
                    sorted(
                        [*want, *(r for r in current.routes if r.prefix not in have)],
                        key=_route_key,
                    )
                )
                desired = replace(desired, routes=want)
            diffs = []
            old = tuple(sorted(current.routes, key=_route_key))
            if old != want:
                diffs.append(
                    FieldChange(
                        "routes",
                        tuple(describe_route(r) for r in old),
                        tuple(describe_route(r) for r in want),
                    )
                )
            if desired.attach not in current.attached:
                diffs.append(FieldChange("attached to", None, desired.attach_name))
            if diffs:
                changes.append(
                    ContrailChange(
                        "update",
                        kind_type,
                        current.fq_name,
                        current.uuid,
                        fields,
                        tuple(diffs),
                        source=source,
                        payload=desired,
                        lbs=desired.lbs,
                    )
                )
    if allow_removals:
        for table in sorted(snapshot.route_tables.values(), key=lambda t: t.fq_name):
            if table.name != name or not is_ours(table) or not table.routes:
                continue
            if desired is not None and (table.kind, table.fq_name) == (
                desired.kind,
                desired.fq_name,
            ):
                continue
            empty = DesiredRouteTable(table.kind, table.fq_name, (), "", "")
            changes.append(
                ContrailChange(
                    "update",
                    TYPES[table.kind],
                    table.fq_name,
                    table.uuid,
                    {"routes": ()},
                    (FieldChange("routes", tuple(describe_route(r) for r in table.routes), ()),),
                    reason="no longer this set's VIP route table",
                    source=source,
                    payload=empty,
                )
            )
    return changes, problems


def route_changes(
    snapshot: ContrailSnapshot,
    sas: ApplianceSet,
    prefix: str,
    live: Iterable[str],
    kept: Iterable[str] = (),
    allow_removals: bool = True,
    only: frozenset[str] | None = None,
) -> tuple[list[ContrailChange], list[str]]:
    """Desired table and its diff in one call: what a pass plans and writes for one set
    (``only``: the prefixes a one-load-balancer pass may change, ``desired_route_table``)."""
    desired, problems = desired_route_table(snapshot, sas, prefix, live, kept, only)
    if problems:  # never withdraw live routes because a setting cannot be read
        where = (
            f"[set:{sas.name}] in the reconciler's config, or a child service-appliance's kv "
            "(Contrail refuses updates of a set while pools refer to it)"
        )
        return [], [
            f"{p}; the VIP routes are kept as they are (fix it in {where})" for p in problems
        ]
    if only is not None and (desired is None or desired is _UNCHANGED):
        # nothing of its routes to change; or no table yet, which a full pass makes
        return [], []
    changes, more = diff_route_tables(desired, snapshot, prefix, sas.name, allow_removals)
    return changes, more


def set_route_changes(
    snapshot: ContrailSnapshot,
    sas_uuid: str,
    prefix: str,
    outcome: dict[str, str | None],
    allow_removals: bool,
    only: frozenset[str] | None = None,
) -> tuple[list[ContrailChange], list[str]]:
    """``outcome``: lb uuid → None (live on the device) or why it is in ERROR (routes kept);
    ``only``: the prefixes a one-load-balancer pass may change (``desired_route_table``)."""
    sas = snapshot.appliance_sets.get(sas_uuid)
    if sas is None:
        return [], []
    live = sorted(lb for lb, reason in outcome.items() if reason is None)
    kept = sorted(lb for lb, reason in outcome.items() if reason is not None)
    return route_changes(snapshot, sas, prefix, live, kept, allow_removals, only)


def route_neighbourhood(
    snapshot: ContrailSnapshot,
    lbs: Iterable[str],
    routed: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[frozenset[str], frozenset[str]]:
    """What a one-load-balancer pass plans of its set's VIP route table: the prefixes its
    load balancers route now and routed when last planned (``routed``: a VIP that moved, a
    load balancer gone), and every load balancer routing one of them — whose outcomes decide
    whether the route stays. Looked up in the snapshot's VIP index, never by walking the set."""
    vips = snapshot.vips()
    lbs = set(lbs)
    only = frozenset(p for lb in lbs for p in (*vips.prefixes(lb), *(routed or {}).get(lb, ())))
    near = frozenset(lbs.union(*(vips.lbs_routing(p) for p in only)))
    return only, near


def without_routes_of(change: ContrailChange, lbs: set[str]) -> ContrailChange | None:
    """The planned route-table change without the *new* routes that depend on ``lbs``
    (load balancers the device refused, or on an unreachable device): a VIP is routed only
    once it answers. Plan data only — what each new route depends on was planned with it;
    routes the table already holds stay. None when nothing is left to change; other changes
    come back unchanged."""
    table = change.payload
    if not lbs or not isinstance(table, DesiredRouteTable) or change.action == "delete":
        return change
    not_yet = {p for p, owners in table.depends.items() if owners & lbs}
    if not not_yet:
        return change
    routes = tuple(r for r in table.routes if r.prefix not in not_yet)
    if change.action == "update" and set(routes) == set(table.current):
        return None
    payload = replace(
        table,
        routes=routes,
        depends=FrozenDict((p, o) for p, o in table.depends.items() if p not in not_yet),
    )
    fields = {**change.fields, "routes": tuple(describe_route(r) for r in routes)}
    return replace(change, payload=payload, fields=fields, lbs=payload.lbs)
