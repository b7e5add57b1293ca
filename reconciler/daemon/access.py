"""Who may read the status page, ``/status.json`` and ``/metrics``.

They list every tenant's load balancers, VIPs and the devices' management addresses, so —
as controller-runtime does for a manager's metrics endpoint — they are not open on a
reachable address by default: a request needs ``Authorization: Bearer <http_token>`` (the
token comes from a file, on Kubernetes the Secret; Prometheus sends it from the
ServiceMonitor's ``authorization`` credentials). Two ways out, both on purpose:
``http_auth = none`` (another layer — a proxy, a NetworkPolicy — guards the port), or an
``http_listen`` on a loopback address. A connection that itself comes from a loopback
address — from inside the pod, which is how ``kubectl port-forward`` arrives — is treated as
if the page were bound there for it: no token asked (so an operator's browser, which cannot
send a bearer header, reads the page through a port-forward). The probes (``/healthz``, ``/readyz``) are always open: they say nothing
but "alive" and which readiness check fails.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from typing import Any

from reconciler.config import Config


def is_loopback(host: str) -> bool:
    """``host`` is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x, localhost)."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


@dataclass(frozen=True, repr=False)
class Access:
    """The decision for one request; ``repr`` never shows the token."""

    token: str | None = None
    open: bool = False

    @classmethod
    def from_config(cls, config: Config) -> Access:
        token = config.http_token.reveal() if config.http_token is not None else None
        bound = config.http_listen.rpartition(":")[0]
        wide_open = config.http_auth == "none" or is_loopback(bound)
        return cls(token=token, open=wide_open)

    def refusal(self, environ: dict[str, Any]) -> str | None:
        """None when the request may read the protected paths; else what the 401 says."""
        if self.open or is_loopback(str(environ.get("REMOTE_ADDR", ""))):
            return None
        if not self.token:
            return (
                "this endpoint needs a bearer token, and none is configured: set "
                "http_token_file (or http_auth = none, or a loopback http_listen)"
            )
        scheme, _, given = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self.token.encode()
        ):
            return None
        return "this endpoint needs Authorization: Bearer <http_token>"

    def __repr__(self) -> str:
        return f"Access(open={self.open}, token={'set' if self.token else 'none'})"
