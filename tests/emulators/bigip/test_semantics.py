"""Device behaviour reconcilers trip over: defaults, %RD spelling, integrity errors, generation."""

from __future__ import annotations

import pytest
from icontrol.exceptions import iControlUnexpectedHTTPError

from tests.emulators.bigip.conftest import control, raw


def error_of(call, *args, **kwargs):
    with pytest.raises(iControlUnexpectedHTTPError) as err:
        call(*args, **kwargs)
    return err.value.response.status_code, err.value.response.json()


def test_duplicate_is_409_with_device_message(mgmt, partition):
    mgmt.tm.ltm.pools.pool.create(name="x", partition=partition)
    status, body = error_of(mgmt.tm.ltm.pools.pool.create, name="x", partition=partition)
    assert status == 409
    assert body["message"] == "01020066:3: The requested Pool (/P/x) already exists in partition P."
    assert body["errorStack"] == [] and body["apiError"] == 3


def test_missing_pool_is_404_with_device_message(mgmt, partition):
    status, body = error_of(mgmt.tm.ltm.pools.pool.load, name="x", partition=partition)
    assert (status, body["message"]) == (
        404,
        "01020036:3: The requested Pool (/P/x) was not found.",
    )


def test_pool_in_use_cannot_be_deleted(mgmt, partition):
    pool = mgmt.tm.ltm.pools.pool.create(name="x", partition=partition)
    mgmt.tm.ltm.virtuals.virtual.create(
        name="vs", partition=partition, destination="10.0.0.1:80", pool="/P/x"
    )
    status, body = error_of(pool.delete)
    assert status == 400
    assert body["message"] == (
        "01070265:3: The Pool (/P/x) cannot be deleted because it is in use by a Virtual Server (/P/vs)."
    )


def test_defaults_are_filled_in(mgmt, partition):
    pool = mgmt.tm.ltm.pools.pool.create(name="x", partition=partition)
    assert pool.loadBalancingMode == "round-robin"
    vs = mgmt.tm.ltm.virtuals.virtual.create(
        name="vs", partition=partition, destination="10.0.0.1:80"
    )
    assert vs.source == "0.0.0.0/0"
    assert vs.translateAddress == "enabled"
    assert vs.sourceAddressTranslation == {"type": "none"}
    assert vs.vlansDisabled is True
    assert [p.fullPath for p in vs.profiles_s.get_collection()] == ["/Common/tcp"]
    monitor = mgmt.tm.ltm.monitor.https.http.create(name="m", partition=partition)
    assert (monitor.interval, monitor.timeout) == (5, 16)


def test_route_domain_spelling(mgmt, partition):
    mgmt.tm.net.route_domains.route_domain.create(name="rd3", partition=partition, id=3)
    pool = mgmt.tm.ltm.pools.pool.create(name="x", partition=partition)
    default_rd = pool.members_s.members.create(name="10.0.0.1%2:80", partition=partition)
    other_rd = pool.members_s.members.create(name="10.0.0.1%3:80", partition=partition)
    # A device keeps the name as given; only the address field is canonical.
    assert (default_rd.name, default_rd.address) == ("10.0.0.1%2:80", "10.0.0.1")
    assert (other_rd.name, other_rd.address) == ("10.0.0.1%3:80", "10.0.0.1%3")
    # Both spellings find the member in the default route domain; %-names are URL-encoded.
    assert pool.members_s.members.exists(name="10.0.0.1%252:80", partition=partition)
    assert pool.members_s.members.exists(name="10.0.0.1:80", partition=partition)
    assert not pool.members_s.members.exists(name="10.0.0.1%253:81", partition=partition)
    vs = mgmt.tm.ltm.virtuals.virtual.create(
        name="vs", partition=partition, destination="/P/10.1.1.1%3:443"
    )
    assert vs.destination == "/P/10.1.1.1%3:443"
    assert vs.source == "0.0.0.0%3/0"
    nodes = {(n.name, n.address) for n in mgmt.tm.ltm.nodes.get_collection()}
    assert nodes == {("10.0.0.1%2", "10.0.0.1"), ("10.0.0.1%3", "10.0.0.1%3")}
    assert mgmt.tm.ltm.nodes.node.exists(name="10.0.0.1", partition=partition)
    vas = {(v.name, v.address) for v in mgmt.tm.ltm.virtual_address_s.get_collection()}
    assert vas == {("10.1.1.1%3", "10.1.1.1%3")}


