"""A replica hears every other replica's changes (their status write-backs above all): what
it keeps for them must not grow with them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from reconciler.config import Config
from reconciler.daemon.controller import Controller
from reconciler.daemon.metrics import Metrics
from reconciler.model.contrail import ContrailSnapshot


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
