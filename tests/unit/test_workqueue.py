"""The work queue: coalescing, one worker per key, backoff with jitter."""

from __future__ import annotations

import random
import threading

from reconciler.daemon.workqueue import DONE, RETRY, WorkQueue


def test_ten_adds_of_one_key_are_one_item() -> None:
    queue: WorkQueue[str] = WorkQueue()
    for _ in range(10):
        queue.add("lb-1")
    queue.add("lb-2")
    assert len(queue) == 2
    assert {queue.get(timeout=1), queue.get(timeout=1)} == {"lb-1", "lb-2"}
    assert queue.get(timeout=0.05) is None


def test_a_key_added_while_processing_comes_back_once_released() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("lb-1")
    assert queue.get(timeout=1) == "lb-1"
    queue.add("lb-1")
    queue.add("lb-1")
    assert queue.get(timeout=0.05) is None  # not handed to a second worker meanwhile
    queue.done("lb-1")
    assert queue.get(timeout=1) == "lb-1"


def test_failures_back_off_exponentially_with_jitter_and_success_resets() -> None:
    queue: WorkQueue[str] = WorkQueue(base_delay=0.01, max_delay=0.08, rng=random.Random(7))
    queue.add("k")
    delays = []
    for _ in range(6):
        assert queue.get(timeout=1) == "k"  # the retry comes back by itself
        delays.append(queue.done("k", RETRY))
    ceilings = [0.01, 0.02, 0.04, 0.08, 0.08, 0.08]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == len(delays)  # jittered, not lockstep
    assert queue.failures("k") == 6
    assert queue.get(timeout=1) == "k"
    assert queue.done("k", DONE) is None
    assert queue.failures("k") == 0
    assert queue.get(timeout=0.1) is None


def test_a_delayed_key_is_not_due_before_its_time() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("later", delay=0.3)
    queue.add("now")
    assert queue.get(timeout=1) == "now"
    assert queue.get(timeout=0.05) is None
    assert queue.get(timeout=2) == "later"


def test_close_wakes_a_blocked_worker() -> None:
    queue: WorkQueue[str] = WorkQueue()
    got: list[object] = []
    worker = threading.Thread(target=lambda: got.append(queue.get()))
    worker.start()
    queue.close()
    worker.join(timeout=2)
    assert got == [None]


def test_each_outcome_does_what_it_says() -> None:
    """done → forgotten; terminal → forgotten and counted, no retry; retry → backoff;
    requeue-after → back at the time asked, without counting a failure."""
    from reconciler.daemon.workqueue import TERMINAL, requeue_after

    queue: WorkQueue[str] = WorkQueue(base_delay=0.05, max_delay=0.05)
    for key in ("done", "terminal", "retry", "later"):
        queue.add(key)
    outcomes = {"done": DONE, "terminal": TERMINAL, "retry": RETRY, "later": requeue_after(0.2)}
    for _ in range(4):
        key = queue.get(timeout=1)
        assert key is not None
        queue.done(key, outcomes[key])
    assert queue.terminal == 1 and queue.failures("terminal") == 0
    assert queue.failures("retry") == 1 and queue.failures("later") == 0
    assert queue.get(timeout=1) == "retry"  # the backoff (≤ 0.05 s) comes first
    queue.done("retry", DONE)
    assert queue.get(timeout=0.05) is None  # "later" is not due yet
    assert queue.get(timeout=1) == "later"
    queue.done("later", DONE)
    assert queue.get(timeout=0.3) is None  # done and terminal never came back
