"""A Contrail / Tungsten Fabric configuration API emulator the stock ``VncApi`` works against.

    server = emulators.contrail.start()            # ephemeral port, in-process
    vnc = emulators.contrail.client(server)        # a real vnc_api.VncApi
    ...
    server.stop()

See docs/emulators/contrail.md.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from emulators.http import EmulatorServer

from .app import ContrailApp, fault_response


class ContrailServer(EmulatorServer):
    """An EmulatorServer that also stops the app's background threads."""

    app: ContrailApp

    def stop(self) -> None:
        super().stop()
        self.app.close()


def start(
    host: str = "127.0.0.1",
    port: int = 0,
    amqp_url: str | None = None,
    auth_token: str | None = None,
    state_file: str | os.PathLike[str] | None = None,
) -> ContrailServer:
    """A started emulator; ``port=0`` picks a free port; ``.app`` is the ContrailApp."""
    app = ContrailApp(amqp_url=amqp_url, auth_token=auth_token, state_file=state_file)
    server = ContrailServer(app, host=host, port=port, fault_response=fault_response)
    return server.start()  # type: ignore[return-value]


def client(server_or_url: Any, auth_token: str | None = None, **kwargs: Any) -> Any:
    """A ``vnc_api.VncApi`` for a server (or ``http://host:port``), no /etc/contrail needed.

    ``auth_type='noauth'`` keeps the client from calling keystone; with ``auth_token`` the
    token is sent as ``X-Auth-Token`` on every request. ``conf_file`` points at a path that
    does not exist so a stray /etc/contrail/vnc_api_lib.ini cannot change the behaviour.
    """
    from vnc_api.vnc_api import VncApi

    url = server_or_url if isinstance(server_or_url, str) else server_or_url.url
    split = urlsplit(url)
    kwargs.setdefault("conf_file", "/nonexistent/vnc_api_lib.ini")
    return VncApi(
        api_server_host=split.hostname,
        api_server_port=split.port or 8082,
        auth_type="noauth",
        auth_token=auth_token,
        **kwargs,
    )


__all__ = ["ContrailApp", "ContrailServer", "client", "start"]
