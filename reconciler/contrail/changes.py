"""One notification's change merged into the snapshot: a read of the changed object.

Against a real API server every GET is a round trip (and, with a server that writes without
TCP_NODELAY, a delayed-ACK stall): re-reading a member's whole load balancer — the load
balancer, its listeners, pools, members, monitors and ports, seven sequential GETs — made a
one-member change take ~390 ms there. A notification names the object that changed, and
every other object keeps its own notification, so the object alone is read (one GET) and
put in the snapshot; who hangs under whom comes from the snapshot's links. A second read
happens only for what the object links to that the snapshot lacks and that has no
notification we would follow: a new VIP or member port, a monitor created before the pool
that names it, the members of a pool the snapshot has not seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.model.contrail import ContrailSnapshot, Member, Pool, same_but_statuses

if TYPE_CHECKING:
    from reconciler.contrail.reader import ContrailReader


@dataclass(frozen=True)
class Readable:
    """How one type's object is read (``vnc.<method>``), converted (the reader's
    ``convert``) and where the snapshot holds it."""

    method: str
    convert: str
    held_in: str


READABLE = {
    "loadbalancer": Readable("loadbalancer_read", "_lb", "load_balancers"),
    "loadbalancer_listener": Readable("loadbalancer_listener_read", "_listener", "listeners"),
    "loadbalancer_pool": Readable("loadbalancer_pool_read", "_pool", "pools"),
    "loadbalancer_member": Readable("loadbalancer_member_read", "_member", "members"),
    "loadbalancer_healthmonitor": Readable(
        "loadbalancer_healthmonitor_read", "_monitor", "monitors"
    ),
    "virtual_machine_interface": Readable("", "", "ports"),  # a port: its ips come along
}


@dataclass(frozen=True, order=True)
class Change:
    """The object a notification says changed (``kind``: its type, underscored)."""

    kind: str
    uuid: str


def change_for(kind: str, uuid: str | None) -> Change | None:
    """The change to read for a notification about ``kind``/``uuid``; None when its type is
    not read on its own (an instance-ip or floating-ip: its load balancers are re-read)."""
    return Change(kind, uuid) if kind in READABLE and uuid else None


def only_statuses(change: Change, before: ContrailSnapshot, after: ContrailSnapshot) -> bool:
    """Did the changed object keep everything but its statuses? The API server notifies
    every update, our own status writes too: after an initial sync of 24,000 load balancers
    their ~73,000 echoes each cost a device pass, for minutes in which a user's change
    waited behind them."""
    held_in = READABLE[change.kind].held_in
    old = getattr(before, held_in).get(change.uuid)
    new = getattr(after, held_in).get(change.uuid)
    return old is not None and new is not None and same_but_statuses(old, new)


def read_change(
    reader: ContrailReader, change: Change, base: ContrailSnapshot, answer: Any = None
) -> ContrailSnapshot:
    """``base`` with the changed object read again (removed if it is gone), and what it
    newly links to. ``answer``: the object's GET already made (``daemon.prefetch``): the
    raw object, or the ``NoIdError`` that said it is gone."""
    readable = READABLE[change.kind]
    if change.kind == "loadbalancer" and change.uuid not in base.load_balancers:
        # First sight of it (made just now, or moved into what this replica reads): its
        # subtree may exist already, with no notification of ours to come for it.
        return reader._read_load_balancer(change.uuid, base)
    if readable.held_in == "ports":
        ports = reader._ports([change.uuid])
        return base.with_object("ports", change.uuid, ports[0] if ports else None)
    obj = _read_one(reader, readable, change.uuid, answer)
    snapshot = base.with_object(readable.held_in, change.uuid, obj)
    if obj is None:
        return snapshot
    if change.kind == "loadbalancer_pool" and change.uuid not in base.pools:
        vnc = reader.vnc
        for raw in vnc.loadbalancer_members_list(detail=True, parent_id=[change.uuid]):
            member = reader._member(raw)
            snapshot = snapshot.with_object("members", member.uuid, member)
    return _with_missing_links(reader, snapshot, obj)


def read_together(
    reader: ContrailReader, changes: list[Change], base: ContrailSnapshot
) -> dict[Change, Any]:
    """The changed objects of one kind read in one listing (per 500), where there are two
    or more: the answers ``read_change`` takes, as if each had been read alone. A status
    echo names a load balancer, its pool and each member — a dozen GETs one after the
    other, ~0.5 s on a busy server, for every load balancer after a cold start. An object
    not listed (gone) is left to its own read, which says so."""
    from reconciler.contrail.scope import by_ids

    by_kind: dict[str, list[str]] = {}
    for change in changes:
        readable = READABLE[change.kind]
        if not readable.method:
            continue  # a port: read by listing anyway
        if change.kind == "loadbalancer" and change.uuid not in base.load_balancers:
            continue  # new to us: its whole subtree is read
        by_kind.setdefault(change.kind, []).append(change.uuid)
    answers: dict[Change, Any] = {}
    for kind, uuids in by_kind.items():
        if len(uuids) < 2:
            continue
        list_call = getattr(reader.vnc, READABLE[kind].method.replace("_read", "s_list"))
        answers.update(
            (Change(kind, obj.uuid), obj) for obj in by_ids(list_call, "obj_uuids", uuids)
        )
    return answers


def _read_one(
    reader: ContrailReader, readable: Readable, uuid: str, answer: Any = None
) -> Any | None:
    from vnc_api.exceptions import NoIdError

    read: Callable[..., Any] = getattr(reader.vnc, readable.method)
    convert: Callable[[Any], Any] = getattr(reader, readable.convert)
    if isinstance(answer, NoIdError):
        return None
    try:
        return convert(answer if answer is not None else read(id=uuid))
    except NoIdError:
        return None


def _with_missing_links(
    reader: ContrailReader, snapshot: ContrailSnapshot, obj: Any
) -> ContrailSnapshot:
    """The monitors and ports ``obj`` names (a pool: its members' ports) that ``snapshot``
    lacks, read and added; nothing missing, no call."""
    monitors = [u for u in getattr(obj, "monitor_uuids", ()) if u not in snapshot.monitors]
    if monitors:
        found = reader.vnc.loadbalancer_healthmonitors_list(detail=True, obj_uuids=monitors)
        for raw in found:
            snapshot = snapshot.with_object("monitors", raw.uuid, reader._monitor(raw))
    members = [obj] if isinstance(obj, Member) else []
    if isinstance(obj, Pool):
        members = [snapshot.members[m] for m in snapshot.links().members_of.get(obj.uuid, ())]
    ports = set(getattr(obj, "vmi_uuids", ()))
    ports |= {m.annotations["vmi"] for m in members if m.annotations.get("vmi")}
    for port in reader._ports(sorted(p for p in ports if p not in snapshot.ports)):
        snapshot = snapshot.with_object("ports", port.uuid, port)
    return snapshot
