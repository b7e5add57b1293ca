"""Work on one device's partitions side by side, over a small pool of connections.

A BIG-IP serves requests concurrently and serialises what changes its configuration (mcpd
takes one commit at a time), so a pass that waits on the device's latency goes faster with a
few connections in flight: one partition per connection at a time, each partition's own
requests still in order on its connection (a partition's transaction lives in that
connection's headers). ``DeviceClient.pool`` gives the connections (``device_connections``,
default 4; each holds one token of the device's 100 per user); ``reconciler.concurrency``
runs the work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from reconciler import concurrency
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
    connections (one item per connection at a time); see :func:`concurrency.each`."""
    return concurrency.each(
        client.pool(len(items)), items, work, on_done, name=f"device-{client.name}"
    )
