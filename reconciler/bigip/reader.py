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
)
from reconciler.model.values import ValueTable
from reconciler.naming import Naming

log = get_logger("bigip.reader")


@dataclass(frozen=True)
class LiveState:
    objects: ObjectSet
    partitions: tuple[str, ...]  # our partitions found on the device
    default_rds: dict[str, int]


def read_live(client: DeviceClient, prefix: str) -> LiveState:
    naming = Naming(prefix)
    folders = [
        f
        for f in client.collection(PARTITION_TYPE.path)
        if naming.is_partition(str(f.get("name", ""))) and f.get("subPath", "/") == "/"
    ]
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
    return LiveState(ObjectSet(objects), tuple(c.partition for _f, c in contexts), default_rds)


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
