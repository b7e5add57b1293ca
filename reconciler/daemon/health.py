"""``/healthz``, ``/readyz`` and ``/metrics`` over HTTP (gevent's WSGI server).

- ``/healthz``: the process answers — for a liveness probe.
- ``/readyz``: the first full sync is done, the broker is connected (when configured) and
  every device was reachable on its last attempt — for a readiness probe; the JSON body
  says which condition is missing.
- ``/metrics``: Prometheus text format, from prometheus_client.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import make_wsgi_app

from reconciler.daemon.metrics import Metrics

Readiness = Callable[[], dict[str, bool]]


def make_app(readiness: Readiness, metrics: Metrics) -> Callable[..., Iterable[bytes]]:
    metrics_app = make_wsgi_app(metrics.registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        if path == "/readyz":
            checks = readiness()
            ready = all(checks.values())
            body = json.dumps({"ready": ready, "checks": checks}).encode()
            start_response(
                "200 OK" if ready else "503 Service Unavailable",
                [("Content-Type", "application/json")],
            )
            return [body]
        if path == "/metrics":
            return metrics_app(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /healthz, /readyz or /metrics\n"]

    return app


def serve(listen: str, readiness: Readiness, metrics: Metrics) -> Any:
    """Start the server in a greenlet; returns it (``.stop()``, ``.server_port``)."""
    from gevent.pywsgi import WSGIServer

    host, _, port = listen.rpartition(":")
    server = WSGIServer((host or "127.0.0.1", int(port)), make_app(readiness, metrics), log=None)
    server.start()
    return server
