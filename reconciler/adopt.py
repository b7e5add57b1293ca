"""``reconcile adopt``: take over a BIG-IP that the old chain configured, without taking its
services down (the matching and the reasons for a swap: ``reconciler/plan/adoption.py``).

Per F5 set and device: read the old chain's partitions and ours, match every load balancer
of the set to the old objects serving it, and — unless ``--dry-run`` — run one transaction
per load balancer (or per group whose old members share a node) that deletes the old
virtuals, virtual address, pools, monitors and the nodes only they used, and then creates
ours (whose members' nodes need those addresses free). Old objects that match no Contrail
object are listed and left alone, unless the operator, having read the list, asks for them
to go with ``--delete-unmatched``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from reconciler import user_agent
from reconciler.bigip.applier import run_transaction
from reconciler.bigip.client import DeviceClient, DeviceError
from reconciler.bigip.reader import read_live, read_partition
from reconciler.config import Config
from reconciler.contrail.reader import ContrailReader
from reconciler.logs import get_logger
from reconciler.model.bigip import BigIPObject, ObjectSet
from reconciler.model.resources import LiveContext, resource_type
from reconciler.plan.adoption import SCHEMES, Adoption, OldScheme, Swap, match
from reconciler.plan.conflicts import vip_of
from reconciler.plan.diff import DeleteGuard, diff
from reconciler.plan.model import Operation
from reconciler.plan.render import SYMBOLS
from reconciler.reconcile import ScopeMemory, translate_options, with_set_overrides
from reconciler.settings import DeviceSettings, SettingsError, settings_for
from reconciler.translate.desired import Options, belongs_to, translate

log = get_logger("adopt")


@dataclass
class AdoptResult:
    swaps: int = 0  # planned (dry run) or done
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unmatched: int = 0

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


def swap_operations(swap: Swap, ours: list[Operation]) -> list[Operation]:
    """One swap's transaction: the old virtuals and addresses go first (nothing may hold
    the address when ours comes), then what only they used — down to the nodes, which ours
    need (one node per address and route domain on a device) — and then ours are made."""
    names = ", ".join(lb.name for lb in swap.lbs)
    reason = f"replaced by load balancer {names}'s own objects"
    return [
        *(Operation("delete", o, reason=reason, code="replace") for o in swap.virtuals),
        *(Operation("delete", o, reason=reason, code="replace") for o in swap.addresses),
        *(
            Operation("delete", o, reason="only the replaced objects used it")
            for o in swap.leftovers
        ),
        *ours,
    ]


def _field_changes(swap: Swap, ours: Sequence[Operation]) -> list[str]:
    """What changes for traffic: the old virtuals' fields against ours (names aside)."""
    lines = []
    new_virtuals = [op.obj for op in ours if op.obj.kind == "ltm/virtual"]
    rtype = resource_type("ltm/virtual")
    for old in swap.virtuals:
        mine = next(
            (
                v
                for v in new_virtuals
                if v.fields.get("destination", "").rsplit("/", 1)[-1]
                == old.fields.get("destination", "").rsplit("/", 1)[-1]
            ),
            None,
        )
        if mine is None:
            continue
        for name, (was, now) in rtype.differences(mine, old).items():
            if name in ("destination", "pool", "description"):
                continue  # they name the partition and objects: they change by design
            lines.append(f"      ~ {old.path} → {mine.path}: {name}: {was} → {now}")
    return lines


def adopt(
    config: Config,
    vnc: Any,
    source: str,
    dry_run: bool = False,
    delete_unmatched: bool = False,
    sas_name: str | None = None,
    client_factory: Any = None,
    out: TextIO | None = None,
) -> AdoptResult:
    out = out or sys.stdout
    scheme = SCHEMES[source]
    snapshot = with_set_overrides(
        ContrailReader(vnc, config.sas_driver_pattern).read(), config.set_overrides
    )
    options: Options = translate_options(config, snapshot)
    prefix = config.environment_prefix
    result = AdoptResult()
    factory = client_factory or (
        lambda d: DeviceClient(
            d, verify=config.device_verify, timeout=config.device_timeout, user_agent=user_agent()
        )
    )
    f5_sets = [(s.uuid, s.name) for s in snapshot.appliance_sets.values()]
    vips = vip_of(snapshot)
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
            _adopt_device(
                factory(device),
                device,
                snapshot,
                settings,
                options,
                lbs,
                scheme,
                vips,
                prefix,
                dry_run,
                delete_unmatched,
                result,
                out,
            )
    verb = "would swap" if dry_run else "swapped"
    print(
        f"Adoption from the {source} chain: {verb} {result.swaps} load balancers; "
        f"{len(result.skipped)} left alone; {result.unmatched} old objects match nothing.",
        file=out,
    )
    return result


