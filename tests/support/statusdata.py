"""A made-up status of N load balancers, as ``Controller.status()`` gives it: what the HTTP
tests serve (tests/unit/test_http_surface.py in process, tests/support/status_server.py over
sockets)."""

from __future__ import annotations

from typing import Any


def status_of(n: int, error_every: int = 0) -> dict[str, Any]:
    """N load balancers over N/20 projects; every ``error_every``-th (from the 8th) in ERROR."""
    lbs = [
        {
            "uuid": f"{i:08x}-0000-4000-8000-000000000000",
            "name": f"lb-{i}",
            "project": f"p{i // 20}",
            "sets": ["f5"],
            "vip": f"10.1.{i // 250}.{i % 250}",
            "provisioning_status": "ERROR" if error_every and i % error_every == 7 else "ACTIVE",
            "operating_status": "ONLINE",
            "reason": "",
        }
        for i in range(n)
    ]
    return {"replica": "r0", "sets": [], "load_balancers": lbs, "plans": [], "events": []}
