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
    assert len(controller.queue) == 1  # looked up together (``daemon/unheld.py``)...
    assert len(controller.unheld) == 1000
    assert controller._changes == {}  # ...and nothing is kept for them meanwhile


class ListingContrail:
    """Just the listings a check of unheld objects makes, counted: pools → listeners → load
    balancers, one of which names the set this replica owns."""

    def __init__(self, ours: str) -> None:
        self.ours = ours
        self.calls: list[tuple[str, int]] = []

    def _listed(self, kind: str, ids: list[str], item: Callable[[str], dict]) -> dict:
        self.calls.append((kind, len(ids)))
        return {f"{kind}s": [{"uuid": u, **item(u)} for u in ids if not u.endswith("gone")]}

    def loadbalancer_pools_list(self, obj_uuids: list[str], fields: list[str]) -> dict:
        return self._listed(
            "loadbalancer-pool",
            obj_uuids,
            lambda u: {"loadbalancer_listener_refs": [{"uuid": f"listener-of-{u}"}]},
        )

    def loadbalancer_listeners_list(self, obj_uuids: list[str], fields: list[str]) -> dict:
        return self._listed(
            "loadbalancer-listener",
            obj_uuids,
            lambda u: {"loadbalancer_refs": [{"uuid": u.replace("listener-of-pool", "lb")}]},
        )

    def loadbalancers_list(self, obj_uuids: list[str], fields: list[str]) -> dict:
        return self._listed(
            "loadbalancer",
            obj_uuids,
            lambda u: {"loadbalancer_provider": "mine" if u == self.ours else "theirs"},
        )


def test_other_replicas_changes_are_checked_together_not_one_by_one() -> None:
    """After a cold start every replica hears the others' status write-backs: thousands of
    load balancers and pools it does not hold. One GET each (three up a pool's links) kept
    its change thread busy for most of an hour at 24,000 load balancers; checked together
    they cost one listing per 500. A load balancer made in our set among them is read."""
    world = World()
    world.sets["sas-mine"] = replace(next(iter(world.sets.values())), uuid="sas-mine", name="mine")
    snapshot = replace(world.snapshot(), load_balancers=type(world.snapshot().load_balancers)())
    contrail = ListingContrail(ours="lb-42")
    controller = Controller(Config(), contrail, Metrics(), ownership=OneSetReplica())
    controller.snapshot = snapshot
    controller.snapshot_scope = controller.wanted_scope(snapshot)
    for i in range(1000):
        controller.notify({"type": "loadbalancer", "oper": "UPDATE", "uuid": f"lb-{i}"})
    for i in range(999):
        controller.notify({"type": "loadbalancer-pool", "oper": "UPDATE", "uuid": f"pool-{i}"})
    controller.notify({"type": "loadbalancer-pool", "oper": "UPDATE", "uuid": "pool-gone"})
    assert len(controller.queue) == 1

    assert controller.sync_contrail(controller.queue.get(timeout=1))
    kinds = [kind for kind, _ in contrail.calls]
    assert kinds.count("loadbalancer-pool") == 2  # 1,000 pools: two pages of 500
    assert kinds.count("loadbalancer-listener") == 2
    assert kinds.count("loadbalancer") == 2  # 1,000 load balancers, once each
    assert len(contrail.calls) == 6
    assert controller.queue.get(timeout=1) == "lb-42"  # ours: read next
    assert controller.queue.get(timeout=0.05) is None


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


class Untouchable:
    """A device client that must not be used: any attribute asked of it fails the test."""

    def __init__(self) -> None:
        self.settings = None
        self.name = "bigip1"

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the device was used ({name})")


def test_a_worker_planning_ahead_of_its_sets_read_never_makes_a_full_pass() -> None:
    """Its snapshot holds a few projects of the set: a full pass, or a load balancer's pass
    on a device it has not read, would plan every other partition empty and delete them."""
    from reconciler.daemon.controller import FULL_RESYNC, DeviceWorker, Pinned
    from reconciler.daemon.workqueue import DONE

    world = World()
    lb, _, _ = world.service()
    controller = Controller(Config(), object(), Metrics(), ownership=OneSetReplica())
    worker = DeviceWorker(
        controller,
        world.settings.sas_uuid,
        [Untouchable()],  # type: ignore[list-item]
        pinned=Pinned(world.snapshot, world.settings),
    )
    for key in (FULL_RESYNC, lb.uuid):
        assert worker.reconcile(key) == DONE
    assert controller.results == {}
