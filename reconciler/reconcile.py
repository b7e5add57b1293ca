"""One reconcile: a set's load balancers (all of them, or some) onto some of its devices.

Everything that decides what a pass does lives here once, and three callers use it:
``reconcile --once`` (every device of every set, whole sets), the daemon's device workers
(one device, a whole set on a resync or one load balancer per change, from a live cache
kept current with their own writes) and the daemon's L3-mode set workers (every device of
the set: L3 mode's addresses and route-domain ids span the devices).

A reconcile runs in three steps:

1. **plan** — read what is not cached (each device's live state; in L3 mode the route-domain
   ids the devices use), make L3 mode's address allocations in Contrail (an explicit phase:
   a dry run shows them, a real pass makes them first so the plan holds their addresses),
   translate (pure) and diff (pure) per device, and plan the VIP routes and address releases;
2. **apply** — only the plan: each device plan in transactions (the load balancers of an
   object the device rejects are taken out, the rest applied), then config-sync, then the
   plan's Contrail changes, minus the routes of load balancers the device refused;
3. **verdict** — what the caller's work queue does next: ``done``, ``retry`` (with
   backoff: a device or Contrail failed), ``terminal`` (nothing will change until the
   input does: the deletion guard refused, or Contrail objects are broken) or ``requeue``
   (plan again at once: the config-sync pair failed over between plan and apply).
"""

from __future__ import annotations

import enum
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler import certificates, user_agent
from reconciler.bigip.applier import ApplyResult, apply_plan
from reconciler.bigip.client import DeviceClient, DeviceError
from reconciler.bigip.ha import active_device, is_active, push_to_group
from reconciler.bigip.reader import read_live
from reconciler.bigip.stats import read_pool_health
from reconciler.config import Config
from reconciler.contrail.writer import write_changes, write_instance_ip
from reconciler.logs import get_logger
from reconciler.model.bigip import BigIPObject, ObjectSet
from reconciler.model.contrail import ContrailSnapshot, LoadBalancer, OwnedInstanceIp
from reconciler.model.resources import CHILD_TYPES, resource_type
from reconciler.model.values import FrozenDict
from reconciler.naming import Naming
from reconciler.plan.allocations import address_changes
from reconciler.plan.conflicts import SetScope, find_conflicts, standing_on, vips_of
from reconciler.plan.diff import DeleteGuard, Scope, diff
from reconciler.plan.model import ContrailChange, DevicePlan, Plan
from reconciler.plan.routes import set_route_changes, without_routes_of
from reconciler.plan.status import PoolHealth, operating_statuses
from reconciler.progress import Progress
from reconciler.settings import DeviceSettings, SetSettings, SettingsError, settings_for
from reconciler.translate import networking
from reconciler.translate.desired import Desired, Options, sets_of, subtree_tokens, translate

log = get_logger("reconcile")


def translate_options(config: Config, snapshot: ContrailSnapshot) -> Options:
    """Translate options: prefix, claim rules, and the certificates the snapshot's
    TERMINATED_HTTPS listeners name (read from the configured source once per pass)."""
    containers = {
        c
        for listener in snapshot.listeners.values()
        if (listener.protocol or "").upper() == "TERMINATED_HTTPS"
        for c in (listener.default_tls_container, *listener.sni_containers)
        if c
    }
    source = certificates.source_from(config.tls_certificate_dir)
    return Options(
        prefix=config.environment_prefix,
        claims=config.claims,
        certificates=FrozenDict(certificates.load_all(source, containers)),
    )


def delete_guard(config: Config, snapshot: ContrailSnapshot, allow: bool = False) -> DeleteGuard:
    return DeleteGuard(
        max_fraction=config.max_delete_fraction,
        min_objects=config.delete_guard_min_objects,
        allow=allow,
        contrail_empty=not snapshot.load_balancers,
        known_projects=snapshot.projects,
    )


def with_set_overrides(
    snapshot: ContrailSnapshot, overrides: Mapping[str, Mapping[str, str]]
) -> ContrailSnapshot:
    """The snapshot with our own ``[set:<name>]`` kv over each set's (Contrail's is frozen
    while pools refer to a set)."""
    if not overrides:
        return snapshot
    sets = {}
    for uuid, sas in snapshot.appliance_sets.items():
        extra = overrides.get(sas.name)
        if extra:
            sas = replace(
                sas,
                properties=FrozenDict({**sas.properties, **extra}),
                overridden=frozenset(extra),
            )
        sets[uuid] = sas
    return replace(snapshot, appliance_sets=FrozenDict(sets))


