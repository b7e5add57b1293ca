"""The daemon's reconcile machinery: a Contrail stage and one worker per device.

Two stages, each behind a coalescing, backing-off work queue:

1. **Contrail stage** (one greenlet). Keys are load balancer uuids or ``*``. ``*`` re-reads
   the whole snapshot (startup, every resync interval, after a broker reconnect); a uuid
   re-reads what its notifications said changed under that load balancer — one GET per
   changed object (``contrail.changes``), its whole subtree only when it is new to us;
   that GET starts when the notification arrives, while the burst settles
   (``daemon/prefetch.py``). Either way the new snapshot replaces the old one and the affected keys go to the device
   workers. A replica (ZooKeeper) reads only the sets it owns and their device neighbours
   (``wanted_scope``): ownership changes re-read when the scope changes, and the objects
   it has not seen are checked together, followed up to their load balancers
   (``daemon/unheld.py``), before any is read.
2. **Device workers** (one greenlet per device, so a slow device delays nobody else and
   writes to one device are naturally serialised). ``*`` reads the device's partitions and
   diffs everything; a uuid diffs only that load balancer's objects against the worker's
   cached live state, which the worker keeps current with the writes it made — a single
   member change costs one Contrail GET, no device read and one device write. What a
   change compares with the rest of the cloud is looked up, never walked: the load
   balancers on its VIP (the snapshot's ``vips()``), the device objects on it
   (``ObjectSet.by``), the route prefixes it had and has (``route_neighbourhood``).
   ``save sys config`` is deferred beside the queue (``daemon/saver.py``): after 1 s
   without a write (or every 30 s under load), never in a change's way.

The reconcile itself is level-triggered: whatever the key, the worker computes from the
current snapshot and live state, so lost or duplicated events cannot leave drift behind.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import structlog

from reconciler.bigip.client import DeviceClient
from reconciler.bigip.ha import push_to_group
from reconciler.bigip.logins import LoginGate, LoginState
from reconciler.config import Config
from reconciler.contrail.changes import Change, change_for, only_statuses
from reconciler.contrail.connect import Connections
from reconciler.contrail.reader import ContrailReader, ContrailReadError
from reconciler.contrail.scope import ReadScope, in_scope_of, load_balancers_under
from reconciler.contrail.status import write_status
from reconciler.coordination import Ownership, SoleOwnership
from reconciler.daemon.board import StatusBoard
from reconciler.daemon.events import FULL_RESYNC, Index, changed_between, keys_for, member_pool
from reconciler.daemon.metrics import Metrics
from reconciler.daemon.parked import ParkedMembers, PoolName
from reconciler.daemon.prefetch import Prefetch
from reconciler.daemon.saver import DeferredSave
from reconciler.daemon.unheld import UnheldChecks
from reconciler.daemon.workqueue import (
    DONE,
    RETRY,
    TERMINAL,
    Outcome,
    WorkQueue,
    requeue_after,
)
from reconciler.logs import get_logger
from reconciler.model.contrail import ContrailSnapshot, OwnedInstanceIp
from reconciler.model.values import FrozenDict
from reconciler.plan.routes import TYPES as ROUTE_TABLE_TYPES
from reconciler.plan.routes import route_neighbourhood, route_settings
from reconciler.plan.saves import SaveScope, save_scope
from reconciler.plan.status import plan_status
from reconciler.progress import Progress
from reconciler.reconcile import (
    NOT_REPORTED,
    Request,
    Result,
    RouteContext,
    SetReconciler,
    Target,
    Verdict,
    delete_guard,
    sets_sharing_devices,
    translate_options,
    with_set_overrides,
)
from reconciler.settings import DeviceSettings, SetSettings, SettingsError, settings_for
from reconciler.translate import networking
from reconciler.translate.desired import Options, belongs_to

log = get_logger("controller")
#: What the work queue does after each verdict (a terminal one — the deletion guard — is
#: not retried: only a change can help), and the metrics' ``result`` label for it.
OUTCOMES = {
    Verdict.DONE: DONE,
    Verdict.RETRY: RETRY,
    Verdict.TERMINAL: TERMINAL,
    Verdict.REQUEUE: requeue_after(0.0),
}
RESULT_LABELS = {
    Verdict.DONE: "ok",
    Verdict.RETRY: "error",
    Verdict.TERMINAL: "terminal",
    Verdict.REQUEUE: "requeue",
}
EVENT_SETTLE_SECONDS = 0.05  # events this close together become one reconcile
OWNERSHIP = "#ownership"  # Contrail-stage key: the sets this replica owns changed
#: Device-worker key: plan the load balancers changed while a set had no owner (``ahead``)
#: against their own partitions, before the worker's first full pass reads the device whole.
LOOK_AHEAD = "#ahead"
#: A look-ahead that would read more than this share of a set's partitions is left to the
#: full pass, which reads them all anyway.
LOOK_AHEAD_MAX_SHARE = 0.5
#: At most this many load balancers are read for a look-ahead before a takeover's read of
#: the sets gained (``Controller._look_ahead_of_read``); more, and it waits for that read.
LOOK_AHEAD_OF_READ_MOST = 2000
#: Contrail-stage key: check the objects notifications named that a replica reading only
#: its sets does not hold (``daemon/unheld.py``): whose they are, all at once.
CHECK = "?"
HANGS_UNDER_LB = frozenset(
    {
        "loadbalancer_listener",
        "loadbalancer_pool",
        "loadbalancer_member",
        "loadbalancer_healthmonitor",
    }
)


@dataclass(frozen=True)
class Pinned:
    """What a worker started ahead of its set's Contrail read plans against: a snapshot
    holding only some projects of the set (``Controller._look_ahead_of_read``), and the
    set's settings. Such a worker runs one look-ahead and never a full pass."""

    snapshot: ContrailSnapshot
    settings: SetSettings


@dataclass
class DeviceState:
    reachable: bool = False
    full_synced: bool = False
    # for the status page
    last_reconcile: float | None = None
    last_sync: float | None = None  # wall time of the last full pass that converged
    unavailable: dict[str, str] = field(default_factory=dict)  # device → why, last pass


