"""`reconcile` as a long-running daemon: it follows every change, and says how it is doing."""

from __future__ import annotations

import json
import signal
import time
from typing import Any

from emulators.contrail.topology import (
    ListenerSpec,
    MonitorSpec,
    PoolSpec,
    add_load_balancer,
    delete_load_balancer,
)
from tests.daemon.conftest import update_member, wait_until
from tests.integration.conftest import counters, device


def web(vnc: Any, topo: Any, name: str, members: int = 3, port: int = 80) -> Any:
    pool = PoolSpec(
        "ROUND_ROBIN",
        members=[(f"10.2.3.{i}", 8080, 1) for i in range(1, members + 1)],
        monitor=MonitorSpec("HTTP"),
    )
    return add_load_balancer(vnc, topo, name, listeners=[ListenerSpec("HTTP", port, pool=pool)])


def pool_members(bigip: Any, partition: str, pool: str) -> dict[str, Any]:
    from icontrol.exceptions import iControlUnexpectedHTTPError

    mgmt = device(bigip)
    try:  # the daemon may delete it between any two of our requests
        loaded = mgmt.tm.ltm.pools.pool.load(name=f"Contrail_{pool}", partition=partition)
        return {m.name: m for m in loaded.members_s.get_collection()}
    except iControlUnexpectedHTTPError as exc:
        if exc.response.status_code == 404:
            return {}
        raise


def test_the_daemon_follows_create_change_and_delete(bigip, vnc, topo, daemon_factory) -> None:
    keep = web(vnc, topo, "keep")
    daemon = daemon_factory(resync=300)  # long: convergence must come from notifications
    wait_until(daemon.ready, timeout=30)
    partition = f"Contrail_{topo.project}"
    assert len(pool_members(bigip, partition, keep.listeners[0].pool)) == 3
    assert daemon.metric_sum("contrail_f5_sets_owned") == 1  # no ZooKeeper: every set is ours

    ids = web(vnc, topo, "web", members=2, port=8080)
    pool = ids.listeners[0].pool
    wait_until(lambda: len(pool_members(bigip, partition, pool)) == 2)

    update_member(vnc, ids.listeners[0].members[0], weight=9)
    wait_until(lambda: pool_members(bigip, partition, pool)["10.2.3.1:8080"].ratio == 9)

    delete_load_balancer(vnc, ids)
    wait_until(lambda: not pool_members(bigip, partition, pool))
    assert len(pool_members(bigip, partition, keep.listeners[0].pool)) == 3
    lb = vnc.loadbalancer_read(id=keep.loadbalancer).get_loadbalancer_properties()
    assert lb.provisioning_status == "ACTIVE"

    assert daemon.terminate() < 10
    assert daemon.process.returncode == 0
    from tests.integration.conftest import DEVICE_PASSWORD

    assert DEVICE_PASSWORD not in daemon.output()  # never in logs, whatever the level


def test_ten_rapid_changes_cost_at_most_two_reconciles(bigip, vnc, topo, daemon_factory) -> None:
    ids = web(vnc, topo, "web", members=1)
    daemon = daemon_factory(resync=300)
    wait_until(daemon.ready, timeout=30)
    before = daemon.metric_sum("contrail_f5_reconciles_total", scope="load-balancer")
    member = vnc.loadbalancer_member_read(id=ids.listeners[0].members[0])
    for weight in range(2, 12):
        props = member.get_loadbalancer_member_properties()
        props.weight = weight
        member.set_loadbalancer_member_properties(props)
        vnc.loadbalancer_member_update(member)
    partition = f"Contrail_{topo.project}"
    pool = ids.listeners[0].pool
    wait_until(lambda: pool_members(bigip, partition, pool)["10.2.3.1:8080"].ratio == 11)
    wait_until(lambda: daemon.metric_sum("contrail_f5_workqueue_depth") == 0)
    after = daemon.metric_sum("contrail_f5_reconciles_total", scope="load-balancer")
    assert 1 <= after - before <= 2


