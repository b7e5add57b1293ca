"""List options: bulk collection, paging, filters, parents, back-refs, count, fields."""

from __future__ import annotations

from vnc_api.vnc_api import Project

from emulators.contrail import topology as t


def _projects(vnc, n):
    uuids = []
    for i in range(n):
        p = Project(f"p{i:03d}")
        vnc.project_create(p)
        uuids.append(p.uuid)
    return uuids


def test_more_than_25_obj_uuids_uses_list_bulk_collection(server, vnc):
    uuids = _projects(vnc, 30)
    server.controls.counts.clear()
    got = vnc.projects_list(obj_uuids=uuids, detail=True)
    assert sorted(p.uuid for p in got) == sorted(uuids)
    counts = server.controls.counters()["by_path"]
    assert counts == {"POST /list-bulk-collection": 1}
    few = vnc.projects_list(obj_uuids=uuids[:3])
    assert sorted(p["uuid"] for p in few["projects"]) == sorted(uuids[:3])
    assert server.controls.counters()["by_path"]["GET /projects"] == 1


def test_paging_walks_every_object_once(server, vnc):
    import requests

    uuids = _projects(vnc, 12)
    seen, marker = [], None
    while True:
        params = {"page_limit": 5, "detail": "False"}
        if marker:
            params["page_marker"] = marker
        body = requests.get(f"{server.url}/projects", params=params, timeout=5).json()
        seen += [p["uuid"] for p in body["projects"]]
        marker = body["marker"]
        if marker is None:
            break
    assert len(seen) == len(set(seen)) == 12 + 1  # plus default-project
    assert set(uuids) <= set(seen)


def test_filters_parent_back_ref_count_and_fields(vnc, topo):
    ids = t.add_load_balancer(
        vnc,
        topo,
        "f5-lb",
        listeners=[t.ListenerSpec("TCP", 22, pool=t.PoolSpec(members=[("10.2.0.9", 22, 1)]))],
    )
    kube = t.add_kube_service(vnc, topo, "svc")
    f5_only = vnc.loadbalancers_list(filters={"loadbalancer_provider": "f5"})["loadbalancers"]
    assert [lb["uuid"] for lb in f5_only] == [ids.loadbalancer]
    both = vnc.loadbalancers_list(filters={"loadbalancer_provider": ["f5", "native"]})[
        "loadbalancers"
    ]
    assert {lb["uuid"] for lb in both} == {ids.loadbalancer, kube.loadbalancer}
    assert vnc.loadbalancers_list(count=True) == {"loadbalancers": {"count": 2}}
    by_parent = vnc.loadbalancers_list(parent_fq_name=["default-domain", "demo"])["loadbalancers"]
    assert len(by_parent) == 2
    assert vnc.loadbalancers_list(parent_id=[topo.networks["external"]])["loadbalancers"] == []
    pools = vnc.loadbalancer_pools_list(back_ref_id=ids.listeners[0].listener)["loadbalancer-pools"]
    assert [p["uuid"] for p in pools] == [ids.listeners[0].pool]
    members = vnc.loadbalancer_members_list(
        parent_id=ids.listeners[0].pool, fields=["loadbalancer_member_properties"]
    )
    (member,) = members["loadbalancer-members"]
    assert member["loadbalancer_member_properties"]["address"] == "10.2.0.9"
    detail = vnc.virtual_machine_interfaces_list(detail=True, back_ref_id=[], fields=[])
    assert detail == []


def test_exclude_hrefs(server, vnc, topo):
    from emulators.contrail import client

    lean = client(server, exclude_hrefs=True)
    items = lean.virtual_networks_list(parent_id=topo.project)["virtual-networks"]
    assert items and all("href" not in i for i in items)
    assert all(
        "href" in i for i in vnc.virtual_networks_list(parent_id=topo.project)["virtual-networks"]
    )


def test_lists_come_in_uuid_order_not_creation_order(vnc):
    """The server lists by uuid (its index), so a client may not read creation order into
    a list: projects made with descending uuids are listed ascending."""
    made = []
    for i, uid in enumerate(
        ["f0000000-0000-4000-8000-000000000000", "a0000000-0000-4000-8000-000000000000"]
    ):
        p = Project(f"ordered{i}")
        p.uuid = uid
        vnc.project_create(p)
        made.append(uid)
    listed = [p["uuid"] for p in vnc.projects_list()["projects"] if p["uuid"] in made]
    assert listed == sorted(made) != made
