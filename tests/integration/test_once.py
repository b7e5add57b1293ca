"""`reconcile --once [--dry-run]` against both emulators: the seed's vLTM use case end to end."""

from __future__ import annotations

from typing import Any

import pytest

from emulators.contrail.topology import (
    ListenerSpec,
    MonitorSpec,
    PoolSpec,
    add_load_balancer,
)
from tests.integration.conftest import DEVICE_PASSWORD, DEVICE_USER, control, counters, device

MEMBERS = [("10.2.0.11", 8080, 1), ("10.2.0.12", 8080, 1), ("10.2.0.13", 8080, 1)]


@pytest.fixture(params=["13.1.1", "17.1.0"])
def bigip_version(request: pytest.FixtureRequest) -> str:
    """These tests run against the oldest and the newest TMOS the emulator presents as."""
    return str(request.param)


def seed_service(vnc: Any, topo: Any, name: str = "web", **pool: Any) -> Any:
    spec = PoolSpec("ROUND_ROBIN", members=MEMBERS, monitor=MonitorSpec("HTTP"), **pool)
    return add_load_balancer(vnc, topo, name, listeners=[ListenerSpec("HTTP", 80, pool=spec)])


def test_seed_vltm_use_case_plan_apply_and_idempotence(bigip, vnc, topo, cli) -> None:
    ids = seed_service(vnc, topo)
    partition = f"Contrail_{topo.project}"

    plan = cli("--once", "--dry-run", "--output", "json")
    assert plan.code == 2, plan.err
    operations = [op for d in plan.json()["devices"] for op in d["operations"]]
    created = {(op["kind"], op["name"]) for op in operations}
    listener = ids.listeners[0]
    assert created == {
        ("sys/folder", partition),
        ("ltm/virtual-address", f"Contrail_{ids.loadbalancer}"),
        ("ltm/virtual", f"Contrail_{listener.listener}"),
        ("ltm/pool", f"Contrail_{listener.pool}"),
        ("ltm/monitor/http", f"Contrail_{listener.monitor}"),
    }
    (pool,) = [op for op in operations if op["kind"] == "ltm/pool"]
    # the members go inline with their pool (one write), and the device makes their nodes
    assert {m["name"] for m in pool["members"]} == {f"{a}:{p}" for a, p, _w in MEMBERS}
    assert counters(bigip)["writes"] == 0  # a dry run writes nothing
    text = cli("--once", "--dry-run")
    assert "8 to create, 0 to update, 0 to delete" in text.out
    assert DEVICE_PASSWORD not in text.out + text.err

    applied = cli("--once")
    assert applied.code == 0, applied.out + applied.err

    mgmt = device(bigip)
    vs = mgmt.tm.ltm.virtuals.virtual.load(
        name=f"Contrail_{listener.listener}", partition=partition
    )
    assert vs.destination == f"/{partition}/{ids.vip}:80"
    assert vs.pool == f"/{partition}/Contrail_{listener.pool}"
    assert {p.name for p in vs.profiles_s.get_collection()} == {"http", "oneconnect"}
    pool = mgmt.tm.ltm.pools.pool.load(name=f"Contrail_{listener.pool}", partition=partition)
    assert pool.loadBalancingMode == "round-robin"
    assert pool.monitor.strip() == f"/{partition}/Contrail_{listener.monitor}"
    assert {m.name for m in pool.members_s.get_collection()} == {f"{a}:{p}" for a, p, _ in MEMBERS}
    http = mgmt.tm.ltm.monitor.https.http.load(
        name=f"Contrail_{listener.monitor}", partition=partition
    )
    assert (http.interval, http.timeout) == (5, 16)

    lb = vnc.loadbalancer_read(id=ids.loadbalancer).get_loadbalancer_properties()
    assert (lb.provisioning_status, lb.operating_status) == ("ACTIVE", "ONLINE")

    again = cli("--once", "--dry-run")
    assert again.code == 0, again.out
    assert "0 to create, 0 to update, 0 to delete" in again.out
    counters(bigip, reset=True)
    assert cli("--once").code == 0
    assert counters(bigip)["writes"] == 0


def test_reads_do_not_grow_with_the_number_of_load_balancers(bigip, contrail, vnc, topo, cli):
    """Contrail: one list per type; BIG-IP: one collection GET per type per partition."""
    from tests.integration.conftest import counters as device_counters

    def contrail_reads() -> int:
        return device_counters(contrail, reset=True, prefix="/")["total"]

    seed_service(vnc, topo, "one")
    assert cli("--once").code == 0
    contrail_reads()
    device_counters(bigip, reset=True)
    assert cli("--once", "--dry-run").code == 0
    few_contrail, few_device = contrail_reads(), device_counters(bigip)["by_verb"]["GET"]

    for i in range(8):
        seed_service(vnc, topo, f"more{i}")
    assert cli("--once").code == 0
    contrail_reads()
    device_counters(bigip, reset=True)
    assert cli("--once", "--dry-run").code == 0
    assert contrail_reads() == few_contrail
    assert device_counters(bigip)["by_verb"]["GET"] == few_device


def test_once_says_who_it_is_to_the_device(bigip, vnc, topo, cli) -> None:
    """Every request names the reconciler in its User-Agent, as the daemon's do (not
    python-requests), so a device's audit log tells our requests from anybody else's: reads,
    writes, and f5-sdk's token login (which f5-sdk itself posts with plain requests)."""
    seed_service(vnc, topo)
    counters(bigip, reset=True, prefix="/")
    assert cli("--once").code == 0
    seen = counters(bigip, prefix="/")
    assert "POST /mgmt/shared/authn/login" in seen["by_path"]
    clients = set(seen["by_client"])
    assert clients and all(c.startswith("contrail-f5-reconciler/") for c in clients), clients


def test_once_logs_out_of_the_device(bigip, vnc, topo, cli) -> None:
    """A device keeps at most 100 live tokens per user for 20 minutes: a pass that left its
    logins behind (one per connection) would use that up when run every minute."""
    seed_service(vnc, topo)
    for args in (("--once",), ("--once", "--dry-run")):
        assert cli(*args).code == 0
        live = control(bigip, "tokens", None, method="GET").json()["live"]
        assert live.get(DEVICE_USER, 0) == 0, (args, live)


def test_a_second_pass_writes_no_status_to_contrail(bigip, contrail, vnc, topo, cli) -> None:
    """Statuses are written only where they differ: the first pass writes them, a pass
    that finds them right writes nothing back (a real API server spends ms per PUT)."""
    for i in range(3):
        seed_service(vnc, topo, f"svc{i}")
    assert cli("--once").code == 0
    counters(contrail, reset=True, prefix="/")
    assert cli("--once").code == 0
    assert counters(contrail, prefix="/")["writes"] == 0
