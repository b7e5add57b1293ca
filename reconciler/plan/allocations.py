"""L3 mode's address allocations as plan entries: the instance-ips a set needs and does not
have yet (allocated before the device apply), and the ones no load balancer needs any more
(released after it) (pure)."""

from __future__ import annotations

from reconciler.model.contrail import ContrailSnapshot
from reconciler.naming import Naming
from reconciler.plan.model import ContrailChange
from reconciler.settings import SetSettings
from reconciler.translate.networking import AddressNeed


def address_changes(
    snapshot: ContrailSnapshot, settings: SetSettings, prefix: str, wanted: list[AddressNeed]
) -> tuple[list[ContrailChange], list[ContrailChange]]:
    """(allocations to make before the device apply, releases to make after it)."""
    source = f"service-appliance-set {settings.sas_name}"
    names = {need.name for need in wanted}
    allocations = [
        ContrailChange(
            "create",
            "instance-ip",
            (need.name,),
            fields={
                "subnet": need.subnet.cidr,
                "network": ":".join(need.network.fq_name),
                "for": need.purpose,
                "address": "(allocated by Contrail's IPAM)",
            },
            source=source,
            payload=need,
        )
        for need in wanted
        if need.name not in snapshot.owned_ips
    ]
    mine = Naming(prefix).instance_ip_pattern(settings.sas_name, (d.name for d in settings.devices))
    releases = [
        ContrailChange(
            "delete",
            "instance-ip",
            (ip.name,),
            ip.uuid,
            reason=f"{ip.address}: no load balancer needs it any more",
            source=source,
            payload=ip,
        )
        for name, ip in sorted(snapshot.owned_ips.items())
        if mine.fullmatch(name) and name not in names
    ]
    return allocations, releases
