"""HA pairs in config-sync mode: find the active device, and push its config to the group.

A set's kv ``sync_mode`` chooses how an HA pair is written:
- ``replication`` (default, like F5's agent): every device gets the same writes, no sync;
- ``config-sync``: only the active device is written, then ``config-sync to-group`` copies
  it to the peers. Auto-sync is never turned on: its races with our writes are agent #405.
The active device is the one whose own ``cm/device`` entry says ``failoverState: active``;
after a failover the next full resync finds the new one.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.bigip.client import DeviceClient, DeviceError
from reconciler.logs import get_logger

log = get_logger("bigip.ha")


def is_active(client: DeviceClient) -> bool:
    for item in client.collection("cm/device"):
        if str(item.get("selfDevice", "")).lower() == "true":
            return str(item.get("failoverState", "")).lower() == "active"
    return False


def active_device(clients: Sequence[DeviceClient]) -> DeviceClient | None:
    """The first device that says it is active; unreachable ones are skipped."""
    for client in clients:
        try:
            if is_active(client):
                return client
        except DeviceError as exc:
            log.warning(
                "cannot ask device for its failover state", device=client.name, error=str(exc)
            )
    return None


def sync_group(client: DeviceClient, configured: str | None = None) -> str | None:
    """The device group to sync: the configured one, else the first sync-failover group."""
    if configured:
        return configured
    for item in client.collection("cm/device-group"):
        if item.get("type") == "sync-failover":
            return str(item["name"])
    return None


def config_sync(client: DeviceClient, group: str) -> None:
    client.send(
        "POST",
        client.base + "cm",
        {"command": "run", "utilCmdArgs": f"config-sync to-group {group}"},
    )
    log.info("config-sync", device=client.name, device_group=group)


def push_to_group(client: DeviceClient, configured_group: str | None) -> None:
    """config-sync the active device's configuration to its group; DeviceError if it is in
    no sync-failover group (nothing would reach the peers)."""
    group = sync_group(client, configured_group)
    if group is None:
        raise DeviceError("config-sync: the device is in no sync-failover group")
    config_sync(client, group)
