"""Desired × live → the ordered operations for one device (pure).

Rules, each one an invariant of DESIGN.md:
- only objects we own are updated or deleted (``naming.Naming.owns``); the rest are reported
  as foreign; objects of ours that another F5 set's load balancers claim are that set's, and
  are reported as such (``naming.SetClaims``);
- objects of a load balancer that failed to translate are *held*: never changed or deleted;
- creates and updates run in dependency order, deletes in the reverse order;
- a change to an immutable field is a delete followed by a create (and the objects that
  point at the old one are recreated with it);
- a folder or node that something not deleted still uses is kept;
- the deletion guard refuses deletes when Contrail looks suspiciously empty, or when more than
  a configured share of our objects would go in one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from reconciler.model.bigip import BigIPObject, ObjectKey, ObjectSet
from reconciler.model.resources import CHILD_TYPES, ResourceType, resource_type
from reconciler.model.values import freeze
from reconciler.naming import COMMON, NODE_DESCRIPTION, Naming, SetClaims, full_path
from reconciler.plan.model import DevicePlan, FieldChange, Operation
from reconciler.translate.desired import Desired


@dataclass(frozen=True)
class DeleteGuard:
    max_fraction: float = 0.5  # of our objects on the device, per pass
    min_objects: int = 50  # below this many deletes the fraction does not apply
    allow: bool = False  # the operator said: delete anyway
    contrail_empty: bool = False  # the snapshot held no load balancer at all
    # The projects Contrail says exist (None: unknown). An empty read is believed when every
    # partition losing objects belongs to one of them: the last load balancer was deleted.
    known_projects: frozenset[str] | None = None

    @property
    def believes_the_read(self) -> bool:
        """May this pass take away what Contrail no longer lists (routes, addresses)? Yes,
        unless the read held no load balancer and no project either (a broken read)."""
        return not self.contrail_empty or self.allow or bool(self.known_projects)


@dataclass(frozen=True)
class Ownership:
    """Whose a live object is, for one set's pass: not ours (a person's, another
    environment's), another set's, or this set's to change and delete."""

    naming: Naming
    claims: SetClaims

    def ours(self, obj: BigIPObject) -> bool:
        """Ours and not another set's: this pass may change or delete it."""
        return self.naming.owns(obj) and self.other_set(obj) is None

    def other_set(self, obj: BigIPObject) -> str | None:
        return self.claims.other_owner(self.naming.tokens(obj))


def _order(op: Operation) -> int:
    return resource_type(op.obj.kind).order


@dataclass(frozen=True)
class Scope:
    """Some load balancers' objects: those whose names carry one of ``tokens`` (see
    ``naming.Naming.tokens``), in ``partitions`` (with their members, nodes and folders)."""

    tokens: frozenset[str]
    partitions: frozenset[str]


def _type(obj: BigIPObject) -> ResourceType:
    return resource_type(obj.kind)


def _node_key(obj: BigIPObject) -> tuple[str, str | None]:
    """(partition, the node it makes the device keep) — None for kinds that keep none."""
    return obj.partition, _type(obj).node_of(obj)


