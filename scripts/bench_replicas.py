"""``make bench-replicas``: what each replica reads and holds, and how fast a dead one's sets move.

    python scripts/bench_replicas.py                       # 3 replicas, 6 sets x 50 LBs
    python scripts/bench_replicas.py --sets 12 --lbs 200 --session-timeout 20

A real ZooKeeper (tests/support/zookeeper.py), the real broker, the Contrail emulator and one
BIG-IP emulator per set, all in this process; the daemons are subprocesses. Each load
balancer: a VIP port, one HTTP listener, one pool with one member.

1. **One daemon alone** (no ZooKeeper: it owns and reads every set): until ready; the Contrail
   objects it was served whole (the emulator counts them per ``X-Contrail-Useragent``, which
   names the replica), the load balancers in its snapshot, its peak RSS.
2. **Three replicas** (``--replicas``) with ZooKeeper: until every set is owned and every
   replica ready; the same figures per replica, with the sets it owns.
3. **kill -9** of the replica owning most sets, one member change per set of its made right
   after: the time until each of its sets is owned again (ZooKeeper) and until every change is
   on its device, with the session timeout that bounds it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import requests  # noqa: E402
import urllib3  # noqa: E402
from bench import proc_status  # noqa: E402

from tests.support.polling import wait_until  # noqa: E402

urllib3.disable_warnings()


def served_by_client(contrail: Any, reset: bool = False) -> dict[str, int]:
    method = requests.delete if reset else requests.get
    return method(f"{contrail.url}/_emulator/served", timeout=10).json()["by_client"]


def replica_reads(by_client: dict[str, int], replica: str) -> int:
    return sum(n for client, n in by_client.items() if client.endswith(f"replica/{replica}"))


FULL_READS = "contrail_f5_contrail_reads_total"


def one_full_resync(
    vnc: Any, contrail: Any, daemons: dict[str, Any], set_name: str
) -> dict[str, int]:
    """Objects each daemon is served whole by one full resync: a service-appliance-set's
    update sends every daemon to a full read (``events.keys_for``)."""
    wait_until(lambda: _settled(contrail), timeout=300, every=0.1)  # start-up's echoes done
    before = {r: d.metric_sum(FULL_READS, scope="full", result="ok") for r, d in daemons.items()}
    served_by_client(contrail, reset=True)
    sas = vnc.service_appliance_set_read(fq_name=["default-global-system-config", set_name])
    sas.set_display_name(f"{set_name} {uuid.uuid4().hex[:6]}")
    vnc.service_appliance_set_update(sas)
    for replica, d in daemons.items():
        wait_until(
            lambda d=d, r=replica: d.metric_sum(FULL_READS, scope="full", result="ok") > before[r],
            timeout=120,
            every=0.2,
        )
    by_client = wait_until(lambda: _settled(contrail), timeout=120, every=0.1)
    reads = {
        r: d.metric_sum(FULL_READS, scope="full", result="ok") - before[r]
        for r, d in daemons.items()
    }
    if any(n != 1 for n in reads.values()):
        print(f"note: full reads during the resync: {reads}", flush=True)
    return {replica: replica_reads(by_client, replica) for replica in daemons}


def _settled(contrail: Any, quiet: float = 2.0) -> dict[str, int] | None:
    """The served counts once they have not moved for ``quiet`` seconds."""
    first = served_by_client(contrail)
    time.sleep(quiet)
    return first if served_by_client(contrail) == first else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", type=int, default=6)
    parser.add_argument("--lbs", type=int, default=50, help="load balancers per set")
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--session-timeout", type=float, default=4.0)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench-replicas")
    args = parser.parse_args(argv)

    import emulators.bigip
    import emulators.contrail
    from emulators.contrail.topology import (
        ListenerSpec,
        PoolSpec,
        add_appliance_set,
        add_load_balancer,
        seed_topology,
    )
    from tests.daemon.conftest import Daemon, update_member
    from tests.daemon.test_daemon import pool_members
    from tests.daemon.test_replicas import owners_in_zookeeper
    from tests.integration.conftest import DEVICE_PASSWORD, DEVICE_USER
    from tests.support.polling import free_port
    from tests.support.rabbitmq import drop_vhost, ensure_broker, private_vhost
    from tests.support.zookeeper import ZooKeeperServer

    work = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    vhost = f"bench-replicas-{uuid.uuid4().hex[:8]}"
    broker = ensure_broker(private_vhost(vhost))
    zookeeper = ZooKeeperServer(work / "zookeeper").start()
    contrail = emulators.contrail.start(amqp_url=broker)
    names = [f"f5-{i}" for i in range(args.sets)]
    devices = {n: emulators.bigip.start(user=DEVICE_USER, password=DEVICE_PASSWORD) for n in names}
    daemons: list[Daemon] = []
    results: dict[str, Any] = {"sets": args.sets, "lbs_per_set": args.lbs}

    def daemon(replica: str, **extra: Any) -> Daemon:
        listen = f"127.0.0.1:{free_port()}"
        lines = [
            "[DEFAULTS]",
            "api_server_ip = 127.0.0.1",
            f"api_server_port = {contrail.port}",
            f"http_listen = {listen}",
            "resync_interval = 600",
            "device_timeout = 5",
            "rabbit_server = 127.0.0.1",
            "rabbit_port = 5672",
            f"rabbit_vhost = {vhost}",
            f"replica_id = {replica}",
            *(f"{k} = {v}" for k, v in extra.items()),
        ]
        conf = work / f"{replica}.conf"
        conf.write_text("\n".join(lines) + "\n")
        started = Daemon(conf, work / f"{replica}.log", listen).start()
        daemons.append(started)
        return started

    try:
        vnc = emulators.contrail.client(contrail)
        topo = seed_topology(vnc, sas_name=None)
        for name, server in devices.items():
            kv = {"address": "127.0.0.1", "port": str(server.port), "user": DEVICE_USER}
            add_appliance_set(vnc, name, {**kv, "password": DEVICE_PASSWORD})
        pool = PoolSpec("ROUND_ROBIN", [("10.2.3.1", 8080, 1)])
        lbs = {
            name: [
                add_load_balancer(
                    vnc,
                    topo,
                    f"web-{name}-{i}",
                    listeners=[ListenerSpec("HTTP", 80, pool)],
                    provider=name,
                )
                for i in range(args.lbs)
            ]
            for name in names
        }
        print(f"seeded {args.sets} sets x {args.lbs} load balancers", flush=True)

        # 1. One daemon alone
        served_by_client(contrail, reset=True)
        alone = daemon("alone")
        wait_until(alone.ready, timeout=600, every=0.5)
        assert alone.process is not None
        startup = replica_reads(wait_until(lambda: _settled(contrail), 300, 0.1), "alone")
        results["alone"] = {
            "objects_read_startup": startup,
            "objects_read_resync": one_full_resync(vnc, contrail, {"alone": alone}, names[0])[
                "alone"
            ],
            "snapshot_lbs": alone.metric_sum("contrail_f5_snapshot_load_balancers"),
            "max_rss_mb": round(proc_status(alone.process.pid)["max_rss_mb"], 1),
        }
        alone.terminate()
        print("alone", results["alone"], flush=True)

        # 2. Replicas
        served_by_client(contrail, reset=True)
        root = f"/bench-{uuid.uuid4().hex[:8]}"
        replicas = {
            f"replica-{i}": daemon(
                f"replica-{i}",
                zk_server_ip=zookeeper.hosts,
                zk_root=root,
                zk_session_timeout=args.session_timeout,
            )
            for i in range(args.replicas)
        }
        from kazoo.client import KazooClient

        zk = KazooClient(zookeeper.hosts)
        zk.start(10)
        wait_until(lambda: len(owners_in_zookeeper(zk, root, names)) == len(names), 120, 0.2)
        wait_until(lambda: all(d.ready() for d in replicas.values()), 600, 0.5)
        time.sleep(2)  # sets handed over at start-up leave the snapshots of who gave them up
        owners = owners_in_zookeeper(zk, root, names)
        by_client = wait_until(lambda: _settled(contrail), timeout=300, every=0.1)
        resync = one_full_resync(vnc, contrail, replicas, names[0])
        results["replicas"] = {}
        for replica, d in replicas.items():
            assert d.process is not None
            results["replicas"][replica] = {
                "sets_owned": sum(1 for o in owners.values() if o == replica),
                "objects_read_startup": replica_reads(by_client, replica),
                "objects_read_resync": resync[replica],
                "snapshot_lbs": d.metric_sum("contrail_f5_snapshot_load_balancers"),
                "max_rss_mb": round(proc_status(d.process.pid)["max_rss_mb"], 1),
            }
            print(replica, results["replicas"][replica], flush=True)

        # 3. kill -9 and takeover
        victim = max(replicas, key=lambda r: sum(1 for o in owners.values() if o == r))
        theirs = [n for n, o in owners.items() if o == victim]
        partition = f"Contrail_{topo.project}"
        killed = time.monotonic()
        replicas[victim].process.kill()  # type: ignore[union-attr]
        for name in theirs:
            update_member(vnc, lbs[name][0].listeners[0].members[0], weight=9)
        owned_again: dict[str, float] = {}
        on_device: dict[str, float] = {}

        def done() -> bool:
            now = time.monotonic() - killed
            current = owners_in_zookeeper(zk, root, theirs)
            for name in theirs:
                if name not in owned_again and current.get(name) not in (None, victim):
                    owned_again[name] = now
                if name not in on_device:
                    members = pool_members(devices[name], partition, lbs[name][0].listeners[0].pool)
                    if members.get("10.2.3.1:8080") and members["10.2.3.1:8080"].ratio == 9:
                        on_device[name] = now
            return len(on_device) == len(theirs) and len(owned_again) == len(theirs)

        wait_until(done, timeout=args.session_timeout * 3 + 120, every=0.1)
        results["takeover"] = {
            "session_timeout_s": args.session_timeout,
            "victim_sets": len(theirs),
            "owned_again_max_s": round(max(owned_again.values()), 2),
            "change_on_device_max_s": round(max(on_device.values()), 2),
        }
        print("takeover", results["takeover"], flush=True)
        zk.stop()
        zk.close()
    finally:
        for d in daemons:
            d.stop()
        contrail.stop()
        for server in devices.values():
            server.stop()
        zookeeper.stop()
        drop_vhost(vhost)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(render(results))
    return 0


def render(results: dict[str, Any]) -> str:
    alone = results["alone"]
    lines = [
        f"{results['sets']} sets x {results['lbs_per_set']} load balancers, one BIG-IP each",
        "",
        "| process | sets owned | LBs in snapshot | objects read whole: start-up "
        "| one full resync | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rows = [("one daemon, no ZooKeeper", {**alone, "sets_owned": results["sets"]})]
    rows += list(results["replicas"].items())
    for name, r in rows:
        lines.append(
            f"| {name} | {r['sets_owned']} | {r['snapshot_lbs']:.0f} "
            f"| {r['objects_read_startup']} | {r['objects_read_resync']} | {r['max_rss_mb']} |"
        )
    t = results["takeover"]
    lines += [
        "",
        f"kill -9 of a replica owning {t['victim_sets']} sets (zk_session_timeout "
        f"{t['session_timeout_s']} s): every set owned again after {t['owned_again_max_s']} s, "
        f"every change made right after the kill on its device after "
        f"{t['change_on_device_max_s']} s.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
