"""Notifications of members whose pool this replica does not hold, parked instead of read.

A replica hears every change in the cloud, the other replicas' status write-backs above all
(one per member of each load balancer they configure). A member it cannot place was looked
up (its pool, listener and load balancer, then whether that load balancer is ours): four or
five GETs, on the one thread that also reads this replica's own changes — at a cold start of
24,000 load balancers of 10 members, hours of round trips against a real API server.

A member's pool is its parent and never changes, and the notification names it (a member's
fq_name is its pool's and its own name). So a member whose pool is not in the snapshot's
index is not ours — unless that pool is about to become ours (just made, attached to one of
our listeners, or its load balancer moved into our set), and then its own notification reads
it with its members. What is left is a window of seconds: a member made after that read
listed the pool's members but noticed before the index has the pool. Its notification waits
here, keyed by its pool's fq_name, until the index gains that pool (``take``) or it is old
enough that any read of its pool since has listed it (``KEEP_SECONDS``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

PoolName = tuple[str, ...]

#: How long a parked member waits for its pool to show up: far longer than a read of the
#: pool takes to reach the index (seconds), far shorter than memory wants.
KEEP_SECONDS = 60.0


class ParkedMembers:
    """Pool fq_name → the uuids of its members noticed while the pool was unknown, and when."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._by_pool: dict[PoolName, dict[str, float]] = {}
        self._lock = threading.Lock()
        self._pruned = clock()

    def __len__(self) -> int:
        with self._lock:
            return sum(len(members) for members in self._by_pool.values())

    def park(self, pool: PoolName, member_uuid: str) -> None:
        now = self._clock()
        with self._lock:
            self._by_pool.setdefault(pool, {})[member_uuid] = now
            if now - self._pruned > KEEP_SECONDS / 4:
                self._prune(now)

    def pools(self) -> set[PoolName]:
        """The pools with members parked now (nothing is taken)."""
        with self._lock:
            return set(self._by_pool)

    def take(
        self, known: Callable[[PoolName], bool], pools: Iterable[PoolName] | None = None
    ) -> dict[PoolName, set[str]]:
        """The parked members of the pools ``known`` now says are held (of ``pools`` only,
        when given: those a one-load-balancer read indexed), no longer parked."""
        with self._lock:
            candidates = (
                list(self._by_pool) if pools is None else [p for p in pools if p in self._by_pool]
            )
            return {pool: set(self._by_pool.pop(pool)) for pool in candidates if known(pool)}

    def _prune(self, now: float) -> None:
        self._pruned = now
        for pool in list(self._by_pool):
            members = {m: t for m, t in self._by_pool[pool].items() if now - t < KEEP_SECONDS}
            if members:
                self._by_pool[pool] = members
            else:
                del self._by_pool[pool]
