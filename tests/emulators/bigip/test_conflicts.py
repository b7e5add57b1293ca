"""Conflicts a BIG-IP refuses, through f5-sdk: two virtuals on one listener (01070333) and
two virtual addresses for one IP (0107176c), in a route domain across partitions, and the
same checks at a transaction's commit (the whole transaction fails, nothing is applied).
Sources per rule: docs/emulators/bigip.md, "Rules and their sources"."""

from __future__ import annotations

from typing import Any

import pytest
from f5.bigip.contexts import TransactionContextManager
from f5.sdk_exception import TransactionSubmitException
from icontrol.exceptions import iControlUnexpectedHTTPError


def folder(mgmt: Any, name: str, rd: int = 0) -> str:
    mgmt.tm.sys.folders.folder.create(name=name, subPath="/")
    if rd:
        mgmt.tm.net.route_domains.route_domain.create(name=f"rd{rd}", partition=name, id=rd)
        mgmt.tm.auth.partitions.partition.load(name=name).modify(defaultRouteDomain=rd)
    return name


@pytest.fixture
def p1(mgmt: Any) -> str:
    return folder(mgmt, "P1")


@pytest.fixture
def p2(mgmt: Any) -> str:
    return folder(mgmt, "P2")


def virtual(mgmt: Any, partition: str, name: str, destination: str, **fields: Any) -> Any:
    return mgmt.tm.ltm.virtuals.virtual.create(
        name=name, partition=partition, destination=f"/{partition}/{destination}", **fields
    )


def refused(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(iControlUnexpectedHTTPError) as err:
        call(*args, **kwargs)
    return err.value.response.status_code, err.value.response.json()["message"]


SHARED = (
    "01070333:3: Virtual Server {} illegally shares both address and port with Virtual Server {}."
)


def test_same_destination_in_another_partition_is_refused(mgmt, p1, p2):
    virtual(mgmt, p1, "a", "10.0.0.5:80")
    status, message = refused(virtual, mgmt, p2, "b", "10.0.0.5:80")
    assert (status, message) == (400, SHARED.format("/P2/b", "/P1/a"))
    assert not mgmt.tm.ltm.virtuals.virtual.exists(name="b", partition=p2)
    # Nothing was left behind by the refused create (no virtual address in P2).
    assert [(v.partition, v.name) for v in mgmt.tm.ltm.virtual_address_s.get_collection()] == [
        ("P1", "10.0.0.5")
    ]


def test_same_destination_in_one_partition_is_refused(mgmt, p1):
    virtual(mgmt, p1, "a", "10.0.0.5:80")
    assert refused(virtual, mgmt, p1, "b", "10.0.0.5%0:80") == (
        400,
        SHARED.format("/P1/b", "/P1/a"),
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"destination": "10.0.0.5:80"}, {"destination": "10.0.0.5:443"}),  # another port
        ({"destination": "10.0.0.5:80"}, {"destination": "10.0.0.5:0"}),  # any port vs one
        ({"destination": "10.0.0.5:53"}, {"destination": "10.0.0.5:53", "ipProtocol": "udp"}),
        (
            {"destination": "10.0.0.5:80"},
            {"destination": "10.0.0.5:80", "source": "192.0.2.0/24"},
        ),
        (
            {"destination": "10.0.0.0:80", "mask": "255.255.255.0"},
            {"destination": "10.0.0.0:80"},
        ),
        (
            {"destination": "10.0.0.5:80", "vlansEnabled": True, "vlans": ["/Common/v1"]},
            {"destination": "10.0.0.5:80", "vlansEnabled": True, "vlans": ["/Common/v2"]},
        ),
        (
            {"destination": "10.0.0.5:80", "vlansDisabled": True, "vlans": ["/Common/v1"]},
            {"destination": "10.0.0.5:80", "vlansEnabled": True, "vlans": ["/Common/v1"]},
        ),
    ],
    ids=["port", "any-port", "protocol", "source", "mask", "vlans", "vlans-complement"],
)
def test_listeners_that_differ_may_share_an_address(mgmt, p1, p2, first, second):
    mgmt.tm.net.vlans.vlan.create(name="v1", partition="Common")
    mgmt.tm.net.vlans.vlan.create(name="v2", partition="Common")
    first, second = dict(first), dict(second)
    virtual(mgmt, p1, "a", first.pop("destination"), **first)
    virtual(mgmt, p2, "b", second.pop("destination"), **second)
    assert mgmt.tm.ltm.virtuals.virtual.exists(name="b", partition=p2)


def test_overlapping_vlans_are_refused(mgmt, p1):
    mgmt.tm.net.vlans.vlan.create(name="v1", partition="Common")
    mgmt.tm.net.vlans.vlan.create(name="v2", partition="Common")
    virtual(mgmt, p1, "a", "10.0.0.5:80", vlansEnabled=True, vlans=["/Common/v1", "/Common/v2"])
    status, message = refused(
        virtual, mgmt, p1, "b", "10.0.0.5:80", vlansEnabled=True, vlans=["/Common/v2"]
    )
    assert (status, message) == (400, SHARED.format("/P1/b", "/P1/a"))
    # All VLANs (the default) overlaps everything.
    assert refused(virtual, mgmt, p1, "c", "10.0.0.5:80")[0] == 400


def test_same_destination_in_another_route_domain_is_allowed(mgmt, p1):
    p3 = folder(mgmt, "P3", rd=3)
    virtual(mgmt, p1, "a", "10.0.0.5:80")
    virtual(mgmt, p3, "b", "10.0.0.5:80")
    virtual(mgmt, p1, "c", "10.0.0.5%3:81")
    assert refused(virtual, mgmt, p1, "d", "10.0.0.5%3:80") == (
        400,
        SHARED.format("/P1/d", "/P3/b"),
    )


