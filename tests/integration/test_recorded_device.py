"""The product on a device that answers as real BIG-IPs were recorded answering.

The emulator shows what recorded responses of real devices show and a reconciler can trip
on: from TMOS 14.1 ``sys/crypto/cert`` names certificates by full path with no partition and
no checksum (the checksum is on ``sys/file/ssl-cert``); a VLAN created without a tag gets one
from the device (4094 downwards); under a monitor a member is ``monitor-enabled`` and ``up``
or ``down``; a client-ssl profile attached without a context is ``clientside``; empty
sub-collections have no ``items``. TLS termination, L3 mode's VLANs and self IPs, and
monitored members converge on it, and a second pass writes nothing, at 13.1, 15.1 and 17.1.
"""

from __future__ import annotations

from typing import Any

import pytest

from emulators.contrail.topology import (
    ListenerSpec,
    MonitorSpec,
    PoolSpec,
    add_load_balancer,
    seed_topology,
)
from emulators.http import EmulatorServer
from tests.integration.conftest import (
    DEVICE_PASSWORD,
    DEVICE_USER,
    Run,
    control,
    counters,
    device,
)

CERT = b"-----BEGIN CERTIFICATE-----\nMIIBrecorded\n-----END CERTIFICATE-----\n"
KEY = b"-----BEGIN PRIVATE KEY-----\nMIIErecorded\n-----END PRIVATE KEY-----\n"


@pytest.fixture(params=["13.1.1", "15.1.0", "17.1.0"])
def bigip_version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def settles(cli: Any, bigip: EmulatorServer, *args: str) -> None:
    """A pass converges, and the next one writes nothing to the device."""
    first = cli("--once", *args)
    assert first.code == 0, first.out + first.err
    counters(bigip, reset=True)
    again = cli("--once", *args)
    assert again.code == 0, again.out + again.err
    assert counters(bigip)["writes"] == 0, counters(bigip)["by_path"]


def test_tls_termination_settles(bigip, bigip_version, vnc, topo, contrail, tmp_path) -> None:
    from reconciler.cli import main

    (tmp_path / "web-tls.crt").write_bytes(CERT)
    (tmp_path / "web-tls.key").write_bytes(KEY)
    conf = tmp_path / "reconciler.conf"
    conf.write_text(
        f"[DEFAULTS]\napi_server_ip = 127.0.0.1\napi_server_port = {contrail.port}\n"
        f"log_level = WARNING\ndevice_timeout = 5\ntls_certificate_dir = {tmp_path}\n"
    )

    def cli(*args: str) -> Run:
        return Run(main(["--config", str(conf), "--no-color", *args]), "", "")

    tls = ListenerSpec(
        "TERMINATED_HTTPS",
        443,
        pool=PoolSpec(members=[("10.0.0.11", 80, 1)]),
        default_tls_container="https://barbican.example/v1/containers/web-tls",
    )
    add_load_balancer(vnc, topo, "tls", listeners=[tls])
    settles(cli, bigip)

    partition = f"Contrail_{topo.project}"
    mgmt = device(bigip)
    crypto = [c.raw for c in mgmt.tm.sys.crypto.certs.get_collection()]
    ours = [c for c in crypto if c["name"].endswith("Contrail_web-tls.crt")]
    assert len(ours) == 1
    if bigip_version >= "14.1":
        assert ours[0]["name"] == f"/{partition}/Contrail_web-tls.crt"
        assert "checksum" not in ours[0] and "partition" not in ours[0]
    virtual = next(
        v
        for v in mgmt.tm.ltm.virtuals.get_collection(
            requests_params={"params": {"expandSubcollections": "true"}}
        )
        if v.destination.endswith(":443")
    )
    contexts = {p["name"]: p["context"] for p in virtual.profilesReference["items"]}
    assert contexts["Contrail_web-tls"] == "clientside"

    (tmp_path / "web-tls.crt").write_bytes(CERT.replace(b"recorded", b"renewed"))
    counters(bigip, reset=True)
    assert cli("--once").code == 0
    installs = [p for p in counters(bigip)["by_path"] if p.startswith("POST /mgmt/tm/sys/crypto")]
    assert installs == ["POST /mgmt/tm/sys/crypto/cert"]  # the renewed certificate only


NETWORKS = {"external": "10.1.0.0/24", "internal": "10.0.0.0/24"}


@pytest.mark.networking
def test_l3_vlans_and_self_ips_settle_with_the_tags_the_device_gave(bigip, vnc, cli) -> None:
    kv = {
        "address": bigip.host,
        "port": str(bigip.port),
        "user": DEVICE_USER,
        "password": DEVICE_PASSWORD,
        "global_routed_mode": "false",
        "interface_mapping": "external:1.1,internal:1.2",
    }
    topo = seed_topology(vnc, project="l3", networks=NETWORKS, sas_kv=kv)
    spec = [ListenerSpec("HTTP", 80, pool=PoolSpec(members=[("10.0.0.5", 80, 1)]))]
    add_load_balancer(vnc, topo, "web", listeners=spec)
    settles(cli, bigip)

    mgmt = device(bigip)
    vlans = [v for v in mgmt.tm.net.vlans.get_collection() if v.name.startswith("Contrail_")]
    assert sorted(v.tag for v in vlans) == [4093, 4094]  # untagged: the device's own tags
    selfs = [s for s in mgmt.tm.net.selfips.get_collection() if s.name.startswith("Contrail_")]
    assert len(selfs) == 2


def test_monitored_members_settle(bigip, vnc, topo, cli) -> None:
    monitor = MonitorSpec("HTTP", url_path="/health")
    pool = PoolSpec(members=[("10.0.0.21", 80, 1), ("10.0.0.22", 80, 2)], monitor=monitor)
    ids = add_load_balancer(vnc, topo, "web", listeners=[ListenerSpec("HTTP", 80, pool=pool)])
    member = vnc.loadbalancer_member_read(id=ids.listeners[0].members[1])
    props = member.get_loadbalancer_member_properties()
    props.admin_state = False
    member.set_loadbalancer_member_properties(props)
    vnc.loadbalancer_member_update(member)
    settles(cli, bigip)

    partition = f"Contrail_{topo.project}"
    path = f"/{partition}/Contrail_{ids.listeners[0].pool}"
    control(bigip, "availability", {"pool": path, "member": "10.0.0.21:80", "state": "offline"})
    loaded = device(bigip).tm.ltm.pools.pool.load(
        name=f"Contrail_{ids.listeners[0].pool}", partition=partition
    )
    shown = {m.name: (m.session, m.state) for m in loaded.members_s.get_collection()}
    assert shown == {
        "10.0.0.21:80": ("monitor-enabled", "down"),
        "10.0.0.22:80": ("user-disabled", "up"),
    }
    counters(bigip, reset=True)
    assert cli("--once").code == 0
    assert counters(bigip)["writes"] == 0
