"""A BIG-IP configuration object as a plain value, shared by the desired and the live side.

``fields`` holds only what we manage, in one canonical spelling (see ``addresses`` and
``resources``), so comparing a desired object with a live one is plain equality per field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import FrozenInstanceError
from typing import Any

from reconciler.model.contrail import ObjectRef
from reconciler.model.values import Edits, FrozenDict, ValueTable, freeze, shared, updated

ObjectKey = tuple[str, str, str, str]  # (kind, partition, parent, name)
_KIND, _PARTITION = 0, 1  # positions in an ObjectKey
_Index = Mapping[str, dict[ObjectKey, "BigIPObject"]]


def full_path(partition: str, name: str) -> str:
    """``/<partition>/<name>``: how the device names an object in references (the one
    place a path is built; ``naming`` exports it with the names)."""
    return f"/{partition}/{name}"


def split_path(path: str, default_partition: str = "") -> tuple[str, str]:
    """``/P/name`` → ('P', 'name'); a bare ``name`` is in ``default_partition``."""
    partition, _, name = path.lstrip("/").rpartition("/")
    return partition or default_partition, name


def destination_host(destination: str) -> str:
    """A virtual's destination without its partition: ``/P/10.0.0.1%2:80`` → the host:port."""
    return split_path(str(destination))[1]


