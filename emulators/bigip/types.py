"""The table of resource types the emulator models.

One row per iControl REST collection: its URL path under ``/mgmt/tm/``, its kind, the
family its names live in (profiles of all kinds share one name space, so do monitors), the
label the device uses in error messages, defaults filled in on create, fields a client may
not change, references to check, and sub-collections. The generic engine in ``device.py``
reads this table; behaviour that no table can express (auto-created virtual addresses and
nodes, address spelling) is named here by a ``hook`` and implemented there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Ref:
    """A field of an object that names other objects.

    ``shape`` says how to read it: ``path`` (one name), ``paths`` (a list of names or of
    ``{"name": ...}`` dicts), ``monitor`` (a pool's ``"a and b"`` / ``"min 1 of {a b}"``
    rule), ``snat`` (``sourceAddressTranslation.pool`` when type is snat).
    """

    field: str
    family: str
    shape: str = "path"


@dataclass(frozen=True)
class ResourceType:
    path: str  # under /mgmt/tm/, e.g. "ltm/pool" or "ltm/pool/members" for a child
    family: str  # name space for references and in-use checks
    label: str  # as the device spells the type in messages
    defaults: dict[str, Any] = field(default_factory=dict)
    immutable: tuple[str, ...] = ()  # rejected when changed (the device's read-only fields)
    refs: tuple[Ref, ...] = ()
    children: tuple[tuple[str, str], ...] = ()  # (body field, child type path)
    parent: str | None = None  # for sub-collection types
    hook: str | None = None  # special behaviour implemented in device.py
    has_stats: bool = False
    kind_override: str | None = None

    @property
    def kind(self) -> str:
        if self.kind_override:
            return self.kind_override
        parts = self.path.split("/")
        return "tm:" + ":".join(parts) + f":{parts[-1]}state"

    @property
    def collection_kind(self) -> str:
        return self.kind[: -len("state")] + "collectionstate"

    @property
    def stats_kind(self) -> str:
        return self.kind[: -len("state")] + "stats"


_MONITOR_COMMON = {
    "interval": 5,
    "timeout": 16,
    "timeUntilUp": 0,
    "upInterval": 0,
    "manualResume": "disabled",
    "destination": "*:*",
    "ipDscp": 0,
}
_HTTP_MONITOR = {
    **_MONITOR_COMMON,
    "adaptive": "disabled",
    "reverse": "disabled",
    "transparent": "disabled",
    "send": "GET /\\r\\n",
    "recv": "none",
}
_PROFILE_REFS = (Ref("defaultsFrom", "profile"),)
_PERSIST_REFS = (Ref("defaultsFrom", "persistence"),)

# Order matters: it is dependency order (dump/load and config-sync replay in this order).
TYPES: tuple[ResourceType, ...] = (
    ResourceType(
        "sys/folder",
        "folder",
        "folder",
        hook="folder",
        defaults={
            "deviceGroup": "none",
            "hidden": "false",
            "inheritedDevicegroup": "true",
            "inheritedTrafficGroup": "true",
            "noRefCheck": "false",
            "trafficGroup": "/Common/traffic-group-1",
        },
    ),
    ResourceType(
        "auth/partition",
        "partition",
        "partition",
        hook="partition",
        defaults={"defaultRouteDomain": 0},
    ),
    ResourceType(
        "net/vlan",
        "vlan",
        "vlan",
        defaults={
            "autoLasthop": "default",
            "cmpHash": "default",
            "failsafe": "disabled",
            "failsafeAction": "failover-restart-tm",
            "failsafeTimeout": 90,
            "mtu": 1500,
            "sflow": {"pollInterval": 0, "samplingRate": 0},
        },
    ),
    ResourceType(
        "net/tunnels/tunnel",
        "vlan",
        "tunnel",
        defaults={
            "autoLasthop": "default",
            "idleTimeout": 300,
            "key": 0,
            "localAddress": "any6",
            "mode": "bidirectional",
            "mtu": 0,
            "profile": "/Common/vxlan",
            "remoteAddress": "any6",
            "tos": "preserve",
            "transparent": "disabled",
            "usePmtu": "enabled",
        },
    ),
    ResourceType(
        "net/route-domain",
        "route-domain",
        "route domain",
        hook="route-domain",
        defaults={"connectionLimit": 0, "strict": "enabled", "throughputCapacity": "none"},
        immutable=("id",),
        refs=(Ref("vlans", "vlan", "paths"), Ref("parent", "route-domain")),
    ),
    ResourceType(
        "net/self",
        "self",
        "Self IP",
        hook="self",
        defaults={
            "floating": "disabled",
            "inheritedTrafficGroup": "false",
            "trafficGroup": "/Common/traffic-group-local-only",
            "unit": 0,
            "allowService": "none",
        },
        refs=(Ref("vlan", "vlan"),),
    ),
    ResourceType(
        "sys/crypto/key",
        "key",
        "key",
        defaults={"keySize": 2048, "keyType": "rsa-private", "securityType": "normal"},
    ),
    ResourceType(
        "sys/crypto/cert",
        "cert",
        "certificate",
        defaults={"certificateKeyCurveName": "none", "keyType": "rsa-public"},
    ),
    ResourceType(
        "ltm/monitor/http",
        "monitor",
        "monitor",
        hook="monitor",
        defaults={**_HTTP_MONITOR, "defaultsFrom": "/Common/http"},
        refs=(Ref("defaultsFrom", "monitor"),),
    ),
    ResourceType(
        "ltm/monitor/https",
        "monitor",
        "monitor",
        hook="monitor",
        defaults={
            **_HTTP_MONITOR,
            "defaultsFrom": "/Common/https",
            "cipherlist": "DEFAULT:+SHA:+3DES:+kEDH",
            "compatibility": "enabled",
        },
        refs=(Ref("defaultsFrom", "monitor"),),
    ),
    ResourceType(
        "ltm/monitor/tcp",
        "monitor",
        "monitor",
        hook="monitor",
        defaults={
            **_MONITOR_COMMON,
            "defaultsFrom": "/Common/tcp",
            "adaptive": "disabled",
            "reverse": "disabled",
            "transparent": "disabled",
        },
        refs=(Ref("defaultsFrom", "monitor"),),
    ),
    ResourceType(
        "ltm/monitor/gateway-icmp",
        "monitor",
        "monitor",
        hook="monitor",
        defaults={
            **_MONITOR_COMMON,
            "destination": "*",
            "defaultsFrom": "/Common/gateway_icmp",
            "adaptive": "disabled",
            "transparent": "disabled",
        },
        refs=(Ref("defaultsFrom", "monitor"),),
    ),
    ResourceType(
        "ltm/node",
        "node",
        "Node",
        hook="node",
        has_stats=True,
        defaults={
            "connectionLimit": 0,
            "dynamicRatio": 1,
            "ephemeral": "false",
            "fqdn": {
                "addressFamily": "ipv4",
                "autopopulate": "disabled",
                "downInterval": 5,
                "interval": "3600",
            },
            "logging": "disabled",
            "monitor": "default",
            "rateLimit": "disabled",
            "ratio": 1,
            "session": "user-enabled",
            "state": "unchecked",
        },
        immutable=("address",),
    ),
    ResourceType(
        "ltm/pool",
        "pool",
        "Pool",
        has_stats=True,
        defaults={
            "allowNat": "yes",
            "allowSnat": "yes",
            "ignorePersistedWeight": "disabled",
            "ipTosToClient": "pass-through",
            "ipTosToServer": "pass-through",
            "linkQosToClient": "pass-through",
            "linkQosToServer": "pass-through",
            "loadBalancingMode": "round-robin",
            "minActiveMembers": 0,
            "minUpMembers": 0,
            "minUpMembersAction": "failover",
            "minUpMembersChecking": "disabled",
            "queueDepthLimit": 0,
            "queueOnConnectionLimit": "disabled",
            "queueTimeLimit": 0,
            "reselectTries": 0,
            "serviceDownAction": "none",
            "slowRampTime": 10,
        },
        refs=(Ref("monitor", "monitor", "monitor"),),
        children=(("members", "ltm/pool/members"),),
    ),
    ResourceType(
        "ltm/pool/members",
        "member",
        "Pool Member",
        parent="ltm/pool",
        hook="member",
        has_stats=True,
        defaults={
            "connectionLimit": 0,
            "dynamicRatio": 1,
            "ephemeral": "false",
            "fqdn": {"autopopulate": "disabled"},
            "inheritProfile": "enabled",
            "logging": "disabled",
            "monitor": "default",
            "priorityGroup": 0,
            "rateLimit": "disabled",
            "ratio": 1,
            "session": "user-enabled",
            "state": "unchecked",
        },
        immutable=("address",),
    ),
    ResourceType(
        "ltm/snat-translation",
        "snat-translation",
        "snat translation",
        hook="snat-translation",
        defaults={
            "arp": "enabled",
            "connectionLimit": 0,
            "enabled": True,
            "inheritedTrafficGroup": "false",
            "ipIdleTimeout": "indefinite",
            "tcpIdleTimeout": "indefinite",
            "trafficGroup": "/Common/traffic-group-1",
            "udpIdleTimeout": "indefinite",
            "unit": 1,
        },
        immutable=("address",),
    ),
    ResourceType(
        "ltm/snatpool", "snatpool", "snatpool", refs=(Ref("members", "snat-translation", "paths"),)
    ),
    ResourceType(
        "ltm/profile/http",
        "profile",
        "profile",
        defaults={
            "defaultsFrom": "/Common/http",
            "insertXforwardedFor": "disabled",
            "oneconnectTransformations": "enabled",
            "redirectRewrite": "none",
        },
        refs=_PROFILE_REFS,
    ),
    ResourceType(
        "ltm/profile/fastl4",
        "profile",
        "profile",
        kind_override="tm:ltm:profile:fastl4:fastl4state",
        defaults={
            "defaultsFrom": "/Common/fastL4",
            "idleTimeout": "300",
            "looseClose": "disabled",
            "looseInitialization": "disabled",
        },
        refs=_PROFILE_REFS,
    ),
    ResourceType(
        "ltm/profile/tcp",
        "profile",
        "profile",
        defaults={"defaultsFrom": "/Common/tcp", "idleTimeout": 300, "nagle": "auto"},
        refs=_PROFILE_REFS,
    ),
    ResourceType(
        "ltm/profile/udp",
        "profile",
        "profile",
        defaults={
            "defaultsFrom": "/Common/udp",
            "idleTimeout": "60",
            "datagramLoadBalancing": "disabled",
        },
        refs=_PROFILE_REFS,
    ),
    ResourceType(
        "ltm/profile/one-connect",
        "profile",
        "profile",
        defaults={
            "defaultsFrom": "/Common/oneconnect",
            "maxAge": 86400,
            "maxReuse": 1000,
            "maxSize": 10000,
            "sourceMask": "any",
        },
        refs=_PROFILE_REFS,
    ),
    ResourceType(
        "ltm/profile/client-ssl",
        "profile",
        "profile",
        defaults={
            "defaultsFrom": "/Common/clientssl",
            "cert": "/Common/default.crt",
            "key": "/Common/default.key",
            "chain": "none",
            "ciphers": "DEFAULT",
            "sniDefault": "false",
        },
        refs=(*_PROFILE_REFS, Ref("cert", "cert"), Ref("key", "key")),
    ),
    ResourceType("ltm/rule", "rule", "rule", defaults={"apiAnonymous": ""}),
    ResourceType(
        "ltm/persistence/source-addr",
        "persistence",
        "persistence profile",
        defaults={
            "defaultsFrom": "/Common/source_addr",
            "timeout": "180",
            "mask": "none",
            "matchAcrossPools": "disabled",
            "matchAcrossServices": "disabled",
            "matchAcrossVirtuals": "disabled",
        },
        refs=_PERSIST_REFS,
    ),
    ResourceType(
        "ltm/persistence/cookie",
        "persistence",
        "persistence profile",
        defaults={
            "defaultsFrom": "/Common/cookie",
            "method": "insert",
            "expiration": "0",
            "timeout": "180",
        },
        refs=_PERSIST_REFS,
    ),
    ResourceType(
        "ltm/persistence/universal",
        "persistence",
        "persistence profile",
        defaults={
            "defaultsFrom": "/Common/universal",
            "timeout": "180",
            "matchAcrossPools": "disabled",
            "matchAcrossServices": "disabled",
            "matchAcrossVirtuals": "disabled",
        },
        refs=(*_PERSIST_REFS, Ref("rule", "rule")),
    ),
    ResourceType(
        "ltm/policy",
        "policy",
        "policy",
        hook="policy",
        defaults={
            "controls": [],
            "requires": [],
            "status": "published",
            "strategy": "/Common/first-match",
            "rules": [],
        },
    ),
    ResourceType(
        "ltm/virtual-address",
        "virtual-address",
        "Virtual Address",
        hook="virtual-address",
        defaults={
            "arp": "enabled",
            "autoDelete": "true",
            "connectionLimit": 0,
            "enabled": "yes",
            "floating": "enabled",
            "icmpEcho": "enabled",
            "inheritedTrafficGroup": "false",
            "mask": "255.255.255.255",
            "routeAdvertisement": "disabled",
            "spanning": "disabled",
            "trafficGroup": "/Common/traffic-group-1",
            "unit": 1,
        },
        immutable=("address",),
    ),
    ResourceType(
        "ltm/virtual",
        "virtual",
        "Virtual Server",
        hook="virtual",
        has_stats=True,
        defaults={
            "addressStatus": "yes",
            "autoLasthop": "default",
            "cmpEnabled": "yes",
            "connectionLimit": 0,
            "enabled": True,
            "gtmScore": 0,
            "ipProtocol": "tcp",
            "mask": "255.255.255.255",
            "mirror": "disabled",
            "mobileAppTunnel": "disabled",
            "nat64": "disabled",
            "rateLimit": "disabled",
            "rateLimitDstMask": 0,
            "rateLimitMode": "object",
            "rateLimitSrcMask": 0,
            "serviceDownImmediateAction": "none",
            "sourceAddressTranslation": {"type": "none"},
            "sourcePort": "preserve",
            "synCookieStatus": "not-activated",
            "translateAddress": "enabled",
            "translatePort": "enabled",
            "vlansDisabled": True,
        },
        refs=(
            Ref("pool", "pool"),
            Ref("rules", "rule", "paths"),
            Ref("persist", "persistence", "paths"),
            Ref("fallbackPersistence", "persistence"),
            Ref("vlans", "vlan", "paths"),
            Ref("sourceAddressTranslation", "snatpool", "snat"),
        ),
        children=(("profiles", "ltm/virtual/profiles"), ("policies", "ltm/virtual/policies")),
    ),
    ResourceType(
        "ltm/virtual/profiles",
        "virtual-profile",
        "profile",
        parent="ltm/virtual",
        hook="ref-child",
        defaults={"context": "all"},
    ),
    ResourceType(
        "ltm/virtual/policies", "virtual-policy", "policy", parent="ltm/virtual", hook="ref-child"
    ),
)

BY_PATH: dict[str, ResourceType] = {t.path: t for t in TYPES}
# f5-sdk spells some collections differently from the kind (fastL4, one-connect).
ALIASES = {
    "ltm/profile/fastL4": "ltm/profile/fastl4",
    "ltm/profile/oneconnect": "ltm/profile/one-connect",
}
CHILD_TARGET_FAMILY = {"ltm/virtual/profiles": "profile", "ltm/virtual/policies": "policy"}

FAMILY_LABELS = {
    "pool": "Pool",
    "monitor": "monitor",
    "profile": "profile",
    "persistence": "persistence profile",
    "rule": "rule",
    "policy": "policy",
    "vlan": "vlan",
    "snatpool": "snatpool",
    "snat-translation": "snat translation",
    "route-domain": "route domain",
    "rdid": "route domain",
    "cert": "certificate",
    "key": "key",
    "node": "Node",
    "virtual-address": "Virtual Address",
    "folder": "folder",
    "partition": "partition",
}


def _builtin(path: str, name: str, **fields: Any) -> tuple[str, dict[str, Any]]:
    return path, {"name": name, "partition": "Common", **fields}


# Objects a fresh BIG-IP has in /Common; they cannot be deleted.
BUILTINS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("sys/folder", {"name": "Common", "subPath": "/"}),
    _builtin("net/route-domain", "0", id=0),
    _builtin("sys/crypto/key", "default.key"),
    _builtin("sys/crypto/cert", "default.crt"),
    _builtin("ltm/monitor/http", "http", defaultsFrom=""),
    _builtin("ltm/monitor/https", "https", defaultsFrom=""),
    _builtin("ltm/monitor/tcp", "tcp", defaultsFrom=""),
    _builtin("ltm/monitor/gateway-icmp", "gateway_icmp", defaultsFrom=""),
    _builtin("ltm/profile/http", "http", defaultsFrom=""),
    _builtin("ltm/profile/fastl4", "fastL4", defaultsFrom=""),
    _builtin("ltm/profile/tcp", "tcp", defaultsFrom=""),
    _builtin("ltm/profile/udp", "udp", defaultsFrom=""),
    _builtin("ltm/profile/one-connect", "oneconnect", defaultsFrom=""),
    _builtin("ltm/profile/client-ssl", "clientssl", defaultsFrom=""),
    _builtin("ltm/persistence/source-addr", "source_addr", defaultsFrom=""),
    _builtin("ltm/persistence/cookie", "cookie", defaultsFrom=""),
    _builtin("ltm/persistence/universal", "universal", defaultsFrom=""),
)
