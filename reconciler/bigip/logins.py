"""Refused logins back off, per device: a wrong password must not lock the account.

BIG-IP lockout policies count failed logins (often a handful). Without a gate, a wrong
password cost 16 failed logins per pass (four connections, each retrying the 401 four
times): ~960 an hour per device. The gate lets one login through, and after a refusal none
until its backoff has passed: the first wait is the resync interval (at least
``FIRST_WAIT_MIN``), each further refusal doubles it, up to ``CEILING`` — at most 7 failed
logins in the first hour however often passes run, 3 an hour after that. A login that succeeds opens the gate
again; new credentials (a changed set, a restarted daemon) get a new gate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

#: The longest wait between two login attempts with refused credentials: 20 minutes, so at
#: most 3 failed logins an hour once the backoff has grown.
CEILING = 1200.0
#: The shortest first wait, whatever the resync interval: a pass every few seconds must not
#: make a dozen failed logins before the backoff grows.
FIRST_WAIT_MIN = 60.0


@dataclass(frozen=True)
class LoginState:
    """What the status page shows of a device whose logins are refused."""

    refused: int  # refusals in a row
    since: float  # wall time of the first of them
    retry_at: float  # wall time of the next login attempt
    message: str  # the device's answer to the last one


class LoginGate:
    """Shared by a device's connections (one client and its siblings): thread-safe."""

    def __init__(
        self,
        first_wait: float = 60.0,
        on_change: Callable[[LoginState | None], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.first_wait = max(FIRST_WAIT_MIN, first_wait)
        self.on_change = on_change or (lambda state: None)
        self.clock = clock
        self._lock = threading.Lock()
        self._state: LoginState | None = None

    @property
    def state(self) -> LoginState | None:
        """None while logins are accepted (or none was tried yet)."""
        return self._state

    def closed_for(self) -> float:
        """Seconds until the next login may be tried; 0: now."""
        state = self._state
        return max(0.0, state.retry_at - self.clock()) if state else 0.0

    def refused(self, message: str) -> LoginState:
        with self._lock:
            now, before = self.clock(), self._state
            count = before.refused + 1 if before else 1
            wait = min(self.first_wait * 2 ** (count - 1), max(CEILING, self.first_wait))
            self._state = LoginState(count, before.since if before else now, now + wait, message)
            state = self._state
        self.on_change(state)
        return state

    def accepted(self) -> None:
        if self._state is None:  # the common case, on every call: no lock
            return
        with self._lock:
            was, self._state = self._state, None
        if was is not None:
            self.on_change(None)