def _adopt_device(
    client: DeviceClient,
    device: DeviceSettings,
    snapshot: Any,
    settings: Any,
    options: Options,
    lbs: list[Any],
    scheme: OldScheme,
    vips: dict[str, str],
    prefix: str,
    dry_run: bool,
    delete_unmatched: bool,
    result: AdoptResult,
    out: TextIO,
) -> None:
    print(f"Device {device.name} ({device.address}:{device.port})", file=out)
    try:
        old = read_old(client, scheme)
        ours = read_live(client, prefix).objects
    except DeviceError as exc:
        result.errors.append(f"device {device.name}: not readable: {exc}")
        print(f"  ✗ not readable: {exc}", file=out)
        return
    adoption: Adoption = match(snapshot, lbs, old, scheme, vips)
    for line in adoption.skipped:
        print(f"  ✗ {line}", file=out)
    result.skipped.extend(adoption.skipped)
    wrote = False
    for swap in adoption.swaps:
        uuids = frozenset(lb.uuid for lb in swap.lbs)
        who = "Load balancer" if len(swap.lbs) == 1 else "Load balancers"
        desired = translate(snapshot, settings, options, only=uuids)
        if desired.errors:
            message = f"{who.lower()} {swap.names}: left alone: " + "; ".join(
                map(str, desired.errors)
            )
            result.skipped.append(message)
            print(f"  ✗ {message}", file=out)
            continue
        scope = ScopeMemory().scope(snapshot, uuids, options)
        ours_plan = diff(desired, ours, device.name, "", prefix, DeleteGuard(), scope=scope)
        ops = swap_operations(swap, [op for op in ours_plan.operations if op.action != "delete"])
        shared = " (their old members share nodes)" if len(swap.lbs) > 1 else ""
        print(f"  {who} {swap.names}: swap in one transaction{shared}", file=out)
        for op in ops:
            symbol = SYMBOLS[op.action]
            extra = f" (+{len(op.children)} members inline)" if op.children else ""
            print(f"    {symbol} {op.obj.kind} {op.obj.path}{extra}", file=out)
        for line in _field_changes(swap, ours_plan.operations):
            print(line, file=out)
        result.swaps += len(swap.lbs)
        if dry_run:
            continue
        try:
            run_transaction(client, ops)
            wrote = True
            log.info(
                "swapped", device=device.name, load_balancers=sorted(uuids), operations=len(ops)
            )
        except DeviceError as exc:
            result.errors.append(f"{who.lower()} {swap.names}: swap refused: {exc}")
            print(f"    ✗ refused, nothing changed: {exc}", file=out)
    result.unmatched += len(adoption.unmatched)
    if adoption.unmatched:
        what = "deleted (--delete-unmatched)" if delete_unmatched else "left alone"
        print(f"  Old objects matching no Contrail object ({what}):", file=out)
        for obj in adoption.unmatched:
            print(f"    = {obj.kind} {obj.path}", file=out)
    if delete_unmatched and adoption.unmatched and not dry_run:
        ordered = sorted(
            adoption.unmatched, key=lambda o: resource_type(o.kind).order, reverse=True
        )
        try:
            run_transaction(client, [Operation("delete", o) for o in ordered])
            wrote = True
        except DeviceError as exc:
            result.errors.append(f"deleting unmatched old objects: {exc}")
    if wrote:
        try:
            client.save_config()
        except DeviceError as exc:
            result.errors.append(f"device {device.name}: save sys config: {exc}")