def diff(
    desired: Desired,
    live: ObjectSet,
    device: str,
    address: str,
    prefix: str,
    guard: DeleteGuard = DeleteGuard(),
    scope: Scope | None = None,
) -> DevicePlan:
    """The plan for one device. ``scope`` limits it to some load balancers' objects (with
    their pool members, nodes and partition folder); ``live`` stays whole so a node or folder
    something else still uses is never deleted."""
    whole = live
    naming = Naming(prefix)
    ownership = Ownership(naming, desired.set_claims)
    if scope is not None:
        # Everything a scope can touch lives in its partitions: look at those objects only
        # (a one-load-balancer diff at 5,000 load balancers walked 120,000 objects).
        live = live.in_partitions(scope.partitions)
    in_scope = _scope_test(scope, desired, live, naming)

    def _held(obj: BigIPObject, desired: Desired) -> bool:
        """A broken load balancer's object: neither changed nor deleted."""
        return any(token in desired.held for token in naming.tokens(obj))

    creates: list[Operation] = []
    updates: list[Operation] = []
    replaced: list[Operation] = []  # delete halves of replacements, run first
    deletes: list[Operation] = []
    foreign: list[BigIPObject] = []
    others: dict[ObjectKey, tuple[BigIPObject, str]] = {}

    def leave_alone(have: BigIPObject, wanted: bool = False) -> bool:
        """Not this set's to touch: reported (as foreign, or as another set's)."""
        if not ownership.naming.owns(have):
            if not (wanted and _type(have).shared):  # a node a foreign member made
                foreign.append(have)  # serves ours just as well: nothing to report
            return True
        other = ownership.other_set(have)
        if other is not None:
            others[have.key] = (have, other)
            return True
        return False

    for key, want in desired.objects.items():
        if not in_scope(want):
            continue
        have = live.get(key)
        if have is None:
            creates.append(Operation("create", want))
            continue
        if leave_alone(have, wanted=True) or _held(have, desired):
            continue
        rtype = resource_type(want.kind)
        changed = rtype.differences(want, have)
        if not changed:
            continue
        if any(name in rtype.immutable for name in changed):
            immutable = ", ".join(n for n in changed if n in rtype.immutable)
            replaced.append(
                Operation(
                    "delete", have, reason=f"replace: {immutable} cannot change", code="replace"
                )
            )
            creates.append(
                Operation("create", want, reason=f"replace: {immutable} changed", code="replace")
            )
            continue
        changes = tuple(FieldChange(n, old, new) for n, (old, new) in changed.items())
        updates.append(Operation("update", want, changes))

    for key, have in live.items():
        if key in desired.objects or not in_scope(have):
            continue
        if not leave_alone(have) and not _held(have, desired):
            deletes.append(Operation("delete", have))

    for key in _virtuals_on_replaced_addresses(replaced, desired, live):
        replaced.append(
            Operation(
                "delete",
                live[key],
                reason="replace: its virtual address changes",
                code="replace_dependent",
            )
        )
        updates = [op for op in updates if op.key != key]
        creates.append(
            Operation(
                "create",
                desired.objects[key],
                reason="replace: its virtual address changes",
                code="replace_dependent",
            )
        )
    detach, reattach, retyped = _retyped_monitors(desired, live, ownership, in_scope)
    replaced.extend(op for op in deletes if op.key in retyped)
    deletes = [op for op in deletes if op.key not in retyped]
    users = [*live.values(), *whole.in_partitions(frozenset({COMMON}))] if scope else live.values()
    deletes, kept = _keep_what_others_use(deletes, users)
    deletes = _keep_what_is_still_used(deletes, live, desired, replaced)
    refused: list[Operation] = []
    removed = len(deletes)  # objects leaving the device (members go with their pools)
    deletes = _without_members_of_deleted_pools(deletes)
    reason = _guard_reason(deletes, removed, whole, ownership, guard)
    if reason:
        refused, deletes = deletes, []

    creates = _with_children_inline(creates)
    ordered_updates = sorted(creates + updates, key=_order)
    replaced.sort(key=_order, reverse=True)
    deletes.sort(key=_order, reverse=True)
    operations = detach + replaced + ordered_updates + reattach + deletes
    return DevicePlan(
        device=device,
        address=address,
        operations=tuple(
            replace(op, lbs=desired.owners.get(op.key, frozenset())) for op in operations
        ),
        foreign=tuple(sorted(foreign, key=lambda o: o.key)),
        kept=kept,
        others=tuple(others[k] for k in sorted(others)),
        refused=tuple(refused),
        guard=reason,
    )


