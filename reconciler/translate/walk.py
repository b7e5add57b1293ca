"""The load balancer → listener → pool → member walk, written once (pure)."""

from __future__ import annotations

from collections import defaultdict

from reconciler.model.certificates import container_name
from reconciler.model.contrail import ContrailSnapshot, Listener, Member, Pool


class Subtrees:
    """Each load balancer's listeners, each listener's pools, each pool's members: the
    reverse references of a snapshot, built once per translation and walked by everything
    that goes from a load balancer down (translate, networking, set claims)."""

    def __init__(self, snapshot: ContrailSnapshot, only: frozenset[str] | None = None) -> None:
        # ``only``: index just these load balancers' subtrees (the daemon's one-load-balancer
        # translate at 5,000 load balancers spent its time filing and sorting 50,000 members),
        # found through the snapshot's links, not by a scan.
        if only is not None:
            self._from_links(snapshot, only)
            return
        self.listeners_of: dict[str, list[Listener]] = defaultdict(list)
        for listener in snapshot.listeners.values():
            for lb_uuid in listener.lb_uuids:
                if only is None or lb_uuid in only:
                    self.listeners_of[lb_uuid].append(listener)
        listeners = {x.uuid for xs in self.listeners_of.values() for x in xs}
        self.pools_of: dict[str, list[Pool]] = defaultdict(list)
        for pool in snapshot.pools.values():
            for listener_uuid in pool.listener_uuids:
                if only is None or listener_uuid in listeners:
                    self.pools_of[listener_uuid].append(pool)
        pools = {p.uuid for ps in self.pools_of.values() for p in ps}
        self.members_of: dict[str, list[Member]] = defaultdict(list)
        for member in snapshot.members.values():
            if only is None or member.pool_uuid in pools:
                self.members_of[member.pool_uuid].append(member)
        for group in (self.listeners_of, self.pools_of, self.members_of):
            for items in group.values():
                items.sort(key=lambda o: (o.name, o.uuid))

    def _from_links(self, snapshot: ContrailSnapshot, only: frozenset[str]) -> None:
        links = snapshot.links()
        self.listeners_of = defaultdict(list)
        self.pools_of = defaultdict(list)
        self.members_of = defaultdict(list)
        for lb_uuid in only:
            for listener_uuid in links.listeners_of.get(lb_uuid, ()):
                self.listeners_of[lb_uuid].append(snapshot.listeners[listener_uuid])
                if listener_uuid in self.pools_of:
                    continue  # a listener of two of them: filed once
                for pool_uuid in links.pools_of.get(listener_uuid, ()):
                    pool = snapshot.pools[pool_uuid]
                    self.pools_of[listener_uuid].append(pool)
                    if pool_uuid not in self.members_of:
                        self.members_of[pool_uuid] = [
                            snapshot.members[m] for m in links.members_of.get(pool_uuid, ())
                        ]
        for group in (self.listeners_of, self.pools_of, self.members_of):
            for items in group.values():
                items.sort(key=lambda o: (o.name, o.uuid))

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


def tls_containers(listener: Listener) -> list[str]:
    """The default TLS container first, then the SNI ones (kube-manager repeats it there)."""
    found = [listener.default_tls_container or "", *listener.sni_containers]
    return list(dict.fromkeys(c for c in found if c))