def test_a_change_into_a_shared_destination_is_refused(mgmt, p1, p2):
    virtual(mgmt, p1, "a", "10.0.0.5:80")
    b = virtual(mgmt, p2, "b", "10.0.0.5:81")
    status, message = refused(b.modify, destination="/P2/10.0.0.5:80")
    assert (status, message) == (400, SHARED.format("/P2/b", "/P1/a"))
    assert mgmt.tm.ltm.virtuals.virtual.load(name="b", partition=p2).destination == (
        "/P2/10.0.0.5:81"
    )
    # The same virtual may of course keep (re-PUT) its own destination.
    b.modify(description="unchanged listener")


def test_another_partitions_virtual_address_ip_is_refused(mgmt, p1, p2):
    va = mgmt.tm.ltm.virtual_address_s.virtual_address
    va.create(name="vip", partition=p1, address="10.0.0.5")
    status, message = refused(va.create, name="vip", partition=p2, address="10.0.0.5")
    expected = "0107176c:3: Invalid Virtual Address, the IP address 10.0.0.5 already exists."
    assert (status, message) == (400, expected)
    # By its IP as name, in its own partition under another name: the same answer.
    assert refused(va.create, name="10.0.0.5", partition=p2) == (400, expected)
    assert refused(va.create, name="other", partition=p1, address="10.0.0.5%0") == (400, expected)
    # The same name is a plain duplicate (409); another route domain is another address.
    assert refused(va.create, name="vip", partition=p1, address="10.0.0.6")[0] == 409
    p3 = folder(mgmt, "P3", rd=3)
    assert va.create(name="vip", partition=p3, address="10.0.0.5").address == "10.0.0.5"


def test_a_virtual_uses_the_address_another_partition_holds(mgmt, p1, p2):
    """A virtual on a new port of an IP held in another partition is accepted (as in tmsh
    and the GUI: f5-appsvcs-extension #741); it does not create a second virtual address."""
    virtual(mgmt, p1, "a", "10.0.0.5:80")
    virtual(mgmt, p2, "b", "10.0.0.5:8080")
    addresses = mgmt.tm.ltm.virtual_address_s.get_collection()
    assert [(v.partition, v.name) for v in addresses] == [("P1", "10.0.0.5")]
    mgmt.tm.ltm.virtuals.virtual.load(name="a", partition=p1).delete()
    assert mgmt.tm.ltm.virtual_address_s.virtual_address.exists(name="10.0.0.5", partition=p1)
    mgmt.tm.ltm.virtuals.virtual.load(name="b", partition=p2).delete()
    assert mgmt.tm.ltm.virtual_address_s.get_collection() == []


def test_shared_destination_fails_the_whole_transaction(mgmt, p1, p2):
    pool = mgmt.tm.ltm.pools.pool.create(name="keep", partition=p1)
    tx = mgmt.tm.transactions.transaction
    with pytest.raises(TransactionSubmitException) as err, TransactionContextManager(tx) as api:
        api.tm.ltm.pools.pool.load(name="keep", partition=p1).modify(description="changed")
        virtual(api, p1, "a", "10.0.0.5:80")
        virtual(api, p2, "b", "10.0.0.5:80")
    assert f"transaction failed:{SHARED.format('/P2/b', '/P1/a')}" in str(err.value)
    assert "command 3: POST /mgmt/tm/ltm/virtual" in str(err.value)
    assert mgmt.tm.ltm.virtuals.get_collection() == []
    assert mgmt.tm.ltm.virtual_address_s.get_collection() == []
    kept = mgmt.tm.ltm.pools.pool.load(name="keep", partition=p1)
    assert (kept.generation, getattr(kept, "description", None)) == (pool.generation, None)


def test_duplicate_virtual_address_fails_the_whole_transaction(mgmt, p1, p2):
    va = mgmt.tm.ltm.virtual_address_s.virtual_address
    tx = mgmt.tm.transactions.transaction
    with pytest.raises(TransactionSubmitException) as err, TransactionContextManager(tx) as api:
        api.tm.ltm.virtual_address_s.virtual_address.create(
            name="vip", partition=p1, address="10.0.0.5"
        )
        virtual(api, p1, "a", "10.0.0.5:80")
        api.tm.ltm.virtual_address_s.virtual_address.create(
            name="vip", partition=p2, address="10.0.0.5"
        )
    assert (
        "transaction failed:0107176c:3: Invalid Virtual Address, the IP address 10.0.0.5 "
        "already exists." in str(err.value)
    )
    assert not va.exists(name="vip", partition=p1)
    assert mgmt.tm.ltm.virtuals.get_collection() == []


def test_a_transaction_may_move_a_listener(mgmt, p1, p2):
    """Within one transaction the commands apply in order: delete a, then create b on its
    listener, is no conflict."""
    a = virtual(mgmt, p1, "a", "10.0.0.5:80")
    tx = mgmt.tm.transactions.transaction
    with TransactionContextManager(tx) as api:
        api.tm.ltm.virtuals.virtual.load(name="a", partition=p1).delete()
        virtual(api, p2, "b", "10.0.0.5:80")
    assert not mgmt.tm.ltm.virtuals.virtual.exists(name="a", partition=p1)
    assert mgmt.tm.ltm.virtuals.virtual.load(name="b", partition=p2).destination == (
        "/P2/10.0.0.5:80"
    )
    assert a.name == "a"
