"""Contrail snapshot → the desired BIG-IP configuration of one F5 set (pure; docs/MAPPING.md).

Each load balancer translates on its own. One that cannot (no VIP, bad address, unsupported
protocol, dangling reference, …) yields errors that name the object and the field, and its
BIG-IP objects are *held*: the diff neither changes nor deletes them, so a typo in Contrail
never tears down a working service. The others translate as if it were not there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.config import ClaimRule
from reconciler.model import addresses
from reconciler.model.bigip import BigIPObject, ObjectKey, ObjectSet
from reconciler.model.certificates import Certificate, container_name
from reconciler.model.contrail import (
    ContrailSnapshot,
    HealthMonitor,
    Listener,
    LoadBalancer,
    Member,
    ObjectError,
    ObjectRef,
    Pool,
)
from reconciler.model.values import FrozenDict, ValueTable
from reconciler.naming import Naming, SetClaims, full_path
from reconciler.settings import SetSettings
from reconciler.translate.claims import claiming_set
from reconciler.translate.mapping import (
    APP_COOKIE_RULE,
    COOKIE_NAME,
    HTTP_METHODS,
    METHODS,
    MONITOR_KINDS,
    PERSISTENCE,
    PROFILES,
    PROTOCOLS,
    URL_PATH,
    as_int,
    expected_codes_regex,
    port_number,
)
from reconciler.translate.walk import Subtrees, tls_containers


@dataclass(frozen=True)
class Options:
    prefix: str = "Contrail"
    claims: tuple[ClaimRule, ...] = ()  # which set takes kube-manager's load balancers
    # TLS container → its certificate, or why there is none (certificates.load_all)
    certificates: Mapping[str, Certificate | str] = field(default_factory=FrozenDict)
    # L3 mode (networking.py): project → route-domain id, project → SNAT pool path
    route_domains: Mapping[str, int] = field(default_factory=FrozenDict)
    snat_pools: Mapping[str, str] = field(default_factory=FrozenDict)
    # Load balancers that cannot have their addresses (plan/conflicts.py), and why.
    rejected: Mapping[str, ObjectError] = field(default_factory=FrozenDict)


@dataclass(frozen=True)
class Desired:
    """The desired configuration shared by every device of one set."""

    objects: ObjectSet
    errors: tuple[ObjectError, ...] = ()
    # Name tokens (naming.Naming.tokens) of broken load balancers' subtrees: whatever of
    # theirs is on the device is left untouched.
    held: frozenset[str] = frozenset()
    owners: dict[ObjectKey, frozenset[str]] = field(default_factory=dict)  # key → lb uuids
    load_balancers: tuple[str, ...] = ()  # lb uuids that translated cleanly
    # Which other F5 set claims the Contrail objects behind a name (full translations only):
    # the diff leaves those objects to that set, even on a shared device.
    set_claims: SetClaims = field(default_factory=SetClaims)

    def outcomes(self) -> dict[str, str | None]:
        """Load balancer uuid → None (translated) or why not; what status and routes start
        from before the device has its say."""
        outcome: dict[str, str | None] = dict.fromkeys(self.load_balancers)
        outcome.update((e.lb_uuid, str(e)) for e in self.errors if e.lb_uuid)
        return outcome


class _Invalid(Exception):
    def __init__(self, errors: list[ObjectError]) -> None:
        super().__init__("; ".join(map(str, errors)))
        self.errors = errors


def sets_of(
    lb: LoadBalancer, snapshot: ContrailSnapshot, claims: tuple[ClaimRule, ...] = ()
) -> frozenset[str]:
    """The F5 sets a load balancer names (provider, set refs), else the one a claim rule
    gives it (kube-manager's shapes)."""
    named = frozenset(
        s.name
        for s in snapshot.appliance_sets.values()
        if lb.provider == s.name or s.uuid in lb.sas_uuids
    )
    if named or not claims:
        return named
    claimed = claiming_set(lb, claims)
    return frozenset({claimed}) if claimed else frozenset()


def set_claims(
    snapshot: ContrailSnapshot, this_set: str, claims: tuple[ClaimRule, ...], index: Subtrees
) -> SetClaims:
    """Every name token (uuid, TLS container) of every load balancer's subtree → the sets
    that load balancer belongs to."""
    by_token: dict[str, set[str]] = defaultdict(set)
    for lb in snapshot.load_balancers.values():
        sets = sets_of(lb, snapshot, claims)
        if not sets:
            continue
        for token in index.tokens(lb.uuid):
            by_token[token] |= sets
    return SetClaims(this_set, FrozenDict({k: frozenset(v) for k, v in by_token.items()}))


def belongs_to(
    lb: LoadBalancer,
    settings: SetSettings,
    claims: tuple[ClaimRule, ...] = (),
    f5_sets: Iterable[tuple[str, str]] = (),
) -> bool:
    """Named by provider or set ref; or, for kube-manager's shapes, claimed by a config rule
    (``f5_sets``: (uuid, name) of every F5 set: one that names another set is not claimed)."""
    if lb.provider == settings.sas_name or settings.sas_uuid in lb.sas_uuids:
        return True
    if not claims:
        return False
    for uuid, name in f5_sets:
        if lb.provider == name or uuid in lb.sas_uuids:
            return False
    return claiming_set(lb, claims) == settings.sas_name


def translate(
    snapshot: ContrailSnapshot,
    settings: SetSettings,
    options: Options,
    only: frozenset[str] | None = None,
) -> Desired:
    """The set's desired state; ``only`` limits it to some load balancers (the daemon's
    per-change reconcile, whose diff is scoped to the same load balancers)."""
    index = Subtrees(snapshot, only)
    objects: dict[ObjectKey, BigIPObject] = {}
    # key → its load balancers; objects of one load balancer share one frozenset (70,000
    # objects at 5,000 load balancers: a set each was ~30 MB)
    owners: dict[ObjectKey, frozenset[str]] = {}
    errors: list[ObjectError] = []
    held: set[str] = set()
    clean: list[str] = []
    f5_sets = [(s.uuid, s.name) for s in snapshot.appliance_sets.values()]
    values = ValueTable()  # equal field sets (members above all) become one object
    # A one-load-balancer reconcile looks its load balancers up: it never walks the cloud.
    candidates = (
        snapshot.load_balancers.values()
        if only is None
        else [lb for u in only if (lb := snapshot.load_balancers.get(u)) is not None]
    )
    lbs = sorted(
        (lb for lb in candidates if belongs_to(lb, settings, options.claims, f5_sets)),
        key=lambda lb: lb.uuid,
    )
    for lb in lbs:
        if lb.uuid in options.rejected:  # its objects stay as they are on the device
            errors.append(options.rejected[lb.uuid])
            held.update(index.tokens(lb.uuid))
            continue
        partition = Naming(options.prefix).partition(lb.project_uuid)
        folder = BigIPObject.make(
            "sys/folder",
            partition,
            partition,
            {"description": f"Contrail project {lb.project_name}"},
        )
        objects[folder.key] = folder
        translator = _LoadBalancerTranslator(lb, snapshot, index, options, partition, values)
        try:
            produced = translator.run()
        except _Invalid as invalid:
            errors.extend(invalid.errors)
            held.update(index.tokens(lb.uuid))
            continue
        mine = frozenset((lb.uuid,))
        for obj in produced:
            objects.setdefault(obj.key, obj)
            _own(owners, obj.key, mine)
        _own(owners, folder.key, mine)
        clean.append(lb.uuid)
    claims_of_sets = SetClaims(settings.sas_name)
    if only is None:
        errors.extend(_orphan_pool_errors(snapshot, settings, index))
        claims_of_sets = set_claims(snapshot, settings.sas_name, options.claims, index)
    return Desired(
        objects=ObjectSet(objects.values()),
        errors=tuple(errors),
        held=frozenset(held),
        owners=owners,
        load_balancers=tuple(clean),
        set_claims=claims_of_sets,
    )


def _own(owners: dict[ObjectKey, frozenset[str]], key: ObjectKey, mine: frozenset[str]) -> None:
    have = owners.get(key)
    if have is None:
        owners[key] = mine
    elif not mine <= have:
        owners[key] = have | mine


def subtree_tokens(snapshot: ContrailSnapshot, lb_uuid: str) -> frozenset[str]:
    """The name tokens of one load balancer's subtree in this snapshot."""
    if lb_uuid not in snapshot.load_balancers:
        return frozenset({lb_uuid})
    return Subtrees(snapshot, frozenset({lb_uuid})).tokens(lb_uuid)


def _orphan_pool_errors(
    snapshot: ContrailSnapshot, settings: SetSettings, index: Subtrees
) -> Iterable[ObjectError]:
    """Pools of this set that no listener leads to: they cannot be placed on a device."""
    for pool in snapshot.pools.values():
        if settings.sas_uuid in pool.sas_uuids and not pool.listener_uuids:
            yield ObjectError(pool.ref, "loadbalancer_listener_refs", "the pool has no listener")


class _LoadBalancerTranslator:
    """One load balancer and everything under it; raises _Invalid with every problem found."""

    def __init__(
        self,
        lb: LoadBalancer,
        snapshot: ContrailSnapshot,
        index: Subtrees,
        options: Options,
        partition: str,
        values: ValueTable | None = None,
    ) -> None:
        self.lb = lb
        self.values = values
        self.snapshot = snapshot
        self.index = index
        self.naming = Naming(options.prefix)
        self.certificates = options.certificates
        self.partition = partition
        self.errors: list[ObjectError] = []
        self.rd = options.route_domains.get(lb.project_uuid, 0)  # 0: global routed mode
        self.snat_pool = options.snat_pools.get(lb.project_uuid)

    # -- names ------------------------------------------------------------------------------

    def name(self, uuid: str) -> str:
        return self.naming.object(uuid)

    def full(self, uuid: str) -> str:
        return full_path(self.partition, self.name(uuid))

    def app_cookie_name(self, listener_uuid: str) -> str:
        return self.naming.app_cookie(listener_uuid)

    def tls_name(self, container: str) -> str:
        return self.naming.tls(container_name(container) or "invalid")

    def fail(self, ref: ObjectRef, field_name: str | None, reason: str) -> None:
        self.errors.append(ObjectError(ref, field_name, reason, self.lb.uuid, self.lb.name))

    def same_project(self, ref: ObjectRef, project: str, field_name: str, what: str) -> bool:
        """Tenant isolation: an object of another project cannot serve this load balancer
        (Neutron's plugin refuses it as NotAuthorized; Contrail's API does not)."""
        if not project or project == self.lb.project_uuid:
            return True
        reason = (
            f"{what} belongs to project {project}, not to load balancer {self.lb.name}'s "
            f"project {self.lb.project_name or self.lb.project_uuid}"
        )
        lb = self.lb
        self.errors.append(ObjectError(ref, field_name, reason, lb.uuid, lb.name, "other_project"))
        return False

    # -- the translation --------------------------------------------------------------------

    def run(self) -> list[BigIPObject]:
        out: list[BigIPObject] = []
        vip = self.vip()
        if vip is not None:
            out.append(
                self.obj(
                    "ltm/virtual-address",
                    self.name(self.lb.uuid),
                    self.lb.ref,
                    address=str(vip),
                    autoDelete="false",
                    enabled="yes" if self.lb.admin_state else "no",
                    description=self.describe(self.lb.display_name or self.lb.name),
                )
            )
        for listener in self.index.listeners_of.get(self.lb.uuid, ()):
            out.extend(self.listener(listener, vip))
        if self.errors:
            raise _Invalid(self.errors)
        return out

    def describe(self, name: str) -> str:
        ann = self.lb.annotations
        if ann.get("namespace") and ann.get("name"):
            return f"{ann['namespace']}/{ann['name']}: {name}"
        return name

    def obj(
        self, kind: str, name: str, source: ObjectRef, parent: str = "", **fields: Any
    ) -> BigIPObject:
        return BigIPObject.make(
            kind, self.partition, name, fields, parent, source, values=self.values
        )

    def vip(self) -> addresses.RDAddress | None:
        lb = self.lb
        text = lb.vip_address
        field_name = "loadbalancer_properties.vip_address"
        if not text:
            for vmi in lb.vmi_uuids:
                port = self.snapshot.ports.get(vmi)
                if port and port.first_address():
                    text, field_name = port.first_address(), "virtual_machine_interface_refs"
                    break
        if not text:
            self.fail(
                lb.ref,
                "loadbalancer_properties.vip_address",
                "no VIP address: it is empty and the VIP port has no instance-ip",
            )
            return None
        try:
            address = addresses.parse(text, self.rd)
        except addresses.AddressError as exc:
            self.fail(lb.ref, field_name, str(exc))
            return None
        return addresses.RDAddress(address.ip, self.rd)

    def listener(self, listener: Listener, vip: addresses.RDAddress | None) -> list[BigIPObject]:
        out: list[BigIPObject] = []
        protocol = (listener.protocol or "").upper()
        port = port_number(listener.protocol_port)
        if protocol not in PROTOCOLS:
            self.fail(
                listener.ref,
                "loadbalancer_listener_properties.protocol",
                f"{listener.protocol!r} is not one of {', '.join(PROTOCOLS)}",
            )
        if port is None:
            self.fail(
                listener.ref,
                "loadbalancer_listener_properties.protocol_port",
                f"{listener.protocol_port!r} is not a port number (1-65535)",
            )
        self.same_project(listener.ref, listener.project_uuid, "loadbalancer_refs", "the listener")
        pools = [
            pool
            for pool in self.index.pools_of.get(listener.uuid, [])
            if self.same_project(
                pool.ref, pool.project_uuid, "loadbalancer_listener_refs", "the pool"
            )
        ]
        default_pool = pools[0] if pools else None
        routed = [p for p in pools if p.annotations.get("type") == "acl"]
        policies: tuple[str, ...] = ()
        if routed:  # an Ingress: host/path pools become a policy, `type=default` the pool
            default_pool = next((p for p in pools if p.annotations.get("type") == "default"), None)
            policy = self.policy(listener, routed)
            out.append(policy)
            policies = (full_path(self.partition, policy.name),)
        persist: tuple[str, ...] = ()
        ssl_profiles: tuple[str, ...] = ()
        if protocol == "TERMINATED_HTTPS":
            ssl_profiles, tls_objects = self.tls(listener)
            out.extend(tls_objects)
        for pool in pools:
            out.extend(self.pool(pool))
        if default_pool is not None:
            persist, extra = self.persistence(listener, default_pool, protocol)
            out.extend(extra)
        if vip is None or port is None or protocol not in PROFILES:
            return out
        limit = listener.connection_limit
        out.append(
            self.obj(
                "ltm/virtual",
                self.name(listener.uuid),
                listener.ref,
                destination=full_path(self.partition, vip.with_port(port)),
                mask=vip.host_mask,
                ipProtocol="udp" if protocol == "UDP" else "tcp",
                enabled=bool(listener.admin_state and self.lb.admin_state),
                connectionLimit=max(0, int(limit)) if isinstance(limit, int) else 0,
                pool=self.full(default_pool.uuid) if default_pool else "",
                profiles=tuple(sorted(PROFILES[protocol] + ssl_profiles)),
                persist=persist,
                fallbackPersistence="",
                rules=(),
                policies=policies,
                sourceAddressTranslation=(
                    {"type": "snat", "pool": self.snat_pool}
                    if self.snat_pool
                    else {"type": "automap"}
                ),
                description=self.describe(listener.display_name or listener.name),
            )
        )
        return out

    def policy(self, listener: Listener, pools: list[Pool]) -> BigIPObject:
        """Ingress host/path rules, most specific first (BIG-IP takes the first match)."""

        def specificity(pool: Pool) -> tuple[int, int, str]:
            host, path = pool.annotations.get("host") or "", pool.annotations.get("path") or "/"
            return (0 if host else 1, -len(path), pool.uuid)

        rules = tuple(
            {
                "name": self.name(pool.uuid),
                "host": pool.annotations.get("host") or "",
                "path": pool.annotations.get("path") or "/",
                "pool": self.full(pool.uuid),
            }
            for pool in sorted(pools, key=specificity)
        )
        return self.obj(
            "ltm/policy",
            self.name(listener.uuid),
            listener.ref,
            strategy="/Common/first-match",
            requires=("http",),
            controls=("forwarding",),
            rules=rules,
            description=self.describe(listener.display_name or listener.name),
        )

    def tls(self, listener: Listener) -> tuple[tuple[str, ...], list[BigIPObject]]:
        """A client-ssl profile (with its certificate and key) per TLS container; the
        default container's profile is the SNI default."""
        containers = tls_containers(listener)
        field_name = "loadbalancer_listener_properties.default_tls_container"
        if not containers:
            self.fail(listener.ref, field_name, "TERMINATED_HTTPS needs a default_tls_container")
            return (), []
        out: list[BigIPObject] = []
        profiles = []
        for container in containers:
            found = self.certificates.get(container)
            if not isinstance(found, Certificate):
                reason = found or "the certificate source was not asked for it"
                self.fail(
                    listener.ref,
                    field_name
                    if container == containers[0]
                    else "loadbalancer_listener_properties.sni_containers",
                    reason,
                )
                continue
            name = self.tls_name(container)
            key = self.obj(
                "sys/crypto/key",
                f"{name}.key",
                listener.ref,
                checksum=Certificate.checksum(found.key),
            )
            cert = self.obj(
                "sys/crypto/cert",
                f"{name}.crt",
                listener.ref,
                checksum=Certificate.checksum(found.cert),
            )
            key = BigIPObject(
                key.kind, key.partition, key.name, key.fields, source=key.source, payload=found.key
            )
            cert = BigIPObject(
                cert.kind,
                cert.partition,
                cert.name,
                cert.fields,
                source=cert.source,
                payload=found.cert,
            )
            profile = self.obj(
                "ltm/profile/client-ssl",
                name,
                listener.ref,
                defaultsFrom="/Common/clientssl",
                cert=full_path(self.partition, cert.name),
                key=full_path(self.partition, key.name),
                sniDefault="true"
                if container == containers[0] and len(containers) > 1
                else "false",
                description=f"TLS container {container}",
            )
            out.extend((key, cert, profile))
            profiles.append(full_path(self.partition, name))
        return tuple(profiles), out

    def persistence(
        self, listener: Listener, pool: Pool, protocol: str
    ) -> tuple[tuple[str, ...], list[BigIPObject]]:
        kind = (pool.session_persistence or "").upper()
        if not kind:
            return (("/Common/source_addr",) if pool.method == "SOURCE_IP" else ()), []
        field_name = "loadbalancer_pool_properties.session_persistence"
        if kind in ("HTTP_COOKIE", "APP_COOKIE") and protocol != "HTTP":
            self.fail(pool.ref, field_name, f"{kind} needs an HTTP listener, not {protocol}")
            return (), []
        if kind in PERSISTENCE:
            return (PERSISTENCE[kind],), []
        if kind != "APP_COOKIE":
            self.fail(
                pool.ref,
                field_name,
                f"{pool.session_persistence!r} is not SOURCE_IP, HTTP_COOKIE or APP_COOKIE",
            )
            return (), []
        cookie = pool.persistence_cookie_name or ""
        if not COOKIE_NAME.match(cookie):
            self.fail(
                pool.ref,
                "loadbalancer_pool_properties.persistence_cookie_name",
                f"{cookie!r} is not a cookie name (letters, digits and !#$%&'*+.^_`|~-)",
            )
            return (), []
        name = self.app_cookie_name(listener.uuid)
        rule = self.obj(
            "ltm/rule", name, pool.ref, apiAnonymous=APP_COOKIE_RULE.format(cookie=cookie)
        )
        profile = self.obj(
            "ltm/persistence/universal",
            name,
            pool.ref,
            rule=full_path(self.partition, name),
            timeout="3600",
            defaultsFrom="/Common/universal",
        )
        return (full_path(self.partition, name),), [rule, profile]

    def pool(self, pool: Pool) -> list[BigIPObject]:
        out: list[BigIPObject] = []
        monitors: list[str] = []
        for hm_uuid in pool.monitor_uuids:
            hm = self.snapshot.monitors.get(hm_uuid)
            if hm is None:
                self.fail(
                    pool.ref,
                    "loadbalancer_healthmonitor_refs",
                    f"refers to health monitor {hm_uuid}, which does not exist",
                )
                continue
            what = f"health monitor {hm.name or hm.uuid}"
            if not self.same_project(
                pool.ref, hm.project_uuid, "loadbalancer_healthmonitor_refs", what
            ):
                continue
            monitor = self.monitor(hm)
            if monitor is not None:
                out.append(monitor)
                monitors.append(self.full(hm.uuid))
        members = [
            m for m in (self.member(m) for m in self.index.members_of.get(pool.uuid, ())) if m
        ]
        weighted = any(m.fields["ratio"] > 1 for m in members)
        method = (pool.method or "ROUND_ROBIN").upper()
        if method not in METHODS:
            self.fail(
                pool.ref,
                "loadbalancer_pool_properties.loadbalancer_method",
                f"{pool.method!r} is not one of {', '.join(METHODS)}",
            )
            method = "ROUND_ROBIN"
        out.append(
            self.obj(
                "ltm/pool",
                self.name(pool.uuid),
                pool.ref,
                loadBalancingMode=METHODS[method][1 if weighted else 0],
                monitor=" and ".join(sorted(monitors)),
                description=self.describe(pool.display_name or pool.name),
            )
        )
        out.extend(members)  # the device makes each member's node itself
        return out

    def member(self, member: Member) -> BigIPObject | None:
        text, field_name = member.address, "loadbalancer_member_properties.address"
        if not text and member.annotations.get("vmi"):
            field_name = "annotations.vmi"
            port = self.snapshot.ports.get(member.annotations["vmi"])
            text = port.first_address() if port else None
            if text is None:
                self.fail(
                    member.ref,
                    field_name,
                    f"pod port {member.annotations['vmi']} has no instance-ip",
                )
                return None
        if not text:
            self.fail(member.ref, field_name, "no member address")
            return None
        try:
            address = addresses.RDAddress(addresses.parse(text).ip, self.rd)
        except addresses.AddressError as exc:
            self.fail(member.ref, field_name, str(exc))
            return None
        port = port_number(member.protocol_port)
        if port is None:
            self.fail(
                member.ref,
                "loadbalancer_member_properties.protocol_port",
                f"{member.protocol_port!r} is not a port number (1-65535)",
            )
            return None
        weight = as_int(member.weight, default=1)
        if weight is None or not 0 <= weight <= 256:
            self.fail(
                member.ref,
                "loadbalancer_member_properties.weight",
                f"{member.weight!r} is not a weight (0-256)",
            )
            return None
        pool_name = self.name(member.pool_uuid)
        enabled = member.admin_state and weight > 0
        member_obj = self.obj(
            "ltm/pool/members",
            address.with_port(port),
            member.ref,
            parent=pool_name,
            ratio=max(weight, 1),
            session="user-enabled" if enabled else "user-disabled",
            description=member.name,
        )
        return member_obj

    def monitor(self, hm: HealthMonitor) -> BigIPObject | None:
        kind = MONITOR_KINDS.get((hm.monitor_type or "").upper())
        prop = "loadbalancer_healthmonitor_properties"
        if kind is None:
            self.fail(
                hm.ref,
                f"{prop}.monitor_type",
                f"{hm.monitor_type!r} is not one of {', '.join(MONITOR_KINDS)}",
            )
            return None
        delay, retries = as_int(hm.delay), as_int(hm.max_retries)
        if delay is None or delay < 1:
            self.fail(hm.ref, f"{prop}.delay", f"{hm.delay!r} is not a positive number of seconds")
            return None
        if retries is None or retries < 1:
            self.fail(hm.ref, f"{prop}.max_retries", f"{hm.max_retries!r} is not a positive count")
            return None
        fields: dict[str, Any] = {
            "interval": delay,
            # BIG-IP requires timeout > interval; unlike the agent, never produce timeout <= interval.
            "timeout": delay * retries + 1,
            "description": hm.display_name or hm.name,
        }
        if kind in ("ltm/monitor/http", "ltm/monitor/https"):
            method = (hm.http_method or "GET").upper()
            if method not in HTTP_METHODS:
                self.fail(
                    hm.ref, f"{prop}.http_method", f"{hm.http_method!r} is not an HTTP method"
                )
                return None
            path = hm.url_path or "/"
            if not URL_PATH.match(path):
                self.fail(hm.ref, f"{prop}.url_path", f"{path!r} is not a URL path")
                return None
            recv = expected_codes_regex(hm.expected_codes or "200")
            if recv is None:
                self.fail(
                    hm.ref,
                    f"{prop}.expected_codes",
                    f"{hm.expected_codes!r} is not a code, list (200,202) or range (200-204)",
                )
                return None
            fields["send"] = f"{method} {path} HTTP/1.0\\r\\n\\r\\n"
            fields["recv"] = recv
        return self.obj(kind, self.name(hm.uuid), hm.ref, **fields)
