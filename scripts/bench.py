"""``make bench``: how fast the reconciler converges, measured, next to the agent's way.

    python scripts/bench.py            # N = 100, 1,000, 5,000 → docs/BENCHMARKS.md + PNG
    python scripts/bench.py --quick    # N = 100 only, fewer changes → build/bench/ (< 1 min)
    python scripts/bench.py --sizes 1000 --latency 0.01 --changes 50 --out build/x
    python scripts/bench.py --sizes 100 --contrail-latency 0,0.005,stall  # the API's cost

For each N (load balancers: 1 listener, 1 pool, 10 members, 1 monitor each, over N/20
projects) it starts both emulators as **subprocesses** (no GIL shared with the code under
test), seeds Contrail (see ``bench_seed``), makes the BIG-IP answer every request after
``--latency`` seconds, and measures the reconciler, itself a subprocess:

1. initial sync (``reconcile --once`` on an empty device): wall time, REST calls by verb,
   calls ÷ the minimum (one write per top-level object — a pool carries its members, the
   device makes their nodes — + the two global reads: folders and partitions), wall time
   ÷ the physical minimum (the minimum calls ÷ the connections per device × the latency);
2. no-op resync (``--once`` again): wall time, writes (must be 0), reads (minimum: one
   paged collection GET per type per partition + the two global reads), wall ÷ its
   physical minimum (reads ÷ connections × latency);
3. single-change convergence through the daemon (``reconcile`` with RabbitMQ): for each
   change, the clock starts just before the ``vnc_api`` update, and stops when one GET of the
   changed object on the BIG-IP (repeated every 5 ms, each answered after the latency) shows
   it; device writes per change from the emulator's counters, excluding ``save sys config``
   (the daemon batches it after 1 s idle);
4. peak RSS (``VmHWM`` of the ``--once`` child and of the daemon) and CPU seconds;
5. the same scenarios done the agent's way (``bench_baseline``) on a second emulated BIG-IP.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import bench_seed  # noqa: E402
import requests  # noqa: E402
import urllib3  # noqa: E402

urllib3.disable_warnings()

USER, PASSWORD, PREFIX = "admin", "bench-pw-3c1d", "Contrail"
CONNECTIONS = 4  # device_connections (the reconciler's default)
LBS_PER_PROJECT = 20
CHANGE_KINDS = (
    "member-weight",
    "member-add",
    "member-remove",
    "pool-algorithm",
    "listener-port",
    "monitor-delay",
)
SAVE_PATH = "/mgmt/tm/sys/config"


# -- processes ----------------------------------------------------------------------------


def partition_types() -> int:
    """Collection types the reader reads per partition (the resource table grows)."""
    from reconciler.model.resources import PARTITION_TYPES

    return len(PARTITION_TYPES)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(requests.RequestException):
            value = predicate()
            if value:
                return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not met within {timeout} s")
        time.sleep(every)


class Procs:
    """Subprocesses we started; stopped (by their own pid) on exit."""

    def __init__(self, logdir: Path) -> None:
        self.logdir = logdir
        self.procs: list[subprocess.Popen[bytes]] = []

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.logdir / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRAIL_F5_")}
        proc = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.procs.clear()


class Device:
    """The BIG-IP emulator over plain HTTPS (its controls, and the latency-paying GETs)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"https://127.0.0.1:{port}"
        self.http = requests.Session()
        self.http.verify = False
        self.http.trust_env = False  # a machine-wide REQUESTS_CA_BUNDLE must not turn checks on
        self.http.auth = (USER, PASSWORD)

    def control(self, method: str, action: str, body: Any = None) -> Any:
        answer = self.http.request(method, f"{self.url}/_emulator/{action}", json=body, timeout=600)
        answer.raise_for_status()
        return answer.json()

    def counters(self, reset: bool = False) -> dict[str, Any]:
        return self.control("DELETE" if reset else "GET", "counters?prefix=/mgmt/")

    def get(self, path: str) -> tuple[int, Any]:
        answer = self.http.get(self.url + path, timeout=30)
        return answer.status_code, (answer.json() if answer.content else None)


def start_emulators(procs: Procs, broker: str | None) -> tuple[Device, Device, str]:
    bigip_port, baseline_port, contrail_port = free_port(), free_port(), free_port()
    for name, port in (("bigip", bigip_port), ("bigip-baseline", baseline_port)):
        procs.spawn(
            name,
            ["-m", "emulators.bigip", "--port", str(port), "--password", PASSWORD]
            + ["--log-level", "WARNING"],
        )
    args = ["-m", "emulators.contrail", "--port", str(contrail_port), "--log-level", "WARNING"]
    if broker:
        args += ["--amqp-url", broker]
    procs.spawn("contrail", args)
    device, baseline = Device(bigip_port), Device(baseline_port)
    contrail_url = f"http://127.0.0.1:{contrail_port}"
    for url in (device.url, baseline.url, contrail_url):
        wait_until(lambda u=url: requests.get(f"{u}/_emulator/counters", verify=False).ok, 30)
    return device, baseline, contrail_url


# -- the reconciler under measurement -------------------------------------------------------


@dataclass
class ProcessRun:
    wall: float
    cpu: float
    max_rss_mb: float
    returncode: int


