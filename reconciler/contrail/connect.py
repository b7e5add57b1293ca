"""Build the vnc_api clients from our configuration.

``requests`` reads the process environment on every request it sends (proxies,
``no_proxy``, ``.netrc``, ``REQUESTS_CA_BUNDLE``): about a third of the client's CPU for a
status PUT, which an initial sync sends 12,000 times. The API server is one fixed address,
so our clients read that environment once, when their session is made (and again if
vnc_api remakes it after a connection error), and then send without looking again: the
same proxy and CA bundle as before, at a fraction of the cost. ``.netrc`` is not consulted
(vnc_api authenticates with a token header).
"""

from __future__ import annotations

from typing import Any

import requests
from vnc_api.vnc_api import VncApi

from reconciler.concurrency import Siblings
from reconciler.config import Config
from reconciler.tcp import make_prompt


class ContrailUnavailable(RuntimeError):
    """The configuration API did not answer; nothing can be planned without it."""


def describe(exc: BaseException) -> str:
    """An exception in words, never empty: vnc_api raises ``ConnectionError()`` with no
    message when the server does not answer, so say what was underneath, or that."""
    seen: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(seen) < 4:
        text = str(current).strip(" ;:")
        if text:
            seen.append(f"{type(current).__name__}: {text}")
            break
        seen.append(type(current).__name__)
        current = current.__cause__ or current.__context__
    if len(seen) == 1 and ":" not in seen[0]:
        return f"{seen[0]} (the server did not answer)"
    return " ← ".join(seen)


def read_environment_once(session: requests.Session, url: str) -> None:
    """Give ``session`` the proxies and CA bundle the environment names for ``url`` now, and
    stop it reading the environment per request."""
    if not session.trust_env:
        return
    settled = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies.update(settled["proxies"])
    if url.startswith("https:") and session.verify is True and isinstance(settled["verify"], str):
        session.verify = settled["verify"]  # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE
    session.trust_env = False


class _VncApi(VncApi):
    """VncApi whose sessions read the environment once (see the module's docstring) and
    whose connections are immune to the delayed-ACK stall (``reconciler.tcp``: a real API
    server writes without TCP_NODELAY, ~50 ms per request otherwise)."""

    def _create_api_server_session(self) -> None:
        super()._create_api_server_session()
        for host, session in self._api_server_session.api_server_sessions.items():
            read_environment_once(
                session, f"{self._api_connect_protocol}://{host}:{self._web_port}/"
            )
            for adapter in session.adapters.values():
                make_prompt(adapter)


class Connections:
    """A client and up to ``size - 1`` siblings for work that may go side by side (status
    write-back), made on first use and kept. ``take(n)``: the first n (this one first)."""

    def __init__(self, config: Config, first: Any, size: int | None = None) -> None:
        self.config = config
        self.first = first
        self.size = size if size is not None else config.contrail_connections
        self._siblings = Siblings(first, lambda: connect(config), self.size)

    def take(self, wanted: int) -> list[Any]:
        return self._siblings.take(wanted)


def connect(config: Config, timeout: float = 30.0) -> Any:
    try:
        return _VncApi(
            api_server_host=config.api_server_ip,
            api_server_port=str(config.api_server_port),
            api_server_use_ssl=config.api_server_use_ssl,
            auth_type="noauth",
            auth_token=config.auth_token.reveal() if config.auth_token else None,
            timeout=timeout,
            connection_timeout=min(timeout, 10.0),
        )
    except Exception as exc:  # vnc_api raises bare Exceptions and requests errors alike
        where = f"{config.api_server_ip}:{config.api_server_port}"
        raise ContrailUnavailable(
            f"Contrail API at {where} is not reachable: {describe(exc)}"
        ) from None
