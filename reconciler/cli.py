"""The ``reconcile`` command.

    reconcile --once --dry-run     read both sides, print the plan; exit 0 no changes,
                                   2 changes pending, 1 errors (terraform's -detailed-exitcode)
    reconcile --once               one full pass, applied; exit 0 converged, 1 errors
    reconcile                      the daemon
    reconcile adopt --from agent|v1 [--dry-run] [--delete-unmatched]
                                   take over what the old chain configured, one
                                   transaction per load balancer (docs: README "Adopting")

Usage errors also exit 1, so 2 always means "changes pending".
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any, NoReturn

from reconciler import __version__, logs, redaction
from reconciler.config import ConfigError, load

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="reconcile",
        description="Make F5 BIG-IP devices match Contrail's LBaaS v2 configuration.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="INI file (default: /etc/contrail/contrail-f5-reconciler.conf if it exists)",
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=("adopt",),
        help="adopt: take over the BIG-IP configuration of the old chain",
    )
    parser.add_argument("--once", action="store_true", help="run one full pass and exit")
    parser.add_argument(
        "--from",
        dest="source",
        choices=("agent", "v1"),
        default="agent",
        help="adopt: F5's LBaaS agent behind svc-monitor's v2 shim (default), or the v1 driver",
    )
    parser.add_argument(
        "--delete-unmatched",
        action="store_true",
        help="adopt: also delete the old objects that match no Contrail object (review the "
        "dry run's list first)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="with --once: print the plan, change nothing anywhere",
    )
    parser.add_argument(
        "--output", choices=("text", "json"), default="text", help="plan format (default: text)"
    )
    parser.add_argument("--sas", metavar="NAME", help="only this service-appliance-set")
    parser.add_argument(
        "--allow-mass-delete",
        action="store_true",
        help="let this pass delete more than the deletion guard allows",
    )
    parser.add_argument(
        "--api-server",
        metavar="HOST:PORT",
        help="Contrail API server (overrides api_server_ip/port)",
    )
    parser.add_argument(
        "--prefix", metavar="P", help="name prefix of our objects (default Contrail)"
    )
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING or ERROR")
    parser.add_argument("--no-color", action="store_true", help="plain text plan")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {"environment_prefix": args.prefix, "log_level": args.log_level}
    if args.api_server:
        host, _, port = args.api_server.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"--api-server {args.api_server!r} is not HOST:PORT")
        values.update(api_server_ip=host, api_server_port=int(port))
    return values


def _say(text: str, file: Any = None) -> None:
    """Print with every known secret redacted: a plan or an error may quote a device's
    message, and a device's message may echo a password."""
    print(redaction.redact(text), file=file or sys.stdout)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not (args.once or args.dry_run or args.command):
        # The daemon runs on gevent: patch once, here, before anything opens a socket.
        from gevent import monkey

        monkey.patch_all()
    if args.dry_run and not args.once and not args.command:
        args.once = True  # a dry run is always a single pass
    try:
        config = load(args.config, overrides=_overrides(args))
        redaction.remember(config.secret_values())
        logs.configure(config.log_level)
        if args.command == "adopt":
            return run_adopt(config, args)
        if args.once:
            return run_once(config, args)
        from reconciler.daemon.main import run_daemon

        return run_daemon(config)
    except ConfigError as exc:  # one line: what to fix, where (a bind error found late too)
        print(f"reconcile: configuration error: {exc}", file=sys.stderr)
        return EXIT_ERROR


def run_adopt(config: Any, args: argparse.Namespace) -> int:
    from reconciler.adopt import adopt
    from reconciler.contrail.connect import ContrailUnavailable, connect
    from reconciler.contrail.reader import ContrailReadError

    try:
        result = adopt(
            config,
            connect(config),
            args.source,
            dry_run=args.dry_run,
            delete_unmatched=args.delete_unmatched,
            sas_name=args.sas,
            output=args.output,
        )
    except (ContrailUnavailable, ContrailReadError) as exc:
        _say(f"reconcile: {exc}; nothing was planned or changed", file=sys.stderr)
        return EXIT_ERROR
    for error in result.errors:
        _say(f"reconcile: {error}", file=sys.stderr)
    if not result.ok:
        return EXIT_ERROR
    if args.dry_run:
        return EXIT_CHANGES if result.plan.has_changes else EXIT_OK
    return EXIT_OK


def run_once(config: Any, args: argparse.Namespace) -> int:
    from reconciler.contrail.connect import ContrailUnavailable, connect
    from reconciler.contrail.reader import ContrailReadError
    from reconciler.coordination import NotOwner, OneShotClaims, replica_identity
    from reconciler.once import Reconciler
    from reconciler.plan.render import render_json, render_text

    claims: Any = contextlib.nullcontext()
    if config.zk_server_ip and not args.dry_run:  # replicas may be running: take turns
        claims = OneShotClaims(
            config.zk_hosts,
            config.zk_root,
            f"once/{replica_identity(config.replica_id)}",
            config.zk_session_timeout,
        )
    try:
        vnc = connect(config)
        with claims as held:
            reconciler = Reconciler(config, vnc, claims=held)
            try:
                result = reconciler.run(
                    dry_run=args.dry_run,
                    sas_name=args.sas,
                    allow_mass_delete=args.allow_mass_delete,
                )
            finally:
                reconciler.close()
    except (ContrailUnavailable, ContrailReadError, NotOwner) as exc:
        _say(f"reconcile: {exc}; nothing was planned or changed", file=sys.stderr)
        return EXIT_ERROR
    plan = result.plan
    if args.output == "json":
        _say(render_json(plan))
    else:
        _say(render_text(plan, colour=sys.stdout.isatty() and not args.no_color))
    if args.dry_run:
        if plan.has_errors:
            return EXIT_ERROR
        return EXIT_CHANGES if plan.has_changes else EXIT_OK
    for applied in result.applied:
        for error in applied.errors:
            _say(f"reconcile: device {applied.device}: {error}", file=sys.stderr)
    for failure in result.status_failures:
        _say(f"reconcile: {failure}", file=sys.stderr)
    for skipped in result.skipped:
        _say(f"reconcile: {skipped}", file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