def test_unknown_route_domain_is_400(mgmt, partition):
    pool = mgmt.tm.ltm.pools.pool.create(name="x", partition=partition)
    status, body = error_of(
        pool.members_s.members.create, name="10.0.0.1%9:80", partition=partition
    )
    assert status == 400 and "route domain (9)" in body["message"]


def test_member_auto_creates_node_and_node_in_use(mgmt, partition):
    pool = mgmt.tm.ltm.pools.pool.create(name="x", partition=partition)
    member = pool.members_s.members.create(name="10.0.0.7:8080", partition=partition)
    node = mgmt.tm.ltm.nodes.node.load(name="10.0.0.7", partition=partition)
    assert node.address == "10.0.0.7"
    status, body = error_of(node.delete)
    assert status == 400 and "referenced by a member of pool '/P/x'" in body["message"]
    member.delete()
    node.delete()


def test_virtual_address_auto_created_and_deleted(mgmt, partition):
    vs1 = mgmt.tm.ltm.virtuals.virtual.create(
        name="a", partition=partition, destination="10.2.0.1:80"
    )
    vs2 = mgmt.tm.ltm.virtuals.virtual.create(
        name="b", partition=partition, destination="10.2.0.1:443"
    )
    va = mgmt.tm.ltm.virtual_address_s.virtual_address.load(name="10.2.0.1", partition=partition)
    assert va.autoDelete == "true"
    vs1.delete()
    assert mgmt.tm.ltm.virtual_address_s.virtual_address.exists(
        name="10.2.0.1", partition=partition
    )
    vs2.delete()
    assert not mgmt.tm.ltm.virtual_address_s.virtual_address.exists(
        name="10.2.0.1", partition=partition
    )


def test_explicit_virtual_address_is_used_and_kept(mgmt, partition):
    mgmt.tm.ltm.virtual_address_s.virtual_address.create(
        name="Project_lb1", partition=partition, address="10.3.0.1%2", autoDelete="false"
    )
    vs = mgmt.tm.ltm.virtuals.virtual.create(
        name="vs", partition=partition, destination="10.3.0.1:80"
    )
    assert [v.name for v in mgmt.tm.ltm.virtual_address_s.get_collection()] == ["Project_lb1"]
    va = mgmt.tm.ltm.virtual_address_s.virtual_address.load(name="Project_lb1", partition=partition)
    status, body = error_of(va.delete)
    assert status == 400 and "in use by a Virtual Server (/P/vs)" in body["message"]
    vs.delete()
    assert mgmt.tm.ltm.virtual_address_s.virtual_address.exists(
        name="Project_lb1", partition=partition
    )


def test_read_only_fields_cannot_change(mgmt, partition, server):
    from tests.emulators.bigip.conftest import raw

    mgmt.tm.ltm.virtual_address_s.virtual_address.create(
        name="va", partition=partition, address="10.4.0.1"
    )
    url = "/mgmt/tm/ltm/virtual-address/~P~va"
    assert raw(server, "PATCH", url, json={"address": "10.4.0.2"}).status_code == 400
    same = raw(server, "PATCH", url, json={"address": "10.4.0.1%2", "description": "same"})
    assert same.status_code == 200  # the same address in another spelling is no change
    rd_url = "/mgmt/tm/net/route-domain/~P~P"
    assert raw(server, "PATCH", rd_url, json={"id": 7}).status_code == 400
    rd = mgmt.tm.net.route_domains.route_domain.load(name="P", partition=partition)
    rd.update(description="PUT with id unchanged")
    assert rd.id == 2
    pool = mgmt.tm.ltm.pools.pool.create(name="x", partition=partition)
    pool.members_s.members.create(name="10.0.0.1:80", partition=partition)
    member_url = "/mgmt/tm/ltm/pool/~P~x/members/~P~10.0.0.1:80"
    assert raw(server, "PATCH", member_url, json={"address": "10.0.0.2"}).status_code == 400


def test_bad_references_are_400(mgmt, partition):
    create = mgmt.tm.ltm.virtuals.virtual.create
    cases = [
        {"pool": "nope"},
        {"rules": ["/P/nope"]},
        {"persist": [{"name": "nope"}]},
        {"profiles": ["/Common/nope"]},
        {"vlans": ["/P/nope"], "vlansEnabled": True},
        {"sourceAddressTranslation": {"type": "snat", "pool": "nope"}},
    ]
    for i, extra in enumerate(cases):
        status, body = error_of(
            create, name=f"vs{i}", partition=partition, destination="10.0.0.1:80", **extra
        )
        assert status == 400 and "was not found" in body["message"], extra
    status, _ = error_of(
        mgmt.tm.ltm.pools.pool.create, name="p", partition=partition, monitor="/P/nope"
    )
    assert status == 400
    assert mgmt.tm.ltm.virtuals.get_collection() == []
    assert mgmt.tm.ltm.virtual_address_s.get_collection() == []  # rolled back with the virtual


