"""Listen to Contrail's ``vnc_config.object-update`` exchange with kombu.

The queue is ours alone (named after host and process), non-durable and auto-deleted, bound
to the fanout exchange the API server publishes every change to — the same shape
``cfgm_common.vnc_kombu`` uses. kombu's ConsumerMixin makes the connection and consumes;
our ``run`` replaces its loop so that every way consuming can end — the connection or the
channel lost, access refused (the vhost deleted, the password rotated: ``NOT_ALLOWED``),
the consumer cancelled (the queue deleted) — clears ``connected`` (``/readyz``'s
``broker_connected``) until consuming resumes, is logged as one event (kombu's own loop
wrote a multi-line traceback per attempt), and is retried after a growing pause.
Because the queue does not survive a disconnect,
every (re)connection asks for a full resync *after* the queue is bound, so no change can
slip between the resync's read and the first event (the order svc-monitor uses).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from kombu import Connection, Consumer, Exchange, Queue
from kombu.mixins import ConsumerMixin

from reconciler.config import Config
from reconciler.logs import get_logger

log = get_logger("watch")
EXCHANGE = "vnc_config.object-update"
RETRY_FIRST, RETRY_MAX = 1.0, 30.0  # seconds between attempts to consume again


def broker_connection(config: Config) -> Connection:
    """The broker from our configuration, as parameters (no URL: a password with ``@`` or
    ``/`` needs no escaping, and nothing can print it inside a URL)."""
    return Connection(
        hostname=config.rabbit_server,
        port=config.rabbit_port,
        userid=config.rabbit_user,
        password=config.rabbit_password.reveal(),
        virtual_host=config.rabbit_vhost or "/",
        heartbeat=30,
        connect_timeout=5,
    )


class Watcher(ConsumerMixin):
    """Calls ``on_event(dict)`` per notification and ``on_bound()`` after every (re)bind."""

    def __init__(
        self,
        connection: Connection,
        on_event: Callable[[dict[str, Any]], None],
        on_bound: Callable[[], None],
        queue_name: str | None = None,
    ) -> None:
        self.connection = connection
        self.on_event = on_event
        self.on_bound = on_bound
        exchange = Exchange(EXCHANGE, type="fanout", durable=False)
        name = queue_name or f"contrail-f5-reconciler.{socket.getfqdn()}.{os.getpid()}"
        self.queue = Queue(name, exchange, durable=False, auto_delete=True)
        self.connected = False
        self._retry_in = RETRY_FIRST
        self._stopping = threading.Event()

    def run(self, _tokens: int = 1, **kwargs: Any) -> None:
        """Consume until stopped; whatever ends consuming is ``_lost`` and retried."""
        errors = (
            *self.connection.connection_errors,
            *self.connection.channel_errors,
            *self.connection.recoverable_connection_errors,
            *self.connection.recoverable_channel_errors,
        )
        while not self.should_stop:
            try:
                for _ in self.consume(limit=None, **kwargs):
                    pass
            except errors as exc:
                self._lost(exc)
            except Exception as exc:  # not the broker's: still never the end of notifications
                self._lost(exc, unexpected=True)
            else:
                if not self.should_stop:  # consume returned: the connection was closed
                    self._lost(ConnectionError("consuming ended"))

    def _lost(self, exc: BaseException, unexpected: bool = False) -> None:
        self.connected = False
        if self.should_stop:
            return
        wait, self._retry_in = self._retry_in, min(self._retry_in * 2, RETRY_MAX)
        about = {"error": f"{type(exc).__name__}: {exc}", "retry_in": wait}
        if unexpected:
            log.error("notifications stopped; consuming again", exc_info=exc, **about)
        else:
            log.warning("broker connection lost; reconnecting", **about)
        self._stopping.wait(wait)

    def get_consumers(self, consumer_cls: Callable[..., Consumer], channel: Any) -> list[Consumer]:
        # kombu passes ``partial(Consumer, channel)``, not the class itself.
        return [consumer_cls(queues=[self.queue], callbacks=[self._on_message], accept=["json"])]

    def on_consume_ready(self, connection: Any, channel: Any, consumers: Any, **kw: Any) -> None:
        self.connected = True
        self._retry_in = RETRY_FIRST
        log.info("bound to notifications", queue=self.queue.name)
        self.on_bound()

    def on_connection_error(self, exc: BaseException, interval: float) -> None:
        self.connected = False
        log.warning("broker connection lost; reconnecting", error=str(exc), retry_in=interval)

    def on_connection_revived(self) -> None:
        log.info("broker connection revived")

    def _on_message(self, body: Any, message: Any) -> None:
        try:
            if isinstance(body, dict):
                log.debug(
                    "notification",
                    type=body.get("type"),
                    oper=body.get("oper"),
                    uuid=body.get("uuid"),
                )
                self.on_event(body)
        except Exception:  # one bad message must not end the subscription
            log.exception("notification not understood; the next resync covers it")
        finally:
            message.ack()

    def stop(self) -> None:
        self.should_stop = True
        self._stopping.set()
