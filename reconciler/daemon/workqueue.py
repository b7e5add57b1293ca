"""A coalescing, rate-limited work queue of keys, like controller-runtime's.

- A key that is already waiting is not added twice: ten events for one load balancer become
  one reconcile of it.
- A key is handed to one worker at a time; if it is added again while being worked on, it is
  queued again when that worker is done (the newer state is never lost).
- The handler's :class:`Outcome` says what happens next, like controller-runtime's
  ``Result``: ``DONE`` forgets the key; ``TERMINAL`` forgets it and counts it (only a change
  of the input can help: no retry); ``RETRY`` brings it back after an exponential backoff
  with full jitter (so a device that is down is retried less and less often, and many keys
  do not retry in lockstep); ``requeue_after(s)`` brings it back after ``s`` seconds without
  counting a failure. Anything but a retry resets the key's backoff.

It uses ``threading`` primitives, which gevent's monkey-patching turns into greenlet ones.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Outcome:
    """What the queue does with a key once its handler returns."""

    kind: Literal["done", "terminal", "retry", "requeue"]
    after: float = 0.0  # requeue: seconds until the key is due again


DONE = Outcome("done")
TERMINAL = Outcome("terminal")
RETRY = Outcome("retry")


def requeue_after(seconds: float) -> Outcome:
    return Outcome("requeue", max(0.0, seconds))


class WorkQueue(Generic[K]):
    def __init__(
        self,
        base_delay: float = 0.5,
        max_delay: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int, K]] = []
        self._due: dict[K, float] = {}  # waiting keys and when they are due
        self._processing: set[K] = set()
        self._dirty: dict[K, float] = {}  # added while processing: requeue at this delay
        self._failures: dict[K, int] = {}
        self._seq = itertools.count()
        self._closed = False
        self.terminal = 0  # keys given up on: only a change of their input can help

    def __len__(self) -> int:
        with self._lock:
            return len(self._due) + len(self._dirty)

    def add(self, key: K, delay: float = 0.0) -> None:
        """Queue ``key`` to be due after ``delay`` seconds (an earlier due time wins)."""
        with self._lock:
            if self._closed:
                return
            if key in self._processing:
                self._dirty[key] = min(delay, self._dirty.get(key, delay))
                return
            due = self._clock() + delay
            if key in self._due and self._due[key] <= due:
                return
            self._due[key] = due
            heapq.heappush(self._heap, (due, next(self._seq), key))
            self._lock.notify()

    def get(self, timeout: float | None = None) -> K | None:
        """The next due key (now owned by the caller), or None on timeout or close."""
        deadline = None if timeout is None else self._clock() + timeout
        with self._lock:
            while not self._closed:
                now = self._clock()
                while self._heap and self._due.get(self._heap[0][2]) != self._heap[0][0]:
                    heapq.heappop(self._heap)  # superseded by an earlier due time
                if self._heap and self._heap[0][0] <= now:
                    _due, _seq, key = heapq.heappop(self._heap)
                    del self._due[key]
                    self._processing.add(key)
                    return key
                waits = [self._heap[0][0] - now] if self._heap else []
                if deadline is not None:
                    if now >= deadline:
                        return None
                    waits.append(deadline - now)
                self._lock.wait(min(waits) if waits else None)
            return None

    def done(self, key: K, outcome: Outcome | bool = DONE) -> float | None:
        """Release ``key`` with its handler's outcome (``True``/``False``: done/retry).
        Returns the delay after which it comes back, if it does."""
        if isinstance(outcome, bool):
            outcome = DONE if outcome else RETRY
        with self._lock:
            self._processing.discard(key)
            again: float | None = None
            if outcome.kind == "retry":
                failures = self._failures.get(key, 0) + 1
                self._failures[key] = failures
                ceiling = min(self.max_delay, self.base_delay * 2 ** (failures - 1))
                again = self._rng.uniform(ceiling / 2, ceiling)
            else:
                self._failures.pop(key, None)
                if outcome.kind == "requeue":
                    again = outcome.after
                elif outcome.kind == "terminal":
                    self.terminal += 1
            dirty = self._dirty.pop(key, None)
        if dirty is not None:
            self.add(key, dirty if again is None else max(dirty, again))
        elif again is not None:
            self.add(key, again)
        return again

    def failures(self, key: K) -> int:
        with self._lock:
            return self._failures.get(key, 0)

    def serve(
        self,
        handle: Callable[[K], Outcome | bool],
        stopped: Callable[[], bool],
        log: Any,
        idle: Callable[[], None] = lambda: None,
        after: Callable[[], None] = lambda: None,
        poll: float = 1.0,
    ) -> None:
        """Work the queue until ``stopped()``: ``handle(key)`` returns its outcome (an
        exception is a retry); ``idle`` runs when nothing came within ``poll`` seconds,
        ``after`` after every key."""
        while not stopped():
            key = self.get(timeout=poll)
            if key is None:
                idle()
                continue
            outcome: Outcome | bool = RETRY
            try:
                outcome = handle(key)
            except Exception:  # a bug must cost one key a retry, not the worker its life
                log.exception("work item crashed", key=key)
            finally:
                again = self.done(key, outcome)
                if again is not None and outcome in (RETRY, False):
                    log.info("will retry", key=key, retry_in=round(again, 2))
                after()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()