class DeviceWorker:
    """Owns one device (or the active member of a config-sync HA pair): its connection, its
    cached live state and its queue of keys. Each key is one call of the shared reconcile
    (``reconciler.reconcile``): the whole set (``*``) or one load balancer."""

    def __init__(
        self,
        controller: Controller,
        sas_uuid: str,
        clients: list[DeviceClient],
        config_sync: bool = False,
        whole_set: bool = False,
        pinned: Pinned | None = None,
    ) -> None:
        self.controller = controller
        self.sas_uuid = sas_uuid
        self.clients = clients  # one, or the HA pair whose active member we write
        self.config_sync = config_sync
        # L3 mode: addresses and route-domain ids span the set's devices, so every key is
        # a whole-set reconcile on every device of the set.
        self.whole_set = whole_set
        self.pinned = pinned
        sas_name = (pinned.settings if pinned else controller.sets[sas_uuid]).sas_name
        self.reconciler = SetReconciler(
            controller.vnc,
            [Target(c) for c in clients],
            config_sync=config_sync,
            on_owned=controller.learn_owned,
            may_write=lambda: controller.ownership.may_write(sas_name),
        )
        self.queue: WorkQueue[str] = WorkQueue(base_delay=1.0, max_delay=60.0)
        self.state = DeviceState()
        self.down_since: float | None = None  # the device has not answered since
        self.down_since_wall = 0.0
        self.degraded: set[str] = set()  # load balancers whose status says so
        self.stopped = False
        self.thread: threading.Thread | None = None
        self.name = sas_name if whole_set else clients[0].name
        self.log = get_logger("worker", device=self.name)
        self.saver = DeferredSave(self._save, self.log, on_saved=self._saved)
        # lb uuid → its VIP route prefixes when last planned (``_remember_routes``)
        self.routed: dict[str, tuple[str, ...]] = {}
        # Load balancers to plan ahead of the first full pass (``look_ahead``)
        self.ahead: set[str] = set()

    @property
    def client(self) -> DeviceClient:
        """The device written now (after a failover, the new active one)."""
        return self.reconciler.targets[0].client

    @property
    def login_refused(self) -> bool:
        """A device of this worker refuses our credentials (its logins are backing off)."""
        return any(c.logins.state is not None for c in self.clients)

    def knows(self, lb_uuid: str) -> bool:
        """Did this worker place objects for the load balancer (it may have left the set)?"""
        return lb_uuid in self.reconciler.targets[0].memory.known

    # -- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        """Serve the queue; the deferred save runs beside it (never in a change's way), and
        what is unsaved when the worker stops is saved before it returns."""
        saver = threading.Thread(target=self.saver.run, args=(lambda: self.stopped,), daemon=True)
        saver.start()
        self.queue.serve(
            self.reconcile, lambda: self.stopped, self.log, after=self.controller._gauge
        )
        saver.join()
        self.saver.flush()

    def _saved(self, ok: bool) -> None:
        self.controller.metrics.saves.labels(self.name, "ok" if ok else "error").inc()
        if not ok:
            self.controller.event(
                "save-failed", f"{self.name}: save sys config failed; will retry", "error"
            )

    def _save(self, scope: SaveScope) -> None:
        """``save sys config`` of the partitions written, on the device written (and
        config-sync from it)."""
        for target in self._written():
            target.client.save_config(scope.partitions)
            if self.config_sync:
                settings = self._inputs()[1]
                group = settings.properties.get("device_group") if settings else None
                push_to_group(target.client, group)

    def _track_availability(self, result: Result) -> None:
        """A device that does not answer is shown at once in metrics and /readyz, and in its
        load balancers' status only once it has been away for ``device_down_grace``: a blip
        must not flip every load balancer to ERROR and back while the device keeps serving."""
        controller = self.controller
        if not result.unavailable:
            if self.down_since is not None:
                self.log.info("device answers again", away_for=round(self._away(), 1))
            self.down_since = None
            for lb in self.degraded:
                controller.degraded.pop(lb, None)
            self.degraded = set()
            return
        if self.down_since is None:
            self.down_since, self.down_since_wall = time.monotonic(), time.time()
            self.log.warning("device not answering", errors=result.unavailable)
        if self._away() < controller.config.device_down_grace:
            return
        since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.down_since_wall))
        devices = ", ".join(sorted(result.unavailable))
        reason = f"device {devices} not answering since {since}"  # the same on every pass
        for lb in result.affected:
            controller.degraded[lb] = reason
            self.degraded.add(lb)

    def _remember_routes(
        self, snapshot: ContrailSnapshot, settings: SetSettings, lbs: frozenset[str] | None
    ) -> None:
        """The route prefixes each load balancer had when this worker last planned it: a
        later one-load-balancer pass also looks at those (a VIP that moved, a load balancer
        gone) to take its old routes out. Nothing is kept when the set routes no VIPs."""
        sas = snapshot.appliance_sets.get(settings.sas_uuid)
        if sas is None or route_settings(sas).mode == "none":
            self.routed = {}
            return
        vips = snapshot.vips()
        if lbs is None:
            members = self.controller._members(settings, snapshot)
            self.routed = {lb.uuid: p for lb in members if (p := vips.prefixes(lb.uuid))}
            return
        for lb in lbs:
            if prefixes := vips.prefixes(lb):
                self.routed[lb] = prefixes
            else:
                self.routed.pop(lb, None)

    def _away(self) -> float:
        return time.monotonic() - self.down_since if self.down_since is not None else 0.0

    def _written(self) -> list[Target]:
        return self.reconciler.written_targets()

    def run_ahead(self) -> None:
        """A pinned worker's one look-ahead, saved before the set's own worker starts (its
        full pass does whatever this one did not)."""
        try:
            self.reconcile(LOOK_AHEAD)
            self.saver.flush()
        except Exception:  # the set's own worker follows: nothing is lost, but say why
            self.log.exception("look-ahead before the read failed")

    def look_ahead(self, lbs: Iterable[str]) -> None:
        """Queue the first full pass, with these load balancers planned before it against
        their own partitions: changes made while a set had no owner (its replica died) reach
        the device in a few reads of theirs, not after the whole device is read and planned."""
        self.ahead.update(lbs)
        if self.ahead and not self.whole_set:
            self.queue.add(LOOK_AHEAD)
        self.queue.add(FULL_RESYNC)

    # -- one reconcile --------------------------------------------------------------------

    def _inputs(self) -> tuple[ContrailSnapshot | None, SetSettings | None]:
        """What this worker plans with: its pinned snapshot and settings, or the
        controller's current ones (None: not read yet, or the set is gone)."""
        if self.pinned is not None:
            return self.pinned.snapshot, self.pinned.settings
        return self.controller.snapshot, self.controller.sets.get(self.sas_uuid)

    def reconcile(self, key: str) -> Outcome:
        controller = self.controller
        if self.pinned is not None and key != LOOK_AHEAD:
            return DONE  # a partial snapshot: never a pass that could delete
        snapshot, settings = self._inputs()
        if snapshot is None or settings is None:
            return DONE  # the set is gone; the controller stops this worker
        partitions: frozenset[str] | None = None
        lbs: frozenset[str] | None = None if key == FULL_RESYNC else frozenset({key})
        if key == LOOK_AHEAD:
            lbs, partitions = self._ahead(snapshot, settings)
            if not lbs:
                return DONE  # nothing to plan ahead: the full pass does it all
        if self.whole_set:
            lbs = None
        if self.whole_set:
            scope_name = "set"
        elif lbs is None:
            scope_name = "full"
        else:
            scope_name = "look-ahead" if key == LOOK_AHEAD else "load-balancer"
        started = time.monotonic()
        structlog.contextvars.bind_contextvars(device=self.name, key=key)
        try:
            verdict = self._reconcile(key, lbs, snapshot, settings, partitions)
        finally:
            structlog.contextvars.unbind_contextvars("device", "key")
        result = RESULT_LABELS[verdict]
        metrics = controller.metrics
        metrics.reconciles.labels(self.name, scope_name, result).inc()
        metrics.reconcile_seconds.labels(scope_name, result).observe(time.monotonic() - started)
        return OUTCOMES[verdict]

    def _ahead(
        self, snapshot: ContrailSnapshot, settings: SetSettings
    ) -> tuple[frozenset[str], frozenset[str] | None]:
        """The load balancers to plan ahead (those of the set), and the partitions to read
        for them — None when the device is cached already (the look-ahead costs no read)."""
        ahead, self.ahead = self.ahead, set()
        controller = self.controller
        members = {
            uuid
            for uuid in ahead
            if (lb := snapshot.load_balancers.get(uuid)) is not None
            and controller._belongs(lb, settings, snapshot)
        }
        if not members or self.reconciler.targets[0].cache.objects is not None:
            return frozenset(members), None
        memory = self.reconciler.targets[0].memory
        partitions = memory.scope(snapshot, frozenset(members), controller.options).partitions
        if self.pinned is not None:  # its snapshot holds those partitions' projects alone
            return frozenset(members), partitions
        projects = {lb.project_uuid for lb in controller._members(settings, snapshot)}
        if len(partitions) > LOOK_AHEAD_MAX_SHARE * max(1, len(projects)):
            return frozenset(), None  # most of the device: the full pass reads it anyway
        return frozenset(members), partitions

    def _reconcile(
        self,
        key: str,
        request_lbs: frozenset[str] | None,
        snapshot: ContrailSnapshot,
        settings: SetSettings,
        partitions: frozenset[str] | None = None,
    ) -> Verdict:
        """``request_lbs``: these load balancers, or None for the whole device; with
        ``partitions``, a look-ahead that reads only those of the device."""
        controller = self.controller
        if partitions is None and self.reconciler.targets[0].cache.objects is None:
            request_lbs = None  # nothing cached (start, or after a failure): read the device
        full = request_lbs is None
        guard = delete_guard(controller.config, snapshot)
        if not full:  # one load balancer's reconcile: an empty Contrail is not its concern
            guard = replace(guard, contrail_empty=False)
        request = Request(
            snapshot,
            settings,
            controller.options,
            guard,
            lbs=request_lbs,
            save=False,
            read_devices=full,
            partitions=partitions,
            # A device worker sees one device: the others' outcomes come from the controller.
            routes=None
            if self.whole_set
            else controller.route_context(
                settings, self.name, request_lbs, self.routed, snapshot=snapshot
            ),
        )
        # A full pass (the initial sync above all) logs its progress every few seconds.
        self.reconciler.progress = Progress(f"sync {self.name}", tty=False) if full else None
        result = self.reconciler.run(request)
        if self.reconciler.progress is not None:
            self.reconciler.progress.finish()
        for device_plan in result.plan.devices:
            for op in device_plan.operations:
                controller.metrics.drift.labels(device_plan.device, op.action).inc()
        if any(a.applied for a in result.applied):
            self.saver.wrote(save_scope(op for a in result.applied for op in a.applied))
            if self.whole_set and not self.config_sync:
                self.saver.flush()  # a whole-set pass saves at its end, as --once does
        cache = self.reconciler.targets[0].cache.objects
        if full and cache is not None:
            controller.metrics.managed.labels(self.name).set(len(cache))
        controller.operating.update(result.operating)
        controller.routes_planned(self.name, result)
        if result.verdict is Verdict.DONE and not self.whole_set:
            self._remember_routes(snapshot, settings, request_lbs)
        results = result.lb_results
        self._track_availability(result)
        controller.record(self, key, result)
        gone: tuple[str, ...] = ()
        if full:  # load balancers deleted while we were not listening
            gone = tuple(lb for lb in controller.results if lb not in snapshot.load_balancers)
        else:
            gone = tuple(
                lb
                for lb in sorted(request_lbs or ())
                if lb not in results and lb not in snapshot.load_balancers
            )
        controller.report(self.sas_uuid, self.name, results, gone)
        self.state.reachable = result.reachable
        controller.metrics.device_up.labels(self.name).set(1 if result.reachable else 0)
        if full and result.verdict is Verdict.DONE:
            freeze_heap()
            self.state.full_synced = True
            self.state.last_sync = time.time()
            controller.metrics.last_sync.labels(self.name).set(self.state.last_sync)
        return result.verdict


