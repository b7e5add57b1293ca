"""``python -m emulators.contrail --host 127.0.0.1 --port 8082 [--amqp-url URL] ...``"""

from __future__ import annotations

import argparse
import signal
import sys

from reconciler.logs import configure, get_logger

from . import ContrailServer
from .app import ContrailApp, fault_response


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.contrail", description="Contrail configuration API emulator"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument(
        "--amqp-url",
        default=None,
        help="publish change notifications to this broker, e.g. amqp://guest:guest@127.0.0.1:5672//",
    )
    parser.add_argument("--auth-token", default=None, help="require this X-Auth-Token")
    parser.add_argument("--state-file", default=None, help="load state from / save state to PATH")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    configure(args.log_level)
    log = get_logger("emulator.contrail")
    app = ContrailApp(
        amqp_url=args.amqp_url, auth_token=args.auth_token, state_file=args.state_file
    )
    server = ContrailServer(app, host=args.host, port=args.port, fault_response=fault_response)

    def _terminate(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    log.info(
        "contrail api emulator listening",
        url=server.url,
        amqp=bool(args.amqp_url),
        auth="token" if args.auth_token else "none",
        state_file=args.state_file,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
