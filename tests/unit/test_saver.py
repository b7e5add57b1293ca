"""The deferred ``save sys config``: after a quiet moment, or at the latest every so often,
and never taking a write made while it ran for saved."""

from __future__ import annotations

from typing import Any

from reconciler.bigip.client import DeviceError
from reconciler.daemon.saver import DeferredSave
from reconciler.plan.saves import SaveScope

P = SaveScope(frozenset({"P"}))  # a write to one project's partition


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Ticking(Clock):
    """Time moves on between any two readings."""

    def __call__(self) -> float:
        self.now += 0.01
        return self.now


class Log:
    def __init__(self) -> None:
        self.warnings: list[dict[str, Any]] = []

    def warning(self, event: str, **kw: Any) -> None:
        self.warnings.append({"event": event, **kw})


def test_a_save_is_due_after_a_quiet_moment_or_at_the_latest_after_the_maximum() -> None:
    clock, saves = Clock(), []
    saver = DeferredSave(
        lambda _scope: saves.append(clock.now), Log(), idle=1.0, most=30.0, clock=clock
    )
    assert not saver.due()  # nothing written
    saver.wrote(P)
    clock.now += 0.5
    assert not saver.due()  # still writing
    clock.now += 0.6
    assert saver.due() and saver.flush() and saves == [101.1]
    assert not saver.due()
    for _ in range(70):  # a write every half second, for thirty-five seconds
        saver.wrote(P)
        clock.now += 0.5
        if saver.due():
            saver.flush()
    assert len(saves) == 2  # once at the 30 s ceiling, not never


def test_a_write_during_the_save_keeps_the_device_unsaved() -> None:
    clock = Clock()
    saver: DeferredSave

    def save(_scope: SaveScope) -> None:
        clock.now += 2.0  # a large device takes seconds
        saver.wrote(P)  # the worker wrote meanwhile

    saver = DeferredSave(save, Log(), clock=clock)
    saver.wrote(P)
    assert saver.flush() is False and saver.unsaved_since is not None


def test_a_failed_save_is_said_and_stays_due() -> None:
    log = Log()

    def save(_scope: SaveScope) -> None:
        raise DeviceError("connection reset")

    results: list[bool] = []
    saver = DeferredSave(save, log, idle=0.0, clock=Clock(), on_saved=results.append)
    saver.wrote(P)
    assert saver.flush() is False and saver.due()
    assert log.warnings and "connection reset" in log.warnings[0]["error"]
    assert results == [False]  # counted (contrail_f5_device_saves_total) and an event


def test_a_save_names_the_partitions_written_since_the_last_one() -> None:
    """A save of a large device holds it for seconds: only what changed is saved, and a
    partition written while a save runs is saved by the next one."""
    clock, saved = Ticking(), []
    saver: DeferredSave

    def save(scope: SaveScope) -> None:
        saved.append(scope.partitions)
        if len(saved) == 1:
            saver.wrote(SaveScope(frozenset({"C"})))  # written during the first save

    saver = DeferredSave(save, Log(), idle=0.0, clock=clock)
    saver.wrote(SaveScope(frozenset({"A"})))
    saver.wrote(SaveScope(frozenset({"Common", "B"})))
    assert saver.flush() is False  # C came in meanwhile
    assert saver.flush() is True
    assert saved == [("Common", "A", "B"), ("C",)]


def test_a_failed_save_keeps_its_partitions_for_the_next_one() -> None:
    saved: list[tuple[str, ...]] = []
    fail = [False, True]  # popped from the end: the first save fails

    def save(scope: SaveScope) -> None:
        if fail.pop():
            raise DeviceError("connection reset")
        saved.append(scope.partitions)

    saver = DeferredSave(save, Log(), idle=0.0, clock=Ticking())
    saver.wrote(SaveScope(frozenset({"A"})))
    assert saver.flush() is False
    saver.wrote(SaveScope(frozenset({"B"})))
    assert saver.flush() is True and saved == [("A", "B")]
