"""gevent's WSGI server, made safe to leave open next to the reconciler.

The daemon's HTTP port shares the process (and its descriptors) with reconciles; a client
must not be able to take either away:

- every read and write has a timeout (``READ_TIMEOUT_SECONDS``): a connection that sends
  nothing, or keeps a kept-alive connection idle, or reads its answer too slowly, is closed;
- at most ``max_connections`` are open at once, well below the descriptor limit (so accept
  never fails with EMFILE, and the device and Contrail connections always find a
  descriptor). When the limit is reached a new connection is still taken: the connection
  that has waited longest for a request is closed to make room — so 1,100 idle sockets do
  not lock the kubelet's probes out; only when every connection is busy answering is the new
  one closed at once;
- a read timeout, a reset or a malformed request ends the connection quietly (gevent would
  print a plain-text traceback into the JSON log); an exception in the application is logged
  as one JSON event and answered 500.
"""

from __future__ import annotations

import contextlib
import resource
import socket
from collections import OrderedDict
from typing import Any

from gevent.pywsgi import WSGIHandler, WSGIServer

from reconciler.logs import get_logger

log = get_logger("http")

READ_TIMEOUT_SECONDS = 10.0
MAX_CONNECTIONS = 1000
RESERVED_DESCRIPTORS = 256  # for the log, devices, Contrail, the broker and ZooKeeper
# Connections the kernel queues before we accept them: a full queue drops a SYN, and the
# client (a probe) retries it only after a second.
BACKLOG = 1024
# Connections taken per turn of the event loop (gevent's default: 100). An evicted connection's
# descriptor is freed only when its handler next runs, so a burst of new connections holds
# at most this many descriptors beyond the limit.
ACCEPT_PER_TURN = 8


def connection_limit(ceiling: int = MAX_CONNECTIONS) -> int:
    """Connections the server keeps open at most: below the soft descriptor limit by
    ``RESERVED_DESCRIPTORS``, and at most ``ceiling``."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return ceiling
    return max(16, min(ceiling, soft - RESERVED_DESCRIPTORS))


class Connections:
    """The open connections, and which of them wait for a request (longest waiting first)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open: set[socket.socket] = set()
        self.waiting: OrderedDict[socket.socket, None] = OrderedDict()
        self.evicted = 0
        self.refused = 0

    def admit(self, sock: socket.socket) -> bool:
        """Room for ``sock``: made by closing the longest-waiting idle connection if need be;
        False when every open connection is busy answering."""
        if len(self.open) >= self.limit:
            if not self.waiting:
                self.refused += 1
                return False
            idle, _ = self.waiting.popitem(last=False)
            self.open.discard(idle)
            self.evicted += 1
            with contextlib.suppress(OSError):
                idle.shutdown(socket.SHUT_RDWR)  # its handler reads EOF, ends and closes it
        self.open.add(sock)
        return True

    def idle(self, sock: socket.socket) -> None:
        self.waiting[sock] = None

    def busy(self, sock: socket.socket) -> None:
        self.waiting.pop(sock, None)

    def leave(self, sock: socket.socket) -> None:
        self.busy(sock)
        self.open.discard(sock)


class GuardedHandler(WSGIHandler):
    """One connection: timeouts on every read and write, idle while it waits for a request."""

    server: GuardedServer
    # A socket timeout's args are ("timed out",): ending the connection is all it takes.
    ignored_socket_errors = (*WSGIHandler.ignored_socket_errors, "timed out")

    def __init__(self, sock: Any, address: Any, server: GuardedServer) -> None:
        sock.settimeout(server.read_timeout)
        super().__init__(sock, address, server)

    def read_requestline(self) -> str:
        connections = self.server.connections
        connections.idle(self.socket)
        try:
            return str(super().read_requestline())
        finally:
            connections.busy(self.socket)

    def _handle_client_error(self, ex: BaseException) -> Any:
        if isinstance(ex, OSError):  # timed out or reset while sending its headers
            return None
        return super()._handle_client_error(ex)

    def handle_error(self, t: Any, v: Any, tb: Any) -> None:
        log.error("http request failed", path=self.path, exc_info=(t, v, tb))
        self._send_error_response_if_possible(500)


class GuardedServer(WSGIServer):
    """``WSGIServer`` with ``GuardedHandler`` and the connection limit."""

    handler_class = GuardedHandler

    def __init__(
        self,
        listener: Any,
        application: Any,
        max_connections: int | None = None,
        read_timeout: float | None = None,
        error_log: Any = None,
    ) -> None:
        super().__init__(listener, application, backlog=BACKLOG, log=None, error_log=error_log)
        self.connections = Connections(max_connections or connection_limit())
        self.read_timeout = read_timeout or READ_TIMEOUT_SECONDS
        self.max_accept = ACCEPT_PER_TURN

    def handle(self, sock: Any, address: Any) -> None:
        if not self.connections.admit(sock):
            sock.close()
            return
        try:
            super().handle(sock, address)
        finally:
            self.connections.leave(sock)
