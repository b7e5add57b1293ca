"""Work spread over a few connections, one item per connection at a time.

Both peers answer requests concurrently: a BIG-IP serves several connections and
serialises only its commits, a Contrail API server runs several workers. A pass that waits
on their latency is faster with a few requests in flight, as long as each item's own
requests stay in order on one connection (a BIG-IP transaction lives in its connection's
headers). ``bigip.parallel`` runs a device's partitions with ``each``; ``contrail.status``
hands pages of status writes to a ``Fanout`` as they come.

Threads from ``concurrent.futures``; in the daemon ``gevent.monkey.patch_all()`` has made
them greenlets, which is all the concurrency waiting on a peer needs.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Generic, TypeVar

Connection = TypeVar("Connection")
Item = TypeVar("Item")
Out = TypeVar("Out")


class Siblings(Generic[Connection]):
    """A connection and up to ``size - 1`` more like it, made by ``make`` when first needed
    and kept: a device's logins count against its limit of tokens per user, and a pass
    should not pay for new connections each time. ``take(n)``: the first n, this one first."""

    def __init__(self, first: Connection, make: Callable[[], Connection], size: int) -> None:
        self.first = first
        self.size = max(1, size)
        self._make = make
        self._made: list[Connection] = []
        self._lock = threading.Lock()  # the daemon's workers may ask at once

    def take(self, wanted: int | None = None) -> list[Connection]:
        count = max(1, min(self.size, wanted if wanted is not None else self.size))
        with self._lock:
            while len(self._made) < count - 1:
                self._made.append(self._make())
            return [self.first, *self._made[: count - 1]]

    def made(self) -> list[Connection]:
        """The connections made besides the first."""
        with self._lock:
            return list(self._made)


class Fanout(Generic[Connection]):
    """Work handed over as it comes, each item run on a free connection (one item per
    connection at a time, as many workers as connections). ``close`` waits for the items
    already started."""

    def __init__(self, connections: Sequence[Connection], name: str = "worker") -> None:
        self._free: queue.SimpleQueue[Connection] = queue.SimpleQueue()
        for connection in connections:
            self._free.put(connection)
        self._pool = ThreadPoolExecutor(len(connections), thread_name_prefix=name)

    def submit(self, work: Callable[[Connection, Item], Out], item: Item) -> Future[Out]:
        def run() -> Out:
            connection = self._free.get()  # never waits: as many workers as connections
            try:
                return work(connection, item)
            finally:
                self._free.put(connection)

        return self._pool.submit(run)

    def close(self) -> None:
        self._pool.shutdown()


def each(
    connections: Sequence[Connection],
    items: Sequence[Item],
    work: Callable[[Connection, Item], Out],
    on_done: Callable[[int, Out], None] | None = None,
    name: str = "worker",
) -> list[Out]:
    """``work(connection, item)`` for every item, over the connections (one item per
    connection at a time). Results in the items' order; ``on_done(index, result)`` runs in
    the calling thread as each item finishes. An exception of ``work`` is raised here once
    the items already started have finished. One connection (or one item): no thread."""
    if len(connections) <= 1 or len(items) <= 1:
        results = []
        for index, item in enumerate(items):
            result = work(connections[0], item)
            if on_done is not None:
                on_done(index, result)
            results.append(result)
        return results
    fanout = Fanout(connections, name)
    futures = {fanout.submit(work, item): index for index, item in enumerate(items)}
    slots: dict[int, Out] = {}
    try:
        for future in as_completed(futures):
            index = futures[future]
            slots[index] = future.result()
            if on_done is not None:
                on_done(index, slots[index])
    except BaseException:
        for future in futures:
            future.cancel()  # those not started yet; the running ones finish
        raise
    finally:
        fanout.close()
    return [slots[i] for i in range(len(items))]
