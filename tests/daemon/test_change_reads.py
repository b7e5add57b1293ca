"""A change costs the Contrail reads of what changed, not a walk of its load balancer.

Against a real API server every GET pays a round trip (and, without TCP_NODELAY on the
server, a delayed-ACK stall): seven sequential GETs per change made a one-member change
take ~390 ms there. The Contrail emulator counts the GETs the daemon sends.
"""

from __future__ import annotations

from typing import Any

import requests

from tests.daemon.conftest import wait_until
from tests.daemon.test_daemon import pool_members, web


def contrail_gets(contrail: Any, reset: bool = False) -> dict[str, int]:
    """GETs the Contrail emulator answered since the last reset, by path."""
    url = f"{contrail.url}/_emulator/counters"
    seen = (requests.delete if reset else requests.get)(url, timeout=5).json()
    return {k: v for k, v in seen["by_path"].items() if k.startswith("GET ")}


def settled(daemon: Any) -> None:
    wait_until(lambda: daemon.metric_sum("contrail_f5_workqueue_depth") == 0)


def test_a_member_change_costs_one_contrail_read(bigip, contrail, vnc, topo, daemon_factory):
    ids = web(vnc, topo, "web", members=3)
    daemon = daemon_factory(resync=300)
    wait_until(daemon.ready, timeout=30)
    settled(daemon)
    member = vnc.loadbalancer_member_read(id=ids.listeners[0].members[1])
    props = member.get_loadbalancer_member_properties()
    props.weight = 7
    member.set_loadbalancer_member_properties(props)

    contrail_gets(contrail, reset=True)
    vnc.loadbalancer_member_update(member)
    partition = f"Contrail_{topo.project}"
    pool = ids.listeners[0].pool
    wait_until(lambda: pool_members(bigip, partition, pool)["10.2.3.2:8080"].ratio == 7)
    settled(daemon)

    gets = contrail_gets(contrail)
    assert sum(gets.values()) <= 2, gets  # the member; never its load balancer's subtree
    assert not [path for path in gets if "loadbalancer-listener" in path], gets


def test_a_load_balancer_change_reads_the_load_balancer_only(
    bigip, contrail, vnc, topo, daemon_factory
):
    ids = web(vnc, topo, "web", members=3)
    daemon = daemon_factory(resync=300)
    wait_until(daemon.ready, timeout=30)
    settled(daemon)
    lb = vnc.loadbalancer_read(id=ids.loadbalancer)
    lb.set_display_name("renamed")

    reads = daemon.metric_sum("contrail_f5_contrail_reads_total")
    contrail_gets(contrail, reset=True)
    vnc.loadbalancer_update(lb)
    wait_until(lambda: daemon.metric_sum("contrail_f5_contrail_reads_total") > reads)
    settled(daemon)

    gets = contrail_gets(contrail)
    assert sum(gets.values()) <= 2, gets
