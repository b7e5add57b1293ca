"""Build the vnc_api client from our configuration."""

from __future__ import annotations

from typing import Any

from reconciler.config import Config


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


def connect(config: Config, timeout: float = 30.0) -> Any:
    from vnc_api.vnc_api import VncApi

    try:
        return VncApi(
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
