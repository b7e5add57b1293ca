"""Immutable JSON-like values for the pure core.

Desired and live BIG-IP objects, and the Contrail snapshot, are compared, hashed and shared
between greenlets; making them deeply immutable means nobody can change a value another part
of the pipeline is still looking at. ``freeze`` turns JSON into such a value, ``thaw`` turns it
back into plain dicts and lists for the wire.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import (
    Callable,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    ValuesView,
)
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
        if other.__class__ in _SHAPED_TYPES or type(other) is _Layered:
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


class _Shape:
    """The keys of a shaped FrozenDict, in order, and where each one's value is: one per
    distinct key sequence, shared by every mapping that has it."""

    __slots__ = ("keys", "index")

    def __init__(self, keys: tuple[Any, ...]) -> None:
        self.keys = keys
        self.index = {key: at for at, key in enumerate(keys)}


#: Key sequence → its shape. A device's and a translate's field sets have a few dozen; the
#: table is bounded so that mappings keyed by data (uuids) cannot grow it without end: past
#: ``SHAPES_MAX`` shapes, or with more than ``SHAPED_KEYS_MAX`` keys, a mapping keeps a dict.
_SHAPES: dict[tuple[Any, ...], _Shape] = {}
SHAPES_MAX = 1024
SHAPED_KEYS_MAX = 16
_MISSING = object()


#: The slots a shaped mapping's values sit in, in its keys' order: the parent's ``_data``
#: first, then those of its class (one class per number of keys).
_VALUE_SLOTS = ("_data", *(f"_{at}" for at in range(1, SHAPED_KEYS_MAX)))


class _Shaped(FrozenDict[K, V]):
    """A FrozenDict whose values sit in slots of its own beside a shared ``_Shape`` (its
    keys): 56 bytes for a two-field node instead of ~270 for a dict of its own (or ~100
    for a tuple of values beside the shape). Everything else is FrozenDict's: equal to any
    mapping with the same items, the same hash, the same iteration order. The parent's
    slots are reused: ``_data`` holds the first value, ``_hash`` the shape (the hash is
    computed when asked: a field set is hashed when a read or a translate shares equal
    ones, not again). One subclass per number of keys (``_shaped_class``) has the rest."""

    __slots__ = ()
    _data: Any
    _hash: _Shape  # type: ignore[assignment]
    _get: Callable[[Any], tuple[Any, ...]]  # the values in order (a class's attrgetter)
    _same: Callable[[Any], Any]  # what equal mappings of one shape have equal: the values

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("made by freeze(), not directly")

    def __getitem__(self, key: K) -> V:
        return getattr(self, _VALUE_SLOTS[self._hash.index[key]])

    def __iter__(self) -> Iterator[K]:
        return iter(self._hash.keys)

    def __len__(self) -> int:
        return len(self._hash.keys)

    def __contains__(self, key: object) -> bool:
        return key in self._hash.index

    def get(self, key: K, default: Any = None) -> Any:
        at = self._hash.index.get(key)
        return default if at is None else getattr(self, _VALUE_SLOTS[at])

    def keys(self) -> Any:
        return self._hash.index.keys()

    def items(self) -> Any:
        return _ShapedItems(self)

    def values(self) -> Any:
        return _ShapedValues(self)

    def updated(self, drop: Iterable[K] = (), put: Iterable[tuple[K, V]] = ()) -> FrozenDict[K, V]:
        data = dict(zip(self._hash.keys, self._get(self), strict=True))
        for key in drop:
            data.pop(key, None)
        data.update(put)
        return _frozen_mapping(tuple(data), tuple(data.values()))

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if other.__class__ in _SHAPED_TYPES:
            if other._hash is self._hash:  # one shape: same order
                return self._same(self) == other._same(other)
            theirs: Mapping[Any, Any] = other
        elif type(other) is _Layered:
            theirs = other
        elif isinstance(other, FrozenDict):
            theirs = other._data
        else:
            return Mapping.__eq__(self, other)
        if len(theirs) != len(self._hash.keys):
            return False
        for key, mine in zip(self._hash.keys, self._get(self), strict=True):
            found = theirs.get(key, _MISSING)
            if found is _MISSING or not (found is mine or found == mine):  # identity first,
                return False  # as a dict's comparison
        return True

    def __hash__(self) -> int:
        return hash(frozenset(zip(self._hash.keys, self._get(self), strict=True)))

    def __repr__(self) -> str:
        return f"FrozenDict({dict(self.items())!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return _frozen_mapping, (self._hash.keys, self._get(self))


def _shaped_class(size: int) -> type[_Shaped[Any, Any]]:
    """The shaped mappings of ``size`` keys: a slot per value after the first."""
    names = _VALUE_SLOTS[:size]
    same = operator.attrgetter(*names)  # a tuple of them, or the one value
    get = same if size > 1 else staticmethod(lambda m: (m._data,))
    namespace = {"__slots__": names[1:], "_get": get, "_same": same}
    return type(f"_Shaped{size}", (_Shaped,), namespace)


_SHAPED_CLASSES = {size: _shaped_class(size) for size in range(1, SHAPED_KEYS_MAX + 1)}
# Asked by class, not by isinstance: a Mapping's isinstance goes through ABCMeta (slow)
_SHAPED_TYPES = frozenset(_SHAPED_CLASSES.values())


class _ShapedItems(ItemsView[K, V]):
    """A shaped FrozenDict's items: pairs zipped from its keys and values (not a lookup of
    each key, as Mapping's generic view does)."""

    _mapping: _Shaped[K, V]

    def __iter__(self) -> Iterator[tuple[K, V]]:
        shaped = self._mapping
        return zip(shaped._hash.keys, shaped._get(shaped), strict=True)


