"""Build the vnc_api client from our configuration."""

from __future__ import annotations

from typing import Any

from reconciler.config import Config


class ContrailUnavailable(RuntimeError):
    """The configuration API did not answer; nothing can be planned without it."""


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
            f"Contrail API at {where} is not reachable: {type(exc).__name__}: {exc}"
        ) from None
