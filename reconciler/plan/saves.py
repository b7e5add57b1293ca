"""Which partitions a ``save sys config`` must cover after some writes.

A BIG-IP keeps each partition's configuration in a file of its own, and
``save sys config partitions { … }`` writes only those: on a device of 50,000 virtuals a
whole save takes seconds, during which the device answers our next change late. The
partitions to save are the ones the written objects live in. A partition created or
deleted is also a change to ``Common`` (where the folder is declared); a deleted one is
not named (the device would refuse a partition that no longer exists).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.model.resources import resource_type
from reconciler.plan.model import Operation

COMMON = "Common"


@dataclass(frozen=True)
class SaveScope:
    """Partitions written (to save) and partitions deleted (never to name in a save)."""

    written: frozenset[str] = frozenset()
    deleted: frozenset[str] = frozenset()

    def then(self, later: SaveScope) -> SaveScope:
        """This scope followed by ``later`` (unsaved writes pile up between saves)."""
        return SaveScope(
            (self.written - later.deleted) | later.written,
            (self.deleted - later.written) | later.deleted,
        )

    def without(self, saved: SaveScope) -> SaveScope:
        """What is left unsaved once ``saved`` was saved (writes since then stay)."""
        return SaveScope(self.written - saved.written, self.deleted - saved.deleted)

    @property
    def partitions(self) -> tuple[str, ...]:
        """What a save names, ``Common`` first."""
        return tuple(sorted(self.written, key=lambda p: (p != COMMON, p)))

    def __bool__(self) -> bool:
        return bool(self.written or self.deleted)


def save_scope(applied: Iterable[Operation]) -> SaveScope:
    """The partitions the applied operations changed."""
    written: set[str] = set()
    deleted: set[str] = set()
    for op in applied:
        if resource_type(op.obj.kind).is_partition:
            written.add(COMMON)
            (deleted if op.action == "delete" else written).add(op.obj.partition)
        else:
            written.add(op.obj.partition)
    return SaveScope(frozenset(written - deleted), frozenset(deleted))
