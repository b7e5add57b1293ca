"""The device's view of our pools: one ``GET ltm/pool/stats`` for every pool's availability
and active member count (the input of each load balancer's operating status)."""

from __future__ import annotations

from reconciler.bigip.client import DeviceClient
from reconciler.naming import Naming, split_path
from reconciler.plan.status import PoolHealth


def read_pool_health(client: DeviceClient, prefix: str) -> dict[str, PoolHealth]:
    """Our pools' health, keyed by pool uuid (from the ``<prefix>_<uuid>`` name)."""
    answer = client.get(client.base + "ltm/pool/stats")
    naming = Naming(prefix)
    health: dict[str, PoolHealth] = {}
    for entry in (answer.get("entries") or {}).values():
        stats = (entry.get("nestedStats") or {}).get("entries") or {}
        path = str((stats.get("tmName") or {}).get("description", ""))
        partition, name = split_path(path)
        pool_uuid = naming.uuid_of(name)
        if pool_uuid is None or not naming.is_partition(partition):
            continue
        health[pool_uuid] = PoolHealth(
            state=str((stats.get("status.availabilityState") or {}).get("description", "")),
            active=int((stats.get("activeMemberCnt") or {}).get("value", 0)),
            total=int((stats.get("memberCnt") or {}).get("value", 0)),
        )
    return health
