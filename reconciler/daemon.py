"""The long-running ``reconcile``: a full pass now, then again every ``resync_interval``.

Level-triggered: each pass computes from the full current state, so a pass that failed
(Contrail or a device unreachable) is simply followed by the next one. SIGTERM and SIGINT
let the current pass finish, then exit cleanly.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from reconciler.config import Config
from reconciler.logs import get_logger

log = get_logger("daemon")


def run_daemon(config: Config, stop: threading.Event | None = None) -> int:
    from reconciler.contrail.connect import ContrailUnavailable, connect
    from reconciler.contrail.reader import ContrailReadError
    from reconciler.reconcile import Reconciler

    stop = stop or threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        log.info("stopping after the current pass", signal=signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)

    reconciler: Reconciler | None = None
    backoff = 1.0
    while not stop.is_set():
        started = time.monotonic()
        try:
            if reconciler is None:
                reconciler = Reconciler(config, connect(config))
            result = reconciler.run()
            backoff = 1.0
            log.info(
                "pass finished",
                ok=result.ok,
                summary=result.plan.summary(),
                seconds=round(time.monotonic() - started, 3),
            )
            wait = config.resync_interval
        except (ContrailUnavailable, ContrailReadError) as exc:
            log.warning("contrail unavailable; retrying", error=str(exc), retry_in=backoff)
            reconciler = None
            wait, backoff = backoff, min(backoff * 2, config.resync_interval)
        stop.wait(wait)
    log.info("stopped")
    return 0
