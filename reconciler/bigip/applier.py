"""Execute a device plan: per partition, one iControl transaction, in the plan's order.

A transaction is all or nothing, so the device is never left half-changed. When the device
refuses a partition's transaction, the partition is applied again one load balancer at a
time (shared objects first, stale deletes last): the load balancers whose own transaction
fails are marked failed and the rest are applied in the same pass — one bad object never
blocks the others (invariant 5), and the culprit is the command that failed, not whatever
object the device's message happens to name. Transport failures (reset, 5xx, timeouts)
fail the partition for this pass; the next pass reads the device again and converges.
A pass that wrote anything ends with one ``save sys config`` of the partitions it wrote.

Partitions are independent (every object we write lives in its project's partition and
refers only to that partition and ``/Common``), so they are applied side by side over the
client's pool of connections (``bigip/parallel``): one partition's transaction per
connection, the order within a partition and its all-or-nothing kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from reconciler.bigip import parallel
from reconciler.bigip.client import DeviceClient, DeviceError
from reconciler.logs import get_logger
from reconciler.model.resources import resource_type
from reconciler.plan.model import DevicePlan, Operation
from reconciler.plan.saves import save_scope

log = get_logger("bigip.applier")


@dataclass
class ApplyResult:
    device: str
    applied: list[Operation] = field(default_factory=list)
    failed_lbs: dict[str, str] = field(default_factory=dict)  # lb uuid → device's reason
    errors: list[str] = field(default_factory=list)  # partition-level failures
    saved: bool = False
    transport_failed: bool = False  # reset, timeout, 5xx: the device, not our config

    @property
    def ok(self) -> bool:
        return not self.errors and not self.failed_lbs

    @property
    def objects(self) -> int:
        """Objects written (a pool with its members inline counts them all)."""
        return sum(op.objects for op in self.applied)


def request_for(client: DeviceClient, op: Operation) -> tuple[str, str, dict | None]:
    """The verb, URL and body of one operation."""
    obj = op.obj
    rtype = resource_type(obj.kind)
    if op.action != "delete" and rtype.installs:
        return "POST", client.base + rtype.path, rtype.to_wire(obj)  # install replaces
    if op.action == "create":
        url = (
            client.url(rtype.path, obj.partition, parent=obj.parent)
            if obj.parent
            else (client.base + rtype.path)
        )
        return "POST", url, rtype.with_children(rtype.to_wire(obj), op.children)
    url = client.url(rtype.path, obj.partition, rtype.wire_name(obj), parent=obj.parent)
    if op.action == "update":
        fields = {change.name: obj.fields[change.name] for change in op.changes}
        return "PATCH", url, rtype.wire_fields(fields)
    return "DELETE", url, None


def _by_partition(plan: DevicePlan) -> dict[str, list[Operation]]:
    groups: dict[str, list[Operation]] = {}
    for op in plan.operations:
        groups.setdefault(op.obj.partition, []).append(op)
    return groups


def apply_plan(
    client: DeviceClient,
    plan: DevicePlan,
    save: bool = True,
    on_partition: Callable[[ApplyResult], None] | None = None,
) -> ApplyResult:
    """Apply; ``save=False`` leaves the ``save sys config`` to the caller (the daemon batches
    saves so a single change costs a single write). ``on_partition(result)``: called in the
    calling thread with each partition's own result as it is done (progress, and statuses
    written while the other partitions are still applied)."""
    result = ApplyResult(plan.device)
    if any(op.transaction for op in plan.operations):
        _apply_transactions(client, plan, result)
        return _saved(client, plan, result, save)
    groups = list(_by_partition(plan).items())

    def one(connection: DeviceClient, group: tuple[str, list[Operation]]) -> ApplyResult:
        part = ApplyResult(plan.device)  # each partition's own: merged below, in plan order
        _apply_partition(connection, plan, group[0], group[1], part)
        return part

    def done(_index: int, part: ApplyResult) -> None:
        if on_partition is not None:
            on_partition(part)

    # A partition that is not a project's (``Common``) goes alone and first.
    first = [g for g in groups if g[0] == "Common"]
    parts = [one(client, g) for g in first]
    for part in parts:
        done(0, part)
    parts += parallel.each(client, [g for g in groups if g[0] != "Common"], one, done)
    for part in parts:
        result.applied.extend(part.applied)
        for lb, reason in part.failed_lbs.items():
            result.failed_lbs.setdefault(lb, reason)
        result.errors.extend(part.errors)
        result.transport_failed = result.transport_failed or part.transport_failed
    return _saved(client, plan, result, save)


def _saved(client: DeviceClient, plan: DevicePlan, result: ApplyResult, save: bool) -> ApplyResult:
    if result.applied and save:
        try:
            client.save_config(save_scope(result.applied).partitions)
            result.saved = True
        except DeviceError as exc:
            result.errors.append(f"save sys config: {exc}")
    log.info(
        "applied",
        device=plan.device,
        operations=len(result.applied),
        failed_load_balancers=len(result.failed_lbs),
        errors=len(result.errors),
    )
    return result


def _apply_transactions(client: DeviceClient, plan: DevicePlan, result: ApplyResult) -> None:
    """Labelled operations: one transaction per label, one after the other (an adoption's
    swaps). A refused one changes nothing and the next still goes; once the device stops
    answering, the rest are not tried."""
    groups: dict[str, list[Operation]] = {}
    for op in plan.operations:
        groups.setdefault(op.transaction, []).append(op)
    for label, ops in groups.items():
        if result.transport_failed:
            for op in ops:
                for lb in op.lbs:
                    result.failed_lbs.setdefault(lb, "not tried: the device stopped answering")
            continue
        try:
            run_transaction(client, ops)
        except DeviceError as exc:
            if exc.transient:
                _failed(result, label, ops, exc)
                continue
            log.warning("device refused a transaction", device=plan.device, transaction=label)
            result.errors.append(f"{label}: refused, nothing changed: {exc}")
            for op in ops:
                for lb in op.lbs:
                    result.failed_lbs.setdefault(lb, str(exc))
            continue
        result.applied.extend(ops)


def _apply_partition(
    client: DeviceClient,
    plan: DevicePlan,
    partition: str,
    ops: list[Operation],
    result: ApplyResult,
) -> None:
    """One partition: one transaction, or one per load balancer when the device refuses."""
    try:
        run_transaction(client, ops)
    except DeviceError as exc:
        if exc.transient:
            _failed(result, f"partition {partition}", ops, exc)
            return
        # The device refused something. Its message may name an object that already stood
        # there (another load balancer's), so do not guess from it: apply the partition one
        # load balancer at a time and see whose transaction fails.
        log.warning(
            "device refused the partition; applying it load balancer by load balancer",
            device=plan.device,
            partition=partition,
            error=str(exc),
        )
        _apply_by_load_balancer(client, partition, ops, result)
        return
    result.applied.extend(ops)


def _failed(result: ApplyResult, where: str, ops: list[Operation], exc: DeviceError) -> None:
    """A transaction that did not happen (``where``: its partition, or its label): its
    load balancers are not in place."""
    # A fenced write never left us: that is this replica's turn, not the device's health.
    result.transport_failed = result.transport_failed or (exc.transient and not exc.fenced)
    log.warning("apply failed", device=result.device, where=where, error=str(exc))
    result.errors.append(f"{where}: {exc}")
    for op in ops:
        for lb in op.lbs:
            result.failed_lbs.setdefault(lb, str(exc))


def _groups(ops: list[Operation]) -> list[list[Operation]]:
    """The partition's operations as separately applicable groups, in the plan's order:
    objects several load balancers share (the folder, a shared node or monitor) first, then
    each load balancer's own, then what serves none any more (stale deletes)."""
    shared: list[Operation] = []
    own: dict[str, list[Operation]] = {}
    stale: list[Operation] = []
    for op in ops:
        if len(op.lbs) > 1:
            shared.append(op)
        elif op.lbs:
            own.setdefault(next(iter(op.lbs)), []).append(op)
        else:
            stale.append(op)
    return [g for g in (shared, *own.values(), stale) if g]