def _retyped_monitors(
    desired: Desired,
    live: ObjectSet,
    ownership: Ownership,
    in_scope: Callable[[BigIPObject], bool],
) -> tuple[list[Operation], list[Operation], set[ObjectKey]]:
    """A health monitor whose type changes keeps its name, and BIG-IP's monitor names span
    every type: the old one must go before the new one comes, and no pool may use it then.
    Returns (pool detaches to run first, pool reattaches to run after the creates, the keys
    of the old monitors, which become delete-before-create)."""
    family_members = {
        (family, obj.partition, obj.name): obj
        for obj in live.values()
        if (family := _type(obj).name_family)
    }
    detach: list[Operation] = []
    reattach: list[Operation] = []
    retyped: set[ObjectKey] = set()
    for want in desired.objects.values():
        family = _type(want).name_family
        if family is None or not in_scope(want):
            continue
        have = family_members.get((family, want.partition, want.name))
        if have is None or have.kind == want.kind or not ownership.ours(have):
            continue
        retyped.add(have.key)
        path = full_path(want.partition, want.name)
        for pool in live.values():
            if path not in _type(pool).monitors_of(pool):
                continue
            monitor = str(pool.fields.get("monitor") or "")
            detached = pool.with_fields(freeze({**pool.fields, "monitor": ""}))
            detach.append(
                Operation(
                    "update",
                    detached,
                    (FieldChange("monitor", monitor, ""),),
                    reason=f"detach {path}: its type changes",
                    code="monitor_detach",
                )
            )
            target = desired.objects.get(pool.key, pool)
            reattach.append(
                Operation(
                    "update",
                    target,
                    (FieldChange("monitor", "", target.fields.get("monitor", "")),),
                    reason=f"reattach {path}",
                    code="monitor_detach",
                )
            )
    return detach, reattach, retyped


def _scope_test(
    scope: Scope | None, desired: Desired, live: ObjectSet, naming: Naming
) -> Callable[[BigIPObject], bool]:
    if scope is None:
        return lambda obj: True
    partitions = scope.partitions

    def named(obj: BigIPObject) -> bool:
        return any(token in scope.tokens for token in naming.tokens(obj))

    nodes = {
        _node_key(obj)
        for objects in (desired.objects.values(), live.values())
        for obj in objects
        if named(obj)
    }

    def test(obj: BigIPObject) -> bool:
        rtype = _type(obj)
        if rtype.is_partition:
            return obj.partition in partitions
        if rtype.shared:
            return (obj.partition, obj.name) in nodes
        return named(obj)

    return test


def _virtuals_on_replaced_addresses(
    replaced: list[Operation], desired: Desired, live: ObjectSet
) -> set[ObjectKey]:
    """Virtuals on a virtual address being replaced: they must go first and come back after
    it, so they are replaced too."""
    old_addresses = {
        (op.obj.partition, op.obj.fields.get("address"))
        for op in replaced
        if "address" in _type(op.obj).immutable
    }
    if not old_addresses:
        return set()
    return {
        key
        for key, have in live.items()
        if key in desired.objects
        and (have.partition, _type(have).address_of(have)) in old_addresses
    }


def _keep_what_others_use(
    deletes: list[Operation], live: Iterable[BigIPObject]
) -> tuple[list[Operation], tuple[tuple[BigIPObject, tuple[str, ...]], ...]]:
    """Drop deletes of objects that something staying on the device still refers to (an
    operator's virtual, here or in ``/Common``, on one of our pools): the device refuses them
    (``01070265``), and with them the partition's whole transaction — the deleted load
    balancer's virtual would keep serving. What they use stays, and with a kept pool its
    members and whatever it uses in turn. Returns (the deletes left, the kept objects with
    the paths of their users)."""
    going = {op.key for op in deletes}
    users: dict[str, set[str]] = {}
    for obj in live:
        if obj.key not in going:
            for path in _type(obj).uses(obj):
                users.setdefault(path, set()).add(obj.path)
    if not any(op.obj.path in users for op in deletes):
        return deletes, ()
    kept: dict[ObjectKey, tuple[BigIPObject, tuple[str, ...]]] = {}
    staying_parents: set[tuple[str, str]] = set()
    changed = True
    while changed:  # a kept pool keeps its monitors, which may be going too
        changed = False
        for op in deletes:
            obj = op.obj
            if op.key in kept:
                continue
            if obj.path in users:
                kept[op.key] = (obj, tuple(sorted(users[obj.path])))
            elif (obj.partition, obj.parent) in staying_parents and _type(obj).parent_kind:
                kept[op.key] = (obj, ())  # a member of a kept pool
            else:
                continue
            changed = True
            staying_parents.add((obj.partition, obj.name))
            for path in _type(obj).uses(obj):
                users.setdefault(path, set()).add(obj.path)
    return (
        [op for op in deletes if op.key not in kept],
        tuple(entry for entry in kept.values() if entry[1]),
    )


