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
    since: str | None = None  # first TMOS version that has it (older versions answer 404)
    omit_empty: tuple[str, ...] = ()  # list fields the device leaves out when empty
    # Another collection's objects, presented as this type (``sys/file/ssl-cert`` shows the
    # certificates ``sys/crypto/cert`` installs, with their checksum): read and delete only.
    view_of: str | None = None
    # Fields naming other objects that a device shows with a ``<field>Reference`` link to
    # them: (field, the target's collection under /mgmt/tm/) (recorded responses).
    links: tuple[tuple[str, str], ...] = ()

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
# What a device reports for the adaptive-response settings of monitors that have them.
_ADAPTIVE = {
    "adaptive": "disabled",
    "adaptiveDivergenceType": "relative",
    "adaptiveDivergenceValue": 25,
    "adaptiveLimit": 200,
    "adaptiveSamplingTimespan": 300,
}
_HTTP_MONITOR = {
    **_MONITOR_COMMON,
    **_ADAPTIVE,
    "reverse": "disabled",
    "transparent": "disabled",
    "send": "GET /\\r\\n",
}  # no ``recv`` when unset: a device leaves it out (recorded responses)
_MONITOR_T = {"interval": 10, "timeout": 31}  # the slower protocol checks
_MONITOR_DB = {"interval": 30, "timeout": 91, "count": "0"}
# Every other monitor type of TMOS 13.1 (``GET /mgmt/tm/ltm/monitor`` lists 40 with http,
# https, tcp and gateway-icmp above): URL name, built-in parent in /Common, type defaults,
# first version. Source: f5-sdk 3.0.21 ``f5/bigip/tm/ltm/monitor.py`` (kinds) and its
# functional test (40 collections from 13.1.0 on, MQTT new in 13.1.0); timings from F5's
# tmsh reference for ``ltm monitor <type>`` (approximate where noted in bigip.md).
_MONITOR_TYPES: tuple[tuple[str, str, dict[str, Any], str | None], ...] = (
    ("diameter", "diameter", {}, None),
    (
        "dns",
        "dns",
        {
            "qtype": "a",
            "qclass": "in",
            "acceptRcode": "no-error",
            "answerContains": "query-type",
            "reverse": "disabled",
            "transparent": "disabled",
            "adaptive": "disabled",
        },
        None,
    ),
    ("external", "external", {"run": "none"}, None),
    ("firepass", "firepass", {"maxLoadAverage": 12, "concurrencyLimit": 95}, None),
    ("ftp", "ftp", {**_MONITOR_T, "mode": "passive"}, None),
    ("icmp", "icmp", {"destination": "*", "adaptive": "disabled", "transparent": "disabled"}, None),
    ("imap", "imap", dict(_MONITOR_T), None),
    (
        "inband",
        "inband",
        {"failures": 3, "failureInterval": 30, "responseTime": 10, "retryTime": 300},
        None,
    ),
    (
        "ldap",
        "ldap",
        {**_MONITOR_T, "security": "none", "mandatoryAttributes": "no", "chaseReferrals": "yes"},
        None,
    ),
    (
        "module-score",
        "module_score",
        {
            "interval": 10,
            "timeout": 30,
            "snmpCommunity": "public",
            "snmpPort": 161,
            "snmpVersion": "v1",
        },
        None,
    ),
    ("mqtt", "mqtt", {}, "13.1"),
    ("mssql", "mssql", dict(_MONITOR_DB), None),
    ("mysql", "mysql", dict(_MONITOR_DB), None),
    ("nntp", "nntp", dict(_MONITOR_T), None),
    ("none", "none", {}, None),
    ("oracle", "oracle", dict(_MONITOR_DB), None),
    ("pop3", "pop3", dict(_MONITOR_T), None),
    ("postgresql", "postgresql", dict(_MONITOR_DB), None),
    ("radius", "radius", dict(_MONITOR_T), None),
    ("radius-accounting", "radius_accounting", dict(_MONITOR_T), None),
    ("real-server", "real_server", {"method": "GET", "tmCommand": "none"}, None),
    ("rpc", "rpc", {**_MONITOR_T, "mode": "udp", "programVersion": "100000 2"}, None),
    (
        "sasp",
        "sasp",
        {"interval": "auto", "timeout": 100, "mode": "pull", "protocol": "tcp", "service": "3860"},
        None,
    ),
    ("scripted", "scripted", {}, None),
    ("sip", "sip", {**_MONITOR_T, "mode": "udp"}, None),
    ("smb", "smb", dict(_MONITOR_T), None),
    ("smtp", "smtp", dict(_MONITOR_T), None),
    (
        "snmp-dca",
        "snmp_dca",
        {"interval": 10, "timeout": 30, "community": "public", "version": "v1", "agentType": "UCD"},
        None,
    ),
    (
        "snmp-dca-base",
        "snmp_dca_base",
        {"interval": 10, "timeout": 30, "community": "public", "version": "v1"},
        None,
    ),
    ("soap", "soap", {"protocol": "http", "returnType": "bool", "expectFault": "no"}, None),
    ("tcp-echo", "tcp_echo", {"destination": "*", "transparent": "disabled"}, None),
    ("tcp-half-open", "tcp_half_open", {"transparent": "disabled"}, None),
    (
        "udp",
        "udp",
        {
            "send": "default send string",
            "reverse": "disabled",
            "transparent": "disabled",
            "adaptive": "disabled",
        },
        None,
    ),
    ("virtual-location", "virtual_location", {"debug": "no"}, None),
    ("wap", "wap", dict(_MONITOR_T), None),
    ("wmi", "wmi", {"method": "POST", "url": "/scripts/f5Isapi.dll"}, None),
)
# Monitors with their own timing keys instead of interval/timeout.
_MONITOR_UNTIMED = frozenset({"inband", "none"})


