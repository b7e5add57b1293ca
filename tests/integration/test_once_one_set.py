"""``reconcile --once --sas`` reads the set it names and the sets sharing its devices, not the
others (the Contrail emulator counts every object it serves whole); without ``--sas`` it
reads everything, as it reconciles every set."""

from __future__ import annotations

from typing import Any

import requests

from emulators.contrail.topology import (
    ListenerSpec,
    PoolSpec,
    add_appliance_set,
    add_load_balancer,
    seed_topology,
)
from tests.integration.conftest import DEVICE_PASSWORD, DEVICE_USER
from tests.integration.test_shared_device import TEAM_B_NETWORKS


def _web(vnc: Any, topo: Any, name: str, sas: str, member: str) -> Any:
    pool = PoolSpec(members=[(member, 8080, 1)])
    return add_load_balancer(
        vnc, topo, name, listeners=[ListenerSpec("HTTP", 80, pool=pool)], provider=sas
    )


def _read_whole(contrail: Any) -> dict[str, int]:
    return requests.delete(f"{contrail.url}/_emulator/served", timeout=5).json()["whole"]


def test_once_for_one_set_reads_it_and_its_device_neighbours_only(
    bigip, contrail, vnc, topo, cli
) -> None:
    kv = {"port": str(bigip.port), "user": DEVICE_USER, "password": DEVICE_PASSWORD}
    team_b = seed_topology(vnc, project="team-b", networks=TEAM_B_NETWORKS, sas_name=None)
    add_appliance_set(vnc, "f5-neighbour", {**kv, "address": bigip.host})  # the same device
    add_appliance_set(vnc, "f5-far", {**kv, "address": "192.0.2.1"})  # another device
    ours = _web(vnc, topo, "web-ours", "f5", "10.2.0.11")
    neighbour = _web(vnc, team_b, "web-neighbour", "f5-neighbour", "10.12.0.11")
    far = _web(vnc, team_b, "web-far", "f5-far", "10.12.0.12")

    _read_whole(contrail)
    run = cli("--once", "--sas", "f5")
    assert run.code == 0, run.out + run.err
    read = _read_whole(contrail)
    assert ours.loadbalancer in read
    assert neighbour.loadbalancer in read  # conflict detection compares it: read
    assert far.loadbalancer not in read
    assert far.listeners[0].listener not in read and far.listeners[0].pool not in read

    cli("--once", "--dry-run")
    assert far.loadbalancer in _read_whole(contrail)  # every set: everything read
