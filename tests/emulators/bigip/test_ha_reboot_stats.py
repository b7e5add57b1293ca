"""HA device groups, save + reboot, dump/load, and member availability in stats."""

from __future__ import annotations

import pytest
from f5.bigip import ManagementRoot

import emulators.bigip as bigip
from tests.emulators.bigip.conftest import control, raw


@pytest.fixture
def pair():
    servers = [bigip.start(hostname="bigip1"), bigip.start(hostname="bigip2")]
    yield servers
    for srv in servers:
        srv.stop()


def sync_status(mgmt):
    entries = mgmt.tm.cm.sync_status.load().entries
    return next(iter(entries.values()))["nestedStats"]["entries"]["status"]["description"]


def failover_status(mgmt):
    entries = mgmt.tm.cm.failover_status.load().entries
    return next(iter(entries.values()))["nestedStats"]["entries"]["status"]["description"]


def test_config_sync_and_failover(pair):
    one, two = pair
    dg = bigip.group([one.app, two.app], name="dg1")
    m1 = ManagementRoot("127.0.0.1", "admin", "admin", port=one.port)
    m2 = ManagementRoot("127.0.0.1", "admin", "admin", port=two.port)
    devices = {d.name: (d.failoverState, d.selfDevice) for d in m1.tm.cm.devices.get_collection()}
    assert devices == {"bigip1": ("active", "true"), "bigip2": ("standby", "false")}
    groups = m2.tm.cm.device_groups.get_collection()
    assert [(g.name, g.type) for g in groups] == [("dg1", "sync-failover")]
    assert sync_status(m1) == sync_status(m2) == "In Sync"

    m1.tm.ltm.pools.pool.create(name="p1", partition="Common")
    assert sync_status(m1) == sync_status(m2) == "Changes Pending"
    assert not m2.tm.ltm.pools.pool.exists(name="p1", partition="Common")
    m1.tm.cm.exec_cmd("run", utilCmdArgs="config-sync to-group dg1")
    assert m2.tm.ltm.pools.pool.exists(name="p1", partition="Common")
    assert sync_status(m2) == "In Sync"

    assert (failover_status(m1), failover_status(m2)) == ("ACTIVE", "STANDBY")
    control(one, "failover", {})
    assert (failover_status(m1), failover_status(m2)) == ("STANDBY", "ACTIVE")
    assert dg.failover().hostname == "bigip1"


def test_auto_sync(pair):
    one, two = pair
    bigip.group([one.app, two.app], name="dg1")
    m1 = ManagementRoot("127.0.0.1", "admin", "admin", port=one.port)
    dg = m1.tm.cm.device_groups.device_group.load(name="dg1", partition="Common")
    dg.modify(autoSync="enabled")
    m1.tm.ltm.pools.pool.create(name="p1", partition="Common")
    assert raw(two, "GET", "/mgmt/tm/ltm/pool/~Common~p1").status_code == 200
    assert sync_status(m1) == "In Sync"


def test_standalone_sync_status(mgmt):
    assert sync_status(mgmt) == "Standalone"
    assert mgmt.tm.cm.device_groups.get_collection() == []


def test_reboot_loses_unsaved_config(server, mgmt):
    mgmt.tm.ltm.pools.pool.create(name="saved", partition="Common")
    mgmt.tm.sys.config.exec_cmd("save")
    mgmt.tm.ltm.pools.pool.create(name="unsaved", partition="Common")
    control(server, "restart", {"keep_state": True})
    assert mgmt.tm.ltm.pools.pool.exists(name="unsaved", partition="Common")
    control(server, "reboot", {"mode": "saved"})
    assert mgmt.tm.ltm.pools.pool.exists(name="saved", partition="Common")
    assert not mgmt.tm.ltm.pools.pool.exists(name="unsaved", partition="Common")
    control(server, "reboot", {"mode": "wipe"})
    assert mgmt.tm.ltm.pools.get_collection() == []


