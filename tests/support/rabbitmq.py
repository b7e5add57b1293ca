"""RabbitMQ for tests: make sure a broker answers, and collect what an exchange publishes.

``ensure_broker()`` connects to amqp://guest:guest@127.0.0.1:5672// with kombu; when that is
refused it runs ``rabbitmq-server -detached`` and waits (up to ``timeout`` s) until a
connection opens, so CI on a fresh machine starts the broker itself.
``QueueCollector`` binds a unique, auto-deleted queue to a fanout exchange (by default
Contrail's ``vnc_config.object-update``) and gathers the decoded message bodies.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import kombu

BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
CONTRAIL_EXCHANGE = "vnc_config.object-update"


def broker_answers(url: str = BROKER_URL) -> bool:
    try:
        with kombu.Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


def ensure_broker(url: str = BROKER_URL, timeout: float = 60.0) -> str:
    """Return ``url`` once a broker answers there, starting a local one if needed."""
    if broker_answers(url):
        return url
    server = shutil.which("rabbitmq-server") or "/usr/sbin/rabbitmq-server"
    subprocess.run([server, "-detached"], check=False, capture_output=True, timeout=30)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if broker_answers(url):
            return url
        time.sleep(1)
    raise RuntimeError(f"no RabbitMQ broker answers at {url} after {timeout:.0f}s")


class QueueCollector:
    """A unique auto-delete queue bound to a fanout exchange, drained in a thread."""

    def __init__(self, url: str = BROKER_URL, exchange: str = CONTRAIL_EXCHANGE) -> None:
        self.url = url
        self.exchange = kombu.Exchange(exchange, "fanout", durable=False)
        self.queue = kombu.Queue(
            f"test.{uuid.uuid4()}", self.exchange, durable=False, auto_delete=True
        )
        self.messages: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="queue-collector")

    def __enter__(self) -> QueueCollector:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("could not bind the test queue")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _on_message(self, body: Any, message: Any) -> None:
        with self._cond:
            self.messages.append(body)
            self._cond.notify_all()
        message.ack()

    def _run(self) -> None:
        with (
            kombu.Connection(self.url) as conn,
            conn.Consumer(self.queue, callbacks=[self._on_message], accept=["json"]),
        ):
            self._ready.set()
            while not self._stop.is_set():
                try:
                    conn.drain_events(timeout=0.2)
                except TimeoutError:
                    continue
                except OSError:
                    if self._stop.is_set():
                        break
                    raise

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], count: int = 1, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """The messages matching ``predicate`` once at least ``count`` arrived (or timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [m for m in self.messages if predicate(m)]
                left = deadline - time.monotonic()
                if len(found) >= count or left <= 0:
                    return found
                self._cond.wait(left)


def private_vhost(name: str, url: str = BROKER_URL) -> str:
    """A vhost of our own on the local broker (created if missing), as an AMQP URL.

    Contrail's exchange name is fixed, so every emulator and reconciler on one broker vhost
    hears every other's notifications; a test session that shares the broker with anything
    else (a benchmark, another checkout's tests) keeps to its own vhost.
    """
    ensure_broker(url)
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    # Just after the broker's app (re)started, it answers AMQP before it has recovered its
    # vhosts: both commands are tried again until the vhost is there (30 s at most).
    deadline = time.monotonic() + 30
    while True:
        subprocess.run([ctl, "add_vhost", name], capture_output=True, timeout=60)
        allowed = subprocess.run(
            [ctl, "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
            capture_output=True,
            timeout=60,
        )
        if allowed.returncode == 0:
            break
        if time.monotonic() > deadline:
            allowed.check_returncode()
        time.sleep(0.5)
    authority = url[: url.index("/", len("amqp://"))]  # amqp://user:pw@host:port
    return f"{authority}/{name}"


def drop_vhost(name: str) -> None:
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([ctl, "delete_vhost", name], capture_output=True, timeout=60)
