"""``reconcile --once``: one pass over every F5 set (or one), planned, then (unless a dry run)
applied, with the statuses written back.

The pass itself is :class:`reconciler.reconcile.SetReconciler`, the same code the daemon
runs. This module adds what only a one-shot run does: read Contrail once for all sets (a
failed read stops the pass before anything is planned, so an outage never turns into
deletes), take each set's turn beside running replicas (ZooKeeper), collect every set's
plan into one, and write each load balancer's statuses as soon as it is on the device.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.bigip.applier import ApplyResult
from reconciler.bigip.client import DeviceClient
from reconciler.config import Config
from reconciler.contrail.connect import Connections
from reconciler.contrail.reader import ContrailReader
from reconciler.contrail.scope import ReadScope
from reconciler.contrail.status import StatusWriter
from reconciler.coordination import OneShotClaims
from reconciler.logs import get_logger
from reconciler.model.contrail import ContrailSnapshot
from reconciler.plan.model import Plan
from reconciler.plan.status import StatusUpdate, expected_operating, plan_status
from reconciler.progress import Progress
from reconciler.reconcile import (
    Request,
    SetReconciler,
    Target,
    Verdict,
    delete_guard,
    device_clients,
    sets_sharing_devices,
    translate_options,
    with_set_overrides,
)
from reconciler.settings import DeviceSettings, SetSettings, SettingsError, settings_for

log = get_logger("once")

LB_ONLY = frozenset({"loadbalancer"})

ClientFactory = Callable[[DeviceSettings], DeviceClient]


@dataclass
class PassResult:
    plan: Plan
    applied: list[ApplyResult] = field(default_factory=list)
    status_failures: list[str] = field(default_factory=list)
    lb_results: dict[str, str | None] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # sets a running replica holds
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not self.plan.has_errors
            and all(r.ok for r in self.applied)
            and not self.status_failures
            and not self.skipped
            and all(v is Verdict.DONE for v in self.verdicts)
        )


class Reconciler:
    """Holds the long-lived pieces (Contrail client, device connections) between passes."""

    def __init__(
        self,
        config: Config,
        vnc: Any,
        client_factory: ClientFactory | None = None,
        claims: OneShotClaims | None = None,
    ) -> None:
        self.config = config
        self.vnc = vnc
        self.contrail = Connections(config, vnc)  # the status write-back's, side by side
        self.claims = claims  # ZooKeeper configured: write only the sets no replica holds
        self.reader = ContrailReader(vnc, config.sas_driver_pattern)
        self._factory = client_factory or device_clients(config)
        self._clients: dict[tuple[str, int, str], DeviceClient] = {}

    def close(self) -> None:
        """Log out of every device (its tokens count against the device's limit per user)."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def client_for(self, device: DeviceSettings) -> DeviceClient:
        key = (device.address, device.port, device.username)
        client = self._clients.get(key)
        if client is None or client.settings != device:
            client = self._clients[key] = self._factory(device)
        return client

    def set_reconciler(
        self,
        settings: SetSettings,
        progress: Progress | None = None,
        on_settled: Callable[[frozenset[str]], None] | None = None,
    ) -> SetReconciler:
        # one pass: nothing to keep a device's live state for once it is planned
        targets = [Target(self.client_for(d), one_shot=True) for d in settings.devices]
        if self.claims is not None:  # writes go out only while this pass holds the set
            fence = functools.partial(self.claims.fence, settings.sas_name)
            for target in targets:
                target.client.fence = fence
        return SetReconciler(
            self.vnc,
            targets,
            config_sync=_config_sync(settings),
            progress=progress,
            on_settled=on_settled,
        )

    def run(
        self,
        dry_run: bool = False,
        sas_name: str | None = None,
        allow_mass_delete: bool = False,
    ) -> PassResult:
        snapshot = with_set_overrides(
            self.reader.read(self._scope(sas_name)), self.config.set_overrides
        )
        options = translate_options(self.config, snapshot)  # certificates read once
        guard = delete_guard(self.config, snapshot, allow_mass_delete)
        plans: list[Plan] = []
        notes: list[str] = []
        result = PassResult(Plan())
        operating: dict[str, str] = {}
        progress = Progress("reconcile --once") if not dry_run else None
        # A load balancer's statuses go out as soon as it is on the device, its own first,
        # while the rest is still applied (over the Contrail connections, off the device's
        # path); at the end only what the device's answer changed: the operating status it
        # reports, or an ERROR found after (a VIP route).
        statuses = StatusWriter(self.vnc, snapshot, self.contrail)
        early: set[str] = set()
        written: dict[str, tuple[tuple[str, Any], ...]] = {}

        def submit(updates: list[StatusUpdate]) -> None:
            written.update((update.uuid, update.values) for update in updates)
            statuses.submit(updates)

        def settled(lbs: frozenset[str]) -> None:
            early.update(lbs)
            expected = expected_operating(snapshot, lbs)
            submit(plan_status(snapshot, dict.fromkeys(lbs), expected, written=written))

        sets = sorted(snapshot.appliance_sets.values(), key=lambda s: s.name)
        if sas_name and not any(s.name == sas_name for s in sets):
            notes.append(f"no F5 service-appliance-set named {sas_name!r} in Contrail")
        for sas in sets:
            if sas_name and sas.name != sas_name:
                continue
            try:
                settings = settings_for(sas, self.config.credentials_for(sas.name))
            except SettingsError as exc:
                notes.append(str(exc))
                continue
            if not dry_run and not self._take_turn(sas.name, notes, result):
                continue  # a running replica holds it: nothing read, allocated or written
            request = Request(snapshot, settings, options, guard, dry_run=dry_run)
            reconciler = self.set_reconciler(settings, progress, None if dry_run else settled)
            outcome = reconciler.run(request)
            plans.append(outcome.plan)
            result.applied.extend(outcome.applied)
            result.lb_results.update(outcome.lb_results)
            result.status_failures.extend(outcome.contrail_failures)
            result.verdicts.append(outcome.verdict)
            for lb, status in outcome.operating.items():
                operating.setdefault(lb, status)
        result.plan = Plan.merge(plans, notes)
        if dry_run:
            return result
        if progress is not None:
            progress.finish()
        # What was written early is not planned again: those load balancers' own status,
        # where the operating status differs from what was written.
        later = {lb: r for lb, r in result.lb_results.items() if r is not None or lb not in early}
        done = {lb: r for lb, r in result.lb_results.items() if lb not in later}
        submit(plan_status(snapshot, later, operating, written=written))
        submit(plan_status(snapshot, done, operating, types=LB_ONLY, written=written))
        result.status_failures += statuses.close()
        log.info(
            "pass done",
            summary=result.plan.summary(),
            errors=len(result.plan.errors),
            status_writes=statuses.submitted,
            ok=result.ok,
        )
        return result

    def _scope(self, sas_name: str | None) -> ReadScope | None:
        """Everything, or with ``--sas`` that set's load balancers and those of the sets
        sharing a device with it (conflict detection compares them all)."""
        if not sas_name:
            return None
        sets = with_set_overrides(
            ContrailSnapshot(appliance_sets=self.reader.read_sets()), self.config.set_overrides
        )
        names = {sas_name} | sets_sharing_devices(sets, {sas_name}, self.config)
        return ReadScope(frozenset(names), self.config.claims)

    def _take_turn(self, name: str, notes: list[str], result: PassResult) -> bool:
        """With ZooKeeper configured, a pass that writes holds each set's owner node from
        before it allocates anything until it ends; a set a replica holds is left to it."""
        if self.claims is None:
            return True
        holder = self.claims.claim(name)
        if holder is None:
            return True
        message = (
            f"service-appliance-set {name} is reconciled by replica {holder} "
            f"(zookeeper {self.config.zk_root}); nothing written for it"
        )
        notes.append(message)
        result.skipped.append(message)
        log.warning("set held by a replica; skipped", sas=name, replica=holder)
        return False


def _config_sync(settings: SetSettings) -> bool:
    return settings.sync_mode == "config-sync" and len(settings.devices) > 1
