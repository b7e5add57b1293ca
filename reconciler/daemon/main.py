"""The long-running ``reconcile``: notifications, periodic resync, workers, health.

Wiring only (the machinery is in ``controller``): connect to Contrail (retrying while it is
down), start the controller's Contrail stage and device workers, subscribe to RabbitMQ when a
broker is configured (each bind asks for a full resync; without a broker the periodic resync
alone drives the reconciler: polling), serve ``/healthz``, ``/readyz``, ``/metrics`` and the
status page (``/``, ``/status.json``), and on SIGTERM let every worker finish its current apply before exiting.

The entry point (``cli.main``) has monkey-patched the process with gevent before importing
this module, so threads here are greenlets and sockets cooperate.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from reconciler import user_agent
from reconciler.config import Config
from reconciler.contrail.connect import ContrailUnavailable, connect
from reconciler.coordination import (
    Ownership,
    SoleOwnership,
    ZooKeeperOwnership,
    replica_identity,
)
from reconciler.daemon.access import Access
from reconciler.daemon.controller import Controller
from reconciler.daemon.health import serve
from reconciler.daemon.metrics import Metrics
from reconciler.daemon.objecttree import device_objects
from reconciler.daemon.probes import ProbeProcess
from reconciler.daemon.watch import Watcher, broker_connection
from reconciler.logs import capture_gevent_errors, get_logger

log = get_logger("daemon")
BIND_WAIT_SECONDS = 10.0


def _connect_until_stopped(config: Config, stop: threading.Event) -> Any | None:
    backoff = 1.0
    while not stop.is_set():
        try:
            return connect(config)
        except ContrailUnavailable as exc:
            log.warning("contrail not reachable; retrying", error=str(exc), retry_in=backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, 30.0)
    return None


def _ownership(config: Config, replica: str, metrics: Metrics) -> Ownership:
    """ZooKeeper coordination when configured; otherwise this process owns every set."""
    if not config.zk_server_ip:
        log.info("no zookeeper configured: this replica owns every set", replica=replica)
        return SoleOwnership()
    log.info(
        "coordinating through zookeeper",
        hosts=config.zk_hosts,
        root=config.zk_root,
        replica=replica,
        session_timeout=config.zk_session_timeout,
    )
    return ZooKeeperOwnership(
        config.zk_hosts,
        config.zk_root,
        replica,
        session_timeout=config.zk_session_timeout,
        on_transition=lambda _sas, change: metrics.ownership_changes.labels(change).inc(),
    )


def run_daemon(config: Config, stop: threading.Event | None = None) -> int:
    stop = stop or threading.Event()
    capture_gevent_errors()

    def _stop(signum: int, _frame: Any) -> None:
        log.info("stopping: finishing the current applies", signal=signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)

    metrics = Metrics()
    replica = replica_identity(config.replica_id)
    ownership = _ownership(config, replica, metrics)
    watcher: Watcher | None = None
    controller: Controller | None = None

    def readiness() -> dict[str, bool]:
        checks = {"contrail_connected": controller is not None}
        if controller is not None:
            checks.update(controller.readiness())
        else:
            checks.update(initial_sync=False)
        checks.update(ownership.readiness())
        if config.rabbit_server:
            checks["broker_connected"] = bool(watcher and watcher.connected)
        return checks

    def status() -> dict[str, Any]:
        """The status page's data: the controller's state, with who and how ready we are."""
        checks = readiness()
        data = controller.status() if controller is not None else {}
        return {**data, "replica": replica, "ready": all(checks.values()), "checks": checks}

    def objects_of(lb_uuid: str) -> list[dict[str, Any]]:
        return device_objects(controller, lb_uuid) if controller is not None else []

    access = Access.from_config(config)
    health = serve(config.http_listen, readiness, metrics, status, access, objects_of)
    log.info(
        "serving health, metrics and the status page",
        listen=config.http_listen,
        token_required=not access.open,
    )
    probes: ProbeProcess | None = None
    if config.probe_listen:
        try:
            probes = ProbeProcess(config.probe_listen)
        except OSError as exc:
            log.error("cannot answer the probes", error=str(exc))
            health.stop()
            return 1
        threading.Thread(target=probes.publish_until, args=(readiness, stop), daemon=True).start()
        log.info("answering the probes from a process of their own", listen=config.probe_listen)
    if not access.open and not access.token:
        log.warning(
            "the status page, status.json and metrics answer 401 to everyone: no "
            "http_token is configured (set http_token_file, or http_auth = none)"
        )
    vnc = _connect_until_stopped(config, stop)
    if vnc is None:
        health.stop()
        if probes is not None:
            probes.stop()
        return 0
    controller = Controller(
        config,
        vnc,
        metrics,
        ownership=ownership,
        user_agent=user_agent(replica),
    )
    controller.start()
    if config.rabbit_server:
        # Bind first, then resync (each bind asks for one), so no change slips in between.
        # A broker that is down must not hold the first sync back: after BIND_WAIT seconds
        # we resync anyway, and the bind, when it comes, resyncs again.
        bound = threading.Event()

        def on_bound() -> None:
            bound.set()
            controller.resync()

        watcher = Watcher(broker_connection(config), controller.notify, on_bound)
        threading.Thread(target=watcher.run, daemon=True, name="watch").start()
        if not bound.wait(BIND_WAIT_SECONDS):
            log.warning(
                "broker not reachable yet; first sync without notifications",
                waited=BIND_WAIT_SECONDS,
            )
            controller.resync()
    else:
        log.info(
            "no broker configured: polling every resync_interval", seconds=config.resync_interval
        )
        controller.resync()
    while not stop.wait(config.resync_interval):
        controller.resync()
    if watcher is not None:
        watcher.stop()
    controller.stop(timeout=8.0)
    health.stop(timeout=1)
    if probes is not None:
        probes.stop()
    log.info("stopped")
    return 0