def sets_sharing_devices(snapshot: ContrailSnapshot, names: set[str], config: Config) -> set[str]:
    """The F5 sets with a device in common with one of ``names`` (``names`` among them;
    unusable ones skipped: their own owner says why): the sets a read for ``names`` takes,
    so that conflict detection sees every load balancer on their devices."""
    devices: dict[str, set[tuple[str | None, int]]] = {}
    for sas in snapshot.appliance_sets.values():
        try:
            settings = settings_for(sas, config.credentials_for(sas.name))
        except SettingsError:
            continue
        devices[sas.name] = {(d.address, d.port) for d in settings.devices}
    ours = set().union(*(devices.get(n, set()) for n in names))
    return {name for name, found in devices.items() if found & ours}


def sharing_device(
    snapshot: ContrailSnapshot,
    settings: SetSettings,
    options: Options,
    ips: frozenset[str] | None = None,
) -> dict[str, SetScope]:
    """Every load balancer of every F5 set that shares a device with this one (this set
    included) → how its set places addresses; what conflict detection compares. ``ips``:
    only those with these VIPs (a one-load-balancer reconcile, on the daemon's hot path)."""
    mine = {(d.address, d.port) for d in settings.devices}
    scopes: dict[str, SetScope] = {}
    for sas in snapshot.appliance_sets.values():
        try:
            other = settings if sas.uuid == settings.sas_uuid else settings_for(sas)
        except SettingsError:
            continue  # unusable settings: its own pass says so
        if mine & {(d.address, d.port) for d in other.devices}:
            scopes[other.sas_name] = SetScope(other.sas_name, networking.is_l3(other))
    set_of: dict[str, SetScope] = {}
    if ips is None:
        candidates: Iterable[LoadBalancer] = snapshot.load_balancers.values()
    else:  # looked up by address: a change never walks the cloud
        vips = snapshot.vips()
        candidates = [snapshot.load_balancers[u] for ip in sorted(ips) for u in vips.lbs_at(ip)]
    for lb in candidates:
        names = sets_of(lb, snapshot, options.claims) & scopes.keys()
        if names:
            name = settings.sas_name if settings.sas_name in names else min(names)
            set_of[lb.uuid] = scopes[name]
    return set_of


def with_conflicts(
    snapshot: ContrailSnapshot,
    settings: SetSettings,
    options: Options,
    readable: Sequence[ObjectSet],
    ips: frozenset[str] | None = None,
) -> Options:
    """The options with the load balancers that lose a VIP, listener or node conflict
    rejected (named with the field and the winner), over every set sharing the devices and
    what the devices hold; ``ips``: only claims on these VIPs."""
    rejected = find_conflicts(
        snapshot,
        sharing_device(snapshot, settings, options, ips),
        settings.sas_name,
        readable,
        Naming(options.prefix),
        ips,
    )
    return replace(options, rejected=FrozenDict(rejected)) if rejected else options


def device_clients(config: Config) -> Callable[[DeviceSettings], DeviceClient]:
    """How a command connects to a device: our User-Agent, the configured verification,
    timeout and connection pool (the daemon adds its metrics and fence)."""
    return lambda settings: DeviceClient(
        settings,
        verify=config.device_verify,
        timeout=config.device_timeout,
        user_agent=user_agent(),
        connections=config.device_connections,
    )


def _settler(
    device_plan: DevicePlan,
    outcome: Mapping[str, str | None],
    on_settled: Callable[[frozenset[str]], None] | None,
) -> Callable[[ApplyResult], None]:
    """A partition-done hook telling ``on_settled`` which load balancers now have every
    object the plan had for them on the device (and no error of their own). One whose
    objects span partitions (``Common``, then its project's) is settled by the last of
    them; one that failed anywhere never is (the pass's end reports it). Runs in the
    applying thread only (``apply_plan`` calls it there), so it needs no lock."""
    left: dict[str, int] = {}
    for op in device_plan.operations:
        for lb in op.lbs:
            left[lb] = left.get(lb, 0) + 1
    failed: set[str] = set()

    def settle(part: ApplyResult) -> None:
        failed.update(part.failed_lbs)
        done: set[str] = set()
        for op in part.applied:
            for lb in op.lbs:
                left[lb] -= 1
                if not left[lb]:
                    done.add(lb)
        ready = frozenset(
            lb for lb in done if lb not in failed and lb in outcome and outcome[lb] is None
        )
        if ready and on_settled is not None:
            on_settled(ready)

    return settle


