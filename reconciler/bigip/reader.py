"""Read the live state of our partitions: one paged collection GET per type per partition,
the partitions read side by side over the client's pool of connections (``bigip/parallel``).

Pools come with their members and virtuals with their profiles inline
(``expandSubcollections``); everything is normalised by its resource type so that it
compares equal to the desired object when it means the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.bigip import parallel
from reconciler.bigip.client import DeviceClient
from reconciler.logs import get_logger
from reconciler.model.bigip import BigIPObject, ObjectSet
from reconciler.model.resources import (
    CHILD_TYPES,
    PARTITION_TYPE,
    PARTITION_TYPES,
    LiveContext,
    resource_type,
)
from reconciler.model.values import ValueTable
from reconciler.naming import COMMON, Naming, old_chain_source, split_path

log = get_logger("bigip.reader")
VIRTUAL_TYPE = resource_type("ltm/virtual")
ADDRESS_TYPE = resource_type("ltm/virtual-address")


@dataclass(frozen=True)
class LiveState:
    objects: ObjectSet
    partitions: tuple[str, ...]  # our partitions found on the device
    default_rds: dict[str, int]


def read_live(
    client: DeviceClient, prefix: str, partitions: frozenset[str] | None = None
) -> LiveState:
    """Our partitions' objects, the operator's ``/Common`` virtuals on them and the old
    chain's addresses. ``partitions``: only these of ours (a look-ahead pass, which plans a
    few load balancers before the whole device is read)."""
    naming = Naming(prefix)
    every = [f for f in client.collection(PARTITION_TYPE.path) if f.get("subPath", "/") == "/"]
    folders = [
        f
        for f in every
        if naming.is_partition(name := str(f.get("name", "")))
        and (partitions is None or name in partitions)
    ]
    old_chain = [str(f["name"]) for f in every if old_chain_source(str(f.get("name", "")))]
    default_rds = {
        str(p["name"]): int(p.get("defaultRouteDomain", 0) or 0)
        for p in client.collection("auth/partition")
        if naming.is_partition(str(p.get("name", "")))
    }
    values = ValueTable()  # one for the whole read: members repeat across partitions
    contexts = [
        (
            folder,
            LiveContext(
                str(folder["name"]), default_rds.get(str(folder["name"]), 0), values=values
            ),
        )
        for folder in folders
    ]
    parts = parallel.each(
        client,
        contexts,
        lambda connection, entry: [
            PARTITION_TYPE.from_wire(entry[0], entry[1]),
            *read_partition(connection, entry[1]),
        ],
    )
    objects = [obj for part in parts for obj in part]
    objects += _common_neighbours(client, naming, objects, values)
    objects += _old_chain_addresses(client, old_chain, values)
    return LiveState(ObjectSet(objects), tuple(c.partition for _f, c in contexts), default_rds)


def _old_chain_addresses(
    client: DeviceClient, partitions: list[str], values: ValueTable
) -> list[BigIPObject]:
    """The virtual addresses and virtuals of the old chain's partitions (before ``reconcile
    adopt`` took them over): they hold the VIPs ours need, so a pass says so — naming them
    and the adopt command — instead of sending creates the device refuses."""
    found: list[BigIPObject] = []
    for partition in partitions:
        ctx = LiveContext(partition, 0, values=values)
        for rtype in (ADDRESS_TYPE, VIRTUAL_TYPE):
            for item in client.collection(rtype.path, partition, expand=rtype.expanded):
                if item.get("partition", partition) == partition:
                    found.append(rtype.from_wire(item, ctx))
    return found


def _common_neighbours(
    client: DeviceClient, naming: Naming, ours: list[BigIPObject], values: ValueTable
) -> list[BigIPObject]:
    """The virtuals an operator made in ``/Common`` that use one of our objects (or one of
    the old chain's: ``reconcile adopt`` keeps an old pool they use) or stand on one of our
    VIPs: never ours, but what a plan lists as left alone, what keeps a pool of ours from
    being deleted, and a claim on an address:port that ours cannot take."""
    vips = {str(o.fields.get("address", "")) for o in ours if resource_type(o.kind).holds_vip}
    rtype = VIRTUAL_TYPE
    ctx = LiveContext(COMMON, 0, values=values)
    found = []
    for item in client.collection(rtype.path, COMMON, expand=rtype.expanded):
        if item.get("partition", COMMON) != COMMON:
            continue
        obj = rtype.from_wire(item, ctx)
        on_ours = any(
            naming.is_partition(part) or old_chain_source(part)
            for part in (split_path(p)[0] for p in rtype.uses(obj))
        )
        if on_ours or rtype.address_of(obj) in vips:
            found.append(obj)
    # and the pools of /Common those virtuals send to (an operator's own pool beside ours):
    # listed with them; read only when there is such a virtual
    pools = {str(v.fields.get("pool") or "") for v in found} - {""}
    if any(split_path(p)[0] == COMMON for p in pools):
        pool_type = resource_type("ltm/pool")
        found += [
            obj
            for item in client.collection(pool_type.path, COMMON)
            if item.get("partition", COMMON) == COMMON
            and (obj := pool_type.from_wire(item, ctx)).path in pools
        ]
    return found


def read_partition(client: DeviceClient, ctx: LiveContext) -> list[BigIPObject]:
    partition = ctx.partition
    objects: list[BigIPObject] = []
    for rtype in sorted(PARTITION_TYPES, key=lambda t: t.order):
        items = client.collection(rtype.collection, partition, expand=rtype.expanded)
        items = [i for i in items if i.get("partition", partition) == partition]
        # (a device that ignored $filter must not hand us others' objects)
        for item in items:
            obj = rtype.from_wire(item, ctx)
            objects.append(obj)
            for child in CHILD_TYPES.get(rtype.kind, ()):
                for sub in rtype.children(item, child):
                    objects.append(child.from_wire(sub, ctx, parent=obj.name))
        ctx = rtype.read_context(items, ctx)
    return objects
