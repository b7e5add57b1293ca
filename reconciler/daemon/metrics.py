"""Prometheus metrics of the daemon, in one registry per process (tests make their own).

Label values are device names, verbs, object types and results — never addresses with
credentials, never secrets.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

PREFIX = "contrail_f5"


class Metrics:
    # series a stopped worker takes along
    PER_DEVICE = ("managed", "last_sync", "device_up", "login_refused")

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        r = self.registry = registry or CollectorRegistry()
        self.reconciles = Counter(
            f"{PREFIX}_reconciles",
            "Reconciles, by scope (full or load balancer) and result (ok; error: retried with "
            "backoff; terminal: not retried until the input changes; requeue: planned again "
            "at once)",
            ["device", "scope", "result"],
            registry=r,
        )
        self.reconcile_seconds = Histogram(
            f"{PREFIX}_reconcile_duration_seconds",
            "Time of one reconcile, by scope and result",
            ["scope", "result"],
            registry=r,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
        )
        self.queue_depth = Gauge(
            f"{PREFIX}_workqueue_depth", "Keys waiting, per queue", ["queue"], registry=r
        )
        self.rest_calls = Counter(
            f"{PREFIX}_bigip_rest_calls",
            "iControl REST calls, by device and verb",
            ["device", "verb"],
            registry=r,
        )
        self.drift = Counter(
            f"{PREFIX}_drift_operations",
            "Operations planned because the device differed",
            ["device", "action"],
            registry=r,
        )
        self.managed = Gauge(
            f"{PREFIX}_managed_objects",
            "BIG-IP objects we own, per device",
            ["device"],
            registry=r,
        )
        self.last_sync = Gauge(
            f"{PREFIX}_last_successful_sync_timestamp_seconds",
            "Unix time of the last full reconcile that converged, per device",
            ["device"],
            registry=r,
        )
        self.saves = Counter(
            f"{PREFIX}_device_saves",
            "Deferred save sys config (and config-sync) per device, by result (ok, error)",
            ["device", "result"],
            registry=r,
        )
        self.notifications = Counter(
            f"{PREFIX}_notifications",
            "Contrail notifications received, by object type",
            ["type"],
            registry=r,
        )
        self.contrail_reads = Counter(
            f"{PREFIX}_contrail_reads",
            "Contrail snapshot reads, by scope and result",
            ["scope", "result"],
            registry=r,
        )
        self.sets_owned = Gauge(
            f"{PREFIX}_sets_owned",
            "F5 service-appliance-sets this replica reconciles now",
            registry=r,
        )
        self.snapshot_lbs = Gauge(
            f"{PREFIX}_snapshot_load_balancers",
            "Load balancers in this replica's Contrail snapshot: with ZooKeeper, those of the "
            "sets it owns and of the sets sharing their devices; alone, all",
            registry=r,
        )
        self.sets_unusable = Gauge(
            f"{PREFIX}_sets_unusable",
            "F5 sets this replica owns but cannot reconcile: their settings name a bad or "
            "missing key (the status page says which)",
            registry=r,
        )
        self.ownership_changes = Counter(
            f"{PREFIX}_ownership_changes",
            "Sets this replica acquired, released, or lost with its ZooKeeper session",
            ["change"],
            registry=r,
        )
        self.device_up = Gauge(
            f"{PREFIX}_device_up",
            "1 if the device answered this replica's last attempt, else 0",
            ["device"],
            registry=r,
        )
        self.login_refused = Gauge(
            f"{PREFIX}_device_login_refused",
            "1 while the device refuses our credentials (logins back off), else 0",
            ["device"],
            registry=r,
        )
        self.login_failures = Counter(
            f"{PREFIX}_device_login_failures",
            "Logins the device refused (wrong user or password)",
            ["device"],
            registry=r,
        )
        self.lbs_in_error = Gauge(
            f"{PREFIX}_load_balancers_in_error",
            "Load balancers whose last reconcile failed",
            registry=r,
        )
