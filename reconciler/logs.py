"""Logging set up once per process.

Every component logs through structlog with key/value context (device, object, partition).
In a terminal the output is a readable, coloured console format; anywhere else (a daemon
under systemd or Kubernetes) it is one JSON object per line, which log pipelines parse.
Secrets never reach this layer: callers log names and counts, never credentials or bodies
of authentication requests, and the redaction processor below is a last line of defence.

Libraries log through the standard library (kombu, amqp, kazoo, urllib3) or print their
tracebacks (gevent's hub, uncaught exceptions in threads): both are routed through the same
processors, so a traceback is one event with an ``exception`` field — one JSON line — like
everything else.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import MutableMapping
from types import TracebackType
from typing import Any

import structlog

from reconciler import redaction

_SECRET_KEYS = frozenset(
    {"password", "passwd", "token", "auth_token", "x-f5-auth-token", "authorization", "secret"}
)
_configured = False


def _redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Replace the value of any key that names a secret, whatever the caller passed."""
    for key in list(event_dict):
        if key.lower() in _SECRET_KEYS:
            event_dict[key] = "***"
    return event_dict


def _redact_values(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Replace every known secret value (``redaction``) in any field, the exception's text
    included: a device's message or a library's traceback may echo one."""
    for key, value in event_dict.items():
        if isinstance(value, str | dict | list | tuple):
            event_dict[key] = redaction.redact_all(value)
    return event_dict


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    """Resolve sys.stderr when logging, not once: tests and daemons may swap the stream."""
    return structlog.PrintLogger(file=sys.stderr)


class _StderrHandler(logging.StreamHandler):
    """The standard library's records, formatted by structlog, to the current sys.stderr."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _stdlib_handler(renderer: Any) -> logging.Handler:
    """A root handler that renders every library's record as our events are rendered (with
    the logger's name, and its exc_info as the ``exception`` field)."""
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_logger_name,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                _redact_secrets,
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _redact_values,
                renderer,
            ],
        )
    )
    return handler


def _log_uncaught(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None, **about: Any
) -> None:
    get_logger("uncaught").error("uncaught exception", exc_info=(kind, value, tb), **about)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        thread = args.thread.name if args.thread else None
        _log_uncaught(args.exc_type, args.exc_value, args.exc_traceback, thread=thread)


def capture_gevent_errors() -> None:
    """gevent's hub prints an exception no greenlet caught (a server's accept loop hitting
    EMFILE, a failed greenlet) to stderr as plain text; log it as one event instead."""
    from gevent import get_hub

    def print_exception(context: Any, kind: Any, value: Any, tb: Any) -> None:
        if value is None:
            value = kind()
        _log_uncaught(kind, value, tb, context=repr(context)[:200], component="gevent")

    get_hub().print_exception = print_exception


def configure(level: str = "INFO", json: bool | None = None) -> None:
    """Configure structlog and the stdlib root logger; later calls only change the level.

    ``json=None`` picks JSON when stderr is not a terminal.
    """
    global _configured
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(numeric, int):
        raise ValueError(f"log level {level!r} is not one of DEBUG, INFO, WARNING, ERROR")
    logging.getLogger().setLevel(numeric)
    # Libraries that log request bodies or headers at DEBUG stay at WARNING.
    for noisy in ("urllib3", "requests", "f5", "icontrol", "amqp", "kombu", "kazoo"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    if _configured:
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(numeric))
        return
    use_json = (not sys.stderr.isatty()) if json is None else json
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    root.addHandler(_stdlib_handler(renderer))
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _thread_excepthook
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact_secrets,
            structlog.processors.format_exc_info,
            _redact_values,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    _configured = True


def get_logger(name: str | None = None, **context: Any) -> Any:
    """A structlog logger bound to ``component=name`` and any extra context.

    It stays lazy: modules create theirs at import time, before ``configure`` runs, and
    still log with the configuration in force when they log.
    """
    if name:
        context = {"component": name, **context}
    return structlog.get_logger(**context)
