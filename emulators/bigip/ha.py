"""Device groups of emulated BIG-IPs: config-sync, sync status and failover.

``group([app1, app2], name="dg1")`` joins in-process devices into a sync-failover group: the
first is active, the others standby. Each device counts its configuration changes; the group
remembers the count at the last sync, so ``cm/sync-status`` answers "In Sync" or
"Changes Pending" as a real group does after a write on one member. ``config-sync to-group``
copies the syncing device's configuration onto every peer (the group's own objects are not in
the copied configuration, as on BIG-IP). ``failover()`` moves the active role.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulators.bigip.app import BigipApp


class DeviceGroup:
    def __init__(self, name: str, group_type: str, members: list[BigipApp]) -> None:
        self.name = name
        self.type = group_type
        self.members = list(members)
        self.fields: dict[str, Any] = {
            "autoSync": "disabled",
            "fullLoadOnSync": "false",
            "incrementalConfigSyncSizeMax": 1024,
            "networkFailover": "enabled",
            "saveOnAutoSync": "false",
            "asmSync": "disabled",
        }
        self.synced: dict[int, int] = {}
        self._lock = threading.Lock()

    @property
    def auto_sync(self) -> bool:
        return self.fields.get("autoSync") == "enabled"

    def mark_synced(self) -> None:
        self.synced = {id(app): app.changes for app in self.members}

    def sync_from(self, source: BigipApp) -> None:
        """config-sync to-group from ``source``: every peer gets its configuration."""
        if source not in self.members:
            raise ValueError(f"{source.hostname} is not in device group {self.name}")
        with self._lock:
            state = source.device_dump()
            for peer in self.members:
                if peer is not source:
                    peer.device_load(state)
            self.mark_synced()

    def pending(self) -> list[BigipApp]:
        return [app for app in self.members if self.synced.get(id(app)) != app.changes]

    def status(self) -> tuple[str, str, str]:
        """(status, color, summary) as ``cm/sync-status`` reports them."""
        pending = self.pending()
        if not pending:
            return "In Sync", "green", "All devices in the device group are in sync"
        names = ", ".join(app.hostname for app in pending)
        return "Changes Pending", "yellow", f"There is a possible change conflict: {names}"

    def failover(self, to: BigipApp | None = None) -> BigipApp:
        """Make ``to`` (default: the next device after the active one) active."""
        with self._lock:
            if to is None:
                active = [i for i, app in enumerate(self.members) if app.failover_state == "active"]
                start = active[0] if active else -1
                to = self.members[(start + 1) % len(self.members)]
            for app in self.members:
                app.failover_state = "active" if app is to else "standby"
        return to


def group(
    apps: list[BigipApp], name: str = "dg1", type: str = "sync-failover", sync: bool = True
) -> DeviceGroup:
    """Join devices into one device group (the first becomes active).

    With ``sync`` (default) the first device's configuration is copied to the others, as the
    initial sync an operator runs after creating the group.
    """
    if len(apps) < 1:
        raise ValueError("a device group needs at least one device")
    dg = DeviceGroup(name, type, apps)
    for i, app in enumerate(apps):
        app.group = dg
        app.failover_state = "active" if i == 0 else "standby"
    if sync:
        dg.sync_from(apps[0])
    else:
        dg.mark_synced()
    return dg


def failover(dg: DeviceGroup, to: BigipApp | None = None) -> BigipApp:
    return dg.failover(to)
