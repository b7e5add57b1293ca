"""The baseline: the same scenarios done the way f5-openstack-agent does them.

A model of the agent's algorithm (reference notes f5.md §1.8–1.9), not a copy of its code,
driven by the same f5-sdk calls the agent makes, against the same emulated device:

- **per object, exists → load → create/modify** (``BigIPResourceHelper``): ``exists()`` is a
  GET; a missing object is ``create()``d (POST), an existing one ``load()``ed (GET) and
  ``modify()``d with its whole model (PATCH). Nodes are left to BIG-IP's auto-creation with the
  member, as the agent does; no transactions; ``save sys config`` is not counted (the agent
  saves from its periodic task).
- **a sync** (initial sync) runs ``assure_service`` for every load balancer: folder, virtual
  address, monitor, pool, members, virtual — in that order.
- **a no-op resync** is ``sync_state`` → ``validate_service`` → ``service_exists``: one GET
  per object of every load balancer (folder, virtual address, virtual, pool, each member,
  monitor), no writes.
- **a single change** is what an LBaaS RPC does: re-read the whole service (the load balancer's
  tree) from the API server, then ``assure_service`` on every object of that load balancer
  (exists → load → modify each), as the agent did before PR #1400 narrowed it to PENDING
  objects (with one listener per load balancer that narrowing saves little here).

The desired BIG-IP objects are those of our own ``translate`` (so both sides write the same
configuration); only the way they reach the device differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from f5.bigip import ManagementRoot

from reconciler.model.bigip import BigIPObject
from reconciler.model.contrail import ContrailSnapshot
from reconciler.model.resources import resource_type
from reconciler.settings import SetSettings
from reconciler.translate.desired import Options, translate

# kind → how f5-sdk reaches that resource's collection
_SDK: dict[str, Callable[[Any], Any]] = {
    "sys/folder": lambda m: m.tm.sys.folders.folder,
    "ltm/virtual-address": lambda m: m.tm.ltm.virtual_address_s.virtual_address,
    "ltm/monitor/http": lambda m: m.tm.ltm.monitor.https.http,
    "ltm/monitor/https": lambda m: m.tm.ltm.monitor.https_s.https,
    "ltm/monitor/tcp": lambda m: m.tm.ltm.monitor.tcps.tcp,
    "ltm/monitor/gateway-icmp": lambda m: m.tm.ltm.monitor.gateway_icmps.gateway_icmp,
    "ltm/pool": lambda m: m.tm.ltm.pools.pool,
    "ltm/virtual": lambda m: m.tm.ltm.virtuals.virtual,
    "ltm/rule": lambda m: m.tm.ltm.rules.rule,
    "ltm/persistence/universal": lambda m: m.tm.ltm.persistence.universals.universal,
}
# assure_service's order (lbaas_builder.py): VA, monitors, pools (+members), virtuals
_ORDER = [
    "sys/folder",
    "ltm/virtual-address",
    "ltm/monitor/http",
    "ltm/monitor/https",
    "ltm/monitor/tcp",
    "ltm/monitor/gateway-icmp",
    "ltm/rule",
    "ltm/persistence/universal",
    "ltm/pool",
    "ltm/pool/members",
    "ltm/virtual",
]
_IMMUTABLE = {"name", "partition", "address", "kind", "selfLink"}


class Agent:
    """The agent's device side for one BIG-IP (one ManagementRoot, one request at a time)."""

    def __init__(self, host: str, port: int, user: str, password: str, prefix: str) -> None:
        self.mgmt = ManagementRoot(host, user, password, port=port, token=True)
        self.prefix = prefix

    # -- the service dict's objects, in the agent's order -----------------------------------

    def service_objects(
        self, snapshot: ContrailSnapshot, settings: SetSettings, lb_uuid: str
    ) -> list[BigIPObject]:
        desired = translate(snapshot, settings, Options(prefix=self.prefix), frozenset({lb_uuid}))
        objects = [o for o in desired.objects.values() if o.kind != "ltm/node"]
        return sorted(objects, key=lambda o: (_ORDER.index(o.kind), o.parent, o.name))

    def _collection(self, obj: BigIPObject) -> Any:
        if obj.kind == "ltm/pool/members":
            pool = self.mgmt.tm.ltm.pools.pool.load(name=obj.parent, partition=obj.partition)
            return pool.members_s.members
        return _SDK[obj.kind](self.mgmt)

    @staticmethod
    def _where(obj: BigIPObject) -> dict[str, str]:
        if obj.kind == "sys/folder":
            return {"name": obj.name}
        return {"name": obj.wire_name or obj.name, "partition": obj.partition}

    # -- BigIPResourceHelper ----------------------------------------------------------------

    def assure(self, obj: BigIPObject) -> None:
        """exists → (create | load + modify), as the agent's helpers do."""
        collection = self._collection(obj)
        where = self._where(obj)
        body = resource_type(obj.kind).to_wire(obj)
        if obj.kind == "sys/folder":
            body = {"name": obj.name, "subPath": "/"}
        if not collection.exists(**where):
            collection.create(**body)
            return
        loaded = collection.load(**where)
        loaded.modify(**{k: v for k, v in body.items() if k not in _IMMUTABLE})

    def assure_service(self, objects: list[BigIPObject]) -> None:
        for obj in objects:
            self.assure(obj)

    def service_exists(self, objects: list[BigIPObject]) -> bool:
        """validate_service: one GET per object (members via their pool's loaded collection)."""
        ok = True
        pools: dict[tuple[str, str], Any] = {}
        for obj in objects:
            if obj.kind == "ltm/pool/members":
                key = (obj.partition, obj.parent)
                if key not in pools:
                    pool = self.mgmt.tm.ltm.pools.pool.load(
                        name=obj.parent, partition=obj.partition
                    )
                    pools[key] = pool.members_s.members
                ok = pools[key].exists(**self._where(obj)) and ok
            else:
                ok = _SDK[obj.kind](self.mgmt).exists(**self._where(obj)) and ok
        return ok
