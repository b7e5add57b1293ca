"""The transport both emulators share: a threaded HTTP(S) server and the `/_emulator/` controls.

An emulator is an :class:`App`: a function from a parsed :class:`Request` to a :class:`Response`
plus a few hooks (dump/load/restart). This module puts it behind a real socket with the
standard library's ``ThreadingHTTPServer`` (HTTP/1.1 keep-alive, TLS wrapped per connection in
the worker thread so a slow handshake never blocks ``accept``), and in front of it the test
controls every emulator offers:

- latency: a fixed delay per request, optionally per verb, and optionally the kept-alive
  *stall* of a server that writes an answer's headers and body separately without
  TCP_NODELAY (Nagle holds the body until the client's delayed ACK, ~40 ms on Linux — what
  a real Contrail API server does);
- scripted faults: answer with a status code, reset the connection, or hang — for the next N
  requests, or for every request whose path (and query string) matches a regular expression
  (optionally one verb);
- request counters by verb and path;
- a log of writes (start and end time, verb, path, status, the client's User-Agent, the
  transaction id a command carries), to check who wrote when — e.g. that two reconciler
  replicas never write one device at once, or that one replica's partitions overlap;
- dump / load of the whole state, and a simulated restart.

Control requests (``/_emulator/...``) are never delayed, faulted or counted, and need no auth:
they are the test's hand on the device, not traffic.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import struct
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from reconciler.logs import get_logger

CONTROL_PREFIX = "/_emulator"
WRITE_VERBS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WRITE_LOG_SIZE = 20_000  # the newest writes kept by /_emulator/writes

log = get_logger("emulator.http")


@dataclass(frozen=True)
class Request:
    """One HTTP request, decoded once so emulator code never touches raw bytes."""

    method: str
    path: str  # percent-decoded, without the query string
    raw_path: str  # as sent on the wire, without the query string
    query: Mapping[str, str]
    headers: Mapping[str, str]  # keys lower-cased
    body: bytes = b""

    def json(self) -> Any:
        """The body parsed as JSON (``None`` when empty); ValueError when malformed."""
        if not self.body.strip():
            return None
        return json.loads(self.body)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    """What an App answers. ``body`` is JSON-serialised unless it is bytes already."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


class App(Protocol):
    """What an emulator implements; the server adds transport and controls around it."""

    def handle(self, request: Request) -> Response: ...

    def dump(self) -> Any: ...

    def load(self, state: Any) -> None: ...

    def restart(self, keep_state: bool) -> None: ...

    def control(self, request: Request, action: str) -> Response | None:
        """Emulator-specific controls under ``/_emulator/<action>``; None → not found."""
        ...


@dataclass
class Fault:
    """A scripted misbehaviour. ``remaining`` None means until cleared."""

    kind: str  # "status" | "reset" | "hang"
    status: int = 500
    body: Any = None
    remaining: int | None = 1
    path: re.Pattern[str] | None = None
    method: str | None = None
    seconds: float = 3600.0  # how long a hang lasts at most
    # searched in the decoded query string (``$filter=partition eq P&...``): one partition's
    # collection reads, say, which share their path with every other partition's
    query: re.Pattern[str] | None = None

    def matches(self, request: Request) -> bool:
        if self.method and request.method != self.method:
            return False
        if self.query and not self.query.search(
            "&".join(f"{k}={v}" for k, v in request.query.items())
        ):
            return False
        return not (self.path and not self.path.search(request.path))

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "remaining": self.remaining,
            "path": self.path.pattern if self.path else None,
            "query": self.query.pattern if self.query else None,
            "method": self.method,
        }


