"""Progress of long applies, for the person waiting on them.

An initial sync of a thousand load balancers writes for minutes. On a terminal, one line on
stderr is redrawn as partitions are applied (objects written / planned, partitions done,
elapsed, rate); anywhere else (the daemon, a CI log) a ``progress`` log line is written every
few seconds instead, and once at the end. Nothing is said for applies too small to wait on.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from reconciler.logs import get_logger

log = get_logger("progress")
LOG_EVERY_SECONDS = 5.0
QUIET_BELOW_OBJECTS = 50  # smaller applies finish before anyone would look


class Progress:
    """Counts what an apply has written against what its plan holds."""

    def __init__(
        self,
        what: str = "apply",
        stream: TextIO | None = None,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        every: float = LOG_EVERY_SECONDS,
    ) -> None:
        self.what = what
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.clock = clock
        self.every = every
        self.planned_objects = 0
        self.planned_partitions = 0
        self.written = 0
        self.partitions = 0
        self.started: float | None = None
        self._last_log = 0.0
        self._lock = threading.Lock()

    def plan(self, objects: int, partitions: int) -> None:
        """More work is known (each set's plan, as it is made)."""
        with self._lock:
            self.planned_objects += objects
            self.planned_partitions += partitions
            if self.started is None:
                self.started = self._last_log = self.clock()

    def partition_done(self, objects: int) -> None:
        with self._lock:
            self.written += objects
            self.partitions += 1
            self._show(final=False)

    def finish(self) -> None:
        with self._lock:
            if self.started is not None and self.partitions:
                self._show(final=True)

    def line(self) -> str:
        elapsed = self.clock() - (self.started or self.clock())
        rate = self.written / elapsed if elapsed > 0 else 0.0
        return (
            f"{self.what}: {self.written}/{self.planned_objects} objects, "
            f"{self.partitions}/{self.planned_partitions} partitions, "
            f"{elapsed:.1f} s, {rate:.1f} objects/s"
        )

    def _show(self, final: bool) -> None:
        if self.planned_objects < QUIET_BELOW_OBJECTS:
            return
        if self.tty:
            end = "\n" if final else ""
            self.stream.write(f"\r\033[K{self.line()}{end}")
            self.stream.flush()
            return
        now = self.clock()
        if final or now - self._last_log >= self.every:
            self._last_log = now
            elapsed = now - (self.started or now)
            log.info(
                "progress",
                what=self.what,
                objects_written=self.written,
                objects_planned=self.planned_objects,
                partitions_done=self.partitions,
                partitions_planned=self.planned_partitions,
                elapsed_seconds=round(elapsed, 1),
                objects_per_second=round(self.written / elapsed, 1) if elapsed > 0 else 0.0,
                done=final,
            )
