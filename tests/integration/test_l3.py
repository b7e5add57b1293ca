"""L3 (route-domain) mode: overlapping tenant subnets on an HA pair."""

from __future__ import annotations

from typing import Any

import pytest

from emulators.contrail.topology import ListenerSpec, PoolSpec, add_load_balancer, seed_topology
from tests.integration.conftest import (
    DEVICE_PASSWORD,
    DEVICE_USER,
    add_appliances,
    counters,
    device,
)

pytestmark = pytest.mark.networking

NETWORKS = {"external": "10.1.0.0/24", "internal": "10.0.0.0/24"}
KV = {"global_routed_mode": "false", "interface_mapping": "external:1.1,internal:1.2"}


@pytest.fixture
def second_bigip() -> Any:
    from emulators.bigip import start

    server = start(user=DEVICE_USER, password=DEVICE_PASSWORD)
    yield server
    server.stop()


def ha_pair(vnc: Any, topo: Any, servers: list[Any]) -> None:
    add_appliances(vnc, vnc.service_appliance_set_read(id=topo.sas), servers)


def test_overlapping_subnets_of_two_projects_get_two_route_domains_on_both_devices(
    bigip, second_bigip, vnc, cli
) -> None:
    one = seed_topology(vnc, project="one", networks=NETWORKS, sas_kv={**KV, "user": "x"})
    ha_pair(vnc, one, [bigip, second_bigip])
    two = seed_topology(vnc, project="two", networks=NETWORKS, sas_name=None)
    two.sas, two.sas_name = one.sas, one.sas_name
    spec = [ListenerSpec("HTTP", 80, pool=PoolSpec(members=[("10.0.0.5", 80, 1)]))]
    lbs = [add_load_balancer(vnc, t, f"web-{t.project[:4]}", listeners=spec) for t in (one, two)]

    plan = cli("--once", "--dry-run")
    assert plan.code == 2, plan.out + plan.err
    assert "instance-ip" in plan.out and "net/route-domain" in plan.out
    assert not any(i.name.startswith("Contrail_") for i in vnc.instance_ips_list(detail=True))
    assert counters(bigip)["writes"] == 0

    run = cli("--once")
    assert run.code == 0, run.out + run.err
    ids_by_device = []
    for server in (bigip, second_bigip):
        mgmt = device(server)
        rds = {
            rd.partition: rd.id
            for rd in mgmt.tm.net.route_domains.get_collection()
            if rd.partition.startswith("Contrail_")
        }
        ids_by_device.append(rds)
        assert sorted(rds.values()) == [1, 2]
        members = set()
        for t in (one, two):
            partition = f"Contrail_{t.project}"
            for pool in mgmt.tm.ltm.pools.get_collection(
                requests_params={"params": f"$filter=partition+eq+{partition}"}
            ):
                members |= {m.name for m in pool.members_s.get_collection()}
        assert members == {"10.0.0.5%1:80", "10.0.0.5%2:80"}
        selfs = [s for s in mgmt.tm.net.selfips.get_collection() if s.name.startswith("Contrail_")]
        assert len(selfs) == 4  # one per subnet (internal, external) per project
    assert ids_by_device[0] == ids_by_device[1]  # the HA pair agrees on every id

    owned = [i for i in vnc.instance_ips_list(detail=True) if i.name.startswith("Contrail_")]
    assert len(owned) == 2 * 2 * 3  # 2 projects × 2 subnets × (2 self IPs + 1 SNAT)

    counters(bigip, reset=True)
    assert cli("--once").code == 0
    assert counters(bigip)["writes"] == 0
    del lbs


def test_l3_dry_run_lists_every_object_and_address_the_apply_creates(bigip, vnc, cli) -> None:
    """The plan is what the apply does: a dry run shows the self IPs, SNAT translations and
    SNAT pool (with where their addresses will come from) and virtuals using that pool."""
    topo = seed_topology(vnc, project="one", networks=NETWORKS, sas_kv={**KV, "user": "x"})
    ha_pair(vnc, topo, [bigip])
    spec = [ListenerSpec("HTTP", 80, pool=PoolSpec(members=[("10.0.0.5", 80, 1)]))]
    add_load_balancer(vnc, topo, "web", listeners=spec)

    def objects(plan: Any) -> dict[tuple[str, str], dict[str, Any]]:
        return {
            (op["kind"], op["name"]): op
            for d in plan["devices"]
            for op in d["operations"]
            if op["action"] == "create"
        }

    dry = cli("--once", "--dry-run", "--output", "json")
    assert dry.code == 2, dry.err
    planned = objects(dry.json())
    allocations = [c for c in dry.json()["contrail"] if c["type"] == "instance-ip"]

    applied = cli("--once", "--output", "json")
    assert applied.code == 0, applied.err
    made = objects(applied.json())
    assert set(planned) == set(made)  # every object, the self IPs and SNAT included
    kinds = {kind for kind, _name in made}
    assert {"net/self", "ltm/snat-translation", "ltm/snatpool"} <= kinds
    assert len(allocations) == 4  # 2 subnets × (1 device's self IP + 1 SNAT address)
    made_allocations = [c for c in applied.json()["contrail"] if c["type"] == "instance-ip"]
    assert {tuple(c["fq_name"]) for c in allocations} == {
        tuple(c["fq_name"]) for c in made_allocations
    }
    for key, op in made.items():
        if key[0] == "ltm/virtual":  # the same SNAT as the apply, not automap
            assert (
                planned[key]["fields"]["sourceAddressTranslation"]
                == (op["fields"]["sourceAddressTranslation"])
            )
            assert op["fields"]["sourceAddressTranslation"]["type"] == "snat"
    for (kind, _name), op in planned.items():
        if kind == "net/self":
            assert "allocated from" in op["fields"]["address"]
