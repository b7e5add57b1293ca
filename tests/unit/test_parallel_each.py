"""bigip/parallel.each: items over a pool of connections, one item per connection at a time."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from reconciler.bigip import parallel
from reconciler.bigip.client import DeviceClient
from reconciler.model.values import Secret
from reconciler.settings import DeviceSettings


def client(connections: int) -> DeviceClient:
    settings = DeviceSettings("bigip1", "127.0.0.1", 443, "admin", Secret("pw"))
    return DeviceClient(settings, connections=connections, user_agent="test/1")


def test_siblings_share_settings_and_are_kept() -> None:
    main = client(4)
    fence_calls: list[int] = []
    main.fence = lambda: fence_calls.append(1) or None  # set after the siblings are made
    pool = main.pool()
    assert len(pool) == 4 and pool[0] is main
    assert len({id(c) for c in pool}) == 4
    assert all(c.settings == main.settings and c.user_agent == "test/1" for c in pool)
    assert main.pool() == pool  # made once, reused (their tokens too)
    assert main.pool(2) == pool[:2]
    pool[3]._fence()
    assert fence_calls == [1]  # a sibling asks the fence its origin has now


@pytest.mark.parametrize("connections", [1, 3])
def test_each_keeps_order_and_uses_one_connection_per_item(connections: int) -> None:
    main = client(connections)
    busy: set[int] = set()
    lock = threading.Lock()
    most = [0]
    done: list[int] = []

    def work(connection: Any, item: int) -> int:
        with lock:
            assert id(connection) not in busy  # never two items on one connection
            busy.add(id(connection))
            most[0] = max(most[0], len(busy))
        time.sleep(0.02)
        with lock:
            busy.discard(id(connection))
        return item * 10

    results = parallel.each(main, list(range(8)), work, lambda i, r: done.append(i))
    assert results == [i * 10 for i in range(8)]
    assert sorted(done) == list(range(8))
    assert most[0] == connections


def test_an_error_is_raised_after_the_running_items() -> None:
    finished: list[int] = []
    started = threading.Event()

    def work(connection: Any, item: int) -> int:
        if item == 1:
            started.wait(5)  # item 0 is running on the other connection
            raise ValueError("boom")
        if item == 0:
            started.set()
            time.sleep(0.2)  # still running when item 1 fails
        finished.append(item)
        return item

    with pytest.raises(ValueError, match="boom"):
        parallel.each(client(2), [0, 1, 2, 3], work)
    assert 0 in finished  # the item running beside the failure was let finish first
