"""Create, read, modify (PATCH), update (PUT) and delete every modelled type through f5-sdk."""

from __future__ import annotations

import io

import pytest
from icontrol.exceptions import iControlUnexpectedHTTPError

# (id, accessor from ManagementRoot to the resource factory, create kwargs, modify kwargs)
CASES = [
    ("vlan", lambda m: m.tm.net.vlans.vlan, {"name": "vlan-10", "tag": 10}, {"mtu": 9000}),
    (
        "tunnel",
        lambda m: m.tm.net.tunnels.tunnels.tunnel,
        {"name": "tunnel-vxlan-5", "key": 5, "profile": "/Common/vxlan"},
        {"mtu": 1450},
    ),
    ("monitor-http", lambda m: m.tm.ltm.monitor.https.http, {"name": "m1"}, {"interval": 7}),
    ("monitor-https", lambda m: m.tm.ltm.monitor.https_s.https, {"name": "m2"}, {"send": "GET /x"}),
    ("monitor-tcp", lambda m: m.tm.ltm.monitor.tcps.tcp, {"name": "m3"}, {"timeout": 31}),
    (
        "monitor-icmp",
        lambda m: m.tm.ltm.monitor.gateway_icmps.gateway_icmp,
        {"name": "m4"},
        {"interval": 3},
    ),
    (
        "pool",
        lambda m: m.tm.ltm.pools.pool,
        {"name": "pool1"},
        {"loadBalancingMode": "least-connections-member"},
    ),
    ("node", lambda m: m.tm.ltm.nodes.node, {"name": "n1", "address": "10.0.0.50"}, {"ratio": 2}),
    (
        "snat-translation",
        lambda m: m.tm.ltm.snat_translations.snat_translation,
        {"name": "10.0.0.9"},
        {"connectionLimit": 5},
    ),
    (
        "profile-http",
        lambda m: m.tm.ltm.profile.https.http,
        {"name": "h1"},
        {"insertXforwardedFor": "enabled"},
    ),
    (
        "profile-fastl4",
        lambda m: m.tm.ltm.profile.fastl4s.fastl4,
        {"name": "f1"},
        {"idleTimeout": "600"},
    ),
    ("profile-tcp", lambda m: m.tm.ltm.profile.tcps.tcp, {"name": "t1"}, {"nagle": "enabled"}),
    ("profile-udp", lambda m: m.tm.ltm.profile.udps.udp, {"name": "u1"}, {"idleTimeout": "30"}),
    (
        "profile-oneconnect",
        lambda m: m.tm.ltm.profile.one_connects.one_connect,
        {"name": "o1"},
        {"maxReuse": 10},
    ),
    (
        "profile-client-ssl",
        lambda m: m.tm.ltm.profile.client_ssls.client_ssl,
        {"name": "c1"},
        {"ciphers": "HIGH"},
    ),
    (
        "persist-source",
        lambda m: m.tm.ltm.persistence.source_addrs.source_addr,
        {"name": "s1"},
        {"timeout": "60"},
    ),
    (
        "persist-cookie",
        lambda m: m.tm.ltm.persistence.cookies.cookie,
        {"name": "k1"},
        {"expiration": "1:0"},
    ),
    (
        "persist-universal",
        lambda m: m.tm.ltm.persistence.universals.universal,
        {"name": "x1"},
        {"timeout": "3600"},
    ),
    (
        "rule",
        lambda m: m.tm.ltm.rules.rule,
        {"name": "r1", "apiAnonymous": "when HTTP_REQUEST {}"},
        {"apiAnonymous": "when CLIENT_ACCEPTED {}"},
    ),
    (
        "virtual-address",
        lambda m: m.tm.ltm.virtual_address_s.virtual_address,
        {"name": "va1", "address": "10.9.9.9", "autoDelete": "false"},
        {"enabled": "no"},
    ),
    (
        "virtual",
        lambda m: m.tm.ltm.virtuals.virtual,
        {"name": "vs1", "destination": "10.9.9.8:80"},
        {"connectionLimit": 10},
    ),
]


