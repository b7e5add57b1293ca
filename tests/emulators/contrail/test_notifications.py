"""Change notifications on a real RabbitMQ broker, and the server without or despite one."""

from __future__ import annotations

import socket

import pytest
from vnc_api.vnc_api import KeyValuePair, Project

import emulators.contrail as contrail
from emulators.contrail import topology as t
from tests.support.rabbitmq import QueueCollector

pytestmark = pytest.mark.rabbitmq


def _of(uuid, oper):
    return lambda m: m["uuid"] == uuid and m["oper"] == oper


def test_create_update_delete_arrive_on_the_exchange(amqp_server, broker_url):
    vnc = contrail.client(amqp_server)
    with QueueCollector(broker_url) as q:
        topo = t.seed_topology(vnc)
        ids = t.add_load_balancer(
            vnc,
            topo,
            "web",
            listeners=[t.ListenerSpec("HTTP", 80, pool=t.PoolSpec(members=[("10.2.0.5", 80, 1)]))],
        )
        (created,) = q.wait_for(_of(ids.loadbalancer, "CREATE"))
        assert created["type"] == "loadbalancer"
        assert created["fq_name"] == ["default-domain", "demo", "web"]
        assert created["obj_dict"]["loadbalancer_provider"] == "f5"
        assert created["request-id"]
        (sas,) = q.wait_for(_of(topo.sas, "CREATE"))
        assert sas["type"] == "service_appliance_set"  # underscored object type
        member = q.wait_for(_of(ids.listeners[0].members[0], "CREATE"))[0]
        assert member["type"] == "loadbalancer_member"

        lb = vnc.loadbalancer_read(id=ids.loadbalancer)
        lb.add_annotations(KeyValuePair("k", "v"))
        vnc.loadbalancer_update(lb)
        (updated,) = q.wait_for(_of(ids.loadbalancer, "UPDATE"))
        assert "obj_dict" not in updated

        # a ref change notifies the object holding the ref, not the target
        vnc.ref_update(
            "loadbalancer", ids.loadbalancer, "service-appliance-set", topo.sas, None, "DELETE"
        )
        assert len(q.wait_for(_of(ids.loadbalancer, "UPDATE"), count=2)) == 2
        assert q.wait_for(_of(topo.sas, "UPDATE"), timeout=0.5) == []

        t.delete_load_balancer(vnc, ids)
        (deleted,) = q.wait_for(_of(ids.loadbalancer, "DELETE"))
        assert deleted["obj_dict"]["uuid"] == ids.loadbalancer
        assert deleted["fq_name"] == ["default-domain", "demo", "web"]
        assert q.wait_for(_of(ids.vmi, "DELETE"))
        # order of one object's events is preserved
        opers = [m["oper"] for m in q.messages if m["uuid"] == ids.loadbalancer]
        assert opers == ["CREATE", "UPDATE", "UPDATE", "DELETE"]
        # as the real server, a VMI is notified again after its CREATE, its MAC address in
        # the CREATE's obj_dict
        vmi = [m for m in q.messages if m["uuid"] == ids.vmi]
        assert [m["oper"] for m in vmi] == ["CREATE", "UPDATE", "DELETE"]
        assert vmi[0]["obj_dict"]["virtual_machine_interface_mac_addresses"]["mac_address"]


def test_no_broker_configured_server_works(vnc):
    topo = t.seed_topology(vnc)
    assert vnc.project_read(id=topo.project).name == "demo"


def test_broker_unreachable_server_keeps_working_and_buffers():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    server = contrail.start(amqp_url=f"amqp://guest:guest@127.0.0.1:{dead_port}//")
    try:
        vnc = contrail.client(server)
        vnc.project_create(Project("still-works"))
        assert vnc.project_read(fq_name=["default-domain", "still-works"]).name == "still-works"
        stats = server.app.notifier.stats()
        assert stats["pending"] == 1 and stats["published"] == 0 and not stats["connected"]
    finally:
        server.stop()
