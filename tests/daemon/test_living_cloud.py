"""The daemon in a cloud that keeps moving: L3 tenants that come and go, and a config-sync
pair that fails over in the middle of a burst of changes. Each was a field failure: the
daemon forgot its own address allocations, and wrote to the standby after a failover."""

from __future__ import annotations

import time
from typing import Any

import requests

from emulators.contrail.topology import (
    ListenerSpec,
    PoolSpec,
    add_load_balancer,
    delete_load_balancer,
    seed_topology,
)
from tests.daemon.conftest import wait_until
from tests.daemon.test_daemon import pool_members
from tests.integration.conftest import DEVICE_PASSWORD, DEVICE_USER, device

RACE_SECONDS = 0.3  # between asking a device whether it is active and writing to it
KV = {"global_routed_mode": "false", "interface_mapping": "external:1.1,internal:1.2"}
NETWORKS = {"external": "10.1.0.0/24", "internal": "10.0.0.0/24"}


def l3_state(bigip: Any, partition: str) -> tuple[list[str], list[str]]:
    """(self IPs of the tenant's partition, source translation of its virtuals)."""
    mgmt = device(bigip)
    selfs = sorted(s.name for s in mgmt.tm.net.selfips.get_collection() if s.partition == partition)
    translations = sorted(
        str(v.sourceAddressTranslation.get("type"))
        for v in mgmt.tm.ltm.virtuals.get_collection()
        if v.partition == partition
    )
    return selfs, translations


def owned_ips(vnc: Any, topo: Any) -> list[str]:
    """Our instance-ips in the tenant's subnets (they are named after the subnet)."""
    subnets = set(topo.subnets.values())
    return sorted(
        i.name
        for i in vnc.instance_ips_list(detail=True)
        if i.name.startswith("Contrail_") and any(s in i.name for s in subnets)
    )


def test_an_l3_tenant_keeps_its_self_ips_and_snat_across_passes_and_leaves_cleanly(
    bigip, vnc, daemon_factory
) -> None:
    one = seed_topology(
        vnc,
        project="one",
        networks=NETWORKS,
        sas_kv={
            **KV,
            "address": "127.0.0.1",
            "port": str(bigip.port),
            "user": DEVICE_USER,
            "password": DEVICE_PASSWORD,
        },
    )
    spec = [ListenerSpec("HTTP", 80, pool=PoolSpec(members=[("10.0.0.5", 80, 1)]))]
    add_load_balancer(vnc, one, "web-one", listeners=spec)
    daemon = daemon_factory(resync=1)
    wait_until(daemon.ready, timeout=60)

    two = seed_topology(vnc, project="two", networks=NETWORKS, sas_name=None)
    two.sas, two.sas_name = one.sas, one.sas_name
    ids = add_load_balancer(vnc, two, "web-two", listeners=spec)
    partition = f"Contrail_{two.project}"

    def converged() -> bool:
        selfs, translations = l3_state(bigip, partition)
        return len(selfs) == 2 and translations == ["snat"]

    wait_until(converged, timeout=30, what="the tenant's self IPs and SNAT pool")
    # the second tenant's overlapping member address, in its own route domain
    assert "10.0.0.5%2:80" in pool_members(bigip, partition, ids.listeners[0].pool)
    allocated = owned_ips(vnc, two)
    assert len(allocated) == 2 * 2  # 2 subnets × (1 device's self IP + 1 SNAT address)

    def passes() -> float:
        return daemon.metric_sum("contrail_f5_reconciles_total", scope="set")

    start = passes()
    seen: list[tuple[list[str], list[str]]] = []
    while passes() < start + 20:  # twenty whole-set passes, sampled in between
        seen.append(l3_state(bigip, partition))
        done = passes()
        wait_until(lambda done=done: passes() > done, timeout=30, every=0.05)
    assert all(len(s) == 2 and t == ["snat"] for s, t in seen), seen
    assert owned_ips(vnc, two) == allocated  # nothing allocated twice or dropped
    assert "RefsExistError" not in daemon.output() and "allocation failed" not in daemon.output()

    delete_load_balancer(vnc, ids)
    wait_until(lambda: l3_state(bigip, partition) == ([], []), timeout=30)
    wait_until(lambda: owned_ips(vnc, two) == [], timeout=30, what="released addresses")
    for uuid in two.networks.values():  # nothing of ours holds the tenant's networks
        vnc.virtual_network_delete(id=uuid)


