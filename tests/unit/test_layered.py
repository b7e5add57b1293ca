"""A large FrozenDict updated a few keys at a time is a layer over a shared base, not a
copy: the daemon's per-change update of a 50,000-load-balancer snapshot. It must answer
exactly as a fresh dict with the same changes would."""

from __future__ import annotations

import random

from reconciler.model.values import LAYER_FROM, FrozenDict, updated


def check(mapping: FrozenDict[int, str], reference: dict[int, str]) -> None:
    assert len(mapping) == len(reference)
    assert dict(mapping.items()) == reference
    assert sorted(mapping) == sorted(reference) == sorted(mapping.keys())
    assert sorted(mapping.values()) == sorted(reference.values())
    assert mapping == FrozenDict(reference) and FrozenDict(reference) == mapping
    assert hash(mapping) == hash(FrozenDict(reference))
    for key in (0, 1, LAYER_FROM + 5, -1, 10**6):
        assert (key in mapping) == (key in reference)
        assert mapping.get(key, "none") == reference.get(key, "none")


def test_a_long_run_of_small_updates_answers_as_a_dict_would() -> None:
    rng = random.Random(25)
    reference = {k: f"v{k}" for k in range(LAYER_FROM * 2)}
    mapping = FrozenDict(reference)
    versions = []
    for step in range(400):
        drop = {rng.randrange(LAYER_FROM * 3) for _ in range(rng.randrange(4))}
        put = [(rng.randrange(LAYER_FROM * 3), f"s{step}") for _ in range(rng.randrange(4))]
        mapping = mapping.updated(drop, put)
        for key in drop:
            reference.pop(key, None)
        reference.update(put)
        if step % 37 == 0:
            check(mapping, reference)
            versions.append((mapping, dict(reference)))
    check(mapping, reference)
    for old, then in versions:  # earlier versions are untouched by later updates
        check(old, then)


def test_an_update_keeps_the_order_of_what_did_not_change() -> None:
    base = FrozenDict((k, k) for k in range(LAYER_FROM))
    changed = base.updated({3}, [(5, -5), (LAYER_FROM, 0)])
    assert list(changed)[:6] == [0, 1, 2, 4, 5, 6]
    assert list(changed)[-1] == LAYER_FROM and changed[5] == -5


def test_a_plain_dict_or_a_small_mapping_is_copied() -> None:
    small = {1: "a", 2: "b"}
    assert updated(small, [1], [(3, "c")]) == {2: "b", 3: "c"}
    assert small == {1: "a", 2: "b"}
