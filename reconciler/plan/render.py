"""Show a plan to a person (text, coloured in a terminal) or to a program (JSON).

The text form groups operations by device and partition, marks them ``+`` create,
``~`` update (``field: old → new``) and ``-`` delete, names the Contrail object behind each,
and ends with a one-line summary. Credentials are never part of a plan, so never shown.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.model.values import thaw
from reconciler.plan.model import ContrailChange, DevicePlan, Operation, Plan

COLOURS = {"create": "\033[32m", "update": "\033[33m", "delete": "\033[31m", "error": "\033[31m"}
RESET, BOLD, DIM = "\033[0m", "\033[1m", "\033[2m"
SYMBOLS = {"create": "+", "update": "~", "delete": "-"}


def _value(value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict) or hasattr(value, "items"):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    return str(value)


class _Text:
    def __init__(self, colour: bool) -> None:
        self.colour = colour
        self.lines: list[str] = []

    def paint(self, text: str, style: str) -> str:
        return f"{style}{text}{RESET}" if self.colour else text

    def operation(self, op: Operation) -> None:
        symbol = self.paint(SYMBOLS[op.action], COLOURS[op.action])
        source = f"  {self.paint('← ' + str(op.source), DIM)}" if op.source else ""
        reason = f" ({op.reason})" if op.reason else ""
        self.lines.append(f"    {symbol} {op.obj.kind} {op.obj.path}{reason}{source}")
        if op.action == "create":
            for name, value in op.obj.fields.items():
                self.lines.append(f"        {name}: {_value(value)}")
            for child in op.children:  # created in the same request
                self.lines.append(f"        {symbol} {child.kind} {child.name}")
                for name, value in child.fields.items():
                    self.lines.append(f"            {name}: {_value(value)}")
        for change in op.changes:
            self.lines.append(f"        {change.name}: {_value(change.old)} → {_value(change.new)}")

    def device(self, device: DevicePlan) -> None:
        self.lines.append(self.paint(f"Device {device.device} ({device.address})", BOLD))
        if device.error:
            self.lines.append(self.paint(f"  ✗ not reachable: {device.error}", COLOURS["error"]))
            return
        current = None
        for op in device.operations:
            # A labelled transaction (an adoption's swap) spans partitions: its label heads it.
            heading = op.transaction or f"Partition {op.obj.partition}"
            if heading != current:
                current = heading
                self.lines.append(f"  {current}")
            self.operation(op)
        if not device.operations:
            self.lines.append("  no changes")
        if device.guard:
            self.lines.append(self.paint(f"  ✗ {device.guard}", COLOURS["error"]))
            for op in device.refused:
                self.lines.append(f"    (held back) - {op.obj.kind} {op.obj.path}")
        if device.kept:
            self.lines.append(f"  Kept (still used by what stays): {len(device.kept)}")
            for obj, users in device.kept:
                self.lines.append(f"    = {obj.kind} {obj.path} (used by {', '.join(users)})")
        if device.foreign:
            self.lines.append(f"  Left alone (not created by us): {len(device.foreign)}")
            for obj in device.foreign:
                self.lines.append(f"    = {obj.kind} {obj.path}")
        if device.others:
            sets = sorted({name for _obj, name in device.others})
            self.lines.append(
                f"  Left to service-appliance-set {', '.join(sets)}: {len(device.others)}"
            )
            for obj, name in device.others:
                self.lines.append(f"    = {obj.kind} {obj.path} (set {name})")


def _contrail_text(out: _Text, changes: tuple[ContrailChange, ...]) -> None:
    out.lines.append(out.paint("Contrail", BOLD))
    for change in changes:
        symbol = out.paint(SYMBOLS[change.action], COLOURS[change.action])
        notes = [n for n in (change.reason, "done before the device apply" if change.done else "")]
        reason = "".join(f" ({n})" for n in notes if n)
        source = f"  {out.paint('← ' + change.source, DIM)}" if change.source else ""
        out.lines.append(f"    {symbol} {change.type} {change.path}{reason}{source}")
        if change.action == "create":
            for name, value in change.fields.items():
                out.lines.append(f"        {name}: {_value(value)}")
        for field_change in change.changes:
            out.lines.append(
                f"        {field_change.name}: {_value(field_change.old)} → "
                f"{_value(field_change.new)}"
            )


def render_text(plan: Plan, colour: bool = False) -> str:
    out = _Text(colour)
    for device in plan.devices:
        out.device(device)
    if plan.contrail:
        _contrail_text(out, plan.contrail)
    if plan.errors or plan.notes:
        out.lines.append(out.paint("Errors (these objects are left as they are):", BOLD))
        for note in plan.notes:
            out.lines.append(out.paint(f"  ✗ {note}", COLOURS["error"]))
        for error in plan.errors:
            out.lines.append(out.paint(f"  ✗ {error}", COLOURS["error"]))
    if not plan.devices and not plan.errors and not plan.notes:
        out.lines.append("No F5 service-appliance-set found in Contrail.")
    out.lines.append(out.paint(f"Plan: {plan.summary()}.", BOLD))
    return "\n".join(out.lines)


#: Bumped when a field changes meaning or goes away (additions keep the version).
#: 2: ``format_version``, ``actions``, ``reason_code``, ``loadbalancers``, ``other_sets``.
JSON_FORMAT_VERSION = 2


def plan_to_json(plan: Plan) -> dict[str, Any]:
    def op(o: Operation) -> dict[str, Any]:
        return {
            "action": o.action,
            "actions": list(o.actions),
            "reason_code": o.reason_code,
            "loadbalancers": sorted(o.lbs),
            "members": [
                {"kind": c.kind, "name": c.name, "fields": thaw(c.fields)} for c in o.children
            ],
            "kind": o.obj.kind,
            "partition": o.obj.partition,
            "name": o.obj.name,
            "parent": o.obj.parent or None,
            "path": o.obj.path,
            "fields": thaw(o.obj.fields) if o.action != "delete" else None,
            "changes": [
                {"field": c.name, "old": thaw(c.old), "new": thaw(c.new)} for c in o.changes
            ],
            "reason": o.reason or None,
            "transaction": o.transaction or None,
            "source": (
                {"type": o.source.type, "uuid": o.source.uuid, "name": o.source.name}
                if o.source
                else None
            ),
        }

    counts = plan.counts()
    return {
        "format_version": JSON_FORMAT_VERSION,
        "summary": dict(counts),
        "devices": [
            {
                "device": d.device,
                "address": d.address,
                "error": d.error or None,
                "guard": d.guard or None,
                "operations": [op(o) for o in d.operations],
                "refused": [op(o) for o in d.refused],
                "foreign": [{"kind": f.kind, "path": f.path} for f in d.foreign],
                "kept": [
                    {"kind": o.kind, "path": o.path, "used_by": list(users)} for o, users in d.kept
                ],
                "other_sets": [
                    {"kind": o.kind, "path": o.path, "service_appliance_set": name}
                    for o, name in d.others
                ],
            }
            for d in plan.devices
        ],
        "errors": [
            {
                "type": e.ref.type,
                "uuid": e.ref.uuid,
                "name": e.ref.name,
                "field": e.field,
                "reason": e.reason,
                "reason_code": e.code,
                "loadbalancer": e.lb_uuid,
            }
            for e in plan.errors
        ],
        "notes": list(plan.notes),
        "contrail": [
            {
                "action": c.action,
                "type": c.type,
                "fq_name": list(c.fq_name),
                "uuid": c.uuid,
                "fields": thaw(c.fields) if c.action != "delete" else None,
                "changes": [
                    {"field": x.name, "old": thaw(x.old), "new": thaw(x.new)} for x in c.changes
                ],
                "reason": c.reason or None,
                "source": c.source or None,
                "loadbalancers": sorted(c.lbs),
                "done": c.done,
            }
            for c in plan.contrail
        ],
    }


def render_json(plan: Plan) -> str:
    return json.dumps(plan_to_json(plan), indent=2, sort_keys=False)
