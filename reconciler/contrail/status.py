"""Write each object's provisioning status back into Contrail, only where it changed.

Users of the old chain saw nothing when the F5 side failed (svc-monitor swallowed every
driver exception). Here a load balancer is ACTIVE or ERROR after every pass, and the reason
of an ERROR is readable where the schema has room for it: ``status_description`` on pools
and members, ``status`` on the load balancer (its type has no description field).
A status that already holds the right value costs no write, so a no-op pass writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vnc_api.gen.resource_client import Loadbalancer, LoadbalancerMember, LoadbalancerPool
from vnc_api.gen.resource_xsd import (
    LoadbalancerMemberType,
    LoadbalancerPoolType,
    LoadbalancerType,
)

from reconciler.logs import get_logger
from reconciler.model.contrail import ContrailSnapshot, LoadBalancer, Member, Pool
from reconciler.plan.status import StatusUpdate

log = get_logger("contrail.status")


_CLASSES: dict[str, tuple[Any, Any, str]] = {
    "loadbalancer": (Loadbalancer, LoadbalancerType, "loadbalancer_properties"),
    "loadbalancer-pool": (LoadbalancerPool, LoadbalancerPoolType, "loadbalancer_pool_properties"),
    "loadbalancer-member": (
        LoadbalancerMember,
        LoadbalancerMemberType,
        "loadbalancer_member_properties",
    ),
}


def write_status(vnc: Any, snapshot: ContrailSnapshot, updates: list[StatusUpdate]) -> list[str]:
    """Apply the updates; one failing write is logged and reported, the others still go."""
    failures: list[str] = []
    sources: dict[str, Mapping[str, LoadBalancer | Pool | Member]] = {
        "loadbalancer": snapshot.load_balancers,
        "loadbalancer-pool": snapshot.pools,
        "loadbalancer-member": snapshot.members,
    }
    for update in updates:
        cls, props_cls, prop = _CLASSES[update.type]
        current = sources[update.type][update.uuid]
        method = update.type.replace("-", "_")
        try:
            # The property is one struct: read it fresh and change only the status keys, so
            # a user's edit made since our snapshot (a weight, an address) is never undone.
            fresh = getattr(vnc, f"{method}_read")(id=update.uuid, fields=[prop])
            struct = getattr(fresh, f"get_{prop}")()
            props = (
                {k: getattr(struct, k, None) for k in struct.attr_fields}
                if struct is not None
                else dict(current.raw_properties)
            )
            props.update(update.values)
            obj = cls()
            obj.uuid = update.uuid
            obj.fq_name = list(current.fq_name)
            getattr(obj, f"set_{prop}")(props_cls(**props))
            getattr(vnc, f"{method}_update")(obj)
        except Exception as exc:  # a deleted object or an API hiccup must not stop the rest
            failures.append(f"{update.type} {update.uuid}: status not written: {exc}")
            log.warning("status write failed", object=update.uuid, type=update.type, error=str(exc))
    return failures
