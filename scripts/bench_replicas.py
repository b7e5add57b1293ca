"""``make bench-replicas``: replicas that split a cloud (issue 25 item 5), measured.

    python scripts/bench_replicas.py                  # the full run: 12 sets x 2,000 LBs
    python scripts/bench_replicas.py --quick          # 4 sets x 30 LBs: a smoke run (1-2 min)
    python scripts/bench_replicas.py --sets 4 --lbs 30 --session-timeout 4
    python scripts/bench_replicas.py --out docs/      # the block in docs/BENCHMARKS.md
    python scripts/bench_replicas.py --render --out docs/   # again from the saved JSON

Everything runs on this machine, each in a process of its own so that none shares a GIL with
the code under test: a real ZooKeeper (tests/support/zookeeper.py), the real broker (each run
on its own vhost), the Contrail emulator, one BIG-IP emulator per F5 set, and the daemons.
Contrail is seeded in one ``/_emulator/load`` (``bench_seed``: one load balancer made through
vnc_api, cloned): each load balancer a VIP port, one HTTP listener, one pool with one member
and a monitor; each project's load balancers on one set. Every change the run makes is a
member's weight through vnc_api, its notification through RabbitMQ, and it counts as done
when a GET of the member on its BIG-IP shows the new ratio.

1. **One daemon alone** (no ZooKeeper: it owns every set): until ready; the Contrail objects
   it was served whole (per ``X-Contrail-Useragent``, which names the replica), at start-up
   and in one full resync; the load balancers in its snapshot; its peak RSS.
2. **Three replicas** (``--replicas``), ``zk_session_timeout = --session-timeout``: the same
   figures per replica, with the sets it owns.
3. **Steady state**: ``--steady`` changes one after another over all sets, each clocked from
   just before its vnc_api read-and-update to the device showing it (p50/p99), as
   ``make bench`` clocks a single change.
4. **kill -9 in a burst**: ``--burst`` changes spread over the sets, the replica owning most
   sets killed after half of them: per set of its, the time from the kill until another
   replica owns it (ZooKeeper) and until its changes are on its device; changes never seen;
   on each of its devices, the gap from its last write to its successor's first.
5. **A fourth replica joins** (``zk_session_timeout = --short-session-timeout``): sets move
   to it while a change is made every ``MOVE_PACE`` s; when each moved set changed owner,
   the gap from the giver's last write to the taker's first, whether any other replica wrote
   a set meanwhile, and whether every change made during the move reached its device.
6. **kill -9 of the fourth** in a second burst: the takeover once more, with the shorter
   session timeout (only the dead replica's own timeout decides when its sets are free).

From the BIG-IPs' side, over phases 2-6: each device's write log (``/_emulator/writes``,
every write with the writer's User-Agent, which names the replica) is checked for a write by
one replica that began before another replica's earlier write had ended; and at the end,
every load balancer the run changed shows its last weight on its device.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import bench_seed  # noqa: E402
import requests  # noqa: E402
import urllib3  # noqa: E402
from bench import (  # noqa: E402
    PASSWORD,
    USER,
    Device,
    LbIds,
    Procs,
    free_port,
    index_lbs,
    machine,
    percentile,
    replace_block,
)

from tests.daemon.conftest import Daemon  # noqa: E402
from tests.daemon.test_replicas import owners_in_zookeeper  # noqa: E402

urllib3.disable_warnings()

BEGIN, END = "<!-- bench:replicas:begin -->", "<!-- bench:replicas:end -->"
RESULTS = "bench-replicas.json"
TAKEOVER_PNG, RSS_PNG = "bench-replicas-takeover.png", "bench-replicas-rss.png"
FULL_READS = "contrail_f5_contrail_reads_total"
SETS_OWNED = "contrail_f5_sets_owned"
MOVE_PACE = 0.1  # seconds between two changes while sets move to a joining replica
MOVE_MAX_CHANGES = 1000
MOVE_TAIL = 3.0  # seconds the changes go on once the move is done
QUICK = {
    "sets": 4,
    "lbs": 30,
    "burst": 40,
    "steady": 20,
    "session_timeout": 4.0,
    "short_session_timeout": 2.0,
}


# -- waiting, with word of progress ------------------------------------------------------


def wait_for(what: str, predicate: Callable[[], Any], timeout: float, every: float = 0.5) -> Any:
    """The predicate's first truthy value; says every 30 s what it is still waiting for (a
    full run's steps take minutes); TimeoutError after ``timeout``. A request that fails or
    times out counts as "not yet": a daemon busy with a full pass may answer /metrics late."""
    started = time.monotonic()
    said = started
    while True:
        try:
            value = predicate()
        except requests.RequestException:
            value = None
        if value:
            return value
        now = time.monotonic()
        if now - started > timeout:
            raise TimeoutError(f"{what}: not done within {timeout:.0f} s")
        if now - said >= 30:
            print(f"    ... still waiting for {what} ({now - started:.0f} s)", flush=True)
            said = now
        time.sleep(every)


# -- the cluster -----------------------------------------------------------------------------


@dataclass
class Cluster:
    """What the run started, and the write logs read from the devices so far."""

    work: Path
    contrail_url: str
    vhost: str
    zk_hosts: str
    root: str
    devices: dict[str, Device]  # set name -> its BIG-IP
    daemons: dict[str, Daemon] = field(default_factory=dict)
    session_timeouts: dict[str, float] = field(default_factory=dict)  # replica -> seconds
    writes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    vnc: Any = None
    zk: Any = None

    @property
    def names(self) -> list[str]:
        return list(self.devices)

    def start_daemon(self, replica: str, **extra: Any) -> Daemon:
        """A daemon subprocess named ``replica`` (its User-Agents say so), on the broker."""
        listen = f"127.0.0.1:{free_port()}"
        lines = [
            "[DEFAULTS]",
            "api_server_ip = 127.0.0.1",
            f"api_server_port = {self.contrail_url.rsplit(':', 1)[1]}",
            f"http_listen = {listen}",
            "resync_interval = 3600",  # no periodic full pass in the middle of a measure
            "device_timeout = 10",
            "rabbit_server = 127.0.0.1",
            "rabbit_port = 5672",
            f"rabbit_vhost = {self.vhost}",
            f"replica_id = {replica}",
            *(f"{k} = {v}" for k, v in extra.items()),
        ]
        conf = self.work / f"{replica}.conf"
        conf.write_text("\n".join(lines) + "\n")
        daemon = Daemon(conf, self.work / f"{replica}.log", listen).start()
        self.daemons[replica] = daemon
        return daemon

    def start_replica(self, replica: str, session_timeout: float) -> Daemon:
        self.session_timeouts[replica] = session_timeout
        return self.start_daemon(
            replica,
            zk_server_ip=self.zk_hosts,
            zk_root=self.root,
            zk_session_timeout=session_timeout,
        )

    def owners(self) -> dict[str, str]:
        """Set -> the replica holding its owner node now."""
        from kazoo.exceptions import NoNodeError

        while True:
            try:
                return owners_in_zookeeper(self.zk, self.root, self.names)
            except NoNodeError:  # a node went between its exists and its get: a handover
                time.sleep(0.05)

    def live(self) -> list[str]:
        return [r for r, d in self.daemons.items() if d.process and d.process.poll() is None]

    def mark(self) -> dict[str, int]:
        """Where each device's write log read so far ends: ``since`` gives what follows."""
        self.drain_writes()
        return {name: len(self.writes.get(name, [])) for name in self.names}

    def since(self, mark: dict[str, int], name: str) -> list[dict[str, Any]]:
        return self.writes.get(name, [])[mark[name] :]

    def drain_writes(self) -> None:
        """Move each device's write log (configuration writes only) into ``writes``: a
        device keeps its newest 20,000, so the run reads and clears it after each phase."""
        for name, device in self.devices.items():
            items = device.control("DELETE", "writes")["items"]
            self.writes.setdefault(name, []).extend(
                w for w in items if w["path"].startswith("/mgmt/tm/")
            )