class Verdict(enum.Enum):
    DONE = "done"
    RETRY = "retry"  # a device or Contrail failed: try again after a backoff
    TERMINAL = "terminal"  # only a change of the input can help: do not retry
    REQUEUE = "requeue"  # nothing failed, but plan again at once (the HA pair failed over)


@dataclass
class LiveCache:
    """A device's live objects as of our last read, kept current with our own writes (the
    daemon's: a single member change costs no device read)."""

    objects: ObjectSet | None = None

    def forget(self) -> None:
        self.objects = None

    def after_apply(self, plan: DevicePlan, applied: ApplyResult) -> None:
        """What we wrote is what the device now holds; after a failure we do not know what
        stuck, so the next reconcile reads the device again."""
        if applied.errors or applied.failed_lbs:
            self.objects = None
            return
        if self.objects is None or not applied.applied:
            return
        deleted = [op for op in applied.applied if op.action == "delete"]
        parents = {(op.obj.kind, op.obj.partition, op.obj.name) for op in deleted}
        drop = [op.key for op in deleted]
        if any(op.obj.kind in CHILD_TYPES for op in deleted):  # a pool takes its members
            drop += [
                k
                for k, o in self.objects.items()
                if (resource_type(o.kind).parent_kind, o.partition, o.parent) in parents
            ]
        put = [o for op in applied.applied if op.action != "delete" for o in (op.obj, *op.children)]
        put += _nodes_made_for(put, self.objects)
        self.objects = self.objects.replaced(put=put, drop=drop)


def _nodes_made_for(created: list[BigIPObject], live: ObjectSet) -> list[BigIPObject]:
    """The nodes the device made for members we created (no description: not ours to
    describe), so the cache holds them and they can go with their last member."""
    nodes = []
    for obj in created:
        node = resource_type(obj.kind).node_of(obj)
        key = ("ltm/node", obj.partition, "", node or "")
        if node and key not in live:
            nodes.append(
                BigIPObject.make(
                    "ltm/node", obj.partition, node, {"address": node, "description": None}
                )
            )
    return nodes


@dataclass
class ScopeMemory:
    """What names each load balancer's objects on a device (name tokens, partitions), so
    that a later one-load-balancer reconcile also looks at objects the load balancer no longer
    leads to — a listener taken away, a project changed — to delete them."""

    known: dict[str, Scope] = field(default_factory=dict)

    def scope(self, snapshot: ContrailSnapshot, lbs: frozenset[str], options: Options) -> Scope:
        naming = Naming(options.prefix)
        tokens: set[str] = set()
        partitions: set[str] = set()
        for lb_uuid in lbs:
            known = self.known.get(lb_uuid)
            if known is not None:
                tokens |= known.tokens
                partitions |= known.partitions
            tokens |= subtree_tokens(snapshot, lb_uuid)
            lb = snapshot.load_balancers.get(lb_uuid)
            if lb is not None:
                partitions.add(naming.partition(lb.project_uuid))
        return Scope(frozenset(tokens), frozenset(partitions))

    def remember(self, desired: Desired, lbs: frozenset[str] | None, prefix: str) -> None:
        """A load balancer in error keeps what it had: its objects are held, not gone."""
        naming = Naming(prefix)
        tokens: dict[str, set[str]] = defaultdict(set)
        partitions: dict[str, set[str]] = defaultdict(set)
        for key, owners in desired.owners.items():
            obj = desired.objects[key]
            for lb in owners:
                tokens[lb].update(naming.tokens(obj))
                partitions[lb].add(obj.partition)
        remembered = {lb: Scope(frozenset(tokens[lb]), frozenset(partitions[lb])) for lb in tokens}
        errored = {e.lb_uuid for e in desired.errors if e.lb_uuid}
        if lbs is None:
            previous, self.known = self.known, remembered
            for lb in errored & set(previous):
                self.known[lb] = previous[lb]
            return
        for lb in lbs - errored:
            self.known[lb] = remembered.get(lb, Scope(frozenset(), frozenset()))


