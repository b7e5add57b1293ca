"""Connections immune to the delayed-ACK stall, for both of our HTTP clients.

On a kept-alive connection a request/answer exchange stalls ~40 ms (Linux's delayed-ACK
timer) whenever one side writes a message in two pieces without TCP_NODELAY: Nagle's
algorithm holds the second piece until the first is acknowledged, and the other side, which
has nothing to answer yet, delays that ACK. Both halves happen in practice:

- **our writes**: urllib3 sends a PUT's headers and body in separate writes. TCP_NODELAY on
  our socket sends the body at once (urllib3 sets it by default; we say so explicitly, so an
  option list of our own can never drop it).
- **the server's writes**: the Contrail API server answers headers and body separately
  without TCP_NODELAY, so every answer waits for our delayed ACK of its headers — ~50 ms
  per request seen from the client, 12,000 status PUTs taking 135 s. TCP_NODELAY on our side
  cannot help there; TCP_QUICKACK can: set just before each answer is read, our kernel
  acknowledges the headers at once and the body follows. (The flag is not sticky — the
  kernel returns to delayed ACKs on an interactive connection — hence once per request:
  one ``setsockopt``.)

Measured on the Contrail emulator with its ``stall`` (``/_emulator/latency``): 44.7 ms per
GET with TCP_NODELAY alone, 0.7 ms with the quick ACK.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

#: urllib3's default socket options, with TCP_NODELAY whatever they are.
SOCKET_OPTIONS = [
    *(o for o in HTTPConnection.default_socket_options if o[:2] != (socket.IPPROTO_TCP, 1)),
    (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
]
_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only; elsewhere: NODELAY alone


def _ack_at_once(connection: Any) -> None:
    if _QUICKACK is not None and connection.sock is not None:
        with contextlib.suppress(OSError):
            connection.sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)


class PromptHTTPConnection(HTTPConnection):
    """Acknowledges the answer's first piece at once (see the module's docstring)."""

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _ack_at_once(self)
        return super().getresponse(*args, **kwargs)


class PromptHTTPSConnection(HTTPSConnection):
    """Acknowledges the answer's first piece at once (see the module's docstring)."""

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _ack_at_once(self)
        return super().getresponse(*args, **kwargs)


class PromptHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = PromptHTTPConnection


class PromptHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = PromptHTTPSConnection


POOL_CLASSES = {"http": PromptHTTPConnectionPool, "https": PromptHTTPSConnectionPool}


def make_prompt(adapter: HTTPAdapter) -> HTTPAdapter:
    """``adapter``'s new connections set TCP_NODELAY and acknowledge answers at once
    (an adapter made by a library, e.g. vnc_api's, is changed in place)."""
    manager = adapter.poolmanager
    manager.pool_classes_by_scheme = POOL_CLASSES
    manager.connection_pool_kw["socket_options"] = SOCKET_OPTIONS
    return adapter


class PromptAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections are immune to the delayed-ACK stall."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        make_prompt(self)
