"""A single change's walk goes through links kept up to date subtree by subtree: after any
sequence of one-load-balancer re-reads they must say exactly what a fresh scan of the whole
snapshot says, or the daemon would translate a load balancer without a member it has, or
miss the notification for one (pure)."""

from __future__ import annotations

import random
from dataclasses import replace

from reconciler.contrail.changes import Change
from reconciler.daemon.events import Index
from reconciler.model.contrail import ContrailSnapshot, Links
from reconciler.translate.walk import Subtrees
from tests.unit.builders import World


def _norm(links: Links) -> tuple[dict, dict, dict]:
    return tuple(  # type: ignore[return-value]
        {k: sorted(v) for k, v in m.items() if v}
        for m in (links.listeners_of, links.pools_of, links.members_of)
    )


def _reread(
    snapshot: ContrailSnapshot, lb: str, rng: random.Random, world: World
) -> ContrailSnapshot:
    """A changed subtree as ``ContrailReader.read_load_balancer`` hands it over: the old
    listeners, pools and members out, the re-read ones in, the links updated alongside."""
    old_l, old_p, old_m = snapshot.links().subtree(lb)
    listeners = [snapshot.listeners[u] for u in sorted(old_l)]  # sorted: one seed, one run
    pools = [snapshot.pools[u] for u in sorted(old_p)]
    members = [snapshot.members[u] for u in sorted(old_m)]
    if members and rng.random() < 0.4:  # a member removed
        members.remove(rng.choice(members))
    if pools and rng.random() < 0.5:  # a member added
        members.append(world.member(rng.choice(pools), f"10.9.{rng.randint(0, 255)}.1"))
    if listeners and rng.random() < 0.3:  # a listener and everything under it removed
        gone = rng.choice(listeners)
        listeners.remove(gone)
        pools = [p for p in pools if gone.uuid not in p.listener_uuids]
        members = [m for m in members if m.pool_uuid in {p.uuid for p in pools}]
    if rng.random() < 0.3:  # a new listener with a pool and a member
        new_listener = world.listener(snapshot.load_balancers[lb])
        pool = world.pool(new_listener)
        listeners.append(new_listener)
        pools.append(pool)
        members.append(world.member(pool, "10.9.0.1"))
    return snapshot.with_load_balancer(
        lb, snapshot.load_balancers[lb], listeners, pools, members, [], []
    )


def _random_world(rng: random.Random, lbs: int, least_listeners: int) -> World:
    """Load balancers with 0–3 members in each of their pools, one pool per listener."""
    world = World()
    for _ in range(lbs):
        lb = world.lb()
        for _ in range(rng.randint(least_listeners, 2)):
            pool = world.pool(world.listener(lb))
            for _ in range(rng.randint(0, 3)):
                world.member(pool, f"10.2.0.{rng.randint(1, 250)}")
    return world


def test_links_index_and_walk_follow_every_subtree_reread() -> None:
    rng = random.Random(11)
    world = _random_world(rng, lbs=8, least_listeners=0)
    snapshot = world.snapshot()
    index = Index.of(snapshot)
    for _step in range(60):
        lb = rng.choice(sorted(snapshot.load_balancers))
        previous, snapshot = snapshot, _reread(snapshot, lb, rng, world)
        index = index.with_load_balancer(previous, snapshot, lb)
        fresh = Links.of(snapshot.listeners, snapshot.pools, snapshot.members)
        assert _norm(snapshot.links()) == _norm(fresh)
        assert snapshot.links() is snapshot.known_links  # carried, not made again
        assert dict(index.lbs_of) == dict(Index.of(snapshot).lbs_of)
        full = Subtrees(snapshot)
        one = Subtrees(snapshot, frozenset({lb}))
        assert one.listeners_of.get(lb, []) == full.listeners_of.get(lb, [])
        for listener in one.listeners_of.get(lb, []):
            assert one.pools_of.get(listener.uuid, []) == full.pools_of.get(listener.uuid, [])
            for pool in one.pools_of.get(listener.uuid, []):
                assert one.members_of.get(pool.uuid, []) == full.members_of.get(pool.uuid, [])


