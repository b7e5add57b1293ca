"""Objects, the indexes that keep every operation cheap, and the generation counter.

Objects are plain dicts, never changed once stored (a write stores a new dict), so readers can
serialise them without a lock while one writer works. Indexes:

- per type and partition (collection GET with ``$filter=partition eq X`` costs that partition);
- per parent (a pool's members);
- references in both directions (in-use checks on delete never scan the configuration);
- objects per folder (a folder that is not empty cannot be deleted);
- address keys (a virtual finds its virtual address, a member its node, by IP and route domain).

A journal of prior values makes a batch of writes undoable: transactions and failed
multi-object writes roll back by replaying it backwards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

Key = str | tuple[str, str]  # fullPath, or (parent fullPath, fullPath) for sub-collection items
Obj = dict[str, Any]
Target = tuple[str, str]  # (family, fullPath-or-id)


class Store:
    def __init__(self, type_paths: Iterable[str]) -> None:
        self.type_paths = list(type_paths)
        self.generation = 0
        self.objects: dict[str, dict[Key, Obj]] = {t: {} for t in self.type_paths}
        self.by_partition: dict[str, dict[str, dict[Key, None]]] = {
            t: defaultdict(dict) for t in self.type_paths
        }
        self.children: dict[tuple[str, str], dict[Key, None]] = defaultdict(dict)
        self.family: dict[tuple[str, str], str] = {}  # (family, fullPath) → type path
        self.refs_out: dict[tuple[str, Key], tuple[Target, ...]] = {}
        self.refs_in: dict[Target, dict[tuple[str, Key], None]] = defaultdict(dict)
        self.addr_out: dict[tuple[str, Key], tuple[Any, ...]] = {}
        self.addresses: dict[tuple[Any, ...], str] = {}  # (family, partition, rd, ip) → fullPath
        self.folder_counts: dict[str, int] = defaultdict(int)
        self.rd_ids: dict[int, str] = {}
        self.journal: list[tuple[str, Key, Obj | None]] | None = None
        self._journal_generation = 0

    # --- reading ----------------------------------------------------------------------

    def get(self, type_path: str, key: Key) -> Obj | None:
        return self.objects[type_path].get(key)

    def exists(self, family: str, path: str) -> bool:
        return (family, path) in self.family

    def type_of(self, family: str, path: str) -> str | None:
        return self.family.get((family, path))

    def referrers(self, target: Target) -> list[tuple[str, Key]]:
        return list(self.refs_in.get(target, ()))

    # --- writing ----------------------------------------------------------------------

    def next_generation(self) -> int:
        self.generation += 1
        return self.generation

    def put(
        self,
        type_path: str,
        key: Key,
        obj: Obj,
        family: str,
        refs: tuple[Target, ...],
        addr: tuple[Any, ...] | None,
    ) -> None:
        """Store ``obj`` under ``key``, replacing any previous value and its index entries."""
        old = self.objects[type_path].get(key)
        if self.journal is not None:
            self.journal.append((type_path, key, old))
        if old is not None:
            self._unindex(type_path, key, old, family)
        self.objects[type_path][key] = obj
        self._index(type_path, key, obj, family, refs, addr)

    def remove(self, type_path: str, key: Key, family: str) -> Obj | None:
        old = self.objects[type_path].pop(key, None)
        if old is None:
            return None
        if self.journal is not None:
            self.journal.append((type_path, key, old))
        self._unindex(type_path, key, old, family)
        return old

    def _index(
        self,
        type_path: str,
        key: Key,
        obj: Obj,
        family: str,
        refs: tuple[Target, ...],
        addr: tuple[Any, ...] | None,
    ) -> None:
        full_path = obj["fullPath"]
        self.by_partition[type_path][obj.get("partition", "")][key] = None
        parent = obj.get("_parent")
        if parent is not None:
            self.children[(type_path, parent)][key] = None
        else:
            self.family[(family, full_path)] = type_path
            folder = full_path.rsplit("/", 1)[0] if "/" in full_path else ""
            self.folder_counts[folder] += 1
        if "id" in obj and family == "route-domain":
            self.rd_ids[int(obj["id"])] = full_path
        self.refs_out[(type_path, key)] = refs
        for target in refs:
            self.refs_in[target][(type_path, key)] = None
        if addr is not None:
            self.addr_out[(type_path, key)] = addr
            self.addresses[addr] = full_path

    def _unindex(self, type_path: str, key: Key, obj: Obj, family: str) -> None:
        full_path = obj["fullPath"]
        part = self.by_partition[type_path].get(obj.get("partition", ""))
        if part is not None:
            part.pop(key, None)
            if not part:
                del self.by_partition[type_path][obj.get("partition", "")]
        parent = obj.get("_parent")
        if parent is not None:
            kids = self.children.get((type_path, parent))
            if kids is not None:
                kids.pop(key, None)
                if not kids:
                    del self.children[(type_path, parent)]
        else:
            self.family.pop((family, full_path), None)
            folder = full_path.rsplit("/", 1)[0] if "/" in full_path else ""
            self.folder_counts[folder] -= 1
            if self.folder_counts[folder] <= 0:
                del self.folder_counts[folder]
        if "id" in obj and family == "route-domain":
            self.rd_ids.pop(int(obj["id"]), None)
        for target in self.refs_out.pop((type_path, key), ()):
            holders = self.refs_in.get(target)
            if holders is not None:
                holders.pop((type_path, key), None)
                if not holders:
                    del self.refs_in[target]
        addr = self.addr_out.pop((type_path, key), None)
        if addr is not None and self.addresses.get(addr) == full_path:
            del self.addresses[addr]

    # --- undo ---------------------------------------------------------------------------

    def begin(self) -> None:
        self.journal = []
        self._journal_generation = self.generation

    def commit(self) -> None:
        self.journal = None

    def rollback(self, reindex: Any) -> None:
        """Undo every write since ``begin``; ``reindex(type, key, obj)`` re-puts an object."""
        journal, self.journal = self.journal or [], None
        for type_path, key, old in reversed(journal):
            current = self.objects[type_path].get(key)
            if current is not None:
                reindex(type_path, key, None)
            if old is not None:
                reindex(type_path, key, old)
        self.generation = self._journal_generation
