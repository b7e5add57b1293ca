"""Work on one device's partitions side by side, over a small pool of connections.

A BIG-IP serves requests concurrently and serialises what changes its configuration (mcpd
takes one commit at a time), so a pass that waits on the device's latency goes faster with a
few connections in flight: one partition per connection at a time, each partition's own
requests still in order on its connection (a partition's transaction lives in that
connection's headers). ``DeviceClient.pool`` gives the connections (``device_connections``,
default 4; each holds one token of the device's 100 per user).

Threads from ``concurrent.futures``; in the daemon ``gevent.monkey.patch_all()`` has made
them greenlets, which is all the concurrency waiting on a device needs.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TypeVar

from reconciler.bigip.client import DeviceClient

Item = TypeVar("Item")
Out = TypeVar("Out")


def each(
    client: DeviceClient,
    items: Sequence[Item],
    work: Callable[[DeviceClient, Item], Out],
    on_done: Callable[[int, Out], None] | None = None,
) -> list[Out]:
    """``work(connection, item)`` for every item, over up to ``client.connections``
    connections (one item per connection at a time). Results in the items' order;
    ``on_done(index, result)`` runs in the calling thread as each item finishes. An
    exception of ``work`` is raised here once the items already started have finished."""
    clients = client.pool(len(items))
    if len(clients) <= 1:
        results = []
        for index, item in enumerate(items):
            result = work(client, item)
            if on_done is not None:
                on_done(index, result)
            results.append(result)
        return results
    free: queue.SimpleQueue[DeviceClient] = queue.SimpleQueue()
    for connection in clients:
        free.put(connection)

    def run(item: Item) -> Out:
        connection = free.get()  # never waits: as many workers as connections
        try:
            return work(connection, item)
        finally:
            free.put(connection)

    slots: dict[int, Out] = {}
    with ThreadPoolExecutor(len(clients), thread_name_prefix=f"device-{client.name}") as pool:
        futures = {pool.submit(run, item): index for index, item in enumerate(items)}
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
    return [slots[i] for i in range(len(items))]
