"""``reconcile adopt``: take over a BIG-IP that the old chain configured, without taking its
services down (the matching, the swaps and why: ``reconciler/plan/adoption.py``).

The same three steps as every pass: read (Contrail once; per device the old chain's
partitions, ours, and the virtuals of ``/Common`` that may use old pools), plan (pure:
``plan_adoption`` — a transaction that prepares our partitions, then one per load balancer,
or per group whose old members share a node, deleting the old objects and creating ours),
then — unless ``--dry-run`` — apply that plan with the applier, which runs each labelled
transaction in turn. The plan is printed by the renderer every pass uses (``--output
json`` too). Old objects that match no Contrail object are listed and left alone, unless the
operator, having read the list, asks for them to go with ``--delete-unmatched``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from reconciler.bigip.applier import ApplyResult, apply_plan
from reconciler.bigip.client import DeviceClient, DeviceError
from reconciler.bigip.reader import read_live, read_partition
from reconciler.config import Config
from reconciler.contrail.reader import ContrailReader
from reconciler.logs import get_logger
from reconciler.model.bigip import BigIPObject, ObjectSet
from reconciler.model.contrail import ContrailSnapshot, LoadBalancer
from reconciler.model.resources import LiveContext, resource_type
from reconciler.naming import COMMON, old_chain_source
from reconciler.plan.adoption import SCHEMES, AdoptionPlan, OldScheme, match, plan_adoption
from reconciler.plan.conflicts import vip_of
from reconciler.plan.diff import DeleteGuard, diff
from reconciler.plan.model import DevicePlan, Plan
from reconciler.plan.render import render_json, render_text
from reconciler.reconcile import (
    ScopeMemory,
    device_clients,
    translate_options,
    with_conflicts,
    with_set_overrides,
)
from reconciler.settings import DeviceSettings, SetSettings, SettingsError, settings_for
from reconciler.translate.desired import Options, belongs_to, translate

log = get_logger("adopt")


@dataclass
class AdoptResult:
    swaps: int = 0  # load balancers planned (dry run) or whose swap committed
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # left alone or predicted refused
    unmatched: int = 0
    plan: Plan = field(default_factory=Plan)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.skipped


def read_old(client: DeviceClient, scheme: OldScheme) -> ObjectSet:
    """The live objects of the old chain's partitions (``Project_*``, ``uuid_*``)."""
    folders = [
        str(f["name"])
        for f in client.collection("sys/folder")
        if str(f.get("name", "")).startswith(scheme.prefix) and f.get("subPath", "/") == "/"
    ]
    default_rds = {
        str(p["name"]): int(p.get("defaultRouteDomain", 0) or 0)
        for p in client.collection("auth/partition")
    }
    objects: list[BigIPObject] = []
    for partition in folders:
        objects.extend(
            read_partition(client, LiveContext(partition, default_rds.get(partition, 0)))
        )
    return ObjectSet(objects)


def plan_device(
    device: DeviceSettings,
    snapshot: ContrailSnapshot,
    settings: SetSettings,
    options: Options,
    lbs: list[LoadBalancer],
    scheme: OldScheme,
    old: ObjectSet,
    ours: ObjectSet,
    delete_unmatched: bool,
) -> AdoptionPlan:
    """One device's adoption plan (pure): match, translate the matched load balancers with
    the conflict check every pass makes, diff them against our live objects, and lay the
    result out as swap transactions. ``ours`` is the live read, with the ``/Common``
    virtuals that use our or the old chain's objects (they keep what they use)."""
    outside = [o for o in ours.values() if o.partition == COMMON and resource_type(o.kind).listens]
    adoption = match(snapshot, lbs, old, scheme, vip_of(snapshot), outside)
    uuids = frozenset(lb.uuid for swap in adoption.swaps for lb in swap.lbs)
    # The old chain's objects hold the VIPs now: they go in the swaps, so they claim nothing.
    mine = ObjectSet(o for o in ours.values() if not old_chain_source(o.partition))
    options = with_conflicts(snapshot, settings, options, [mine])
    desired = translate(snapshot, settings, options, only=uuids)
    errors = {e.lb_uuid: str(e) for e in desired.errors if e.lb_uuid}
    scope = ScopeMemory().scope(snapshot, uuids, options)
    address = f"{device.address}:{device.port}"
    ours_plan = diff(
        desired, ours, device.name, address, options.prefix, DeleteGuard(), scope=scope
    )
    creates = [op for op in ours_plan.operations if op.action != "delete"]
    return plan_adoption(adoption, creates, errors, old, device.name, address, delete_unmatched)


def adopt(
    config: Config,
    vnc: Any,
    source: str,
    dry_run: bool = False,
    delete_unmatched: bool = False,
    sas_name: str | None = None,
    client_factory: Callable[[DeviceSettings], DeviceClient] | None = None,
    out: TextIO | None = None,
    output: str = "text",
) -> AdoptResult:
    out = out or sys.stdout
    scheme = SCHEMES[source]
    snapshot = with_set_overrides(
        ContrailReader(vnc, config.sas_driver_pattern).read(), config.set_overrides
    )
    options: Options = translate_options(config, snapshot)
    factory = client_factory or device_clients(config)
    result = AdoptResult()
    devices: list[DevicePlan] = []
    f5_sets = [(s.uuid, s.name) for s in snapshot.appliance_sets.values()]
    for sas in sorted(snapshot.appliance_sets.values(), key=lambda s: s.name):
        if sas_name and sas.name != sas_name:
            continue
        try:
            settings = settings_for(sas, config.credentials_for(sas.name))
        except SettingsError as exc:
            result.errors.append(str(exc))
            continue
        lbs = [
            lb
            for lb in snapshot.load_balancers.values()
            if belongs_to(lb, settings, options.claims, f5_sets)
        ]
        for device in settings.devices:
            client = factory(device)
            try:
                old = read_old(client, scheme)
                ours = read_live(client, options.prefix).objects
            except DeviceError as exc:
                address = f"{device.address}:{device.port}"
                devices.append(DevicePlan(device.name, address, error=str(exc)))
                result.errors.append(f"device {device.name}: not readable: {exc}")
                continue
            planned = plan_device(
                device, snapshot, settings, options, lbs, scheme, old, ours,
                delete_unmatched,
            )  # fmt: skip
            devices.append(planned.device)
            result.skipped.extend(planned.notes)
            result.unmatched += planned.unmatched
            if dry_run:
                result.swaps += sum(len(u) for u in planned.swaps.values())
                continue
            applied = apply_plan(client, planned.device)
            result.swaps += _committed(planned, applied)
            result.errors.extend(f"device {device.name}: {e}" for e in applied.errors)
    result.plan = Plan(devices=tuple(devices), notes=tuple(result.skipped))
    if output == "json":
        print(render_json(result.plan), file=out)
        return result
    print(render_text(result.plan), file=out)
    verb = "would swap" if dry_run else "swapped"
    print(
        f"Adoption from the {source} chain: {verb} {result.swaps} load balancers; "
        f"{len(result.skipped)} left alone or refused; {result.unmatched} old objects match "
        "nothing.",
        file=out,
    )
    return result


def _committed(planned: AdoptionPlan, applied: ApplyResult) -> int:
    """Load balancers whose swap transaction the device committed."""
    done = {op.transaction for op in applied.applied}
    count = 0
    for label, uuids in planned.swaps.items():
        if label in done:
            count += len(uuids)
            log.info("swapped", device=applied.device, transaction=label)
    return count
