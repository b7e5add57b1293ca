"""Every log line is one JSON object, whoever logs: our code, a library through the standard
library's logging (kombu, amqp, kazoo), gevent's hub, or an exception nobody caught. A
traceback is the event's ``exception`` field, not lines of its own."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import logging, threading
    from gevent import monkey; monkey.patch_all()
    import gevent
    from reconciler import logs
    logs.configure("INFO", json=True)
    logs.get_logger("ours").info("hello", n=1)
    try:
        raise ConnectionResetError(104, "Connection reset by peer")
    except OSError:
        logging.getLogger("kombu.mixins").warning("Connection to broker lost", exc_info=True)
    logs.capture_gevent_errors()
    def fails():
        raise OSError(24, "Too many open files")
    gevent.spawn(fails).join()
    thread = threading.Thread(target=fails, name="worker")
    thread.start(); thread.join()
    raise RuntimeError("uncaught at the top")
    """
)


def test_library_and_uncaught_tracebacks_are_one_json_line_each() -> None:
    ran = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    lines = ran.stderr.splitlines()
    events = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    assert len(events) == 5, lines
    ours, kombu, hub, thread, top = events
    assert ours["event"] == "hello" and ours["component"] == "ours"
    assert kombu["logger"] == "kombu.mixins" and kombu["level"] == "warning"
    assert "ConnectionResetError" in kombu["exception"]
    assert hub["component"] == "gevent" and "Too many open files" in hub["exception"]
    assert thread["thread"] == "worker" and "Too many open files" in thread["exception"]
    assert "RuntimeError: uncaught at the top" in top["exception"]
    assert ran.returncode == 1