def _apply_by_load_balancer(
    client: DeviceClient, partition: str, ops: list[Operation], result: ApplyResult
) -> None:
    failed: set[str] = set()
    for group in _groups(ops):
        lbs = frozenset().union(*(op.lbs for op in group))
        if lbs and lbs <= failed:
            continue  # what it builds on was refused already
        try:
            run_transaction(client, group)
        except DeviceError as exc:
            if exc.transient:
                _failed(result, f"partition {partition}", group, exc)
                return
            failed |= lbs
            for lb in lbs:
                result.failed_lbs.setdefault(lb, str(exc))
            if not lbs:
                result.errors.append(f"partition {partition}: {exc}")
            log.warning(
                "device refused a load balancer's objects",
                device=result.device,
                partition=partition,
                load_balancers=sorted(lbs),
                error=str(exc),
            )
            continue
        result.applied.extend(group)


def _upload_files(client: DeviceClient, ops: list[Operation]) -> None:
    """Certificates and keys travel as files first; the install command then names them."""
    for op in ops:
        upload = resource_type(op.obj.kind).upload_name(op.obj)
        if op.action != "delete" and op.obj.payload is not None and upload is not None:
            client.upload(upload, op.obj.payload)


def run_transaction(client: DeviceClient, ops: list[Operation]) -> None:
    _upload_files(client, ops)
    if len(ops) == 1:  # a transaction would cost two more round trips for nothing
        verb, url, body = request_for(client, ops[0])
        client.send(verb, url, body)
        return
    with client.transaction():
        for op in ops:
            verb, url, body = request_for(client, op)
            client.send(verb, url, body)
