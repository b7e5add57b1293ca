"""The plan: a value that the renderer prints and the applier executes (like Terraform's).

Operations are in the order they must run on the device; each names the BIG-IP object, the
fields that change (old → new) and the Contrail object behind it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.model.bigip import BigIPObject, ObjectKey
from reconciler.model.contrail import ObjectError, ObjectRef

Action = Literal["create", "update", "delete"]

#: Why an operation is planned, for machines (the text ``reason`` is for people).
REASON_CODES = {
    "create": "missing",  # on the device it is not
    "update": "drift",  # on the device, with other values
    "delete": "not_in_contrail",  # ours on the device, and nothing in Contrail leads to it
    "replace": "immutable_field_changed",  # a field that cannot change in place did
    "replace_dependent": "dependency_replaced",  # it points at an object being replaced
    "monitor_detach": "monitor_type_changed",  # a pool lets go of a monitor being retyped
}


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
    code: str = ""  # a key of REASON_CODES; empty: the action's own
    lbs: frozenset[str] = frozenset()  # the load balancers this object serves
    # Created inline with it, in the same request (a new pool's members): one write.
    children: tuple[BigIPObject, ...] = ()
    # Operations with the same label go in one transaction, in the order the labels first
    # come (an adoption's swaps); unlabelled ones go one transaction per partition.
    transaction: str = ""

    @property
    def objects(self) -> int:
        """Objects this operation writes: a pool with its members inline counts them all."""
        return 1 + len(self.children)

    @property
    def reason_code(self) -> str:
        return REASON_CODES[self.code or self.action]

    @property
    def actions(self) -> tuple[str, ...]:
        """Terraform's spelling: a replacement's two halves both say delete-then-create."""
        return ("delete", "create") if self.code.startswith("replace") else (self.action,)

    @property
    def source(self) -> ObjectRef | None:
        return self.obj.source

    @property
    def key(self) -> ObjectKey:
        return self.obj.key


@dataclass(frozen=True)
class ContrailChange:
    """One write the pass makes in Contrail: a VIP route table or an address allocation.

    ``fields`` and ``changes`` are for people (rendered in the plan); ``payload`` is the value
    the Contrail writer acts on (never rendered: it is what the writer needs, nothing more).
    """

    action: Action
    type: str  # REST type: "interface-route-table", "route-table", "instance-ip"
    fq_name: tuple[str, ...]
    uuid: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    changes: tuple[FieldChange, ...] = ()
    reason: str = ""
    source: str = ""  # what it is for, e.g. "service-appliance-set f5"
    payload: Any = field(default=None, compare=False, repr=False)
    done: bool = False  # already made before the device apply (address allocations)
    # The load balancers it depends on (a route table's new routes): it goes out only for
    # those the device has in place.
    lbs: frozenset[str] = frozenset()

    @property
    def path(self) -> str:
        return ":".join(self.fq_name)


@dataclass(frozen=True)
class DevicePlan:
    """What one device needs, and what we saw on it but will not touch."""

    device: str
    address: str
    operations: tuple[Operation, ...] = ()
    foreign: tuple[BigIPObject, ...] = ()  # in our partitions, not created by us: left alone
    others: tuple[tuple[BigIPObject, str], ...] = ()  # another F5 set's objects (and its name)
    # Ours, not deleted though nothing of Contrail leads to them: objects that stay (an
    # operator's virtual on our pool) still use them. Each with the paths of those users.
    kept: tuple[tuple[BigIPObject, tuple[str, ...]], ...] = ()
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
    contrail: tuple[ContrailChange, ...] = ()  # VIP routes, address allocations

    @classmethod
    def merge(cls, plans: Sequence[Plan], notes: Sequence[str] = ()) -> Plan:
        """One plan of several sets' plans (``notes``: the pass's own, listed first)."""
        return cls(
            devices=tuple(d for p in plans for d in p.devices),
            errors=tuple(e for p in plans for e in p.errors),
            notes=(*notes, *(n for p in plans for n in p.notes)),
            contrail=tuple(c for p in plans for c in p.contrail),
        )

    def counts(self) -> Counter[str]:
        counts: Counter[str] = Counter({"create": 0, "update": 0, "delete": 0})
        for device in self.devices:
            for op in device.operations:
                counts[op.action] += op.objects  # objects, not requests
        counts.update(change.action for change in self.contrail if not change.done)
        return counts

    @property
    def has_changes(self) -> bool:
        return any(device.operations for device in self.devices) or any(
            not change.done for change in self.contrail
        )

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.notes or any(d.error or d.guard for d in self.devices))

    def summary(self) -> str:
        c = self.counts()
        return f"{c['create']} to create, {c['update']} to update, {c['delete']} to delete"
