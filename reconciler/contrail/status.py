"""Write each object's provisioning status back into Contrail, only where it changed.

Users of the old chain saw nothing when the F5 side failed (svc-monitor swallowed every
driver exception). Here a load balancer is ACTIVE or ERROR after every pass, and the reason
of an ERROR is readable where the schema has room for it: ``status_description`` on pools
and members, ``status`` on the load balancer (its type has no description field).
A status that already holds the right value costs no write, so a no-op pass writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from vnc_api.exceptions import NoIdError
from vnc_api.gen.resource_client import Loadbalancer, LoadbalancerMember, LoadbalancerPool
from vnc_api.gen.resource_xsd import (
    LoadbalancerMemberType,
    LoadbalancerPoolType,
    LoadbalancerType,
)

from reconciler import concurrency
from reconciler.contrail.connect import Connections
from reconciler.logs import get_logger
from reconciler.model.contrail import ContrailSnapshot, LoadBalancer, Member, Pool, member_fq_name
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


_FIELDS: dict[str, frozenset[str]] = {}  # a property struct's field names, by property

#: Objects of one type whose current properties one list call reads before they are
#: written; a page is also what one connection writes at a time.
READ_PAGE = 500


def pages_of(updates: list[StatusUpdate]) -> list[list[StatusUpdate]]:
    """The updates by type, in their order, cut into pages of at most READ_PAGE."""
    by_type: dict[str, list[StatusUpdate]] = {}
    for update in updates:
        by_type.setdefault(update.type, []).append(update)
    return [
        same[start : start + READ_PAGE]
        for same in by_type.values()
        for start in range(0, len(same), READ_PAGE)
    ]


def write_status(
    vnc: Any,
    snapshot: ContrailSnapshot,
    updates: list[StatusUpdate],
    connections: Connections | None = None,
) -> list[str]:
    """Apply the updates, a page per connection at a time (``connections``: siblings of
    ``vnc`` to spread the pages over; the API server answers them concurrently). One
    failing write is logged and reported, the others still go. A page or less (the
    daemon's single change) is written here, without threads."""
    pages = pages_of(updates)
    if len(pages) <= 1 or connections is None:
        return [failure for page in pages for failure in _write_page(vnc, snapshot, page)]
    writer = StatusWriter(vnc, snapshot, connections)
    writer.submit(updates)
    return writer.close()


class StatusWriter:
    """Writes statuses in the background as they are handed over, a page per connection at
    a time, so an initial sync writes each partition's statuses while the device applies
    the next partitions (and an operator sees load balancers come up partition by
    partition, not all at the end). ``close`` waits for every write and returns the
    failures. Nothing is kept of a page once written (an initial sync at 5,000 load
    balancers hands over 60,000 updates while the plan is still in memory)."""

    def __init__(
        self, vnc: Any, snapshot: ContrailSnapshot, connections: Connections | None = None
    ) -> None:
        self.vnc = vnc
        self.snapshot = snapshot
        self.connections = connections
        self.submitted = 0
        self._fanout: concurrency.Fanout[Any] | None = None
        self._futures: list[Future[list[str]]] = []

    def submit(self, updates: list[StatusUpdate]) -> None:
        self.submitted += len(updates)
        if not updates:
            return
        if self._fanout is None:  # the connections are made on the first page, not before
            clients = self.connections.take(self.connections.size) if self.connections else []
            self._fanout = concurrency.Fanout(clients or [self.vnc], "contrail-status")
        for page in pages_of(updates):
            self._futures.append(self._fanout.submit(self._write, page))

    def _write(self, client: Any, page: list[StatusUpdate]) -> list[str]:
        return _write_page(client, self.snapshot, page)

    def close(self) -> list[str]:
        failures: list[str] = []
        for future in self._futures:
            try:
                failures.extend(future.result())
            except Exception as exc:  # a page that could not even start: say so, go on
                failures.append(f"status page not written: {exc}")
        if self._fanout is not None:
            self._fanout.close()
        self._futures.clear()
        return failures


def _read_fresh(vnc: Any, page: list[StatusUpdate]) -> dict[str, dict[str, Any] | None]:
    """The current property struct of each object of ``page`` (one type), as a dict, by
    uuid: one ``<type>s_list(obj_uuids=..., fields=[<property>])``, which returns just that
    property (not whole objects to parse); empty if that list call fails (each object is
    then read alone)."""
    kind = page[0].type
    prop = _CLASSES[kind][2]
    try:
        listed = getattr(vnc, f"{kind.replace('-', '_')}s_list")(
            obj_uuids=[u.uuid for u in page], fields=[prop]
        )
    except Exception as exc:  # read one by one below; a real failure shows there
        log.warning("status page read failed", type=kind, objects=len(page), error=str(exc))
        return {}
    return {item["uuid"]: item.get(prop) for item in listed.get(f"{kind}s", ())}


def _as_read(current: LoadBalancer | Pool | Member) -> dict[str, Any]:
    """An object's property struct as the snapshot knows it, for when it cannot be read
    fresh: a load balancer's from its fields; a pool's or member's is not kept (only the
    status keys are known), so nothing."""
    return current.properties() if isinstance(current, LoadBalancer) else {}


def _write_page(vnc: Any, snapshot: ContrailSnapshot, page: list[StatusUpdate]) -> list[str]:
    failures: list[str] = []
    sources: dict[str, Mapping[str, LoadBalancer | Pool | Member]] = {
        "loadbalancer": snapshot.load_balancers,
        "loadbalancer-pool": snapshot.pools,
        "loadbalancer-member": snapshot.members,
    }
    # The property is one struct: read it fresh and change only the status keys, so a
    # user's edit made since our snapshot (a weight, an address) is never undone. A page
    # is read with one list call just before it is written (a window of about a second
    # instead of one round trip).
    fresh_structs = _read_fresh(vnc, page)
    gone: list[str] = []
    for update in page:
        cls, props_cls, prop = _CLASSES[update.type]
        current = sources[update.type][update.uuid]
        method = update.type.replace("-", "_")
        try:
            if update.uuid in fresh_structs:
                props = dict(fresh_structs.pop(update.uuid) or _as_read(current))
            else:  # not listed: gone since, or a server that lists lazily; read it alone
                fresh = getattr(vnc, f"{method}_read")(id=update.uuid, fields=[prop])
                struct = getattr(fresh, f"get_{prop}")()
                props = (
                    {k: getattr(struct, k, None) for k in struct.attr_fields}
                    if struct is not None
                    else _as_read(current)
                )
            known = _FIELDS.setdefault(prop, frozenset(props_cls().attr_fields))
            props = {k: v for k, v in props.items() if k in known}  # a newer server's extras
            props.update(update.values)
            obj = cls()
            obj.uuid = update.uuid
            obj.fq_name = list(
                member_fq_name(current, snapshot.pools.get(current.pool_uuid))
                if isinstance(current, Member)
                else current.fq_name
            )
            getattr(obj, f"set_{prop}")(props_cls(**props))
            getattr(vnc, f"{method}_update")(obj)
        except NoIdError:  # deleted since the snapshot: nothing to say a status on
            gone.append(update.uuid)
        except Exception as exc:  # an API hiccup must not stop the rest
            failures.append(f"{update.type} {update.uuid}: status not written: {exc}")
            log.warning("status write failed", object=update.uuid, type=update.type, error=str(exc))
    if gone:
        log.debug("statuses not written: deleted since the snapshot", objects=gone)
    return failures