@dataclass
class Target:
    """One device a reconcile may write, with the daemon's cache and scope memory (the
    one-shot pass makes fresh ones every time)."""

    client: DeviceClient
    cache: LiveCache = field(default_factory=LiveCache)
    memory: ScopeMemory = field(default_factory=ScopeMemory)
    # A one-shot pass keeps nothing for later: the live state read is not kept past the plan
    # (so it is not in memory beside the desired state while the plan is applied and the
    # statuses written), nor the scope memory.
    one_shot: bool = False
    # The device's pool stats from the last whole-set pass, by pool uuid (the status page's
    # load balancer page shows them).
    health: dict[str, PoolHealth] = field(default_factory=dict)

    @property
    def settings(self) -> DeviceSettings:
        return self.client.settings


#: A load balancer no device has reported on yet: it keeps whatever route it has.
NOT_REPORTED = "not reconciled yet"


@dataclass(frozen=True)
class RouteContext:
    """What the daemon knows of a set's load balancers beyond one pass, so that a pass that
    sees only some of them (one device's, one load balancer's) still plans the set's whole
    VIP route table: each one's outcome over the set's devices (``NOT_REPORTED`` when none
    has said yet), and the errors devices other than this pass's reported."""

    outcomes: Mapping[str, str | None] = field(default_factory=dict)
    elsewhere: Mapping[str, str] = field(default_factory=dict)
    # A one-load-balancer pass: the route prefixes it may change (its load balancers' own,
    # now and as last planned); ``outcomes`` then covers the load balancers routing them.
    only: frozenset[str] | None = None


@dataclass(frozen=True)
class Request:
    """What to reconcile: the whole set (``lbs`` None) or some of its load balancers."""

    snapshot: ContrailSnapshot
    settings: SetSettings
    options: Options
    guard: DeleteGuard
    lbs: frozenset[str] | None = None
    dry_run: bool = False
    save: bool = True  # False: the caller batches ``save sys config`` (the daemon)
    read_devices: bool = False  # re-read each device even when its cache holds its state
    # A look-ahead (the daemon, a set just taken over): read only these partitions of each
    # device and keep nothing of them, to plan ``lbs`` before the whole device is read.
    partitions: frozenset[str] | None = None
    # The daemon's knowledge of the set's other load balancers (None: this pass sees the
    # whole set on every device, so its own outcomes are all there is).
    routes: RouteContext | None = None


