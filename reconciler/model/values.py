"""Immutable JSON-like values for the pure core.

Desired and live BIG-IP objects, and the Contrail snapshot, are compared, hashed and shared
between greenlets; making them deeply immutable means nobody can change a value another part
of the pipeline is still looking at. ``freeze`` turns JSON into such a value, ``thaw`` turns it
back into plain dicts and lists for the wire.
"""

from __future__ import annotations

import sys
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any, Generic, TypeVar

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
        """Without the keys in ``drop`` and with ``put`` set (``updated``: a layer over a
        large mapping rather than a copy of it)."""
        return updated(self, drop, put)

    def __eq__(self, other: object) -> bool:
        if type(other) is _Layered:
            return other == self
        if isinstance(other, FrozenDict):  # the dicts' own comparison, not Mapping's copies
            return self is other or self._data == other._data
        return super().__eq__(other)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenDict({self._data!r})"


_GONE: Any = object()  # a key a layer drops
_ABSENT: Any = object()

#: A mapping this large is updated through a layer: copying it costs ~10 ms per 100,000
#: entries (each value's reference count is touched), per change, at 50,000 load balancers
#: the live cache's 1.2 million objects alone ~200 ms.
LAYER_FROM = 2048


class _Layered(FrozenDict[K, V]):
    """A large FrozenDict that is a shared base dict (never changed once shared) and a small
    overlay of the keys changed since (``_GONE``: dropped). An update copies the overlay,
    not the base; once the overlay grows past a fraction of the base the two are merged
    into a new base, so a long run of changes costs O(1) amortised per changed key.
    Iteration keeps the base's order, changed keys in place and new keys at the end."""

    __slots__ = ("_over", "_len")
    _over: dict[K, V]
    _len: int

    @classmethod
    def _make(cls, base: dict[K, V], over: dict[K, V], length: int) -> _Layered[K, V]:
        made: _Layered[K, V] = object.__new__(cls)
        made._data, made._over, made._len, made._hash = base, over, length, None
        return made

    def __getitem__(self, key: K) -> V:
        value = self._over.get(key, _ABSENT)
        if value is _ABSENT:
            return self._data[key]
        if value is _GONE:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        value = self._over.get(key, _ABSENT)  # type: ignore[arg-type]
        return key in self._data if value is _ABSENT else value is not _GONE

    def get(self, key: K, default: Any = None) -> Any:
        value = self._over.get(key, _ABSENT)
        if value is _ABSENT:
            return self._data.get(key, default)
        return default if value is _GONE else value

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[K]:
        over, base = self._over, self._data
        for key in base:
            if over.get(key, _ABSENT) is not _GONE:
                yield key
        for key, value in over.items():
            if value is not _GONE and key not in base:
                yield key

    def keys(self) -> Any:
        return KeysView(self)

    def items(self) -> Any:
        return _LayeredItems(self)

    def values(self) -> Any:
        return ValuesView(self)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Mapping) or len(other) != len(self):
            return False
        return all(other.get(key, _ABSENT) == value for key, value in self.items())

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenDict({dict(self.items())!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return FrozenDict, (dict(self.items()),)


class _LayeredItems(ItemsView[K, V]):
    """Pairs without a second lookup per key (Mapping's generic view makes one)."""

    _mapping: _Layered[K, V]

    def __iter__(self) -> Iterator[tuple[K, V]]:
        layered = self._mapping
        over, base = layered._over, layered._data
        for key, value in base.items():
            changed = over.get(key, _ABSENT)
            if changed is _ABSENT:
                yield key, value
            elif changed is not _GONE:
                yield key, changed
        for key, value in over.items():
            if value is not _GONE and key not in base:
                yield key, value


def updated(
    mapping: Mapping[K, V], drop: Iterable[K] = (), put: Iterable[tuple[K, V]] = ()
) -> FrozenDict[K, V]:
    """``mapping`` without the keys in ``drop`` and with ``put`` set, as a FrozenDict; a
    plain dict given here must never be changed after. A small mapping is copied; a large
    one gets a layer over it (``_Layered``), so the daemon's per-change update of a
    50,000-load-balancer snapshot, live cache or index costs what the change touches."""
    if isinstance(mapping, _Layered):
        base, over, length = mapping._data, dict(mapping._over), mapping._len
    elif isinstance(mapping, dict) or type(mapping) is FrozenDict:
        base = mapping if isinstance(mapping, dict) else mapping._data
        if len(base) < LAYER_FROM:
            data = dict(base)
            for key in drop:
                data.pop(key, None)
            data.update(put)
            small: FrozenDict[K, V] = FrozenDict()
            small._data = data
            return small
        over, length = {}, len(base)
    else:
        base, over, length = dict(mapping.items()), {}, len(mapping)
    for key in drop:
        held = over.get(key, _ABSENT)
        if held is _ABSENT:
            if key in base:
                over[key], length = _GONE, length - 1
        elif held is not _GONE:
            length -= 1
            if key in base:
                over[key] = _GONE
            else:
                del over[key]
    for key, value in put:
        held = over.get(key, _ABSENT)
        if held is _GONE or (held is _ABSENT and key not in base):
            length += 1
        over[key] = value
    if len(over) * 16 > len(base):  # merge: the overlay would slow every lookup down
        merged = dict(_LayeredItems(_Layered._make(base, over, length)))
        return updated(merged) if len(merged) >= LAYER_FROM else FrozenDict(merged)
    return _Layered._make(base, over, length)


class Edits(Generic[K, V]):
    """Changes to a mapping written as to a dict, made a FrozenDict at the end by
    ``updated``: the per-change update of a large index in the words of a dict's, without
    copying it first."""

    __slots__ = ("base", "changed")

    def __init__(self, base: Mapping[K, V]) -> None:
        self.base = base
        self.changed: dict[K, Any] = {}  # key → new value, or _GONE

    def get(self, key: K, default: Any = None) -> Any:
        value = self.changed.get(key, _ABSENT)
        if value is _ABSENT:
            return self.base.get(key, default)
        return default if value is _GONE else value

    def __contains__(self, key: K) -> bool:
        return self.get(key, _ABSENT) is not _ABSENT

    def __getitem__(self, key: K) -> V:
        value = self.get(key, _ABSENT)
        if value is _ABSENT:
            raise KeyError(key)
        return value

    def __setitem__(self, key: K, value: V) -> None:
        self.changed[key] = value

    def __delitem__(self, key: K) -> None:
        if key not in self:
            raise KeyError(key)
        self.changed[key] = _GONE

    def pop(self, key: K, default: Any = None) -> Any:
        value = self.get(key, _ABSENT)
        self.changed[key] = _GONE
        return default if value is _ABSENT else value

    def done(self) -> FrozenDict[K, V]:
        changed = self.changed
        return updated(
            self.base,
            [key for key, value in changed.items() if value is _GONE],
            [(key, value) for key, value in changed.items() if value is not _GONE],
        )


T = TypeVar("T")


class ValueTable:
    """Equal frozen values as one object, for as long as the table is kept (one device read,
    one translate).

    A device's members and nodes, and the desired members, repeat a handful of field sets
    (``ratio 1, session user-enabled``): at 5,000 load balancers 50,000 members had 10
    distinct ones, each its own dict of ~250 bytes. Hashing costs about a microsecond a
    value; a value seen once costs a table entry until the table goes."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[Any, Any] = {}

    def __call__(self, value: T) -> T:
        return self._seen.setdefault(value, value)


#: Strings longer than this are kept as they are: a name, an address, a path or a status
#: repeats across objects; a certificate or a description rarely does.
SHARED_TEXT_MAX = 256


def shared(value: Any) -> Any:
    """A string as the one copy every holder shares (interned; freed with its last user);
    anything else as it is.

    JSON and f-strings give every object its own copy of each string: at 5,000 load
    balancers the Contrail snapshot held 470,000 strings (32 MB) of which 108,000 (9 MB)
    differ (a project's subnet uuid in each member, a status, a uuid again in every
    reference to it), and a device's 120,000 objects each had their own partition, pool and
    ``/Common/http``. Sharing them also lets a desired value and the live one it equals be
    the same object."""
    if type(value) is str and len(value) <= SHARED_TEXT_MAX:
        return sys.intern(value)
    return value


def freeze(value: Any) -> Any:
    """Deeply convert dicts to FrozenDict and lists/sets to tuples (strings shared)."""
    if type(value) is str:
        return shared(value)
    if isinstance(value, FrozenDict):
        return value
    if isinstance(value, Mapping):
        return FrozenDict((shared(k), freeze(v)) for k, v in value.items())
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
