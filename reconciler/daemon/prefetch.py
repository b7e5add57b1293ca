"""The changed object, read as soon as its notification arrives.

The Contrail stage lets a burst of notifications settle (``EVENT_SETTLE_SECONDS``) before it
reads what changed, so one change paid the settle window and then its GET: on an API server
answering in 50 ms, 100 ms before planning could start. The read cannot be skipped (the
notification does not carry the object) but it can overlap the wait: the GET starts when the
notification arrives, and the stage takes its answer when the window ends.

A prefetched answer is used only if its GET began after the last notification about that
object (an older read could miss the newest change); otherwise, or when the read failed or
too many are in flight, the stage reads the object itself, as it did before. Only objects of
load balancers the snapshot holds are prefetched: a replica never reads what another owns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler.contrail.changes import READABLE, Change

#: At most this many reads in flight; a notification beyond them is read by the stage.
IN_FLIGHT = 8
#: How long the stage waits for a read in flight before making its own.
WAIT_SECONDS = 30.0
#: Answers nobody took (their load balancer's key was dropped) are let go past this many.
KEPT = 10_000


@dataclass
class _Read:
    started: float
    done: threading.Event = field(default_factory=threading.Event)
    answer: Any = None
    ok: bool = False


class Prefetch:
    """``notice`` a change when its notification arrives; ``take`` the answers for the
    changes a reconcile reads (``read``: the one GET, e.g. ``vnc.loadbalancer_member_read``
    by ``(method, uuid)``, raising ``NoIdError`` when the object is gone)."""

    def __init__(self, read: Callable[[str, str], Any]) -> None:
        self._read = read
        self._lock = threading.Lock()
        self._noticed: dict[Change, float] = {}
        self._reads: dict[Change, _Read] = {}
        self._slots = threading.BoundedSemaphore(IN_FLIGHT)

    def notice(self, change: Change) -> None:
        """A notification named ``change``: start its read, if a slot is free."""
        method = READABLE[change.kind].method
        if not method:
            return  # a port: read by listing, not prefetched
        now = time.monotonic()
        with self._lock:
            self._noticed[change] = now
            if len(self._noticed) > KEPT:
                self._noticed.clear()
                self._reads.clear()
                self._noticed[change] = now
        if not self._slots.acquire(blocking=False):
            return
        read = _Read(started=time.monotonic())
        with self._lock:
            self._reads[change] = read
        threading.Thread(target=self._run, args=(change, method, read), daemon=True).start()

    def _run(self, change: Change, method: str, read: _Read) -> None:
        try:
            read.answer = self._read(method, change.uuid)
            read.ok = True
        except Exception as exc:  # noqa: BLE001 - the stage's own read reports it
            read.answer = exc
            read.ok = _gone(exc)
        finally:
            read.done.set()
            self._slots.release()

    def take(self, changes: Iterable[Change]) -> dict[Change, Any]:
        """The answers read after each change's last notification: the raw object, or a
        ``NoIdError`` when it is gone. Changes missing here are read by the caller."""
        answers: dict[Change, Any] = {}
        for change in changes:
            with self._lock:
                read = self._reads.pop(change, None)
                noticed = self._noticed.pop(change, None)
            if read is None or noticed is None or read.started < noticed:
                continue
            if read.done.wait(WAIT_SECONDS) and read.ok:
                answers[change] = read.answer
        return answers

    def forget(self, changes: Iterable[Change]) -> None:
        """Changes nobody will read (another replica's load balancer)."""
        with self._lock:
            for change in changes:
                self._reads.pop(change, None)
                self._noticed.pop(change, None)


def _gone(exc: Exception) -> bool:
    from vnc_api.exceptions import NoIdError

    return isinstance(exc, NoIdError)
