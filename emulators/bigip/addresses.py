"""Parsing and spelling of BIG-IP addresses with route-domain suffixes.

BIG-IP writes an address in route domain N as ``10.0.0.1%N``, and omits ``%N`` when N is the
default route domain of the object's partition. Reconcilers trip over this spelling, so the
emulator stores every address in the device's canonical form: parse, validate, then format
with the suffix only when it differs from the partition default.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from emulators.bigip.errors import ApiError


@dataclass(frozen=True)
class Host:
    """An IP address and the route domain it was written with (None: not written)."""

    ip: str
    rd: int | None

    def effective_rd(self, default_rd: int) -> int:
        return default_rd if self.rd is None else self.rd

    def spell(self, default_rd: int) -> str:
        rd = self.effective_rd(default_rd)
        return self.ip if rd == default_rd else f"{self.ip}%{rd}"

    @property
    def is_v6(self) -> bool:
        return ":" in self.ip


def invalid(text: str) -> ApiError:
    return ApiError(400, f"01070877:3: The requested address ({text}) is invalid.")


def parse_host(text: str) -> Host:
    """``10.0.0.1``, ``10.0.0.1%2``, ``fe80::1%3`` → Host; 400 when malformed."""
    if not isinstance(text, str) or not text:
        raise invalid(str(text))
    ip, sep, rd_text = text.partition("%")
    try:
        parsed = ipaddress.ip_address(ip)
        rd = int(rd_text) if sep else None
    except ValueError:
        raise invalid(text) from None
    if rd is not None and not 0 <= rd <= 65534:
        raise invalid(text)
    return Host(str(parsed), rd)


def split_port(text: str) -> tuple[str, int]:
    """``10.0.0.1%2:80`` → (``10.0.0.1%2``, 80); IPv6 uses ``.`` before the port."""
    if not isinstance(text, str):
        raise invalid(str(text))
    sep = "." if text.count(":") > 1 else ":"
    host, found, port_text = text.rpartition(sep)
    if not found:
        raise invalid(text)
    if port_text == "any":
        port_text = "0"
    try:
        port = int(port_text)
    except ValueError:
        raise invalid(text) from None
    if not 0 <= port <= 65535:
        raise invalid(text)
    return host, port


def spell_host_port(host: Host, port: int, default_rd: int) -> str:
    sep = "." if host.is_v6 else ":"
    return f"{host.spell(default_rd)}{sep}{port}"


def parse_cidr(text: str) -> tuple[Host, int]:
    """``10.0.0.1%2/24`` → (Host, 24)."""
    if not isinstance(text, str):
        raise invalid(str(text))
    host_text, sep, length_text = text.partition("/")
    host = parse_host(host_text)
    if not sep:
        return host, 128 if host.is_v6 else 32
    try:
        length = int(length_text)
    except ValueError:
        raise invalid(text) from None
    if not 0 <= length <= (128 if host.is_v6 else 32):
        raise invalid(text)
    return host, length
