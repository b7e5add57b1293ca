"""The daemon's HTTP server alone, in a process of its own, over a made-up status of N load
balancers: what tests/daemon/test_http_server.py connects to (sockets need a real server,
and gevent a process it may monkey-patch).

    python -m tests.support.status_server --listen 127.0.0.1:9180 --lbs 1000 \
        [--read-timeout 0.5] [--descriptors 1024] [--probe-listen 127.0.0.1:9181] \
        [--block-loop 3]

It prints ``serving`` once listening. ``--descriptors`` lowers its own descriptor limit (the
kubelet's default of 1,024, say); ``--read-timeout`` shortens the server's idle timeout (when
the server has one to shorten); ``--probe-listen`` answers the probes there too, from their
own process; ``--block-loop`` keeps the event loop busy (pure CPU, as a resync's planning
is) for that many seconds at a time, with 0.2 s breaks.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from tests.support.statusdata import status_of  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--lbs", type=int, default=100)
    parser.add_argument("--read-timeout", type=float)
    parser.add_argument("--descriptors", type=int)
    parser.add_argument("--probe-listen")
    parser.add_argument("--block-loop", type=float)
    args = parser.parse_args()
    if args.descriptors:
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (args.descriptors, hard))
    if args.read_timeout:
        try:
            from reconciler.daemon import httpserver
        except ImportError:  # a server without a read timeout
            pass
        else:
            httpserver.READ_TIMEOUT_SECONDS = args.read_timeout
    from reconciler.daemon.health import serve
    from reconciler.daemon.metrics import Metrics

    data = status_of(args.lbs)
    server = serve(args.listen, lambda: {"ok": True}, Metrics(), lambda: dict(data))
    if args.probe_listen:
        import threading

        from reconciler.daemon.probes import ProbeProcess

        probes = ProbeProcess(args.probe_listen)
        ready = threading.Event()
        threading.Thread(target=probes.publish_until, args=(lambda: {"ok": True}, ready)).start()
    print("serving", flush=True)
    while True:
        time.sleep(0.2)
        if args.block_loop:
            until = time.perf_counter() + args.block_loop
            while time.perf_counter() < until:  # no yield to the event loop
                pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
