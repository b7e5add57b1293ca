"""One full reconcile pass: read both sides, plan, and (unless dry-run) apply and report.

This is the imperative shell around the pure core: it reads Contrail (a failed read stops the
pass before anything is planned, so an outage never turns into deletes), translates per F5
set, reads each device, diffs, then applies device by device and writes statuses back.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler import certificates
from reconciler.bigip.applier import ApplyResult, apply_plan
from reconciler.bigip.client import DeviceClient, DeviceError
from reconciler.bigip.ha import active_device, push_to_group
from reconciler.bigip.reader import read_live
from reconciler.bigip.stats import read_pool_health
from reconciler.config import Config
from reconciler.contrail.reader import ContrailReader
from reconciler.contrail.status import write_status
from reconciler.contrail.writer import write_changes, write_instance_ip
from reconciler.coordination import OneShotClaims
from reconciler.logs import get_logger
from reconciler.model.contrail import ContrailSnapshot, ObjectError
from reconciler.model.values import FrozenDict
from reconciler.plan.allocations import address_changes
from reconciler.plan.diff import DeleteGuard, diff
from reconciler.plan.model import ContrailChange, DevicePlan, Plan
from reconciler.plan.routes import set_route_changes
from reconciler.plan.status import operating_statuses, plan_status
from reconciler.settings import DeviceSettings, SetSettings, SettingsError, settings_for
from reconciler.translate import networking
from reconciler.translate.desired import Desired, Options, translate

log = get_logger("reconcile")

ClientFactory = Callable[[DeviceSettings], DeviceClient]


@dataclass
class SetWork:
    """What the apply step needs for one set: its settings, desired state and device plans."""

    settings: SetSettings
    desired: Desired
    devices: list[tuple[DeviceClient, DevicePlan]] = field(default_factory=list)


@dataclass
class PassResult:
    plan: Plan
    applied: list[ApplyResult] = field(default_factory=list)
    status_failures: list[str] = field(default_factory=list)
    lb_results: dict[str, str | None] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # sets a running replica holds

    @property
    def ok(self) -> bool:
        return (
            not self.plan.has_errors
            and all(r.ok for r in self.applied)
            and not self.status_failures
            and not self.skipped
        )


def translate_options(config: Config, snapshot: ContrailSnapshot) -> Options:
    """Translate options: prefix, claim rules, and the certificates the snapshot's
    TERMINATED_HTTPS listeners name (read from the configured source once per pass)."""
    containers = {
        c
        for listener in snapshot.listeners.values()
        if (listener.protocol or "").upper() == "TERMINATED_HTTPS"
        for c in (listener.default_tls_container, *listener.sni_containers)
        if c
    }
    source = certificates.source_from(config.tls_certificate_dir)
    return Options(
        prefix=config.environment_prefix,
        claims=config.claims,
        certificates=FrozenDict(certificates.load_all(source, containers)),
    )


class Reconciler:
    """Holds the long-lived pieces (Contrail client, device connections) between passes."""

    def __init__(
        self,
        config: Config,
        vnc: Any,
        client_factory: ClientFactory | None = None,
        claims: OneShotClaims | None = None,
    ) -> None:
        self.config = config
        self.vnc = vnc
        self.claims = claims  # ZooKeeper configured: write only the sets no replica holds
        self._skipped: list[str] = []  # this pass's sets left to the replica holding them
        self.reader = ContrailReader(vnc, config.sas_driver_pattern)
        self._factory = client_factory or (
            lambda s: DeviceClient(s, verify=config.device_verify, timeout=config.device_timeout)
        )
        self._clients: dict[tuple[str, int, str], DeviceClient] = {}

    def client_for(self, device: DeviceSettings) -> DeviceClient:
        key = (device.address, device.port, device.username)
        client = self._clients.get(key)
        if client is None or client.settings != device:
            client = self._clients[key] = self._factory(device)
        return client

    # -- planning ----------------------------------------------------------------------------

    def options_for(self, snapshot: ContrailSnapshot) -> Options:
        return translate_options(self.config, snapshot)

    def plan(
        self,
        sas_name: str | None = None,
        allow_mass_delete: bool = False,
        allocate: bool = False,
    ) -> tuple[Plan, list[SetWork], ContrailSnapshot]:
        """``allocate``: make L3 mode's address allocations in Contrail now (a real pass;
        a plan only shows them)."""
        snapshot = self.reader.read()
        self._skipped = []
        prefix = self.config.environment_prefix
        guard = DeleteGuard(
            max_fraction=self.config.max_delete_fraction,
            min_objects=self.config.delete_guard_min_objects,
            allow=allow_mass_delete,
            contrail_empty=not snapshot.load_balancers,
        )
        notes: list[str] = []
        errors: list[ObjectError] = []
        device_plans: list[DevicePlan] = []
        work: list[SetWork] = []
        contrail: list[ContrailChange] = []
        sets = sorted(snapshot.appliance_sets.values(), key=lambda s: s.name)
        if sas_name and not any(s.name == sas_name for s in sets):
            notes.append(f"no F5 service-appliance-set named {sas_name!r} in Contrail")
        base_options = self.options_for(snapshot)  # certificates read once per pass
        for sas in sets:
            if sas_name and sas.name != sas_name:
                continue
            try:
                settings = settings_for(sas, self.config.credentials_for(sas.name))
            except SettingsError as exc:
                notes.append(str(exc))
                continue
            if allocate and not self._take_turn(sas.name, notes):
                continue  # a running replica holds it: nothing read, allocated or written
            options = base_options
            devices = self._devices_to_write(settings, notes)
            lives: dict[str, Any] = {}
            for device in devices:
                try:
                    lives[device.name] = read_live(self.client_for(device), prefix)
                except DeviceError as exc:
                    log.warning("device not readable", device=device.name, error=str(exc))
                    lives[device.name] = exc
            network: tuple[list[Any], dict[str, list[Any]]] = ([], {})
            if networking.is_l3(settings):
                snapshot, options, network = self._l3(
                    snapshot,
                    settings,
                    options,
                    devices,
                    lives,
                    allocate,
                    notes,
                    contrail,
                    release=not guard.contrail_empty or guard.allow,
                )
            desired = translate(snapshot, settings, options)
            errors.extend(desired.errors)
            set_work = SetWork(settings, desired)
            for device in devices:
                client = self.client_for(device)
                address = f"{device.address}:{device.port}"
                live = lives[device.name]
                if isinstance(live, DeviceError):
                    device_plans.append(DevicePlan(device.name, address, error=str(live)))
                    continue
                extra = network[0] + network[1].get(device.name, [])
                device_plan = diff(
                    networking.for_device(desired, extra) if extra else desired,
                    live.objects,
                    device.name,
                    address,
                    prefix,
                    guard,
                )
                device_plans.append(device_plan)
                set_work.devices.append((client, device_plan))
            work.append(set_work)
            outcome = desired.outcomes()
            changes, problems = set_route_changes(
                snapshot,
                settings.sas_uuid,
                prefix,
                outcome,
                not guard.contrail_empty or guard.allow,
            )
            contrail.extend(changes)
            notes.extend(problems)
        plan = Plan(
            devices=tuple(device_plans),
            errors=tuple(errors),
            notes=tuple(notes),
            contrail=tuple(contrail),
        )
        return plan, work, snapshot

    def _l3(
        self,
        snapshot: ContrailSnapshot,
        settings: SetSettings,
        options: Options,
        devices: tuple[DeviceSettings, ...],
        lives: dict[str, Any],
        allocate: bool,
        notes: list[str],
        contrail: list[ContrailChange],
        release: bool = True,
    ) -> tuple[ContrailSnapshot, Options, tuple[list[Any], dict[str, list[Any]]]]:
        """L3 mode: allocate the set's addresses in Contrail (unless planning only), choose
        route-domain ids from every device, and build the network objects. ``release``:
        addresses no load balancer needs may be released (not after an empty Contrail read)."""
        prefix = self.config.environment_prefix
        needs = networking.needs_of(snapshot, settings, options)
        notes.extend(f"service-appliance-set {settings.sas_name}: {p}" for p in needs.problems)
        wanted = networking.address_needs(needs, settings, prefix)
        allocations, releases = address_changes(snapshot, settings, prefix, wanted)
        owned = dict(snapshot.owned_ips)
        for change in allocations:
            if allocate:
                try:
                    ip = write_instance_ip(self.vnc, change)
                except Exception as exc:  # one failed allocation: that subnet waits
                    notes.append(f"instance-ip {change.path}: allocation failed: {exc}")
                    continue
                if ip is not None:
                    owned[ip.name] = ip
                    change = replace(
                        change, done=True, fields={**change.fields, "address": ip.address}
                    )
            contrail.append(change)
        unreadable = any(isinstance(lives.get(d.name), DeviceError) for d in devices)
        # Released after the device apply (run) — never on an unreadable device, nor when
        # Contrail answered with no load balancer at all (the deletion guard's "empty read").
        if not unreadable and release:
            contrail.extend(releases)
        snapshot = replace(snapshot, owned_ips=FrozenDict(owned))
        live_ids: list[dict[str, int]] = []
        used_ids: list[set[int]] = []
        for device in devices:
            live = lives.get(device.name)
            if isinstance(live, DeviceError) or live is None:
                continue
            ours = {
                obj.partition: int(obj.fields["id"])
                for obj in live.objects.values()
                if obj.kind == "net/route-domain"
            }
            live_ids.append(ours)
            try:
                every = self.client_for(device).collection("net/route-domain")
                used_ids.append({int(rd.get("id", 0)) for rd in every})
            except DeviceError as exc:
                lives[device.name] = exc
        route_domains, problems = networking.allocate_route_domains(
            needs.projects, prefix, live_ids, used_ids
        )
        notes.extend(problems)
        common, per_device, snat_pools, more = networking.network_objects(
            settings, prefix, needs, route_domains, snapshot.owned_ips
        )
        notes.extend(more)
        options = replace(
            options, route_domains=FrozenDict(route_domains), snat_pools=FrozenDict(snat_pools)
        )
        return snapshot, options, (common, per_device)

    def _operating(self, work: list[SetWork], snapshot: ContrailSnapshot) -> dict[str, str]:
        """Operating status per load balancer from each written device's pool stats."""
        statuses: dict[str, str] = {}
        for set_work in work:
            for client, _device_plan in set_work.devices:
                try:
                    health = read_pool_health(client, self.config.environment_prefix)
                except DeviceError as exc:
                    log.warning("pool stats not readable", device=client.name, error=str(exc))
                    continue
                for lb, status in operating_statuses(snapshot, health).items():
                    statuses.setdefault(lb, status)  # the first (active) device's view
        return statuses

    def _devices_to_write(
        self, settings: SetSettings, notes: list[str]
    ) -> tuple[DeviceSettings, ...]:
        """Every device (replication), or only the active one of a config-sync HA pair."""
        if settings.sync_mode != "config-sync" or len(settings.devices) < 2:
            return settings.devices
        active = active_device([self.client_for(d) for d in settings.devices])
        if active is None:
            notes.append(
                f"service-appliance-set {settings.sas_name}: no device of the HA pair is "
                "active (or none answered); nothing was planned for it"
            )
            return ()
        return (active.settings,)

    def _config_sync(self, client: DeviceClient, settings: SetSettings, applied: Any) -> None:
        try:
            push_to_group(client, settings.properties.get("device_group"))
        except DeviceError as exc:
            applied.errors.append(f"config-sync: {exc}")

    # -- applying ----------------------------------------------------------------------------

    def _take_turn(self, name: str, notes: list[str]) -> bool:
        """With ZooKeeper configured, a pass that writes holds each set's owner node from
        before it allocates anything until it ends; a set a replica holds is left to it."""
        if self.claims is None:
            return True
        holder = self.claims.claim(name)
        if holder is None:
            return True
        message = (
            f"service-appliance-set {name} is reconciled by replica {holder} "
            f"(zookeeper {self.config.zk_root}); nothing written for it"
        )
        notes.append(message)
        self._skipped.append(message)
        log.warning("set held by a replica; skipped", sas=name, replica=holder)
        return False

    def _fence(self, set_work: SetWork) -> None:
        """The set's device writes go out only while this pass still holds the node it took
        when planning (the fence proves that per write; a lost node refuses them)."""
        if self.claims is None:
            return
        fence = functools.partial(self.claims.fence, set_work.settings.sas_name)
        for client, _plan in set_work.devices:
            client.fence = fence

    def run(
        self,
        dry_run: bool = False,
        sas_name: str | None = None,
        allow_mass_delete: bool = False,
    ) -> PassResult:
        plan, work, snapshot = self.plan(sas_name, allow_mass_delete, allocate=not dry_run)
        result = PassResult(plan)
        if dry_run:
            return result
        contrail_failures: list[str] = []
        for set_work in work:
            self._fence(set_work)
            outcome = set_work.desired.outcomes()
            unreachable = [d for d in plan.devices if d.error and _in_set(d, set_work)]
            for device in unreachable:
                for lb_uuid in outcome:
                    outcome[lb_uuid] = outcome[lb_uuid] or f"device {device.device}: {device.error}"
            for client, device_plan in set_work.devices:
                applied = apply_plan(client, device_plan, set_work.desired.owners)
                result.applied.append(applied)
                if applied.applied and set_work.settings.sync_mode == "config-sync":
                    self._config_sync(client, set_work.settings, applied)
                for lb_uuid, reason in applied.failed_lbs.items():
                    if lb_uuid in outcome and outcome[lb_uuid] is None:
                        outcome[lb_uuid] = f"device {device_plan.device}: {reason}"
            result.lb_results.update(outcome)
            changes, _problems = set_route_changes(
                snapshot,
                set_work.settings.sas_uuid,
                self.config.environment_prefix,
                outcome,
                bool(snapshot.load_balancers) or allow_mass_delete,
            )
            contrail_failures.extend(write_changes(self.vnc, changes))
            if all(r is None for r in outcome.values()) and not unreachable:
                releases = [
                    c
                    for c in plan.contrail
                    if c.type == "instance-ip"
                    and c.action == "delete"
                    and c.source == f"service-appliance-set {set_work.settings.sas_name}"
                ]
                contrail_failures.extend(write_changes(self.vnc, releases))
        result.skipped = list(self._skipped)
        updates = plan_status(snapshot, result.lb_results, self._operating(work, snapshot))
        result.status_failures = contrail_failures + write_status(self.vnc, snapshot, updates)
        log.info(
            "pass done",
            summary=plan.summary(),
            errors=len(plan.errors),
            status_writes=len(updates),
            ok=result.ok,
        )
        return result


def _in_set(device: DevicePlan, set_work: SetWork) -> bool:
    return any(d.name == device.device for d in set_work.settings.devices)
