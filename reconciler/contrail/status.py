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


#: Objects whose current properties one list call reads before they are written.
READ_PAGE = 500


def _read_fresh(vnc: Any, updates: list[StatusUpdate], start: int) -> dict[str, Any]:
    """The current property struct of the next READ_PAGE updates of ``updates[start]``'s
    type, by uuid (one ``<type>s_list(detail=True, obj_uuids=...)``)."""
    kind = updates[start].type
    _cls, _props_cls, prop = _CLASSES[kind]
    page = [u.uuid for u in updates[start:] if u.type == kind][:READ_PAGE]
    listed = getattr(vnc, f"{kind.replace('-', '_')}s_list")(detail=True, obj_uuids=page)
    return {obj.uuid: getattr(obj, f"get_{prop}")() for obj in listed}


def write_status(vnc: Any, snapshot: ContrailSnapshot, updates: list[StatusUpdate]) -> list[str]:
    """Apply the updates; one failing write is logged and reported, the others still go."""
    failures: list[str] = []
    sources: dict[str, Mapping[str, LoadBalancer | Pool | Member]] = {
        "loadbalancer": snapshot.load_balancers,
        "loadbalancer-pool": snapshot.pools,
        "loadbalancer-member": snapshot.members,
    }
    fresh_structs: dict[str, Any] = {}  # read ahead, not yet written
    for index, update in enumerate(updates):
        cls, props_cls, prop = _CLASSES[update.type]
        current = sources[update.type][update.uuid]
        method = update.type.replace("-", "_")
        try:
            # The property is one struct: read it fresh and change only the status keys, so
            # a user's edit made since our snapshot (a weight, an address) is never undone.
            # Read a page of them at a time (one list call per READ_PAGE objects of a type,
            # not one read each), just before that page is written (a window of about a
            # second instead of one round trip).
            if update.uuid not in fresh_structs:
                fresh_structs.update(_read_fresh(vnc, updates, index))
            if update.uuid in fresh_structs:
                struct = fresh_structs.pop(update.uuid)
            else:  # not listed: gone since, or a server that lists lazily; read it alone
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
