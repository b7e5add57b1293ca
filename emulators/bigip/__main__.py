"""``python -m emulators.bigip``: one emulated BIG-IP on an HTTPS port, until interrupted."""

from __future__ import annotations

import argparse
import os

from emulators.bigip.app import BigipApp, fault_response
from emulators.http import EmulatorServer
from reconciler.logs import configure, get_logger


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m emulators.bigip", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--user", default="admin")
    parser.add_argument(
        "--password",
        default=os.environ.get("BIGIP_EMULATOR_PASSWORD", "admin"),
        help="admin password (or env BIGIP_EMULATOR_PASSWORD)",
    )
    parser.add_argument("--hostname", default="bigip1")
    parser.add_argument("--version", default="13.1.1", help="TMOS version to report")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    configure(args.log_level)
    log = get_logger("emulator.bigip")
    app = BigipApp(args.user, args.password, args.hostname, args.version, args.host)
    server = EmulatorServer(app, args.host, args.port, tls=True, fault_response=fault_response)
    log.info("BIG-IP emulator listening", url=server.url, hostname=args.hostname, user=args.user)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main()