def test_a_snapshot_whose_maps_changed_makes_its_links_again() -> None:
    world = World()
    lb, _listener, pool = world.service(members=2)
    snapshot = world.snapshot()
    links = snapshot.links()
    member = world.member(pool, "10.2.0.99")
    changed = replace(snapshot, members=snapshot.members.updated((), [(member.uuid, member)]))
    assert changed.known_links is links  # carried by replace ...
    assert member.uuid in changed.links().members_of[pool.uuid]  # ... but not believed
    assert member.uuid not in links.members_of[pool.uuid]


def _change_one(
    snapshot: ContrailSnapshot, index: Index, rng: random.Random, world: World
) -> tuple[ContrailSnapshot, Change, str]:
    """One object as a notification's read hands it over (``ContrailSnapshot.with_object``):
    a member added or removed, a pool moved to another listener or removed with its
    members, a listener added or moved to another load balancer. Returns the snapshot, the
    change and a load balancer its notification named."""
    roll = rng.random()
    pools = sorted(p for p in snapshot.pools if index.lookup(p))
    listeners = sorted(snapshot.listeners)
    if roll < 0.25 and snapshot.members:
        member = snapshot.members[rng.choice(sorted(snapshot.members))]
        key = min(index.lookup(member.uuid) or {"lb-none"})
        change = Change("loadbalancer_member", member.uuid)
        return snapshot.with_object("members", member.uuid, None), change, key
    if roll < 0.45 and pools:
        new = world.member(snapshot.pools[rng.choice(pools)], "10.9.0.2")
        change = Change("loadbalancer_member", new.uuid)
        return (
            snapshot.with_object("members", new.uuid, new),
            change,
            min(index.lookup(new.pool_uuid)),
        )
    if roll < 0.7 and pools:
        pool = snapshot.pools[rng.choice(pools)]
        change = Change("loadbalancer_pool", pool.uuid)
        key = min(index.lookup(pool.uuid))
        if rng.random() < 0.6 and listeners:
            moved = replace(pool, listener_uuids=(rng.choice(listeners),))
            return snapshot.with_object("pools", pool.uuid, moved), change, key
        return snapshot.with_object("pools", pool.uuid, None), change, key
    lb = snapshot.load_balancers[rng.choice(sorted(snapshot.load_balancers))]
    if roll < 0.85 and listeners:
        listener = snapshot.listeners[rng.choice(listeners)]
        moved = replace(listener, lb_uuids=(lb.uuid,))
        change = Change("loadbalancer_listener", listener.uuid)
        return snapshot.with_object("listeners", listener.uuid, moved), change, lb.uuid
    listener = world.listener(lb)
    change = Change("loadbalancer_listener", listener.uuid)
    return snapshot.with_object("listeners", listener.uuid, listener), change, lb.uuid


def test_links_and_index_follow_every_single_object_merge() -> None:
    """The daemon's per-change read merges one object; the load balancers it reindexes —
    the one its notification named, and for a listener or pool every one it hung under
    before or after — leave the index as a fresh scan makes it."""
    rng = random.Random(5)
    world = _random_world(rng, lbs=6, least_listeners=1)
    snapshot = world.snapshot()
    index = Index.of(snapshot)
    for _step in range(100):
        previous = snapshot
        snapshot, change, key = _change_one(snapshot, index, rng, world)
        for lb in sorted({key} | index.moved_between(change, snapshot)):
            index = index.with_load_balancer(previous, snapshot, lb)
        fresh = Links.of(snapshot.listeners, snapshot.pools, snapshot.members)
        assert _norm(snapshot.links()) == _norm(fresh)
        assert snapshot.links() is snapshot.known_links  # carried, not made again
        assert dict(index.lbs_of) == dict(Index.of(snapshot).lbs_of)
