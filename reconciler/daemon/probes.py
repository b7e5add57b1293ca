"""The kubelet's probes on a port of their own (``probe_listen``), answered by a process of
their own.

Everything in the daemon shares one gevent event loop, and a full resync at 1,000 load
balancers holds it for hundreds of milliseconds at a time (reading Contrail, planning): a
probe answered on that loop waits that long whatever the HTTP server does (measured p99
866 ms with no HTTP load at all). A thread of its own does not fix it: it still needs the
interpreter lock, which long C calls (decoding a large JSON answer) hold (p99 170 ms). So
the probes are answered by a small child process — the standard library's
``ThreadingHTTPServer``, nothing else — that the daemon tells what to say.

The daemon (``ProbeProcess``) writes one JSON line to the child's stdin every half second:
the readiness checks, computed on the event loop. The child answers ``/readyz`` from the last
line, and ``/healthz`` 503 when no line came for ``STALLED_SECONDS`` (a loop that stopped
turning is a daemon to restart). When the daemon exits, the child reads EOF and exits too.
Only GET and HEAD (405 otherwise), HEAD without a body, the security headers on every
answer, a read timeout on every connection, nothing written to stderr.

    python -m reconciler.daemon.probes --listen 0.0.0.0:9181     # what ProbeProcess runs
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any

from reconciler.daemon.pagestyle import SECURITY_HEADERS

PUBLISH_SECONDS = 0.5
STALLED_SECONDS = 30.0
READ_TIMEOUT_SECONDS = 5.0
START_SECONDS = 10.0
LISTENING = "listening"


class ProbeState:
    """In the child: the last readiness checks the daemon sent, and when it sent them."""

    def __init__(self) -> None:
        self.checks: dict[str, bool] = {}
        self.beat = time.monotonic()

    def update(self, line: str) -> None:
        self.checks = {str(k): bool(v) for k, v in json.loads(line)["checks"].items()}
        self.beat = time.monotonic()

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

    def __getattr__(self, name: str) -> Any:
        """Any other method is answered 405 (http.server would say 501)."""
        if name.startswith("do_"):
            return lambda: self._reply(name[3:])
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the kubelet asks every 10 s: not worth a log line


class _ProbeServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: ProbeState) -> None:
        self.state = state
        super().__init__(address, _ProbeHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away or timed out: nothing to tell


def _follow(state: ProbeState, lines: IO[str]) -> None:
    """Take each line the daemon sends; at EOF (the daemon is gone) end the process."""
    for line in lines:
        if line.strip():
            state.update(line)
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the daemon's probes (started by it)")
    parser.add_argument("--listen", required=True)
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    state = ProbeState()
    try:
        server = _ProbeServer((host.strip("[]") or "0.0.0.0", int(port)), state)
    except (OSError, ValueError) as exc:
        print(f"probe_listen = {args.listen}: {exc}", flush=True)
        return 1
    threading.Thread(target=_follow, args=(state, sys.stdin), daemon=True).start()
    print(LISTENING, flush=True)
    server.serve_forever()
    return 0


class ProbeProcess:
    """In the daemon: the child answering the probes, and what it is told."""

    def __init__(self, listen: str) -> None:
        import subprocess

        self.listen = listen
        self.child = subprocess.Popen(
            [sys.executable, "-m", "reconciler.daemon.probes", "--listen", listen],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.child.stdout is not None
        first = self.child.stdout.readline().strip()
        if first != LISTENING:
            self.child.wait(START_SECONDS)
            raise OSError(first or f"probe_listen = {listen}: the probe process did not start")

    def publish(self, checks: dict[str, bool]) -> None:
        assert self.child.stdin is not None
        self.child.stdin.write(json.dumps({"checks": checks}) + "\n")
        self.child.stdin.flush()

    def publish_until(self, readiness: Callable[[], dict[str, bool]], stop: Any) -> None:
        """On the event loop, every ``PUBLISH_SECONDS`` until ``stop`` is set."""
        while True:
            try:
                self.publish(readiness())
            except (BrokenPipeError, OSError, ValueError):
                return  # the child is gone: the probes fail, the kubelet acts
            if stop.wait(PUBLISH_SECONDS):
                return

    def stop(self) -> None:
        if self.child.stdin is not None:
            with contextlib.suppress(OSError):
                self.child.stdin.close()
        try:
            self.child.wait(5)
        except Exception:
            self.child.kill()


if __name__ == "__main__":
    sys.exit(main())
