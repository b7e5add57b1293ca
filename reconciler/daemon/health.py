"""``/healthz``, ``/readyz``, ``/metrics`` and the status page over HTTP (``httpserver``).

- ``/healthz``: the process answers — for a liveness probe.
- ``/readyz``: the first full sync is done, the broker is connected (when configured) and
  every device was reachable on its last attempt — for a readiness probe; the JSON body
  says which condition is missing.
- ``/metrics``: Prometheus text format, from prometheus_client.
- ``/`` and ``/status.json``: the status page and its data (``statuspage``), filtered by
  ``?project=``, ``?state=`` and ``?q=``, a page (``?page=``; JSON: ``?offset=&limit=``) of
  load balancers at a time; ``/?lb=<uuid>``: one load balancer's page.

The probes are answered at once, whatever the page costs (and on ``probe_listen`` by a thread
of their own, whatever the event loop is busy with: ``probes``): the status is built at most once
a second and shared by every request (``shared``), at most two builds run at once, a page
of load balancers is bounded, and page, JSON and metrics answers start at most
``ANSWERS_PER_SECOND`` a second (the others wait, off the CPU, for at most
``ANSWER_WAIT_SECONDS``, then get 503): the content changes once a second at most, and thirty
clients reloading the page as fast as they can would otherwise keep the event loop busy
writing the same page, with the probes queued behind them. The page, its JSON and the metrics need the bearer token
(``access``). Only GET and HEAD are served (405 names them); every answer carries the
security headers.
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
from reconciler.daemon.access import Access
from reconciler.daemon.lbpage import render_load_balancer
from reconciler.daemon.metrics import Metrics
from reconciler.daemon.pagestyle import SECURITY_HEADERS
from reconciler.daemon.shared import Busy, Pace, SharedResults

Readiness = Callable[[], dict[str, bool]]
Status = Callable[[], dict[str, Any]]
DeviceObjects = Callable[[str], list[dict[str, Any]]]  # lb uuid → per device, its object tree
Headers = list[tuple[str, str]]
Answer = tuple[str, Headers, bytes]  # status line, headers, body

ALLOWED_METHODS = ("GET", "HEAD")
NOT_FOUND = b"not found: try /, /status.json, /healthz, /readyz or /metrics\n"
ANSWERS_PER_SECOND = 20.0  # a tab refreshes every 5 s, Prometheus scrapes every 30 s
ANSWER_WAIT_SECONDS = 2.0
BUSY = [("Retry-After", "2")]
JSON_LIMIT = 500  # load balancers per /status.json answer unless ?limit= (at most JSON_LIMIT_MAX)
JSON_LIMIT_MAX = 2000


def _query(environ: dict[str, Any]) -> dict[str, str]:
    parsed = parse_qs(environ.get("QUERY_STRING", ""))
    return {k: v[0].strip() for k, v in parsed.items() if v}


def _number(text: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(text or default)))
    except ValueError:
        return default


def _plain(status: str, text: str, extra: Iterable[tuple[str, str]] = ()) -> Answer:
    return status, [("Content-Type", "text/plain; charset=utf-8"), *extra], text.encode()


class StatusPages:
    """The bodies of ``/`` and ``/status.json``, built from one shared status."""

    def __init__(
        self, status: Status, shared: SharedResults, device_objects: DeviceObjects | None = None
    ) -> None:
        self.status, self.shared, self.device_objects = status, shared, device_objects

    def data(self) -> dict[str, Any]:
        """The shared status. Taken before a page's own build, never inside it: a build holds
        one of the build slots, and waiting there for another would deadlock two builds."""
        return dict(self.shared.get("status", self.status))

    @staticmethod
    def _select(status: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        project, state, search = (
            query.get("project", ""),
            query.get("state", ""),
            query.get("q", ""),
        )
        return statuspage.select(status, project, state, search)

    def page(self, query: dict[str, str]) -> bytes | None:
        """The page asked for; None: no such load balancer (``?lb=``)."""
        key = ("/", tuple(sorted(query.items())))
        status = self.data()

        def build() -> bytes | None:
            if query.get("lb"):
                uuid = query["lb"]
                objects = self.device_objects(uuid) if self.device_objects else []
                one = render_load_balancer(status, uuid, objects)
                return one.encode() if one is not None else None
            data = self._select(status, query)
            return statuspage.render(data, page=_number(query.get("page"), 1, 1, 10**6)).encode()

        found = self.shared.get(key, build)
        return bytes(found) if found is not None else None

    def json(self, query: dict[str, str]) -> bytes:
        key = ("/status.json", tuple(sorted(query.items())))
        status = self.data()

        def build() -> bytes:
            data = self._select(status, query)
            offset = _number(query.get("offset"), 0, 0, 10**9)
            limit = _number(query.get("limit"), JSON_LIMIT, 1, JSON_LIMIT_MAX)
            return json.dumps(statuspage.window(data, offset, limit), default=str).encode()

        return bytes(self.shared.get(key, build))


def make_app(
    readiness: Readiness,
    metrics: Metrics,
    status: Status | None = None,
    access: Access | None = None,
    shared: SharedResults | None = None,
    device_objects: DeviceObjects | None = None,
    pace: Pace | None = None,
) -> Callable[..., Iterable[bytes]]:
    access = access or Access(open=True)
    metrics_app = make_wsgi_app(metrics.registry)
    pages = None
    if status is not None:
        pages = StatusPages(status, shared or SharedResults(), device_objects)
    pace = pace or Pace(ANSWERS_PER_SECOND, ANSWER_WAIT_SECONDS)
    busy = _plain("503 Service Unavailable", "busy: retry\n", BUSY)

    def respond(environ: dict[str, Any]) -> Answer:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _plain("200 OK", "ok\n")
        if path == "/readyz":
            checks = readiness()
            ready = all(checks.values())
            body = json.dumps({"ready": ready, "checks": checks}).encode()
            code = "200 OK" if ready else "503 Service Unavailable"
            return code, [("Content-Type", "application/json")], body
        if path not in ("/metrics", "/", "/status.json"):
            return "404 Not Found", [("Content-Type", "text/plain")], NOT_FOUND
        refusal = access.refusal(environ)
        if refusal is not None:
            return _plain("401 Unauthorized", refusal + "\n", Access.CHALLENGES)
        if not pace.wait():  # after the token: a flood without one costs the page nothing
            return busy
        if path == "/metrics":
            return _metrics(environ)
        if pages is None:
            return "404 Not Found", [("Content-Type", "text/plain")], NOT_FOUND
        query = _query(environ)
        html = ("Content-Type", "text/html; charset=utf-8")
        try:
            if path == "/status.json":
                return "200 OK", [("Content-Type", "application/json")], pages.json(query)
            page = pages.page(query)
        except Busy:
            return busy
        if page is None:
            return _plain("404 Not Found", "no such load balancer\n")
        return "200 OK", [html], page

    def _metrics(environ: dict[str, Any]) -> Answer:
        captured: list[Any] = []
        chunks = metrics_app(environ, lambda s, h, *_: captured.extend([s, h]))
        return captured[0], list(captured[1]), b"".join(chunks)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ALLOWED_METHODS:
            code, headers, body = _plain(
                "405 Method Not Allowed", "only GET and HEAD\n", [("Allow", "GET, HEAD")]
            )
        else:
            code, headers, body = respond({**environ, "REQUEST_METHOD": "GET"})
        headers = [
            *(h for h in headers if h[0].lower() != "content-length"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            *SECURITY_HEADERS,
        ]
        start_response(code, headers)
        return [] if method == "HEAD" else [body]

    return app


def serve(
    listen: str,
    readiness: Readiness,
    metrics: Metrics,
    status: Status | None = None,
    access: Access | None = None,
    device_objects: DeviceObjects | None = None,
) -> Any:
    """Start the server in a greenlet; returns it (``.stop()``, ``.server_port``). A listen
    address it cannot bind is a ConfigError naming ``http_listen``."""
    from reconciler.daemon.httpserver import GuardedServer

    app = make_app(readiness, metrics, status, access, device_objects=device_objects)
    # gevent's own error lines (a client that went away) as log events, not plain text
    server = GuardedServer(
        listen_address(listen), app, error_log=logging.getLogger("gevent.pywsgi")
    )
    try:
        server.start()
    except OSError as exc:  # in use, not an address of this host, no such host name
        # gevent appends the address to strerror; a resolver error (gaierror) has its own
        errno = exc.errno or 0
        why = os.strerror(errno) if errno > 0 else (exc.strerror or str(exc))
        raise ConfigError(f"http_listen = {listen!r}: cannot listen: {why}") from None
    return server
