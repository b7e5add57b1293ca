"""Collection GETs: partition filter, $select, $top/$skip paging with nextLink, expansion."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.emulators.bigip.conftest import raw


def make_pools(mgmt, partition, n):
    for i in range(n):
        pool = mgmt.tm.ltm.pools.pool.create(name=f"p{i:02d}", partition=partition)
        pool.members_s.members.create(name=f"10.0.0.{i + 1}:80", partition=partition)


def test_partition_filter(mgmt, partition):
    make_pools(mgmt, partition, 3)
    mgmt.tm.ltm.pools.pool.create(name="other", partition="Common")
    params = {"params": "$filter=partition+eq+P"}
    names = [p.name for p in mgmt.tm.ltm.pools.get_collection(requests_params=params)]
    assert names == ["p00", "p01", "p02"]
    assert len(mgmt.tm.ltm.pools.get_collection()) == 4


def test_expand_subcollections_inlines_members(mgmt, partition):
    make_pools(mgmt, partition, 2)
    params = {"params": "$filter=partition+eq+P&expandSubcollections=true"}
    pools = mgmt.tm.ltm.pools.get_collection(requests_params=params)
    items = [p.membersReference["items"] for p in pools]
    assert [[m["name"] for m in its] for its in items] == [["10.0.0.1:80"], ["10.0.0.2:80"]]
    plain = mgmt.tm.ltm.pools.get_collection(requests_params={"params": "$filter=partition+eq+P"})
    assert "items" not in plain[0].membersReference


def test_select(server, mgmt, partition):
    make_pools(mgmt, partition, 2)
    body = raw(server, "GET", "/mgmt/tm/ltm/pool?$select=name,loadBalancingMode").json()
    assert body["items"] == [
        {"name": "p00", "loadBalancingMode": "round-robin"},
        {"name": "p01", "loadBalancingMode": "round-robin"},
    ]


def test_paging_follows_next_link(server, mgmt, partition):
    make_pools(mgmt, partition, 7)
    url = "/mgmt/tm/ltm/pool?$filter=partition%20eq%20P&$top=3"
    names, pages = [], 0
    while url:
        body = raw(server, "GET", url).json()
        names += [p["name"] for p in body["items"]]
        pages += 1
        assert body["totalItems"] == 7
        link = body.get("nextLink")
        url = None if link is None else urlsplit(link).path + "?" + urlsplit(link).query
    assert pages == 3
    assert names == [f"p{i:02d}" for i in range(7)]
    skipped = raw(server, "GET", "/mgmt/tm/ltm/pool?$top=2&$skip=6").json()
    assert [p["name"] for p in skipped["items"]] == ["p06"] and "nextLink" not in skipped


def test_bad_query_is_400(server):
    assert raw(server, "GET", "/mgmt/tm/ltm/pool?$top=x").status_code == 400
    assert raw(server, "GET", "/mgmt/tm/ltm/pool?$filter=name+eq+x").status_code == 400


def test_trailing_slashes_and_unknown_uri(server, mgmt):
    assert raw(server, "GET", "/mgmt/tm/ltm/pool/").status_code == 200
    assert raw(server, "GET", "/mgmt/tm/ltm/pool/~Common~nope/").status_code == 404
    assert raw(server, "GET", "/mgmt/tm/ltm/nothing").status_code == 404
    sys_body = raw(server, "GET", "/mgmt/tm/sys/").json()
    assert sys_body["kind"] == "tm:sys:syscollectionstate"
