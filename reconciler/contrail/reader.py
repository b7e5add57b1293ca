"""Read Contrail into a ContrailSnapshot with vnc_api, in a fixed number of calls.

One ``<type>s_list(detail=True)`` per type, or for the load-balancer types one per page of
parents (50 projects, or 500 pools for members; the client switches to list-bulk-collection
by itself for long id lists), never one read per object: calls grow with the number of load
balancers by one per ~1,000 of them per type, memory by one page. Conversion is lenient — values are kept as
Contrail holds them and judged in translate, where a bad one becomes that object's error.
A scoped read (a replica's, ``contrail.scope``) takes only the load balancers of some sets,
found by Contrail, and their subtrees by id: calls and memory follow those sets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from reconciler.contrail.changes import Change, read_change, read_together
from reconciler.contrail.connect import describe
from reconciler.contrail.scope import ReadScope, by_ids, in_projects, scoped_load_balancers
from reconciler.logs import get_logger
from reconciler.model.contrail import (
    EMPTY,
    Appliance,
    ApplianceSet,
    ContrailSnapshot,
    HealthMonitor,
    InstanceIp,
    Listener,
    LoadBalancer,
    Member,
    OwnedInstanceIp,
    Pool,
    Port,
    Route,
    RouteTable,
    Subnet,
    VirtualNetwork,
)
from reconciler.model.values import FrozenDict, Secret, shared
from reconciler.naming import OWNED_MARK
from reconciler.settings import is_f5_driver

log = get_logger("contrail.reader")


class ContrailReadError(RuntimeError):
    """Contrail could not be read completely: a pass must not act on a partial picture."""


def _kv(pairs: Any) -> dict[str, str]:
    """KeyValuePairs → dict (later keys win, as svc-monitor's ConfigParser does)."""
    if pairs is None:
        return {}
    items = pairs.get_key_value_pair() if hasattr(pairs, "get_key_value_pair") else pairs
    return {str(p.get_key()): p.get_value() for p in items or () if p.get_key() is not None}


def _ref_uuids(refs: Iterable[dict[str, Any]] | None) -> tuple[str, ...]:
    return tuple(sorted(shared(r["uuid"]) for r in refs or () if r.get("uuid")))


#: Refs to objects a cloud has few of (service-appliance-sets, virtual networks), as one
#: tuple per distinct value: every load balancer of a set named it in a tuple of its own,
#: every port and instance-ip its network. Bounded, as values stay until the process ends.
_SHARED_REFS: dict[tuple[str, ...], tuple[str, ...]] = {}
SHARED_REFS_MAX = 4096


def _shared_refs(refs: Iterable[dict[str, Any]] | None) -> tuple[str, ...]:
    """``_ref_uuids`` for refs to sets or networks: equal tuples as one."""
    uuids = _ref_uuids(refs)
    if len(_SHARED_REFS) < SHARED_REFS_MAX:
        return _SHARED_REFS.setdefault(uuids, uuids)
    return _SHARED_REFS.get(uuids, uuids)


def _name(obj: Any) -> str:
    return shared(str(obj.get_fq_name()[-1]))


def _display(obj: Any) -> str:
    return shared(str(obj.get_display_name() or _name(obj)))


def _getter(props: Any) -> Any:
    """``get(field)``: the property struct's field (``values.shared``), None without
    a struct."""
    if props is None:
        return lambda name: None
    return lambda name: shared(getattr(props, name, None))


def _fq(obj: Any) -> tuple[str, ...]:
    """The fq_name, its parts shared between objects (50,000 members repeat their domain,
    project and pool names: one string each, not one per member)."""
    return tuple(shared(str(part)) for part in obj.get_fq_name())


def _annotations(obj: Any) -> FrozenDict[str, str]:
    kv = _kv(obj.get_annotations())
    return FrozenDict(kv) if kv else EMPTY


def _bool(value: Any, default: bool = True) -> bool:
    return default if value is None else bool(value)


class ContrailReader:
    """Reads the snapshot; ``sas_pattern`` picks F5 sets by their driver string."""

    def __init__(self, vnc: Any, sas_pattern: str = "f5") -> None:
        self.vnc = vnc
        self.sas_pattern = sas_pattern

    def read(self, scope: ReadScope | None = None) -> ContrailSnapshot:
        """Everything, or with ``scope`` only the load balancers of its sets and their
        subtrees (a replica's read: ``contrail.scope``); the global objects either way."""
        try:
            return self._read(scope)
        except Exception as exc:  # any failure means a partial picture: refuse it
            where = f"{getattr(self.vnc, '_web_host', '?')}:{getattr(self.vnc, '_web_port', '?')}"
            raise ContrailReadError(f"reading Contrail at {where} failed: {describe(exc)}") from exc

    def read_sets(self) -> FrozenDict[str, ApplianceSet]:
        """The F5 sets alone (two calls): what ``reconcile --once --sas`` chooses its read's
        scope from."""
        try:
            sets, appliances = self._sets()
        except Exception as exc:
            raise ContrailReadError(f"reading service-appliance-sets failed: {exc}") from exc
        return FrozenDict((s.uuid, self._set(s, appliances)) for s in sets)

    def _sets(self) -> tuple[list[Any], list[Any]]:
        """The F5 service-appliance-sets and their appliances, as vnc_api objects."""
        vnc = self.vnc
        sets = [
            s
            for s in vnc.service_appliance_sets_list(detail=True)
            if is_f5_driver(s.get_service_appliance_driver(), self.sas_pattern)
        ]
        appliances = (
            vnc.service_appliances_list(detail=True, parent_id=[s.uuid for s in sets])
            if sets
            else []
        )
        return sets, appliances

    def _read(self, scope: ReadScope | None) -> ContrailSnapshot:
        vnc = self.vnc
        sets, appliances = self._sets()
        project_uuids = sorted(str(p["uuid"]) for p in vnc.projects_list().get("projects", ()))
        projects = frozenset(project_uuids)
        if scope is None:
            lbs, listeners, pools, members, monitors = self._everything(project_uuids)
        else:
            f5_sets = {str(s.uuid): _name(s) for s in sets}
            lbs, listeners, pools, members, monitors = self._subtrees(
                scoped_load_balancers(vnc, scope, f5_sets)
            )

        port_uuids = _port_uuids(lbs.values(), members.values())
        port_uuids |= _external_vmis(sets, appliances)
        ports = self._ports(sorted(port_uuids))
        networks = vnc.virtual_networks_list(
            detail=True, fields=["network_ipam_refs", "virtual_network_network_id"]
        )
        route_tables = self._route_tables()
        owned = vnc.instance_ips_list(detail=True, filters={"display_name": OWNED_MARK})

        global_objects = ContrailSnapshot(
            appliance_sets=FrozenDict((s.uuid, self._set(s, appliances)) for s in sets),
            networks=FrozenDict((n.uuid, self._network(n)) for n in networks),
            route_tables=FrozenDict((t.uuid, t) for t in route_tables),
            owned_ips=FrozenDict((i.name, i) for i in map(self._owned_ip, owned)),
            projects=projects,
        )
        snapshot = _with_subtrees(global_objects, (lbs, listeners, pools, members, monitors), ports)
        log.debug(
            "read contrail",
            sets=len(sets),
            load_balancers=len(lbs),
            listeners=len(listeners),
            pools=len(pools),
            members=len(members),
        )
        return snapshot

    def _everything(self, project_uuids: list[str]) -> tuple[FrozenDict[str, Any], ...]:
        """Every load balancer and its subtree, in pages of parents (projects; a member's
        parent is its pool), converted page by page, so only one page of vnc_api objects and
        their decoded JSON is alive at a time (at 5,000 load balancers the 50,000 members at
        once were ~240 MB)."""
        vnc = self.vnc
        lbs = _paged(vnc.loadbalancers_list, project_uuids, PROJECTS_PER_PAGE, self._lb)
        listeners = _paged(
            vnc.loadbalancer_listeners_list, project_uuids, PROJECTS_PER_PAGE, self._listener
        )
        pools = _paged(vnc.loadbalancer_pools_list, project_uuids, PROJECTS_PER_PAGE, self._pool)
        members = _paged(vnc.loadbalancer_members_list, sorted(pools), POOLS_PER_PAGE, self._member)
        monitors = _paged(
            vnc.loadbalancer_healthmonitors_list, project_uuids, PROJECTS_PER_PAGE, self._monitor
        )
        return lbs, listeners, pools, members, monitors

    def _subtrees(self, found: list[Any]) -> tuple[FrozenDict[str, Any], ...]:
        """The subtrees of the load balancers ``found``: listeners by their refs to them,
        pools by their refs to those, members by parent, monitors by id."""
        vnc = self.vnc
        lbs: FrozenDict[str, Any] = FrozenDict((lb.uuid, self._lb(lb)) for lb in found)
        listeners = _converted(
            by_ids(vnc.loadbalancer_listeners_list, "back_ref_id", sorted(lbs)), self._listener
        )
        pools = _converted(
            by_ids(vnc.loadbalancer_pools_list, "back_ref_id", sorted(listeners)), self._pool
        )
        members = _converted(
            by_ids(vnc.loadbalancer_members_list, "parent_id", sorted(pools)), self._member
        )
        monitor_uuids = sorted({hm for p in pools.values() for hm in p.monitor_uuids})
        monitors = _converted(
            by_ids(vnc.loadbalancer_healthmonitors_list, "obj_uuids", monitor_uuids),
            self._monitor,
        )
        return lbs, listeners, pools, members, monitors

    def read_in_projects(
        self,
        scope: ReadScope,
        project_fq_names: Iterable[tuple[str, ...]],
        base: ContrailSnapshot,
        most: int,
    ) -> ContrailSnapshot | None:
        """The scope's load balancers in these projects and their subtrees, with ``base``'s
        global objects: what a takeover plans ahead of the read of the sets it gained (the
        projects whose members changed while the sets had no owner). None when there are
        more than ``most`` of them (the whole read is then hardly longer)."""
        try:
            vnc = self.vnc
            by_fq_name = {
                tuple(p["fq_name"]): str(p["uuid"]) for p in vnc.projects_list().get("projects", ())
            }
            projects = sorted({by_fq_name[fq] for fq in project_fq_names if fq in by_fq_name})
            f5_sets = {s.uuid: s.name for s in base.appliance_sets.values()}
            uuids = in_projects(vnc, scope, f5_sets, projects) if projects else []
            if len(uuids) > most:
                return None
            subtrees = self._subtrees(by_ids(vnc.loadbalancers_list, "obj_uuids", uuids))
            lbs, members = subtrees[0], subtrees[3]
            ports = self._ports(sorted(_port_uuids(lbs.values(), members.values())))
        except Exception as exc:
            raise ContrailReadError(f"reading projects ahead failed: {describe(exc)}") from exc
        return _with_subtrees(base, subtrees, ports)

    def read_route_tables(self) -> FrozenDict[str, RouteTable]:
        """Route tables re-read (two calls), after we wrote some."""
        try:
            tables = self._route_tables()
        except Exception as exc:
            raise ContrailReadError(f"reading route tables failed: {exc}") from exc
        return FrozenDict((t.uuid, t) for t in tables)

    def _route_tables(self) -> list[RouteTable]:
        """Interface and network route tables, with what they are attached to: two calls."""
        irts = self.vnc.interface_route_tables_list(
            detail=True,
            fields=[
                "interface_route_table_routes",
                "virtual_machine_interface_back_refs",
                "annotations",
            ],
        )
        rts = self.vnc.route_tables_list(
            detail=True, fields=["routes", "virtual_network_back_refs", "annotations"]
        )
        tables = [self._route_table(t, "interface") for t in irts]
        return tables + [self._route_table(t, "network") for t in rts]

    def read_load_balancer(self, lb_uuid: str, base: ContrailSnapshot) -> ContrailSnapshot:
        """``base`` with one load balancer's subtree re-read (the daemon's read of a load
        balancer new to its snapshot, or of a change not read on its own: ``read_changes``).

        Six or seven calls whatever the size of the cloud: the load balancer, its listeners,
        their pools, the pools' members and monitors, and the ports behind VIP and members.
        A load balancer that is gone is removed with everything that hung under it.
        """
        try:
            return self._read_load_balancer(lb_uuid, base)
        except Exception as exc:
            raise ContrailReadError(
                f"reading loadbalancer {lb_uuid} failed: {type(exc).__name__}: {exc}"
            ) from exc

    def read_changes(
        self,
        changes: Iterable[Change],
        base: ContrailSnapshot,
        answers: Mapping[Change, Any] | None = None,
    ) -> ContrailSnapshot:
        """``base`` with the objects notifications said changed read again
        (``contrail.changes``): one call per kind for the objects of a kind read together
        (a status echo: a load balancer's members), one each for the rest, never a walk of
        their load balancer; none for those whose GET was made already (``answers``)."""
        changes = sorted(changes)
        known = dict(answers or {})
        try:
            known.update(read_together(self, [c for c in changes if c not in known], base))
        except Exception as exc:
            raise ContrailReadError(f"reading changed objects failed: {describe(exc)}") from exc
        snapshot = base
        for change in changes:
            try:
                snapshot = read_change(self, change, snapshot, known.get(change))
            except Exception as exc:
                raise ContrailReadError(
                    f"reading {change.kind} {change.uuid} failed: {describe(exc)}"
                ) from exc
        return snapshot

    def _read_load_balancer(self, lb_uuid: str, base: ContrailSnapshot) -> ContrailSnapshot:
        from vnc_api.exceptions import NoIdError

        vnc = self.vnc
        try:
            lb = self._lb(vnc.loadbalancer_read(id=lb_uuid))
        except NoIdError:
            lb = None
        listeners = pools = members = monitors = ports = []
        if lb is not None:
            listeners = [
                self._listener(x)
                for x in vnc.loadbalancer_listeners_list(detail=True, back_ref_id=[lb_uuid])
            ]
            listener_ids = [x.uuid for x in listeners]
            pools = [
                self._pool(p)
                for p in (
                    vnc.loadbalancer_pools_list(detail=True, back_ref_id=listener_ids)
                    if listener_ids
                    else []
                )
            ]
            pool_ids = [p.uuid for p in pools]
            members = [
                self._member(m)
                for m in (
                    vnc.loadbalancer_members_list(detail=True, parent_id=pool_ids)
                    if pool_ids
                    else []
                )
            ]
            monitor_ids = sorted({hm for p in pools for hm in p.monitor_uuids})
            monitors = [
                self._monitor(h)
                for h in (
                    vnc.loadbalancer_healthmonitors_list(detail=True, obj_uuids=monitor_ids)
                    if monitor_ids
                    else []
                )
            ]
            ports = self._ports(sorted(_port_uuids([lb], members)))

        return base.with_load_balancer(lb_uuid, lb, listeners, pools, members, monitors, ports)

    # -- conversions ------------------------------------------------------------------------

    def _network(self, vn: Any) -> VirtualNetwork:
        subnets = []
        for ref in vn.get_network_ipam_refs() or ():
            attr = ref.get("attr")
            for sub in getattr(attr, "ipam_subnets", None) or ():
                prefix = sub.subnet
                if prefix is None or not sub.subnet_uuid:
                    continue
                cidr = f"{prefix.ip_prefix}/{prefix.ip_prefix_len}"
                subnets.append(
                    Subnet(shared(sub.subnet_uuid), shared(cidr), shared(sub.default_gateway))
                )
        network_id = getattr(vn, "virtual_network_network_id", None)
        return VirtualNetwork(
            uuid=shared(vn.uuid),
            name=_name(vn),
            fq_name=_fq(vn),
            project_uuid=shared(str(getattr(vn, "parent_uuid", "") or "")),
            subnets=tuple(subnets),
            network_id=int(network_id) if network_id is not None else None,
        )

    def _route_table(self, table: Any, kind: str) -> RouteTable:
        if kind == "interface":
            routes_type = table.get_interface_route_table_routes()
            attached = table.get_virtual_machine_interface_back_refs()
        else:
            routes_type = table.get_routes()
            attached = table.get_virtual_network_back_refs()
        routes = []
        for route in getattr(routes_type, "route", None) or ():
            community = getattr(route, "community_attributes", None)
            routes.append(
                Route(
                    prefix=str(route.prefix),
                    next_hop=route.next_hop,
                    next_hop_type=route.next_hop_type,
                    communities=tuple(getattr(community, "community_attribute", None) or ()),
                )
            )
        return RouteTable(
            uuid=shared(table.uuid),
            kind=kind,
            name=_name(table),
            fq_name=_fq(table),
            routes=tuple(routes),
            attached=_ref_uuids(attached),
            annotations=FrozenDict(_kv(table.get_annotations())),
        )

    def _owned_ip(self, iip: Any) -> OwnedInstanceIp:
        networks = _ref_uuids(iip.get_virtual_network_refs())
        return OwnedInstanceIp(
            uuid=shared(iip.uuid),
            name=_name(iip),
            address=iip.get_instance_ip_address(),
            subnet_uuid=iip.get_subnet_uuid(),
            network_uuid=networks[0] if networks else None,
        )

    def _set(self, sas: Any, appliances: list[Any]) -> ApplianceSet:
        kv: dict[str, Any] = dict(_kv(sas.get_service_appliance_set_properties()))
        if "password" in kv:
            kv["password"] = Secret(str(kv["password"]))
        children = [a for a in appliances if getattr(a, "parent_uuid", None) == sas.uuid]
        return ApplianceSet(
            uuid=shared(sas.uuid),
            name=_name(sas),
            driver=str(sas.get_service_appliance_driver() or ""),
            properties=FrozenDict(kv),
            ha_mode=sas.get_service_appliance_ha_mode(),
            appliances=tuple(self._appliance(a) for a in children),
        )

    def _appliance(self, appliance: Any) -> Appliance:
        creds = appliance.get_service_appliance_user_credentials()
        password = creds.get_password() if creds else None
        return Appliance(
            uuid=shared(appliance.uuid),
            name=_name(appliance),
            address=appliance.get_service_appliance_ip_address(),
            username=creds.get_username() if creds else None,
            password=Secret(str(password)) if password else None,
            properties=FrozenDict(_kv(appliance.get_service_appliance_properties())),
        )

    def _lb(self, lb: Any) -> LoadBalancer:
        props = lb.get_loadbalancer_properties()
        fq = lb.get_fq_name()
        return LoadBalancer(
            uuid=shared(lb.uuid),
            name=_name(lb),
            display_name=_display(lb),
            project_uuid=shared(str(getattr(lb, "parent_uuid", "") or "")),
            project_name=shared(str(fq[-2])) if len(fq) >= 2 else "",
            provider=shared(lb.get_loadbalancer_provider()),
            sas_uuids=_shared_refs(lb.get_service_appliance_set_refs()),
            admin_state=_bool(props.get_admin_state() if props else None),
            vip_address=shared(props.get_vip_address()) if props else None,
            vip_subnet_id=shared(props.get_vip_subnet_id()) if props else None,
            vmi_uuids=_ref_uuids(lb.get_virtual_machine_interface_refs()),
            annotations=_annotations(lb),
            provisioning_status=shared(props.get_provisioning_status()) if props else None,
            operating_status=shared(props.get_operating_status()) if props else None,
            fq_name=_fq(lb),
            created=str(getattr(lb.get_id_perms(), "created", "") or ""),  # its own: not shared
            status=shared(props.get_status()) if props else None,
        )

    def _listener(self, listener: Any) -> Listener:
        props = listener.get_loadbalancer_listener_properties()
        get = _getter(props)
        return Listener(
            uuid=shared(listener.uuid),
            name=_name(listener),
            display_name=_display(listener),
            project_uuid=shared(str(getattr(listener, "parent_uuid", "") or "")),
            lb_uuids=_ref_uuids(listener.get_loadbalancer_refs()),
            protocol=get("protocol"),
            protocol_port=get("protocol_port"),
            admin_state=_bool(get("admin_state")),
            connection_limit=get("connection_limit"),
            default_tls_container=get("default_tls_container"),
            sni_containers=tuple(get("sni_containers") or ()),
            annotations=_annotations(listener),
        )

    def _pool(self, pool: Any) -> Pool:
        props = pool.get_loadbalancer_pool_properties()
        get = _getter(props)
        return Pool(
            uuid=shared(pool.uuid),
            name=_name(pool),
            display_name=_display(pool),
            project_uuid=shared(str(getattr(pool, "parent_uuid", "") or "")),
            listener_uuids=_ref_uuids(pool.get_loadbalancer_listener_refs()),
            monitor_uuids=_ref_uuids(pool.get_loadbalancer_healthmonitor_refs()),
            sas_uuids=_shared_refs(pool.get_service_appliance_set_refs()),
            protocol=get("protocol"),
            method=get("loadbalancer_method"),
            session_persistence=get("session_persistence"),
            persistence_cookie_name=get("persistence_cookie_name"),
            admin_state=_bool(get("admin_state")),
            annotations=_annotations(pool),
            status=get("status"),
            status_description=get("status_description"),
            fq_name=_fq(pool),
        )

    def _member(self, member: Any) -> Member:
        props = member.get_loadbalancer_member_properties()
        get = _getter(props)
        return Member(
            # Not shared: nothing else names a member (an interned string takes ~50 bytes of
            # the interpreter's table, for 10 members a load balancer).
            uuid=str(member.uuid),
            name=_name(member),
            pool_uuid=shared(str(getattr(member, "parent_uuid", "") or "")),
            address=get("address"),
            protocol_port=get("protocol_port"),
            weight=get("weight"),
            admin_state=_bool(get("admin_state")),
            subnet_id=get("subnet_id"),
            annotations=_annotations(member),
            status=get("status"),
            status_description=get("status_description"),
        )

    def _monitor(self, hm: Any) -> HealthMonitor:
        props = hm.get_loadbalancer_healthmonitor_properties()
        get = _getter(props)
        return HealthMonitor(
            uuid=shared(hm.uuid),
            name=_name(hm),
            display_name=_display(hm),
            project_uuid=shared(str(getattr(hm, "parent_uuid", "") or "")),
            monitor_type=get("monitor_type"),
            delay=get("delay"),
            timeout=get("timeout"),
            max_retries=get("max_retries"),
            http_method=get("http_method"),
            url_path=get("url_path"),
            expected_codes=get("expected_codes"),
            admin_state=_bool(get("admin_state")),
        )

    def _ports(self, uuids: list[str]) -> list[Port]:
        """VIP and pod ports with their instance-ips and floating-ips: three calls per 1,000
        ports, each page converted before the next is read."""
        ports: list[Port] = []
        for start in range(0, len(uuids), PORTS_PER_PAGE):
            ports.extend(self._ports_page(uuids[start : start + PORTS_PER_PAGE]))
        return ports

    def _ports_page(self, uuids: list[str]) -> list[Port]:
        if not uuids:
            return []
        vmis = self.vnc.virtual_machine_interfaces_list(
            detail=True, obj_uuids=uuids, fields=["instance_ip_back_refs", "floating_ip_back_refs"]
        )
        iip_uuids = sorted({r["uuid"] for v in vmis for r in (v.get_instance_ip_back_refs() or ())})
        fip_uuids = sorted({r["uuid"] for v in vmis for r in (v.get_floating_ip_back_refs() or ())})
        iips = self.vnc.instance_ips_list(detail=True, obj_uuids=iip_uuids) if iip_uuids else []
        fips = self.vnc.floating_ips_list(detail=True, obj_uuids=fip_uuids) if fip_uuids else []
        iip_by_uuid = {i.uuid: i for i in iips}
        fip_by_uuid = {f.uuid: f for f in fips}
        ports = []
        for vmi in vmis:
            instance_ips = []
            for ref in vmi.get_instance_ip_back_refs() or ():
                iip = iip_by_uuid.get(ref["uuid"])
                if iip is None:
                    continue
                instance_ips.append(
                    InstanceIp(
                        uuid=str(iip.uuid),  # named by nothing else: not shared
                        address=shared(iip.get_instance_ip_address()),
                        subnet_uuid=shared(iip.get_subnet_uuid()),
                        network_uuids=_shared_refs(iip.get_virtual_network_refs()),
                    )
                )
            floating = tuple(
                sorted(
                    str(fip_by_uuid[r["uuid"]].get_floating_ip_address())
                    for r in vmi.get_floating_ip_back_refs() or ()
                    if r["uuid"] in fip_by_uuid and fip_by_uuid[r["uuid"]].get_floating_ip_address()
                )
            )
            ports.append(
                Port(
                    uuid=shared(vmi.uuid),
                    name=_name(vmi),
                    instance_ips=tuple(sorted(instance_ips, key=lambda i: i.uuid)),
                    floating_ips=floating,
                    network_uuids=_shared_refs(vmi.get_virtual_network_refs()),
                    fq_name=_fq(vmi),
                )
            )
        return ports


#: Parents per list call of a full read: ~1,000 load balancers (listeners, pools, monitors)
#: at 20 per project; ~5,000 members at 10 per pool.
PROJECTS_PER_PAGE = 50
POOLS_PER_PAGE = 500
PORTS_PER_PAGE = 1000


def _paged(
    list_call: Callable[..., list[Any]],
    parents: list[str],
    per_page: int,
    convert: Callable[[Any], Any],
) -> FrozenDict[str, Any]:
    """Every object under ``parents``, one ``list(detail=True, parent_id=[...])`` per page of
    parents, each page converted to our models before the next is read."""
    out: dict[str, Any] = {}
    for start in range(0, len(parents), per_page):
        page = list_call(detail=True, parent_id=parents[start : start + per_page])
        out.update((item.uuid, convert(item)) for item in page)
        del page
    return FrozenDict(out)


def _converted(items: list[Any], convert: Callable[[Any], Any]) -> FrozenDict[str, Any]:
    return FrozenDict((item.uuid, convert(item)) for item in items)


def _with_subtrees(
    base: ContrailSnapshot, subtrees: tuple[FrozenDict[str, Any], ...], ports: list[Port]
) -> ContrailSnapshot:
    """``base``'s global objects with these load balancers, listeners, pools, members and
    monitors, and these ports, instead of its own (not ``replace``: base's links and VIP
    index would come along)."""
    lbs, listeners, pools, members, monitors = subtrees
    return ContrailSnapshot(
        appliance_sets=base.appliance_sets,
        load_balancers=lbs,
        listeners=listeners,
        pools=pools,
        members=members,
        monitors=monitors,
        ports=FrozenDict((p.uuid, p) for p in ports),
        networks=base.networks,
        route_tables=base.route_tables,
        owned_ips=base.owned_ips,
        projects=base.projects,
    )


def _port_uuids(lbs: Iterable[LoadBalancer], members: Iterable[Member]) -> set[str]:
    """The ports behind these load balancers' VIPs and these members (a pod's, named by
    its ``vmi`` annotation)."""
    found = {u for lb in lbs for u in lb.vmi_uuids}
    return found | {m.annotations["vmi"] for m in members if m.annotations.get("vmi")}


def _external_vmis(sets: list[Any], appliances: list[Any]) -> set[str]:
    """The vLTM external VMIs the sets name (kv ``external_vmi``): read with the VIP ports."""
    found = set()
    for obj in sets:
        found.add(_kv(obj.get_service_appliance_set_properties()).get("external_vmi"))
    for obj in appliances:
        found.add(_kv(obj.get_service_appliance_properties()).get("external_vmi"))
    return {str(u) for u in found if u}
