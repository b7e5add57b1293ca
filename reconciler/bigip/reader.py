"""Read the live state of our partitions: one paged collection GET per type per partition.

Pools come with their members and virtuals with their profiles inline
(``expandSubcollections``); everything is normalised by its resource type so that it
compares equal to the desired object when it means the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.bigip.client import DeviceClient
from reconciler.logs import get_logger
from reconciler.model.bigip import BigIPObject, ObjectSet
from reconciler.model.resources import (
    PARTITION_TYPES,
    LiveContext,
    resource_type,
)
from reconciler.naming import Naming

log = get_logger("bigip.reader")
EXPANDED = frozenset({"ltm/pool", "ltm/virtual", "ltm/policy"})


@dataclass(frozen=True)
class LiveState:
    objects: ObjectSet
    partitions: tuple[str, ...]  # our partitions found on the device
    default_rds: dict[str, int]


def read_live(client: DeviceClient, prefix: str) -> LiveState:
    naming = Naming(prefix)
    folders = [
        f
        for f in client.collection("sys/folder")
        if naming.is_partition(str(f.get("name", ""))) and f.get("subPath", "/") == "/"
    ]
    default_rds = {
        str(p["name"]): int(p.get("defaultRouteDomain", 0) or 0)
        for p in client.collection("auth/partition")
        if naming.is_partition(str(p.get("name", "")))
    }
    objects: list[BigIPObject] = []
    folder_type = resource_type("sys/folder")
    partitions = []
    for folder in folders:
        partition = str(folder["name"])
        partitions.append(partition)
        ctx = LiveContext(partition, default_rds.get(partition, 0))
        objects.append(folder_type.from_wire(folder, ctx))
        objects.extend(read_partition(client, ctx))
    return LiveState(ObjectSet(objects), tuple(partitions), default_rds)


def read_partition(client: DeviceClient, ctx: LiveContext) -> list[BigIPObject]:
    partition = ctx.partition
    objects: list[BigIPObject] = []
    addresses_by_name: dict[str, str] = {}
    member_type = resource_type("ltm/pool/members")
    for rtype in sorted(PARTITION_TYPES, key=lambda t: t.order):
        items = client.collection(rtype.path, partition, expand=rtype.kind in EXPANDED)
        if rtype.kind == "ltm/virtual-address":
            addresses_by_name = {str(i["name"]): str(i.get("address", "")) for i in items}
        if rtype.kind == "ltm/virtual":
            ctx = LiveContext(partition, ctx.default_rd, addresses_by_name)
        for item in items:
            if item.get("partition", partition) != partition:
                continue  # a device that ignored $filter must not hand us others' objects
            obj = rtype.from_wire(item, ctx)
            objects.append(obj)
            if rtype.kind == "ltm/pool":
                members = item.get("membersReference", {}).get("items") or item.get("members") or []
                for member in members:
                    if isinstance(member, dict):
                        objects.append(member_type.from_wire(member, ctx, parent=obj.name))
    return objects
