"""The plan: a value that the renderer prints and the applier executes (like Terraform's).

Operations are in the order they must run on the device; each names the BIG-IP object, the
fields that change (old → new) and the Contrail object behind it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.bigip.objects import BigIPObject, ObjectKey
from reconciler.contrail.model import ObjectRef
from reconciler.translate import ObjectError

Action = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Operation:
    action: Action
    obj: BigIPObject  # the desired object (create, update) or the live one (delete)
    changes: tuple[FieldChange, ...] = ()
    reason: str = ""

    @property
    def source(self) -> ObjectRef | None:
        return self.obj.source

    @property
    def key(self) -> ObjectKey:
        return self.obj.key


@dataclass(frozen=True)
class DevicePlan:
    """What one device needs, and what we saw on it but will not touch."""

    device: str
    address: str
    operations: tuple[Operation, ...] = ()
    foreign: tuple[BigIPObject, ...] = ()  # in our partitions, not created by us: left alone
    refused: tuple[Operation, ...] = ()  # deletes the guard held back
    guard: str = ""  # why they were held back
    error: str = ""  # the device could not be read: nothing is planned for it

    def partitions(self) -> list[str]:
        seen: dict[str, None] = {}
        for op in self.operations:
            seen.setdefault(op.obj.partition, None)
        return list(seen)


@dataclass(frozen=True)
class Plan:
    devices: tuple[DevicePlan, ...] = ()
    errors: tuple[ObjectError, ...] = ()  # Contrail objects that could not be translated
    notes: tuple[str, ...] = field(default=())  # set-level problems (bad settings, …)

    def counts(self) -> Counter[str]:
        counts: Counter[str] = Counter({"create": 0, "update": 0, "delete": 0})
        for device in self.devices:
            counts.update(op.action for op in device.operations)
        return counts

    @property
    def has_changes(self) -> bool:
        return any(device.operations for device in self.devices)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.notes or any(d.error or d.guard for d in self.devices))

    def summary(self) -> str:
        c = self.counts()
        return f"{c['create']} to create, {c['update']} to update, {c['delete']} to delete"