def write_config(
    path: Path, contrail_url: str, listen: str, broker: str | None, log_level: str = "WARNING"
) -> Path:
    port = contrail_url.rsplit(":", 1)[1]
    lines = [
        "[DEFAULTS]",
        "api_server_ip = 127.0.0.1",
        f"api_server_port = {port}",
        f"http_listen = {listen}",
        "resync_interval = 3600",
        "device_timeout = 60",
        f"log_level = {log_level}",
        f"environment_prefix = {PREFIX}",
        f"device_connections = {CONNECTIONS}",
    ]
    if broker:
        vhost = broker.rsplit("/", 1)[1]
        lines += ["rabbit_server = 127.0.0.1", "rabbit_port = 5672", f"rabbit_vhost = {vhost}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def run_once(procs: Procs, config: Path, name: str) -> ProcessRun:
    """``reconcile --once`` as a child; its CPU from wait4, its peak RSS from VmHWM.

    Not ``ru_maxrss``: Linux carries a process's high-water mark across ``execve``, and the
    child starts as a (v)fork of this harness, which holds the seeded state — so ``ru_maxrss``
    reported this harness's size whenever it was the larger (N = 5,000: ~540 MB for a
    ``--once`` whose own peak was ~240 MB). VmHWM is the exec'd image's own; read every
    20 ms until the child exits (it only grows)."""
    started = time.perf_counter()
    proc = procs.spawn(name, ["-m", "reconciler.cli", "--config", str(config), "--once"])
    hwm = 0.0
    while True:
        with contextlib.suppress(OSError, ValueError):
            hwm = max(hwm, proc_status(proc.pid)["max_rss_mb"])
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.02)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return ProcessRun(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_mb=hwm,
        returncode=proc.returncode,
    )


def metric(listen: str, name: str, **labels: str) -> float:
    """Sum of a daemon metric's samples matching ``labels``."""
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"http://{listen}/metrics", timeout=5).text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def proc_status(pid: int) -> dict[str, float]:
    """Peak RSS (VmHWM, MB) and CPU seconds of a running process, from /proc."""
    hwm = 0.0
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return {"max_rss_mb": hwm, "cpu": (int(fields[11]) + int(fields[12])) / ticks}


# -- the scenario ---------------------------------------------------------------------------


@dataclass
class LbIds:
    uuid: str
    project: str
    listener: str
    pool: str
    monitor: str
    members: list[tuple[str, str]]  # (member uuid, address)

    @property
    def partition(self) -> str:
        return f"{PREFIX}_{self.project}"

    def name(self, uuid: str) -> str:
        return f"{PREFIX}_{uuid}"


def index_lbs(state: dict[str, Any]) -> list[LbIds]:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for obj in state["objects"]:
        by_type.setdefault(obj["type"], []).append(obj)
    listeners = {
        o["refs"]["loadbalancer_refs"][0]["uuid"]: o for o in by_type["loadbalancer-listener"]
    }
    pools = {
        o["refs"]["loadbalancer_listener_refs"][0]["uuid"]: o for o in by_type["loadbalancer-pool"]
    }
    members: dict[str, list[tuple[str, str]]] = {}
    for m in by_type["loadbalancer-member"]:
        address = m["props"]["loadbalancer_member_properties"]["address"]
        members.setdefault(m["parent_uuid"], []).append((m["uuid"], address))
    out = []
    for lb in by_type["loadbalancer"]:
        listener = listeners[lb["uuid"]]
        pool = pools[listener["uuid"]]
        monitor = pool["refs"]["loadbalancer_healthmonitor_refs"][0]["uuid"]
        out.append(
            LbIds(
                lb["uuid"],
                lb["parent_uuid"],
                listener["uuid"],
                pool["uuid"],
                monitor,
                sorted(members[pool["uuid"]], key=lambda m: m[1]),
            )
        )
    return sorted(out, key=lambda x: x.uuid)


@dataclass
class Change:
    kind: str
    lb: LbIds
    path: str  # the object to GET on the device
    visible: Callable[[int, Any], bool]


def member_weight(vnc: Any, n: int, lb: LbIds) -> tuple[Any, Change]:
    """Change ``n``'s member with its new weight, read but not yet written; how to see it."""
    uuid, address = lb.members[0]
    weight = 4 + n % 50  # pools are weighted already: one object changes
    member = vnc.loadbalancer_member_read(id=uuid)
    props = member.get_loadbalancer_member_properties()
    props.weight = weight
    member.set_loadbalancer_member_properties(props)
    part = lb.partition
    path = f"/mgmt/tm/ltm/pool/~{part}~{lb.name(lb.pool)}/members/~{part}~{address}:8080"
    return member, Change(
        "member-weight", lb, path, lambda s, b: s == 200 and b.get("ratio") == weight
    )