def _keep_what_is_still_used(
    deletes: list[Operation], live: ObjectSet, desired: Desired, replaced: list[Operation]
) -> list[Operation]:
    """Drop deletes of shared objects (folders, nodes) that something staying on the device
    still uses."""
    going: set[ObjectKey] = {op.key for op in deletes} | {op.key for op in replaced}
    staying = [obj for key, obj in live.items() if key not in going]
    # Nodes the members leaving now used: the device made them for us, they go with them.
    freed = {_node_key(op.obj) for op in (*deletes, *replaced)}
    used_nodes = {_node_key(obj) for obj in staying}
    used_nodes |= {(o.partition, o.name) for o in desired.objects.values() if _type(o).shared}
    busy_partitions = {obj.partition for obj in staying if not _type(obj).is_partition}
    busy_partitions |= desired.objects.partitions()
    kept = []
    for op in deletes:
        obj, rtype = op.obj, _type(op.obj)
        if rtype.is_partition and obj.partition in busy_partitions:
            continue
        if rtype.shared and not rtype.is_partition:
            if (obj.partition, obj.name) in used_nodes:
                continue
            if obj.fields.get("description") != NODE_DESCRIPTION and (
                (obj.partition, obj.name) not in freed
            ):
                continue  # unused, but not ours to know: a person may have made it
        kept.append(op)
    return kept


def _with_children_inline(creates: list[Operation]) -> list[Operation]:
    """A new pool is created with its members in the same request: one write, not one per
    member (and the device makes their nodes)."""
    parents = {
        (op.obj.kind, op.obj.partition, op.obj.name): i
        for i, op in enumerate(creates)
        if op.obj.kind in CHILD_TYPES
    }
    if not parents:
        return creates
    children: dict[int, list[BigIPObject]] = {}
    kept: list[Operation] = []
    for op in creates:
        parent = parents.get((_type(op.obj).parent_kind or "", op.obj.partition, op.obj.parent))
        if parent is None:
            kept.append(op)
        else:
            children.setdefault(parent, []).append(op.obj)
    return [
        replace(op, children=tuple(children.get(parents.get(_key(op), -1), ())))
        if op.obj.kind in CHILD_TYPES
        else op
        for op in kept
    ]


def _key(op: Operation) -> tuple[str, str, str]:
    return (op.obj.kind, op.obj.partition, op.obj.name)


def _without_members_of_deleted_pools(deletes: list[Operation]) -> list[Operation]:
    """Deleting a pool deletes its members: one write instead of one per member."""
    parents = {(op.obj.kind, op.obj.partition, op.obj.name) for op in deletes}
    return [
        op
        for op in deletes
        if (_type(op.obj).parent_kind, op.obj.partition, op.obj.parent) not in parents
    ]


def _guard_reason(
    deletes: list[Operation],
    removed: int,
    live: ObjectSet,
    ownership: Ownership,
    guard: DeleteGuard,
) -> str:
    """Why these deletes are held back, or "". ``removed``: the objects they take off the
    device, pool members included (what the fraction counts); the message says both."""
    counted = f"{len(deletes)} deletes ({removed} objects with the pool members they take)"
    if not deletes or guard.allow:
        return ""
    if guard.contrail_empty and not _projects_present(deletes, ownership, guard):
        return (
            f"refusing {counted}: Contrail returned no load balancer at all and not every "
            "project of those partitions, which looks like a broken read (use "
            "--allow-mass-delete if it is real)"
        )
    if removed < guard.min_objects:
        return ""  # (not worth counting our objects on the device: 120,000 at 5,000 lbs)
    ours = sum(1 for obj in live.values() if ownership.ours(obj))
    if removed > guard.max_fraction * ours:
        return (
            f"refusing {counted}: more than {guard.max_fraction:.0%} of our {ours} objects "
            "on this device (use --allow-mass-delete if it is intended)"
        )
    return ""


def _projects_present(deletes: list[Operation], ownership: Ownership, guard: DeleteGuard) -> bool:
    """Does Contrail still know every project whose partition loses objects? Then an empty
    read is a complete one, and these deletes are real."""
    if guard.known_projects is None:
        return False
    projects = {ownership.naming.project_of(op.obj.partition) for op in deletes}
    return all(p is not None and p in guard.known_projects for p in projects)
