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
   backoff: a device or Contrail failed), or ``terminal`` (nothing will change until the
   input does: the deletion guard refused, or Contrail objects are broken).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler import certificates
from reconciler.bigip.applier import ApplyResult, apply_plan
from reconciler.bigip.client import DeviceClient, DeviceError
from reconciler.bigip.ha import active_device, push_to_group
from reconciler.bigip.reader import read_live
from reconciler.bigip.stats import read_pool_health
from reconciler.config import Config
from reconciler.contrail.writer import write_changes, write_instance_ip
from reconciler.logs import get_logger
from reconciler.model.bigip import BigIPObject, ObjectSet
from reconciler.model.contrail import ContrailSnapshot
from reconciler.model.resources import CHILD_TYPES, resource_type
from reconciler.model.values import FrozenDict
from reconciler.naming import Naming
from reconciler.plan.allocations import address_changes
from reconciler.plan.conflicts import SetScope, find_conflicts, vip, vips_of
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
    for lb in snapshot.load_balancers.values():
        if ips is not None and vip(lb, snapshot) not in ips:
            continue
        names = sets_of(lb, snapshot, options.claims) & scopes.keys()
        if names:
            name = settings.sas_name if settings.sas_name in names else min(names)
            set_of[lb.uuid] = scopes[name]
    return set_of


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
    plan_routes: bool = True  # False: the caller routes the set (the daemon's device workers)


@dataclass
class SetPlan:
    """The plan of one set, and what its apply step needs beside it: the connections."""

    plan: Plan
    desired: Desired
    targets: list[tuple[Target, DevicePlan]]
    snapshot: ContrailSnapshot  # with this pass's address allocations in it
    prefix: str


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


