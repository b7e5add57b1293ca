"""Make the Contrail-side changes of a plan with vnc_api: VIP route tables, address allocations.

Runs after the device apply, so a route never points at a VIP the device does not serve yet
(allocations run before it: a self IP needs its address first). Each change is one or two
calls; one failing change is reported and the others still go, as status writes do.
"""

from __future__ import annotations

from typing import Any

from vnc_api.exceptions import NoIdError, RefsExistError
from vnc_api.gen.resource_client import InstanceIp, InterfaceRouteTable, RouteTable
from vnc_api.gen.resource_client import VirtualNetwork as VncNetwork
from vnc_api.gen.resource_xsd import (
    CommunityAttributes,
    KeyValuePair,
    KeyValuePairs,
    RouteTableType,
    RouteType,
)

from reconciler.logs import get_logger
from reconciler.model.contrail import OwnedInstanceIp, Route
from reconciler.naming import MANAGED_BY, OWNED_MARK
from reconciler.plan.model import ContrailChange
from reconciler.plan.routes import DesiredRouteTable
from reconciler.translate.networking import AddressNeed

log = get_logger("contrail.writer")


def _routes(routes: tuple[Route, ...]) -> RouteTableType:
    return RouteTableType(
        route=[
            RouteType(
                prefix=r.prefix,
                next_hop=r.next_hop,
                next_hop_type=r.next_hop_type,
                community_attributes=(
                    CommunityAttributes(community_attribute=list(r.communities))
                    if r.communities
                    else None
                ),
            )
            for r in routes
        ]
    )


def _route_table(vnc: Any, change: ContrailChange) -> None:
    table: DesiredRouteTable = change.payload
    interface = table.kind == "interface"
    cls = InterfaceRouteTable if interface else RouteTable
    rest = "interface_route_table" if interface else "route_table"
    obj = cls()
    obj.fq_name = list(table.fq_name)
    if interface:
        obj.set_interface_route_table_routes(_routes(table.routes))
    else:
        obj.set_routes(_routes(table.routes))
    if change.action == "create":
        obj.name = table.fq_name[-1]
        obj.parent_type = "project"
        obj.set_annotations(KeyValuePairs([KeyValuePair(*MANAGED_BY)]))
        try:
            uuid = getattr(vnc, f"{rest}_create")(obj)
        except RefsExistError:
            # Made since the plan was (another device worker of the set): ours, so it
            # takes this pass's routes; anybody else's is left alone.
            made = getattr(vnc, f"{rest}_read")(fq_name=list(table.fq_name))
            annotations = made.get_annotations()
            pairs = annotations.key_value_pair if annotations else []
            if not any((p.key, p.value) == MANAGED_BY for p in pairs or []):
                raise
            obj.uuid = uuid = made.uuid
            getattr(vnc, f"{rest}_update")(obj)
    else:
        obj.uuid = uuid = change.uuid
        getattr(vnc, f"{rest}_update")(obj)
    if table.attach:
        holder = "virtual-machine-interface" if interface else "virtual-network"
        target = "interface-route-table" if interface else "route-table"
        vnc.ref_update(holder, table.attach, target, uuid, None, "ADD")


def write_changes(vnc: Any, changes: list[ContrailChange]) -> list[str]:
    """Apply the changes not yet done; returns one message per failed change."""
    failures: list[str] = []
    for change in changes:
        if change.done:
            continue
        try:
            if change.type in ("interface-route-table", "route-table"):
                _route_table(vnc, change)
            elif change.type == "instance-ip":
                write_instance_ip(vnc, change)
            else:
                raise ValueError(f"no writer for {change.type}")
        except Exception as exc:  # one failed write must not stop the others
            failures.append(f"{change.type} {change.path}: {change.action} failed: {exc}")
            log.warning("contrail write failed", object=change.path, error=str(exc))
    return failures


def write_instance_ip(vnc: Any, change: ContrailChange) -> OwnedInstanceIp | None:
    """Allocate (create) or release (delete) one of our instance-ips — idempotently: an
    allocation that finds the name already made (by this daemon on a pass whose snapshot
    had not seen it yet) takes that instance-ip if it is ours, and a release of one already
    gone is done. Contrail refuses a second instance-ip of one name; before, that refusal
    dropped the subnet from the pass and took its self IP and SNAT off the device."""
    if change.action == "delete":
        try:
            vnc.instance_ip_delete(id=change.uuid)
        except NoIdError:
            log.debug("instance-ip already released", object=change.path)
        return None
    need: AddressNeed = change.payload
    iip = InstanceIp(need.name, display_name=OWNED_MARK, subnet_uuid=need.subnet.uuid)
    network = VncNetwork()
    network.uuid, network.fq_name = need.network.uuid, list(need.network.fq_name)
    iip.set_virtual_network(network)
    try:
        vnc.instance_ip_create(iip)
        iip = vnc.instance_ip_read(id=iip.uuid)
    except RefsExistError:
        iip = vnc.instance_ip_read(fq_name=[need.name])
        if iip.get_display_name() != OWNED_MARK:
            raise  # somebody else's instance-ip of our name: not ours to take
        log.info("instance-ip already allocated; taken as it is", object=need.name)
    return OwnedInstanceIp(
        iip.uuid, need.name, iip.get_instance_ip_address(), need.subnet.uuid, need.network.uuid
    )