def start_cluster(
    procs: Procs, work: Path, sets: int, broker: str, vhost: str, zk_hosts: str
) -> Cluster:
    """The emulators as subprocesses: Contrail publishing to ``broker``, one BIG-IP per set."""
    ports = {f"f5-{i}": free_port() for i in range(sets)}
    for name, port in ports.items():
        procs.spawn(
            f"bigip-{name}",
            ["-m", "emulators.bigip", "--port", str(port), "--password", PASSWORD]
            + ["--hostname", name, "--log-level", "WARNING"],
        )
    contrail_port = free_port()
    procs.spawn(
        "contrail",
        ["-m", "emulators.contrail", "--port", str(contrail_port), "--amqp-url", broker]
        + ["--log-level", "WARNING"],
    )
    cluster = Cluster(
        work=work,
        contrail_url=f"http://127.0.0.1:{contrail_port}",
        vhost=vhost,
        zk_hosts=zk_hosts,
        root=f"/bench-{uuid.uuid4().hex[:8]}",
        devices={name: Device(port) for name, port in ports.items()},
    )
    for url in [cluster.contrail_url, *(d.url for d in cluster.devices.values())]:
        wait_for(f"{url} to answer", lambda u=url: _answers(u), timeout=60, every=0.2)
    return cluster


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/_emulator/counters", verify=False, timeout=5).ok
    except requests.RequestException:
        return False