def test_a_single_member_change_costs_one_device_write(bigip, vnc, topo, daemon_factory) -> None:
    ids = web(vnc, topo, "web", members=3)
    daemon = daemon_factory(resync=300)
    wait_until(daemon.ready, timeout=30)
    wait_until(lambda: daemon.metric_sum("contrail_f5_workqueue_depth") == 0)
    import time

    time.sleep(2)  # let the batched save of the initial sync happen
    counters(bigip, reset=True)
    update_member(vnc, ids.listeners[0].members[1], admin_state=False)
    partition = f"Contrail_{topo.project}"
    pool = ids.listeners[0].pool
    wait_until(
        lambda: pool_members(bigip, partition, pool)["10.2.3.2:8080"].session == "user-disabled"
    )
    seen = counters(bigip)
    config_writes = {
        k: v
        for k, v in seen["by_path"].items()
        if not k.startswith("GET") and "sys/config" not in k
    }
    assert sum(config_writes.values()) == 1, seen
    assert not [k for k in seen["by_path"] if k.startswith("GET") and "collection" in k]


def test_metrics_parse_and_readiness_waits_for_the_first_sync(
    bigip, contrail, vnc, topo, daemon_factory
) -> None:
    web(vnc, topo, "web")
    port = contrail.port
    contrail.stop()  # Contrail down: the daemon cannot sync
    daemon = daemon_factory(resync=300, api_port=port)
    wait_until(lambda: daemon.get("/healthz") is not None, timeout=20)
    assert daemon.get("/healthz").status_code == 200
    answer = daemon.get("/readyz")
    assert answer.status_code == 503 and answer.json()["ready"] is False
    import emulators.contrail as contrail_emulator

    revived = contrail_emulator.start(port=port)
    revived.app.load(contrail.app.dump())
    try:
        wait_until(daemon.ready, timeout=40)
        names = {name for name, _labels in daemon.metrics()}
        assert "contrail_f5_bigip_rest_calls_total" in names
        assert "contrail_f5_last_successful_sync_timestamp_seconds" in names
        assert "contrail_f5_reconcile_duration_seconds_bucket" in names
        assert "device-pw" not in daemon.get("/metrics").text
    finally:
        revived.stop()


def test_the_daemon_keeps_the_vip_route_table_equal_to_the_live_vips(
    bigip, vnc, topo, daemon_factory
) -> None:
    from tests.integration.test_vip_routes import prefixes, set_kv, vltm_external_vmi

    set_kv(vnc, topo, external_vmi=vltm_external_vmi(vnc, topo))
    keep = web(vnc, topo, "keep")
    daemon = daemon_factory(resync=300)
    wait_until(daemon.ready, timeout=30)

    def routes() -> list[str]:
        tables = vnc.interface_route_tables_list(detail=True)
        return prefixes(tables[0], "interface_route_table_routes") if tables else []

    wait_until(lambda: routes() == [f"{keep.vip}/32"])
    ids = web(vnc, topo, "web", members=1, port=8080)
    wait_until(lambda: routes() == sorted([f"{keep.vip}/32", f"{ids.vip}/32"]))
    delete_load_balancer(vnc, ids)
    wait_until(lambda: routes() == [f"{keep.vip}/32"])
    # A VIP that moves: the change's own pass takes the old route out (it plans only that
    # load balancer's routes, old and new, and keeps the rest of the table as it is)
    moved = keep.vip.rsplit(".", 1)[0] + ".200"
    lb = vnc.loadbalancer_read(id=keep.loadbalancer)
    props = lb.get_loadbalancer_properties()
    props.set_vip_address(moved)
    lb.set_loadbalancer_properties(props)
    vnc.loadbalancer_update(lb)
    wait_until(lambda: routes() == [f"{moved}/32"])


