"""Secrets redacted by value, wherever text leaves the process: logs, the status page,
``/status.json`` and plans.

Key names are not enough: a device's error message may echo a password, an exception may
carry a URL or a request body. So the values themselves are remembered — the configured
passwords and tokens (``cli``), every device password a set's settings hold (``settings``),
whatever the status page's scrub knows — and replaced by ``***`` in each form they can take
in text: raw, JSON-escaped (``"`` and ``\\`` escaped, with or without ``\\uXXXX`` for
non-ASCII), Python's repr, and URL-encoded (``%XX``, ``+`` for spaces).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
#: Shorter values are not redacted: "ab" would blank half of every message.
MIN_LENGTH = 4

_lock = threading.Lock()
_forms: set[str] = set()
_pattern: re.Pattern[str] | None = None


def forms(secret: str) -> set[str]:
    """The ways ``secret`` can appear in text we write."""
    found = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
    }
    return {f for f in found if len(f) >= MIN_LENGTH}


def remember(secrets: Iterable[str | None]) -> None:
    """Redact these values from now on (empty and short ones are ignored)."""
    global _pattern
    new = {f for s in secrets if s and len(s) >= MIN_LENGTH for f in forms(s)}
    with _lock:
        if new <= _forms:
            return
        _forms.update(new)
        longest_first = sorted(_forms, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(f) for f in longest_first))


def redact(text: str) -> str:
    pattern = _pattern
    return pattern.sub(MASK, text) if pattern is not None else text


def redact_all(value: Any) -> Any:
    """``value`` (JSON-like: dicts, lists, tuples, strings) with every string redacted."""
    if _pattern is None:
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_all(k): redact_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_all(v) for v in value]
    return value
