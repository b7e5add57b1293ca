"""Execute a device plan: per partition, one iControl transaction, in the plan's order.

A transaction is all or nothing, so the device is never left half-changed. When the device
rejects one command, the error names the object; the load balancers that own it are marked
failed, their operations are taken out and the rest of the partition is tried again — one
bad object never blocks the others (invariant 5). Transport failures (reset, 5xx, timeouts)
fail the partition for this pass; the next pass reads the device again and converges.
A pass that wrote anything ends with one ``save sys config``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.bigip.client import DeviceClient, DeviceError
from reconciler.logs import get_logger
from reconciler.model.resources import resource_type
from reconciler.plan.model import DevicePlan, Operation

log = get_logger("bigip.applier")
MAX_ROUNDS = 8


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
        return "POST", url, rtype.to_wire(obj)
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


def _culprit(error: DeviceError, ops: list[Operation]) -> Operation | None:
    """The operation the device's message names (longest name wins: pools vs members)."""
    message = str(error)
    best: Operation | None = None
    for op in ops:
        names = {op.obj.name, op.obj.wire_name or op.obj.name}
        if any(n and n in message for n in names) and (
            best is None or len(op.obj.name) > len(best.obj.name)
        ):
            best = op
    return best


def apply_plan(
    client: DeviceClient,
    plan: DevicePlan,
    save: bool = True,
) -> ApplyResult:
    """Apply; ``save=False`` leaves the ``save sys config`` to the caller (the daemon batches
    saves so a single change costs a single write)."""
    result = ApplyResult(plan.device)
    for partition, ops in _by_partition(plan).items():
        pending = list(ops)
        for _round in range(MAX_ROUNDS):
            if not pending:
                break
            try:
                _run_transaction(client, pending)
            except DeviceError as exc:
                culprit = None if exc.transient else _culprit(exc, pending)
                if culprit is None:
                    result.transport_failed = result.transport_failed or exc.transient
                    log.warning(
                        "apply failed", device=plan.device, partition=partition, error=str(exc)
                    )
                    result.errors.append(f"partition {partition}: {exc}")
                    for op in pending:
                        for lb in op.lbs:
                            result.failed_lbs.setdefault(lb, str(exc))
                    break
                lbs = culprit.lbs
                for lb in lbs:
                    result.failed_lbs[lb] = str(exc)
                if not lbs:
                    result.errors.append(f"{culprit.action} {culprit.obj.path}: {exc}")
                log.warning(
                    "device rejected an object; retrying the rest",
                    device=plan.device,
                    partition=partition,
                    object=culprit.obj.path,
                    error=str(exc),
                )
                pending = _without(pending, culprit, set(result.failed_lbs))
                continue
            result.applied.extend(pending)
            break
        else:
            result.errors.append(f"partition {partition}: gave up after {MAX_ROUNDS} rounds")
    if result.applied and save:
        try:
            client.save_config()
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


def _without(
    pending: list[Operation],
    culprit: Operation,
    failed_lbs: set[str],
) -> list[Operation]:
    """The operations left once the culprit and everything only failed LBs own are out."""
    keep = []
    for op in pending:
        if op.key == culprit.key or (op.lbs and op.lbs <= failed_lbs):
            continue
        keep.append(op)
    return keep


def _upload_files(client: DeviceClient, ops: list[Operation]) -> None:
    """Certificates and keys travel as files first; the install command then names them."""
    for op in ops:
        upload = resource_type(op.obj.kind).upload_name(op.obj)
        if op.action != "delete" and op.obj.payload is not None and upload is not None:
            client.upload(upload, op.obj.payload)


def _run_transaction(client: DeviceClient, ops: list[Operation]) -> None:
    _upload_files(client, ops)
    if len(ops) == 1:  # a transaction would cost two more round trips for nothing
        verb, url, body = request_for(client, ops[0])
        client.send(verb, url, body)
        return
    with client.transaction():
        for op in ops:
            verb, url, body = request_for(client, op)
            client.send(verb, url, body)
