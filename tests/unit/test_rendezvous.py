"""Dividing sets among replicas: everyone agrees, and membership changes move little."""

from __future__ import annotations

from reconciler.coordination import rendezvous_owner

SETS = [f"f5-{i}" for i in range(200)]


def test_every_set_has_one_owner_among_the_replicas_and_all_replicas_get_some() -> None:
    replicas = ["a", "b", "c"]
    owners = {s: rendezvous_owner(s, replicas) for s in SETS}
    assert set(owners.values()) == set(replicas)
    assert owners == {s: rendezvous_owner(s, list(reversed(replicas))) for s in SETS}


def test_a_replica_leaving_moves_only_its_own_sets() -> None:
    before = {s: rendezvous_owner(s, ["a", "b", "c"]) for s in SETS}
    after = {s: rendezvous_owner(s, ["a", "c"]) for s in SETS}
    moved = {s for s in SETS if before[s] != after[s]}
    assert moved == {s for s in SETS if before[s] == "b"}


def test_a_replica_joining_takes_sets_only_for_itself() -> None:
    before = {s: rendezvous_owner(s, ["a", "b"]) for s in SETS}
    after = {s: rendezvous_owner(s, ["a", "b", "c"]) for s in SETS}
    assert all(after[s] in (before[s], "c") for s in SETS)
    assert rendezvous_owner("f5", []) is None
