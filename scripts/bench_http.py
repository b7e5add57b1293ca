"""``make bench-http`` (also run by ``make bench``): the daemon's HTTP surface under load.

    python scripts/bench_http.py                 # N = 1,000, 60 s of load → docs/BENCHMARKS.md
    python scripts/bench_http.py --lbs 100 --seconds 10 --out build/bench   # a smoke run

The daemon (a subprocess with the kubelet's default descriptor limit, 1,024) reconciles N
load balancers (``bench_seed``: 1 listener, 1 pool, 10 members each) on the emulated BIG-IP,
polling Contrail every ``--resync`` seconds. Once it is ready, for ``--seconds``:

- 30 clients load ``/`` in a loop (each in a process of its own, keep-alive);
- 1,100 sockets are kept open that send nothing (closed ones are opened again at once);
- one prober GETs ``/healthz`` on ``probe_listen`` (as the shipped Deployment's probes do) on
  a fresh connection every 100 ms, as the kubelet does, with the livenessProbe's 5 s timeout;
  another does the same on ``http_listen``, where the event loop answers, for comparison.

The load generators run at nice 10: on a small machine they would otherwise take the CPU
from the daemon and the prober (on a cluster the clients are on other machines).

It reports the probe's p50/p99/max and failures, the pages served and their size, and how
many full reconciles finished during the load (they must go on). The figures go into
docs/BENCHMARKS.md between ``bench:http:begin`` and ``bench:http:end``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import bench  # noqa: E402
import bench_seed  # noqa: E402
import requests  # noqa: E402

PAGE_CLIENTS = 30
IDLE_SOCKETS = 1100
PROBE_EVERY = 0.1
PROBE_TIMEOUT = 5.0
DAEMON_DESCRIPTORS = 1024
# The load generators run niced: on a 2-core machine 31 busy client processes would otherwise
# take the CPU from the daemon and the prober alike (on a cluster the clients are elsewhere).
LOAD_NICENESS = 10
BEGIN, END = "<!-- bench:http:begin -->", "<!-- bench:http:end -->"


def _page_client(listen: str, until: float, results: Any) -> None:
    """Load ``/`` in a loop until ``until``; put (pages, bytes, errors, seconds each)."""
    os.nice(LOAD_NICENESS)
    session = requests.Session()
    pages, size, errors, took = 0, 0, 0, []
    while time.time() < until:
        started = time.perf_counter()
        try:
            answer = session.get(f"http://{listen}/", timeout=30)
            if answer.status_code == 200:
                pages += 1
                size = len(answer.content)
            else:
                errors += 1
        except requests.RequestException:
            errors += 1
        took.append(time.perf_counter() - started)
    results.put((pages, size, errors, took))


def _idle_sockets(host: str, port: int, count: int, until: float, results: Any) -> None:
    """Keep ``count`` connections open that send nothing; put how many were opened."""
    os.nice(LOAD_NICENESS)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 256), hard))
    held: list[socket.socket] = []
    opened = 0
    while time.time() < until:
        alive = []
        for sock in held:
            try:
                if sock.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK) == b"":
                    sock.close()  # closed by the server
                    continue
            except BlockingIOError:
                pass
            except OSError:
                sock.close()
                continue
            alive.append(sock)
        held = alive
        while len(held) < count and time.time() < until:
            try:
                held.append(socket.create_connection((host, port), timeout=5))
                opened += 1
            except OSError:
                break
        time.sleep(1.0)
    for sock in held:
        sock.close()
    results.put(opened)


def probe(listen: str, until: float) -> tuple[list[float], int]:
    """``/healthz`` every ``PROBE_EVERY`` s on a fresh connection: latencies and failures
    (sorted)."""
    latencies, failures = [], 0
    while time.time() < until:
        started = time.perf_counter()
        try:
            ok = requests.get(f"http://{listen}/healthz", timeout=PROBE_TIMEOUT).status_code == 200
        except requests.RequestException:
            ok = False
        took = time.perf_counter() - started
        if ok:
            latencies.append(took)
        else:
            failures += 1
        time.sleep(max(0.0, PROBE_EVERY - took))
    return sorted(latencies), failures


def _probe_figures(prefix: str, latencies: list[float], failures: int) -> dict[str, Any]:
    def ms(q: float) -> float | None:
        return bench.percentile(latencies, q) * 1000 if latencies else None

    return {
        f"{prefix}probes": len(latencies) + failures,
        f"{prefix}probe_failures": failures,
        f"{prefix}probe_p50_ms": ms(0.5),
        f"{prefix}probe_p99_ms": ms(0.99),
        f"{prefix}probe_max_ms": latencies[-1] * 1000 if latencies else None,
    }


def _limit_descriptors() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (DAEMON_DESCRIPTORS, hard))


def run(
    n: int,
    seconds: float,
    resync: float,
    workdir: Path,
    page_clients: int = PAGE_CLIENTS,
    idle_sockets: int = IDLE_SOCKETS,
) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    procs = bench.Procs(workdir)
    try:
        device, _baseline, contrail_url = bench.start_emulators(procs, None)
        template = bench_seed.build_template(
            {"address": "127.0.0.1", "port": str(device.port), "user": bench.USER}
            | {"password": bench.PASSWORD}
        )
        state = bench_seed.generate(template, n, max(1, n // bench.LBS_PER_PROJECT))
        answer = requests.put(
            f"{contrail_url}/_emulator/load", data=json.dumps(state).encode(), timeout=600
        )
        answer.raise_for_status()
        del state
        listen = f"127.0.0.1:{bench.free_port()}"
        probes = f"127.0.0.1:{bench.free_port()}"
        config = bench.write_config(workdir / "daemon.conf", contrail_url, listen, None, "INFO")
        text = config.read_text().replace("resync_interval = 3600", f"resync_interval = {resync}")
        config.write_text(text + f"probe_listen = {probes}\n")
        log = open(workdir / "daemon.log", "ab")  # noqa: SIM115 - the child keeps it
        daemon = bench.subprocess.Popen(
            [sys.executable, "-m", "reconciler.cli", "--config", str(config)],
            cwd=ROOT,
            stdout=log,
            stderr=bench.subprocess.STDOUT,
            preexec_fn=_limit_descriptors,
        )
        procs.procs.append(daemon)
        started = time.perf_counter()
        bench.wait_until(
            lambda: requests.get(f"http://{listen}/readyz", timeout=5).status_code == 200,
            timeout=1800,
            every=0.5,
        )
        ready = time.perf_counter() - started
        print(f"  daemon ready after {ready:.1f} s (N = {n})")
        full_before = bench.metric(listen, "contrail_f5_reconciles_total", scope="full")
        until = time.time() + seconds
        results: Any = multiprocessing.Queue()
        host, _, port = listen.rpartition(":")
        idle = (host, int(port), idle_sockets, until, results)
        workers = [multiprocessing.Process(target=_idle_sockets, args=idle)]
        workers += [
            multiprocessing.Process(target=_page_client, args=(listen, until, results))
            for _ in range(page_clients)
        ]
        for worker in workers:
            worker.start()
        on_loop: list[Any] = []  # /healthz on http_listen too, answered by the event loop
        prober = threading.Thread(target=lambda: on_loop.extend(probe(listen, until)))
        prober.start()
        latencies, failures = probe(probes, until)
        prober.join(30)
        collected = [results.get(timeout=120) for _ in workers]
        for worker in workers:
            worker.join(30)
        time.sleep(1)  # let a reconcile that finished at the end be counted
        full_after = bench.metric(listen, "contrail_f5_reconciles_total", scope="full")
        idle_opened = next(c for c in collected if isinstance(c, int))
        pages = [c for c in collected if isinstance(c, tuple)]
        took = sorted(t for p in pages for t in p[3])
        return {
            "n": n,
            "seconds": seconds,
            "resync_interval": resync,
            "page_clients": page_clients,
            "idle_sockets": idle_sockets,
            "idle_opened": idle_opened,
            "daemon_descriptors": DAEMON_DESCRIPTORS,
            **_probe_figures("", latencies, failures),
            **_probe_figures("loop_", *on_loop),
            "pages": sum(p[0] for p in pages),
            "page_errors": sum(p[2] for p in pages),
            "page_bytes": max((p[1] for p in pages), default=0),
            "page_p50_ms": bench.percentile(took, 0.5) * 1000 if took else None,
            "full_reconciles_during_load": full_after - full_before,
            "date": time.strftime("%Y-%m-%d"),
            "machine": bench.machine(),
        }
    finally:
        procs.stop_all()


def render(r: dict[str, Any]) -> str:
    def ms(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f} ms"

    verdict = (
        "**met**"
        if r["probe_failures"] == 0
        and (r["probe_p99_ms"] or 1e9) < 100
        and r["full_reconciles_during_load"] > 0
        else "**not met**"
    )
    return "\n".join(
        [
            f"Measured {r['date']} with `python scripts/bench_http.py` on "
            f"{r['machine'].get('cpu', '?')} ({r['machine'].get('cores', '?')} cores): N = "
            f"{r['n']:,} load balancers, {r['seconds']:.0f} s of load, the daemon polling "
            f"Contrail every {r['resync_interval']:.0f} s with a descriptor limit of "
            f"{r['daemon_descriptors']:,}. Target (issue 24): `/healthz` p99 < 100 ms, no probe "
            f"failure, reconciles go on — {verdict}.",
            "",
            "| | |",
            "|---|---|",
            f"| load | {r['page_clients']} clients on `/` (keep-alive), {r['idle_sockets']:,} idle "
            f"sockets held ({r['idle_opened']:,} opened in all: the server closes the longest "
            "idle to make room, and idle ones after 10 s) |",
            f"| `/healthz` on `probe_listen` (the kubelet's, a fresh connection every 100 ms) | "
            f"{r['probes']} probes, {r['probe_failures']} failed; p50 {ms(r['probe_p50_ms'])}, "
            f"p99 {ms(r['probe_p99_ms'])}, max {ms(r['probe_max_ms'])} |",
            f"| for comparison: `/healthz` on `http_listen` (the event loop's) | "
            f"{r['loop_probes']} probes, {r['loop_probe_failures']} failed; p50 "
            f"{ms(r['loop_probe_p50_ms'])}, p99 {ms(r['loop_probe_p99_ms'])}, max "
            f"{ms(r['loop_probe_max_ms'])} |",
            f"| `/` | {r['pages']:,} pages served ({r['page_errors']} errors), "
            f"{r['page_bytes'] / 1000:.0f} kB each (the first 100 load balancers), p50 "
            f"{ms(r['page_p50_ms'])} |",
            f"| full reconciles finished during the load | {r['full_reconciles_during_load']:.0f} |",
        ]
    )


def update_markdown(path: Path, generated: str) -> None:
    """Replace this benchmark's block of ``path``; the first time, add it as a section."""
    text = path.read_text() if path.exists() else ""
    replaced = bench.replace_block(text, BEGIN, END, generated)
    if replaced is None:
        heading = "\n\n## The HTTP surface under load\n\n"
        replaced = f"{text.rstrip()}{heading}{BEGIN}\n{generated}\n{END}\n"
    path.write_text(replaced)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lbs", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--resync", type=float, default=10.0, help="resync_interval, seconds")
    parser.add_argument("--page-clients", type=int, default=PAGE_CLIENTS)
    parser.add_argument("--idle-sockets", type=int, default=IDLE_SOCKETS)
    parser.add_argument("--out", type=Path, help="where results go (default docs/)")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "docs"
    out.mkdir(parents=True, exist_ok=True)
    workdir = ROOT / "build" / "bench" / "http"
    result = run(args.lbs, args.seconds, args.resync, workdir, args.page_clients, args.idle_sockets)
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))
    (out / "bench-http.json").write_text(json.dumps(result, indent=1) + "\n")
    update_markdown(out / "BENCHMARKS.md", render(result))
    with contextlib.suppress(Exception):
        print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
