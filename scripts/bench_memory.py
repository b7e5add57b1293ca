"""Where the bytes go (issue 25, item 2): the structures a daemon keeps, measured one by one.

Seeds N load balancers into a Contrail emulator (a process of its own, as ``make bench``
does), lets one ``reconcile --once`` configure the BIG-IP emulator, then builds in this
process — under ``tracemalloc`` — what the daemon holds between changes: the Contrail
snapshot, its reverse links, the event index, the device's live state (the daemon's cache)
and the desired state (``translate``). Each structure's size is what stays allocated once it
is built (after a collection), so temporaries of the reads do not count. Also the top
allocation sites of the snapshot and the live state, which say what to make smaller.

    python scripts/bench_memory.py --sizes 1000 [--top 8] [--out docs/BENCHMARKS.md]

With ``--out``, the table goes between the ``bench:memory`` markers of that file.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import bench  # noqa: E402
import bench_seed  # noqa: E402
import requests  # noqa: E402

BEGIN, END = "<!-- bench:memory:begin -->", "<!-- bench:memory:end -->"


def kept(build: Callable[[], Any], top: int) -> tuple[Any, int, list[str]]:
    """(the value, the bytes it keeps allocated, its top allocation sites as table rows)."""
    gc.collect()
    before, traces = tracemalloc.get_traced_memory()[0], tracemalloc.take_snapshot()
    value = build()
    gc.collect()
    size = tracemalloc.get_traced_memory()[0] - before
    return value, size, sites(tracemalloc.take_snapshot(), traces, top)


def sites(after: tracemalloc.Snapshot, before: tracemalloc.Snapshot, top: int) -> list[str]:
    """The allocation sites that grew most between two trace snapshots, as table rows."""
    rows = []
    for stat in after.compare_to(before, "lineno")[:top]:
        frame = stat.traceback[0]
        where = frame.filename.split("site-packages/")[-1].removeprefix(f"{ROOT}/")
        rows.append(f"| `{where}:{frame.lineno}` | {stat.size_diff / 1e6:.1f} MB |")
    return rows


def measure(n: int, top: int, workdir: Path) -> str:
    from reconciler.bigip.reader import read_live
    from reconciler.config import load
    from reconciler.contrail.connect import connect
    from reconciler.contrail.reader import ContrailReader
    from reconciler.daemon.events import Index
    from reconciler.reconcile import device_clients, translate_options
    from reconciler.settings import settings_for
    from reconciler.translate.desired import translate

    procs = bench.Procs(workdir)
    try:
        device, _baseline, contrail_url = bench.start_emulators(procs, None)
        template = bench_seed.build_template(
            {
                "address": "127.0.0.1",
                "port": str(device.port),
                "user": bench.USER,
                "password": bench.PASSWORD,
            }
        )
        state = bench_seed.generate(template, n, max(1, n // bench.LBS_PER_PROJECT))
        requests.put(f"{contrail_url}/_emulator/load", json=state, timeout=600).raise_for_status()
        del state
        config_path = bench.write_config(
            workdir / "memory.conf", contrail_url, "127.0.0.1:0", broker=None
        )
        run = bench.run_once(procs, config_path, "once-initial")
        assert run.returncode == 0, f"reconcile --once exited {run.returncode}"
        config = load(config_path)
        vnc = connect(config)
        tracemalloc.start(1)
        snapshot, snapshot_bytes, snapshot_sites = kept(
            lambda: ContrailReader(vnc, config.sas_driver_pattern).read(), top
        )
        _links, links_bytes, _ = kept(snapshot.links, top)
        _index, index_bytes, _ = kept(lambda: Index.of(snapshot), top)
        sas = next(iter(snapshot.appliance_sets.values()))
        settings = settings_for(sas, config.credentials_for(sas.name))
        client = device_clients(config)(settings.devices[0])
        live, live_bytes, live_sites = kept(
            lambda: read_live(client, config.environment_prefix).objects, top
        )
        options = translate_options(config, snapshot)
        desired, desired_bytes, _ = kept(lambda: translate(snapshot, settings, options), top)
        tracemalloc.stop()
    finally:
        procs.stop_all()
    rows = [
        ("Contrail snapshot (`ContrailSnapshot`)", snapshot_bytes),
        ("its reverse links (`snapshot.links()`)", links_bytes),
        ("the event index (`daemon.events.Index`)", index_bytes),
        (f"the device's live state ({len(live):,} objects: the daemon's cache)", live_bytes),
        (f"the desired state ({len(desired.objects):,} objects: `translate`)", desired_bytes),
    ]
    total = sum(size for _what, size in rows)
    lines = [
        f"N = {n:,} load balancers (10 members each), measured "
        f"{time.strftime('%Y-%m-%d')} with `python scripts/bench_memory.py --sizes {n}`:",
        "",
        "| structure | kept | per load balancer |",
        "|---|---|---|",
        *(f"| {what} | {size / 1e6:.1f} MB | {size / n / 1e3:.1f} KB |" for what, size in rows),
        f"| **all of them** | **{total / 1e6:.1f} MB** | **{total / n / 1e3:.1f} KB** |",
        "",
        f"Top allocation sites of the snapshot (N = {n:,}):",
        "",
        "| where | kept |",
        "|---|---|",
        *snapshot_sites,
        "",
        f"Top allocation sites of the live state (N = {n:,}):",
        "",
        "| where | kept |",
        "|---|---|",
        *live_sites,
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000", help="comma-separated N (default 1000)")
    parser.add_argument("--top", type=int, default=8, help="allocation sites listed")
    parser.add_argument("--out", type=Path, help="a Markdown file with bench:memory markers")
    args = parser.parse_args(argv)
    tables = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            print(f"N = {n}", flush=True)
            tables.append(measure(n, args.top, Path(tmp)))
            print(tables[-1], flush=True)
    if args.out is not None:
        text = args.out.read_text()
        replaced = bench.replace_block(text, BEGIN, END, "\n\n".join(tables))
        if replaced is None:
            print(f"{args.out} has no {BEGIN} … {END} markers: nothing written", file=sys.stderr)
            return 1
        args.out.write_text(replaced)
    return 0


if __name__ == "__main__":
    sys.exit(main())
