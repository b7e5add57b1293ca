"""Results computed at most once a second and shared by every request that asks meanwhile.

The status page and ``/status.json`` are built from the controller's whole state: at 1,000
load balancers one build costs tens of milliseconds of CPU on the event loop that also runs
reconciles and answers probes. Thirty clients reloading the page must not mean thirty builds:
a result is kept for ``max_age`` seconds and handed to everyone who asks for the same key;
callers that arrive while it is being built wait for that build instead of starting their
own; and at most ``concurrent`` builds (of different keys: other pages, other searches) run at
once — the others wait, for at most ``wait`` seconds, then get ``Busy`` (the server answers
503 with Retry-After).

Plain ``threading`` primitives: under the daemon's monkey-patching they are gevent's, in a
unit test they are the OS's, and the behaviour is the same.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

MAX_AGE_SECONDS = 1.0
CONCURRENT_BUILDS = 2
WAIT_SECONDS = 10.0
KEYS_KEPT = 64  # distinct pages and searches remembered at once


class Busy(Exception):
    """Every build slot stayed taken for ``wait`` seconds."""


@dataclass
class _Build:
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None


class SharedResults:
    """``get(key, build)``: ``build()``'s result, at most ``max_age`` seconds old."""

    def __init__(
        self,
        max_age: float = MAX_AGE_SECONDS,
        concurrent: int = CONCURRENT_BUILDS,
        wait: float = WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_age, self.wait, self.clock = max_age, wait, clock
        self.slots = threading.BoundedSemaphore(concurrent)
        self.lock = threading.Lock()
        self.kept: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self.building: dict[Hashable, _Build] = {}
        self.builds = 0  # how many times a build ran (the tests and the benchmark read it)

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        with self.lock:
            kept = self.kept.get(key)
            if kept is not None and self.clock() - kept[0] < self.max_age:
                return kept[1]
            running = self.building.get(key)
            if running is None:
                running = self.building[key] = _Build()
                mine = True
            else:
                mine = False
        if not mine:
            if not running.done.wait(self.wait):
                raise Busy(key)
            if running.error is not None:
                raise running.error
            return running.value
        try:
            if not self.slots.acquire(timeout=self.wait):
                raise Busy(key)
            try:
                self.builds += 1
                running.value = build()
            finally:
                self.slots.release()
            with self.lock:
                self.kept[key] = (self.clock(), running.value)
                self.kept.move_to_end(key)
                while len(self.kept) > KEYS_KEPT:
                    self.kept.popitem(last=False)
            return running.value
        except BaseException as exc:
            running.error = exc
            raise
        finally:
            with self.lock:
                self.building.pop(key, None)
            running.done.set()


class Pace:
    """At most ``rate`` starts a second: ``wait()`` sleeps until this caller's turn, or
    answers False at once when that turn is more than ``longest`` seconds away."""

    def __init__(
        self, rate: float, longest: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval, self.longest, self.clock = 1.0 / rate, longest, clock
        self.lock = threading.Lock()
        self.next_turn = 0.0

    def wait(self, sleep: Callable[[float], None] = time.sleep) -> bool:
        with self.lock:
            now = self.clock()
            turn = max(now, self.next_turn)
            if turn - now > self.longest:
                return False
            self.next_turn = turn + self.interval
        if turn > now:
            sleep(turn - now)
        return True
