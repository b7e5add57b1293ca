"""What the status page shows beyond the daemon's own state: each device's last plan, the
changes applied per load balancer, and recent events — kept as the daemon works, assembled
into plain values on request (``statuspage.py`` renders them)."""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from reconciler import redaction
from reconciler.config import SECRET_KEYS
from reconciler.coordination import rendezvous_owner
from reconciler.daemon import statuspage
from reconciler.daemon.events import FULL_RESYNC
from reconciler.model.contrail import ContrailSnapshot
from reconciler.plan.status import lb_status
from reconciler.reconcile import Result
from reconciler.translate.desired import sets_of

if TYPE_CHECKING:
    from reconciler.daemon.controller import Controller, DeviceWorker


class StatusBoard:
    def __init__(self) -> None:
        self.plans: dict[str, dict[str, Any]] = {}  # device → its last plan (and last change)
        self.changes: dict[str, dict[str, Any]] = {}  # lb → the last change applied
        self.events: deque[dict[str, Any]] = deque(maxlen=statuspage.EVENTS_KEPT)

    def event(self, kind: str, message: str, level: str = "info", **about: Any) -> None:
        """One line of the status page's recent events (a ring buffer)."""
        fields = {k: v for k, v in about.items() if v is not None}
        self.events.append(
            {"at": time.time(), "kind": kind, "level": level, "message": message, **fields}
        )

    def record(self, worker: DeviceWorker, key: str, result: Result) -> None:
        """What the status page keeps of one reconcile: each device's plan, the changes
        applied per load balancer, and events (a device gone or back, what was applied)."""
        now, state = time.time(), worker.state
        first, was_reachable = state.last_reconcile is None, state.reachable
        state.last_reconcile, state.unavailable = now, dict(result.unavailable)
        if not result.reachable and (first or was_reachable):
            errors = "; ".join(f"{d}: {e}" for d, e in result.unavailable.items())
            message = f"{worker.name} not answering: {errors}"
            self.event("device-down", message, "error", device=worker.name)
        elif result.reachable and (first or not was_reachable):
            self.event("device-up", f"{worker.name} answers", device=worker.name)
        for device_plan in result.plan.devices:
            entry = statuspage.plan_entry(device_plan, worker.name, key, now)
            kept = self.plans.get(device_plan.device, {}).get("last_with_changes")
            self.plans[device_plan.device] = {
                "device": device_plan.device,
                "address": device_plan.address,
                "last": entry,
                "last_with_changes": entry if device_plan.operations else kept,
            }
        applied = 0
        for outcome in result.applied:
            applied += sum(op.objects for op in outcome.applied)
            for lb, ops in statuspage.applied_by_load_balancer(outcome.applied).items():
                self.changes[lb] = {
                    "at": now,
                    "device": outcome.device,
                    "count": len(ops),
                    "operations": ops[:10],
                }
        failures = [f"{a.device}: {e}" for a in result.applied for e in a.errors]
        failures += [
            f"{a.device}: {lb}: {r}" for a in result.applied for lb, r in a.failed_lbs.items()
        ]
        failures += result.contrail_failures
        if applied or failures:
            scope = "whole set" if key == FULL_RESYNC else f"load balancer {key}"
            message = f"{worker.name} ({scope}): applied {applied} of {result.plan.summary()}"
            if failures:
                message += "; failed: " + "; ".join(failures[:5])
            self.event("reconcile", message, "warning" if failures else "info", device=worker.name)

    def lb_transitions(
        self,
        before: dict[str, str | None],
        after: dict[str, str | None],
        snapshot: ContrailSnapshot | None,
    ) -> None:
        """Load balancers that went into ERROR or out of it (``before``: "" never reported)."""
        for uuid, reason in after.items():
            was = before.get(uuid)
            if reason == was or not (reason or was):
                continue
            lb = snapshot.load_balancers.get(uuid) if snapshot else None
            name = (lb.display_name or lb.name) if lb else uuid
            about: dict[str, Any] = {"lb": uuid, "project": lb.project_name if lb else None}
            if lb:
                about["project_uuid"] = lb.project_uuid
            if reason:
                self.event("lb-error", f"load balancer {name}: ERROR: {reason}", "error", **about)
            else:
                self.event("lb-active", f"load balancer {name} is ACTIVE again", **about)

    @staticmethod
    def _device_rows(worker: DeviceWorker) -> list[dict[str, Any]]:
        state, rows = worker.state, []
        for client in worker.clients:
            device = client.settings  # name and address only: never the credentials
            active = client is worker.client
            reachable: bool | None
            if state.last_reconcile is None:
                reachable = None
            elif device.name in state.unavailable:
                reachable = False
            elif len(worker.clients) == 1:
                reachable = state.reachable
            else:  # a config-sync pair's standby is not written, so not asked
                reachable = None if worker.config_sync and not active else True
            error = state.unavailable.get(device.name)
            if error is None and len(worker.clients) == 1 and state.unavailable:
                error = next(iter(state.unavailable.values()))
            login = client.logins.state
            rows.append(
                {
                    "name": device.name,
                    "address": f"{device.address}:{device.port}",
                    "worker": worker.name,
                    "role": ("active" if active else "standby") if worker.config_sync else None,
                    "reachable": reachable,
                    "full_synced": state.full_synced,
                    "last_sync": state.last_sync,
                    "last_reconcile": state.last_reconcile,
                    "down_since": worker.down_since_wall if worker.down_since is not None else None,
                    "queue_depth": len(worker.queue),
                    "error": error,
                    # refused credentials: how often in a row, since when, next attempt
                    "login_refused": dataclasses.asdict(login) if login else None,
                }
            )
        return rows

    def status(self, c: Controller) -> dict[str, Any]:
        """The daemon's state as plain values (JSON-able) for the status page: sets and
        their devices, load balancers, the last plan per device, recent events. Nothing in
        it is a credential (and any this process knows of is scrubbed from it anyway)."""
        snapshot = c.snapshot
        workers = list(c.workers.values())
        load_balancers: list[dict[str, Any]] = []
        counts: dict[str, list[int]] = {}  # set name → [load balancers, in error]
        for lb in sorted(
            snapshot.load_balancers.values() if snapshot else (),
            key=lambda lb: (lb.project_name, lb.display_name or lb.name, lb.uuid),
        ):
            assert snapshot is not None
            names = sorted(sets_of(lb, snapshot, c.config.claims))
            if not names:
                continue  # not an F5 set's
            if lb.uuid in c.results:
                reason = c._combined(lb.uuid)
                provisioning, operating, _ = lb_status(lb, reason, c.operating, c.degraded)
                why = reason or c.degraded.get(lb.uuid) or ""
                source = "reconciled by this replica"
            else:  # another replica's set, or not reconciled yet: what Contrail holds
                provisioning, operating = lb.provisioning_status, lb.operating_status
                text = str(lb.status or "")
                why = "" if text in ("", provisioning) else text
                source = "as Contrail has it"
            for name in names:
                tally = counts.setdefault(name, [0, 0])
                tally[0] += 1
                tally[1] += provisioning == "ERROR"
            load_balancers.append(
                {
                    "uuid": lb.uuid,
                    "name": lb.display_name or lb.name,
                    "project": lb.project_name,
                    "project_uuid": lb.project_uuid,
                    "sets": names,
                    "vip": lb.vip_address,
                    "provisioning_status": provisioning,
                    "operating_status": operating,
                    "reason": why,
                    "source": source,
                    "last_change": self.changes.get(lb.uuid),
                }
            )
        releasing = c.ownership.pending_release()
        replicas = sorted(getattr(c.ownership, "replicas", ()) or ())
        sets = []
        for sas in sorted(
            snapshot.appliance_sets.values() if snapshot else (), key=lambda s: s.name
        ):
            owner, unusable = None, c.unusable.get(sas.name)
            if sas.name in releasing:
                ownership = "this replica, handing it over"
            elif sas.uuid in c.sets:
                ownership = "this replica"
            elif unusable is not None:
                ownership = f"this replica, not reconciled: {unusable}"
            elif c.ownership.owns(sas.name):
                ownership = "this replica (its workers are starting)"
            else:
                ownership = "another replica"
                owner = rendezvous_owner(sas.name, replicas) if replicas else None
            tally = counts.get(sas.name, [0, 0])
            sets.append(
                {
                    "name": sas.name,
                    "uuid": sas.uuid,
                    "ownership": ownership,
                    "owner": owner,
                    "unusable": unusable,
                    "load_balancers": tally[0],
                    "in_error": tally[1],
                    "devices": [
                        row
                        for w in workers
                        if w.sas_uuid == sas.uuid
                        for row in self._device_rows(w)
                    ],
                }
            )
        ours = {c.name for w in workers for c in w.clients}
        data = {
            "generated_at": time.time(),
            "contrail_synced": c.contrail_synced,
            "contrail_queue_depth": len(c.queue),
            "sets": sets,
            "load_balancers": load_balancers,
            "plans": [self.plans[d] for d in sorted(self.plans) if d in ours],
            "events": list(reversed(self.events)),
        }
        redaction.remember(_secrets(c))
        return dict(redaction.redact_all(data))


def _secrets(c: Controller) -> list[str]:
    found = [d.password.reveal() for s in c.sets.values() for d in s.devices]
    for name in SECRET_KEYS:
        secret = getattr(c.config, name, None)
        if secret is not None:
            found.append(secret.reveal())
    found += [entry.password.reveal() for entry in c.config.credentials]
    for sas in c.snapshot.appliance_sets.values() if c.snapshot else ():
        password = sas.properties.get("password")
        if password is not None:
            found.append(password.reveal() if hasattr(password, "reveal") else str(password))
        found += [a.password.reveal() for a in sas.appliances if a.password is not None]
    return found
