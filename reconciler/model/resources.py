"""Every BIG-IP resource type we manage, each in one place (pure: no I/O).

Like f5-ansible's Parameters/Difference: a type knows its REST path, its place in the
dependency order, the fields we manage, which of them cannot change in place, how to spell
a desired object for the wire (``to_wire``) and how to read a live one back into the same
canonical fields (``from_wire``) — so the diff is plain equality and a second pass is empty.

The canonical spellings:
- references are full paths (``/Common/http``, ``/Contrail_x/Contrail_pool``);
- addresses go through ``addresses.canonical`` (``%RD`` written iff not 0);
- enabled/disabled pairs become one boolean ``enabled``;
- lists whose order the device does not keep (profiles, persist, rules) are sorted tuples.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.model import addresses
from reconciler.model.bigip import BigIPObject, destination_host, full_path, split_path
from reconciler.model.values import FrozenDict, ValueTable, freeze, shared, thaw


@dataclass(frozen=True)
class LiveContext:
    """What normalising a live object needs to know about its partition."""

    partition: str
    default_rd: int = 0
    virtual_addresses: Mapping[str, str] = field(default_factory=dict)  # VA name → address
    # Shared by every partition of one read: equal field sets become one object.
    values: ValueTable = field(default_factory=ValueTable, compare=False, repr=False)


def _path(value: Any, partition: str = "Common") -> str:
    """A reference as a full path: ``http`` → ``/Common/http``; dicts use name/partition."""
    if isinstance(value, Mapping):
        if value.get("fullPath"):
            return str(value["fullPath"])
        name = str(value.get("name", ""))
        if name.startswith("/"):
            return name
        return full_path(str(value.get("partition", partition)), name)
    text = str(value or "")
    if not text:
        return ""
    return text if text.startswith("/") else full_path(partition, text)


def _items(item: Mapping[str, Any], key: str) -> list[Any]:
    """A subcollection, whether inline (``profiles``) or expanded (``profilesReference``)."""
    if isinstance(item.get(key), list):
        return list(item[key])
    reference = item.get(f"{key}Reference") or {}
    return list(reference.get("items") or [])


MONITOR_FAMILY = "ltm/monitor"


class ResourceType:
    """Generic behaviour: managed fields are copied as they are, in both directions."""

    kind: str = ""
    path: str = ""  # under /mgmt/tm/
    read_path: str = ""  # where it is read, when not at ``path``
    order: int = 0  # its place in RESOURCE_TYPES: creates ascend, deletes descend
    managed: tuple[str, ...] = ()
    # Lifecycle traits, so that no other module asks for a kind by name:
    #: Shared by load balancers and kept while anything on the device uses it (a partition
    #: folder, a node): never part of one load balancer's objects.
    shared: bool = False
    #: The partition itself (its folder): kept while anything lives in it.
    is_partition: bool = False
    #: L3 mode's network objects (VLANs, route domains, self IPs, SNAT): the set's, not a
    #: load balancer's.
    networking: bool = False
    #: The kind of the object it lives in (a pool member's pool): named after its parent,
    #: deleted with it, read inline with it.
    parent_kind: str | None = None
    #: Read with ``expandSubcollections`` (profiles, members and rules come inline).
    expanded: bool = False
    #: Names that span every kind of this family: one must go before another kind of the
    #: same name can come (BIG-IP's monitors).
    name_family: str | None = None
    #: Created and updated by one ``install`` command from an uploaded file.
    installs: bool = False
    # What it is to traffic, for the rules that look across kinds (adoption, conflicts, the
    # objects beside ours): a virtual server listens on a destination; a virtual address
    # holds a VIP; a pool has members; a node is the device's one per address; a route
    # domain numbers a partition's addresses.
    listens: bool = False
    holds_vip: bool = False
    has_members: bool = False
    is_node: bool = False
    numbers_addresses: bool = False
    immutable: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = {}  # what the device reports for a field we leave unset

    @property
    def is_monitor(self) -> bool:
        return self.name_family == MONITOR_FAMILY

    @property
    def is_member(self) -> bool:
        return self.parent_kind is not None

    def to_wire(self, obj: BigIPObject) -> dict[str, Any]:
        body = {"name": obj.name, "partition": obj.partition}
        body.update(self.wire_fields(obj.fields))
        return body

    def wire_name(self, obj: BigIPObject) -> str:
        """The object's name in its URL (``~P~name``), as the device spells it."""
        return obj.wire_name or obj.name

    @property
    def collection(self) -> str:
        """The collection its live objects are read from."""
        return self.read_path or self.path

    def upload_name(self, obj: BigIPObject) -> str | None:
        """The file an install command takes its content from (None: no upload)."""
        return None

    def node_of(self, obj: BigIPObject) -> str | None:
        """The node an object of this kind makes the device keep (a member's)."""
        return None

    def children(self, item: Mapping[str, Any], child: ResourceType) -> list[Mapping[str, Any]]:
        """A parent's child items as read inline (``expandSubcollections``)."""
        return []

    def with_children(
        self, body: dict[str, Any], children: Sequence[BigIPObject]
    ) -> dict[str, Any]:
        """A create request that makes the children too (a pool with its members)."""
        return body

    def read_context(self, items: Sequence[Mapping[str, Any]], ctx: LiveContext) -> LiveContext:
        """What reading later types of the partition needs to know from this one's items."""
        return ctx

    def monitors_of(self, obj: BigIPObject) -> tuple[str, ...]:
        """The monitor paths an object of this kind uses (a pool's)."""
        return ()

    def address_of(self, obj: BigIPObject) -> str | None:
        """The virtual address an object of this kind stands on (a virtual's destination)."""
        return None

    def uses(self, obj: BigIPObject) -> frozenset[str]:
        """The paths of the objects this one refers to, which the device will not delete
        while it does (a pool's monitors; a virtual's pool, profiles, rules, …)."""
        return frozenset(self.monitors_of(obj))

    def wire_fields(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON body for these canonical fields (also used for PATCH)."""
        return {k: thaw(v) for k, v in fields.items()}

    def from_wire(self, item: Mapping[str, Any], ctx: LiveContext, parent: str = "") -> BigIPObject:
        name = shared(str(item["name"]))
        canonical = shared(self.canonical_name(name, ctx))
        return BigIPObject(
            self.kind,
            shared(ctx.partition),
            canonical,
            ctx.values(freeze(self.read_fields(item, ctx))),
            shared(parent),
            wire_name=None if canonical == name else name,
        )

    def canonical_name(self, name: str, ctx: LiveContext) -> str:
        return name

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        return {k: item.get(k, self.defaults.get(k)) for k in self.managed}

    def differences(self, desired: BigIPObject, live: BigIPObject) -> dict[str, tuple[Any, Any]]:
        """Managed fields whose values differ: field → (live, desired)."""
        if desired.fields == live.fields:  # the usual answer, in one comparison
            return {}
        changed = {}
        for name in desired.fields:
            want, have = desired.fields.get(name), live.fields.get(name)
            if want != have:
                changed[name] = (have, want)
        return changed


class Folder(ResourceType):
    kind, path = "sys/folder", "sys/folder"
    shared = True
    is_partition = True

    def wire_name(self, obj: BigIPObject) -> str:
        return ""  # /mgmt/tm/sys/folder/~<partition>

    managed = ("description",)

    def to_wire(self, obj: BigIPObject) -> dict[str, Any]:
        return {"name": obj.partition, "subPath": "/", **self.wire_fields(obj.fields)}

    def from_wire(self, item: Mapping[str, Any], ctx: LiveContext, parent: str = "") -> BigIPObject:
        return BigIPObject(
            self.kind, ctx.partition, ctx.partition, freeze(self.read_fields(item, ctx)), ""
        )


class Monitor(ResourceType):
    name_family = MONITOR_FAMILY
    managed: tuple[str, ...] = ("interval", "timeout", "description")
    defaults = {"interval": 5, "timeout": 16}

    def __init__(self, kind: str, with_http: bool) -> None:
        self.kind = self.path = kind
        if with_http:
            self.managed = (*Monitor.managed, "send", "recv")

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        fields = super().read_fields(item, ctx)
        for key in ("interval", "timeout"):
            if fields[key] is not None:
                fields[key] = int(fields[key])
        return fields


class Node(ResourceType):
    kind, path = "ltm/node", "ltm/node"
    shared = True
    is_node = True
    managed = ("address", "description")
    immutable = ("address",)

    def canonical_name(self, name: str, ctx: LiveContext) -> str:
        try:
            return addresses.canonical(name, ctx.default_rd)
        except addresses.AddressError:
            return name  # a node named by a person: never ours, compared by name only

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        fields = super().read_fields(item, ctx)
        if fields["address"]:
            fields["address"] = addresses.canonical(str(fields["address"]), ctx.default_rd)
        return fields


class Pool(ResourceType):
    kind, path = "ltm/pool", "ltm/pool"
    expanded = True
    has_members = True

    def monitors_of(self, obj: BigIPObject) -> tuple[str, ...]:
        return monitor_paths(str(obj.fields.get("monitor") or ""))

    def children(self, item: Mapping[str, Any], child: ResourceType) -> list[Mapping[str, Any]]:
        return [m for m in _items(item, "members") if isinstance(m, Mapping)]

    def with_children(
        self, body: dict[str, Any], children: Sequence[BigIPObject]
    ) -> dict[str, Any]:
        if children:
            member = RESOURCE_TYPES["ltm/pool/members"]
            body["members"] = [member.to_wire(c) for c in children]
        return body

    managed = ("loadBalancingMode", "monitor", "description")
    defaults = {"loadBalancingMode": "round-robin", "monitor": ""}

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        fields = super().read_fields(item, ctx)
        fields["monitor"] = canonical_monitor(str(item.get("monitor") or ""), ctx.partition)
        return fields


_AT_LEAST = re.compile(r"^\s*min\s+(\d+)\s+of\s+\{(.*)\}\s*$")


def canonical_monitor(text: str, partition: str) -> str:
    """``/P/b and /P/a `` → ``/P/a and /P/b`` (the device may reorder and pad); a rule
    an operator made, ``min 1 of { http /P/inband }``, → ``min 1 of { /Common/http
    /P/inband }`` (recorded devices answer it so: f5-ansible's ``load_ltm_pool.json``)."""
    at_least = _AT_LEAST.match(text)
    if at_least:
        paths = sorted(_path(p, partition) for p in at_least.group(2).split())
        return f"min {at_least.group(1)} of {{ {' '.join(paths)} }}"
    parts = [p.strip() for p in text.replace(" and ", "\n").splitlines() if p.strip()]
    return " and ".join(sorted(_path(p, partition) for p in parts))


def monitor_paths(text: str) -> tuple[str, ...]:
    """The monitors a canonical pool ``monitor`` rule names, whichever form it has."""
    at_least = _AT_LEAST.match(text)
    if at_least:
        return tuple(at_least.group(2).split())
    return tuple(m for m in text.split(" and ") if m)


class Member(ResourceType):
    kind, path = "ltm/pool/members", "ltm/pool"
    parent_kind = "ltm/pool"

    def node_of(self, obj: BigIPObject) -> str | None:
        try:
            host, _port = addresses.split_host_port(obj.name)
        except addresses.AddressError:
            return None
        return host

    managed = ("ratio", "session", "description")
    defaults = {"ratio": 1, "session": "user-enabled"}

    def canonical_name(self, name: str, ctx: LiveContext) -> str:
        try:
            return addresses.canonical_host_port(name, ctx.default_rd)
        except addresses.AddressError:
            return name

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        fields = super().read_fields(item, ctx)
        fields["ratio"] = int(fields["ratio"] or 1)
        # "monitor-enabled" is how the device reports an enabled member that has a monitor.
        session = str(fields["session"] or "user-enabled")
        fields["session"] = "user-disabled" if "disabled" in session else "user-enabled"
        return fields


class Rule(ResourceType):
    kind, path = "ltm/rule", "ltm/rule"
    managed = ("apiAnonymous",)

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        return {"apiAnonymous": str(item.get("apiAnonymous") or "").strip()}


class UniversalPersistence(ResourceType):
    kind, path = "ltm/persistence/universal", "ltm/persistence/universal"
    managed = ("rule", "timeout", "defaultsFrom")

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        return {
            "rule": _path(item.get("rule"), ctx.partition),
            "timeout": str(item.get("timeout", "180")),
            "defaultsFrom": _path(item.get("defaultsFrom") or "/Common/universal"),
        }


class VirtualAddress(ResourceType):
    kind, path = "ltm/virtual-address", "ltm/virtual-address"
    holds_vip = True

    def read_context(self, items: Sequence[Mapping[str, Any]], ctx: LiveContext) -> LiveContext:
        """Virtuals may name their address object instead of the address."""
        names = {str(i["name"]): str(i.get("address", "")) for i in items}
        return replace(ctx, virtual_addresses=names)

    managed = ("address", "autoDelete", "enabled", "description")
    immutable = ("address",)
    defaults = {"autoDelete": "true", "enabled": "yes"}

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        fields = super().read_fields(item, ctx)
        fields["address"] = addresses.canonical(str(item["address"]), ctx.default_rd)
        fields["autoDelete"] = str(fields["autoDelete"]).lower()
        enabled = fields["enabled"]
        fields["enabled"] = "yes" if enabled in (True, "yes", "true", None) else "no"
        return fields


class Virtual(ResourceType):
    kind, path = "ltm/virtual", "ltm/virtual"
    expanded = True
    listens = True

    def address_of(self, obj: BigIPObject) -> str | None:
        host = destination_host(obj.fields.get("destination", ""))
        try:
            ip, _port = addresses.split_host_port(host)
        except addresses.AddressError:
            return None
        return ip

    def uses(self, obj: BigIPObject) -> frozenset[str]:
        fields = obj.fields
        snat = fields.get("sourceAddressTranslation") or {}
        single = (fields.get("pool"), fields.get("fallbackPersistence"), snat.get("pool"))
        lists = ("profiles", "persist", "rules", "policies")
        return frozenset(
            str(p) for p in (*single, *(p for k in lists for p in fields.get(k) or ())) if p
        )

    managed = (
        "destination",
        "mask",
        "ipProtocol",
        "enabled",
        "connectionLimit",
        "pool",
        "profiles",
        "persist",
        "fallbackPersistence",
        "rules",
        "policies",
        "sourceAddressTranslation",
        "description",
    )

    def wire_fields(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for key, value in fields.items():
            if key == "enabled":
                body["enabled" if value else "disabled"] = True
            elif key == "profiles":
                body["profiles"] = [{"name": p} for p in value]
            elif key in ("persist", "policies"):
                body[key] = [{"name": p} for p in value]
            else:
                body[key] = thaw(value)
        return body

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        part = ctx.partition
        snat = item.get("sourceAddressTranslation") or {"type": "none"}
        snat_fields = {"type": snat.get("type", "none")}
        if snat.get("pool"):
            snat_fields["pool"] = _path(snat["pool"], part)
        return {
            "destination": canonical_destination(str(item.get("destination", "")), ctx),
            "mask": str(item.get("mask", "255.255.255.255")),
            "ipProtocol": str(item.get("ipProtocol", "tcp")),
            "enabled": not item.get("disabled", False),
            "connectionLimit": int(item.get("connectionLimit", 0)),
            "pool": _path(item.get("pool") or "", part),
            "profiles": tuple(sorted(_path(p, "Common") for p in _items(item, "profiles"))),
            "persist": tuple(sorted(_path(p, "Common") for p in _items(item, "persist"))),
            "fallbackPersistence": _path(item.get("fallbackPersistence") or ""),
            "rules": tuple(sorted(_path(r, part) for r in item.get("rules") or ())),
            "policies": tuple(sorted(_path(p, part) for p in _items(item, "policies"))),
            "sourceAddressTranslation": snat_fields,
            "description": item.get("description"),
        }


def canonical_destination(text: str, ctx: LiveContext) -> str:
    """``/P/10.0.0.1%0:80`` → ``/P/10.0.0.1:80``; a virtual-address *name* → its address."""
    if not text:
        return ""
    partition, rest = split_path(text, ctx.partition)
    try:
        host, port = addresses.split_host_port(rest)
    except addresses.AddressError:
        return text
    host = ctx.virtual_addresses.get(host, host)
    try:
        return full_path(partition, addresses.parse(host, ctx.default_rd).with_port(port))
    except addresses.AddressError:
        return text


class Vlan(ResourceType):
    """A VLAN per connected virtual network (L3 mode); ``interfaces``: ((name, tagged), …)."""

    kind, path = "net/vlan", "net/vlan"
    networking = True
    expanded = True  # interfaces are a subcollection (net/vlan/~P~v/interfaces)
    managed = ("interfaces", "tag", "description")

    def wire_fields(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        # No tag: the device gives an untagged VLAN one of its own (4094 downwards).
        body = {
            k: thaw(v)
            for k, v in fields.items()
            if k != "interfaces" and not (k == "tag" and v is None)
        }
        if "interfaces" in fields:
            body["interfaces"] = [
                {"name": name, "tagged" if tagged else "untagged": True}
                for name, tagged in fields["interfaces"]
            ]
        return body

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        interfaces = tuple(
            sorted((str(i.get("name")), bool(i.get("tagged"))) for i in _items(item, "interfaces"))
        )
        tag = item.get("tag")
        return {
            "interfaces": interfaces,
            "tag": int(tag) if tag not in (None, "") else None,
            "description": item.get("description"),
        }

    def differences(self, desired: BigIPObject, live: BigIPObject) -> dict[str, tuple[Any, Any]]:
        changed = super().differences(desired, live)
        if desired.fields.get("tag") is None:
            changed.pop("tag", None)  # the tag the device chose for an untagged VLAN
        return changed


class RouteDomain(ResourceType):
    """A project's route domain (L3 mode): the id never changes in place (delete + create)."""

    kind, path = "net/route-domain", "net/route-domain"
    networking = True
    numbers_addresses = True
    managed = ("id", "vlans", "description")
    immutable = ("id",)

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        return {
            "id": int(item.get("id", 0)),
            "vlans": tuple(sorted(_path(v, ctx.partition) for v in item.get("vlans") or ())),
            "description": item.get("description"),
        }


class SelfIp(ResourceType):
    kind, path = "net/self", "net/self"
    networking = True
    managed = ("address", "vlan", "floating", "trafficGroup", "description")

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        host, _, length = str(item.get("address", "")).partition("/")
        return {
            "address": f"{addresses.canonical(host, ctx.default_rd)}/{length}",
            "vlan": _path(item.get("vlan"), ctx.partition),
            "floating": str(item.get("floating", "disabled")),
            "trafficGroup": _path(item.get("trafficGroup") or ""),
            "description": item.get("description"),
        }


class SnatTranslation(ResourceType):
    kind, path = "ltm/snat-translation", "ltm/snat-translation"
    networking = True
    managed = ("address", "trafficGroup", "description")
    immutable = ("address",)

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        return {
            "address": addresses.canonical(str(item.get("address", "")), ctx.default_rd),
            "trafficGroup": _path(item.get("trafficGroup") or ""),
            "description": item.get("description"),
        }


class SnatPool(ResourceType):
    kind, path = "ltm/snatpool", "ltm/snatpool"
    networking = True
    managed = ("members", "description")

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        members = item.get("members") or ()
        return {
            "members": tuple(sorted(_path(m, ctx.partition) for m in members)),
            "description": item.get("description"),
        }


UPLOAD_DIR = "/var/config/rest/downloads"  # where file-transfer uploads land on the device


class CryptoFile(ResourceType):
    """``sys/crypto/cert`` and ``sys/crypto/key``: installed from an uploaded file.

    Create and update are the same request (``command: install`` from the upload, which
    replaces an existing one); the device's ``checksum`` (``SHA1:<size>:<hex>``) is what we
    compare, so a renewed certificate is re-installed and an unchanged one costs nothing.
    They are read where the device reports that checksum, as the files behind them
    (``sys/file/ssl-cert``, ``sys/file/ssl-key``): from TMOS 14.1, ``sys/crypto/cert``
    names its items by full path, with no partition and no checksum.
    """

    installs = True

    def __init__(self, kind: str, read_path: str) -> None:
        self.kind = self.path = kind
        self.read_path = read_path
        self.managed = ("checksum",)

    def canonical_name(self, name: str, ctx: LiveContext) -> str:
        return name.rpartition("/")[2]  # ``/P/x.crt`` (crypto, 14.1+) or ``x.crt``

    def wire_name(self, obj: BigIPObject) -> str:
        return obj.name

    def upload_name(self, obj: BigIPObject) -> str | None:
        return f"{obj.partition}_{obj.name}"

    def to_wire(self, obj: BigIPObject) -> dict[str, Any]:
        return {
            "command": "install",
            "name": obj.name,
            "partition": obj.partition,
            "from-local-file": f"{UPLOAD_DIR}/{self.upload_name(obj)}",
        }


class ClientSsl(ResourceType):
    kind, path = "ltm/profile/client-ssl", "ltm/profile/client-ssl"
    managed = ("defaultsFrom", "cert", "key", "sniDefault", "description")

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        return {
            "defaultsFrom": _path(item.get("defaultsFrom") or "/Common/clientssl"),
            "cert": _path(item.get("cert"), ctx.partition),
            "key": _path(item.get("key"), ctx.partition),
            "sniDefault": str(item.get("sniDefault", "false")).lower(),
            "description": item.get("description"),
        }


class Policy(ResourceType):
    """An LTM policy forwarding by host and path (Ingress rules), first match wins.

    Canonical ``rules``: a tuple of ``{name, host, path, pool}`` in ordinal order; the wire
    form spells them as conditions (``httpHost`` equals, ``httpUri`` path starts-with) and a
    ``forward`` action. Created with ``legacy: true`` so TMOS 12.1+ publishes it at once.
    """

    kind, path = "ltm/policy", "ltm/policy"
    expanded = True
    managed = ("strategy", "requires", "controls", "rules", "description")

    def wire_fields(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        body = {k: thaw(v) for k, v in fields.items() if k != "rules"}
        if "rules" in fields:
            body["rules"] = [self._wire_rule(i, r) for i, r in enumerate(fields["rules"])]
        return body

    def to_wire(self, obj: BigIPObject) -> dict[str, Any]:
        return {**super().to_wire(obj), "legacy": True}

    @staticmethod
    def _wire_rule(ordinal: int, rule: Mapping[str, Any]) -> dict[str, Any]:
        conditions = []
        if rule.get("host"):
            conditions.append(
                {
                    "name": "0",
                    "httpHost": True,
                    "host": True,
                    "equals": True,
                    "values": [rule["host"]],
                }
            )
        if rule.get("path") and rule["path"] != "/":
            conditions.append(
                {
                    "name": str(len(conditions)),
                    "httpUri": True,
                    "path": True,
                    "startsWith": True,
                    "values": [rule["path"]],
                }
            )
        return {
            "name": rule["name"],
            "ordinal": ordinal,
            "conditions": conditions,
            "actions": [{"name": "0", "forward": True, "request": True, "pool": rule["pool"]}],
        }

    def read_fields(self, item: Mapping[str, Any], ctx: LiveContext) -> dict[str, Any]:
        rules = []
        for rule in sorted(_items(item, "rules"), key=lambda r: int(r.get("ordinal", 0))):
            host = path = ""
            for cond in _items(rule, "conditions"):
                values = cond.get("values") or [""]
                if cond.get("httpHost"):
                    host = str(values[0])
                elif cond.get("httpUri"):
                    path = str(values[0])
            pool = next((a.get("pool") for a in _items(rule, "actions") if a.get("pool")), "")
            rules.append(
                {
                    "name": rule.get("name"),
                    "host": host,
                    "path": path or "/",
                    "pool": _path(pool, ctx.partition),
                }
            )
        return {
            "strategy": _path(item.get("strategy") or "/Common/first-match"),
            "requires": tuple(sorted(item.get("requires") or ())),
            "controls": tuple(sorted(item.get("controls") or ())),
            "rules": tuple(rules),
            "description": item.get("description"),
        }


#: Every type we manage, in dependency order: creates run in this order, deletes in the
#: reverse (a folder before what lives in it, a monitor before the pool that uses it, a
#: pool and a virtual address before the virtual on them).
RESOURCE_TYPES: dict[str, ResourceType] = {
    t.kind: t
    for t in (
        Folder(),
        Vlan(),
        RouteDomain(),
        SelfIp(),
        SnatTranslation(),
        SnatPool(),
        Monitor("ltm/monitor/http", with_http=True),
        Monitor("ltm/monitor/https", with_http=True),
        Monitor("ltm/monitor/tcp", with_http=False),
        Monitor("ltm/monitor/gateway-icmp", with_http=False),
        Node(),
        Pool(),
        Member(),
        Rule(),
        UniversalPersistence(),
        VirtualAddress(),
        CryptoFile("sys/crypto/key", "sys/file/ssl-key"),
        CryptoFile("sys/crypto/cert", "sys/file/ssl-cert"),
        ClientSsl(),
        Policy(),
        Virtual(),
    )
}

for _order, _rtype in enumerate(RESOURCE_TYPES.values()):
    _rtype.order = _order * 10

#: The partition's own type (its folder).
PARTITION_TYPE = next(t for t in RESOURCE_TYPES.values() if t.is_partition)

#: The types read per partition (members come inline with pools, the folder list is global).
PARTITION_TYPES = tuple(
    t for t in RESOURCE_TYPES.values() if not t.is_partition and t.parent_kind is None
)


def resource_type(kind: str) -> ResourceType:
    return RESOURCE_TYPES[kind]


def frozen_fields(fields: Mapping[str, Any]) -> FrozenDict[str, Any]:
    return freeze(dict(fields))


#: Parent kind → the types read inline with it (a pool's members).
CHILD_TYPES: dict[str, tuple[ResourceType, ...]] = {
    parent: tuple(t for t in RESOURCE_TYPES.values() if t.parent_kind == parent)
    for parent in {t.parent_kind for t in RESOURCE_TYPES.values() if t.parent_kind}
}
