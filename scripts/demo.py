"""`make demo`: the reconciler's real job, on the embedded emulators.

1. start a BIG-IP emulator (HTTPS) and a Contrail API emulator (publishing to the local
   RabbitMQ when one answers on 127.0.0.1:5672; otherwise the daemon polls);
2. build the seed's vLTM topology in Contrail (project, networks, the `f5` service-appliance
   set pointing at the emulated BIG-IP) and two load balancers, as Neutron would;
3. print the dry-run plan (`reconcile --once --dry-run`);
4. run the daemon, wait until it is ready, and show what is on the device;
5. change Contrail (add a member, drain another) and time the convergence;
6. show the VIP routes in Contrail and a few metrics;
7. stop the daemon with SIGTERM.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from f5.bigip import ManagementRoot
from vnc_api.vnc_api import (
    LoadbalancerMember,
    LoadbalancerMemberType,
    VirtualMachineInterface,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import emulators.bigip as bigip_emulator  # noqa: E402
import emulators.contrail as contrail_emulator  # noqa: E402
from emulators.contrail.topology import (  # noqa: E402
    ListenerSpec,
    MonitorSpec,
    PoolSpec,
    add_appliance_set,
    add_load_balancer,
    seed_topology,
)
from reconciler import logs  # noqa: E402

USER, PASSWORD = "admin", "demo-device-password"
BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


def step(text: str) -> None:
    print(f"\n{BOLD}== {text}{RESET}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def broker_url() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=1):
            return "amqp://guest:guest@127.0.0.1:5672//"
    except OSError:
        return None


def wait_until(
    predicate: Any, timeout: float, every: float = 0.05, log: Path | None = None
) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            if log is not None and log.exists():
                print("".join(log.read_text(errors="replace").splitlines(True)[-40:]))
            raise SystemExit(f"demo: gave up waiting after {timeout} s (daemon log: {log})")
        time.sleep(every)
    return time.monotonic() - started


def device_summary(mgmt: Any, partition: str) -> None:
    params = {"params": f"$filter=partition eq {partition}&expandSubcollections=true"}
    for vs in mgmt.tm.ltm.virtuals.get_collection(requests_params=params):
        state = "enabled" if getattr(vs, "enabled", False) else "disabled"
        print(f"  virtual {vs.name}  {vs.destination}  pool={getattr(vs, 'pool', '-')}  {state}")
    for pool in mgmt.tm.ltm.pools.get_collection(requests_params=params):
        members = (
            pool.membersReference.get("items", []) if hasattr(pool, "membersReference") else []
        )
        listed = ", ".join(
            f"{m['name']}(ratio {m.get('ratio', 1)}, {m.get('session', '')})" for m in members
        )
        print(f"  pool {pool.name}  {pool.loadBalancingMode}  members: {listed}")


def main() -> int:
    logs.configure("WARNING")
    work = Path(tempfile.mkdtemp(prefix="contrail-f5-demo-"))
    amqp = broker_url()

    step("Starting the emulators")
    bigip = bigip_emulator.start(user=USER, password=PASSWORD)
    contrail = contrail_emulator.start(amqp_url=amqp)
    print(f"  BIG-IP emulator   {bigip.url}")
    print(f"  Contrail emulator {contrail.url}")
    print(
        f"  RabbitMQ          {'127.0.0.1:5672 (notifications on)' if amqp else 'not running: the daemon will poll'}"
    )

    step("Building the seed's vLTM topology in Contrail (through vnc_api)")
    vnc = contrail_emulator.client(contrail)
    # The vLTM is a VM on management, external and internal (seed §3.1); the VIP routes
    # point at its interface on 'external'.
    topo = seed_topology(vnc, sas_name=None)
    vltm_external = VirtualMachineInterface(
        "vltm-external", parent_obj=vnc.project_read(id=topo.project)
    )
    vltm_external.set_virtual_network(vnc.virtual_network_read(id=topo.networks["external"]))
    vnc.virtual_machine_interface_create(vltm_external)
    settings = {
        "address": "127.0.0.1",
        "port": str(bigip.port),
        "user": USER,
        "password": PASSWORD,
        "external_vmi": vltm_external.uuid,
    }
    sas = add_appliance_set(vnc, "f5", settings)
    topo.sas, topo.sas_name = sas.uuid, "f5"
    web = add_load_balancer(
        vnc,
        topo,
        "web",
        listeners=[
            ListenerSpec(
                "HTTP",
                80,
                pool=PoolSpec(
                    "ROUND_ROBIN",
                    members=[
                        ("10.2.0.11", 8080, 1),
                        ("10.2.0.12", 8080, 1),
                        ("10.2.0.13", 8080, 1),
                    ],
                    monitor=MonitorSpec("HTTP", url_path="/healthz"),
                ),
            )
        ],
    )
    api = add_load_balancer(
        vnc,
        topo,
        "api",
        listeners=[
            ListenerSpec(
                "TCP",
                443,
                pool=PoolSpec(
                    "LEAST_CONNECTIONS",
                    members=[("10.2.0.21", 8443, 2), ("10.2.0.22", 8443, 1)],
                    monitor=MonitorSpec("TCP"),
                ),
            )
        ],
    )
    print(
        f"  project demo ({topo.project}), set f5 -> {bigip.url}, "
        f"vLTM external interface {vltm_external.uuid}"
    )
    print(f"  load balancer web  VIP {web.vip}  HTTP :80 -> 3 members")
    print(f"  load balancer api  VIP {api.vip}  TCP :443 -> 2 members (weighted)")

    listen = f"127.0.0.1:{free_port()}"
    conf = work / "contrail-f5-reconciler.conf"
    lines = [
        "[DEFAULTS]",
        "api_server_ip = 127.0.0.1",
        f"api_server_port = {contrail.port}",
        f"http_listen = {listen}",
        "resync_interval = 30",
        "log_level = INFO",
    ]
    if amqp:
        lines += ["rabbit_server = 127.0.0.1", "rabbit_port = 5672"]
    conf.write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRAIL_F5_")}
    reconcile = [sys.executable, "-m", "reconciler.cli", "--config", str(conf)]

    step("The plan: reconcile --once --dry-run (nothing is written anywhere)")
    plan = subprocess.run([*reconcile, "--once", "--dry-run"], cwd=ROOT, env=env)
    print(f"{DIM}  exit code {plan.returncode} (2 = changes pending){RESET}")

    step("Running the daemon: reconcile")
    log_path = work / "daemon.log"
    with open(log_path, "wb") as log_file:
        daemon = subprocess.Popen(
            reconcile, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
        try:

            def ready() -> bool:
                try:
                    return requests.get(f"http://{listen}/readyz", timeout=1).status_code == 200
                except requests.ConnectionError:
                    return False

            took = wait_until(ready, timeout=60, log=log_path)
            print(f"  ready after {took:.2f} s (/readyz); on the device:")
            mgmt = ManagementRoot("127.0.0.1", USER, PASSWORD, port=bigip.port)
            partition = f"Contrail_{topo.project}"
            device_summary(mgmt, partition)

            step("A change in Contrail: add a member to 'web', drain 10.2.0.11")
            pool = vnc.loadbalancer_pool_read(id=web.listeners[0].pool)
            started = time.monotonic()
            vnc.loadbalancer_member_create(
                LoadbalancerMember(
                    "web-member-4",
                    parent_obj=pool,
                    loadbalancer_member_properties=LoadbalancerMemberType(
                        address="10.2.0.14", protocol_port=8080, weight=1, admin_state=True
                    ),
                )
            )
            drained = vnc.loadbalancer_member_read(id=web.listeners[0].members[0])
            props = drained.get_loadbalancer_member_properties()
            props.weight = 0
            drained.set_loadbalancer_member_properties(props)
            vnc.loadbalancer_member_update(drained)
            pool_api = mgmt.tm.ltm.pools.pool

            def converged() -> bool:
                loaded = pool_api.load(
                    name=f"Contrail_{web.listeners[0].pool}", partition=partition
                )
                members = {m.name: m for m in loaded.members_s.get_collection()}
                return (
                    "10.2.0.14:8080" in members
                    and members["10.2.0.11:8080"].session == "user-disabled"
                )

            wait_until(converged, timeout=60, every=0.02, log=log_path)
            print(
                f"  converged on the device {time.monotonic() - started:.3f} s after the "
                "Contrail writes"
            )
            device_summary(mgmt, partition)

            step("Status and VIP routes written back to Contrail")
            for ids, name in ((web, "web"), (api, "api")):
                p = vnc.loadbalancer_read(id=ids.loadbalancer).get_loadbalancer_properties()
                print(
                    f"  load balancer {name}: provisioning {p.provisioning_status}, "
                    f"operating {p.operating_status}"
                )
            tables = vnc.interface_route_tables_list(detail=True) + vnc.route_tables_list(
                detail=True
            )
            routes = []
            for table in tables:
                prop = getattr(table, "interface_route_table_routes", None) or getattr(
                    table, "routes", None
                )
                for route in (prop.get_route() if prop else []) or []:
                    routes.append(
                        (table.get_fq_name()[-1], route.get_prefix(), route.get_next_hop())
                    )
            if routes:
                for table_name, prefix, next_hop in routes:
                    print(f"  {table_name}: {prefix} via {next_hop or 'the attached interface'}")
            else:
                print("  (no VIP route table)")

            step("A few metrics (/metrics)")
            text = requests.get(f"http://{listen}/metrics", timeout=2).text
            for line in text.splitlines():
                if line.startswith(
                    (
                        "contrail_f5_reconciles_total",
                        "contrail_f5_bigip_rest_calls_total",
                        "contrail_f5_managed_objects",
                    )
                ):
                    print(f"  {line}")
        finally:
            step("Stopping the daemon (SIGTERM)")
            started = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(20)
            print(f"  exited with {code} after {time.monotonic() - started:.2f} s; log: {log_path}")
    bigip.stop()
    contrail.stop()
    step("Done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