@dataclass
class Controller:
    """Holds the snapshot, the sets and their device workers; owns the Contrail stage."""

    config: Config
    vnc: Any
    metrics: Metrics
    client_factory: Callable[[DeviceSettings], DeviceClient] | None = None
    ownership: Ownership = field(default_factory=SoleOwnership)
    user_agent: str = ""  # appended to every device request's User-Agent (the replica)
    snapshot: ContrailSnapshot | None = None
    index: Index = field(default_factory=Index)
    sets: dict[str, SetSettings] = field(default_factory=dict)
    workers: dict[str, DeviceWorker] = field(default_factory=dict)
    contrail_synced: bool = False
    stopped: bool = False
    # What the last full read took (None: everything); see ``wanted_scope``
    snapshot_scope: ReadScope | None = None

    def __post_init__(self) -> None:
        self.options = Options(prefix=self.config.environment_prefix, claims=self.config.claims)
        if self.user_agent and isinstance(getattr(self.vnc, "_headers", None), dict):
            # vnc_api's own header, which the API server logs: names the replica there too
            self.vnc._headers["X-Contrail-Useragent"] = self.user_agent
        self.reader = ContrailReader(self.vnc, self.config.sas_driver_pattern)
        self.contrail = Connections(self.config, self.vnc)  # status write-back, side by side
        # Changed objects read while their burst settles (``daemon/prefetch.py``)
        self.prefetch = Prefetch(self._prefetch_read)
        # Members of pools this replica does not hold, noticed (``daemon/parked.py``)
        self.parked = ParkedMembers()
        # Other objects it does not hold, to check together (``daemon/unheld.py``)
        self.unheld = UnheldChecks()
        self.queue: WorkQueue[str] = WorkQueue(base_delay=1.0, max_delay=30.0)
        self.results: dict[str, dict[str, str | None]] = {}  # lb → device → reason
        self._in_error: set[str] = set()  # load balancers with an error on some device
        self.operating: dict[str, str] = {}  # lb → operating status from the last full pass
        # lb → why its device has not answered for longer than device_down_grace
        self.degraded: dict[str, str] = {}
        self._threads: list[threading.Thread] = []
        # Swaps of self.snapshot (the stage's reads; our allocations and route tables from
        # the workers), and our instance-ip allocations and releases since the last full
        # read began
        self._snapshot_lock = threading.Lock()
        self._owned_learned: dict[str, OwnedInstanceIp | None] = {}
        self._owned_learned_at = 0.0
        # Load balancer queued → the objects its notifications said changed (None: one that
        # is not read on its own; its subtree is read)
        self._changes: dict[str, set[Change | None]] = {}
        self._changes_lock = threading.Lock()
        self._notes_said: dict[str, list[str]] = {}  # worker → its plan's notes, said
        self._retiring: dict[str, list[threading.Thread]] = {}  # set name → stopping workers
        self._releasing: set[str] = set()  # sets whose release waits for those
        # Worker key → the look-ahead run for it before its set was read (the worker waits)
        self._ahead_of_read: dict[str, threading.Thread] = {}
        # Owned sets whose settings cannot work (set name → SettingsError naming the key):
        # shown on the status page and counted, never waited for by /readyz.
        self.unusable: dict[str, str] = {}
        # What the status page shows beside the above (``status``): per device the last plan
        # (and the last with changes), per load balancer the last change applied, events.
        self.board = StatusBoard()

    # -- inputs ---------------------------------------------------------------------------

    def notify(self, event: dict[str, Any]) -> None:
        """A RabbitMQ notification: map it to keys and queue them (never blocks)."""
        kind = str(event.get("type", "")).replace("-", "_")
        self.metrics.notifications.labels(kind or "unknown").inc()
        keys = keys_for(event, self.index)
        uuid = event.get("uuid")
        if keys == {FULL_RESYNC} and self.scoped and kind in HANGS_UNDER_LB and uuid:
            pool = member_pool(event)
            if pool is not None:  # a member of a pool we do not hold: not ours, or not yet
                self.parked.park(pool, str(uuid))
                keys = set()
            else:
                # Not in our snapshot: maybe another replica's, maybe new under one of ours.
                # Find its load balancer rather than re-reading all we own.
                self.unheld.under_load_balancer(kind, str(uuid))
                keys = {CHECK}
        elif kind == "loadbalancer" and self._unheld(uuid):
            self.unheld.load_balancer(str(uuid))  # another replica's, or new in our scope
            keys = {CHECK}
        if FULL_RESYNC in keys:
            log.info(
                "notification needs a full resync",
                type=kind,
                oper=event.get("oper"),
                uuid=event.get("uuid"),
            )
        uuid = event.get("uuid")
        change = change_for(kind, uuid if isinstance(uuid, str) else None)
        with self._changes_lock:  # a check reads its own way: nothing kept for it
            for key in keys - {FULL_RESYNC, CHECK}:
                self._changes.setdefault(key, set()).add(change)
        snapshot = self.snapshot
        if change is not None and snapshot is not None and self._prefetches(change, keys, snapshot):
            self.prefetch.notice(change)  # read while the burst settles
        for key in keys:
            self.queue.add(key, delay=EVENT_SETTLE_SECONDS)
        self._gauge()

    def _prefetches(self, change: Change, keys: set[str], snapshot: ContrailSnapshot) -> bool:
        """Is the changed object read at once (``daemon.prefetch``)? Only under load
        balancers the snapshot holds (never another replica's), and not a load balancer
        new to us (its whole subtree is read)."""
        if not keys or FULL_RESYNC in keys or CHECK in keys:
            return False
        if not all(k in snapshot.load_balancers for k in keys):
            return False
        return change.kind != "loadbalancer" or change.uuid in snapshot.load_balancers

    def resync(self) -> None:
        self.queue.add(FULL_RESYNC)

    # -- the Contrail stage ---------------------------------------------------------------

    def run(self) -> None:
        self.queue.serve(self.sync_contrail, lambda: self.stopped, log, after=self._gauge)

    @property
    def scoped(self) -> bool:
        """Does this replica read only the sets it owns (ZooKeeper coordination)? A sole
        daemon owns every set and reads everything."""
        return not isinstance(self.ownership, SoleOwnership)

    def wanted_scope(self, snapshot: ContrailSnapshot | None) -> ReadScope | None:
        """What a full read should take: the sets owned or still worked (a set being given
        up keeps its load balancers until its workers have stopped), and every set sharing a
        device with one of those — conflict detection compares the claims of all the load
        balancers on a device, so a replica reads its neighbours' too. None: everything."""
        if not self.scoped:
            return None
        names = set(self.ownership.owned) | {s.sas_name for s in self.sets.values()}
        names |= self.ownership.pending_release()
        if snapshot is not None:
            names |= sets_sharing_devices(snapshot, names, self.config)
        return ReadScope(frozenset(names), self.config.claims)

    def _fits(self, snapshot: ContrailSnapshot) -> bool:
        """Does the snapshot hold the subtrees of the sets we should now work, and no more
        (a set given up leaves the snapshot once its workers have stopped)?"""
        wanted = self.wanted_scope(snapshot)
        return wanted is None or wanted == self.snapshot_scope

    def _missing(self, snapshot: ContrailSnapshot) -> set[str]:
        """Sets we should hold that the snapshot's read did not take."""
        wanted, scope = self.wanted_scope(snapshot), self.snapshot_scope
        return set() if wanted is None or scope is None else set(wanted.sets - scope.sets)

    def sync_contrail(self, key: str) -> bool:
        regained = key == OWNERSHIP  # a full read for sets gained: see _after_takeover
        if key == OWNERSHIP:
            if self.snapshot is None:
                return True  # the first full read installs the workers
            if self._fits(self.snapshot):
                for worker in self._install_sets(self.snapshot):
                    worker.queue.add(FULL_RESYNC)
                if not self._fits(self.snapshot):  # sets dropped at once (session lost)
                    self.queue.add(OWNERSHIP)
                self._gauge()
                return True
            # Sets gained (read their subtrees, then start their workers) or let go of
            key = FULL_RESYNC
        if key == CHECK:
            return self._check_unheld()
        scope = "full" if key == FULL_RESYNC or self.snapshot is None else "load-balancer"
        read_started = time.monotonic()
        named: set[Change] = set()  # the objects read on their own, if that is how
        read_scope = self.wanted_scope(self.snapshot) if scope == "full" else self.snapshot_scope
        try:
            if scope == "full":
                gained = self._gained_scope(read_scope) if regained else None
                if gained is not None and self.snapshot is not None:
                    self._look_ahead_of_read(gained, self.snapshot)
                    snapshot = self.snapshot.joined(self.reader.read(gained))
                else:
                    snapshot = self.reader.read(read_scope)
                snapshot = with_set_overrides(snapshot, self.config.set_overrides)
            else:
                assert self.snapshot is not None
                if not self._may_be_ours(key, self.snapshot, read_scope):
                    with self._changes_lock:  # checked first: nothing kept for it meanwhile
                        dropped = self._changes.pop(key, None) or set()
                    self.prefetch.forget(c for c in dropped if c is not None)
                    return True  # not known to be ours: its subtree is not read
                snapshot, named = self._read_changes(key, self.snapshot)
                snapshot = _within(snapshot, key, read_scope)
                if self.snapshot is not None:  # route tables may have been re-read meanwhile
                    snapshot = replace(snapshot, route_tables=self.snapshot.route_tables)
        except ContrailReadError as exc:
            self.metrics.contrail_reads.labels(scope, "error").inc()
            log.warning("contrail read failed; will retry", key=key, error=str(exc))
            self.event("contrail-read-failed", f"Contrail read ({scope}) failed: {exc}", "error")
            return False
        self.metrics.contrail_reads.labels(scope, "ok").inc()
        log.debug("contrail read", key=key, scope=scope)
        previous = self.snapshot
        lbs = {key}  # the load balancers this read touched
        for change in named if previous is not None else ():
            lbs |= self.index.moved_between(change, snapshot)
        if scope == "full" or any(_terminates_tls(snapshot, lb) for lb in lbs):
            # Certificates are read from their source: on a full resync, and when the changed
            # load balancer may name a new one — not on every member change.
            self.options = translate_options(self.config, snapshot)
        snapshot = self._install_snapshot(snapshot, read_started)
        self.metrics.snapshot_lbs.set(len(snapshot.load_balancers))
        index_before = self.index
        unparked: set[str] = set()  # load balancers whose members changed while not ours
        if scope == "full":
            self.snapshot_scope = read_scope
            self.index = Index.of(snapshot)
            unparked = self._unpark(None)
            # made now, not by the first change after the read (O(N): ~0.3 s at 10,000)
            snapshot.links()
            snapshot.vips()
        elif (
            previous is not None
            and named
            and lbs == {key}
            and all(only_statuses(c, previous, snapshot) for c in named)
        ):
            # Statuses alone changed (our own write, read back): no device pass; written
            # again only where they no longer say the last outcome.
            self._restate(key)
            self._gauge()
            return True
        else:  # one subtree changed: update the index (5,000 LBs: ~25 ms, not 180-950)
            assert previous is not None  # a one-load-balancer read starts from a snapshot
            for lb in sorted(lbs):
                self.index = self.index.with_load_balancer(previous, snapshot, lb)
            links = snapshot.links()
            self._unpark(
                snapshot.pools[p].fq_name
                for lb in lbs
                for p in links.pools_under(lb)
                if p in snapshot.pools
            )
        if scope == "full":
            freeze_heap()
            started = self._install_sets(snapshot, offer=True)
            passed = self._after_takeover(snapshot, started) if regained else self.workers.values()
            for worker in passed:
                # what changed while its set had no owner goes ahead of its full pass
                worker.look_ahead(
                    lb for lb in sorted(unparked) if self._concerns(worker, lb, previous, snapshot)
                )
            rest = [w for w in self.workers.values() if w not in passed]
            if rest and previous is not None:
                # Their sets get no full pass: what the read changed under them (a change
                # made while it ran, whose notification may then find nothing new) is
                # passed load balancer by load balancer.
                changed = changed_between(previous, snapshot, index_before, self.index)
                for worker in rest:
                    for lb in sorted(changed):
                        if self._concerns(worker, lb, previous, snapshot):
                            worker.queue.add(lb)
            self.contrail_synced = True
        else:
            for worker in self.workers.values():
                for lb in sorted(lbs):
                    if self._concerns(worker, lb, previous, snapshot):
                        worker.queue.add(lb)
        self._gauge()
        return True

    def _unpark(self, pools: Iterable[PoolName] | None) -> set[str]:
        """Members parked while their pool was unknown whose pool the index now holds (of
        ``pools``, or any): their load balancers read them, as their notifications would
        have had them read. Returns those load balancers."""
        by_fq_name = self.index.lbs_of_pool_fq_name
        found = self.parked.take(lambda pool: pool in by_fq_name, pools)
        lbs: set[str] = set()
        for pool, members in found.items():
            for lb in by_fq_name[pool]:
                with self._changes_lock:
                    changes = self._changes.setdefault(lb, set())
                    changes.update(Change("loadbalancer_member", m) for m in members)
                self.queue.add(lb)
                lbs.add(lb)
        return lbs

    def _restate(self, lb_uuid: str) -> None:
        """After a change of statuses alone: the load balancer's statuses written again where
        Contrail no longer holds what its last outcome says (someone else wrote them) —
        nothing at all when the change was our own write coming back."""
        snapshot = self.snapshot
        if lb_uuid not in self.results or snapshot is None:
            return  # not reported yet: its pass to come writes them
        worker = next(
            (w for w in self.workers.values() if self._concerns(w, lb_uuid, None, snapshot)),
            None,
        )
        settings = self.sets.get(worker.sas_uuid) if worker is not None else None
        if settings is not None:
            self._write_outcomes(settings, snapshot, {lb_uuid: self._combined(lb_uuid)})

    def _gained_scope(self, wanted: ReadScope | None) -> ReadScope | None:
        """When a change of ownership only added sets: the scope of those alone, whose read
        joins the snapshot (``ContrailSnapshot.joined``) instead of a read of everything
        this replica holds — the wait for a dead replica's sets then follows their size,
        not the survivor's. None: read the whole wanted scope."""
        held = self.snapshot_scope
        if wanted is None or held is None or wanted.claims != held.claims:
            return None
        if not wanted.sets > held.sets:
            return None
        return ReadScope(wanted.sets - held.sets, wanted.claims)

    def _look_ahead_of_read(self, gained: ReadScope, base: ContrailSnapshot) -> None:
        """Before the read of the sets a takeover gained (a dead replica's: thousands of
        load balancers, seconds of reading): the members changed while they had no owner,
        parked by their pools' names, are read with the rest of their projects in those
        sets — a few hundred load balancers — and planned ahead against those projects'
        partitions by workers of their own while the whole read runs. A set's own worker
        starts once that look-ahead is done (one writer per device); its full pass then
        does all the rest, and whatever the look-ahead missed."""
        projects = {pool[:-1] for pool in self.parked.pools()}  # a pool's fq_name: its project's
        if not projects:
            return
        self._ahead_of_read = {k: t for k, t in self._ahead_of_read.items() if t.is_alive()}
        try:
            part = self.reader.read_in_projects(gained, projects, base, LOOK_AHEAD_OF_READ_MOST)
        except ContrailReadError as exc:
            log.warning("nothing planned ahead of the read of the sets gained", error=str(exc))
            return
        if part is None or not part.load_balancers:
            return
        by_pool = Index.of(part).lbs_of_pool_fq_name
        ahead = {lb for pool in self.parked.take(lambda p: p in by_pool) for lb in by_pool[pool]}
        snapshot = base.joined(part)
        for sas in part.appliance_sets.values():
            if sas.name not in gained.sets or not self.ownership.owns(sas.name):
                continue
            try:
                settings = settings_for(sas, self.config.credentials_for(sas.name))
            except SettingsError:
                continue  # said when its worker is installed
            lbs = {lb for lb in ahead if self._belongs(part.load_balancers[lb], settings, part)}
            if not lbs:
                continue
            for key, (sas_uuid, devices, kind) in _worker_specs(sas.uuid, settings).items():
                if kind == "set" or key in self.workers or key in self._ahead_of_read:
                    continue
                worker = DeviceWorker(
                    self,
                    sas_uuid,
                    [self._client(d, settings.sas_name) for d in devices],
                    config_sync=kind == "active",
                    pinned=Pinned(snapshot, settings),
                )
                worker.ahead = set(lbs)
                self._ahead_of_read[key] = self._start(worker.run_ahead)
                log.info(
                    "planning ahead of the read of the sets gained",
                    device=worker.name,
                    set=settings.sas_name,
                    load_balancers=len(lbs),
                    read=len(part.load_balancers),
                )

    def _after_takeover(
        self, snapshot: ContrailSnapshot, started: list[DeviceWorker]
    ) -> list[DeviceWorker]:
        """The workers a read made for a change of ownership sends to a full pass: those
        just started (the sets gained) and those of sets sharing a device with them (their
        claims now meet). The other sets are as they were, and their notifications keep
        them current: a full pass of every device a replica holds after each takeover
        made the wait for the gained sets grow with all it owns."""
        gained = {self.sets[w.sas_uuid].sas_name for w in started if w.sas_uuid in self.sets}
        near = sets_sharing_devices(snapshot, gained, self.config) if gained else set()
        return [
            worker
            for worker in self.workers.values()
            if worker in started
            or (worker.sas_uuid in self.sets and self.sets[worker.sas_uuid].sas_name in near)
        ]

    def _read_changes(
        self, lb_uuid: str, base: ContrailSnapshot
    ) -> tuple[ContrailSnapshot, set[Change]]:
        """``base`` with what changed under one load balancer read again: the objects its
        notifications named, one GET each (``contrail.changes``) — or its whole subtree
        when one of them is not read on its own, when it is new to the snapshot, or when no
        notification says what changed. Returns the snapshot and the objects read on their
        own. A failed read keeps the changes for the retry."""
        with self._changes_lock:
            changes = self._changes.pop(lb_uuid, {None})
        try:
            named = {c for c in changes if c is not None}
            answers = self.prefetch.take(named)
            if None in changes or lb_uuid not in base.load_balancers:
                return self.reader.read_load_balancer(lb_uuid, base), set()
            return self.reader.read_changes(named, base, answers), named
        except ContrailReadError:
            with self._changes_lock:
                self._changes.setdefault(lb_uuid, set()).update(changes)
            raise

    def _prefetch_read(self, method: str, uuid: str) -> Any:
        return getattr(self.vnc, method)(id=uuid)  # its session pools connections

    def _may_be_ours(
        self, lb_uuid: str, snapshot: ContrailSnapshot, scope: ReadScope | None
    ) -> bool:
        """A load balancer we hold, or one the last check of unheld objects found in our
        scope (one that moved into one of our sets is read so). Any other is checked with
        the others first (``daemon/unheld.py``), and read if it is ours."""
        if scope is None or lb_uuid in snapshot.load_balancers or self.unheld.was_found(lb_uuid):
            return True
        self.unheld.load_balancer(lb_uuid)
        self.queue.add(CHECK)
        return False

    def _unheld(self, lb_uuid: Any) -> bool:
        """Is this a load balancer a replica does not hold (checked with the others before
        anything is kept for it or read)?"""
        snapshot = self.snapshot
        return (
            self.scoped
            and snapshot is not None
            and isinstance(lb_uuid, str)
            and lb_uuid not in snapshot.load_balancers
        )

    def _check_unheld(self) -> bool:
        """The objects notifications named that we do not hold, all at once: the load
        balancers above them, and of those the ones in our scope, are queued to be read
        (a pool just attached to one of our listeners, a load balancer made in or moved
        into one of our sets); the others' are not ours and cost nothing more."""
        snapshot, scope = self.snapshot, self.snapshot_scope
        unheld = self.unheld.take()
        if snapshot is None:
            return True  # the first full read, still to come, reads whatever is ours
        try:
            lbs = unheld.load_balancers | load_balancers_under(self.vnc, sorted(unheld.objects))
            held = {lb for lb in lbs if lb in snapshot.load_balancers}
            found = lbs - held
            if scope is not None:
                f5_sets = {s.uuid: s.name for s in snapshot.appliance_sets.values()}
                found = in_scope_of(self.vnc, found, scope, f5_sets)
        except Exception as exc:
            self.unheld.give_back(unheld)
            log.warning("contrail read failed; will retry", key=CHECK, error=str(exc))
            return False
        self.unheld.found(found)
        for lb in sorted(held | found):
            self.queue.add(lb)
        return True

    def learn_owned(self, changed: Mapping[str, OwnedInstanceIp | None]) -> None:
        """Our own allocations (name → instance-ip) and releases (name → None), from the
        write: the next pass plans with them instead of allocating again, and every later
        snapshot keeps them until a full Contrail read that was started after them has them."""
        with self._snapshot_lock:
            self._owned_learned.update(changed)
            self._owned_learned_at = time.monotonic()
            if self.snapshot is not None:
                self.snapshot = _with_owned(self.snapshot, changed)

    def _install_snapshot(
        self, snapshot: ContrailSnapshot, read_started: float
    ) -> ContrailSnapshot:
        """The new snapshot, with what we allocated or released while it was being read."""
        with self._snapshot_lock:
            if self._owned_learned:
                snapshot = _with_owned(snapshot, self._owned_learned)
                if read_started > self._owned_learned_at:
                    self._owned_learned = {}  # the read began after them: it has them
            self.snapshot = snapshot
        return snapshot

    def _concerns(
        self,
        worker: DeviceWorker,
        lb_uuid: str,
        previous: ContrailSnapshot | None,
        current: ContrailSnapshot,
    ) -> bool:
        settings = self.sets.get(worker.sas_uuid)
        if settings is None:
            return False
        for snapshot in (previous, current):
            lb = snapshot.load_balancers.get(lb_uuid) if snapshot else None
            if lb is not None and self._belongs(lb, settings, snapshot):
                return True
        return worker.knows(lb_uuid)

    def _belongs(self, lb: Any, settings: SetSettings, snapshot: ContrailSnapshot | None) -> bool:
        f5_sets = [(s.uuid, s.name) for s in snapshot.appliance_sets.values()] if snapshot else []
        return belongs_to(lb, settings, self.config.claims, f5_sets)

    def _members(self, settings: SetSettings, snapshot: ContrailSnapshot) -> list[Any]:
        """The set's load balancers (the F5 sets listed once, not once per load balancer)."""
        f5_sets = [(s.uuid, s.name) for s in snapshot.appliance_sets.values()]
        return [
            lb
            for lb in snapshot.load_balancers.values()
            if belongs_to(lb, settings, self.config.claims, f5_sets)
        ]

    def _combined(self, lb_uuid: str) -> str | None:
        """One load balancer's outcome over its devices: the first error, else None."""
        return next((r for r in self.results.get(lb_uuid, {}).values() if r), None)

    def _install_sets(self, snapshot: ContrailSnapshot, offer: bool = False) -> list[DeviceWorker]:
        """Start workers for the devices of the sets this replica owns, stop the others'
        (a set being given up is released once its workers have finished). Returns the
        workers started. ``offer``: tell the coordination which sets exist now."""
        if offer:
            self.ownership.offer(s.name for s in snapshot.appliance_sets.values())
        sets: dict[str, SetSettings] = {}
        wanted: dict[str, tuple[str, tuple[DeviceSettings, ...], str]] = {}
        unusable: dict[str, str] = {}
        missing = self._missing(snapshot)
        uncovered = False
        for sas in snapshot.appliance_sets.values():
            if not self.ownership.owns(sas.name):
                continue
            if missing and sas.uuid not in self.sets:
                gap = sets_sharing_devices(snapshot, {sas.name}, self.config) & missing
                if sas.name in missing or gap:
                    # owned, or a device neighbour of it, since the read began: the re-read
                    # comes first (a set already worked goes on until it lands)
                    uncovered = True
                    continue
            try:
                settings = settings_for(sas, self.config.credentials_for(sas.name))
            except SettingsError as exc:
                log.warning("unusable service-appliance-set", set=sas.name, error=str(exc))
                unusable[sas.name] = str(exc)
                continue
            sets[sas.uuid] = settings
            wanted.update(_worker_specs(sas.uuid, settings))
        previous, self.sets = self.sets, sets
        for name in sorted(unusable.keys() - self.unusable.keys()):
            self.event("settings", f"set {name} unusable: {unusable[name]}", "error", set=name)
        self.unusable = unusable
        self.metrics.sets_unusable.set(len(unusable))
        mine, had = {s.sas_name for s in sets.values()}, {s.sas_name for s in previous.values()}
        for name in sorted(mine ^ had):
            self.event("ownership", f"{'took' if name in mine else 'gave up'} set {name}", set=name)
        retiring: dict[str, threading.Thread] = {}
        started: list[DeviceWorker] = []
        for key in list(self.workers):
            old = self.workers[key]
            devices = tuple(c.settings for c in old.clients)
            if key not in wanted or wanted[key][1] != devices:
                old.stopped = True
                old.queue.close()
                self._forget_series(old.name)
                with contextlib.suppress(KeyError):  # _gauge sets it for live workers only
                    self.metrics.queue_depth.remove(key)
                if old.thread is not None:
                    retiring[key] = old.thread
                    if old.sas_uuid in previous:
                        name = previous[old.sas_uuid].sas_name
                        self._retiring.setdefault(name, []).append(old.thread)
                del self.workers[key]
        for key, (sas_uuid, devices, kind) in wanted.items():
            if key not in self.workers:
                clients = [self._client(d, sets[sas_uuid].sas_name) for d in devices]
                worker = DeviceWorker(
                    self,
                    sas_uuid,
                    clients,
                    config_sync=kind == "active",
                    whole_set=kind == "set",
                )
                self.workers[key] = worker
                # after the worker it replaces, or the look-ahead made for it before the read
                after = retiring.get(key) or self._ahead_of_read.pop(key, None)
                worker.thread = self._start(worker.run, after=after)
                started.append(worker)
        self._release_when_stopped()
        self.metrics.sets_owned.set(len(self.ownership.owned))
        if uncovered or missing:  # read what is missing (a set, a neighbour) now
            self.queue.add(OWNERSHIP)
        return started

    def _forget_series(self, name: str) -> None:
        """A worker that stops takes its per-device series along: a set moved to another
        replica, or deleted, must not keep an ageing last-sync time that fires alerts."""
        for attr in Metrics.PER_DEVICE:
            with contextlib.suppress(KeyError):
                getattr(self.metrics, attr).remove(name)

    def _release_when_stopped(self) -> None:
        """Sets being given up go to their next owner only after every worker they had has
        finished its apply: two replicas never write one device at once."""
        for name in self.ownership.pending_release():
            if name in self._releasing:
                continue
            self._releasing.add(name)
            threads = self._retiring.pop(name, [])

            def release(name: str = name, threads: list[threading.Thread] = threads) -> None:
                for thread in threads:
                    thread.join()
                self._releasing.discard(name)
                self.ownership.released(name)
                self.queue.add(OWNERSHIP)  # its load balancers leave the snapshot

            self._start(release)

    def _client(self, device: DeviceSettings, sas_name: str) -> DeviceClient:
        if self.client_factory is not None:
            return self.client_factory(device)
        counter = self.metrics.rest_calls
        return DeviceClient(
            device,
            verify=self.config.device_verify,
            timeout=self.config.device_timeout,
            on_call=lambda verb: counter.labels(device.name, verb).inc(),
            fence=lambda: self.ownership.fence(sas_name),
            user_agent=self.user_agent,
            connections=self.config.device_connections,
            logins=LoginGate(
                self.config.resync_interval, lambda state: self._login_changed(device, state)
            ),
        )

    def _login_changed(self, device: DeviceSettings, state: LoginState | None) -> None:
        """A device refused our credentials (again), or accepts them again: metrics, log and
        the status page's events say so."""
        self.metrics.login_refused.labels(device.name).set(0 if state is None else 1)
        if state is None:
            log.info("device accepts our credentials again", device=device.name)
            self.event("login", f"device {device.name} accepts our credentials again")
            return
        self.metrics.login_failures.labels(device.name).inc()
        wait = round(state.retry_at - time.time())
        log.warning(
            "device refused our login; not trying again for a while",
            device=device.name,
            refused=state.refused,
            retry_in=wait,
            error=state.message,
        )
        if state.refused == 1:
            self.event("login", f"device {device.name} refused our login: {state.message}", "error")

    def _start(
        self, fn: Callable[[], None], after: threading.Thread | None = None
    ) -> threading.Thread:
        """A thread — a greenlet once the daemon's entry point has monkey-patched. ``after``:
        a worker being replaced (new settings for the same device) finishes its current
        apply first, so two workers never write one device at once."""

        def run() -> None:
            if after is not None:
                after.join()
            fn()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def start(self) -> None:
        self.ownership.start(lambda: self.queue.add(OWNERSHIP))
        self._start(self.run)

    # -- outputs --------------------------------------------------------------------------

    def report(
        self,
        sas_uuid: str,
        device: str,
        results: dict[str, str | None],
        gone: tuple[str, ...] = (),
    ) -> None:
        """Per-device outcomes of one set; write the combined status of load balancers that
        changed (``gone``: load balancers deleted from Contrail). The set's VIP routes are
        in each pass's plan (``route_context``)."""
        before = {lb: self._combined(lb) if lb in self.results else "" for lb in results}
        for lb in gone:
            self.results.pop(lb, None)
            self.board.changes.pop(lb, None)
            self._in_error.discard(lb)
        for lb, reason in results.items():
            self.results.setdefault(lb, {})[device] = reason
        changed = {lb: self._combined(lb) for lb in results}
        for lb, reason in changed.items():  # kept per change: counting them all was O(N)
            if reason:
                self._in_error.add(lb)
            else:
                self._in_error.discard(lb)
        self.board.lb_transitions(before, changed, self.snapshot)
        self.metrics.lbs_in_error.set(len(self._in_error))
        snapshot = self.snapshot
        settings = self.sets.get(sas_uuid)
        if snapshot is None or settings is None or not (changed or gone):
            return
        self._write_outcomes(settings, snapshot, changed)

    def _write_outcomes(
        self, settings: SetSettings, snapshot: ContrailSnapshot, changed: dict[str, str | None]
    ) -> None:
        """The statuses of these outcomes, written where Contrail does not hold them yet —
        while the set is still ours."""
        if not self.ownership.may_write(settings.sas_name):
            log.info("outcome not written: set no longer ours", sas=settings.sas_name)
            return
        updates = plan_status(snapshot, changed, self.operating, self.degraded)
        if updates:
            for failure in write_status(self.vnc, snapshot, updates, self.contrail):
                log.warning("status write failed", error=failure)

    def route_context(
        self,
        settings: SetSettings,
        device: str,
        lbs: frozenset[str] | None = None,
        routed: Mapping[str, tuple[str, ...]] | None = None,
        snapshot: ContrailSnapshot | None = None,
    ) -> RouteContext:
        """What a device worker's pass needs to plan the set's VIP route table: every load
        balancer's outcome over the devices so far, and the errors other devices said.

        ``lbs``: a one-load-balancer pass's, which plans only their routes — the prefixes
        they have now and those they had when the worker last planned them (``routed``) —
        so only the load balancers routing those prefixes are looked at (the snapshot's
        VIP index), not the set. ``snapshot``: the one the pass plans with (the
        controller's by default)."""
        snapshot = self.snapshot if snapshot is None else snapshot
        only: frozenset[str] | None = None
        if snapshot is None:
            members = []
        elif lbs is None:
            members = self._members(settings, snapshot)
        else:
            only, near = route_neighbourhood(snapshot, lbs, routed)
            members = [
                lb
                for uuid in sorted(near)
                if (lb := snapshot.load_balancers.get(uuid)) is not None
                and self._belongs(lb, settings, snapshot)
            ]
        outcomes: dict[str, str | None] = {}
        elsewhere: dict[str, str] = {}
        for lb in members:
            by_device = self.results.get(lb.uuid)
            outcomes[lb.uuid] = self._combined(lb.uuid) if by_device else NOT_REPORTED
            error = next((r for d, r in (by_device or {}).items() if d != device and r), None)
            if error:
                elsewhere[lb.uuid] = error
        return RouteContext(outcomes, elsewhere, only)

    def routes_planned(self, worker: str, result: Result) -> None:
        """After a pass: say its set-level problems (a bad route setting, no active device)
        when they change, not on every pass, and re-read the route tables when the pass
        wrote one (the next plan starts from what Contrail holds)."""
        notes = list(result.plan.notes)
        if notes != self._notes_said.get(worker, []):
            self._notes_said[worker] = notes
            for note in notes:
                log.warning("set problem", worker=worker, problem=note)
        routes = [c for c in result.plan.contrail if c.type in ROUTE_TABLE_TYPES.values()]
        if not routes or result.verdict is Verdict.REQUEUE:
            return
        try:
            tables = self.reader.read_route_tables()
        except ContrailReadError as exc:
            log.warning("route tables not re-read; next resync will", error=str(exc))
            return
        with self._snapshot_lock:  # the Contrail stage may have installed a newer one
            if self.snapshot is not None:
                self.snapshot = replace(self.snapshot, route_tables=tables)

    # -- the status page ------------------------------------------------------------------

    def event(self, kind: str, message: str, level: str = "info", **about: Any) -> None:
        self.board.event(kind, message, level, **about)

    def record(self, worker: DeviceWorker, key: str, result: Result) -> None:
        self.board.record(worker, key, result)

    def status(self) -> dict[str, Any]:
        """The daemon's state as plain values for the status page (``board.py``)."""
        return self.board.status(self)

    def readiness(self) -> dict[str, bool]:
        """Ready: the usable sets are served. A device refusing our credentials is the
        operator's to fix (status page, metric, alert), like an unusable set: waiting for it
        would only hold a rollout back."""
        served = [w for w in self.workers.values() if not w.login_refused]
        return {
            "initial_sync": self.contrail_synced and all(w.state.full_synced for w in served),
            "devices_reachable": all(w.state.reachable for w in served),
        }

    def stop(self, timeout: float = 10.0) -> None:
        """Let every worker finish its current key (and save), then return."""
        self.stopped = True
        self.queue.close()
        for worker in self.workers.values():
            worker.stopped = True
            worker.queue.close()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.ownership.stop()  # after the applies: our sets go to the others at once

    def _gauge(self) -> None:
        self.metrics.queue_depth.labels("contrail").set(len(self.queue))
        for key, worker in self.workers.items():
            self.metrics.queue_depth.labels(key).set(len(worker.queue))


