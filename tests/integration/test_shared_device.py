"""Two F5 service-appliance-sets (two teams, two projects) whose devices are one BIG-IP:
each set's pass leaves the other set's objects alone, with the same prefix on one device."""

from __future__ import annotations

from typing import Any

from emulators.contrail.topology import (
    ListenerSpec,
    MonitorSpec,
    PoolSpec,
    add_load_balancer,
    seed_topology,
)
from tests.integration.conftest import DEVICE_PASSWORD, DEVICE_USER, counters, device

TEAM_B_NETWORKS = {
    "management": "172.16.20.0/24",
    "external": "10.11.0.0/16",
    "internal": "10.12.0.0/16",
    "public": "198.51.100.0/24",
}


def _service(vnc: Any, topo: Any, name: str, member_net: str) -> Any:
    pool = PoolSpec(members=[(f"{member_net}.0.11", 8080, 1)], monitor=MonitorSpec("HTTP"))
    return add_load_balancer(vnc, topo, name, listeners=[ListenerSpec("HTTP", 80, pool=pool)])


def _virtuals(bigip: Any) -> set[str]:
    mgmt = device(bigip)
    return {f"/{v.partition}/{v.name}" for v in mgmt.tm.ltm.virtuals.get_collection()}


def test_two_sets_sharing_one_device_keep_each_others_objects(bigip, vnc, topo, cli) -> None:
    team_b = seed_topology(
        vnc,
        project="team-b",
        networks=TEAM_B_NETWORKS,
        sas_name="f5-team-b",
        sas_kv={
            "address": bigip.host,
            "port": str(bigip.port),
            "user": DEVICE_USER,
            "password": DEVICE_PASSWORD,
        },
    )
    a = _service(vnc, topo, "web-a", "10.2")
    b = _service(vnc, team_b, "web-b", "10.12")
    expected = {
        f"/Contrail_{topo.project}/Contrail_{a.listeners[0].listener}",
        f"/Contrail_{team_b.project}/Contrail_{b.listeners[0].listener}",
    }

    for sas in ("f5", "f5-team-b"):
        assert cli("--once", "--sas", sas).code == 0
    for _round in range(3):  # each set's pass, again and again: nobody deletes the other
        for sas in ("f5", "f5-team-b"):
            run = cli("--once", "--sas", sas)
            assert run.code == 0, run.out + run.err
            assert _virtuals(bigip) == expected

    counters(bigip, reset=True)
    for sas in ("f5", "f5-team-b"):
        assert cli("--once", "--sas", sas).code == 0
    assert counters(bigip)["writes"] == 0  # converged: neither set undoes the other

    # The plan says whose objects the others are.
    plan = cli("--once", "--dry-run", "--sas", "f5", "--output", "json").json()
    others = {
        (o["path"], o["service_appliance_set"]) for d in plan["devices"] for o in d["other_sets"]
    }
    assert (f"/Contrail_{team_b.project}/Contrail_{b.listeners[0].listener}", "f5-team-b") in (
        others
    )
    assert plan["summary"]["delete"] == 0