def test_a_deletion_guard_refusal_is_reported_once_and_not_retried(
    bigip, vnc, topo, daemon_factory
) -> None:
    """A refusal is terminal: no backoff retries, one warning, the objects stay — until a
    change (here: the operator's) makes the pass different."""
    lbs = [web(vnc, topo, f"web{i}", port=80 + i) for i in range(3)]
    daemon = daemon_factory(resync=1, max_delete_fraction=0.05, delete_guard_min_objects=1)
    wait_until(daemon.ready, timeout=30)
    partition = f"Contrail_{topo.project}"
    pool = lbs[0].listeners[0].pool

    # 11 of 33 objects: more than 5%. The daemon is paused while Contrail deletes the subtree
    # object by object, so that it hears the whole deletion at once, as one change (a member
    # deleted on its own would be a small delete, rightly let through).
    assert daemon.process is not None
    daemon.process.send_signal(signal.SIGSTOP)
    try:
        delete_load_balancer(vnc, lbs[0])
    finally:
        daemon.process.send_signal(signal.SIGCONT)
    wait_until(lambda: "deletion guard" in daemon.output(), timeout=15)

    def guards() -> list[str]:
        lines = daemon.output().splitlines()
        return [json.loads(line)["reason"] for line in lines if '"deletion guard"' in line]

    # The deletion's notifications settle (each may see a part of it): at least 2 s, and
    # until what is said has not changed for 2 s (a busy host delivers them later).
    time.sleep(2)
    seen: list[list[str]] = []

    def quiet() -> bool:
        seen.append(guards())
        return len(seen) >= 5 and all(s == seen[-1] for s in seen[-5:])

    wait_until(quiet, timeout=30, every=0.5, what="the guard's messages settled")
    said = guards()
    time.sleep(4)  # four more resyncs, and room for backoff retries of the refused key
    assert guards() == said  # the same refusal is not said again, however many passes see it
    assert len(said) == len(set(said))
    lines = daemon.output().splitlines()
    assert len(pool_members(bigip, partition, pool)) == 3  # nothing was deleted
    key = lbs[0].loadbalancer
    retries = [line for line in lines if '"will retry"' in line and key in line]
    assert not retries  # terminal: no backoff retries (the resyncs still look every second)


def test_its_own_status_writes_cost_no_device_pass(bigip, vnc, topo, daemon_factory) -> None:
    """The API server notifies every update, the daemon's status writes too. Each echo was
    a device pass: after an initial sync of 24,000 load balancers, ~73,000 of them kept the
    daemon busy for minutes while a user's change waited in the queue behind them. A change
    of statuses alone now passes no device; a status someone else overwrote is still put
    back."""
    lbs = [web(vnc, topo, f"web{i}", members=2) for i in range(3)]
    daemon = daemon_factory(resync=300)
    wait_until(daemon.ready, timeout=30)

    def provisioning(lb: Any) -> str:
        props = vnc.loadbalancer_read(id=lb.loadbalancer).get_loadbalancer_properties()
        return str(props.provisioning_status)

    wait_until(lambda: all(provisioning(lb) == "ACTIVE" for lb in lbs))
    # The echoes of the initial sync's status writes (load balancers, pools, members) read
    # back and merged: then nothing is queued.
    wait_until(
        lambda: (
            daemon.metric_sum("contrail_f5_contrail_reads_total", scope="load-balancer") >= len(lbs)
            and daemon.metric_sum("contrail_f5_workqueue_depth") == 0
        ),
        timeout=30,
    )
    time.sleep(2)
    assert daemon.metric_sum("contrail_f5_reconciles_total", scope="load-balancer") == 0

    # Someone else's status write is a change of statuses alone too: put back, no device pass.
    counters(bigip, reset=True)
    lb = vnc.loadbalancer_read(id=lbs[0].loadbalancer)
    props = lb.get_loadbalancer_properties()
    props.provisioning_status = "ERROR"
    lb.set_loadbalancer_properties(props)
    vnc.loadbalancer_update(lb)
    wait_until(lambda: provisioning(lbs[0]) == "ACTIVE", timeout=20)
    assert daemon.metric_sum("contrail_f5_reconciles_total", scope="load-balancer") == 0
    assert counters(bigip)["writes"] == 0

    # A user's change still goes to the device.
    update_member(vnc, lbs[1].listeners[0].members[0], weight=7)
    partition = f"Contrail_{topo.project}"
    pool = lbs[1].listeners[0].pool
    wait_until(lambda: pool_members(bigip, partition, pool)["10.2.3.1:8080"].ratio == 7)
