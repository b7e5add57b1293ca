"""Partitions side by side: a device is written over a few connections, one partition's
transaction each (``device_connections``), on an emulator that serves requests concurrently
and spends its latency outside the lock that serialises commits, as a device does."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from emulators.contrail.topology import (
    ListenerSpec,
    LoadBalancerIds,
    PoolSpec,
    Topology,
    add_load_balancer,
    seed_topology,
)
from tests.integration.conftest import control, device

TENANTS = 6
MEMBERS = 2  # per load balancer


def members(tenant: int) -> list[tuple[str, int, int]]:
    """Each tenant's own member addresses: every partition is in route domain 0, where a
    device keeps one node per address."""
    return [(f"10.{50 + tenant}.0.{11 + k}", 8080, 1 + k) for k in range(MEMBERS)]


def spec(tenant: int) -> ListenerSpec:
    return ListenerSpec("HTTP", 80, pool=PoolSpec(members=members(tenant)))


def tenants(vnc: Any, topo: Topology) -> list[tuple[Topology, LoadBalancerIds]]:
    """One load balancer in each of TENANTS projects (so as many partitions), own VIP nets."""
    made = []
    for i in range(TENANTS):
        networks = {"external": f"10.{100 + i}.0.0/16", "internal": f"10.{50 + i}.0.0/16"}
        tenant = seed_topology(vnc, project=f"tenant{i}", networks=networks, sas_name=None)
        tenant.sas, tenant.sas_name = topo.sas, topo.sas_name
        made.append((tenant, add_load_balancer(vnc, tenant, f"web{i}", listeners=[spec(i)])))
    return made


def transactions(bigip: Any) -> dict[str, tuple[float, float]]:
    """Each committed transaction's span on the device: from its first command's arrival to
    the end of its commit (``PATCH /mgmt/tm/transaction/<id>``)."""
    writes = requests.get(f"{bigip.url}/_emulator/writes", verify=False).json()["items"]
    first: dict[str, float] = {}
    spans = {}
    for entry in writes:
        if entry["transaction"]:
            first.setdefault(entry["transaction"], entry["start"])
    for entry in writes:
        if entry["method"] == "PATCH" and entry["path"].startswith("/mgmt/tm/transaction/"):
            trans_id = entry["path"].rstrip("/").rsplit("/", 1)[1]
            spans[trans_id] = (first[trans_id], entry["end"])
    return spans


def overlapping(spans: dict[str, tuple[float, float]]) -> int:
    """The most transactions in progress at one moment."""
    edges = sorted([(s, 1) for s, _e in spans.values()] + [(e, -1) for _s, e in spans.values()])
    most = now = 0
    for _t, step in edges:
        now += step
        most = max(most, now)
    return most


def status(vnc: Any, lb_uuid: str) -> tuple[str, str]:
    props = vnc.loadbalancer_read(id=lb_uuid).get_loadbalancer_properties()
    return props.provisioning_status, props.status or ""


def virtuals(bigip: Any) -> set[str]:
    return {f"/{v.partition}/{v.name}" for v in device(bigip).tm.ltm.virtuals.get_collection()}


@pytest.mark.parametrize("connections", [4, 1])
def test_partitions_are_applied_side_by_side(
    bigip, vnc, topo, cli, monkeypatch, connections
) -> None:
    made = tenants(vnc, topo)
    monkeypatch.setenv("CONTRAIL_F5_DEVICE_CONNECTIONS", str(connections))
    control(bigip, "latency", {"fixed": 0.03}, "PUT")
    requests.delete(f"{bigip.url}/_emulator/writes", verify=False)
    assert cli("--once").code == 0
    spans = transactions(bigip)
    assert len(spans) == TENANTS  # one transaction per partition
    if connections == 1:
        assert overlapping(spans) == 1  # one after another
    else:
        # Transactions of different partitions were on the device at the same time (at most
        # one per connection): the latency is spent side by side.
        assert 2 <= overlapping(spans) <= connections
    for tenant, ids in made:
        assert status(vnc, ids.loadbalancer)[0] == "ACTIVE"
        assert f"/Contrail_{tenant.project}/Contrail_{ids.listeners[0].listener}" in virtuals(bigip)
    control(bigip, "latency", {"fixed": 0}, "PUT")
    requests.delete(f"{bigip.url}/_emulator/writes", verify=False)
    assert cli("--once").code == 0
    writes = requests.get(f"{bigip.url}/_emulator/writes", verify=False).json()["items"]
    writes = [w for w in writes if w["path"].startswith("/mgmt/tm/")]  # not the logins
    assert writes == []  # idempotent: the parallel read sees exactly what was written


def test_a_refused_partition_among_parallel_ones_holds_only_its_load_balancer(
    bigip, vnc, topo, cli
) -> None:
    """A virtual in /Common (which we never read) takes one tenant's VIP:port; that tenant's
    partition is refused and applied again one load balancer at a time, while the other
    partitions go through on the other connections."""
    made = tenants(vnc, topo)
    tenant, bad = made[2]
    good = add_load_balancer(vnc, tenant, "good", listeners=[spec(2)])  # same partition
    device(bigip).tm.ltm.virtuals.virtual.create(
        name="handmade", partition="Common", destination=f"/Common/{bad.vip}:80"
    )
    control(bigip, "latency", {"fixed": 0.01}, "PUT")
    assert cli("--once").code == 1
    state, reason = status(vnc, bad.loadbalancer)
    assert state == "ERROR" and ("01070333" in reason or "0107176c" in reason)
    assert status(vnc, good.loadbalancer)[0] == "ACTIVE"
    live = virtuals(bigip)
    assert f"/Contrail_{tenant.project}/Contrail_{good.listeners[0].listener}" in live
    for other, ids in made:
        if ids is not bad:
            assert status(vnc, ids.loadbalancer)[0] == "ACTIVE"
            assert f"/Contrail_{other.project}/Contrail_{ids.listeners[0].listener}" in live


def test_statuses_are_written_as_partitions_land(bigip, vnc, topo, cli, contrail, monkeypatch):
    """An operator waiting through an initial sync sees load balancers, their pools and
    members go ACTIVE partition by partition, while the device is still being written
    — not all at once at the end — and each status is written once when the device's
    operating status is the one expected. One connection, so the partitions land one after
    another."""
    made = tenants(vnc, topo)
    monkeypatch.setenv("CONTRAIL_F5_DEVICE_CONNECTIONS", "1")
    control(bigip, "latency", {"fixed": 0.03}, "PUT")
    requests.delete(f"{bigip.url}/_emulator/writes", verify=False)
    requests.delete(f"{contrail.url}/_emulator/writes")
    assert cli("--once").code == 0
    commits = sorted(end for _start, end in transactions(bigip).values())
    assert len(commits) == TENANTS
    writes = requests.get(f"{contrail.url}/_emulator/writes").json()["items"]
    member_statuses = [w["end"] for w in writes if w["path"].startswith("/loadbalancer-member/")]
    assert len(member_statuses) == TENANTS * MEMBERS
    # the first members' statuses were written before the last partition was committed
    assert min(member_statuses) < commits[-1]
    lb_statuses = [w["end"] for w in writes if w["path"].startswith("/loadbalancer/")]
    assert min(lb_statuses) < commits[-1]
    assert len(lb_statuses) == TENANTS  # monitored and up, as first written: not again
    for _tenant, ids in made:  # and in the end every one of them is there
        assert status(vnc, ids.loadbalancer)[0] == "ACTIVE"
        for member in ids.listeners[0].members:
            props = vnc.loadbalancer_member_read(id=member).get_loadbalancer_member_properties()
            assert props.status == "ACTIVE"
