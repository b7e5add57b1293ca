"""One load balancer's objects on each device, as the load balancer's page shows them:
virtual → pool → members, with what the device last said about them (a member's session,
a pool's availability and active members from the last full pass's pool stats), then the
rest of its objects (monitors, profiles, virtual addresses…).

Read from each device worker's cache of the device (kept current with our own writes), so
asking costs no device request; a worker that has not read its device yet shows nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reconciler.model.bigip import BigIPObject
from reconciler.naming import Naming
from reconciler.plan.status import PoolHealth
from reconciler.translate.desired import subtree_tokens

if TYPE_CHECKING:
    from reconciler.daemon.controller import Controller

VIRTUAL, POOL, MEMBER = "ltm/virtual", "ltm/pool", "ltm/pool/members"
POOL_STATES = {"available": "UP", "offline": "DOWN"}  # else: no badge, the text says it


def _member(obj: BigIPObject) -> dict[str, Any]:
    session = str(obj.fields.get("session") or "")
    return {
        "kind": obj.kind,
        "path": obj.path,
        "state": "DISABLED" if "disabled" in session else "ACTIVE",
        "detail": f"session {session}" if session else "",
    }


def _pool(
    obj: BigIPObject, members: list[BigIPObject], health: PoolHealth | None
) -> dict[str, Any]:
    detail = ""
    if health is not None:
        detail = f"{health.state}: {health.active} of {health.total} members active"
    return {
        "kind": obj.kind,
        "path": obj.path,
        "state": POOL_STATES.get(health.state) if health else None,
        "detail": detail,
        "children": [_member(m) for m in sorted(members, key=lambda m: m.name)],
    }


def tree(
    objects: list[BigIPObject], health: Mapping[str, PoolHealth], naming: Naming
) -> list[dict[str, Any]]:
    """The objects of one load balancer on one device as nested plain values."""
    members: dict[tuple[str, str], list[BigIPObject]] = {}
    pools: dict[str, BigIPObject] = {}
    for obj in objects:
        if obj.kind == MEMBER:
            members.setdefault((obj.partition, obj.parent), []).append(obj)
        elif obj.kind == POOL:
            pools[obj.path] = obj

    def pool_node(pool: BigIPObject) -> dict[str, Any]:
        uuid = naming.uuid_of(pool.name)
        found = members.get((pool.partition, pool.name), [])
        return _pool(pool, found, health.get(uuid) if uuid else None)

    roots: list[dict[str, Any]] = []
    placed: set[str] = set()
    for obj in sorted(objects, key=lambda o: o.path):
        if obj.kind != VIRTUAL:
            continue
        pool = pools.get(str(obj.fields.get("pool") or ""))
        children = [pool_node(pool)] if pool is not None else []
        if pool is not None:
            placed.add(pool.path)
        destination = obj.fields.get("destination")
        roots.append(
            {
                "kind": obj.kind,
                "path": obj.path,
                "detail": f"destination {destination}" if destination else "",
                "children": children,
            }
        )
    roots += [pool_node(p) for path, p in sorted(pools.items()) if path not in placed]
    roots += [
        {"kind": o.kind, "path": o.path}
        for o in sorted(objects, key=lambda o: (o.kind, o.path))
        if o.kind not in (VIRTUAL, POOL, MEMBER)
    ]
    return roots


def device_objects(c: Controller, lb_uuid: str) -> list[dict[str, Any]]:
    """Per device worker: ``{"device", "objects"}`` for load balancer ``lb_uuid``."""
    snapshot = c.snapshot
    if snapshot is None:
        return []
    naming = Naming(c.options.prefix)
    found = []
    for worker in list(c.workers.values()):
        target = worker.reconciler.targets[0]
        cache = target.cache.objects
        if cache is None:
            continue
        tokens = set(subtree_tokens(snapshot, lb_uuid))
        known = target.memory.known.get(lb_uuid)
        if known is not None:
            tokens |= known.tokens
        if not tokens:
            continue
        mine = [obj for obj in cache.values() if tokens.intersection(naming.tokens(obj))]
        if mine:
            found.append({"device": worker.name, "objects": tree(mine, target.health, naming)})
    return found