def test_save_via_util_bash(server, mgmt):
    mgmt.tm.ltm.pools.pool.create(name="p", partition="Common")
    mgmt.tm.util.bash.exec_cmd("run", utilCmdArgs="-c 'tmsh save sys config'")
    control(server, "restart", {"keep_state": False})
    assert mgmt.tm.ltm.pools.pool.exists(name="p", partition="Common")


def test_a_partitioned_save_keeps_only_the_named_partitions(server, mgmt, partition):
    """``save sys config partitions { P }`` writes P's file alone: after a reboot P's
    objects are as saved, Common's as at the last save that named it."""
    mgmt.tm.sys.config.exec_cmd("save")
    mgmt.tm.ltm.pools.pool.create(name="in_p", partition=partition)
    mgmt.tm.ltm.pools.pool.create(name="in_common", partition="Common")
    mgmt.tm.sys.config.exec_cmd("save", options=[{"partitions": f"{{ {partition} }}"}])
    control(server, "reboot", {"mode": "saved"})
    assert mgmt.tm.ltm.pools.pool.exists(name="in_p", partition=partition)
    assert not mgmt.tm.ltm.pools.pool.exists(name="in_common", partition="Common")


@pytest.mark.parametrize(
    "options, says",
    [
        ([{"partitions": "{ Nowhere }"}], "Nowhere"),
        ([{"partitions": "Common"}], "expected"),
        ([{"file": "/var/tmp/x.scf"}], "unexpected option"),
    ],
)
def test_a_save_with_a_bad_option_is_refused(mgmt, options, says):
    response = mgmt.icrs.session.post(
        mgmt._meta_data["uri"] + "tm/sys/config", json={"command": "save", "options": options}
    )
    assert response.status_code == 400 and says in response.json()["message"]


def test_dump_load_round_trip(server, mgmt, partition):
    pool = mgmt.tm.ltm.pools.pool.create(name="p", partition=partition)
    pool.members_s.members.create(name="10.0.0.1:80", partition=partition)
    mgmt.tm.ltm.virtuals.virtual.create(
        name="vs", partition=partition, destination="10.0.0.9:80", pool="p"
    )
    dumped = control(server, "dump", method="GET")
    control(server, "reboot", {"mode": "wipe"})
    assert not mgmt.tm.ltm.pools.pool.exists(name="p", partition=partition)
    control(server, "load", dumped)
    assert control(server, "dump", method="GET") == dumped
    # indexes are rebuilt: integrity still enforced after load
    response = raw(server, "DELETE", "/mgmt/tm/ltm/pool/~P~p")
    assert (
        response.status_code == 400 and "in use by a Virtual Server" in response.json()["message"]
    )


def test_member_availability_in_stats(server, mgmt, partition):
    pool = mgmt.tm.ltm.pools.pool.create(name="p", partition=partition, monitor="/Common/http")
    for ip in ("10.0.0.1", "10.0.0.2"):
        pool.members_s.members.create(name=f"{ip}:80", partition=partition)
    member = pool.members_s.members.load(name="10.0.0.1:80", partition=partition)

    def state(stats):
        return next(iter(stats.entries.values()))["nestedStats"]["entries"][
            "status.availabilityState"
        ]["description"]

    assert state(member.stats.load()) == "available"
    control(server, "availability", {"pool": "/P/p", "member": "10.0.0.1:80", "state": "offline"})
    assert state(member.stats.load()) == "offline"
    assert state(pool.stats.load()) == "available"
    control(server, "availability", {"pool": "/P/p", "member": "10.0.0.2:80", "state": "offline"})
    assert state(pool.stats.load()) == "offline"
    unmonitored = mgmt.tm.ltm.pools.pool.create(name="q", partition=partition)
    unmonitored.members_s.members.create(name="10.0.0.3:80", partition=partition)
    assert state(unmonitored.stats.load()) == "unknown"