class _ShapedValues(ValuesView[V]):
    _mapping: _Shaped[Any, V]

    def __iter__(self) -> Iterator[V]:
        return iter(self._mapping._get(self._mapping))


def _frozen_mapping(keys: tuple[Any, ...], values: tuple[Any, ...]) -> FrozenDict[Any, Any]:
    """A FrozenDict of these keys and values (already frozen): shaped when it can be."""
    if 0 < len(keys) <= SHAPED_KEYS_MAX:
        shape = _SHAPES.get(keys)
        if shape is None and len(_SHAPES) < SHAPES_MAX:
            try:
                shape = _SHAPES[keys] = _Shape(keys)
            except TypeError:  # an unhashable key: let the dict say so
                shape = None
        if shape is not None and len(shape.index) == len(keys):
            made: _Shaped[Any, Any] = object.__new__(_SHAPED_CLASSES[len(keys)])
            made._hash = shape
            setter = object.__setattr__
            for name, value in zip(_VALUE_SLOTS, values):  # noqa: B905 - slots outnumber
                setter(made, name, value)
            return made
    return FrozenDict(zip(keys, values, strict=True))


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
    the same object.

    A number up to ``SHARED_NUMBER_MAX`` is shared too (Python keeps one copy of each only
    up to 256): 10,000 members' ``protocol_port`` 8080 were 10,000 ints of 28 bytes."""
    kind = type(value)
    if kind is str and len(value) <= SHARED_TEXT_MAX:
        return sys.intern(value)
    if kind is int and 256 < value <= SHARED_NUMBER_MAX:
        return _NUMBERS.setdefault(value, value)
    return value


#: Numbers shared by ``shared``: a port's range, so the table holds at most 65,279 of them
#: (a few dozen in practice: the ports a cloud's members listen on).
SHARED_NUMBER_MAX = 65535
_NUMBERS: dict[int, int] = {}


#: Values ``freeze`` gives back as they are, by exact type (no isinstance on the way).
_ATOMS = frozenset({int, float, bool, type(None), bytes})


def freeze(value: Any) -> Any:
    """Deeply convert dicts to FrozenDict and lists/sets to tuples (strings shared)."""
    kind = type(value)
    if kind is str:
        return shared(value)
    if kind in _ATOMS:
        return value
    if kind is dict:  # JSON's and the field sets': the usual case, first
        return _frozen_mapping(tuple(map(shared, value)), tuple(map(freeze, value.values())))
    if kind is tuple or kind is list:
        return tuple(map(freeze, value))
    if isinstance(value, FrozenDict):
        return value
    if isinstance(value, Mapping):
        return _frozen_mapping(tuple(map(shared, value)), tuple(map(freeze, value.values())))
    if isinstance(value, list | tuple):
        return tuple(map(freeze, value))
    if isinstance(value, set | frozenset):
        return tuple(sorted(map(freeze, value)))
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
