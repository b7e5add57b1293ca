"""The object set's per-partition and per-kind views stay right as the daemon's cache is
updated one write at a time (``replaced``), so a one-load-balancer diff that looks at one
partition never misses an object another change put there, nor sees one it dropped."""

from __future__ import annotations

import random

from reconciler.model.bigip import BigIPObject, ObjectSet


def _obj(kind: str, partition: str, name: str, value: int = 0) -> BigIPObject:
    return BigIPObject.make(kind, partition, name, {"v": value})


def _brute(objects: ObjectSet, partitions: set[str]) -> dict:
    return {k: o for k, o in objects.items() if k[1] in partitions}


def test_views_follow_every_replacement() -> None:
    rng = random.Random(7)
    kinds = ("ltm/virtual", "ltm/pool", "ltm/virtual-address")
    parts = [f"P{i}" for i in range(6)]
    current = ObjectSet(_obj(rng.choice(kinds), rng.choice(parts), f"o{i}") for i in range(200))
    current.in_partitions(["P0"])  # the views are made before the updates begin
    list(current.of_kind("ltm/virtual"))
    for step in range(300):
        keys = list(current.keys())
        drop = rng.sample(keys, k=min(len(keys), rng.randint(0, 3)))
        put = [
            _obj(rng.choice(kinds), rng.choice([*parts, "Pnew"]), f"n{step}-{i}", step)
            for i in range(rng.randint(0, 3))
        ]
        if keys and rng.random() < 0.5:  # an update of an object in place
            kind, part, _parent, name = rng.choice(keys)
            put.append(_obj(kind, part, name, step))
        current = current.replaced(put, drop)
        wanted = {rng.choice([*parts, "Pnew"]), rng.choice(parts)}
        assert dict(current.in_partitions(wanted).items()) == _brute(current, wanted)
        for kind in kinds:
            assert sorted(o.key for o in current.of_kind(kind)) == sorted(
                k for k in current if k[0] == kind
            )


def test_a_replacement_leaves_the_original_alone() -> None:
    original = ObjectSet([_obj("ltm/pool", "P1", "a"), _obj("ltm/pool", "P2", "b")])
    assert set(original.in_partitions(["P1"]).keys()) == {("ltm/pool", "P1", "", "a")}
    changed = original.replaced([_obj("ltm/pool", "P1", "c")], [("ltm/pool", "P1", "", "a")])
    assert set(changed.in_partitions(["P1"]).keys()) == {("ltm/pool", "P1", "", "c")}
    assert set(original.in_partitions(["P1"]).keys()) == {("ltm/pool", "P1", "", "a")}
    assert [o.name for o in original.of_kind("ltm/pool")] == ["a", "b"]
    assert sorted(o.name for o in changed.of_kind("ltm/pool")) == ["b", "c"]


def test_an_object_keeps_its_key_once_and_compares_by_key_and_fields() -> None:
    import pickle
    from dataclasses import FrozenInstanceError

    from reconciler.model.contrail import ObjectRef

    ref = ObjectRef("loadbalancer-member", "u1", "m1")
    obj = BigIPObject.make("ltm/pool/members", "P", "10.0.0.1:80", {"ratio": 1}, "pool", ref)
    assert obj.key == ("ltm/pool/members", "P", "pool", "10.0.0.1:80")
    assert (obj.kind, obj.partition, obj.parent, obj.name) == obj.key
    assert obj.source == ref and obj.wire_name is None and obj.payload is None
    assert next(iter(ObjectSet([obj]))) is obj.key  # the set is keyed by the object's tuple
    # source, wire_name and payload are never compared
    same = BigIPObject(obj.kind, "P", obj.name, obj.fields, "pool", wire_name="x", payload=b"1")
    assert same == obj and hash(same) == hash(obj) and same.wire_name == "x"
    assert same.payload == b"1" and same.source is None
    assert obj != BigIPObject(obj.kind, "P", obj.name, obj.fields, "other-pool")
    assert obj != obj.with_fields(BigIPObject.make("k", "P", "n", {"ratio": 2}).fields)
    assert obj.with_fields(obj.fields).source == ref
    try:
        obj.name = "other"  # type: ignore[misc]
    except FrozenInstanceError:
        pass
    else:
        raise AssertionError("a BigIPObject must not change")
    assert pickle.loads(pickle.dumps(same)) == same and pickle.loads(pickle.dumps(same)).payload
    assert repr(obj) == (
        "BigIPObject(kind='ltm/pool/members', partition='P', name='10.0.0.1:80', "
        f"fields=FrozenDict({{'ratio': 1}}), parent='pool', source={ref!r}, wire_name=None)"
    )
