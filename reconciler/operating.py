"""Load balancers' ``operating_status`` from the device's pool availability.

One read per device (``GET ltm/pool/stats``: every pool's availability and active member
count in one answer), then a pure mapping — the same states Neutron LBaaS v2 uses:
ONLINE (every member up), DEGRADED (some down), OFFLINE (all down), NO_MONITOR (no health
check, so nobody knows), DISABLED (the load balancer is administratively down).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.bigip.client import DeviceClient
from reconciler.model.contrail import ContrailSnapshot


@dataclass(frozen=True)
class PoolHealth:
    state: str  # available | offline | unknown
    active: int
    total: int


def read_pool_health(client: DeviceClient, prefix: str) -> dict[str, PoolHealth]:
    """Our pools' health, keyed by pool uuid (from the ``<prefix>_<uuid>`` name)."""
    answer = client.get(client.base + "ltm/pool/stats")
    mark = f"{prefix}_"
    health: dict[str, PoolHealth] = {}
    for entry in (answer.get("entries") or {}).values():
        stats = (entry.get("nestedStats") or {}).get("entries") or {}
        path = str((stats.get("tmName") or {}).get("description", ""))
        partition, _, name = path.strip("/").partition("/")
        if not (partition.startswith(mark) and name.startswith(mark)):
            continue
        health[name[len(mark) :]] = PoolHealth(
            state=str((stats.get("status.availabilityState") or {}).get("description", "")),
            active=int((stats.get("activeMemberCnt") or {}).get("value", 0)),
            total=int((stats.get("memberCnt") or {}).get("value", 0)),
        )
    return health


def pool_status(health: PoolHealth) -> str:
    if health.state == "available":
        return "ONLINE" if health.active >= health.total else "DEGRADED"
    if health.state == "offline":
        return "OFFLINE"
    return "NO_MONITOR"


def operating_statuses(
    snapshot: ContrailSnapshot, health: Mapping[str, PoolHealth]
) -> dict[str, str]:
    """Load balancer uuid → operating status, for those whose pools the device reported."""
    pools_of = snapshot.pools_by_load_balancer()
    result: dict[str, str] = {}
    for lb in snapshot.load_balancers.values():
        if not lb.admin_state:
            result[lb.uuid] = "DISABLED"
            continue
        states = [pool_status(health[p]) for p in pools_of.get(lb.uuid, ()) if p in health]
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