def _monitor_type(path: str, builtin: str, extra: dict[str, Any], since: str | None) -> Any:
    base = {} if path in _MONITOR_UNTIMED else {**_MONITOR_COMMON, "destination": "*:*"}
    return ResourceType(
        f"ltm/monitor/{path}",
        "monitor",
        "monitor",
        hook="monitor",
        defaults={**base, **extra, "defaultsFrom": f"/Common/{builtin}"},
        refs=(Ref("defaultsFrom", "monitor"),),
        since=since,
    )


_PROFILE_REFS = (Ref("defaultsFrom", "profile"),)

# A client-ssl profile as TMOS 13 reports one made from /Common/clientssl with nothing else
# set (recorded responses; ``certKeyChain`` is shown from cert, key and chain).
_NONE = "none"
_CLIENT_SSL: dict[str, Any] = {
    "defaultsFrom": "/Common/clientssl",
    "cert": "/Common/default.crt",
    "key": "/Common/default.key",
    "chain": _NONE,
    "ciphers": "DEFAULT",
    "cipherGroup": _NONE,
    "sniDefault": "false",
    "sniRequire": "false",
    "alertTimeout": "indefinite",
    "allowDynamicRecordSizing": "disabled",
    "allowExpiredCrl": "disabled",
    "allowNonSsl": "disabled",
    "appService": _NONE,
    "authenticate": "once",
    "authenticateDepth": 9,
    "bypassOnClientCertFail": "disabled",
    "bypassOnHandshakeAlert": "disabled",
    "caFile": _NONE,
    "cacheSize": 262144,
    "cacheTimeout": 3600,
    "certExtensionIncludes": ["basic-constraints", "subject-alternative-name"],
    "certLifespan": 30,
    "certLookupByIpaddrPort": "disabled",
    "clientCertCa": _NONE,
    "crlFile": _NONE,
    "destinationIpBlacklist": _NONE,
    "destinationIpWhitelist": _NONE,
    "forwardProxyBypassDefaultAction": "intercept",
    "genericAlert": "enabled",
    "handshakeTimeout": "10",
    "hostnameBlacklist": _NONE,
    "hostnameWhitelist": _NONE,
    "inheritCertkeychain": "true",
    "maxActiveHandshakes": "indefinite",
    "maxAggregateRenegotiationPerMinute": "indefinite",
    "maxRenegotiationsPerMinute": 5,
    "maximumRecordSize": 16384,
    "modSslMethods": "disabled",
    "mode": "enabled",
    "notifyCertStatusToVirtualServer": "disabled",
    "ocspStapling": "disabled",
    "tmOptions": ["dont-insert-empty-fragments"],
    "peerCertMode": "ignore",
    "peerNoRenegotiateTimeout": "10",
    "proxyCaCert": _NONE,
    "proxyCaKey": _NONE,
    "proxySsl": "disabled",
    "proxySslPassthrough": "disabled",
    "renegotiateMaxRecordDelay": "indefinite",
    "renegotiatePeriod": "indefinite",
    "renegotiateSize": "indefinite",
    "renegotiation": "enabled",
    "retainCertificate": "true",
    "secureRenegotiation": "require",
    "serverName": _NONE,
    "sessionMirroring": "disabled",
    "sessionTicket": "disabled",
    "sessionTicketTimeout": 0,
    "sourceIpBlacklist": _NONE,
    "sourceIpWhitelist": _NONE,
    "sslForwardProxy": "disabled",
    "sslForwardProxyBypass": "disabled",
    "sslSignHash": "any",
    "strictResume": "disabled",
    "uncleanShutdown": "enabled",
}
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
    # Database variables: no partition, URL ``sys/db/<name>``; values are stored as the
    # strings tmsh shows (``false``), whatever JSON type was sent (f5-sdk test_transaction.py).
    # Only the built-in variables exist; they cannot be created or deleted.
    ResourceType("sys/db", "db", "db variable", hook="db"),
    # A VLAN created without a tag gets one from the device, 4094 downwards (recorded responses).
    ResourceType(
        "net/vlan",
        "vlan",
        "vlan",
        hook="vlan",
        defaults={
            "autoLasthop": "default",
            "cmpHash": "default",
            "dagRoundRobin": "disabled",
            "dagTunnel": "outer",
            "failsafe": "disabled",
            "failsafeAction": "failover-restart-tm",
            "failsafeTimeout": 90,
            "learning": "enable-forward",
            "mtu": 1500,
            "sflow": {
                "pollInterval": 0,
                "pollIntervalGlobal": "yes",
                "samplingRate": 0,
                "samplingRateGlobal": "yes",
            },
            "sourceChecking": "disabled",
        },
        children=(("interfaces", "net/vlan/interfaces"),),
    ),
    # A VLAN's interfaces (``1.3``): untagged unless told; tagged and untagged exclude each
    # other (f5-sdk test_vlan.py). Interfaces themselves (net/interface) are not modelled.
    ResourceType(
        "net/vlan/interfaces",
        "vlan-interface",
        "vlan member",
        parent="net/vlan",
        hook="vlan-interface",
        defaults={"tagMode": "none"},
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
        defaults={"connectionLimit": 0, "strict": "enabled", "throughputCapacity": 0},
        immutable=("id",),
        refs=(Ref("vlans", "vlan", "paths"), Ref("parent", "route-domain")),
        links=(("vlans", "net/vlan"),),
    ),
    ResourceType(
        "net/self",
        "self",
        "Self IP",
        hook="self",
        defaults={
            "addressSource": "from-user",
            "floating": "disabled",
            "inheritedTrafficGroup": "false",
            "trafficGroup": "/Common/traffic-group-local-only",
            "unit": 0,
        },
        refs=(Ref("vlan", "vlan"),),
        links=(("vlan", "net/vlan"), ("trafficGroup", "cm/traffic-group")),
    ),
    ResourceType(
        "sys/crypto/key",
        "key",
        "key",
        defaults={"keySize": "2048", "keyType": "rsa-private", "securityType": "normal"},
    ),
    ResourceType(
        "sys/crypto/cert",
        "cert",
        "certificate",
        defaults={"certificateKeyCurveName": "none", "keyType": "rsa-public"},
    ),
    # The files behind them, where a device reports their checksum (F5's certificate module
    # reads it there; recorded responses).
    ResourceType("sys/file/ssl-key", "key", "key", view_of="sys/crypto/key"),
    ResourceType("sys/file/ssl-cert", "cert", "certificate", view_of="sys/crypto/cert"),
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
            **_ADAPTIVE,
            "defaultsFrom": "/Common/tcp",
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
            **_ADAPTIVE,
            "defaultsFrom": "/Common/gateway_icmp",
            "transparent": "disabled",
        },
        refs=(Ref("defaultsFrom", "monitor"),),
    ),
    *(_monitor_type(*row) for row in _MONITOR_TYPES),
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
        links=(("trafficGroup", "cm/traffic-group"),),
    ),
    ResourceType(
        "ltm/snatpool",
        "snatpool",
        "snatpool",
        hook="snatpool",
        refs=(Ref("members", "snat-translation", "paths"),),
        links=(("members", "ltm/snat-translation"),),
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
        defaults=_CLIENT_SSL,
        refs=(*_PROFILE_REFS, Ref("cert", "cert"), Ref("key", "key")),
        links=(
            ("defaultsFrom", "ltm/profile/client-ssl"),
            ("cert", "sys/file/ssl-cert"),
            ("key", "sys/file/ssl-key"),
        ),
    ),
    ResourceType("ltm/rule", "rule", "rule", defaults={"apiAnonymous": ""}),
    # Read by every f5-cccl pass (k8s-bigip-ctlr): internal data groups and iApp services.
    ResourceType(
        "ltm/data-group/internal", "data-group", "Data Group", defaults={"type": "string"}
    ),
    ResourceType(
        "sys/application/service",
        "application-service",
        "Application Service",
        defaults={
            "deviceGroup": "none",
            "inheritedDevicegroup": "true",
            "inheritedTrafficGroup": "true",
            "strictUpdates": "enabled",
            "tables": [],
            "trafficGroup": "/Common/traffic-group-1",
            "variables": [],
        },
    ),
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
        },
        children=(("rules", "ltm/policy/rules"),),
    ),
    # A policy's rules are a sub-collection (f5-sdk ``ltm/policy.py`` Rules_s); their
    # conditions and actions are kept inline in the rule (the device has sub-collections).
    ResourceType(
        "ltm/policy/rules",
        "policy-rule",
        "policy rule",
        parent="ltm/policy",
        defaults={"ordinal": 0},
    ),
    ResourceType(
        "ltm/virtual-address",
        "virtual-address",
        "Virtual Address",
        hook="virtual-address",
        has_stats=True,
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
            "serverScope": "any",
            "spanning": "disabled",
            "trafficGroup": "/Common/traffic-group-1",
            "unit": 1,
        },
        immutable=("address",),
        links=(("trafficGroup", "cm/traffic-group"),),
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
        omit_empty=("vlans", "rules"),
        refs=(
            Ref("pool", "pool"),
            Ref("rules", "rule", "paths"),
            Ref("persist", "persistence", "paths"),
            Ref("fallbackPersistence", "persistence"),
            Ref("vlans", "vlan", "paths"),
            Ref("sourceAddressTranslation", "snatpool", "snat"),
        ),
        links=(("pool", "ltm/pool"),),
        children=(("profiles", "ltm/virtual/profiles"), ("policies", "ltm/virtual/policies")),
    ),
    ResourceType(
        "ltm/virtual/profiles",
        "virtual-profile",
        "profile",
        parent="ltm/virtual",
        hook="ref-child",  # context: "all", or the side an SSL profile works on
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
    ("sys/folder", {"name": "/"}),  # the root folder, ``sys/folder/~``
    ("sys/folder", {"name": "Common", "subPath": "/"}),
    *(
        ("sys/db", {"name": name, "value": value, "defaultValue": default, "scfConfig": "true"})
        for name, value, default in (
            ("setup.run", "false", "true"),
            ("config.auditing", "enable", "enable"),
            ("provision.extramb", "0", "0"),
            ("ui.system.preferences.recordsperscreen", "10", "10"),
        )
    ),
    _builtin("net/route-domain", "0", id=0),
    _builtin("sys/crypto/key", "default.key"),
    _builtin("sys/crypto/cert", "default.crt"),
    _builtin("ltm/monitor/http", "http", defaultsFrom=""),
    _builtin("ltm/monitor/https", "https", defaultsFrom=""),
    _builtin("ltm/monitor/tcp", "tcp", defaultsFrom=""),
    _builtin("ltm/monitor/gateway-icmp", "gateway_icmp", defaultsFrom=""),
    *(
        _builtin(f"ltm/monitor/{path}", name, defaultsFrom="")
        for path, name, _extra, _since in _MONITOR_TYPES
    ),
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


# --- versions ---------------------------------------------------------------------------

# The TMOS versions the emulator presents as, by major.minor, with the full version it
# reports when given only major.minor (``--version 17.1``).
VERSIONS = {"13.1": "13.1.1", "15.1": "15.1.0", "16.1": "16.1.0", "17.1": "17.1.0"}

# Read-only fields a type gains from a version on: (first version, fields). TMOS 14.1+
# stamps virtual servers with their creation and last-modification times (ISO 8601, UTC),
# which change on every write and are ignored when sent back.
VERSION_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ltm/virtual": ("14.1", ("creationTime", "lastModifiedTime")),
}


def _version_tuple(version: str) -> tuple[int, ...]:
    out = []
    for part in version.split("."):
        digits = "".join(c for c in part if c.isdigit())
        out.append(int(digits or 0))
    return tuple(out)


def version_at_least(version: str, since: str) -> bool:
    return _version_tuple(version) >= _version_tuple(since)


def full_version(version: str) -> str:
    """``17.1`` → ``17.1.0``; a full version of a supported major.minor is kept as given."""
    major_minor = ".".join(version.split(".")[:2])
    if major_minor not in VERSIONS:
        raise ValueError(
            f"unsupported TMOS version {version!r}: one of {', '.join(VERSIONS)} (x.y or x.y.z)"
        )
    return VERSIONS.get(version, version)
