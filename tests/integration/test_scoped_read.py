"""A scoped Contrail read (a replica's): the load balancers that name its sets or that its
claim rules give them, with their subtrees; nothing of the other sets' (the emulator counts
every object it serves whole)."""

from __future__ import annotations

from typing import Any

import requests

from emulators.contrail.topology import (
    ListenerSpec,
    PoolSpec,
    add_appliance_set,
    add_kube_service,
    add_load_balancer,
)
from reconciler.config import ClaimRule
from reconciler.contrail.reader import ContrailReader
from reconciler.contrail.scope import ReadScope


def _read_whole(contrail: Any) -> dict[str, int]:
    return requests.delete(f"{contrail.url}/_emulator/served", timeout=5).json()["whole"]


def test_a_scoped_read_takes_named_and_claimed_load_balancers_only(contrail, vnc, topo) -> None:
    add_appliance_set(vnc, "f5-other", {"address": "192.0.2.1", "user": "u", "password": "p"})
    pool = PoolSpec(members=[("10.2.0.11", 8080, 1)])
    named = add_load_balancer(vnc, topo, "web", listeners=[ListenerSpec("HTTP", 80, pool=pool)])
    other = add_load_balancer(
        vnc, topo, "web-other", listeners=[ListenerSpec("HTTP", 80, pool=pool)], provider="f5-other"
    )
    claimed = add_kube_service(vnc, topo, "svc-ours", namespace="team-a")
    unclaimed = add_kube_service(vnc, topo, "svc-theirs", namespace="team-b")
    rules = (
        ClaimRule(name="a", sas="f5", namespaces=("team-a",)),
        ClaimRule(name="b", sas="f5-other", namespaces=("team-b",)),
    )
    reader = ContrailReader(vnc)

    _read_whole(contrail)
    snapshot = reader.read(ReadScope(frozenset({"f5"})))
    assert set(snapshot.load_balancers) == {named.loadbalancer}
    assert {p for x in snapshot.listeners.values() for p in x.lb_uuids} == {named.loadbalancer}
    read = _read_whole(contrail)
    assert other.loadbalancer not in read and other.listeners[0].pool not in read
    assert claimed.loadbalancer not in read  # no claim rules: kube-manager's are not ours

    snapshot = reader.read(ReadScope(frozenset({"f5"}), rules))
    assert set(snapshot.load_balancers) == {named.loadbalancer, claimed.loadbalancer}
    read = _read_whole(contrail)
    assert unclaimed.loadbalancer not in read and other.loadbalancer not in read

    everything = reader.read()
    assert {other.loadbalancer, unclaimed.loadbalancer} <= set(everything.load_balancers)
    scoped = reader.read(ReadScope(frozenset({"f5", "f5-other"}), rules))
    assert scoped.load_balancers == everything.load_balancers
    for kind in ("listeners", "pools", "members", "monitors", "ports"):
        assert getattr(scoped, kind) == getattr(everything, kind), kind
