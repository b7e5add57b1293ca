"""What a ``save sys config`` names after a plan: the partitions written, Common for a
partition made or removed, never a partition that no longer exists."""

from __future__ import annotations

from reconciler.model.bigip import BigIPObject
from reconciler.model.values import freeze
from reconciler.plan.model import Operation
from reconciler.plan.saves import SaveScope, save_scope


def op(action: str, kind: str, partition: str, name: str) -> Operation:
    return Operation(action, BigIPObject.make(kind, partition, name, freeze({})))


def test_a_member_change_saves_its_project_partition_alone() -> None:
    scope = save_scope([op("update", "ltm/pool", "Project_a", "pool_1")])
    assert scope.partitions == ("Project_a",)


def test_a_new_project_saves_its_partition_and_common() -> None:
    scope = save_scope(
        [
            op("create", "sys/folder", "Project_a", "Project_a"),
            op("create", "net/route-domain", "Common", "rd_a"),
            op("create", "ltm/virtual", "Project_a", "vs_1"),
        ]
    )
    assert scope.partitions == ("Common", "Project_a")


def test_a_removed_project_is_not_named_once_gone() -> None:
    written = save_scope([op("create", "ltm/virtual", "Project_a", "vs_1")])
    removed = save_scope(
        [
            op("delete", "ltm/virtual", "Project_a", "vs_1"),
            op("delete", "sys/folder", "Project_a", "Project_a"),
        ]
    )
    assert removed.partitions == ("Common",)
    assert written.then(removed).partitions == ("Common",)
    assert removed.then(written).partitions == ("Common", "Project_a")  # made again


def test_what_a_save_leaves_unsaved() -> None:
    pending = SaveScope(frozenset({"A", "B"}))
    assert pending.without(SaveScope(frozenset({"A"}))).partitions == ("B",)
    assert not pending.without(pending)