def freeze_heap() -> None:
    """After a full read or a full pass most of the heap is long-lived state (the snapshot,
    the live cache): move it out of the cyclic collector's reach, so that the collections
    per-change garbage sets off scan what changed since, not every object of 10,000 load
    balancers — a full collection of that heap stalls the change that happens to set it
    off. Our state is acyclic, so what later becomes garbage is still freed when its last
    reference goes."""
    gc.freeze()


def _with_owned(
    snapshot: ContrailSnapshot, changed: Mapping[str, OwnedInstanceIp | None]
) -> ContrailSnapshot:
    owned = dict(snapshot.owned_ips)
    for name, ip in changed.items():
        if ip is None:
            owned.pop(name, None)
        else:
            owned[name] = ip
    return replace(snapshot, owned_ips=FrozenDict(owned))


def _within(snapshot: ContrailSnapshot, lb_uuid: str, scope: ReadScope | None) -> ContrailSnapshot:
    """The snapshot without the load balancer if it has left our scope (its workers, which
    know it, remove what they placed for it)."""
    lb = snapshot.load_balancers.get(lb_uuid)
    f5_sets = {s.uuid: s.name for s in snapshot.appliance_sets.values()}
    if scope is None or lb is None or scope.takes(lb, f5_sets):
        return snapshot
    return snapshot.with_load_balancer(lb_uuid, None, [], [], [], [], [])


def _terminates_tls(snapshot: ContrailSnapshot, lb_uuid: str) -> bool:
    return any(
        (snapshot.listeners[x].protocol or "").upper() == "TERMINATED_HTTPS"
        for x in snapshot.links().listeners_of.get(lb_uuid, ())
        if x in snapshot.listeners
    )


def _worker_specs(
    sas_uuid: str, settings: SetSettings
) -> dict[str, tuple[str, tuple[DeviceSettings, ...], str]]:
    """The workers a set needs, by key: one for the whole set in L3 mode, one for the
    active member of a config-sync pair, else one per device."""
    if networking.is_l3(settings):
        return {f"{settings.sas_name}/set": (sas_uuid, settings.devices, "set")}
    if settings.sync_mode == "config-sync" and len(settings.devices) > 1:
        return {f"{settings.sas_name}/active": (sas_uuid, settings.devices, "active")}
    return {_device_key(d): (sas_uuid, (d,), "device") for d in settings.devices}


def _device_key(device: DeviceSettings) -> str:
    return f"{device.name}@{device.address}:{device.port}"
