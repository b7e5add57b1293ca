"""A BIG-IP iControl REST emulator that f5-sdk drives unmodified.

``start()`` runs one device on an HTTPS port (tests use port 0); ``group()`` joins several
into a device group. See ``docs/emulators/bigip.md``.
"""

from __future__ import annotations

from typing import Any

from emulators.bigip.app import BigipApp, fault_response
from emulators.bigip.ha import DeviceGroup, failover, group
from emulators.http import EmulatorServer

__all__ = ["BigipApp", "DeviceGroup", "EmulatorServer", "failover", "group", "start"]


def start(
    host: str = "127.0.0.1",
    port: int = 0,
    user: str = "admin",
    password: str = "admin",
    hostname: str = "bigip1",
    **options: Any,
) -> EmulatorServer:
    """Start one emulated BIG-IP in a background thread; ``.app`` is its BigipApp.

    Options: ``version`` (reported TMOS version, default 13.1.1).
    """
    app = BigipApp(
        user=user,
        password=password,
        hostname=hostname,
        version=str(options.pop("version", "13.1.1")),
        management_ip=host,
    )
    if options:
        raise TypeError(f"unknown options: {', '.join(sorted(options))}")
    server = EmulatorServer(app, host=host, port=port, tls=True, fault_response=fault_response)
    return server.start()