class BigIPObject:
    """One object: its ``key`` (kind, partition, parent, name) kept once — the very tuple
    an ``ObjectSet`` is keyed by — its managed ``fields``, and what is never compared
    (``source``, ``wire_name``, ``payload``) only when it has any (a desired object, a live
    one the device spells otherwise: ``_Described``). A device's cache holds ~24 of these
    per load balancer: two slots instead of eight, and no key tuple made per lookup.
    Immutable, compared and hashed by key and fields."""

    __slots__ = ("key", "fields")

    key: ObjectKey  # (kind, partition, parent, name)
    fields: FrozenDict[str, Any]
    _extra: tuple[ObjectRef | None, str | None, bytes | None] | None = None

    def __new__(
        cls,
        kind: str,  # a key of resources.RESOURCE_TYPES, e.g. "ltm/pool"
        partition: str,
        name: str,  # canonical name (member names spell the route domain explicitly)
        fields: FrozenDict[str, Any],
        parent: str = "",  # the pool of a pool member
        source: ObjectRef | None = None,
        wire_name: str | None = None,  # as the device spells it
        # File content a create/update uploads first (certificates, keys): never compared,
        # never rendered in a plan; the device's checksum field is what the diff compares.
        payload: bytes | None = None,
    ) -> BigIPObject:
        extra = (
            None
            if source is None and wire_name is None and payload is None
            else (source, wire_name, payload)
        )
        return _made((kind, partition, parent, name), fields, extra)

    @property
    def kind(self) -> str:
        return self.key[0]

    @property
    def partition(self) -> str:
        return self.key[1]

    @property
    def parent(self) -> str:
        return self.key[2]

    @property
    def name(self) -> str:
        return self.key[3]

    @property
    def source(self) -> ObjectRef | None:
        return None if self._extra is None else self._extra[0]

    @property
    def wire_name(self) -> str | None:
        return None if self._extra is None else self._extra[1]

    @property
    def payload(self) -> bytes | None:
        return None if self._extra is None else self._extra[2]

    def with_fields(self, fields: FrozenDict[str, Any]) -> BigIPObject:
        """This object with other fields (the rest as it is)."""
        return _made(self.key, fields, self._extra)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BigIPObject):
            return NotImplemented
        return self is other or (self.key == other.key and self.fields == other.fields)

    def __hash__(self) -> int:
        return hash((self.key, self.fields))

    def __repr__(self) -> str:
        kind, partition, parent, name = self.key
        return (
            f"BigIPObject(kind={kind!r}, partition={partition!r}, name={name!r}, "
            f"fields={self.fields!r}, parent={parent!r}, source={self.source!r}, "
            f"wire_name={self.wire_name!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        kind, partition, parent, name = self.key
        args = (kind, partition, name, self.fields, parent, *(self._extra or ()))
        return BigIPObject, args

    @property
    def path(self) -> str:
        """Human-readable full path, as the BIG-IP GUI shows it."""
        if self.kind == "sys/folder":
            return f"/{self.partition}"
        if self.parent:
            return f"{full_path(self.partition, self.parent)} {self.name}"
        return full_path(self.partition, self.name)

    @classmethod
    def make(
        cls,
        kind: str,
        partition: str,
        name: str,
        fields: Mapping[str, Any],
        parent: str = "",
        source: ObjectRef | None = None,
        payload: bytes | None = None,
        values: ValueTable | None = None,
    ) -> BigIPObject:
        """``values``: a table that makes equal field sets one object (a translate's)."""
        frozen = freeze(dict(fields))
        return cls(
            kind,
            shared(partition),
            shared(name),
            values(frozen) if values is not None else frozen,
            shared(parent),
            source,
            payload=payload,
        )


class _Described(BigIPObject):
    """A BigIPObject with a source, a wire name or a payload (the slot others go without)."""

    __slots__ = ("_extra",)


def _made(
    key: ObjectKey,
    fields: FrozenDict[str, Any],
    extra: tuple[ObjectRef | None, str | None, bytes | None] | None,
) -> BigIPObject:
    made = object.__new__(BigIPObject if extra is None else _Described)
    setter = object.__setattr__
    setter(made, "key", key)
    setter(made, "fields", fields)
    if extra is not None:
        setter(made, "_extra", extra)
    return made


class ObjectSet(Mapping[ObjectKey, BigIPObject]):
    """BIG-IP objects keyed by ``key``: a desired or live configuration of one device."""

    def __init__(self, objects: Iterable[BigIPObject] = ()) -> None:
        self._by_key: Mapping[ObjectKey, BigIPObject] = {obj.key: obj for obj in objects}
        # Made on first use and carried through ``replaced``: the daemon's one-load-balancer
        # reconcile looks at one partition's objects, and at every virtual and virtual
        # address, of a 120,000-object cache on each change (key[1], key[0]).
        self._groups: dict[int, dict[str, dict[ObjectKey, BigIPObject]]] = {}
        # Secondary indexes (``by``), made on first use and carried through ``replaced`` too.
        self._indexes: dict[Callable[[BigIPObject], str | None], _Index] = {}

    def __getitem__(self, key: ObjectKey) -> BigIPObject:
        return self._by_key[key]

    def __iter__(self) -> Iterator[ObjectKey]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    # The dict's own views and lookups (Mapping's generic ones call __getitem__ per item).
    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def get(self, key: ObjectKey, default: Any = None) -> Any:
        return self._by_key.get(key, default)

    def keys(self) -> Any:
        return self._by_key.keys()

    def items(self) -> Any:
        return self._by_key.items()

    def values(self) -> Any:
        return self._by_key.values()

    def replaced(
        self, put: Iterable[BigIPObject] = (), drop: Iterable[ObjectKey] = ()
    ) -> ObjectSet:
        """A copy with some objects put (by key) and some keys dropped, without re-keying
        every object (the daemon's cache update after a one-object write)."""
        copy = ObjectSet()
        put, drop = list(put), list(drop)
        # a layer over the objects, not a copy of them (``values.updated``)
        copy._by_key = updated(self._by_key, drop, ((obj.key, obj) for obj in put))
        for position, groups in self._groups.items():  # touched groups copied, others shared
            if position == _KIND:
                # Kinds are asked for by full passes only (which read the device anew): a
                # copy of every node on each member change would cost O(N), keeping them
                # would cost memory; one-load-balancer passes use ``by``.
                continue
            groups = dict(groups)
            for key in (*drop, *(obj.key for obj in put)):
                name = key[position]
                group = groups[name] = dict(groups.get(name, {}))
                if key in copy._by_key:
                    group[key] = copy._by_key[key]
                else:
                    group.pop(key, None)
            copy._groups[position] = groups
        touched = (*drop, *(obj.key for obj in put))
        for keyfn, index in self._indexes.items():  # touched entries copied, others shared
            edits = Edits(index)
            for key in touched:
                # the old object leaves its group, the new one joins its own
                for item, joins in ((self._by_key.get(key), False), (copy._by_key.get(key), True)):
                    label = keyfn(item) if item is not None else None
                    if item is None or label is None:
                        continue
                    group = edits[label] = dict(edits.get(label, {}))
                    if joins:
                        group[key] = item
                    else:
                        group.pop(key, None)
                    if not group:
                        del edits[label]
            copy._indexes[keyfn] = edits.done()
        return copy

    def by(
        self, keyfn: Callable[[BigIPObject], str | None]
    ) -> Mapping[str, Mapping[ObjectKey, BigIPObject]]:
        """The objects grouped by what ``keyfn`` says of each (None: left out): made on first
        use, then kept current by ``replaced`` for the same function. The daemon's
        one-load-balancer reconcile asks which virtuals stand on its VIP; scanning every
        virtual of the device for that cost more than the change itself at 10,000."""
        index = self._indexes.get(keyfn)
        if index is None:
            index = {}
            for key, obj in self._by_key.items():
                name = keyfn(obj)
                if name is not None:
                    index.setdefault(name, {})[key] = obj
            self._indexes[keyfn] = index
        return index

    def _group(self, position: int, name: str) -> Mapping[ObjectKey, BigIPObject]:
        groups = self._groups.setdefault(position, {})
        if position == _PARTITION and not groups:  # every partition at once
            for key, obj in self._by_key.items():
                groups.setdefault(key[position], {})[key] = obj
        elif position == _KIND and name not in groups:  # only the kinds asked for
            groups[name] = {key: obj for key, obj in self._by_key.items() if key[0] == name}
        return groups.get(name, {})

    def prepare(self, *keyfns: Callable[[BigIPObject], str | None]) -> None:
        """Make now what one-load-balancer passes look up — every partition's group and the
        indexes of ``keyfns`` — rather than on the first of them (O(N) once)."""
        self._group(_PARTITION, "")
        for keyfn in keyfns:
            self.by(keyfn)

    def in_partitions(self, partitions: Iterable[str]) -> ObjectSet:
        """The objects of these partitions."""
        part = ObjectSet()
        objects: dict[ObjectKey, BigIPObject] = {}
        for name in partitions:
            objects.update(self._group(_PARTITION, name))
        part._by_key = objects
        return part

    def of_kind(self, kind: str) -> Iterable[BigIPObject]:
        """The objects of one resource type."""
        return self._group(_KIND, kind).values()

    def partitions(self) -> set[str]:
        return {key[1] for key in self._by_key}
