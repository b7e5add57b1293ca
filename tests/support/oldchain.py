"""A BIG-IP configured the way the chain this project replaces configured it, through f5-sdk:
F5's LBaaS agent 9.2 behind svc-monitor's v2 shim, or svc-monitor's v1 driver. Written from
their naming rules (``reconciler/plan/adoption.py`` cites them), not from their code."""

from __future__ import annotations

from typing import Any


def _folder(mgmt: Any, partition: str) -> None:
    if partition not in {f.name for f in mgmt.tm.sys.folders.get_collection()}:
        mgmt.tm.sys.folders.folder.create(name=partition, subPath="/")


def _names(vnc: Any, ids: Any) -> tuple[str, list[tuple[Any, str, str, str | None]]]:
    lb = vnc.loadbalancer_read(id=ids.loadbalancer)
    listeners = []
    for lst in ids.listeners:
        listener = vnc.loadbalancer_listener_read(id=lst.listener)
        pool = vnc.loadbalancer_pool_read(id=lst.pool) if lst.pool else None
        listeners.append((lst, listener.name, pool.name if pool else "", lst.monitor))
    return lb.name, listeners


def configure_like_agent(mgmt: Any, vnc: Any, project_name: str, ids: Any, port: int) -> str:
    """One load balancer as agent 9.2 makes it: partition ``Project_<project name>``, virtual
    address ``Project_<lb uuid>``, pool ``Project_<lb name>_<pool name>`` with its members,
    monitor ``Project_<hm uuid>``, virtual ``Project_<lb name>_<listener name>``."""
    partition = f"Project_{project_name}"
    _folder(mgmt, partition)
    lb_name, listeners = _names(vnc, ids)
    mgmt.tm.ltm.virtual_address_s.virtual_address.create(
        name=f"Project_{ids.loadbalancer}",
        partition=partition,
        address=ids.vip,
        autoDelete="false",
        description=f"{lb_name}: ",
    )
    for lst, listener_name, pool_name, monitor in listeners:
        monitor_path = ""
        if monitor:
            mgmt.tm.ltm.monitor.https.http.create(
                name=f"Project_{monitor}", partition=partition, interval=5, timeout=16
            )
            monitor_path = f"/{partition}/Project_{monitor}"
        pool = mgmt.tm.ltm.pools.pool.create(
            name=f"Project_{lb_name}_{pool_name}",
            partition=partition,
            monitor=monitor_path,
            loadBalancingMode="round-robin",
        )
        _add_members(pool, vnc, lst.members, partition)
        mgmt.tm.ltm.virtuals.virtual.create(
            name=f"Project_{lb_name}_{listener_name}",
            partition=partition,
            destination=f"/{partition}/{ids.vip}:{port}",
            pool=f"/{partition}/Project_{lb_name}_{pool_name}",
            ipProtocol="tcp",
            sourceAddressTranslation={"type": "automap"},
            profiles=["/Common/http", "/Common/oneconnect"],
        )
    return partition


def _add_members(
    pool: Any, vnc: Any, member_ids: list[str], partition: str, route_domain: str = ""
) -> None:
    """The pool's members as the old chain names them: ``<address><route domain>:<port>``."""
    for member in member_ids:
        m = vnc.loadbalancer_member_read(id=member).get_loadbalancer_member_properties()
        pool.members_s.members.create(
            name=f"{m.address}{route_domain}:{m.protocol_port}", partition=partition
        )


def configure_like_v1(mgmt: Any, vnc: Any, project_uuid: str, ids: Any, port: int) -> str:
    """One service as svc-monitor's v1 driver makes it: folder ``uuid_<project uuid>``,
    objects named ``uuid_<uuid>``, addresses spelled with ``%0``."""
    partition = f"uuid_{project_uuid}"
    _folder(mgmt, partition)
    for lst in ids.listeners:
        pool = mgmt.tm.ltm.pools.pool.create(name=f"uuid_{lst.pool}", partition=partition)
        _add_members(pool, vnc, lst.members, partition, route_domain="%0")
        mgmt.tm.ltm.virtuals.virtual.create(
            name=f"uuid_{lst.listener}",
            partition=partition,
            destination=f"/{partition}/{ids.vip}%0:{port}",
            pool=f"/{partition}/uuid_{lst.pool}",
            ipProtocol="tcp",
        )
    return partition


def stale_agent_virtual(mgmt: Any, partition: str, vip: str) -> str:
    """An old virtual whose load balancer no longer exists in Contrail."""
    name = "Project_gone_gone-http-80"
    mgmt.tm.ltm.virtuals.virtual.create(
        name=name, partition=partition, destination=f"/{partition}/{vip}:80", ipProtocol="tcp"
    )
    return f"/{partition}/{name}"
