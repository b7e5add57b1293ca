"""Listen to Contrail's ``vnc_config.object-update`` exchange with kombu.

The queue is ours alone (named after host and process), non-durable and auto-deleted, bound
to the fanout exchange the API server publishes every change to — the same shape
``cfgm_common.vnc_kombu`` uses. kombu's ConsumerMixin keeps the connection: it reconnects
with backoff after a broker restart. Because the queue does not survive a disconnect,
every (re)connection asks for a full resync *after* the queue is bound, so no change can
slip between the resync's read and the first event (the order svc-monitor uses).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

from kombu import Connection, Consumer, Exchange, Queue
from kombu.mixins import ConsumerMixin

from reconciler.config import Config
from reconciler.logs import get_logger

log = get_logger("watch")
EXCHANGE = "vnc_config.object-update"


def amqp_url(config: Config) -> str:
    vhost = config.rabbit_vhost.lstrip("/") or ""
    password = config.rabbit_password.reveal()
    return (
        f"amqp://{config.rabbit_user}:{password}@{config.rabbit_server}:{config.rabbit_port}/"
        f"{vhost}"
    )


class Watcher(ConsumerMixin):
    """Calls ``on_event(dict)`` per notification and ``on_bound()`` after every (re)bind."""

    def __init__(
        self,
        url: str,
        on_event: Callable[[dict[str, Any]], None],
        on_bound: Callable[[], None],
        queue_name: str | None = None,
    ) -> None:
        self.connection = Connection(url, heartbeat=30, connect_timeout=5)
        self.on_event = on_event
        self.on_bound = on_bound
        exchange = Exchange(EXCHANGE, type="fanout", durable=False)
        name = queue_name or f"contrail-f5-reconciler.{socket.getfqdn()}.{os.getpid()}"
        self.queue = Queue(name, exchange, durable=False, auto_delete=True)
        self.connected = False

    def get_consumers(self, consumer_cls: Callable[..., Consumer], channel: Any) -> list[Consumer]:
        # kombu passes ``partial(Consumer, channel)``, not the class itself.
        return [consumer_cls(queues=[self.queue], callbacks=[self._on_message], accept=["json"])]

    def on_consume_ready(self, connection: Any, channel: Any, consumers: Any, **kw: Any) -> None:
        self.connected = True
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
                self.on_event(body)
        finally:
            message.ack()

    def stop(self) -> None:
        self.should_stop = True
