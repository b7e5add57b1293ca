"""Immutable JSON-like values for the pure core.

Desired and live BIG-IP objects, and the Contrail snapshot, are compared, hashed and shared
between greenlets; making them deeply immutable means nobody can change a value another part
of the pipeline is still looking at. ``freeze`` turns JSON into such a value, ``thaw`` turns it
back into plain dicts and lists for the wire.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class FrozenDict(Mapping[K, V]):
    """A hashable, read-only mapping (insertion order kept, equality order-insensitive)."""

    __slots__ = ("_data", "_hash")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._data: dict[K, V] = dict(*args, **kwargs)
        self._hash: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    # The dict's own views and lookups: Mapping's generic ones call __getitem__ per item,
    # which made iterating a 50,000-member snapshot several times slower.
    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: K, default: Any = None) -> Any:
        return self._data.get(key, default)

    def keys(self) -> Any:
        return self._data.keys()

    def items(self) -> Any:
        return self._data.items()

    def values(self) -> Any:
        return self._data.values()

    def updated(self, drop: Iterable[K] = (), put: Iterable[tuple[K, V]] = ()) -> FrozenDict[K, V]:
        """A copy without the keys in ``drop`` and with ``put`` set: one C-level copy of the
        dict (the daemon's per-change snapshot update of 50,000 members)."""
        data = dict(self._data)
        for key in drop:
            data.pop(key, None)
        data.update(put)
        copy: FrozenDict[K, V] = FrozenDict()
        copy._data = data
        return copy

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenDict({self._data!r})"


def freeze(value: Any) -> Any:
    """Deeply convert dicts to FrozenDict and lists/sets to tuples."""
    if isinstance(value, FrozenDict):
        return value
    if isinstance(value, Mapping):
        return FrozenDict((k, freeze(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, set | frozenset):
        return tuple(sorted(freeze(v) for v in value))
    return value


def thaw(value: Any) -> Any:
    """Deeply convert FrozenDict/tuple back to dict/list (JSON-serialisable)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


class Secret:
    """A credential that prints as ``***`` everywhere: logs, plans, reprs, tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value, for the one place that needs it (the device login)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)