@pytest.mark.parametrize(
    ("accessor", "create", "patch"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_crud(mgmt, partition, accessor, create, patch):
    obj = accessor(mgmt).create(partition=partition, **create)
    assert obj.fullPath == f"/{partition}/{obj.name}"
    first_generation = obj.generation
    loaded = accessor(mgmt).load(name=obj.name, partition=partition)
    assert loaded.selfLink.startswith("https://localhost/mgmt/tm/")
    loaded.modify(**patch)
    for key, value in patch.items():
        assert getattr(loaded, key) == value
    assert loaded.generation > first_generation
    loaded.update(description="updated")  # PUT of the whole object, kind/selfLink included
    again = accessor(mgmt).load(name=obj.name, partition=partition)
    assert again.description == "updated"
    again.delete()
    assert not accessor(mgmt).exists(name=obj.name, partition=partition)
    with pytest.raises(iControlUnexpectedHTTPError) as err:
        accessor(mgmt).load(name=obj.name, partition=partition)
    assert err.value.response.status_code == 404
    assert "01020036:3: The requested" in err.value.response.json()["message"]


def test_folder_and_partition(mgmt):
    folder = mgmt.tm.sys.folders.folder.create(name="T1", subPath="/")
    assert folder.selfLink.startswith("https://localhost/mgmt/tm/sys/folder/~T1")
    assert mgmt.tm.sys.folders.folder.exists(name="T1")
    partition = mgmt.tm.auth.partitions.partition.load(name="T1")
    assert partition.defaultRouteDomain == 0
    partition.modify(description="tenant")
    mgmt.tm.sys.folders.folder.load(name="T1").delete()
    assert not mgmt.tm.auth.partitions.partition.exists(name="T1")
    mgmt.tm.auth.partitions.partition.create(name="T2")
    assert mgmt.tm.sys.folders.folder.exists(name="T2")


def test_route_domain_self_ip(mgmt, partition):
    vlan = mgmt.tm.net.vlans.vlan.create(name="vlan-7", partition=partition, tag=7)
    rd = mgmt.tm.net.route_domains.route_domain.load(name="P", partition=partition)
    rd.modify(vlans=["/P/vlan-7"])
    assert rd.vlans == ["/P/vlan-7"]
    self_ip = mgmt.tm.net.selfips.selfip.create(
        name="local-bigip1-s1", partition=partition, address="10.1.0.5%2/24", vlan="/P/vlan-7"
    )
    assert self_ip.address == "10.1.0.5/24"  # %2 is P's default route domain
    self_ip.modify(floating="enabled")
    with pytest.raises(iControlUnexpectedHTTPError) as err:
        vlan.delete()
    assert err.value.response.status_code == 400
    self_ip.delete()
    rd.modify(vlans=[])
    vlan.delete()


def test_cert_and_key_upload_install(mgmt):
    pem = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    mgmt.shared.file_transfer.uploads.upload_stringio(io.BytesIO(pem), "site.crt")
    mgmt.shared.file_transfer.uploads.upload_stringio(io.BytesIO(b"KEY"), "site.key")
    mgmt.tm.sys.crypto.certs.exec_cmd(
        "install", name="site.crt", **{"from-local-file": "/var/config/rest/downloads/site.crt"}
    )
    mgmt.tm.sys.crypto.keys.exec_cmd(
        "install", name="site.key", **{"from-local-file": "/var/config/rest/downloads/site.key"}
    )
    cert = mgmt.tm.sys.crypto.certs.cert.load(name="site.crt", partition="Common")
    assert cert.checksum.startswith(f"SHA1:{len(pem)}:")
    profile = mgmt.tm.ltm.profile.client_ssls.client_ssl.create(
        name="ssl1", partition="Common", cert="/Common/site.crt", key="/Common/site.key"
    )
    with pytest.raises(iControlUnexpectedHTTPError) as err:
        cert.delete()
    assert "in use by a profile (/Common/ssl1)" in err.value.response.json()["message"]
    profile.delete()
    cert.delete()


def test_pool_members_crud(mgmt, partition):
    pool = mgmt.tm.ltm.pools.pool.create(name="pool1", partition=partition)
    member = pool.members_s.members.create(name="10.0.0.1:80", partition=partition)
    assert member.kind == "tm:ltm:pool:members:membersstate"
    member.modify(session="user-disabled")
    member.update(ratio=5)
    loaded = pool.members_s.members.load(name="10.0.0.1:80", partition=partition)
    assert (loaded.ratio, loaded.session) == (5, "user-disabled")
    loaded.delete()
    assert not pool.members_s.members.exists(name="10.0.0.1:80", partition=partition)


def test_policy_draft_publish_and_legacy(mgmt, partition):
    policies = mgmt.tm.ltm.policys
    draft = policies.policy.create(
        name="pol1", partition=partition, subPath="Drafts", strategy="first-match"
    )
    assert draft.fullPath == "/P/Drafts/pol1"
    draft.modify(description="draft")
    assert draft.status == "draft"
    draft.publish()
    published = policies.policy.load(name="pol1", partition=partition)
    assert published.description == "draft"
    assert not policies.policy.exists(name="pol1", partition=partition, subPath="Drafts")
    legacy = policies.policy.create(
        name="pol2", partition=partition, legacy=True, strategy="first-match"
    )
    legacy.modify(legacy=True, description="x")
    vs = mgmt.tm.ltm.virtuals.virtual.create(
        name="vs", partition=partition, destination="10.0.0.1:80", policies=[{"name": "pol1"}]
    )
    assert [p.fullPath for p in vs.policies_s.get_collection()] == ["/P/pol1"]
    with pytest.raises(iControlUnexpectedHTTPError) as err:
        published.delete()
    assert "in use by a Virtual Server (/P/vs)" in err.value.response.json()["message"]