def seed(cluster: Cluster, lbs_per_set: int) -> dict[str, list[LbIds]]:
    """Load balancers in Contrail, ``lbs_per_set`` on each set, in one ``/_emulator/load``
    (creating 24,000 through vnc_api would take most of an hour); each project's on one set,
    20 per project where ``lbs_per_set`` divides so."""
    started = time.monotonic()
    print(f"seeding {lbs_per_set * len(cluster.names):,} load balancers ...", flush=True)
    template = bench_seed.build_template({}, members=1)
    divisors = range(1, max(1, lbs_per_set // 20) + 1)
    projects_per_set = max(d for d in divisors if lbs_per_set % d == 0)
    names = cluster.names
    projects = projects_per_set * len(names)
    state = bench_seed.generate(template, lbs_per_set * len(names), projects)
    kv = {"address": "127.0.0.1", "user": USER, "password": PASSWORD}
    bench_seed.spread_over_sets(
        state, {n: {**kv, "port": str(d.port)} for n, d in cluster.devices.items()}
    )
    answer = requests.put(
        f"{cluster.contrail_url}/_emulator/load", data=json.dumps(state).encode(), timeout=1800
    )
    answer.raise_for_status()
    provider = {
        o["uuid"]: o["props"]["loadbalancer_provider"]
        for o in state["objects"]
        if o["type"] == "loadbalancer"
    }
    by_set: dict[str, list[LbIds]] = {n: [] for n in names}
    for lb in index_lbs(state):
        by_set[provider[lb.uuid]].append(lb)
    counts = sorted({len(v) for v in by_set.values()})
    print(
        f"seeded {len(names)} sets x {counts} load balancers ({len(state['objects'])} Contrail "
        f"objects, {projects} projects) in {time.monotonic() - started:.1f} s",
        flush=True,
    )
    return by_set


# -- changes and whether a device shows them ------------------------------------------------


@dataclass
class Sent:
    """One member-weight change made through vnc_api, and where it should show."""

    lb: str
    sas: str
    weight: int
    path: str  # the member on the BIG-IP
    made: float  # time.monotonic() just before the vnc_api read-and-update
    made_wall: float = 0.0  # the same, time.time(): the devices' write logs use it


class MemberChanges:
    """Member weight changes, each on the next load balancer of the set asked for (a burst
    of up to the set's size touches distinct load balancers), always to a weight the member
    does not have; remembers each changed load balancer's last weight for the final check."""

    def __init__(self, vnc: Any, lbs_by_set: dict[str, list[LbIds]]) -> None:
        self.vnc = vnc
        self.lbs_by_set = lbs_by_set
        self.cursor: Counter[str] = Counter()
        self.last: dict[str, Sent] = {}
        self.made = 0

    def make(self, sas: str) -> Sent:
        from tests.daemon.conftest import update_member

        lbs = self.lbs_by_set[sas]
        lb = lbs[self.cursor[sas] % len(lbs)]
        self.cursor[sas] += 1
        previous = self.last.get(lb.uuid)
        weight = (previous.weight if previous else 0) % 90 + 5  # never the weight it has
        uuid_, address = lb.members[0]
        part = lb.partition
        path = f"/mgmt/tm/ltm/pool/~{part}~{lb.name(lb.pool)}/members/~{part}~{address}:8080"
        sent = Sent(lb.uuid, sas, weight, path, time.monotonic(), time.time())
        update_member(self.vnc, uuid_, weight=weight)
        self.last[lb.uuid] = sent
        self.made += 1
        return sent

    def spread(self, names: list[str]) -> Callable[[int], Sent]:
        """Change ``i`` on set ``i`` modulo the sets: a burst spread evenly over them."""
        return lambda i: self.make(names[i % len(names)])


def shows(device: Device, sent: Sent) -> bool:
    status, body = device.get(sent.path)
    return status == 200 and isinstance(body, dict) and body.get("ratio") == sent.weight


#: How often a takeover's wait asks the devices whether the burst is on them. Each round is
#: one GET per pending change (a hundred or more): asked every 50 ms, on a 2-core machine
#: that took a core from the replicas being measured. When each change landed is read from
#: the devices' write logs instead (``landed_at``); the poll only says when to stop.
DEVICE_POLL_SECONDS = 1.0


def poll_round(
    devices: dict[str, Device], pending: dict[str, Sent], seen: dict[str, float]
) -> bool:
    """One GET per pending change; those shown move to ``seen`` (lb -> time.monotonic());
    whether none is pending now."""
    for lb, sent in list(pending.items()):
        if shows(devices[sent.sas], sent):
            seen[lb] = time.monotonic()
            del pending[lb]
    return not pending


# -- what the devices' write logs say ----------------------------------------------------


def landed_at(log: list[dict[str, Any]], sent: Sent) -> float | None:
    """When a device's write log says the change took effect (wall time): the end of the
    first write to its member begun after it was made — of the commit, when that write was
    part of an iControl transaction. None when the log has no such write."""
    commits = {
        w["path"].rstrip("/").rsplit("/", 1)[-1]: w["end"]
        for w in log
        if w["method"] == "PATCH" and "/transaction/" in w["path"]
    }
    ends = [
        commits.get(str(w["transaction"])) if w.get("transaction") else w["end"]
        for w in log
        if w["path"] == sent.path and w["start"] >= sent.made_wall
    ]
    return min((e for e in ends if e is not None), default=None)


def writer(write: dict[str, Any]) -> str:
    agent = str(write.get("client", ""))
    return agent.split("replica/", 1)[1].split()[0] if "replica/" in agent else f"?{agent}"


def overlapping_writes(log: list[dict[str, Any]]) -> list[str]:
    """Writes that began while another replica's earlier write was still in flight (the
    check of tests/daemon/test_replicas.py, counting instead of stopping at the first)."""
    found = []
    latest_end: dict[str, float] = {}
    for write in sorted(log, key=lambda w: w["start"]):
        mine = writer(write)
        for other, end in latest_end.items():
            if other != mine and end > write["start"]:
                found.append(
                    f"{mine} {write['method']} {write['path']} began {end - write['start']:.3f}"
                    f" s before {other}'s write ended"
                )
        latest_end[mine] = max(latest_end.get(mine, 0.0), write["end"])
    return found


def handover_gap(
    before: list[dict[str, Any]], after: list[dict[str, Any]], giver: str | None, taker: str | None
) -> float | None:
    """Seconds from the end of ``giver``'s last write in ``before`` (a device's whole log so
    far: it may not have written in this phase) to the start of ``taker``'s first in
    ``after`` (this phase's writes); negative: their windows overlapped; None if one of them
    did not write."""
    gave = [w["end"] for w in before if writer(w) == giver]
    took = [w["start"] for w in after if writer(w) == taker]
    return round(min(took) - max(gave), 2) if gave and took else None


def writers_in_turn(log: list[dict[str, Any]]) -> list[str]:
    """Who wrote a device, in turn (``["replica-1", "replica-3", "replica-1"]``): a set
    may go back to a replica, but each turn should match a change of owner."""
    ordered = sorted(log, key=lambda w: w["start"])
    return [name for name, _ in itertools.groupby(writer(w) for w in ordered)]


def write_check(cluster: Cluster) -> dict[str, Any]:
    """Over every write read so far: the overlaps per device, and the writers per device."""
    cluster.drain_writes()
    overlaps = {n: overlapping_writes(log) for n, log in cluster.writes.items()}
    return {
        "writes": sum(len(log) for log in cluster.writes.values()),
        "overlaps": sum(len(v) for v in overlaps.values()),
        "examples": [f"{n}: {e}" for n, v in overlaps.items() for e in v[:3]],
        "writers": {n: writers_in_turn(log) for n, log in cluster.writes.items()},
    }


# -- reads and memory --------------------------------------------------------------------


def served_by_client(contrail_url: str, reset: bool = False) -> dict[str, int]:
    method = requests.delete if reset else requests.get
    return method(f"{contrail_url}/_emulator/served", timeout=30).json()["by_client"]


def replica_reads(by_client: dict[str, int], replica: str) -> int:
    return sum(n for client, n in by_client.items() if client.endswith(f"replica/{replica}"))


def settled(contrail_url: str, quiet: float = 2.0) -> dict[str, int] | None:
    """The served counts once they have not moved for ``quiet`` seconds."""
    first = served_by_client(contrail_url)
    time.sleep(quiet)
    return first if served_by_client(contrail_url) == first else None


def one_full_resync(cluster: Cluster, daemons: dict[str, Daemon], timeout: float) -> dict[str, int]:
    """Objects each daemon is served whole by one full resync: a service-appliance-set's
    update sends every daemon to a full read (``events.keys_for``)."""
    url = cluster.contrail_url
    wait_for("start-up's reads to end", lambda: settled(url), timeout)
    before = {r: metric(d, FULL_READS, scope="full", result="ok") for r, d in daemons.items()}
    served_by_client(url, reset=True)
    fq_name = ["default-global-system-config", cluster.names[0]]
    sas = cluster.vnc.service_appliance_set_read(fq_name=fq_name)
    sas.set_display_name(f"{cluster.names[0]} {uuid.uuid4().hex[:6]}")
    cluster.vnc.service_appliance_set_update(sas)
    for replica, d in daemons.items():
        wait_for(
            f"{replica}'s full read",
            lambda d=d, r=replica: d.metric_sum(FULL_READS, scope="full", result="ok") > before[r],
            timeout,
        )
    by_client = wait_for("the resync's reads to end", lambda: settled(url), timeout)
    reads = {
        r: metric(d, FULL_READS, scope="full", result="ok") - before[r] for r, d in daemons.items()
    }
    if any(n != 1 for n in reads.values()):
        print(f"note: full reads during the resync: {reads}", flush=True)
    return {replica: replica_reads(by_client, replica) for replica in daemons}


def ready(daemon: Daemon) -> bool:
    """``daemon.ready()``, false while the daemon is too busy to answer in time."""
    try:
        return daemon.ready()
    except requests.RequestException:
        return False


def metric(daemon: Daemon, name: str, **labels: str) -> float:
    """``daemon.metric_sum``, asked again while the daemon is too busy to answer within the
    2 s the test helper allows (a full sync on a loaded machine)."""
    answer = wait_for(
        f"{name} from {daemon.listen}", lambda: (daemon.metric_sum(name, **labels),), 300, 1
    )
    return float(answer[0])


def memory_mb(pid: int) -> dict[str, float]:
    """Resident memory now (VmRSS) and at its peak (VmHWM), MB."""
    found = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                found[line[:5]] = round(int(line.split()[1]) / 1024, 1)
    return {"rss_mb": found["VmRSS"], "max_rss_mb": found["VmHWM"]}


def daemon_figures(
    cluster: Cluster, replica: str, owned: int, startup: dict[str, int], resync: dict[str, int]
) -> dict[str, Any]:
    daemon = cluster.daemons[replica]
    assert daemon.process is not None
    return {
        "sets_owned": owned,
        "objects_read_startup": replica_reads(startup, replica),
        "objects_read_resync": resync[replica],
        "snapshot_lbs": metric(daemon, "contrail_f5_snapshot_load_balancers"),
        **memory_mb(daemon.process.pid),
    }


# -- the phases --------------------------------------------------------------------------


def alone(cluster: Cluster, timeout: float) -> dict[str, Any]:
    """One daemon without ZooKeeper: it owns and reads every set, and syncs every device."""
    served_by_client(cluster.contrail_url, reset=True)
    started = time.monotonic()
    daemon = cluster.start_daemon("alone")
    wait_for("the lone daemon's first full sync", daemon.ready, timeout)
    ready = time.monotonic() - started
    startup = wait_for("its reads to end", lambda: settled(cluster.contrail_url), timeout)
    resync = one_full_resync(cluster, {"alone": daemon}, timeout)
    figures = daemon_figures(cluster, "alone", len(cluster.names), startup, resync)
    daemon.terminate(timeout=60)
    cluster.daemons.pop("alone")
    cluster.drain_writes()
    cluster.writes.clear()  # its initial sync: not part of the replicas' check
    return {**figures, "ready_s": round(ready, 1)}


def start_replicas(cluster: Cluster, count: int, session_timeout: float, timeout: float) -> dict:
    """``count`` replicas: until every set is owned and each is ready; their figures."""
    served_by_client(cluster.contrail_url, reset=True)
    started = time.monotonic()
    replicas = [f"replica-{i}" for i in range(count)]
    for replica in replicas:
        cluster.start_replica(replica, session_timeout)
    expected = {n: rendezvous(n, replicas) for n in cluster.names}
    wait_for(
        "every set owned as rendezvous hashing says", lambda: cluster.owners() == expected, timeout
    )
    daemons = {r: cluster.daemons[r] for r in replicas}
    wait_for("every replica ready", lambda: all(d.ready() for d in daemons.values()), timeout)
    ready = time.monotonic() - started
    time.sleep(2)  # sets handed over at start-up leave the snapshots of who gave them up
    startup = wait_for("start-up's reads to end", lambda: settled(cluster.contrail_url), timeout)
    resync = one_full_resync(cluster, daemons, timeout)
    owned = Counter(cluster.owners().values())
    figures = {r: daemon_figures(cluster, r, owned[r], startup, resync) for r in replicas}
    for replica, f in figures.items():
        print(f"  {replica}: {f}", flush=True)
    return {"ready_s": round(ready, 1), "replicas": figures}


def wait_idle(cluster: Cluster, timeout: float) -> None:
    """Until nothing is left to do: every live daemon's work queues empty and no device
    asked anything for 2 s (a full pass in progress keeps reading its device, and its
    queue does not count the key being worked). A measure begun earlier would also time
    the step before it (at 24,000 load balancers, minutes of full passes after a resync)."""

    def asked() -> int:
        return sum(int(d.counters()["total"]) for d in cluster.devices.values())

    def quiet() -> bool:
        live = [cluster.daemons[r] for r in cluster.live()]
        if any(d.metric_sum("contrail_f5_workqueue_depth") for d in live):
            return False
        before = asked()
        time.sleep(2)
        return asked() == before

    wait_for("the replicas to have nothing left to do", quiet, timeout)


def rendezvous(sas: str, replicas: list[str]) -> str:
    from reconciler.coordination import rendezvous_owner

    return str(rendezvous_owner(sas, replicas))


def steady(cluster: Cluster, changes: MemberChanges, count: int) -> dict[str, Any]:
    """``count`` changes one at a time over every set: vnc_api update to device, polled."""
    make = changes.spread(cluster.names)
    latencies = []
    for i in range(count):
        sent = make(i)
        device = cluster.devices[sent.sas]
        wait_for(f"change {i} on {sent.sas}", lambda d=device, s=sent: shows(d, s), 60, 0.005)
        latencies.append(time.monotonic() - sent.made)
    return {
        "changes": count,
        "p50_ms": round(percentile(latencies, 0.5) * 1000),
        "p99_ms": round(percentile(latencies, 0.99) * 1000),
        "max_ms": round(max(latencies) * 1000),
    }


def kill_in_burst(
    cluster: Cluster, changes: MemberChanges, victim: str, burst: int, timeout: float
) -> dict[str, Any]:
    """``burst`` changes spread over the sets, ``victim`` killed with SIGKILL after half of
    them: when each of its sets is owned again and its changes are on its device, and the
    gap on each of its devices between its last write and its successor's first."""
    mark = cluster.mark()
    theirs = [n for n, o in cluster.owners().items() if o == victim]
    session_timeout = cluster.session_timeouts[victim]
    make = changes.spread(cluster.names)
    pending: dict[str, Sent] = {}
    killed = killed_wall = 0.0
    for i in range(burst):
        if i == burst // 2:
            killed, killed_wall = time.monotonic(), time.time()
            process = cluster.daemons[victim].process
            assert process is not None
            process.send_signal(signal.SIGKILL)
        sent = make(i)
        pending[sent.lb] = sent
    made = dict(pending)
    burst_done = time.monotonic() - killed
    owned_again: dict[str, float] = {}
    seen: dict[str, float] = {}
    polled = [0.0]

    def done() -> bool:
        now = time.monotonic()
        for name, owner in cluster.owners().items():
            if name in theirs and name not in owned_again and owner != victim:
                owned_again[name] = now - killed
        if now - polled[0] >= DEVICE_POLL_SECONDS:  # when to stop; the logs say when
            polled[0] = now
            poll_round(cluster.devices, pending, seen)
        return not pending and len(owned_again) == len(theirs)

    try:
        wait_for(f"{victim}'s sets taken over and the burst on the devices", done, timeout, 0.05)
    except TimeoutError as exc:
        print(f"  {exc}; {len(pending)} changes not on their device", flush=True)
    cluster.daemons[victim].stop()
    checked = write_check(cluster)
    # when each change took effect, from its device's write log (the poll only found it)
    logged = {lb: landed_at(cluster.since(mark, s.sas), s) for lb, s in made.items() if lb in seen}
    landed = {
        lb: at - killed_wall if at is not None else seen[lb] - killed for lb, at in logged.items()
    }
    owners = cluster.owners()
    per_set = {}
    for name in theirs:
        ours = [landed[lb] for lb, s in made.items() if s.sas == name and lb in landed]
        per_set[name] = {
            "owned_again_s": round(owned_again.get(name, float("nan")), 2),
            "changes": sum(1 for s in made.values() if s.sas == name),
            "last_on_device_s": round(max(ours), 2) if ours else None,
            "new_owner": owners.get(name),
            "handover_gap_s": handover_gap(
                cluster.writes[name], cluster.since(mark, name), victim, owners.get(name)
            ),
        }
    result = {
        "victim": victim,
        "session_timeout_s": session_timeout,
        "victim_sets": len(theirs),
        "burst": burst,
        "distinct_lbs": len(made),
        "killed_after": burst // 2,
        "burst_done_s": round(burst_done, 2),
        "sets": per_set,
        "owned_again_max_s": round(max(owned_again.values(), default=float("nan")), 2),
        "all_on_device_s": round(max(landed.values()), 2) if landed else None,
        "all_seen_by_poll_s": round(max(seen.values()) - killed, 2) if seen else None,
        "landed_from_log": sum(1 for at in logged.values() if at is not None),
        "lost": [f"{s.sas} {s.lb} weight {s.weight}" for s in pending.values()],
        "write_check": checked,
    }
    print(f"  takeover: {summary(result)}", flush=True)
    return result


def join(
    cluster: Cluster, changes: MemberChanges, replica: str, session_timeout: float, timeout: float
) -> dict[str, Any]:
    """Start ``replica`` while a change is made every ``MOVE_PACE`` s over all sets, until
    the sets rendezvous hashing gives it are its and it is ready (and ``MOVE_TAIL`` s
    more, so that the taker has writes of its own to make); then every change of the
    move on its device, and the write logs checked: on each moved set the giver's last write
    ended before the taker's first began, and no other replica wrote any set."""
    mark = cluster.mark()
    before = cluster.owners()
    live = [*cluster.live(), replica]
    expected = {n: rendezvous(n, live) for n in cluster.names}
    moving = sorted(n for n in cluster.names if expected[n] != before.get(n))
    make = changes.spread(cluster.names)
    pending: dict[str, Sent] = {}
    seen: dict[str, float] = {}
    moved: dict[str, float] = {}
    started = time.monotonic()
    daemon = cluster.start_replica(replica, session_timeout)

    def moved_and_ready() -> bool:
        now = time.monotonic()
        for name, owner in cluster.owners().items():
            if name in moving and name not in moved and owner == expected[name]:
                moved[name] = now - started
        return (
            len(moved) == len(moving)
            and ready(daemon)
            and metric(daemon, SETS_OWNED) == sum(1 for o in expected.values() if o == replica)
        )

    i = 0
    polled = started
    done_at: float | None = None
    while time.monotonic() < (done_at or started + timeout):
        if done_at is None and moved_and_ready():
            move_s = time.monotonic() - started
            done_at = time.monotonic() + MOVE_TAIL  # the takers write too, not only givers
        if i < MOVE_MAX_CHANGES:
            sent = make(i)
            pending[sent.lb] = sent
            i += 1
        if time.monotonic() - polled > 2:  # not at every change: the pending ones pile up
            poll_round(cluster.devices, pending, seen)
            polled = time.monotonic()
        time.sleep(max(0.0, started + i * MOVE_PACE - time.monotonic()))
    if done_at is None:
        move_s = time.monotonic() - started
        print(f"  the move was not done within {timeout:.0f} s", flush=True)
    made = len(pending) + len(seen)
    try:
        wait_for(
            "the move's changes on their devices",
            lambda: poll_round(cluster.devices, pending, seen),
            timeout,
            0.05,
        )
    except TimeoutError as exc:
        print(f"  {exc}; {len(pending)} changes not on their device", flush=True)
    checked = write_check(cluster)
    owned = Counter(cluster.owners().values())
    strangers = {
        n: others
        for n in cluster.names
        if (
            others := sorted(
                {writer(w) for w in cluster.since(mark, n)} - {before.get(n), expected[n]}
            )
        )
    }
    result = {
        "replica": replica,
        "session_timeout_s": session_timeout,
        "moved": {
            n: {
                "from": before.get(n),
                "to": expected[n],
                "at_s": round(moved.get(n, float("nan")), 2),
                "handover_gap_s": handover_gap(
                    cluster.writes[n], cluster.since(mark, n), before.get(n), expected[n]
                ),
            }
            for n in moving
        },
        "written_by_others": strangers,
        "move_s": round(move_s, 2),
        "changes": i,
        "distinct_lbs": made,
        "all_on_device_s": round(max(seen.values()) - started, 2) if seen else None,
        "lost": [f"{s.sas} {s.lb} weight {s.weight}" for s in pending.values()],
        "write_check": checked,
        "memory": {
            r: {"sets_owned": owned[r], **memory_mb(cluster.daemons[r].process.pid)}  # type: ignore[union-attr]
            for r in cluster.live()
        },
    }
    print(f"  join: {summary(result)}", flush=True)
    return result


def final_check(cluster: Cluster, changes: MemberChanges) -> dict[str, Any]:
    """Every load balancer the run changed shows its last weight on its device."""
    missing = [
        f"{s.sas} {s.lb} weight {s.weight}"
        for s in changes.last.values()
        if not shows(cluster.devices[s.sas], s)
    ]
    return {"changes_made": changes.made, "lbs_checked": len(changes.last), "lost": missing}


def summary(result: dict[str, Any]) -> str:
    """A phase's result without its bulky parts, for the console."""
    keep = {k: v for k, v in result.items() if k not in ("sets", "memory", "write_check")}
    keep["overlapping_writes"] = result["write_check"]["overlaps"]
    keep["lost"] = len(result["lost"])
    return json.dumps(keep)


# -- the run -------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every phase, in order, on one cluster; what each measured."""
    from kazoo.client import KazooClient

    import emulators.contrail
    from tests.support.rabbitmq import drop_vhost, ensure_broker, private_vhost
    from tests.support.zookeeper import ZooKeeperServer

    timeout = 300 + args.sets * args.lbs * 0.1  # a step's limit: 40 min at 24,000 LBs
    work = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    print(f"logs in {work}", flush=True)
    vhost = f"bench-replicas-{uuid.uuid4().hex[:8]}"
    ensure_broker()
    broker = private_vhost(vhost)
    procs = Procs(work)
    zookeeper = ZooKeeperServer(work / "zookeeper")
    daemons: dict[str, Daemon] = {}
    began = time.monotonic()
    results: dict[str, Any] = {}
    try:
        zookeeper.start()
        cluster = start_cluster(procs, work, args.sets, broker, vhost, zookeeper.hosts)
        daemons = cluster.daemons
        cluster.vnc = emulators.contrail.client(cluster.contrail_url)
        cluster.zk = KazooClient(cluster.zk_hosts)
        cluster.zk.start(30)
        changes = MemberChanges(cluster.vnc, seed(cluster, args.lbs))

        if not args.takeover_only:
            print("1. one daemon alone", flush=True)
            results["alone"] = alone(cluster, timeout)
            print(f"  alone: {results['alone']}", flush=True)
        print(f"2. {args.replicas} replicas", flush=True)
        results.update(start_replicas(cluster, args.replicas, args.session_timeout, timeout))
        if not args.takeover_only:
            print(f"3. {args.steady} changes at steady state", flush=True)
            wait_idle(cluster, timeout)
            results["steady"] = steady(cluster, changes, args.steady)
            print(f"  steady: {results['steady']}", flush=True)
        print(f"4. kill -9 in a burst of {args.burst} changes", flush=True)
        owned = Counter(cluster.owners().values())
        victim = max(cluster.live(), key=lambda r: owned[r])
        wait_idle(cluster, timeout)
        results["takeovers"] = [kill_in_burst(cluster, changes, victim, args.burst, timeout)]
        if args.takeover_only:
            return results
        fourth = f"replica-{args.replicas}"
        print(f"5. {fourth} joins", flush=True)
        wait_idle(cluster, timeout)
        results["join"] = join(cluster, changes, fourth, args.short_session_timeout, timeout)
        print(f"6. kill -9 of {fourth} in a burst of {args.burst} changes", flush=True)
        wait_idle(cluster, timeout)
        results["takeovers"].append(kill_in_burst(cluster, changes, fourth, args.burst, timeout))
        results["final"] = {**final_check(cluster, changes), **write_check(cluster)}
        shown = {k: v for k, v in results["final"].items() if k != "writers"}
        print(f"  final: {json.dumps(shown)}", flush=True)
        cluster.zk.stop()
        cluster.zk.close()
    finally:
        for daemon in daemons.values():
            daemon.stop()
        procs.stop_all()
        zookeeper.stop()
        drop_vhost(vhost)
    results["meta"] = {
        "command": args.command,
        "date": time.strftime("%Y-%m-%d"),
        "duration_s": round(time.monotonic() - began),
        "machine": machine(),
        "bench_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "sets": args.sets,
        "lbs_per_set": args.lbs,
        "replicas": args.replicas,
        "session_timeout_s": args.session_timeout,
        "short_session_timeout_s": args.short_session_timeout,
    }
    return results


# -- the report ----------------------------------------------------------------------------


def seconds(value: float | None) -> str:
    return (
        "–"
        if value is None or value != value
        else f"{value:.2g} s"
        if abs(value) < 1
        else f"{value:.1f} s"
    )


def within(value: float | None, target: float) -> str:
    return "yes" if value is not None and value == value and value < target else "**no**"


def render(results: dict[str, Any]) -> str:
    """The markdown block for docs/BENCHMARKS.md (the hand-written text stays around it)."""
    meta = results["meta"]
    m = meta["machine"]
    total = meta["sets"] * meta["lbs_per_set"]
    lines = [
        f"Measured {meta['date']} with `{meta['command']}` ({meta['duration_s'] / 60:.0f} min) "
        f"on {m['cpu']} ({m['cores']} cores), everything on the one machine: "
        f"{meta['sets']} sets on {meta['sets']} emulated BIG-IPs, {meta['lbs_per_set']:,} load "
        f"balancers per set ({total:,} in all), a real ZooKeeper, notifications through "
        f"RabbitMQ; {meta['replicas']} replicas with `zk_session_timeout = "
        f"{meta['session_timeout_s']:g}`, the one joining later with "
        f"{meta['short_session_timeout_s']:g}.",
        "",
        "| process | sets owned | LBs in snapshot | objects read whole: start-up "
        "| one full resync | RSS after the resync (MB) | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [("one daemon, no ZooKeeper", results["alone"]), *results["replicas"].items()]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['sets_owned']} | {r['snapshot_lbs']:.0f} "
            f"| {r['objects_read_startup']} | {r['objects_read_resync']} | {r['rss_mb']} "
            f"| {r['max_rss_mb']} |"
        )
    s = results["steady"]
    lines += [
        "",
        f"**Steady state**, {s['changes']} member changes one at a time over every set, from "
        f"the vnc_api read-and-update to the BIG-IP showing it (polled every 5 ms): p50 "
        f"{s['p50_ms']} ms, p99 {s['p99_ms']} ms, max {s['max_ms']} ms.",
        "",
        "**kill -9 in a burst of member changes spread over the sets** (the replica killed "
        'after half of them; times from the kill; "lost": load balancers whose last change '
        "never showed on the device, of those the burst changed; overlapping writes: over "
        "every device's write log since the replicas started). When a change reached its "
        "device is the end of the write that carried it (its transaction's commit) in the "
        "device's write log; the bench asks the devices once a second only to know when to "
        "stop (a GET per pending change every 50 ms, as earlier runs polled, took a core of "
        "this 2-core machine from the replicas measured):",
        "",
        "| killed | zk_session_timeout | its sets | every set owned again | its changes on "
        "device | whole burst on device | within 30 s | lost | its last write to the "
        "successor's first (min) | overlapping writes |",
        "|---|---:|---:|---:|---:|---:|:---:|---:|---:|---:|",
    ]
    for t in results["takeovers"]:
        last = [v["last_on_device_s"] for v in t["sets"].values() if v["last_on_device_s"]]
        gaps = [v["handover_gap_s"] for v in t["sets"].values() if v["handover_gap_s"] is not None]
        lines.append(
            f"| {t['victim']} | {t['session_timeout_s']:g} s | {t['victim_sets']} "
            f"| {seconds(t['owned_again_max_s'])} | {seconds(max(last, default=None))} "
            f"| {seconds(t['all_on_device_s'])} | {within(t['all_on_device_s'], 30)} "
            f"| {len(t['lost'])} of {t['distinct_lbs']} | {seconds(min(gaps, default=None))} "
            f"| {t['write_check']['overlaps']} |"
        )
    j = results["join"]
    moves = ", ".join(
        f"{n} ({v['from']} → {v['to']} after {seconds(v['at_s'])}; the giver's last write to "
        f"the taker's first: {seconds(v['handover_gap_s'])})"
        for n, v in j["moved"].items()
    )
    lines += [
        "",
        f"**{j['replica']} joins**: sets moved to it ({len(j['moved'])}): {moves}; the move "
        f"was done (its sets owned, {j['replica']} ready) {seconds(j['move_s'])} after it was "
        f"started. {j['changes']} member changes made meanwhile and {MOVE_TAIL:g} s after "
        f"(one every {MOVE_PACE:g} s "
        f"over every set, {j['distinct_lbs']} load balancers): the last on its device "
        f"{seconds(j['all_on_device_s'])} after the start; never on its device: "
        f"{len(j['lost'])}; overlapping writes: {j['write_check']['overlaps']}; sets written "
        f"by a replica that neither gave nor took them: {len(j['written_by_others'])}.",
        "",
        "| after the join | sets owned | RSS (MB) | peak RSS (MB) |",
        "|---|---:|---:|---:|",
        *(
            f"| {r} | {v['sets_owned']} | {v['rss_mb']} | {v['max_rss_mb']} |"
            for r, v in j["memory"].items()
        ),
    ]
    f = results["final"]
    lines += [
        "",
        f"**At the end**: of the {f['lbs_checked']} load balancers the run changed "
        f"({f['changes_made']} changes), {len(f['lost'])} did not show their last weight on "
        f"their device; of the {f['writes']} device writes the replicas made, "
        f"{f['overlaps']} began while another replica's write to that device was in flight.",
    ]
    return "\n".join(lines)


def plot(results: dict[str, Any], out: Path) -> list[str]:
    """The two PNGs (takeover per set; RSS against sets owned), when matplotlib is there."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no plots (pip install -e '.[bench]')")
        return []
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    labels, owned, on_device = [], [], []
    for t in results["takeovers"]:
        for name, v in t["sets"].items():
            labels.append(f"{name}\n{t['victim']}\n{t['session_timeout_s']:g} s")
            owned.append(v["owned_again_s"])
            on_device.append(v["last_on_device_s"] or 0.0)
    x = range(len(labels))
    ax.bar([i - 0.2 for i in x], owned, 0.4, label="owned again (ZooKeeper)")
    ax.bar([i + 0.2 for i in x], on_device, 0.4, label="its last change on its device")
    ax.axhline(30, color="grey", lw=0.8, ls=":", label="30 s target")
    ax.set_xticks(list(x), labels, fontsize=7)
    ax.set(ylabel="seconds after kill -9", title="Takeover per set (set, killed, session timeout)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / TAKEOVER_PNG, dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    alone = results["alone"]
    ax.plot([alone["sets_owned"]], [alone["max_rss_mb"]], "s", label="one daemon alone (peak)")
    start = results["replicas"].values()
    ax.plot(
        [r["sets_owned"] for r in start],
        [r["max_rss_mb"] for r in start],
        "o",
        label="replica after start-up (peak)",
    )
    joined = results["join"]["memory"].values()
    ax.plot(
        [r["sets_owned"] for r in joined],
        [r["rss_mb"] for r in joined],
        "^",
        label="replica after the join (now)",
    )
    ax.set(
        xlabel="sets owned",
        ylabel="RSS (MB)",
        ylim=(0, None),
        title=f"{results['meta']['lbs_per_set']:,} load balancers per set",
    )
    ax.set_xticks(range(alone["sets_owned"] + 1))
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / RSS_PNG, dpi=110)
    plt.close(fig)
    return [TAKEOVER_PNG, RSS_PNG]


def write_report(results: dict[str, Any], out: Path) -> None:
    """Plots, and the block between the markers of ``out``/BENCHMARKS.md (a file of its own
    under build/; in docs/ the section's hand-written text stays)."""
    images = plot(results, out)
    inner = render(results) + "".join(f"\n\n![{png}]({png})" for png in images) + "\n"
    path = out / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else f"{BEGIN}\n{END}\n"
    replaced = replace_block(text, BEGIN, END, inner)
    if replaced is None:
        raise SystemExit(f"{path} has no {BEGIN} ... {END} block to fill")
    path.write_text(replaced)
    print(f"results in {out / RESULTS}, report in {path}", flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", type=int, default=12, help="F5 sets, one BIG-IP each")
    parser.add_argument("--lbs", type=int, default=2000, help="load balancers per set")
    parser.add_argument("--replicas", type=int, default=3, help="before the one that joins")
    parser.add_argument(
        "--session-timeout",
        type=float,
        default=20.0,
        help="the replicas' zk_session_timeout (the product's default: 20)",
    )
    parser.add_argument(
        "--short-session-timeout",
        type=float,
        default=4.0,
        help="the joining replica's, which the last kill shows",
    )
    parser.add_argument("--burst", type=int, default=200, help="changes in each kill's burst")
    parser.add_argument("--steady", type=int, default=100, help="changes at steady state")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: "
        + ", ".join(f"--{k.replace('_', '-')} {v:g}" for k, v in QUICK.items()),
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "build" / "bench-replicas",
        help="where the JSON, the plots and BENCHMARKS.md go (docs/ for the real thing)",
    )
    parser.add_argument(
        "--render", action="store_true", help="only the report again, from OUT/" + RESULTS
    )
    parser.add_argument(
        "--takeover-only",
        action="store_true",
        help="only phases 2 and 4 (replicas, one kill in a burst), printed, no report: to "
        "work on the takeover",
    )
    args = parser.parse_args(argv)
    if args.quick:
        explicit = {a.split("=")[0].lstrip("-").replace("-", "_") for a in (argv or sys.argv[1:])}
        for key, value in QUICK.items():
            if key not in explicit:
                setattr(args, key, type(getattr(args, key))(value))
    args.command = " ".join(["python scripts/bench_replicas.py", *(argv or sys.argv[1:])])
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.render:
        write_report(json.loads((args.out / RESULTS).read_text()), args.out)
        return 0

    def _terminate(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)  # unwinds through run(): its subprocesses stop

    signal.signal(signal.SIGTERM, _terminate)
    results = run(args)
    if args.takeover_only:
        print(json.dumps(results["takeovers"], indent=1))
        return 0
    (args.out / RESULTS).write_text(json.dumps(results, indent=1) + "\n")
    write_report(results, args.out)
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
