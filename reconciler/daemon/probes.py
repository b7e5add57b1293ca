"""The kubelet's probes on a port of their own (``probe_listen``), answered by a native thread.

Everything else in the daemon shares one gevent event loop, and a full resync at 1,000 load
balancers holds it for hundreds of milliseconds at a time (reading Contrail, planning): a
probe answered on that loop waits that long, whatever the HTTP server does (measured: p99
611 ms with no HTTP load at all, docs/BENCHMARKS.md). Here the standard library's
``ThreadingHTTPServer`` runs in an OS thread of its own (with its own gevent hub, so its
sockets still cooperate among themselves); Python switches threads every 5 ms however busy
the loop is, so a probe is answered within milliseconds.

What the probes say is what the event loop last told them: ``ProbeState.refresh`` runs on the
loop every half second and records the readiness checks and a heartbeat. ``/healthz`` fails
(503) when that heartbeat is older than ``STALLED_SECONDS`` — a loop that stopped turning is
a daemon to restart — and ``/readyz`` answers the last checks. Only GET and HEAD (405
otherwise), HEAD without a body, the security headers on every answer, a read timeout on
every connection, and nothing written to stderr.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reconciler.daemon.pagestyle import SECURITY_HEADERS
from reconciler.logs import get_logger

log = get_logger("probes")

REFRESH_SECONDS = 0.5
STALLED_SECONDS = 30.0
READ_TIMEOUT_SECONDS = 5.0


class ProbeState:
    """The readiness checks and the event loop's heartbeat, as last recorded on the loop."""

    def __init__(self, readiness: Callable[[], dict[str, bool]]) -> None:
        self.readiness = readiness
        self.checks: dict[str, bool] = {}
        self.beat = time.monotonic()

    def refresh(self) -> None:
        """On the event loop: record the checks (they take the controller's locks)."""
        self.checks = dict(self.readiness())
        self.beat = time.monotonic()

    def refresh_until(self, stop: threading.Event) -> None:
        self.refresh()
        while not stop.wait(REFRESH_SECONDS):
            self.refresh()

    def answer(self, path: str) -> tuple[int, str, bytes] | None:
        """(status, content type, body) of a probe; None for any other path."""
        if path == "/healthz":
            stalled = time.monotonic() - self.beat
            if stalled > STALLED_SECONDS:
                return 503, "text/plain", f"event loop stalled for {stalled:.0f} s\n".encode()
            return 200, "text/plain", b"ok\n"
        if path == "/readyz":
            checks = self.checks
            ready = bool(checks) and all(checks.values())
            body = json.dumps({"ready": ready, "checks": checks}).encode()
            return (200 if ready else 503), "application/json", body
        return None


class _ProbeHandler(BaseHTTPRequestHandler):
    server: _ProbeServer
    timeout = READ_TIMEOUT_SECONDS  # StreamRequestHandler sets it on the connection

    def _reply(self, method: str) -> None:
        found = self.server.state.answer(self.path.split("?", 1)[0])
        if method not in ("GET", "HEAD"):
            code, kind, body = 405, "text/plain", b"only GET and HEAD\n"
        elif found is None:
            code, kind, body = 404, "text/plain", b"this port answers /healthz and /readyz\n"
        else:
            code, kind, body = found
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if code == 405:
            self.send_header("Allow", "GET, HEAD")
        for name, value in SECURITY_HEADERS:
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._reply("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._reply("HEAD")

    def handle_one_request(self) -> None:
        """Any other method is answered 405 (http.server would say 501)."""
        try:
            super().handle_one_request()
        except (TimeoutError, ConnectionError):
            self.close_connection = True

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return lambda: self._reply(name[3:])
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the kubelet asks every 10 s: not worth a log line


class _ProbeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: ProbeState) -> None:
        self.state = state
        super().__init__(address, _ProbeHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("probe connection failed", client=str(client_address))


def serve_probes(listen: str, state: ProbeState) -> _ProbeServer:
    """Bind ``listen`` (``host:port``) and answer the probes from a native thread."""
    from gevent.threadpool import ThreadPool

    host, _, port = listen.rpartition(":")
    server = _ProbeServer((host.strip("[]") or "0.0.0.0", int(port)), state)
    ThreadPool(1).spawn(server.serve_forever)
    return server
