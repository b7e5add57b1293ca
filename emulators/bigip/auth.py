"""Authentication as restjavad does it: HTTP Basic, or tokens from ``/mgmt/shared/authn/login``.

Tokens expire (default 1200 s) and a user may hold at most 100 live tokens; the 101st login
is refused with 400, which is how real clients that log in per request exhaust a device.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

MAX_TOKENS_PER_USER = 100
DEFAULT_TIMEOUT = 1200
MAX_TIMEOUT = 36000


class AuthError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Token:
    token: str
    user: str
    start: float
    timeout: int

    @property
    def expires(self) -> float:
        return self.start + self.timeout

    def body(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "name": self.token,
            "userName": self.user,
            "user": {"link": f"https://localhost/mgmt/shared/authz/users/{self.user}"},
            "groupReferences": [],
            "timeout": self.timeout,
            "startTime": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.start)),
            "address": "127.0.0.1",
            "partition": "[All]",
            "generation": 1,
            "lastUpdateMicros": int(self.start * 1_000_000),
            "expirationMicros": int(self.expires * 1_000_000),
            "kind": "shared:authz:tokens:authtokenitemstate",
            "selfLink": f"https://localhost/mgmt/shared/authz/tokens/{self.token}",
        }


class Authenticator:
    def __init__(self, users: dict[str, str]) -> None:
        self.users = dict(users)
        self.tokens: dict[str, Token] = {}
        # Every login attempt, as the device's audit log has them: {"user", "ok", "at"}.
        self.login_log: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def _check_password(self, user: str, password: str) -> bool:
        expected = self.users.get(user)
        return expected is not None and secrets.compare_digest(expected, password)

    def login(self, body: Any) -> Token:
        if not isinstance(body, dict):
            raise AuthError(400, "Found invalid JSON body in the request.")
        user, password = str(body.get("username", "")), str(body.get("password", ""))
        accepted = self._check_password(user, password)
        with self._lock:
            self.login_log.append({"user": user, "ok": accepted, "at": time.time()})
        if not accepted:
            raise AuthError(401, "Authentication failed.")
        now = time.time()
        with self._lock:
            self._purge(now)
            live = sum(1 for t in self.tokens.values() if t.user == user)
            if live >= MAX_TOKENS_PER_USER:
                raise AuthError(400, f"user {user} has reached maximum active login tokens")
            token = Token(secrets.token_urlsafe(18).upper(), user, now, DEFAULT_TIMEOUT)
            self.tokens[token.token] = token
        return token

    def _purge(self, now: float) -> None:
        for key in [k for k, t in self.tokens.items() if t.expires <= now]:
            del self.tokens[key]

    def get_token(self, token: str) -> Token | None:
        with self._lock:
            found = self.tokens.get(token)
            if found is not None and found.expires <= time.time():
                del self.tokens[token]
                return None
            return found

    def set_timeout(self, token: str, timeout: Any) -> Token:
        found = self.get_token(token)
        if found is None:
            raise AuthError(404, f"Token {token[:4]}… not found")
        try:
            value = int(timeout)
        except (TypeError, ValueError):
            raise AuthError(400, "timeout must be a number") from None
        if not 0 < value <= MAX_TIMEOUT:
            raise AuthError(400, f"timeout must be between 1 and {MAX_TIMEOUT}")
        with self._lock:
            found.timeout = value
        return found

    def revoke(self, token: str) -> bool:
        with self._lock:
            return self.tokens.pop(token, None) is not None

    def expire(self, user: str | None = None) -> int:
        """Test control: make tokens (of one user, or all) expire now."""
        with self._lock:
            doomed = [k for k, t in self.tokens.items() if user is None or t.user == user]
            for key in doomed:
                del self.tokens[key]
        return len(doomed)

    def authenticate(self, headers: dict[str, str], uri: str) -> str:
        """The user a request acts as; AuthError(401) otherwise."""
        token = headers.get("x-f5-auth-token")
        if token:
            found = self.get_token(token)
            if found is None:
                raise AuthError(401, f"X-F5-Auth-Token does not exist. Uri:{uri}")
            return found.user
        basic = headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                user, password = "", ""
            if self._check_password(user, password):
                return user
            raise AuthError(401, f"Authentication failed. Uri:{uri}")
        raise AuthError(
            401, f"Authorization failed: no user authentication header or token detected. Uri:{uri}"
        )
