"""A replica hears every other replica's changes (their status write-backs above all): what
it keeps for them must not grow with them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from reconciler.config import Config
from reconciler.contrail.changes import Change
from reconciler.daemon.controller import Controller
from reconciler.daemon.events import Index
from reconciler.daemon.metrics import Metrics
from reconciler.model.contrail import ContrailSnapshot
from tests.unit.builders import World


class OneSetReplica:
    """Ownership of a replica holding set ``mine`` (not the sole daemon: reads are scoped)."""

    def start(self, on_change: Callable[[], None]) -> None: ...
    def offer(self, sets: Iterable[str]) -> None: ...
    def owns(self, sas: str) -> bool:
        return sas == "mine"

    def fence(self, sas: str) -> float | None:
        return None

    def may_write(self, sas: str) -> bool:
        return sas == "mine"

    def pending_release(self) -> frozenset[str]:
        return frozenset()

    def released(self, sas: str) -> None: ...
    def readiness(self) -> dict[str, bool]:
        return {}

    @property
    def owned(self) -> frozenset[str]:
        return frozenset({"mine"})

    def stop(self) -> None: ...


def test_notifications_of_objects_it_does_not_hold_leave_nothing_behind() -> None:
    controller = Controller(Config(), object(), Metrics(), ownership=OneSetReplica())
    controller.snapshot = ContrailSnapshot()
    assert controller.scoped
    for i in range(1000):  # another replica's member status write-back, heard here
        controller.notify(
            {"type": "loadbalancer-member", "oper": "UPDATE", "uuid": f"m-{i}", "fq_name": []}
        )
    assert len(controller.queue) == 1000  # each is looked up once (``_resolve``)...
    assert controller._changes == {}  # ...and nothing is kept for them meanwhile


def test_members_of_pools_it_does_not_hold_cost_no_read_until_the_pool_is_its() -> None:
    """Another replica's member changes name their pool (fq_name): one this replica does not
    hold is not looked up (four or five GETs each, on the thread that reads this replica's
    own changes). If the pool becomes ours a moment later — made, attached, moved into our
    set — the member noticed in between is read with it."""
    controller = Controller(Config(), object(), Metrics(), ownership=OneSetReplica())
    world = World()
    lb, _, pool = world.service(members=1)
    pool = replace(pool, fq_name=("default-domain", "demo", "web-pool"))
    world.pools[pool.uuid] = pool
    snapshot = world.snapshot()
    controller.snapshot = ContrailSnapshot()
    for i in range(1000):
        controller.notify(
            {
                "type": "loadbalancer-member",
                "oper": "UPDATE",
                "uuid": f"m-{i}",
                "fq_name": ["default-domain", "demo", f"other-pool-{i % 10}", f"m-{i}"],
            }
        )
    controller.notify(
        {
            "type": "loadbalancer-member",
            "oper": "CREATE",
            "uuid": "new-member",
            "fq_name": [*pool.fq_name, "new-member"],
        }
    )
    assert len(controller.queue) == 0  # nothing to look up, nothing kept but the park
    assert controller._changes == {}

    # The pool shows up in what this replica holds (its read reached the index).
    controller.snapshot, controller.index = snapshot, Index.of(snapshot)
    controller._unpark(None)
    assert len(controller.queue) == 1
    assert controller._changes == {lb.uuid: {Change("loadbalancer_member", "new-member")}}
    assert len(controller.parked) == 1000  # the others' members stay parked, then expire