class Controls:
    """Latency, faults and counters, shared by all request threads (guarded by one lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.latency = 0.0
        self.latency_per_verb: dict[str, float] = {}
        self.stall = False  # answer as a server without TCP_NODELAY does (see _Handler)
        self.faults: list[Fault] = []
        self.counts: Counter[tuple[str, str, str]] = Counter()  # verb, path, User-Agent
        self.writes: deque[dict[str, Any]] = deque(maxlen=WRITE_LOG_SIZE)
        self._cleared = threading.Event()

    def delay_for(self, method: str) -> float:
        with self._lock:
            return self.latency_per_verb.get(method, self.latency)

    def count(self, request: Request) -> None:
        with self._lock:
            path = request.path.rstrip("/") or "/"
            self.counts[(request.method, path, request.header("User-Agent", "") or "")] += 1

    def log_write(self, request: Request, started: float, status: int) -> None:
        entry = {
            "start": started,
            "end": time.time(),
            "method": request.method,
            "path": request.path,
            "status": status,
            "client": request.header("User-Agent", "") or "",
            # an iControl transaction's commands carry its id (the commit's path names it)
            "transaction": request.header("X-F5-REST-Coordination-Id"),
        }
        with self._lock:
            self.writes.append(entry)

    def take_fault(self, request: Request) -> Fault | None:
        """The first fault matching this request, consuming one of its uses."""
        with self._lock:
            for fault in self.faults:
                if fault.matches(request):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def wait_hang(self, seconds: float) -> None:
        """Block like a hung device, until the faults are cleared or the time is up."""
        self._cleared.wait(seconds)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()
            self._cleared.set()
            self._cleared = threading.Event()

    def counters(self, path_prefix: str = "") -> dict[str, Any]:
        with self._lock:
            items = [(k, v) for k, v in self.counts.items() if k[1].startswith(path_prefix)]
        by_verb: Counter[str] = Counter()
        by_path: Counter[str] = Counter()
        by_client: Counter[str] = Counter()
        for (verb, path, client), n in items:
            by_verb[verb] += n
            by_path[f"{verb} {path}"] += n
            by_client[client] += n
        return {
            "total": sum(by_verb.values()),
            "writes": sum(n for v, n in by_verb.items() if v in WRITE_VERBS),
            "by_verb": dict(by_verb),
            "by_path": dict(by_path),
            "by_client": dict(by_client),
        }

    # --- the generic control endpoints -------------------------------------------------

    def handle(self, request: Request, app: App) -> Response:
        action = request.path[len(CONTROL_PREFIX) :].strip("/")
        try:
            body = request.json() or {}
        except ValueError as exc:
            return Response(400, {"error": f"control body is not JSON: {exc}"})
        if action == "counters":
            if request.method == "DELETE" or request.query.get("reset") == "true":
                snapshot = self.counters(request.query.get("prefix", ""))
                with self._lock:
                    self.counts.clear()
                return Response(200, snapshot)
            return Response(200, self.counters(request.query.get("prefix", "")))
        if action == "writes":
            with self._lock:
                entries = list(self.writes)
                if request.method == "DELETE":
                    self.writes.clear()
            return Response(200, {"items": entries})
        if action == "latency":
            if request.method in ("PUT", "POST"):
                with self._lock:
                    self.latency = float(body.get("fixed", body.get("seconds", 0.0)))
                    self.latency_per_verb = {
                        k.upper(): float(v) for k, v in (body.get("per_verb") or {}).items()
                    }
                    self.stall = bool(body.get("stall", False))
            return Response(
                200,
                {
                    "fixed": self.latency,
                    "per_verb": dict(self.latency_per_verb),
                    "stall": self.stall,
                },
            )
        if action == "faults":
            if request.method == "DELETE":
                self.clear_faults()
                return Response(200, {"faults": []})
            if request.method in ("POST", "PUT"):
                try:
                    fault = _fault_from(body)
                except (ValueError, re.error) as exc:
                    return Response(400, {"error": str(exc)})
                with self._lock:
                    self.faults.append(fault)
            with self._lock:
                return Response(200, {"faults": [f.describe() for f in self.faults]})
        if action == "dump":
            return Response(200, app.dump())
        if action == "load" and request.method in ("PUT", "POST"):
            try:
                app.load(body)
            except (KeyError, ValueError, TypeError) as exc:
                return Response(400, {"error": f"cannot load state: {exc}"})
            return Response(200, {"loaded": True})
        if action == "restart" and request.method == "POST":
            app.restart(keep_state=bool(body.get("keep_state", True)))
            return Response(200, {"restarted": True})
        answer = app.control(request, action)
        if answer is None:
            return Response(404, {"error": f"no emulator control {action!r}"})
        return answer


def _fault_from(body: Mapping[str, Any]) -> Fault:
    kind = body.get("kind", "status")
    if kind not in ("status", "reset", "hang"):
        raise ValueError(f"fault kind must be status, reset or hang, not {kind!r}")
    count = body.get("count", 1)
    return Fault(
        kind=kind,
        status=int(body.get("status", 500)),
        body=body.get("body"),
        remaining=None if count is None else int(count),
        path=re.compile(body["path"]) if body.get("path") else None,
        query=re.compile(body["query"]) if body.get("query") else None,
        method=body["method"].upper() if body.get("method") else None,
        seconds=float(body.get("seconds", 3600.0)),
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the stdlib access log; counters and structlog say what matters."""

    def _read_request(self) -> Request:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        return Request(
            method=self.command,
            path=unquote(split.path),
            raw_path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )

    def _send(self, response: Response, stall: bool = False) -> None:
        """Headers and body in two writes (as ``http.server`` and a WSGI server send them),
        with TCP_NODELAY: without it, Nagle's algorithm holds the body until the client's
        delayed ACK of the headers (~40 ms per request on Linux) — ``stall`` asks for that."""
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0 if stall else 1)
        payload = response.encode()
        self.send_response(response.status)
        if payload or response.body is not None:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _reset_connection(self) -> None:
        """Close with SO_LINGER 0, so the client sees a TCP reset, not a clean close."""
        sock = self.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            raw = socket.socket(fileno=sock.detach()) if isinstance(sock, ssl.SSLSocket) else sock
            raw.close()
        except OSError:
            pass
        self.close_connection = True

    def _dispatch(self) -> None:
        request = self._read_request()
        server = self.server
        if request.path.startswith(CONTROL_PREFIX):
            self._send(server.controls.handle(request, server.app))
            return
        server.controls.count(request)
        started = time.time()
        status = 0  # a reset or hang connection answers nothing
        try:
            status = self._answer(request)
        finally:
            if request.method in WRITE_VERBS:
                server.controls.log_write(request, started, status)

    def _answer(self, request: Request) -> int:
        """Delay, fault or the app's answer; returns the status sent (0: none)."""
        server = self.server
        delay = server.controls.delay_for(request.method)
        if delay > 0:
            time.sleep(delay)
        fault = server.controls.take_fault(request)
        if fault is not None:
            if fault.kind == "reset":
                self._reset_connection()
                return 0
            if fault.kind == "hang":
                server.controls.wait_hang(fault.seconds)
                self._reset_connection()
                return 0
            response = server.fault_response(fault, request)
            self._send(response, server.controls.stall)
            return response.status
        try:
            response = server.app.handle(request)
        except Exception:  # an emulator bug must surface as a 500, never kill the thread
            log.exception("emulator handler failed", method=request.method, path=request.path)
            response = Response(500, {"code": 500, "message": "emulator internal error"})
        self._send(response, server.controls.stall)
        return response.status

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        app: App,
        ssl_context: ssl.SSLContext | None,
        fault_response: Callable[[Fault, Request], Response],
    ) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.controls = Controls()
        self.ssl_context = ssl_context
        self.fault_response = fault_response

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is not None:
            try:
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Client disconnects are normal traffic for an emulator under fault tests."""


def default_fault_response(fault: Fault, request: Request) -> Response:
    body = fault.body if fault.body is not None else {"code": fault.status, "message": "injected"}
    return Response(fault.status, body)


def self_signed_pem(common_name: str = "localhost") -> tuple[bytes, bytes]:
    """A fresh self-signed certificate and its key, PEM (as a new BIG-IP has)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


def self_signed_context(common_name: str = "localhost") -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate."""
    cert, key = self_signed_pem(common_name)
    with tempfile.TemporaryDirectory() as tmp:
        cert_path, key_path = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_path.write_bytes(cert)
        key_path.write_bytes(key)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
    return context


class EmulatorServer:
    """Runs an App on a socket in a background thread; usable as a context manager.

    ``port=0`` picks a free ephemeral port (tests); ``url`` is where clients connect.
    """

    def __init__(
        self,
        app: App,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        fault_response: Callable[[Fault, Request], Response] = default_fault_response,
    ) -> None:
        self.app = app
        context = self_signed_context() if tls else None
        self.httpd = EmulatorHTTPServer((host, port), app, context, fault_response)
        self.tls = tls
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self.httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def controls(self) -> Controls:
        return self.httpd.controls

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (the ``python -m emulators.x`` entry points)."""
        self.httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self.httpd.controls.clear_faults()  # release hung requests
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
