"""Change notifications on RabbitMQ, as ``VncServerKombuClient.dbe_publish`` sends them.

Exchange ``vnc_config.object-update`` (fanout, not durable); body is the JSON dict
``{"request-id", "oper", "type", "uuid", "fq_name", "obj_dict"?}``. Requests never wait on
the broker: messages go into a bounded in-memory queue that one background thread drains.
When the broker is down the thread retries with back-off and the queue keeps the newest
``max_pending`` messages (older ones are dropped and counted, and a warning is logged).
Without an AMQP URL nothing is published at all.
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Any

from reconciler.logs import get_logger

EXCHANGE = "vnc_config.object-update"

log = get_logger("emulator.contrail.amqp")


class Notifier:
    def __init__(self, amqp_url: str | None, max_pending: int = 100_000) -> None:
        self.url = amqp_url
        self.max_pending = max_pending
        self._pending: collections.deque[dict[str, Any]] = collections.deque()
        self._cond = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        self.published = 0
        self.dropped = 0
        self.connected = False
        self.reconnects = 0

    def start(self) -> None:
        if self.url is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="contrail-amqp", daemon=True)
        self._thread.start()

    def publish(self, message: dict[str, Any]) -> None:
        if self.url is None:
            return
        with self._cond:
            if len(self._pending) >= self.max_pending:
                self._pending.popleft()
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    log.warning("notification buffer full, dropping oldest", dropped=self.dropped)
            self._pending.append(message)
            self._cond.notify()

    def stats(self) -> dict[str, Any]:
        with self._cond:
            return {
                "configured": self.url is not None,
                "connected": self.connected,
                "pending": len(self._pending),
                "published": self.published,
                "dropped": self.dropped,
                "reconnects": self.reconnects,
            }

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued message is published (tests); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending or self._inflight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    _inflight = 0

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        import kombu

        exchange = kombu.Exchange(EXCHANGE, "fanout", durable=False)
        backoff = 0.2
        while not self._stop:
            try:
                with kombu.Connection(self.url, connect_timeout=2, heartbeat=0) as conn:
                    conn.ensure_connection(max_retries=1)
                    producer = conn.Producer(serializer="json")
                    exchange(conn.default_channel).declare()
                    if not self.connected:
                        log.info("connected to the message broker", exchange=EXCHANGE)
                    self.connected = True
                    backoff = 0.2
                    self._drain(producer, exchange)
            except Exception as exc:  # broker down or connection lost: retry, keep buffering
                if self.connected:
                    log.warning("lost the message broker, will reconnect", error=str(exc))
                elif self.reconnects % 50 == 0:
                    log.warning("cannot reach the message broker", error=str(exc))
                self.connected = False
                self.reconnects += 1
                with self._cond:
                    self._inflight = 0
                    self._cond.wait(backoff)
                backoff = min(backoff * 2, 2.0)

    def _drain(self, producer: Any, exchange: Any) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stop:
                    self._cond.wait(1.0)
                if self._stop and not self._pending:
                    return
                message = self._pending[0]
                self._inflight = 1
            producer.publish(message, exchange=exchange, routing_key="", retry=False)
            with self._cond:
                if self._pending and self._pending[0] is message:
                    self._pending.popleft()
                self._inflight = 0
                self.published += 1
                self._cond.notify_all()
