"""Route-domain-aware address spellings.

BIG-IP writes an address in route domain 2 as ``10.0.0.1%2`` but omits the suffix when the
route domain is the partition's default, and ports join with ``:`` (IPv4) or ``.`` (IPv6).
Both sides of every comparison go through :func:`canonical` so ``10.0.0.1`` read from a
partition whose default route domain is 2 equals the desired ``10.0.0.1%2``.
Canonical form: the suffix is written iff the route domain is not 0.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


class AddressError(ValueError):
    """An address that is not an IP address (with an optional ``%RD`` suffix)."""


@dataclass(frozen=True)
class RDAddress:
    ip: str
    rd: int = 0

    @property
    def is_v6(self) -> bool:
        return ":" in self.ip

    def __str__(self) -> str:
        return f"{self.ip}%{self.rd}" if self.rd else self.ip

    def with_port(self, port: int) -> str:
        return f"{self}{'.' if self.is_v6 else ':'}{port}"

    @property
    def host_mask(self) -> str:
        return "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" if self.is_v6 else "255.255.255.255"

    @property
    def host_prefix(self) -> str:
        return f"{self.ip}/{128 if self.is_v6 else 32}"


def parse(text: str, default_rd: int = 0) -> RDAddress:
    """``10.0.0.1%2`` → RDAddress('10.0.0.1', 2); no suffix means the partition default."""
    if not isinstance(text, str) or not text:
        raise AddressError(f"{text!r} is not an IP address")
    ip_text, _, rd_text = text.partition("%")
    ip = ip_text  # already as ipaddress would spell it: the common case, without parsing
    if not _is_canonical_v4(ip_text):
        try:
            ip = str(ipaddress.ip_address(ip_text))
        except ValueError as exc:
            raise AddressError(f"{text!r} is not an IP address") from exc
    if rd_text:
        if not rd_text.isdigit():
            raise AddressError(f"{text!r} has a bad route domain suffix")
        rd = int(rd_text)
    else:
        rd = default_rd
    return RDAddress(ip, rd)


def _is_canonical_v4(text: str) -> bool:
    """Dotted-decimal IPv4 with no leading zeros: ``ipaddress`` would return it unchanged.
    (A pass parses every member's address; ``ipaddress`` costs ~20 µs a time.)"""
    parts = text.split(".")
    return len(parts) == 4 and all(
        p.isdigit() and p.isascii() and (p == "0" or p[0] != "0") and int(p) <= 255 for p in parts
    )


def canonical(text: str, default_rd: int = 0) -> str:
    return str(parse(text, default_rd))


def split_host_port(text: str) -> tuple[str, int]:
    """``10.0.0.1%2:80`` → ('10.0.0.1%2', 80); IPv6 ``2001::1.80`` → ('2001::1', 80)."""
    sep = "." if text.count(":") > 1 else ":"
    host, _, port = text.rpartition(sep)
    if not host or not port.isdigit():
        raise AddressError(f"{text!r} is not address{sep}port")
    return host, int(port)


def canonical_host_port(text: str, default_rd: int = 0) -> str:
    host, port = split_host_port(text)
    return parse(host, default_rd).with_port(port)
