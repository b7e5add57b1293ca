"""The load balancer → listener → pool → member walk, written once (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from reconciler.model.certificates import container_name
from reconciler.model.contrail import ContrailSnapshot, Listener, Member, Pool

T = TypeVar("T")


class Subtrees:
    """Each load balancer's listeners, each listener's pools, each pool's members, as
    objects sorted by name: what translate, networking, set claims and statuses walk from a
    load balancer down. Made from the snapshot's links (``ContrailSnapshot.links``), which
    hold the uuids; ``only``: just these load balancers' subtrees (the daemon's
    one-load-balancer reconcile: its own subtree, not the cloud's)."""

    def __init__(self, snapshot: ContrailSnapshot, only: frozenset[str] | None = None) -> None:
        links = snapshot.links()
        if only is None:
            listeners, pools, members = links.listeners_of, links.pools_of, links.members_of
        else:
            listeners = {lb: links.listeners_of.get(lb, ()) for lb in only}
            pools = {x: links.pools_of.get(x, ()) for xs in listeners.values() for x in xs}
            members = {p: links.members_of.get(p, ()) for ps in pools.values() for p in ps}
        self.listeners_of: dict[str, list[Listener]] = _objects(listeners, snapshot.listeners)
        self.pools_of: dict[str, list[Pool]] = _objects(pools, snapshot.pools)
        self.members_of: dict[str, list[Member]] = _objects(members, snapshot.members)

    def tokens(self, lb_uuid: str) -> frozenset[str]:
        """What names the BIG-IP objects of a load balancer's subtree (``naming.Naming
        .tokens`` reads them back from a name): the uuids of the load balancer, its
        listeners, pools and monitors, and its TLS container names."""
        tokens = {lb_uuid}
        for listener in self.listeners_of.get(lb_uuid, ()):
            tokens.add(listener.uuid)
            tokens.update(container_name(c) or "invalid" for c in tls_containers(listener))
            for pool in self.pools_of.get(listener.uuid, ()):
                tokens.add(pool.uuid)
                tokens.update(pool.monitor_uuids)
        return frozenset(tokens)


def _objects(uuids_of: Mapping[str, Iterable[str]], objects: Mapping[str, T]) -> dict[str, list[T]]:
    """Parent → its children's objects, in name order (parents without children left out)."""
    found = {}
    for parent, uuids in uuids_of.items():
        children = sorted((objects[u] for u in uuids), key=_by_name)
        if children:
            found[parent] = children
    return found


def _by_name(obj: Any) -> tuple[str, str]:
    return (obj.name, obj.uuid)


def tls_containers(listener: Listener) -> list[str]:
    """The default TLS container first, then the SNI ones (kube-manager repeats it there)."""
    found = [listener.default_tls_container or "", *listener.sni_containers]
    return list(dict.fromkeys(c for c in found if c))