def test_a_failover_mid_burst_writes_nothing_to_the_standby_and_loses_no_change(
    vnc, daemon_factory
) -> None:
    import emulators.bigip as bigip_emulator
    from emulators.contrail.topology import add_appliance_set
    from tests.daemon.conftest import update_member
    from tests.integration.conftest import add_appliances, control

    pair = [
        bigip_emulator.start(user=DEVICE_USER, password=DEVICE_PASSWORD, hostname=f"bigip{i}")
        for i in (1, 2)
    ]
    try:
        bigip_emulator.group([s.app for s in pair], name="dg1")
        topo = seed_topology(vnc, sas_name=None)
        sas = add_appliance_set(vnc, "f5", {"sync_mode": "config-sync"}, ha_mode="active-backup")
        add_appliances(vnc, sas, pair)
        topo.sas, topo.sas_name = sas.uuid, "f5"
        members = [(f"10.2.4.{i}", 80, 1) for i in range(1, 6)]
        spec = [ListenerSpec("TCP", 443, pool=PoolSpec(members=members))]
        ids = add_load_balancer(vnc, topo, "web", listeners=spec)
        daemon = daemon_factory(resync=300)
        wait_until(daemon.ready, timeout=60)
        partition, pool = f"Contrail_{topo.project}", f"Contrail_{ids.listeners[0].pool}"

        weights: dict[str, int] = {}
        member_uuids = ids.listeners[0].members
        failover_at = 0.0
        for n in range(50):
            if n == 25:
                control(pair[0], "failover", {"to": "bigip2"})
                failover_at = time.time()
            uuid = member_uuids[n % len(member_uuids)]
            weights[uuid] = n + 2
            update_member(vnc, uuid, weight=n + 2)
            time.sleep(0.05)

        def ratios(server: Any) -> dict[str, int]:
            mgmt = device(server)
            if not mgmt.tm.ltm.pools.pool.exists(name=pool, partition=partition):
                return {}
            loaded = mgmt.tm.ltm.pools.pool.load(name=pool, partition=partition)
            return {m.address.split("%")[0]: m.ratio for m in loaded.members_s.get_collection()}

        expected = {
            vnc.loadbalancer_member_read(id=u).get_loadbalancer_member_properties().address: w
            for u, w in weights.items()
        }
        wait_until(lambda: ratios(pair[1]) == expected, timeout=60, what="every change on bigip2")
        writes = requests.get(f"{pair[0].url}/_emulator/writes", verify=False).json()["items"]
        # An apply that asked bigip1 whether it is active just before the failover may still
        # begin its transaction a moment after it (the device cannot fence us): that moment
        # is allowed, nothing later.
        settled = failover_at + RACE_SECONDS
        before = {w["transaction"] for w in writes if w["start"] < settled and w["transaction"]}
        late = [
            w
            for w in writes
            if w["start"] >= settled and (not w["transaction"] or w["transaction"] not in before)
        ]
        assert late == [], late  # nothing begun on the old active after it became standby
        status = daemon.get("/status.json")
        assert status is not None
        roles = {
            d["name"]: d.get("role") for s in status.json()["sets"] for d in s.get("devices", [])
        }
        assert roles.get("bigip2") == "active" and roles.get("bigip1") == "standby", roles
    finally:
        for server in pair:
            server.stop()


def test_a_change_does_not_wait_behind_a_save_in_flight(bigip, vnc, topo, daemon_factory) -> None:
    """``save sys config`` takes seconds on a large device; the daemon saves beside its
    changes, not in their way."""
    from tests.daemon.conftest import update_member
    from tests.daemon.test_daemon import web
    from tests.integration.conftest import control

    ids = web(vnc, topo, "web", members=2)
    daemon = daemon_factory(resync=300)
    wait_until(daemon.ready, timeout=60)
    partition, pool = f"Contrail_{topo.project}", ids.listeners[0].pool
    hang = 6.0
    control(
        bigip,
        "faults",
        {"kind": "hang", "path": "/mgmt/tm/sys/config", "method": "POST", "seconds": hang},
    )
    first, second = ids.listeners[0].members
    update_member(vnc, first, weight=5)  # a write, then a save once the device is quiet

    def hanging() -> bool:
        return control(bigip, "faults", None, method="GET").json()["faults"] == []

    wait_until(hanging, timeout=15, what="the deferred save to reach the device")
    save_began = time.monotonic()
    update_member(vnc, second, weight=7)

    def landed() -> bool:
        return any(m.ratio == 7 for m in pool_members(bigip, partition, pool).values())

    wait_until(landed, timeout=hang * 2, what="the second change on the device")
    assert time.monotonic() - save_began < hang  # on the device while the save still hung