def test_monitor_timeout_must_exceed_interval(mgmt, partition):
    status, _ = error_of(
        mgmt.tm.ltm.monitor.https.http.create,
        name="m",
        partition=partition,
        interval=10,
        timeout=10,
    )
    assert status == 400
    monitor = mgmt.tm.ltm.monitor.https.http.create(name="m", partition=partition)
    status, _ = error_of(monitor.modify, timeout=3)
    assert status == 400


@pytest.mark.parametrize(
    "destination", ["10.0.0.300:80", "10.0.0.1:99999", "nonsense", "10.0.0.1%x:80"]
)
def test_malformed_address_is_400(mgmt, partition, destination):
    status, _ = error_of(
        mgmt.tm.ltm.virtuals.virtual.create, name="vs", partition=partition, destination=destination
    )
    assert status == 400


def test_folder_not_empty_and_missing_folder(mgmt, partition):
    mgmt.tm.ltm.pools.pool.create(name="x", partition=partition)
    status, body = error_of(mgmt.tm.sys.folders.folder.load(name=partition).delete)
    assert status == 400 and "not empty" in body["message"]
    status, _ = error_of(mgmt.tm.ltm.pools.pool.create, name="x", partition="Nowhere")
    assert status == 400


def test_generation_strictly_increases(mgmt, partition):
    seen = []
    pool = mgmt.tm.ltm.pools.pool.create(name="x", partition=partition)
    seen.append(pool.generation)
    for i in range(3):
        pool.modify(description=str(i))
        seen.append(pool.generation)
    member = pool.members_s.members.create(name="10.0.0.1:80", partition=partition)
    seen.append(member.generation)
    assert seen == sorted(set(seen))


def test_put_resets_unspecified_fields_and_ignores_read_only_keys(mgmt, partition, server):
    from tests.emulators.bigip.conftest import raw

    pool = mgmt.tm.ltm.pools.pool.create(
        name="x", partition=partition, description="d", slowRampTime=5
    )
    body = dict(pool.raw)
    body.pop("_meta_data")
    body.pop("description")
    body["kind"] = "tm:something:else"
    body["generation"] = 1
    response = raw(server, "PUT", "/mgmt/tm/ltm/pool/~P~x", json=body)
    assert response.status_code == 200
    assert "description" not in response.json()
    assert response.json()["slowRampTime"] == 5
    assert response.json()["kind"] == "tm:ltm:pool:poolstate"


def test_builtins_exist_and_cannot_be_deleted(mgmt):
    tcp = mgmt.tm.ltm.profile.tcps.tcp.load(name="tcp", partition="Common")
    assert mgmt.tm.ltm.persistence.source_addrs.source_addr.exists(
        name="source_addr", partition="Common"
    )
    status, _ = error_of(tcp.delete)
    assert status == 400


def test_pool_collection_stats_report_every_pools_availability(server, mgmt) -> None:
    mgmt.tm.ltm.pools.pool.create(name="web", partition="Common", monitor="/Common/tcp")
    pool = mgmt.tm.ltm.pools.pool.load(name="web", partition="Common")
    pool.members_s.members.create(name="10.0.0.1:80", partition="Common")
    pool.members_s.members.create(name="10.0.0.2:80", partition="Common")
    control(
        server, "availability", {"pool": "/Common/web", "member": "10.0.0.2:80", "state": "offline"}
    )
    answer = raw(server, "GET", "/mgmt/tm/ltm/pool/stats").json()
    assert answer["kind"] == "tm:ltm:pool:poolcollectionstats"
    (entry,) = [e["nestedStats"]["entries"] for k, e in answer["entries"].items() if "~web" in k]
    assert entry["status.availabilityState"]["description"] == "available"
    assert (entry["activeMemberCnt"]["value"], entry["memberCnt"]["value"]) == (1, 2)


def test_monitor_names_are_unique_across_monitor_types(mgmt) -> None:
    mgmt.tm.ltm.monitor.https.http.create(name="X", partition="Common")
    with pytest.raises(iControlUnexpectedHTTPError) as error:
        mgmt.tm.ltm.monitor.tcps.tcp.create(name="X", partition="Common")
    assert error.value.response.status_code == 409
    assert "already exists" in error.value.response.json()["message"]


