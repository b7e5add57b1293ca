"""``/healthz``, ``/readyz``, ``/metrics`` and the status page over HTTP (gevent's WSGI server).

- ``/healthz``: the process answers — for a liveness probe.
- ``/readyz``: the first full sync is done, the broker is connected (when configured) and
  every device was reachable on its last attempt — for a readiness probe; the JSON body
  says which condition is missing.
- ``/metrics``: Prometheus text format, from prometheus_client.
- ``/`` and ``/status.json``: the status page and its data (``statuspage``), filtered by
  ``?project=`` and ``?state=``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from prometheus_client import make_wsgi_app

from reconciler.config import ConfigError, listen_address
from reconciler.daemon import statuspage
from reconciler.daemon.metrics import Metrics

Readiness = Callable[[], dict[str, bool]]
Status = Callable[[], dict[str, Any]]


def make_app(
    readiness: Readiness, metrics: Metrics, status: Status | None = None
) -> Callable[..., Iterable[bytes]]:
    metrics_app = make_wsgi_app(metrics.registry)

    def status_data(environ: dict[str, Any]) -> dict[str, Any]:
        assert status is not None
        query = parse_qs(environ.get("QUERY_STRING", ""))
        first = {k: v[0].strip() for k, v in query.items() if v}
        return statuspage.select(status(), first.get("project", ""), first.get("state", ""))

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
        if status is not None and path in ("/", "/status.json"):
            data = status_data(environ)
            headers = [("Cache-Control", "no-store")]
            if path == "/":
                body = statuspage.render(data).encode()
                headers.append(("Content-Type", "text/html; charset=utf-8"))
            else:
                body = json.dumps(data, default=str).encode()
                headers.append(("Content-Type", "application/json"))
            start_response("200 OK", headers)
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found: try /, /status.json, /healthz, /readyz or /metrics\n"]

    return app


def serve(listen: str, readiness: Readiness, metrics: Metrics, status: Status | None = None) -> Any:
    """Start the server in a greenlet; returns it (``.stop()``, ``.server_port``). A listen
    address it cannot bind is a ConfigError naming ``http_listen``."""
    from gevent.pywsgi import WSGIServer

    app = make_app(readiness, metrics, status)
    # gevent's own error lines (a client that went away) as log events, not plain text
    server = WSGIServer(
        listen_address(listen), app, log=None, error_log=logging.getLogger("gevent.pywsgi")
    )
    try:
        server.start()
    except OSError as exc:  # in use, not an address of this host, no such host name
        # gevent appends the address to strerror; a resolver error (gaierror) has its own
        errno = exc.errno or 0
        why = os.strerror(errno) if errno > 0 else (exc.strerror or str(exc))
        raise ConfigError(f"http_listen = {listen!r}: cannot listen: {why}") from None
    return server