class SetReconciler:
    """Reconciles one set; long-lived in the daemon (its targets keep their caches)."""

    def __init__(
        self,
        vnc: Any,
        targets: Sequence[Target],
        config_sync: bool = False,
        progress: Progress | None = None,
        on_settled: Callable[[frozenset[str]], None] | None = None,
    ) -> None:
        self.vnc = vnc
        self.progress = progress
        # Told, during an apply, of the load balancers whose every planned object is now on
        # the device (one device, no config-sync): ``--once`` writes their pools' and
        # members' statuses while the other partitions are still applied.
        self.on_settled = on_settled
        self.targets = list(targets)
        self.config_sync = config_sync
        self._guard_reported = ""

    # -- plan --------------------------------------------------------------------------

    def plan(self, request: Request) -> SetPlan:
        settings, snapshot, options = request.settings, request.snapshot, request.options
        notes: list[str] = []
        contrail: list[ContrailChange] = []
        targets = self._writable(settings, notes, request_lbs_only=request.lbs is not None)
        lives: dict[str, ObjectSet | DeviceError] = {}
        for target in targets:
            lives[target.settings.name] = self._live(target, request)
        extra: tuple[list[BigIPObject], dict[str, list[BigIPObject]]] = ([], {})
        full = request.lbs is None
        if networking.is_l3(settings) and full:
            snapshot, options, extra = self._l3(request, targets, lives, notes, contrail)
        readable = [live for live in lives.values() if isinstance(live, ObjectSet)]
        ips = None if request.lbs is None else vips_of(snapshot, request.lbs)
        rejected = find_conflicts(
            snapshot,
            sharing_device(snapshot, settings, options, ips),
            settings.sas_name,
            readable,
            Naming(options.prefix),
            ips,
        )
        if rejected:
            options = replace(options, rejected=FrozenDict(rejected))
        desired = translate(snapshot, settings, options, only=request.lbs)
        device_plans: list[tuple[Target, DevicePlan]] = []
        plans: list[DevicePlan] = []
        for target in targets:
            device = target.settings
            address = f"{device.address}:{device.port}"
            live = lives.get(device.name)
            if live is None:
                continue  # the passive member of a config-sync pair
            if isinstance(live, DeviceError):
                plans.append(DevicePlan(device.name, address, error=str(live)))
                continue
            objects = [*extra[0], *extra[1].get(device.name, [])]
            scope = (
                None if request.lbs is None else target.memory.scope(snapshot, request.lbs, options)
            )
            device_plan = diff(
                networking.for_device(desired, objects) if objects else desired,
                live,
                device.name,
                address,
                options.prefix,
                request.guard,
                scope=scope,
            )
            plans.append(device_plan)
            device_plans.append((target, device_plan))
        if full and request.plan_routes:
            outcome = desired.outcomes()
            changes, problems = set_route_changes(
                snapshot,
                settings.sas_uuid,
                options.prefix,
                outcome,
                request.guard.believes_the_read,
            )
            contrail.extend(changes)
            notes.extend(problems)
        plan = Plan(
            devices=tuple(plans),
            errors=desired.errors,
            notes=tuple(notes),
            contrail=tuple(contrail),
        )
        return SetPlan(plan, desired, device_plans, snapshot, options.prefix)

    def _writable(
        self, settings: SetSettings, notes: list[str], request_lbs_only: bool = False
    ) -> list[Target]:
        """Every device (replication), or only the active one of a config-sync HA pair."""
        if not self.config_sync or len(self.targets) < 2:
            return self.targets
        if request_lbs_only and self.targets[0].cache.objects is not None:
            return self.targets[:1]  # one load balancer's change: the active one we know
        active = active_device([t.client for t in self.targets])
        if active is None:
            notes.append(
                f"service-appliance-set {settings.sas_name}: no device of the HA pair is "
                "active (or none answered); nothing was planned for it"
            )
            return []
        target = next(t for t in self.targets if t.client is active)
        if self.targets[0] is not target:  # after a failover: the cache was the other's
            log.info("active device changed", active=active.settings.name)
            self.targets.remove(target)
            self.targets.insert(0, target)
            target.cache.forget()
        return [target]

    def _live(self, target: Target, request: Request) -> ObjectSet | DeviceError:
        if target.cache.objects is not None and not request.read_devices:
            return target.cache.objects
        # The old copy is not needed while the new one is read: keeping both was the daemon's
        # peak at a full resync (120,000 objects each at 5,000 load balancers).
        target.cache.forget()
        try:
            objects = read_live(target.client, request.options.prefix).objects
        except DeviceError as exc:
            log.warning("device not readable", device=target.settings.name, error=str(exc))
            return exc  # the cache stays forgotten: the next reconcile reads the device
        if not target.one_shot:
            target.cache.objects = objects
        return objects

    def _l3(
        self,
        request: Request,
        targets: list[Target],
        lives: dict[str, ObjectSet | DeviceError],
        notes: list[str],
        contrail: list[ContrailChange],
    ) -> tuple[ContrailSnapshot, Options, tuple[list[BigIPObject], dict[str, list[BigIPObject]]]]:
        """L3 mode's allocation phase: the set's addresses in Contrail (made now unless this
        is a dry run; their results are in the plan), route-domain ids chosen from every
        device, and the network objects."""
        snapshot, settings, options = request.snapshot, request.settings, request.options
        prefix = options.prefix
        release = request.guard.believes_the_read
        needs = networking.needs_of(snapshot, settings, options)
        notes.extend(f"service-appliance-set {settings.sas_name}: {p}" for p in needs.problems)
        wanted = networking.address_needs(needs, settings, prefix)
        allocations, releases = address_changes(snapshot, settings, prefix, wanted)
        owned = dict(snapshot.owned_ips)
        for change in allocations:
            if not request.dry_run:
                try:
                    ip = write_instance_ip(self.vnc, change)
                except Exception as exc:  # one failed allocation: that subnet waits
                    notes.append(f"instance-ip {change.path}: allocation failed: {exc}")
                    continue
                if ip is not None:
                    owned[ip.name] = ip
                    change = replace(
                        change, done=True, fields={**change.fields, "address": ip.address}
                    )
            contrail.append(change)
        unreadable = any(isinstance(v, DeviceError) for v in lives.values())
        # Released after the device apply — never with an unreadable device, nor when
        # Contrail answered with no load balancer at all (the deletion guard's "empty read").
        if not unreadable and release:
            contrail.extend(releases)
        snapshot = replace(snapshot, owned_ips=FrozenDict(owned))
        live_ids: list[dict[str, int]] = []
        used_ids: list[set[int]] = []
        for target in targets:
            live = lives.get(target.settings.name)
            if not isinstance(live, ObjectSet):
                continue
            live_ids.append(
                {
                    obj.partition: int(obj.fields["id"])
                    for obj in live.values()
                    if obj.kind == "net/route-domain"
                }
            )
            try:
                every = target.client.collection("net/route-domain")
                used_ids.append({int(rd.get("id", 0)) for rd in every})
            except DeviceError as exc:
                lives[target.settings.name] = exc
        route_domains, problems = networking.allocate_route_domains(
            needs.projects, prefix, live_ids, used_ids
        )
        notes.extend(problems)
        common, per_device, snat_pools, more = networking.network_objects(
            settings, prefix, needs, route_domains, snapshot.owned_ips, planned=request.dry_run
        )
        notes.extend(more)
        options = replace(
            options, route_domains=FrozenDict(route_domains), snat_pools=FrozenDict(snat_pools)
        )
        return snapshot, options, (common, per_device)

    # -- apply -------------------------------------------------------------------------

    def apply(self, request: Request, set_plan: SetPlan) -> Result:
        plan, desired = set_plan.plan, set_plan.desired
        settings = request.settings
        outcome = desired.outcomes()
        # A device that does not answer says nothing about the configuration: it is no
        # load balancer's ERROR (the caller decides when to show it, after a grace period).
        unavailable = {d.device: d.error for d in plan.devices if d.error}
        result = Result(plan, Verdict.DONE, reachable=not unavailable)
        progress = self.progress
        if progress is not None:
            progress.plan(
                sum(op.objects for _t, d in set_plan.targets for op in d.operations),
                sum(len(d.partitions()) for _t, d in set_plan.targets),
            )
        early = self.on_settled is not None and len(set_plan.targets) == 1 and not self.config_sync
        for target, device_plan in set_plan.targets:
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
            c
            for change in plan.contrail
            if (c := without_routes_of(change, failed, set_plan.snapshot)) is not None
        ]
        releases = [c for c in changes if c.type == "instance-ip" and c.action == "delete"]
        others = [c for c in changes if c not in releases]
        result.contrail_failures = write_changes(self.vnc, others)
        if all_ok and all(r is None for r in outcome.values()):
            result.contrail_failures += write_changes(self.vnc, releases)
        if request.lbs is None and all_ok and set_plan.targets:
            result.operating = self._operating(set_plan)
        result.verdict = self._verdict(result, whole_set=request.lbs is None)
        return result

    def _operating(self, set_plan: SetPlan) -> dict[str, str]:
        """Operating status per load balancer from the first written device's pool stats."""
        statuses: dict[str, str] = {}
        for target, _device_plan in set_plan.targets:
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
        set_plan = self.plan(request)
        if request.dry_run:
            return Result(set_plan.plan, Verdict.DONE)
        return self.apply(request, set_plan)