def test_pool_members_inline_in_the_pool_body(mgmt, partition):
    """``members`` or ``membersReference.items`` in a pool body: the members (and their
    nodes, named as the members write them) are created; a PUT replaces them."""
    pools = mgmt.tm.ltm.pools
    items = [{"name": "10.0.0.1%2:80", "partition": partition, "ratio": 2}]
    pool = pools.pool.create(name="x", partition=partition, membersReference={"items": items})
    members = pool.members_s.get_collection()
    assert [(m.name, m.address, m.ratio) for m in members] == [("10.0.0.1%2:80", "10.0.0.1", 2)]
    assert mgmt.tm.ltm.nodes.node.load(name="10.0.0.1%252", partition=partition).address == (
        "10.0.0.1"
    )
    # A PUT with other items replaces the members; a plain reference sent back keeps them.
    pool.update(membersReference={"items": [{"name": "10.0.0.2:8080", "partition": partition}]})
    assert [m.name for m in pool.members_s.get_collection()] == ["10.0.0.2:8080"]
    pool.refresh()
    pool.update(description="members untouched")
    assert [m.name for m in pool.members_s.get_collection()] == ["10.0.0.2:8080"]
    other = pools.pool.create(name="y", partition=partition, members=["10.0.0.3:443"])
    assert [m.name for m in other.members_s.get_collection()] == ["10.0.0.3:443"]
    # Two spellings of one member are one member.
    status, body = error_of(
        other.members_s.members.create, name="10.0.0.3%2:443", partition=partition
    )
    assert status == 409


def test_collections_f5_cccl_reads_exist(mgmt, partition):
    params = {"params": f"$filter=partition eq {partition}"}
    assert mgmt.tm.ltm.data_group.internals.get_collection(requests_params=params) == []
    assert mgmt.tm.sys.application.services.get_collection(requests_params=params) == []
    group = mgmt.tm.ltm.data_group.internals.internal.create(
        name="dg", partition=partition, type="string", records=[{"name": "a", "data": "1"}]
    )
    assert group.kind == "tm:ltm:data-group:internal:internalstate"
    assert group.records == [{"name": "a", "data": "1"}]


def test_member_stats_name_the_node_it_resolved_to(mgmt, partition):
    mgmt.tm.ltm.nodes.node.create(name="10.0.0.1", partition=partition, address="10.0.0.1")
    pool = mgmt.tm.ltm.pools.pool.create(name="x", partition=partition)
    # Spelled with the partition's route domain: the same node, not a second one.
    member = pool.members_s.members.create(name="10.0.0.1%2:80", partition=partition)
    assert [n.name for n in mgmt.tm.ltm.nodes.get_collection()] == ["10.0.0.1"]
    entries = member.stats.load().entries
    (nested,) = entries.values()
    assert nested["nestedStats"]["entries"]["nodeName"]["description"] == "/P/10.0.0.1"


def test_one_node_per_address_and_route_domain_on_the_whole_device(mgmt, partition):
    """A member's node is named after the member; an address that already is a node under
    another name, or in another partition (Common included), is refused with 0107003a
    (f5-ansible #823, f5-openstack-lbaasv2-driver #235). Another route domain is another
    address."""
    mgmt.tm.ltm.nodes.node.create(name="web1", partition=partition, address="10.0.0.1")
    pool = mgmt.tm.ltm.pools.pool.create(name="x", partition=partition)
    status, body = error_of(pool.members_s.members.create, name="10.0.0.1:80", partition=partition)
    assert status == 400
    assert body["message"] == (
        "0107003a:3: Pool member node (/P/10.0.0.1) and existing node (/P/web1) "
        "cannot use the same IP Address (10.0.0.1)."
    )
    # Common's pool, route domain 0: 10.0.0.1 there is another address than 10.0.0.1%2.
    common = mgmt.tm.ltm.pools.pool.create(name="c", partition="Common")
    common.members_s.members.create(name="10.0.0.1:80", partition="Common")
    mgmt.tm.sys.folders.folder.create(name="Q", subPath="/")
    q_pool = mgmt.tm.ltm.pools.pool.create(name="q", partition="Q")  # route domain 0 too
    status, body = error_of(q_pool.members_s.members.create, name="10.0.0.1:80", partition="Q")
    assert status == 400
    assert "0107003a" in body["message"] and "existing node (/Common/10.0.0.1)" in body["message"]
    status, body = error_of(
        mgmt.tm.ltm.nodes.node.create, name="n", partition="Q", address="10.0.0.1"
    )
    assert status == 409 and "/Common/10.0.0.1" in body["message"]
    assert [m.name for m in q_pool.members_s.get_collection()] == []