def make_change(vnc: Any, n: int, kind: str, lb: LbIds) -> Change:
    """Apply change ``n`` of ``kind`` to ``lb`` in Contrail (vnc_api); how to see it done."""
    from vnc_api.vnc_api import LoadbalancerMember, LoadbalancerMemberType

    part = lb.partition
    pool_path = f"/mgmt/tm/ltm/pool/~{part}~{lb.name(lb.pool)}"
    if kind == "member-weight":
        member, change = member_weight(vnc, n, lb)
        vnc.loadbalancer_member_update(member)
        return change
    if kind == "member-add":
        address = f"10.2.250.{n % 250 + 1}"
        pool = vnc.loadbalancer_pool_read(id=lb.pool)
        template = vnc.loadbalancer_member_read(id=lb.members[0][0])
        subnet = template.get_loadbalancer_member_properties().subnet_id
        member = LoadbalancerMember(
            f"member-added-{n}",
            parent_obj=pool,
            loadbalancer_member_properties=LoadbalancerMemberType(
                address=address, protocol_port=8080, weight=1, admin_state=True, subnet_id=subnet
            ),
        )
        vnc.loadbalancer_member_create(member)
        return Change(
            kind, lb, f"{pool_path}/members/~{part}~{address}:8080", lambda s, b: s == 200
        )
    if kind == "member-remove":
        uuid, address = lb.members[-1]
        vnc.loadbalancer_member_delete(id=uuid)
        return Change(
            kind, lb, f"{pool_path}/members/~{part}~{address}:8080", lambda s, b: s == 404
        )
    if kind == "pool-algorithm":
        pool = vnc.loadbalancer_pool_read(id=lb.pool)
        props = pool.get_loadbalancer_pool_properties()
        props.loadbalancer_method = "LEAST_CONNECTIONS"
        pool.set_loadbalancer_pool_properties(props)
        vnc.loadbalancer_pool_update(pool)
        return Change(
            kind,
            lb,
            pool_path,
            lambda s, b: s == 200 and "least-connections" in str(b.get("loadBalancingMode")),
        )
    if kind == "listener-port":
        port = 8000 + n
        listener = vnc.loadbalancer_listener_read(id=lb.listener)
        props = listener.get_loadbalancer_listener_properties()
        props.protocol_port = port
        listener.set_loadbalancer_listener_properties(props)
        vnc.loadbalancer_listener_update(listener)
        return Change(
            kind,
            lb,
            f"/mgmt/tm/ltm/virtual/~{part}~{lb.name(lb.listener)}",
            lambda s, b: s == 200 and str(b.get("destination", "")).endswith(f":{port}"),
        )
    if kind == "monitor-delay":
        delay = 6 + n % 20
        hm = vnc.loadbalancer_healthmonitor_read(id=lb.monitor)
        props = hm.get_loadbalancer_healthmonitor_properties()
        props.delay = delay
        hm.set_loadbalancer_healthmonitor_properties(props)
        vnc.loadbalancer_healthmonitor_update(hm)
        return Change(
            kind,
            lb,
            f"/mgmt/tm/ltm/monitor/http/~{part}~{lb.name(lb.monitor)}",
            lambda s, b: s == 200 and b.get("interval") == delay,
        )
    raise ValueError(kind)


