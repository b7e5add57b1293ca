"""Replicas dividing F5 sets through a real ZooKeeper server (in-process replicas).

What a user relies on: every set has exactly one owner; a replica that stops or dies loses
its sets to the others; a set moves only once its old owner has let go; and a replica cut
off from ZooKeeper stops writing before anyone else can start.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from reconciler.coordination import NotOwner, ZooKeeperOwnership, rendezvous_owner
from tests.support.polling import wait_until
from tests.support.zookeeper import Relay, ZooKeeperServer

pytestmark = [pytest.mark.zookeeper, pytest.mark.slow]
SETS = ["f5-a", "f5-b", "f5-c", "f5-d"]


class Replica:
    """An ownership plus what the controller does with it: release a set it gives up at
    once (no workers to wait for), unless ``hold`` says to keep it until told."""

    def __init__(self, hosts: str, root: str, name: str, timeout: float, hold: bool = False):
        self.ownership = ZooKeeperOwnership(hosts, root, name, session_timeout=timeout)
        self.hold = hold
        self.ownership.start(self._changed)
        self.ownership.offer(SETS)

    def _changed(self) -> None:
        if not self.hold:
            for sas in self.ownership.pending_release():
                self.ownership.released(sas)

    @property
    def owned(self) -> frozenset[str]:
        return self.ownership.owned


@pytest.fixture
def root() -> str:
    return f"/test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def replicas() -> Iterator[list[Replica]]:
    made: list[Replica] = []
    yield made
    for replica in made:
        replica.ownership.stop()


def owners(group: list[Replica]) -> dict[str, list[str]]:
    return {s: [r.ownership.replica_id for r in group if s in r.owned] for s in SETS}


def each_set_owned_once(group: list[Replica]) -> bool:
    return all(len(names) == 1 for names in owners(group).values())


def test_three_replicas_divide_the_sets_and_a_stopped_ones_sets_move_to_the_others(
    zookeeper: ZooKeeperServer, root: str, replicas: list[Replica]
) -> None:
    replicas += [Replica(zookeeper.hosts, root, f"r{i}", timeout=4) for i in range(3)]
    names = [r.ownership.replica_id for r in replicas]
    expected = {s: [rendezvous_owner(s, names)] for s in SETS}
    wait_until(lambda: owners(replicas) == expected, what="the division all replicas agree on")
    assert len({o[0] for o in owners(replicas).values()}) >= 2  # spread, not all on one
    victim = max(replicas, key=lambda r: len(r.owned))
    victim.ownership.stop()  # a clean stop closes the session: no timeout to wait for
    survivors = [r for r in replicas if r is not victim]
    wait_until(lambda: each_set_owned_once(survivors), timeout=3, what="takeover")
    assert set().union(*(r.owned for r in survivors)) == set(SETS)


def test_a_set_moves_only_after_its_old_owner_has_released_it(
    zookeeper: ZooKeeperServer, root: str, replicas: list[Replica]
) -> None:
    first = Replica(zookeeper.hosts, root, "first", timeout=4, hold=True)
    replicas.append(first)
    wait_until(lambda: first.owned == frozenset(SETS), what="the only replica owns all")
    second = Replica(zookeeper.hosts, root, "second", timeout=4)
    replicas.append(second)
    wait_until(lambda: bool(first.ownership.pending_release()), what="first gives sets up")
    moving = first.ownership.pending_release()
    time.sleep(1.0)  # the newcomer waits, however long the old owner's apply takes
    assert second.owned == frozenset()
    for sas in moving:  # still ours to write while we finish
        assert first.ownership.fence(sas) is not None
    for sas in moving:
        first.ownership.released(sas)
    wait_until(lambda: second.owned == moving, what="the newcomer takes the released sets")
    with pytest.raises(NotOwner, match=sorted(moving)[0]):
        first.ownership.fence(sorted(moving)[0])
    assert each_set_owned_once(replicas)


def test_a_replica_cut_off_from_zookeeper_stops_writing_before_another_takes_over(
    zookeeper: ZooKeeperServer, root: str, replicas: list[Replica]
) -> None:
    relay = Relay(zookeeper.port)
    cut = Replica(relay.hosts, root, "cut", timeout=3)
    other = Replica(zookeeper.hosts, root, "other", timeout=3)
    replicas += [cut, other]
    wait_until(lambda: each_set_owned_once(replicas) and cut.owned, what="division")
    theirs = sorted(cut.owned)
    frozen_at = time.monotonic()
    relay.freeze()
    wait_until(
        lambda: not any(cut.ownership.may_write(s) for s in theirs), every=0.02, what="fence"
    )
    stopped_writing = time.monotonic()
    wait_until(lambda: other.owned == frozenset(SETS), every=0.02, what="takeover")
    taken_over = time.monotonic()
    assert stopped_writing < taken_over
    assert taken_over - frozen_at < 3 + 4  # the session timeout, plus the server's tick
    for sas in theirs:
        with pytest.raises(NotOwner):
            cut.ownership.fence(sas)
    relay.stop()


def test_the_fence_refuses_a_set_this_replica_does_not_hold(
    zookeeper: ZooKeeperServer, root: str, replicas: list[Replica]
) -> None:
    only = Replica(zookeeper.hosts, root, "only", timeout=4)
    replicas.append(only)
    with pytest.raises(NotOwner, match="f5-unknown"):
        only.ownership.fence("f5-unknown")
    wait_until(lambda: only.owned == frozenset(SETS), what="ownership")
    left = only.ownership.fence("f5-a")
    assert left is not None and 0 < left <= 4
