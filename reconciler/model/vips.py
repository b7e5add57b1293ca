"""Which load balancers stand on which address: a snapshot's VIP index.

A one-load-balancer reconcile compares its VIP with every other load balancer's (conflicts:
two VIPs on one address, two listeners on one address and port) and plans the set's VIP
routes; walking every load balancer of the cloud for that made each change cost O(N) —
at 10,000 load balancers, more than the change itself. The index answers "who else is on
this address" and "who routes this prefix" by lookup, and follows the snapshot change by
change (``replaced``: only the changed load balancers' entries move), like ``Links``.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.model import addresses
from reconciler.model.values import Edits

if TYPE_CHECKING:
    from reconciler.model.contrail import LoadBalancer


@functools.lru_cache(maxsize=32768)
def vip_ip(text: str) -> str | None:
    """A VIP's address without route domain (None: not an address; translate reports it)."""
    try:
        return str(addresses.parse(text).ip)
    except addresses.AddressError:
        return None


def vip(lb: LoadBalancer, ports: Mapping[str, Any]) -> str | None:
    """The load balancer's VIP address: its own field, else its VIP port's first address."""
    text = lb.vip_address
    if not text:
        for vmi in lb.vmi_uuids:
            port = ports.get(vmi)
            if port and port.first_address():
                text = port.first_address()
                break
    return vip_ip(text) if text else None


def vip_prefixes(lb: LoadBalancer, ports: Mapping[str, Any]) -> tuple[str, ...]:
    """``VIP/32`` (or /128) and the VIP port's floating IPs: the load balancer's external
    addresses, as routes; nothing when the VIP is unknown or not an address."""
    found: list[str] = []
    text = lb.vip_address
    for vmi in lb.vmi_uuids:
        port = ports.get(vmi)
        if port is None:
            continue
        if not text:
            text = port.first_address()
        found.extend(port.floating_ips)
    if text:
        found.insert(0, text.partition("%")[0])
    prefixes = []
    for text in found:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            continue
        prefixes.append(f"{ip}/{ip.max_prefixlen}")
    return tuple(dict.fromkeys(prefixes))


@dataclass(frozen=True, slots=True)
class _Entry:
    vip: str | None
    prefixes: tuple[str, ...]
    ports: tuple[str, ...]


_NONE = _Entry(None, (), ())


@dataclass(frozen=True)
class Vips:
    """Load balancer → its VIP and route prefixes; VIP → load balancers; prefix → load
    balancers; VIP port → load balancers. Made from a snapshot's ``load_balancers`` and
    ``ports`` maps (``made_from``, the very objects)."""

    of_lb: Mapping[str, _Entry]
    at: Mapping[str, tuple[str, ...]]  # VIP address (no route domain) → lb uuids
    routed: Mapping[str, tuple[str, ...]]  # route prefix → lb uuids
    by_port: Mapping[str, tuple[str, ...]]  # VIP port (VMI) uuid → lb uuids
    made_from: tuple[Any, Any]

    @classmethod
    def of(cls, load_balancers: Mapping[str, Any], ports: Mapping[str, Any]) -> Vips:
        empty = cls({}, {}, {}, {}, (load_balancers, ports))
        return empty.replaced(load_balancers.keys(), load_balancers, ports)

    def vip(self, lb_uuid: str) -> str | None:
        return self.of_lb.get(lb_uuid, _NONE).vip

    def prefixes(self, lb_uuid: str) -> tuple[str, ...]:
        return self.of_lb.get(lb_uuid, _NONE).prefixes

    def lbs_at(self, address: str) -> tuple[str, ...]:
        return self.at.get(address, ())

    def lbs_routing(self, prefix: str) -> tuple[str, ...]:
        return self.routed.get(prefix, ())

    def affected_by_ports(self, port_uuids: Iterable[str]) -> set[str]:
        """The load balancers whose VIP port is one of these (their VIP may have moved)."""
        return {lb for p in port_uuids for lb in self.by_port.get(p, ())}

    def replaced(
        self,
        lbs: Iterable[str],
        load_balancers: Mapping[str, Any],
        ports: Mapping[str, Any],
    ) -> Vips:
        """This index with the entries of ``lbs`` made again from the new maps: only those
        load balancers' entries change (``values.Edits``: no copy of the maps)."""
        of_lb = Edits(self.of_lb)
        maps = (Edits(self.at), Edits(self.routed), Edits(self.by_port))
        for uuid in lbs:
            old = of_lb.pop(uuid, _NONE)
            lb = load_balancers.get(uuid)
            new = _NONE if lb is None else _entry(lb, ports)
            if new is not _NONE:
                of_lb[uuid] = new
            for index, before, after in zip(maps, _keys(old), _keys(new), strict=True):
                for key in before:
                    if key not in after:
                        _remove(index, key, uuid)
                for key in after:
                    if key not in before:
                        index[key] = (*index.get(key, ()), uuid)
        at, routed, by_port = (index.done() for index in maps)
        return Vips(of_lb.done(), at, routed, by_port, made_from=(load_balancers, ports))


def _entry(lb: Any, ports: Mapping[str, Any]) -> _Entry:
    entry = _Entry(vip(lb, ports), vip_prefixes(lb, ports), tuple(lb.vmi_uuids))
    return _NONE if entry == _NONE else entry


def _keys(entry: _Entry) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    return ((entry.vip,) if entry.vip else ()), entry.prefixes, entry.ports


def _remove(index: Edits[str, tuple[str, ...]], key: str, uuid: str) -> None:
    left = tuple(u for u in index.get(key, ()) if u != uuid)
    if left:
        index[key] = left
    else:
        index.pop(key, None)
