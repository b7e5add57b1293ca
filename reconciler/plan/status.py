"""What a pass writes back into Contrail as each object's status (pure).

Provisioning status: ACTIVE, or ERROR with the reason, for the load balancer and its pools
and members. Operating status: from the device's pool availability — the states Neutron
LBaaS v2 uses: ONLINE (every member up), DEGRADED (some down), OFFLINE (all down),
NO_MONITOR (no health check, so nobody knows), DISABLED (administratively down).
A status that already holds the right value is no update, so a no-op pass writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.model.contrail import ContrailSnapshot, LoadBalancer
from reconciler.translate.walk import Subtrees

ACTIVE, ERROR = "ACTIVE", "ERROR"
#: The object types whose status a pass writes.
STATUS_TYPES = frozenset({"loadbalancer", "loadbalancer-pool", "loadbalancer-member"})


@dataclass(frozen=True)
class PoolHealth:
    state: str  # available | offline | unknown
    active: int
    total: int


@dataclass(frozen=True)
class StatusUpdate:
    """One planned write: the object, and the property values it should get."""

    type: str
    uuid: str
    name: str
    values: tuple[tuple[str, Any], ...]


def plan_status(
    snapshot: ContrailSnapshot,
    lb_results: dict[str, str | None],
    operating: Mapping[str, str] | None = None,
    degraded: Mapping[str, str] | None = None,
    types: frozenset[str] = STATUS_TYPES,
    written: Mapping[str, tuple[tuple[str, Any], ...]] | None = None,
) -> list[StatusUpdate]:
    """``lb_results``: lb uuid → None when it converged, else the reason it is in ERROR;
    ``operating``: lb uuid → operating status read from the device (``operating``), where
    known — otherwise a converged load balancer keeps the one it has (or ONLINE);
    ``degraded``: lb uuid → why its device has not answered for longer than the grace period
    (its configuration is in place: ACTIVE stays, OFFLINE and the reason show it);
    ``types``: the object types to plan for; ``written``: object uuid → the values this
    pass already wrote (``--once`` writes each load balancer's statuses as soon as it is on
    the device, and again at the end only where the device's answer changed them): they
    stand for the snapshot's."""
    operating = operating or {}
    degraded = degraded or {}
    written = written or {}
    updates: list[StatusUpdate] = []
    # Only these load balancers' subtrees are indexed: a daemon's one-load-balancer report
    # does not map every pool and member of the snapshot.
    walk = Subtrees(snapshot, frozenset(lb_results)) if types - {"loadbalancer"} else None
    for lb_uuid, reason in sorted(lb_results.items()):
        lb = snapshot.load_balancers.get(lb_uuid)
        if lb is None:
            continue
        state, running, text = lb_status(lb, reason, operating, degraded)
        want = {
            "provisioning_status": state,
            "operating_status": running,
            "status": text[:1000],
        }
        if lb.uuid in written:  # what this pass wrote stands for what was read
            have = tuple(dict(written[lb.uuid]).get(k) for k in want)
        else:
            have = (lb.provisioning_status, lb.operating_status, lb.status)
        if "loadbalancer" in types and have != tuple(want.values()):
            updates.append(StatusUpdate("loadbalancer", lb.uuid, lb.name, tuple(want.items())))
        if walk is None:
            continue
        wanted_status = (state, reason or "")
        values = (("status", state), ("status_description", reason or ""))  # shared
        pools = {
            pool.uuid: pool
            for listener in walk.listeners_of.get(lb_uuid, ())
            for pool in walk.pools_of.get(listener.uuid, ())
        }
        for pool_uuid in sorted(pools):
            pool = pools[pool_uuid]
            current = _has(written, pool.uuid, pool.status, pool.status_description)
            if "loadbalancer-pool" in types and current != wanted_status:
                updates.append(StatusUpdate("loadbalancer-pool", pool.uuid, pool.name, values))
            if "loadbalancer-member" not in types:
                continue
            for member in walk.members_of.get(pool_uuid, ()):
                has = _has(written, member.uuid, member.status, member.status_description)
                if has != wanted_status:
                    updates.append(
                        StatusUpdate("loadbalancer-member", member.uuid, member.name, values)
                    )
    return updates


def _has(
    written: Mapping[str, tuple[tuple[str, Any], ...]],
    uuid: str,
    status: str | None,
    description: str | None,
) -> tuple[str | None, str]:
    """A pool's or member's (status, description): as this pass wrote it, else as read."""
    if uuid in written:
        values = dict(written[uuid])
        return values.get("status"), values.get("status_description") or ""
    return status, description or ""


def lb_status(
    lb: LoadBalancer,
    reason: str | None,
    operating: Mapping[str, str],
    degraded: Mapping[str, str],
) -> tuple[str, str, str]:
    """A reconciled load balancer's provisioning status, operating status and status text
    (``reason``: None when it converged, else why it is in ERROR)."""
    state = ACTIVE if reason is None else ERROR
    down = degraded.get(lb.uuid) if reason is None else None
    if reason is not None or down:
        running = "OFFLINE"
    else:
        running = operating.get(lb.uuid) or (
            lb.operating_status if lb.operating_status not in (None, "OFFLINE") else "ONLINE"
        )
    text = f"ERROR: {reason}" if reason is not None else f"ACTIVE; {down}" if down else state
    return state, running, text


def pool_status(health: PoolHealth) -> str:
    if health.state == "available":
        return "ONLINE" if health.active >= health.total else "DEGRADED"
    if health.state == "offline":
        return "OFFLINE"
    return "NO_MONITOR"


def operating_statuses(
    snapshot: ContrailSnapshot,
    health: Mapping[str, PoolHealth],
    lbs: Iterable[str] | None = None,
) -> dict[str, str]:
    """Load balancer uuid → operating status, for those whose pools the device reported
    (``lbs``: only those load balancers)."""
    links = snapshot.links()
    result: dict[str, str] = {}
    chosen = (
        snapshot.load_balancers.values()
        if lbs is None
        else [snapshot.load_balancers[u] for u in lbs if u in snapshot.load_balancers]
    )
    for lb in chosen:
        if not lb.admin_state:
            result[lb.uuid] = "DISABLED"
            continue
        states = [pool_status(health[p]) for p in sorted(links.pools_under(lb.uuid)) if p in health]
        if not states:
            continue
        if all(s == "ONLINE" for s in states):
            result[lb.uuid] = "ONLINE"
        elif all(s == "OFFLINE" for s in states):
            result[lb.uuid] = "OFFLINE"
        elif all(s == "NO_MONITOR" for s in states):
            result[lb.uuid] = "NO_MONITOR"
        elif any(s in ("OFFLINE", "DEGRADED") for s in states):
            result[lb.uuid] = "DEGRADED"
        else:
            result[lb.uuid] = "ONLINE"
    return result


def expected_operating(snapshot: ContrailSnapshot, lbs: Iterable[str]) -> dict[str, str]:
    """The operating status the device will most likely report for load balancers just put
    in place: a pool with a health monitor comes up (ONLINE), one without has nobody
    checking (NO_MONITOR). An initial sync's first status write says this; the device's
    answer at the end corrects it only where it differs."""
    links = snapshot.links()
    lbs = list(lbs)
    health = {
        pool_uuid: PoolHealth("available" if pool.monitor_uuids else "unknown", 1, 1)
        for lb_uuid in lbs
        for pool_uuid in links.pools_under(lb_uuid)
        if (pool := snapshot.pools.get(pool_uuid)) is not None
    }
    return operating_statuses(snapshot, health, lbs)
