"""Who may read the status page, ``/status.json`` and ``/metrics``.

They list every tenant's load balancers, VIPs and the devices' management addresses, so —
as controller-runtime does for a manager's metrics endpoint — they are not open on a
reachable address by default: a request needs the token ``http_token`` (from a file, on
Kubernetes the Secret), as ``Authorization: Bearer <token>`` (Prometheus sends it from the
ServiceMonitor's ``authorization`` credentials) or as the password of HTTP Basic
authentication (any user name: a browser cannot send a bearer header, but it asks for a
password when told to). Two ways out, both on purpose: ``http_auth = none`` (another layer —
a proxy, a NetworkPolicy — guards the port), or an ``http_listen`` on a loopback address
(only what runs beside the daemon, or a ``kubectl port-forward``, reaches it).

Where a connection comes from is not looked at: behind a service mesh's sidecar (Istio,
Linkerd) every connection comes from a loopback address, so "from localhost" would mean
"from anywhere". The probes (``/healthz``, ``/readyz``) are always open: they say nothing but
"alive" and which readiness check fails.
"""

from __future__ import annotations

import base64
import binascii
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
        if self.open:
            return None
        if not self.token:
            return (
                "this endpoint needs a token, and none is configured: set http_token_file "
                "(or http_auth = none, or a loopback http_listen)"
            )
        given = _presented(str(environ.get("HTTP_AUTHORIZATION", "")))
        if given is not None and hmac.compare_digest(given.encode(), self.token.encode()):
            return None
        return (
            "this endpoint needs the token: Authorization: Bearer <http_token>, or "
            "<http_token> as the password (any user name)"
        )

    #: What a 401 says: Basic first, so that a browser asks for the password.
    CHALLENGES = (
        ("WWW-Authenticate", 'Basic realm="contrail-f5-reconciler", charset="UTF-8"'),
        ("WWW-Authenticate", 'Bearer realm="contrail-f5-reconciler"'),
    )

    def __repr__(self) -> str:
        return f"Access(open={self.open}, token={'set' if self.token else 'none'})"


def _presented(authorization: str) -> str | None:
    """The token in an Authorization header: a bearer token, or a Basic password."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None
