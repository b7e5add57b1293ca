"""Build ContrailSnapshots in memory for the pure-core tests (no server)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

from reconciler.model.contrail import (
    ApplianceSet,
    ContrailSnapshot,
    HealthMonitor,
    InstanceIp,
    Listener,
    LoadBalancer,
    Member,
    Pool,
    Port,
)
from reconciler.model.values import FrozenDict, Secret
from reconciler.settings import SetSettings, settings_for

PROJECT = "0b6c5a2e-1111-4222-8333-444455556666"
_ids = itertools.count(1)


def uid(kind: str) -> str:
    return f"{kind}-{next(_ids):04d}"


def f5_set(name: str = "f5", **kv: str) -> ApplianceSet:
    props: dict[str, Any] = {"address": "10.84.31.99", "user": "admin", "password": Secret("pw")}
    props.update(kv)
    return ApplianceSet(
        uuid=f"sas-{name}",
        name=name,
        driver="svc_monitor.services.loadbalancer.drivers.f5.driver.OpencontrailF5LoadbalancerDriver",
        properties=FrozenDict(props),
        ha_mode=None,
    )


class World:
    """A mutable builder; ``snapshot()`` freezes it."""

    def __init__(self) -> None:
        self.sets = {"sas-f5": f5_set()}
        self.lbs: dict[str, LoadBalancer] = {}
        self.listeners: dict[str, Listener] = {}
        self.pools: dict[str, Pool] = {}
        self.members: dict[str, Member] = {}
        self.monitors: dict[str, HealthMonitor] = {}
        self.ports: dict[str, Port] = {}

    @property
    def settings(self) -> SetSettings:
        return settings_for(self.sets["sas-f5"])

    def snapshot(self) -> ContrailSnapshot:
        return ContrailSnapshot(
            appliance_sets=FrozenDict(self.sets),
            load_balancers=FrozenDict(self.lbs),
            listeners=FrozenDict(self.listeners),
            pools=FrozenDict(self.pools),
            members=FrozenDict(self.members),
            monitors=FrozenDict(self.monitors),
            ports=FrozenDict(self.ports),
        )

    def lb(self, vip: str | None = "10.1.1.10", **kw: Any) -> LoadBalancer:
        uuid = kw.pop("uuid", uid("lb"))
        lb = LoadBalancer(
            uuid=uuid,
            name=kw.pop("name", f"lb-{uuid}"),
            display_name=kw.pop("display_name", ""),
            project_uuid=kw.pop("project_uuid", PROJECT),
            project_name="demo",
            provider=kw.pop("provider", "f5"),
            sas_uuids=kw.pop("sas_uuids", ("sas-f5",)),
            admin_state=kw.pop("admin_state", True),
            vip_address=vip,
            vip_subnet_id=None,
            vmi_uuids=kw.pop("vmi_uuids", ()),
            **kw,
        )
        self.lbs[uuid] = lb
        return lb

    def listener(
        self, lb: LoadBalancer, protocol: str = "HTTP", port: Any = 80, **kw: Any
    ) -> Listener:
        uuid = kw.pop("uuid", uid("listener"))
        listener = Listener(
            uuid=uuid,
            name=f"listener-{uuid}",
            display_name="",
            project_uuid=lb.project_uuid,
            lb_uuids=(lb.uuid,),
            protocol=protocol,
            protocol_port=port,
            admin_state=kw.pop("admin_state", True),
            connection_limit=kw.pop("connection_limit", None),
            default_tls_container=None,
            sni_containers=(),
            **kw,
        )
        self.listeners[uuid] = listener
        return listener

    def pool(self, listener: Listener, method: str = "ROUND_ROBIN", **kw: Any) -> Pool:
        uuid = kw.pop("uuid", uid("pool"))
        pool = Pool(
            uuid=uuid,
            name=f"pool-{uuid}",
            display_name="",
            project_uuid=listener.project_uuid,
            listener_uuids=(listener.uuid,),
            monitor_uuids=kw.pop("monitor_uuids", ()),
            sas_uuids=("sas-f5",),
            protocol=kw.pop("protocol", listener.protocol),
            method=method,
            session_persistence=kw.pop("session_persistence", None),
            persistence_cookie_name=kw.pop("persistence_cookie_name", None),
            admin_state=True,
            **kw,
        )
        self.pools[uuid] = pool
        return pool

    def member(
        self, pool: Pool, address: str | None, port: Any = 8080, weight: Any = 1, **kw: Any
    ) -> Member:
        uuid = kw.pop("uuid", uid("member"))
        member = Member(
            uuid=uuid,
            name=f"member-{uuid}",
            pool_uuid=pool.uuid,
            address=address,
            protocol_port=port,
            weight=weight,
            admin_state=kw.pop("admin_state", True),
            subnet_id=None,
            **kw,
        )
        self.members[uuid] = member
        return member

    def monitor(self, pool: Pool, monitor_type: str = "HTTP", **kw: Any) -> HealthMonitor:
        uuid = kw.pop("uuid", uid("hm"))
        hm = HealthMonitor(
            uuid=uuid,
            name=f"hm-{uuid}",
            display_name="",
            project_uuid=pool.project_uuid,
            monitor_type=monitor_type,
            delay=kw.pop("delay", 5),
            timeout=kw.pop("timeout", 3),
            max_retries=kw.pop("max_retries", 3),
            http_method=kw.pop("http_method", None),
            url_path=kw.pop("url_path", None),
            expected_codes=kw.pop("expected_codes", None),
        )
        self.monitors[uuid] = hm
        self.pools[pool.uuid] = replace(pool, monitor_uuids=(*pool.monitor_uuids, uuid))
        return hm

    def port(self, address: str | None) -> Port:
        uuid = uid("vmi")
        ips = (InstanceIp(uid("iip"), address, "subnet-1", ("vn-1",)),) if address else ()
        port = Port(uuid, uuid, ips, (), ("vn-1",))
        self.ports[uuid] = port
        return port

    def service(self, members: int = 3, **pool_kw: Any) -> tuple[LoadBalancer, Listener, Pool]:
        """The seed's use case: an HTTP listener, a ROUND_ROBIN pool, members, HTTP monitor."""
        lb = self.lb()
        listener = self.listener(lb)
        pool = self.pool(listener, **pool_kw)
        for i in range(members):
            self.member(pool, f"10.2.0.{i + 1}")
        self.monitor(pool)
        return lb, listener, self.pools[pool.uuid]