@dataclass(frozen=True)
class Observed:
    """What the devices said before planning — the only device reads of a pass: the devices
    this pass writes (every device, or the active one of a config-sync pair), each one's
    live objects or why it could not be read, and in L3 mode every route-domain id each
    device uses (ours and anybody's)."""

    devices: tuple[DeviceSettings, ...] = ()
    lives: Mapping[str, ObjectSet | DeviceError] = field(default_factory=dict)
    used_route_domains: tuple[frozenset[int], ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Allocations:
    """L3 mode's Contrail addresses, made before planning (a dry run only lists them): the
    set's instance-ips with this pass's new ones, and the plan entries that say so (made or
    to make, and the releases the apply makes after the device has let go of them)."""

    owned: Mapping[str, OwnedInstanceIp] = field(default_factory=dict)
    changes: tuple[ContrailChange, ...] = ()
    notes: tuple[str, ...] = ()
    needs: networking.Needs | None = None


@dataclass(frozen=True)
class SetPlan:
    """The plan of one set and what its apply needs beside it — values only, no connection:
    the applier finds each device plan's device by name."""

    plan: Plan
    desired: Desired
    snapshot: ContrailSnapshot  # with this pass's address allocations in it
    prefix: str
    outcomes: Mapping[str, str | None] = field(default_factory=dict)  # before the device's say

    @property
    def device_plans(self) -> tuple[DevicePlan, ...]:
        """The device plans to apply: those of devices that could be read."""
        return tuple(d for d in self.plan.devices if not d.error)


def plan_set(
    request: Request,
    observed: Observed,
    allocations: Allocations,
    memories: Mapping[str, ScopeMemory] | None = None,
) -> SetPlan:
    """The plan of one set (pure): translate and diff against what ``observe`` read, with the
    addresses ``allocate`` made. ``memories``: per device, what names each load balancer's
    objects (a one-load-balancer reconcile also looks at what it no longer leads to)."""
    settings, options = request.settings, request.options
    snapshot = request.snapshot
    if allocations.owned is not snapshot.owned_ips:
        snapshot = replace(snapshot, owned_ips=FrozenDict(allocations.owned))
    notes: list[str] = [*observed.notes, *allocations.notes]
    contrail: list[ContrailChange] = list(allocations.changes)
    lives = dict(observed.lives)
    extra: tuple[list[BigIPObject], dict[str, list[BigIPObject]]] = ([], {})
    full = request.lbs is None
    if allocations.needs is not None:
        options, extra = _l3_objects(request, snapshot, options, observed, allocations.needs, notes)
    readable = [live for live in lives.values() if isinstance(live, ObjectSet)]
    ips = None if request.lbs is None else vips_of(snapshot, request.lbs)
    options = with_conflicts(snapshot, settings, options, readable, ips)
    desired = translate(snapshot, settings, options, only=request.lbs)
    plans: list[DevicePlan] = []
    for device in observed.devices:
        address = f"{device.address}:{device.port}"
        live = lives.get(device.name)
        if live is None:
            continue
        if isinstance(live, DeviceError):
            plans.append(DevicePlan(device.name, address, error=str(live)))
            continue
        objects = [*extra[0], *extra[1].get(device.name, [])]
        memory = (memories or {}).get(device.name)
        scope = (
            None
            if request.lbs is None
            else (memory or ScopeMemory()).scope(snapshot, request.lbs, options)
        )
        plans.append(
            diff(
                networking.for_device(desired, objects) if objects else desired,
                live,
                device.name,
                address,
                options.prefix,
                request.guard,
                scope=scope,
            )
        )
    outcomes = desired.outcomes()
    if full or request.routes is not None:
        known = request.routes or RouteContext()
        route_outcomes = dict(known.outcomes)
        for lb, reason in outcomes.items():  # this pass's, and what other devices said
            route_outcomes[lb] = reason or known.elsewhere.get(lb)
        changes, problems = set_route_changes(
            snapshot,
            settings.sas_uuid,
            options.prefix,
            route_outcomes,
            request.guard.believes_the_read,
            None if full else known.only,
        )
        contrail.extend(changes)
        notes.extend(problems)
    plan = Plan(
        devices=tuple(plans),
        errors=desired.errors,
        notes=tuple(notes),
        contrail=tuple(contrail),
    )
    return SetPlan(plan, desired, snapshot, options.prefix, FrozenDict(outcomes))


def _l3_objects(
    request: Request,
    snapshot: ContrailSnapshot,
    options: Options,
    observed: Observed,
    needs: networking.Needs,
    notes: list[str],
) -> tuple[Options, tuple[list[BigIPObject], dict[str, list[BigIPObject]]]]:
    """L3 mode's network objects and options (pure): route-domain ids chosen from what every
    device holds and uses, VLANs, self IPs and SNAT from the allocated addresses."""
    settings, prefix = request.settings, options.prefix
    live_ids = [
        {
            obj.partition: int(obj.fields["id"])
            for obj in live.values()
            if resource_type(obj.kind).numbers_addresses
        }
        for live in observed.lives.values()
        if isinstance(live, ObjectSet)
    ]
    route_domains, problems = networking.allocate_route_domains(
        needs.projects, prefix, live_ids, observed.used_route_domains
    )
    notes.extend(problems)
    common, per_device, snat_pools, more = networking.network_objects(
        settings, prefix, needs, route_domains, snapshot.owned_ips, planned=request.dry_run
    )
    notes.extend(more)
    options = replace(
        options, route_domains=FrozenDict(route_domains), snat_pools=FrozenDict(snat_pools)
    )
    return options, (common, per_device)


@dataclass
class Result:
    plan: Plan
    verdict: Verdict
    lb_results: dict[str, str | None] = field(default_factory=dict)  # None: in place
    applied: list[ApplyResult] = field(default_factory=list)
    operating: dict[str, str] = field(default_factory=dict)
    contrail_failures: list[str] = field(default_factory=list)
    reachable: bool = True  # every device answered
    unavailable: dict[str, str] = field(default_factory=dict)  # device → what went wrong
    affected: tuple[str, ...] = ()  # load balancers an unavailable device serves

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.DONE and not self.plan.has_errors


ClientFor = Callable[[DeviceSettings], DeviceClient]
OwnedLearned = Callable[[Mapping[str, OwnedInstanceIp | None]], None]
#: How long an active device found for a config-sync pair is believed without asking again
#: before planning (each apply that writes asks again, so a standby is never written).
ACTIVE_BELIEVED_SECONDS = 5.0


class SetReconciler:
    """Reconciles one set; long-lived in the daemon (its targets keep their caches).

    ``run`` = ``observe`` (device reads) → ``allocate`` (Contrail writes of L3 addresses) →
    ``plan_set`` (pure) → ``apply`` (the plan only)."""

    def __init__(
        self,
        vnc: Any,
        targets: Sequence[Target],
        config_sync: bool = False,
        progress: Progress | None = None,
        on_settled: Callable[[frozenset[str]], None] | None = None,
        on_owned: OwnedLearned | None = None,
        may_write: Callable[[], bool] | None = None,
    ) -> None:
        self.vnc = vnc
        # Asked before each Contrail write (allocations, routes, releases): a replica that
        # no longer owns the set writes nothing of it.
        self.may_write = may_write or (lambda: True)
        self.progress = progress
        # Told, during an apply, of the load balancers whose every planned object is now on
        # the device (one device, no config-sync): ``--once`` writes their pools' and
        # members' statuses while the other partitions are still applied.
        self.on_settled = on_settled
        # Told of every instance-ip this reconciler allocated (name → it) or released
        # (name → None), as soon as it is written: the daemon's snapshot learns its own
        # allocations from the write, not from the next full Contrail read.
        self.on_owned = on_owned
        self.targets = list(targets)
        self.config_sync = config_sync
        self._guard_reported = ""
        self._active_checked = 0.0  # monotonic time the active device was last confirmed

    # -- observe: the devices -----------------------------------------------------------

    def observe(self, request: Request) -> Observed:
        notes: list[str] = []
        targets = self._writable(request.settings.sas_name, notes, request.lbs is not None)
        lives = {t.settings.name: self._live(t, request) for t in targets}
        used: list[frozenset[int]] = []
        if networking.is_l3(request.settings) and request.lbs is None:
            for target in targets:
                if not isinstance(lives[target.settings.name], ObjectSet):
                    continue
                try:
                    every = target.client.collection("net/route-domain")
                    used.append(frozenset(int(rd.get("id", 0)) for rd in every))
                except DeviceError as exc:
                    lives[target.settings.name] = exc
        return Observed(tuple(t.settings for t in targets), lives, tuple(used), tuple(notes))

    def _writable(
        self, sas_name: str, notes: list[str], request_lbs_only: bool = False
    ) -> list[Target]:
        """Every device (replication), or only the active one of a config-sync HA pair —
        asked again unless it was confirmed within ``ACTIVE_BELIEVED_SECONDS`` (the apply
        confirms it again before it writes)."""
        if not self.config_sync or len(self.targets) < 2:
            return self.targets
        fresh = time.monotonic() - self._active_checked < ACTIVE_BELIEVED_SECONDS
        if request_lbs_only and fresh and self.targets[0].cache.objects is not None:
            return self.targets[:1]
        active = active_device([t.client for t in self.targets])
        if active is None:
            self._active_checked = 0.0
            notes.append(
                f"service-appliance-set {sas_name}: no device of the HA pair is "
                "active (or none answered); nothing was planned for it"
            )
            return []
        self._active_checked = time.monotonic()
        target = next(t for t in self.targets if t.client is active)
        if self.targets[0] is not target:  # after a failover: the cache was the other's
            log.info("active device changed", active=active.settings.name)
            self.targets.remove(target)
            self.targets.insert(0, target)
            target.cache.forget()
        return [target]

    def written_targets(self) -> list[Target]:
        """The devices a deferred ``save sys config`` (and config-sync) goes to: every
        device, or the active one of a config-sync pair, confirmed now — after a failover
        the new active one (whose cache is forgotten: it is read before it is planned for),
        or none when no device says it is active."""
        if not self.config_sync or len(self.targets) < 2:
            return self.targets
        if self._still_active(self.targets[0]):
            return self.targets[:1]
        return self._writable("", [], False)

    def _still_active(self, target: Target) -> bool:
        """Asked right before a config-sync pair's active device is written: a failover
        since the plan means the plan was made for the standby."""
        try:
            if is_active(target.client):
                self._active_checked = time.monotonic()
                return True
        except DeviceError as exc:
            log.warning("cannot ask device for its failover state", error=str(exc))
        self._active_checked = 0.0
        target.cache.forget()
        return False

    def _live(self, target: Target, request: Request) -> ObjectSet | DeviceError:
        if target.cache.objects is not None and not request.read_devices:
            return target.cache.objects
        whole = request.partitions is None  # else a look-ahead: a part of it, not kept
        if whole:
            # The old copy is not needed while the new one is read: keeping both was the
            # daemon's peak at a full resync (120,000 objects each at 5,000 load balancers).
            target.cache.forget()
        try:
            objects = read_live(target.client, request.options.prefix, request.partitions).objects
        except DeviceError as exc:
            log.warning("device not readable", device=target.settings.name, error=str(exc))
            return exc  # the cache stays forgotten: the next reconcile reads the device
        if whole and not target.one_shot:
            # What a one-load-balancer reconcile looks up, made now: made by the first
            # change after a full read, it cost that change ~0.4 s at 10,000 load balancers.
            objects.prepare(standing_on)
            target.cache.objects = objects
        return objects

    # -- allocate: Contrail addresses ----------------------------------------------------

    def allocate(self, request: Request, observed: Observed) -> Allocations:
        """L3 mode's allocation step, before planning: the instance-ips the set needs and does
        not have are made now (a dry run lists them), so the plan holds their addresses; the
        ones no load balancer needs are planned for release after the device apply — never
        with an unreadable device, nor after a Contrail read that held no load balancer."""
        snapshot, settings, options = request.snapshot, request.settings, request.options
        if not networking.is_l3(settings) or request.lbs is not None:
            return Allocations(snapshot.owned_ips)
        prefix = options.prefix
        needs = networking.needs_of(snapshot, settings, options)
        notes = [f"service-appliance-set {settings.sas_name}: {p}" for p in needs.problems]
        wanted = networking.address_needs(needs, settings, prefix)
        allocations, releases = address_changes(snapshot, settings, prefix, wanted)
        owned = dict(snapshot.owned_ips)
        made: dict[str, OwnedInstanceIp | None] = {}
        changes: list[ContrailChange] = []
        writing = not request.dry_run and self.may_write()
        for change in allocations:
            if writing:
                try:
                    ip = write_instance_ip(self.vnc, change)
                except Exception as exc:  # one failed allocation: that subnet waits
                    notes.append(f"instance-ip {change.path}: allocation failed: {exc}")
                    continue
                if ip is not None:
                    owned[ip.name] = made[ip.name] = ip
                    change = replace(
                        change, done=True, fields={**change.fields, "address": ip.address}
                    )
            changes.append(change)
        if made and self.on_owned is not None:
            self.on_owned(made)
        readable = not any(isinstance(v, DeviceError) for v in observed.lives.values())
        if readable and request.guard.believes_the_read:
            changes.extend(releases)
        return Allocations(owned, tuple(changes), tuple(notes), needs)

    # -- plan: pure ------------------------------------------------------------------------

    def plan(self, request: Request, observed: Observed, allocations: Allocations) -> SetPlan:
        memories = {t.settings.name: t.memory for t in self.targets}
        return plan_set(request, observed, allocations, memories)

    # -- apply -------------------------------------------------------------------------

    def apply(self, request: Request, set_plan: SetPlan) -> Result:
        """Apply the plan, and nothing else: each device plan in transactions (the load
        balancers of an object the device rejects are taken out, the rest applied), then
        config-sync, then the plan's Contrail changes, minus the new routes of load
        balancers the device refused."""
        plan, desired = set_plan.plan, set_plan.desired
        settings = request.settings
        outcome = dict(set_plan.outcomes)
        # A device that does not answer says nothing about the configuration: it is no
        # load balancer's ERROR (the caller decides when to show it, after a grace period).
        unavailable = {d.device: d.error for d in plan.devices if d.error}
        result = Result(plan, Verdict.DONE, reachable=not unavailable)
        by_name = {t.settings.name: t for t in self.targets}
        to_apply = [(by_name[d.device], d) for d in set_plan.device_plans if d.device in by_name]
        progress = self.progress
        if progress is not None:
            progress.plan(
                sum(op.objects for _t, d in to_apply for op in d.operations),
                sum(len(d.partitions()) for _t, d in to_apply),
            )
        early = self.on_settled is not None and len(to_apply) == 1 and not self.config_sync
        failed_over = False
        for target, device_plan in to_apply:
            if self.config_sync and device_plan.operations and not self._still_active(target):
                # Planned for a device that is standby now: nothing is written; the caller
                # tries again at once, against the new active device.
                log.warning(
                    "active device changed since the plan; not written", device=target.settings.name
                )
                failed_over = True
                continue
            settle = _settler(device_plan, outcome, self.on_settled) if early else None

            def on_partition(part: ApplyResult, settle: Any = settle) -> None:
                if progress is not None:
                    progress.partition_done(part.objects)
                if settle is not None:
                    settle(part)

            applied = apply_plan(
                target.client, device_plan, save=request.save, on_partition=on_partition
            )
            result.applied.append(applied)
            target.cache.after_apply(device_plan, applied)
            if not target.one_shot:
                target.memory.remember(desired, request.lbs, request.options.prefix)
            result.reachable = result.reachable and not applied.transport_failed
            if applied.applied and self.config_sync and request.save:
                try:
                    push_to_group(target.client, settings.properties.get("device_group"))
                except DeviceError as exc:
                    applied.errors.append(f"config-sync: {exc}")
            if applied.transport_failed:
                unavailable[device_plan.device] = applied.errors[0] if applied.errors else "?"
                continue
            for lb_uuid, reason in applied.failed_lbs.items():
                if outcome.get(lb_uuid) is None:
                    outcome[lb_uuid] = f"device {device_plan.device}: {reason}"
        if failed_over:  # nothing is known of this pass: no status, no route, no release
            result.verdict = Verdict.REQUEUE
            return result
        if request.lbs is not None:
            for lb in request.lbs:  # one load balancer, gone from Contrail: no outcome
                if lb in request.snapshot.load_balancers and lb not in outcome:
                    outcome[lb] = None
        not_confirmed: set[str] = set()
        if unavailable:  # only what was in place before is known to be in place
            result.unavailable = unavailable
            result.affected = tuple(lb for lb, reason in outcome.items() if reason is None)
            not_confirmed = {
                lb
                for lb in result.affected
                if request.snapshot.load_balancers[lb].provisioning_status != "ACTIVE"
            }
            for lb in not_confirmed:
                del outcome[lb]  # its status stays as it is until a device has its objects
        result.lb_results = outcome
        all_ok = all(a.ok for a in result.applied) and not unavailable
        # The plan's routes, minus new ones for load balancers that are not in place.
        failed = {lb for lb, reason in outcome.items() if reason is not None} | not_confirmed
        changes = [
            c for change in plan.contrail if (c := without_routes_of(change, failed)) is not None
        ]
        releases = [c for c in changes if c.type == "instance-ip" and c.action == "delete"]
        others = [c for c in changes if c not in releases]
        if (others or releases) and not self.may_write():
            log.info("contrail changes not written: set no longer ours")
            others, releases = [], []
        result.contrail_failures = write_changes(self.vnc, others)
        if all_ok and releases:
            failures = write_changes(self.vnc, releases)
            result.contrail_failures += failures
            released = {c.path: None for c in releases if not any(c.path in f for f in failures)}
            if released and self.on_owned is not None:
                self.on_owned(released)
        if request.lbs is None and all_ok and to_apply:
            result.operating = self._operating(set_plan)
        result.verdict = self._verdict(result, whole_set=request.lbs is None)
        return result

    def _operating(self, set_plan: SetPlan) -> dict[str, str]:
        """Operating status per load balancer from the first written device's pool stats."""
        statuses: dict[str, str] = {}
        by_name = {t.settings.name: t for t in self.targets}
        for device_plan in set_plan.device_plans:
            target = by_name.get(device_plan.device)
            if target is None:
                continue
            try:
                health = read_pool_health(target.client, set_plan.prefix)
            except DeviceError as exc:
                log.warning("pool stats not readable", device=target.client.name, error=str(exc))
                continue
            target.health = health
            for lb, status in operating_statuses(set_plan.snapshot, health).items():
                statuses.setdefault(lb, status)
        return statuses

    def _verdict(self, result: Result, whole_set: bool) -> Verdict:
        """``whole_set``: a pass over the whole set. Only such a pass without a refusal
        says the set's refusal is over: a one-load-balancer reconcile in between (one that
        saw the snapshot before a deletion reached it, say) plans no deletes of the others,
        and must not make the same refusal be said again on the next resync."""
        guard = next((d.guard for d in result.plan.devices if d.guard), "")
        if guard:
            if guard != self._guard_reported:  # said once, not on every resync
                log.warning("deletion guard", reason=guard)
            self._guard_reported = guard
            return Verdict.TERMINAL
        if whole_set:
            self._guard_reported = ""
        if (
            not result.reachable
            or any(not a.ok for a in result.applied)
            or result.contrail_failures
            or any(d.error for d in result.plan.devices)
        ):
            return Verdict.RETRY
        return Verdict.DONE

    # -- both --------------------------------------------------------------------------

    def run(self, request: Request) -> Result:
        observed = self.observe(request)
        allocations = self.allocate(request, observed)
        set_plan = self.plan(request, observed, allocations)
        if request.dry_run:
            return Result(set_plan.plan, Verdict.DONE)
        return self.apply(request, set_plan)