def pick_lbs(lbs: list[LbIds], count: int, offset: int = 0) -> list[LbIds]:
    """``count`` distinct load balancers spread over the whole set (and all projects)."""
    step = max(2, len(lbs) // count)
    return [lbs[(i * step + offset) % len(lbs)] for i in range(count)]


def poll_visible(device: Device, change: Change, timeout: float = 30.0) -> float:
    """Seconds until the device shows the change (one GET, then 5 ms pause, repeat)."""
    deadline = time.perf_counter() + timeout
    while True:
        status, body = device.get(change.path)
        if change.visible(status, body if isinstance(body, dict) else {}):
            return time.perf_counter()
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{change.kind} on {change.lb.uuid} not visible in {timeout} s")
        time.sleep(0.005)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def calls_summary(counters: dict[str, Any], exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Verb counts of /mgmt/tm (configuration) requests; logins listed apart; ``exclude``:
    "VERB /path" keys not to count (our own polling GET, the batched save)."""
    by_verb: dict[str, int] = {}
    other = 0
    for key, count in counters["by_path"].items():
        verb, path = key.split(" ", 1)
        if key in exclude:
            continue
        if not path.startswith("/mgmt/tm") or path == "/mgmt/tm/sys":
            other += count  # login and f5-sdk's version probe: connection set-up
            continue
        by_verb[verb] = by_verb.get(verb, 0) + count
    writes = sum(v for k, v in by_verb.items() if k != "GET")
    return {"by_verb": by_verb, "writes": writes, "reads": by_verb.get("GET", 0), "auth": other}


# -- one size --------------------------------------------------------------------------


@dataclass
class SizeResult:
    n: int
    projects: int
    objects: int  # BIG-IP objects we own after the sync
    latency: float
    seed_seconds: float = 0.0
    initial: dict[str, Any] = field(default_factory=dict)
    noop: dict[str, Any] = field(default_factory=dict)
    daemon: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)


def bench_size(
    n: int,
    latency: float,
    changes: int,
    baseline_sample: int,
    baseline_changes: int,
    workdir: Path,
    broker: str,
    sync_latency_up_to: int,
) -> SizeResult:
    projects = max(1, n // LBS_PER_PROJECT)
    logdir = workdir / f"n{n}"
    logdir.mkdir(parents=True, exist_ok=True)
    procs = Procs(logdir)
    try:
        device, baseline_device, contrail_url = start_emulators(procs, broker)
        started = time.perf_counter()
        template = bench_seed.build_template(
            {"address": "127.0.0.1", "port": str(device.port), "user": USER, "password": PASSWORD}
        )
        state = bench_seed.generate(template, n, projects)
        payload = json.dumps(state).encode()
        answer = requests.put(f"{contrail_url}/_emulator/load", data=payload, timeout=600)
        answer.raise_for_status()
        del payload
        seed_seconds = time.perf_counter() - started
        lbs = index_lbs(state)
        del state
        # objects on the device: folder per project; per lb: VA, virtual, pool, monitor,
        # 10 members, 10 nodes. Minimum writes: the top-level ones (a pool is created with its
        # members inline and the device makes their nodes): folder, and per lb VA, virtual,
        # pool, monitor.
        objects = projects + n * (4 + 2 * bench_seed.MEMBERS)
        top_level = projects + n * 4
        result = SizeResult(n, projects, objects, latency, seed_seconds=seed_seconds)
        print(f"  N={n}: seeded {n} load balancers / {projects} projects in {seed_seconds:.1f} s")
        sync_latency = latency if n <= sync_latency_up_to else 0.0
        device.control("PUT", "latency", {"fixed": sync_latency})
        baseline_device.control("PUT", "latency", {"fixed": latency})  # always a device's

        config = write_config(logdir / "once.conf", contrail_url, "127.0.0.1:0", broker=None)
        device.counters(reset=True)
        run = run_once(procs, config, "once-initial")
        device.control("PUT", "latency", {"fixed": latency})
        calls = calls_summary(device.counters(reset=True))
        reads_min = 2  # sys/folder + auth/partition; no partition of ours exists yet
        minimum = top_level + reads_min
        total = sum(calls["by_verb"].values())
        wall_min = minimum / CONNECTIONS * latency  # what the device's latency alone costs
        result.initial = {
            **asdict(run),
            **calls,
            "calls": total,
            "minimum": minimum,
            "ratio": total / minimum,
            "connections": CONNECTIONS,
            "wall_minimum": wall_min,
            "wall_ratio": run.wall / wall_min if sync_latency else None,
            "cpu_per_1000_objects": run.cpu / (objects / 1000),
            "latency": sync_latency,
        }
        print(
            f"  initial sync (latency {sync_latency * 1000:.0f} ms): {run.wall:.1f} s, {total} calls ({total / minimum:.3f}× min), "
            f"rc={run.returncode}, rss {run.max_rss_mb:.0f} MB"
        )

        run = run_once(procs, config, "once-noop")
        calls = calls_summary(device.counters(reset=True))
        reads_min = 2 + partition_types() * projects
        result.noop = {
            **asdict(run),
            **calls,
            "reads_minimum": reads_min,
            "wall_minimum": reads_min / CONNECTIONS * latency,
            "wall_ratio": run.wall / (reads_min / CONNECTIONS * latency),
            "cpu_per_1000_objects": run.cpu / (objects / 1000),
        }
        print(
            f"  no-op resync: {run.wall:.1f} s, writes {calls['writes']}, reads {calls['reads']}"
            f" (min {reads_min}), rc={run.returncode}"
        )

        result.daemon, result.changes = bench_daemon(
            procs, device, contrail_url, logdir, lbs, changes, broker
        )
        result.baseline = bench_agent(
            baseline_device, contrail_url, lbs, baseline_sample, baseline_changes, n
        )
        return result
    finally:
        procs.stop_all()


def contrail_mode(text: str) -> tuple[str, dict[str, Any]]:
    """``0``, ``0.005`` (seconds per request) or ``stall`` → its label and the Contrail
    emulator's ``/_emulator/latency`` body."""
    if text == "stall":
        return "stall (headers and body without TCP_NODELAY)", {"fixed": 0.0, "stall": True}
    return f"{float(text) * 1000:g} ms per request", {"fixed": float(text)}


def bench_contrail_latency(
    n: int, latency: float, modes: list[str], workdir: Path
) -> list[dict[str, Any]]:
    """The initial sync (``--once`` on an empty device, statuses included) with the Contrail
    emulator answering as a real API server would: each mode starts from the same seeded
    Contrail (statuses unset) and a wiped device answering after ``latency``."""
    logdir = workdir / f"contrail-n{n}"
    logdir.mkdir(parents=True, exist_ok=True)
    procs = Procs(logdir)
    rows = []
    try:
        device, _baseline, contrail_url = start_emulators(procs, None)
        template = bench_seed.build_template(
            {"address": "127.0.0.1", "port": str(device.port), "user": USER, "password": PASSWORD}
        )
        payload = json.dumps(bench_seed.generate(template, n, max(1, n // LBS_PER_PROJECT)))
        config = write_config(logdir / "once.conf", contrail_url, "127.0.0.1:0", broker=None)
        for mode in modes:
            label, body = contrail_mode(mode)
            requests.put(f"{contrail_url}/_emulator/load", data=payload, timeout=600)
            device.control("POST", "reboot", {"mode": "wipe"})
            device.control("PUT", "latency", {"fixed": latency})
            requests.put(f"{contrail_url}/_emulator/latency", json=body, timeout=10)
            requests.delete(f"{contrail_url}/_emulator/counters", timeout=10)
            run = run_once(procs, config, f"once-{mode}")
            contrail = requests.get(f"{contrail_url}/_emulator/counters", timeout=10).json()
            row = {
                "n": n,
                "contrail": label,
                **asdict(run),
                "contrail_reads": contrail["by_verb"].get("GET", 0),
                "contrail_writes": contrail["writes"],
                "device_calls": device.counters(reset=True)["total"],
            }
            print(
                f"  initial sync, Contrail {label}: {run.wall:.1f} s, cpu {run.cpu:.1f} s, "
                f"Contrail {row['contrail_reads']} GET / {row['contrail_writes']} writes, "
                f"rc={run.returncode}"
            )
            rows.append(row)
        return rows
    finally:
        procs.stop_all()


def render_contrail_latency(rows: list[dict[str, Any]], latency: float) -> str:
    lines = [
        f"| N | Contrail API | initial sync | CPU | Contrail GET | Contrail writes | device calls ({latency * 1000:g} ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['contrail']} | {r['wall']:.1f} s | {r['cpu']:.1f} s | "
            f"{r['contrail_reads']:,} | {r['contrail_writes']:,} | {r['device_calls']:,} |"
        )
    return "\n".join(lines)


def bench_daemon(
    procs: Procs,
    device: Device,
    contrail_url: str,
    logdir: Path,
    lbs: list[LbIds],
    count: int,
    broker: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    import emulators.contrail as contrail_emulator

    listen = f"127.0.0.1:{free_port()}"
    config = write_config(logdir / "daemon.conf", contrail_url, listen, broker, "INFO")
    device.counters(reset=True)
    started = time.perf_counter()
    proc = procs.spawn("daemon", ["-m", "reconciler.cli", "--config", str(config)])

    def ready() -> bool:
        return requests.get(f"http://{listen}/readyz", timeout=5).status_code == 200

    def idle() -> bool:  # every work queue empty
        text = requests.get(f"http://{listen}/metrics", timeout=5).text
        depth = [
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("contrail_f5_workqueue_depth{")
        ]
        return all(d == 0 for d in depth)

    wait_until(ready, timeout=1800, every=0.1)
    ready_seconds = time.perf_counter() - started
    # the broker bind asks for one more full resync; let it pass before measuring changes
    full = 0.0
    while True:
        time.sleep(1.0)
        wait_until(idle, timeout=1800, every=0.05)
        now = metric(listen, "contrail_f5_reconciles_total", scope="full")
        if now == full:
            break
        full = now
    startup_calls = calls_summary(device.counters(reset=True))
    at_ready = proc_status(proc.pid)
    daemon = {"ready_seconds": ready_seconds, **startup_calls, "cpu_startup": at_ready["cpu"]}
    print(
        f"  daemon ready in {ready_seconds:.1f} s (writes {startup_calls['writes']}, "
        f"reads {startup_calls['reads']})"
    )

    vnc = contrail_emulator.client(contrail_url)
    records: list[dict[str, Any]] = []
    targets = pick_lbs(lbs, count)
    cpu_before = proc_status(proc.pid)["cpu"]
    for n, lb in enumerate(targets):
        kind = CHANGE_KINDS[n % len(CHANGE_KINDS)]
        time.sleep(0.1)
        wait_until(idle, timeout=60, every=0.02)
        full = metric(listen, "contrail_f5_reconciles_total", scope="full")
        device.counters(reset=True)
        t0 = time.perf_counter()
        change = make_change(vnc, n, kind, lb)
        t1 = poll_visible(device, change)
        # let the reconcile finish (status write-back, its echo notification) before counting
        time.sleep(0.15)
        wait_until(idle, timeout=60, every=0.02)
        exclude = (f"POST {SAVE_PATH}", f"GET {change.path}")
        calls = calls_summary(device.counters(reset=True), exclude=exclude)
        fulls = metric(listen, "contrail_f5_reconciles_total", scope="full")
        records.append(
            {
                "kind": kind,
                "full_resync_during": fulls != full,
                "seconds": t1 - t0,
                "writes": calls["writes"],
                "reads": calls["reads"],
                "by_verb": calls["by_verb"],
            }
        )
    after = proc_status(proc.pid)
    slow_api = contrail_api_changes(vnc, contrail_url, device, lbs, idle)
    seconds = [r["seconds"] for r in records]
    by_kind: dict[str, dict[str, Any]] = {}
    for kind in CHANGE_KINDS:
        mine = [r for r in records if r["kind"] == kind]
        if mine:
            by_kind[kind] = {
                "count": len(mine),
                "p50": percentile([r["seconds"] for r in mine], 0.5),
                "max": max(r["seconds"] for r in mine),
                "writes": sorted({r["writes"] for r in mine}),
                "reads": sorted({r["reads"] for r in mine}),
            }
    changes = {
        "count": len(records),
        "p50": percentile(seconds, 0.5),
        "p95": percentile(seconds, 0.95),
        "p99": percentile(seconds, 0.99),
        "max": max(seconds),
        "mean": statistics.fmean(seconds),
        "by_kind": by_kind,
        "cpu_per_change": (after["cpu"] - cpu_before) / len(records),
        "records": records,
        "contrail_50ms": slow_api,
    }
    daemon["max_rss_mb"] = after["max_rss_mb"]
    print(
        f"  {len(records)} changes: p50 {changes['p50'] * 1000:.0f} ms, "
        f"p95 {changes['p95'] * 1000:.0f} ms, p99 {changes['p99'] * 1000:.0f} ms; "
        f"writes/kind {_kinds(by_kind)}; "
        f"daemon peak rss {after['max_rss_mb']:.0f} MB"
    )
    proc.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(15)
    return daemon, changes


#: Issue 25: a change's latency on an API server answering each request in 50 ms.
SLOW_API_SECONDS, SLOW_API_CHANGES = 0.05, 10


def contrail_api_changes(
    vnc: Any, contrail_url: str, device: Device, lbs: list[LbIds], idle: Callable[[], bool]
) -> dict[str, Any]:
    """Member-weight changes with the Contrail emulator answering every request after 50 ms.
    The clock starts when the user's ``vnc_api`` update is sent (which itself pays the 50
    ms before the server notifies); the user's own read of the member before it does not
    count."""
    requests.put(
        f"{contrail_url}/_emulator/latency", json={"fixed": SLOW_API_SECONDS}, timeout=10
    ).raise_for_status()
    seconds = []
    try:
        for n, lb in enumerate(pick_lbs(lbs, SLOW_API_CHANGES, offset=7)):
            time.sleep(0.2)
            wait_until(idle, timeout=60, every=0.02)
            member, change = member_weight(vnc, 1000 + n, lb)
            t0 = time.perf_counter()
            vnc.loadbalancer_member_update(member)
            seconds.append(poll_visible(device, change) - t0)
    finally:
        requests.put(f"{contrail_url}/_emulator/latency", json={"fixed": 0}, timeout=10)
    print(
        f"  {len(seconds)} changes with Contrail at {SLOW_API_SECONDS * 1000:.0f} ms: "
        f"p50 {percentile(seconds, 0.5) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms"
    )
    return {
        "latency": SLOW_API_SECONDS,
        "count": len(seconds),
        "p50": percentile(seconds, 0.5),
        "max": max(seconds),
    }


def _kinds(by_kind: dict[str, dict[str, Any]]) -> str:
    return ", ".join(f"{k} {v['writes']}" for k, v in by_kind.items())


def bench_agent(
    device: Device,
    contrail_url: str,
    lbs: list[LbIds],
    sample: int,
    count: int,
    n: int,
) -> dict[str, Any]:
    """The agent's way, on its own emulated BIG-IP, for ``sample`` load balancers.

    Its cost is per load balancer by construction (it visits each one on its own), so the
    totals for N are the measured per-load-balancer cost × N; single changes are measured
    one by one.
    """
    from bench_baseline import Agent

    import emulators.contrail as contrail_emulator
    from reconciler.contrail.reader import ContrailReader
    from reconciler.settings import settings_for

    vnc = contrail_emulator.client(contrail_url)
    snapshot = ContrailReader(vnc).read()
    settings = settings_for(next(iter(snapshot.appliance_sets.values())))
    agent = Agent("127.0.0.1", device.port, USER, PASSWORD, PREFIX)
    chosen = pick_lbs(lbs, sample, offset=1)  # not those the daemon changed
    services = {lb.uuid: agent.service_objects(snapshot, settings, lb.uuid) for lb in chosen}

    device.counters(reset=True)
    started = time.perf_counter()
    for lb in chosen:
        agent.assure_service(services[lb.uuid])
    initial_wall = time.perf_counter() - started
    initial = calls_summary(device.counters(reset=True))

    started = time.perf_counter()
    for lb in chosen:
        agent.service_exists(services[lb.uuid])
    noop_wall = time.perf_counter() - started
    noop = calls_summary(device.counters(reset=True))

    records = []
    for i, lb in enumerate(chosen[: min(count, len(chosen))] * (1 + count // max(1, sample))):
        if len(records) >= count:
            break
        kind = CHANGE_KINDS[i % len(CHANGE_KINDS)]
        device.counters(reset=True)
        t0 = time.perf_counter()
        make_change(vnc, 10_000 + i, kind, lb)
        snapshot = ContrailReader(vnc).read_load_balancer(lb.uuid, snapshot)  # the service
        agent.assure_service(agent.service_objects(snapshot, settings, lb.uuid))
        t1 = time.perf_counter()
        calls = calls_summary(device.counters(reset=True))
        records.append(
            {"kind": kind, "seconds": t1 - t0, "writes": calls["writes"], "reads": calls["reads"]}
        )
    seconds = [r["seconds"] for r in records]
    scale = n / len(chosen)
    out = {
        "sample": len(chosen),
        "initial": {
            "wall_sample": initial_wall,
            "wall": initial_wall * scale,
            "calls": sum(initial["by_verb"].values()) * scale,
            "writes": initial["writes"] * scale,
            "reads": initial["reads"] * scale,
        },
        "noop": {
            "wall_sample": noop_wall,
            "wall": noop_wall * scale,
            "reads": noop["reads"] * scale,
            "writes": noop["writes"] * scale,
        },
        "changes": {
            "count": len(records),
            "p50": percentile(seconds, 0.5),
            "p95": percentile(seconds, 0.95),
            "p99": percentile(seconds, 0.99),
            "writes_mean": statistics.fmean(r["writes"] for r in records),
            "calls_mean": statistics.fmean(r["writes"] + r["reads"] for r in records),
            "records": records,
        },
    }
    print(
        f"  agent model ({len(chosen)} lbs sampled): initial ≈ {out['initial']['wall']:.0f} s, "
        f"no-op ≈ {out['noop']['wall']:.0f} s, change p50 {out['changes']['p50'] * 1000:.0f} ms"
    )
    return out


# -- report --------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with contextlib.suppress(OSError), open("/proc/meminfo") as fh:
        mem = f"{int(fh.readline().split()[1]) / 1024 / 1024:.0f} GB"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def render(results: list[SizeResult], meta: dict[str, Any]) -> str:
    out = ["## Results", ""]
    out += [
        f"Generated by `{meta['command']}` on {meta['date']} in {meta['duration']:.0f} s "
        f"(machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, "
        f"{meta['machine']['memory']}, {meta['machine']['os']}, Python "
        f"{meta['machine']['python']}).",
        "",
        *([meta["note"], ""] if meta.get("note") else []),
        f"The BIG-IP emulator answers every request after **{results[0].latency * 1000:.0f} ms**"
        " (a real device's order); both emulators and the reconciler run as separate processes."
        f" Each load balancer: 1 listener, 1 pool, 10 members, 1 HTTP monitor; "
        f"{LBS_PER_PROJECT} load balancers per project (one BIG-IP partition each).",
        "",
    ]
    out += ["### 1. Initial sync (`reconcile --once`, empty device)", ""]
    out += [
        "| N | BIG-IP objects | device latency | wall | wall minimum | calls | GET | POST | "
        "PATCH | DELETE | minimum (top-level objects + 2) | calls ÷ min | "
        "CPU s / 1,000 objects | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        i = r.initial
        v = i["by_verb"]
        out.append(
            f"| {r.n:,} | {r.objects:,} | {i.get('latency', r.latency) * 1000:.0f} ms | "
            f"{i['wall']:.1f} s | {_wall_min(i)} | {i['calls']:,} | {v.get('GET', 0)}"
            f" | {v.get('POST', 0):,} | {v.get('PATCH', 0)} | {v.get('DELETE', 0)} | "
            f"{i['minimum']:,} | {i['ratio']:.3f} | {i['cpu_per_1000_objects']:.2f} | "
            f"{i['max_rss_mb']:.0f} MB |"
        )
    out += ["", "### 2. No-op resync (`reconcile --once` again, nothing changed)", ""]
    out += [
        f"| N | wall | wall minimum | writes | reads | reads minimum ({partition_types()} types "
        "× partitions + 2) | CPU s | "
        "peak RSS | daemon full resync (startup, to ready) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        o = r.noop
        out.append(
            f"| {r.n:,} | {o['wall']:.1f} s | {_wall_min(o)} | {o['writes']} | {o['reads']} | "
            f"{o['reads_minimum']} | {o['cpu']:.1f} | {o['max_rss_mb']:.0f} MB | "
            f"{r.daemon['ready_seconds']:.1f} s, {r.daemon['writes']} writes, "
            f"{r.daemon['reads']} reads |"
        )
    out += [
        "",
        "### 3. Single change through the daemon (notification → visible on the device)",
        "",
    ]
    out += [
        "| N | changes | p50 | p95 | p99 | max | device writes per change (by kind) | "
        "daemon CPU per change | daemon peak RSS | p50 / max, Contrail at 50 ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        c = r.changes
        kinds = "; ".join(
            f"{k}: {'/'.join(map(str, v['writes']))}" for k, v in c["by_kind"].items()
        )
        out.append(
            f"| {r.n:,} | {c['count']} | {ms(c['p50'])} | {ms(c['p95'])} | {ms(c['p99'])} | "
            f"{ms(c['max'])} | {kinds} | {ms(c['cpu_per_change'])} | "
            f"{r.daemon['max_rss_mb']:.0f} MB | {_slow_api(c)} |"
        )
    out += ["", "Per kind (p50 / max):", ""]
    out += ["| N | " + " | ".join(CHANGE_KINDS) + " |", "|---|" + "---|" * len(CHANGE_KINDS)]
    for r in results:
        cells = []
        for kind in CHANGE_KINDS:
            k = r.changes["by_kind"].get(kind)
            cells.append(f"{ms(k['p50'])} / {ms(k['max'])}" if k else "–")
        out.append(f"| {r.n:,} | " + " | ".join(cells) + " |")
    out += ["", "### 4. Baseline: the same scenarios done the agent's way", ""]
    out += [
        "| N | sampled LBs | initial sync | calls | no-op resync | reads | change p50 | "
        "change p99 | calls per change | agent ÷ ours: initial / no-op / change p50 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        b = r.baseline
        out.append(
            f"| {r.n:,} | {b['sample']} | {b['initial']['wall']:.0f} s | "
            f"{b['initial']['calls']:,.0f} | {b['noop']['wall']:.0f} s | "
            f"{b['noop']['reads']:,.0f} | {ms(b['changes']['p50'])} | {ms(b['changes']['p99'])}"
            f" | {b['changes']['calls_mean']:.0f} | "
            f"{_initial_ratio(r)} / "
            f"{b['noop']['wall'] / r.noop['wall']:.1f}× / "
            f"{b['changes']['p50'] / r.changes['p50']:.1f}× |"
        )
    out.append("")
    return "\n".join(out)


BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"


def replace_block(text: str, begin: str, end: str, inner: str) -> str | None:
    """``text`` with what lies between the markers ``begin`` and ``end`` replaced by
    ``inner`` (the hand-written text around them stays); None without both markers."""
    if begin not in text or end not in text:
        return None
    head, rest = text.split(begin, 1)
    return f"{head}{begin}\n{inner}\n{end}{rest.split(end, 1)[1]}"


def update_markdown(path: Path, generated: str) -> None:
    """Replace the generated block of ``path`` (the whole file when it has none)."""
    inner = f"{generated}\n![time and REST calls against N](bench-scaling.png)\n"
    text = path.read_text() if path.exists() else ""
    replaced = replace_block(text, BEGIN, END, inner)
    path.write_text(replaced if replaced is not None else f"{BEGIN}\n{inner}\n{END}\n")


def _slow_api(changes: dict[str, Any]) -> str:
    slow = changes.get("contrail_50ms")
    return f"{ms(slow['p50'])} / {ms(slow['max'])}" if slow else "–"


def _wall_min(row: dict[str, Any]) -> str:
    """The physical minimum (calls ÷ connections × latency) and wall ÷ it."""
    if "wall_minimum" not in row:
        return "–"
    if not row.get("wall_ratio"):
        return f"{row['wall_minimum']:.1f} s at 10 ms (ran without latency)"
    return f"{row['wall_minimum']:.1f} s ({row['wall_ratio']:.1f}×)"


def _initial_ratio(r: SizeResult) -> str:
    if r.initial.get("latency", r.latency) != r.latency:
        return "– (ours ran without latency)"
    return f"{r.baseline['initial']['wall'] / r.initial['wall']:.1f}×"


def plot(results: list[SizeResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = [r.n for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 6))
    with_latency = [r for r in results if r.initial.get("latency", r.latency) == r.latency]
    without = [r for r in results if r not in with_latency]
    left.plot(
        [r.n for r in with_latency],
        [r.initial["wall"] for r in with_latency],
        "o-",
        label="initial sync",
    )
    if without:
        left.plot(
            [r.n for r in without],
            [r.initial["wall"] for r in without],
            "x",
            color="C0",
            markersize=9,
            label="initial sync, device without latency",
        )
    left.plot(ns, [r.noop["wall"] for r in results], "s-", label="no-op resync")
    left.plot(ns, [r.changes["p99"] for r in results], "^-", label="single change p99")
    left.plot(ns, [r.changes["p50"] for r in results], "v-", label="single change p50")
    left.plot(
        ns, [r.baseline["initial"]["wall"] for r in results], "o--", label="agent: initial sync"
    )
    left.plot(ns, [r.baseline["noop"]["wall"] for r in results], "s--", label="agent: no-op")
    left.plot(ns, [r.baseline["changes"]["p99"] for r in results], "^--", label="agent: change p99")
    left.axhline(0.5, color="grey", lw=0.8, ls=":", label="0.5 s target")
    left.set(xscale="log", yscale="log", xlabel="load balancers (N)", ylabel="seconds")
    left.set_title("Time")
    left.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3)
    right.plot(ns, [r.initial["calls"] for r in results], "o-", label="initial sync calls")
    right.plot(ns, [r.initial["minimum"] for r in results], "k:", label="minimum")
    right.plot(ns, [r.noop["reads"] for r in results], "s-", label="no-op resync reads")
    right.plot(ns, [r.baseline["initial"]["calls"] for r in results], "o--", label="agent: initial")
    right.plot(ns, [r.baseline["noop"]["reads"] for r in results], "s--", label="agent: no-op")
    right.set(xscale="log", yscale="log", xlabel="load balancers (N)", ylabel="REST calls")
    right.set_title(f"REST calls (BIG-IP latency {results[0].latency * 1000:.0f} ms)")
    right.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 100 only, fewer changes")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--latency", type=float, default=0.01, help="BIG-IP seconds/request")
    parser.add_argument("--changes", type=int, help="single changes per size (default 50)")
    parser.add_argument("--baseline-sample", type=int, help="LBs the agent model syncs")
    parser.add_argument("--baseline-changes", type=int, help="changes the agent model makes")
    parser.add_argument(
        "--sync-latency-up-to",
        type=int,
        default=10000,
        help="above this N the initial sync runs without device latency (N = 50,000 at 10 ms "
        "a call would take ~25 min more; its calls, CPU and memory are still measured)",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="only re-render OUT/BENCHMARKS.md and the plot from OUT/bench-results.json",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other sizes' results already in OUT/bench-results.json",
    )
    parser.add_argument("--out", type=Path, help="where results go (default docs/)")
    parser.add_argument(
        "--contrail-latency",
        type=lambda s: s.split(","),
        metavar="MODES",
        help="only the initial sync at each size, once per Contrail latency mode: seconds per "
        "request or 'stall' (e.g. 0,0.005,stall); prints a table, writes no results",
    )
    args = parser.parse_args(argv)
    sizes = args.sizes or ([100] if args.quick else [100, 1000, 5000, 10000, 50000])
    changes = args.changes or (12 if args.quick else 50)
    sample = args.baseline_sample or (3 if args.quick else 12)
    baseline_changes = args.baseline_changes or (4 if args.quick else 12)
    out = args.out or (ROOT / "build" / "bench" if args.quick else ROOT / "docs")
    out.mkdir(parents=True, exist_ok=True)
    if args.render_only:
        saved = json.loads((out / "bench-results.json").read_text())
        results = [SizeResult(**r) for r in saved["results"]]
        plot(results, out / "bench-scaling.png")
        update_markdown(out / "BENCHMARKS.md", render(results, saved["meta"]))
        return 0
    workdir = ROOT / "build" / "bench" / "run"
    workdir.mkdir(parents=True, exist_ok=True)
    if args.contrail_latency:
        rows = [
            row
            for n in sizes
            for row in bench_contrail_latency(n, args.latency, args.contrail_latency, workdir)
        ]
        print(render_contrail_latency(rows, args.latency))
        return 0

    from tests.support.rabbitmq import drop_vhost, ensure_broker, private_vhost

    def _terminate(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)  # unwinds through bench_size: its subprocesses stop

    signal.signal(signal.SIGTERM, _terminate)

    # A vhost of our own: Contrail's exchange name is fixed, so on the shared vhost the daemon
    # under test would also hear (and fully resync for) any other emulator's notifications.
    vhost = f"contrail-f5-bench-{os.getpid()}"
    ensure_broker()
    broker = private_vhost(vhost)
    began = time.perf_counter()
    results = []
    try:
        for n in sizes:
            print(f"N = {n}")
            results.append(
                bench_size(
                    n,
                    args.latency,
                    changes,
                    sample,
                    baseline_changes,
                    workdir,
                    broker,
                    args.sync_latency_up_to,
                )
            )
            # A long run's finished sizes survive a later size's failure: rerun that one
            # with --sizes N --merge after copying this file over OUT/bench-results.json.
            partial = workdir / "bench-results.partial.json"
            partial.write_text(json.dumps({"results": [asdict(r) for r in results]}, indent=1))
            print(f"  N={n} done; finished sizes so far in {partial}")
    finally:
        drop_vhost(vhost)
    duration = time.perf_counter() - began
    previous = out / "bench-results.json"
    if args.merge and previous.exists():
        old = json.loads(previous.read_text())
        fresh = {r.n for r in results}
        kept = [SizeResult(**r) for r in old["results"] if r["n"] not in fresh]
        results = sorted(kept + results, key=lambda r: r.n)
        print(f"merged with the results for N = {sorted(r.n for r in kept)} in {previous}")
    command = "make bench" + (" QUICK=1" if args.quick else "")
    if argv or sys.argv[1:] not in ([], ["--quick"]):
        command = "python scripts/bench.py " + " ".join(sys.argv[1:] if argv is None else argv)
    meta = {
        "command": command,
        "date": time.strftime("%Y-%m-%d"),
        "duration": duration,
        "machine": machine(),
        "self_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    (out / "bench-results.json").write_text(
        json.dumps({"meta": meta, "results": [asdict(r) for r in results]}, indent=1)
    )
    try:
        plot(results, out / "bench-scaling.png")
    except ImportError:
        print("matplotlib is not installed: no plot (make bench installs it)")
    update_markdown(out / "BENCHMARKS.md", render(results, meta))
    print(f"done in {duration:.0f} s; results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
