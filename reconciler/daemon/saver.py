"""``save sys config`` batched off the change path.

Without a save a device reboot loses what we wrote (agent #806), but a save costs seconds on
a large device. The daemon's device workers therefore do not save after each change: a
worker tells its ``DeferredSave`` that it wrote, and the saver — a thread (a greenlet under
the daemon) of its own — saves once the device has had no write of ours for
``idle`` seconds, or every ``most`` seconds under a constant stream of changes. A change is
never queued behind a save in flight: the worker goes on with the next key while the device
saves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from reconciler.bigip.client import DeviceError
from reconciler.plan.saves import SaveScope

SAVE_IDLE_SECONDS = 1.0
SAVE_MAX_SECONDS = 30.0


class DeferredSave:
    def __init__(
        self,
        save: Callable[[SaveScope], None],
        log: Any,
        idle: float = SAVE_IDLE_SECONDS,
        most: float = SAVE_MAX_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        on_saved: Callable[[bool], None] = lambda ok: None,
    ) -> None:
        self._save = save
        self._on_saved = on_saved  # told of every save's result (metrics, the status page)
        self._log = log
        self.idle, self.most = idle, most
        self._clock = clock
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one save at a time
        self.unsaved_since: float | None = None  # first write not saved yet
        self.last_write = 0.0
        self.unsaved = SaveScope()  # the partitions written since the last save

    def wrote(self, scope: SaveScope) -> None:
        """The worker wrote to the device: a save is due, after a quiet moment."""
        with self._lock:
            now = self._clock()
            self.last_write = now
            self.unsaved = self.unsaved.then(scope)
            if self.unsaved_since is None:
                self.unsaved_since = now

    def due(self) -> bool:
        with self._lock:
            if self.unsaved_since is None:
                return False
            now = self._clock()
            return now - self.last_write >= self.idle or now - self.unsaved_since >= self.most

    def flush(self) -> bool:
        """Save now if anything is unsaved; True when nothing is left unsaved. A write that
        lands while the save runs keeps the device unsaved (it may not be in the save)."""
        with self._flushing:
            with self._lock:
                if self.unsaved_since is None:
                    return True
                started = self._clock()
                scope = self.unsaved
            try:
                self._save(scope)
            except DeviceError as exc:
                self._log.warning("save or config-sync failed; will retry", error=str(exc))
                self._on_saved(False)
                return False
            self._on_saved(True)
            with self._lock:
                self.unsaved = self.unsaved.without(scope)
                if self.last_write < started:
                    self.unsaved_since = None
                else:
                    self.unsaved_since = self.last_write
                return self.unsaved_since is None

    def run(self, stopped: Callable[[], bool], poll: float = 0.2) -> None:
        """Save whenever one is due, until ``stopped()`` (the caller flushes at the end)."""
        while not stopped():
            if self.due():
                self.flush()
            time.sleep(poll)
